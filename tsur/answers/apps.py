from django.apps import AppConfig


class AnswersConfig(AppConfig):
    name = "tsur.answers"
    verbose_name = "Ответы"

    def ready(self) -> None:
        from tsur.answers import tasks  # noqa: F401 - registers its background tasks and periodic jobs
