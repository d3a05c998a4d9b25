from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "tsur.triage"
    verbose_name = "Автоматический разбор"

    def ready(self) -> None:
        from tsur.appeals.services import appeal_changed
        from tsur.triage.services import record_correction

        appeal_changed.connect(record_correction, dispatch_uid="tsur.triage.corrections")
