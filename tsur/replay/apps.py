from django.apps import AppConfig


class ReplayConfig(AppConfig):
    """Replay of a real region's history (St Petersburg, ../shared/data) through the platform's
    services, with its own regional configuration beside the Kaluga demo."""

    name = "tsur.replay"
    verbose_name = "Воспроизведение истории"
