from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tsur.routing"
    verbose_name = "Маршрутизация"
