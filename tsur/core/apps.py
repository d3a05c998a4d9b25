from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsur.core"
    verbose_name = "Ядро"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tsur.core.db import register_fast_arrays, register_lookups

        connection_created.connect(register_fast_arrays, dispatch_uid="tsur.core.fast_arrays")
        register_lookups()

        # --- scaling (part backup): settings that break on several processes or hosts ---
        from django.core import checks

        from tsur.core.checks import check_several_processes

        checks.register(check_several_processes)
