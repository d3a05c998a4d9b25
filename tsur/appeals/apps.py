from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "tsur.appeals"
    verbose_name = "Обращения"

    def ready(self) -> None:
        # Both register background tasks and periodic jobs (partitions: the event log's months ahead).
        from tsur.appeals import partitions, tasks  # noqa: F401
