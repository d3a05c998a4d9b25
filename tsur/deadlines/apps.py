from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "tsur.deadlines"
    verbose_name = "Сроки"

    def ready(self) -> None:
        from tsur.deadlines import tasks  # noqa: F401 - registers its background tasks and periodic jobs
