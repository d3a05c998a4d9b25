from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class DirectoryConfig(AppConfig):
    name = "tsur.directory"
    verbose_name = "Справочники"

    def ready(self) -> None:
        from tsur.directory.models import Territory
        from tsur.directory.services import forget_cached_boundaries

        post_save.connect(forget_cached_boundaries, sender=Territory, dispatch_uid="territory-boundaries")
        post_delete.connect(forget_cached_boundaries, sender=Territory, dispatch_uid="territory-boundaries-del")
