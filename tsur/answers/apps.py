from django.apps import AppConfig


class AnswersConfig(AppConfig):
    name = "tsur.answers"
    verbose_name = "Ответы"

    def ready(self) -> None:
        # tasks registers the background tasks and periodic jobs; retention the purge's subscriber and sweep.
        from tsur.answers import retention, tasks  # noqa: F401

        retention.subscribe()
