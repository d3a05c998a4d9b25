from django.apps import AppConfig


class TensionConfig(AppConfig):
    """Points of tension: where problems pile up beyond a place's and topic's usual level. Above
    appeals (it reads them and reacts to their changes); the detector itself is the pure
    tsur.tension.engine, shared with `tsur tension detect`."""

    name = "tsur.tension"
    verbose_name = "Точки напряжённости"
