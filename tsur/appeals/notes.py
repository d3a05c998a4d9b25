"""Internal notes on an appeal: staff write to each other on the card and mention colleagues.

Never shown to residents: no status page, API answer, Open311 record or story of the appeal reads
this model, and the event that records a note (`note_added`) carries neither its text nor who was
mentioned by name. Defined apart from `models` (which imports it) to keep that module small.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.core import clock


class InternalNote(models.Model):
    appeal = models.ForeignKey("appeals.Appeal", verbose_name="обращение", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="автор", on_delete=models.PROTECT, related_name="+")
    text = models.TextField("текст")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="упомянуты", blank=True, related_name="+")
    created_at = models.DateTimeField("создана", default=clock.now, db_index=True)

    class Meta:
        app_label = "appeals"
        verbose_name = "внутренняя заметка"
        verbose_name_plural = "внутренние заметки"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Заметка к {self.appeal_id} от {self.created_at:%d.%m.%Y %H:%M}"
