from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "tsur.triage"
    verbose_name = "Автоматический разбор"

    def ready(self) -> None:
        from tsur.appeals.events import appeal_changed, appeals_received
        from tsur.core import tasks as background
        from tsur.triage import tasks  # noqa: F401 - registers the intake follow-up and its sweeper
        from tsur.triage.services import record_corrections

        appeal_changed.subscribe(record_corrections, uid="tsur.triage.corrections")
        appeals_received.subscribe(
            lambda ids: background.enqueue_ids("process_new_appeals", list(ids)), uid="tsur.triage.intake"
        )
