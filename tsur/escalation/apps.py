from django.apps import AppConfig


class EscalationConfig(AppConfig):
    """Watching open appeals over time: reminders before the deadline, escalation after it, and
    workflow signals for every hand-over. Above appeals (it reads them, logs on them and reacts to
    their events); the due dates themselves are tsur.deadlines, below."""

    name = "tsur.escalation"
    verbose_name = "Напоминания и эскалация"

    def ready(self) -> None:
        from tsur.appeals.events import appeal_changed, appeal_noted
        from tsur.escalation import tasks  # registers its periodic jobs and the e-mail task

        # Every hand-over (routed, assigned, returned, extension, answer to check, reopened, a
        # resident's message, a mention) becomes a signal to whoever takes the appeal over.
        appeal_changed.subscribe(tasks.on_appeal_events, uid="tsur.escalation.signals")
        appeal_noted.subscribe(tasks.on_appeal_events, uid="tsur.escalation.signals")
