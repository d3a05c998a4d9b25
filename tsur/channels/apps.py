from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "tsur.channels"
    # Not "channels": that label belongs to Django Channels.
    label = "intake_channels"
    verbose_name = "Каналы"

    def ready(self) -> None:
        from tsur.channels import registry, signals, tasks  # noqa: F401 - connect receivers, register tasks

        registry.autodiscover()
