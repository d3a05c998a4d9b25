from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The situation center's figures: volumes, times, KPIs of organisations, exports. Above
    appeals and answers (it reads them); never writes an appeal."""

    name = "tsur.analytics"
    verbose_name = "Аналитика"

    def ready(self) -> None:
        from tsur.analytics import tasks
        from tsur.appeals.events import appeal_changed

        # Creation publishes its "created" events here too, so appeals_received would only recount
        # the same day a second time.
        appeal_changed.subscribe(tasks.on_appeals_changed, uid="tsur.analytics.recount")
