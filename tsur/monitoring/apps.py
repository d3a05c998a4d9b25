from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Objective monitoring: events from external systems (cameras, 112, the housing inspection,
    sensors), each source configured as data, matched with residents' appeals to confirm a problem
    and to prove its resolution. Above the reactions (it reads answers and may close or reopen an
    appeal through the lifecycle's door), below the analysis (tension and the KPIs read it)."""

    name = "tsur.monitoring"
    verbose_name = "Объективный мониторинг"
