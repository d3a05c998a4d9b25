from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "tsur.appeals"
    verbose_name = "Обращения"
