"""The workspace's own rows: an operator's saved views of the queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.directory.models import Organisation


class SavedView(models.Model):
    """A named set of the queue's filters and sort, kept as the query string the queue reads.

    Shared with an organisation when `organisation` is set: its members see it above their
    queue. The filters are applied through the same form as a typed URL, inside the viewer's own
    scope, so a shared view never shows anyone more than their scope.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="владелец", on_delete=models.CASCADE, related_name="saved_views")
    organisation = models.ForeignKey(
        Organisation, verbose_name="общий для организации", null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField("название", max_length=80)
    query = models.CharField("фильтры и сортировка", max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField("порядок", default=0)
    created_at = models.DateTimeField("создан", auto_now_add=True)

    class Meta:
        verbose_name = "сохранённый вид очереди"
        verbose_name_plural = "сохранённые виды очереди"
        ordering = ["order", "name", "pk"]
        indexes = [models.Index(fields=["owner", "order"]), models.Index(fields=["organisation", "order"])]

    def __str__(self) -> str:
        return self.name
