"""The one set of filters the situation center's pages share: dashboards, the KPI table, the map,
points of tension, drill-down lists and exports read the same query string, so a number clicked on
one page opens the same selection on the next.

Dates are whole days in the platform's time zone, both ends included; an appeal belongs to the day
it was received. Unknown codes and impossible ranges are refused with a Russian message (a
`ValidationFailed` naming the field), never silently dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone

from tsur.appeals import channels
from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.directory.models import Block, Category, Organisation, Territory

DEFAULT_DAYS = 30
LONGEST_DAYS = 3 * 366
FIELDS = ("from", "to", "block", "category", "territory", "organisation", "channel")


@dataclasses.dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    block: Block | None = None
    category: Category | None = None
    territory: Territory | None = None
    organisation: Organisation | None = None
    channel: str = ""
    # Ids of the chosen territory and everything under it (empty when no territory is chosen).
    territory_ids: frozenset[int] = frozenset()

    @classmethod
    def parse(cls, params: Mapping[str, str], *, default_days: int = DEFAULT_DAYS, today: dt.date | None = None) -> Filters:
        """Read the filters from a query string; missing dates mean the last `default_days` days."""
        today = today or timezone.localdate(clock.now())
        errors: dict[str, list[str]] = {}

        def date_of(name: str, default: dt.date) -> dt.date:
            raw = (params.get(name) or "").strip()
            if not raw:
                return default
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                errors.setdefault(name, []).append(f"Дата «{raw[:20]}» не распознана: нужна дата вида ГГГГ-ММ-ДД.")
                return default

        date_to = date_of("to", today)
        date_from = date_of("from", date_to - dt.timedelta(days=default_days - 1))
        if date_from > date_to:
            errors.setdefault("from", []).append("Начало периода позже его конца.")
        elif (date_to - date_from).days >= LONGEST_DAYS:
            errors.setdefault("from", []).append(f"Период длиннее {LONGEST_DAYS} дней: выберите период короче.")

        def by_code(name: str, model, field: str, what: str):
            raw = (params.get(name) or "").strip()
            if not raw:
                return None
            found = model.objects.filter(**{field: raw}).first()
            if found is None:
                errors.setdefault(name, []).append(f"{what} с кодом «{raw[:64]}» не найден(а).")
            return found

        block = by_code("block", Block, "key", "Блок")
        category = by_code("category", Category, "code", "Категория")
        territory = by_code("territory", Territory, "code", "Территория")
        organisation = by_code("organisation", Organisation, "code", "Организация")
        channel = (params.get("channel") or "").strip()
        if channel:
            if channel not in channels.known():
                errors.setdefault("channel", []).append(f"Канал «{channel[:32]}» не известен.")
                channel = ""
        if block is not None and category is not None and category.block_id != block.pk:
            errors.setdefault("category", []).append(f"Категория «{category.name}» не входит в блок «{block.name}».")
        if errors:
            raise ValidationFailed("Фильтр задан неверно: " + " ".join(m for ms in errors.values() for m in ms), field_errors=errors)
        return cls(
            date_from=date_from,
            date_to=date_to,
            block=block,
            category=category,
            territory=territory,
            organisation=organisation,
            channel=channel,
            territory_ids=frozenset(territory.descendant_ids()) if territory is not None else frozenset(),
        )

    # --- the period as moments -----------------------------------------------------------------

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period (midnight of `date_from` in the platform's zone)."""
        return timezone.make_aware(dt.datetime.combine(self.date_from, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The moment after the period (midnight after `date_to`), excluded."""
        return timezone.make_aware(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    # --- what they select ----------------------------------------------------------------------

    def appeals_q(self, *, prefix: str = "", dates: bool = True) -> Q:
        """The condition on `Appeal` rows (or on a relation to them, with `prefix="appeal__"`)."""
        p = prefix
        q = Q()
        if dates:
            q &= Q(**{f"{p}received_at__gte": self.start, f"{p}received_at__lt": self.end})
        if self.category is not None:
            q &= Q(**{f"{p}category_id": self.category.pk})
        elif self.block is not None:
            q &= Q(**{f"{p}block_id": self.block.pk})
        if self.territory_ids:
            q &= Q(**{f"{p}territory_id__in": sorted(self.territory_ids)})
        if self.organisation is not None:
            q &= Q(**{f"{p}organisation_id": self.organisation.pk})
        if self.channel:
            q &= Q(**{f"{p}channel": self.channel})
        return q

    def params(self, **overrides: str | None) -> dict[str, str]:
        """The filters as query parameters (codes, ISO dates); an override of None drops one."""
        values = {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "block": self.block.key if self.block else "",
            "category": self.category.code if self.category else "",
            "territory": self.territory.code if self.territory else "",
            "organisation": self.organisation.code if self.organisation else "",
            "channel": self.channel,
        }
        for key, value in overrides.items():
            values[key] = value or ""
        return {k: v for k, v in values.items() if v}

    def query(self, **overrides: str | None) -> str:
        """`params` as a query string, for links that keep the filters (drill-down, exports)."""
        return urlencode(self.params(**overrides))

    def describe(self) -> str:
        """The selection in words, for page headings, exports and reports."""
        parts = [f"с {self.date_from:%d.%m.%Y} по {self.date_to:%d.%m.%Y}"]
        if self.category is not None:
            parts.append(f"категория «{self.category.name}»")
        elif self.block is not None:
            parts.append(f"блок «{self.block.name}»")
        if self.territory is not None:
            parts.append(f"территория «{self.territory.name}»")
        if self.organisation is not None:
            parts.append(f"организация «{self.organisation.short_name}»")
        if self.channel:
            parts.append(f"канал «{channels.label(self.channel)}»")
        return ", ".join(parts)


def choices() -> dict[str, list[tuple[str, str]]]:
    """(code, name) pairs for the filter form's selects (templates/workspace/center/_filters.html).
    Territories down to the municipalities and city okrugs: a settlement's code is still accepted."""
    levels = [Territory.Level.REGION, Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT, Territory.Level.OKRUG]
    return {
        "block": list(Block.objects.order_by("order", "name").values_list("key", "name")),
        "category": list(Category.objects.order_by("block__order", "name").values_list("code", "name")),
        "territory": list(Territory.objects.filter(level__in=levels).order_by("level", "name").values_list("code", "name")),
        "organisation": list(Organisation.objects.filter(is_active=True).order_by("short_name").values_list("code", "short_name")),
        "channel": sorted(((code, channels.label(code)) for code in channels.known()), key=lambda p: p[1]),
    }
