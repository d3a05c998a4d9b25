from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsur.core"
    verbose_name = "Ядро"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tsur.core.db import register_fast_arrays

        connection_created.connect(register_fast_arrays, dispatch_uid="tsur.core.fast_arrays")
