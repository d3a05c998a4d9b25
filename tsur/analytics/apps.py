from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The situation center's figures: volumes, times, KPIs of organisations, exports. Above
    appeals and answers (it reads them); never writes an appeal."""

    name = "tsur.analytics"
    verbose_name = "Аналитика"
