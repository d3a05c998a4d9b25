from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tsur.demo"
    verbose_name = "Демо-конфигурация"
