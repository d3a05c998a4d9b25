from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "tsur.deadlines"
    verbose_name = "Сроки"
