from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tsur.intake"
    verbose_name = "Приём"

    def ready(self) -> None:
        from tsur.intake import recovery  # noqa: F401  (registers the task that sends recovered links)
