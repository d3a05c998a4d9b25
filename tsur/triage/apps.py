from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "tsur.triage"
    verbose_name = "Автоматический разбор"
