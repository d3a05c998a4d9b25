from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsur.core"
    verbose_name = "Ядро"
