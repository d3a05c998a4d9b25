from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tsur.intake"
    verbose_name = "Приём"
