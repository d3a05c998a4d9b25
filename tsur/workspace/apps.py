from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tsur.workspace"
    verbose_name = "Рабочее место"
