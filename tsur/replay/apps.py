from django.apps import AppConfig


class ReplayConfig(AppConfig):
    """Replay of a real region's history (St Petersburg, ../shared/data) through the platform's
    services, with its own regional configuration beside the Kaluga demo."""

    name = "tsur.replay"
    verbose_name = "Воспроизведение истории"

    def ready(self) -> None:
        from tsur.appeals import channels
        from tsur.replay.config import configs

        # Each configured region's portal is a channel kind of its own (appeal.channel, labels).
        for config in configs():
            channels.register(config.channel_code, config.channel_label, config.channel_regime)
