from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "tsur.appeals"
    verbose_name = "Обращения"

    def ready(self) -> None:
        from tsur.appeals import tasks  # noqa: F401 - registers its background tasks and periodic jobs
