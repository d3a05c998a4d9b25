from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Objective monitoring: events from external systems (cameras, 112, the housing inspection,
    sensors), each source configured as data, matched with residents' appeals to confirm a problem
    and to prove its resolution. Above the reactions (it reads answers and may close or reopen an
    appeal through the lifecycle's door), below the analysis (tension and the KPIs read it)."""

    name = "tsur.monitoring"
    verbose_name = "Объективный мониторинг"

    def ready(self) -> None:
        from tsur.appeals.events import appeal_changed
        from tsur.monitoring import tasks  # registers the matcher's tasks, its sweeper and periodic jobs
        from tsur.monitoring.events import events_recorded

        events_recorded.subscribe(tasks.on_events_recorded, uid="tsur.monitoring.match_events")
        appeal_changed.subscribe(tasks.on_appeals_changed, uid="tsur.monitoring.match_appeals")
