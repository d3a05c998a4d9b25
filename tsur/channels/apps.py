from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "tsur.channels"
    # Not "channels": that label belongs to Django Channels.
    label = "intake_channels"
    verbose_name = "Каналы"

    def ready(self) -> None:
        from tsur.appeals.services.notifications import register_carrier
        from tsur.channels import kinds, registry, tasks  # noqa: F401 - registers the channel kinds and tasks
        from tsur.channels import polls as poll_announcements  # registers its task and sweep
        from tsur.channels import retention as pd_retention  # registers the sweep of purged appeals' payloads
        from tsur.channels.carrier import ChannelDeliveries

        registry.autodiscover()
        register_carrier("tsur.channels", ChannelDeliveries())
        poll_announcements.subscribe()
        pd_retention.subscribe()
