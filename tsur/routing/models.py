"""Routing rules: category x territory -> organisation, with explicit precedence."""

from __future__ import annotations

from django.db import models

from tsur.directory.models import Block, Category, Organisation, Territory


class RoutingRule(models.Model):
    block = models.ForeignKey(Block, verbose_name="блок", null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, verbose_name="категория", null=True, blank=True, on_delete=models.CASCADE)
    territory = models.ForeignKey(
        Territory, verbose_name="территория (и всё, что в неё входит)", null=True, blank=True, on_delete=models.CASCADE
    )
    organisation = models.ForeignKey(Organisation, verbose_name="организация", on_delete=models.PROTECT)
    # Higher wins before specificity is considered; 0 for ordinary rules.
    priority = models.IntegerField("приоритет", default=0)
    is_active = models.BooleanField("действует", default=True)
    note = models.CharField("комментарий", max_length=300, blank=True)

    class Meta:
        verbose_name = "правило маршрутизации"
        verbose_name_plural = "правила маршрутизации"
        ordering = ["-priority", "pk"]

    def __str__(self) -> str:
        return f"Правило №{self.pk}: {self.describe()} → {self.organisation}"

    def describe(self) -> str:
        parts = []
        if self.category_id:
            parts.append(f"категория «{self.category.name}»")
        elif self.block_id:
            parts.append(f"блок «{self.block.name}»")
        else:
            parts.append("любая тема")
        parts.append(f"территория «{self.territory.name}»" if self.territory_id else "любая территория")
        return " × ".join(parts)
