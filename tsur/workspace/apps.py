from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tsur.workspace"
    verbose_name = "Рабочее место"

    def ready(self) -> None:
        from tsur.workspace.center import tasks  # noqa: F401 - registers the center's scheduled work
