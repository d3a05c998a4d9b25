from django.apps import AppConfig


class EscalationConfig(AppConfig):
    """Watching open appeals over time: reminders before the deadline, escalation after it. Above
    appeals (it reads them and logs on them); the due dates themselves are tsur.deadlines, below."""

    name = "tsur.escalation"
    verbose_name = "Напоминания и эскалация"

    def ready(self) -> None:
        from tsur.escalation import tasks  # noqa: F401 - registers its periodic job
