"""Reference data officials configure: territories, organisations, the taxonomy, queues.

Everything here is referenced by its `code`/`key`, never by its name.
"""

from __future__ import annotations

import datetime as dt

from django.db import models


class TerritoryManager(models.Manager):
    """Boundaries are large (kilobytes per district): load them only when asked for."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("boundary")


class Territory(models.Model):
    class Level(models.TextChoices):
        REGION = "region", "Регион"
        CITY_DISTRICT = "city_district", "Городской округ"
        MUNICIPAL_DISTRICT = "municipal_district", "Муниципальный район"
        OKRUG = "okrug", "Внутригородской округ"
        SETTLEMENT = "settlement", "Населённый пункт"

    code = models.SlugField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=200)
    level = models.CharField("уровень", max_length=32, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="входит в", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    oktmo = models.CharField("ОКТМО", max_length=16, blank=True)
    # GeoJSON geometry (Polygon / MultiPolygon), simplified for display and point-in-polygon.
    boundary = models.JSONField("граница (GeoJSON)", null=True, blank=True)
    lat = models.FloatField("широта центра", null=True, blank=True)
    lon = models.FloatField("долгота центра", null=True, blank=True)
    population = models.PositiveIntegerField("население", null=True, blank=True)
    source = models.CharField("источник данных", max_length=200, blank=True)
    # With the row count, the version stamp of the places triage is built from
    # (tsur.triage.places): every process sees an edit at its next batch.
    updated_at = models.DateTimeField("изменено", auto_now=True)

    objects = TerritoryManager()

    class Meta:
        verbose_name = "территория"
        verbose_name_plural = "территории"
        ordering = ["level", "name"]
        # Related look-ups (appeal.territory, territory.parent) use the deferring manager too.
        base_manager_name = "objects"

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> list[Territory]:
        chain: list[Territory] = []
        node: Territory | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of this territory and everything under it (the tree is shallow: a few levels)."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            frontier = list(Territory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.update(frontier)
        return ids


class Street(models.Model):
    """A street of a territory (usually a city): triage reads the names to normalise an address and
    to infer the city from a street when a text names no other place."""

    class Type(models.TextChoices):
        # The types place extraction knows (tsur/triage/engine/place/words.py STREET_TYPES).
        STREET = "улица", "улица"
        AVENUE = "проспект", "проспект"
        LANE = "переулок", "переулок"
        PASSAGE = "проезд", "проезд"
        SQUARE = "площадь", "площадь"
        BOULEVARD = "бульвар", "бульвар"
        HIGHWAY = "шоссе", "шоссе"
        DEAD_END = "тупик", "тупик"
        EMBANKMENT = "набережная", "набережная"
        MICRODISTRICT = "микрорайон", "микрорайон"
        SETTLEMENT = "посёлок", "посёлок (в черте города)"

    name = models.CharField("название", max_length=200, help_text="без типа: «Ленина», «1-я Загородная»")
    type = models.CharField("тип", max_length=16, choices=Type.choices, default=Type.STREET)
    territory = models.ForeignKey(Territory, verbose_name="территория", on_delete=models.PROTECT, related_name="streets")
    lat = models.FloatField("широта центра", null=True, blank=True)
    lon = models.FloatField("долгота центра", null=True, blank=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    class Meta:
        verbose_name = "улица"
        verbose_name_plural = "улицы"
        ordering = ["territory__name", "name", "type"]
        constraints = [models.UniqueConstraint(fields=["territory", "name", "type"], name="street_unique")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.name}"


class OutsidePlace(models.Model):
    """A city or region outside the configured one that residents name (a neighbour, a capital):
    naming it stops a bare street name from implying a territory of this region («ул. Ленина» in
    Moscow is not ours). Configuration, not code: every region has its own neighbours."""

    class Kind(models.TextChoices):
        CITY = "city", "город"
        REGION = "region", "регион («Тульская область»)"
        ABBREVIATION = "abbreviation", "сокращение («СПб», «мск»)"

    name = models.CharField(
        "название", max_length=120, help_text="город в именительном падеже («Тула»), регион полностью («Тульская область») или сокращение"
    )
    kind = models.CharField("вид", max_length=16, choices=Kind.choices, default=Kind.CITY)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    class Meta:
        verbose_name = "место за пределами региона"
        verbose_name_plural = "места за пределами региона"
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="outside_place_unique")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CENTER = "center", "Центр управления регионом"
        REGIONAL = "regional", "Региональный орган власти"
        MUNICIPAL = "municipal", "Орган местного самоуправления"
        FEDERAL = "federal", "Территориальный орган федеральной власти"
        COMPANY = "company", "Организация / предприятие"

    code = models.SlugField("код", max_length=64, unique=True)
    name = models.CharField("полное название", max_length=300)
    short_name = models.CharField("краткое название", max_length=120)
    kind = models.CharField("вид", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="вышестоящая", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    territories = models.ManyToManyField(
        Territory, verbose_name="территория компетенции", blank=True, related_name="organisations"
    )
    # Per-organisation working hours; empty means the deadline policy's defaults (9:00-18:00).
    work_start = models.TimeField("начало рабочего дня", null=True, blank=True)
    work_end = models.TimeField("конец рабочего дня", null=True, blank=True)
    is_active = models.BooleanField("действует", default=True)
    email = models.EmailField("служебный e-mail", blank=True)

    class Meta:
        verbose_name = "организация"
        verbose_name_plural = "организации"
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name

    @property
    def is_center(self) -> bool:
        return self.kind == self.Kind.CENTER


class CalendarException(models.Model):
    """A day an organisation works or rests against the production calendar (or, with no
    organisation, for everyone in this deployment, e.g. a regional holiday)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="организация", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_exceptions"
    )
    date = models.DateField("дата")
    is_working = models.BooleanField("рабочий день")
    work_end = models.TimeField("конец рабочего дня (если отличается)", null=True, blank=True)
    note = models.CharField("основание", max_length=200, blank=True)

    class Meta:
        verbose_name = "исключение календаря"
        verbose_name_plural = "исключения календаря"
        constraints = [models.UniqueConstraint(fields=["organisation", "date"], name="calendar_exception_unique")]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {'рабочий' if self.is_working else 'выходной'}"


class Regime(models.TextChoices):
    INCIDENT = "incident", "Инцидент (соцсети)"
    MESSAGE = "message", "Сообщение (ПОС)"
    APPEAL = "appeal", "Обращение (59-ФЗ)"


class Urgency(models.TextChoices):
    HIGH = "high", "Срочное"
    NORMAL = "normal", "Обычное"


URGENCY_CODES = frozenset(Urgency.values)  # as a set: TextChoices.values is rebuilt on every access


class Block(models.Model):
    """A sector block (Дороги, ЖКХ, ...). Keys are fixed by the product; names are data."""

    key = models.SlugField("ключ", max_length=32, unique=True)
    name = models.CharField("название", max_length=120)
    order = models.PositiveSmallIntegerField("порядок", default=0)

    class Meta:
        verbose_name = "блок"
        verbose_name_plural = "блоки"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    code = models.SlugField("код", max_length=64, unique=True)
    block = models.ForeignKey(Block, verbose_name="блок", on_delete=models.PROTECT, related_name="categories")
    name = models.CharField("название", max_length=300)
    default_urgency = models.CharField("срочность по умолчанию", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    # Empty: the regime follows the channel (social -> incident, widget -> message, letter -> appeal).
    default_regime = models.CharField("режим по умолчанию", max_length=16, choices=Regime.choices, blank=True)
    municipal_competence = models.BooleanField("вопрос местного значения", default=False)
    open311_code = models.CharField("код Open311", max_length=64, blank=True)
    is_public = models.BooleanField("доступна жителям", default=True)
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "категория"
        verbose_name_plural = "категории"
        ordering = ["block__order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def service_code(self) -> str:
        return self.open311_code or self.code


class Queue(models.Model):
    """A territorial queue: appeals located in `territory` whose category is of municipal
    competence (or in `categories`, when set) are handled by that territory's operators."""

    code = models.SlugField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=200)
    territory = models.ForeignKey(Territory, verbose_name="территория", on_delete=models.PROTECT)
    categories = models.ManyToManyField(Category, verbose_name="категории (пусто: все местного значения)", blank=True)
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "территориальная очередь"
        verbose_name_plural = "территориальные очереди"

    def __str__(self) -> str:
        return self.name


def default_work_hours() -> tuple[dt.time, dt.time]:
    return dt.time(9, 0), dt.time(18, 0)
