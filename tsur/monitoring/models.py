"""Objective monitoring as the platform keeps it.

- `Source`: one external system (a camera complex, the 112 system, the housing inspection, a sensor
  network) with its own key, its own schema mapping and its own kinds of events: configuration, not
  code (loaded for the demo from tsur/demo/data/monitoring.json, edited in the admin).
- `EventKind`: what a source reports (an overflowing container, a 112 card about a heating
  failure, a pressure drop), mapped to categories as data, with how far in place and time it
  matches residents' appeals and what proves it resolved.
- `MonitoringEvent`: one normalised event, unique on (source, external id); an update (a case
  closed, a reading back to normal) is a new `EventVersion`; the raw payload of every version is
  kept untouched beside the normalised fields.
- `SensorState`: per sensor and metric, the hysteresis that turns readings into events and back.
- `Reject`: what a source sent that was refused, with the reason (the source's health page).
- `Link`: an event and an appeal about the same thing, with a score and a Russian reason; stored,
  explained and correctable by an operator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.directory.models import Category, Territory


class SourceKind(models.TextChoices):
    CAMERA = "camera", "камеры «Безопасный город»"
    CALL112 = "call112", "система 112"
    HOUSING = "housing", "государственная жилищная инспекция"
    SENSOR = "sensor", "датчики"


class Resolution(models.TextChoices):
    """What proves an event's problem resolved."""

    CASE_CLOSED = "case_closed", "дело закрыто"  # the source sends a version with state closed
    READINGS_NORMAL = "readings_normal", "показания вернулись в норму"  # sensors, by hysteresis
    QUIET = "quiet", "нет новых срабатываний за период"  # cameras: no new detection for quiet_hours
    NONE = "none", "не определяется"  # 112 cards: a call proves a problem, not its end


class Source(models.Model):
    code = models.SlugField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=200)
    kind = models.CharField("вид", max_length=16, choices=SourceKind.choices)
    is_active = models.BooleanField("действует", default=True)
    # Per-source authentication: only a hash is stored; the raw key is shown once when issued.
    key_prefix = models.CharField("начало ключа", max_length=12, blank=True, db_index=True)
    key_hash = models.CharField("хеш ключа", max_length=64, blank=True, db_index=True)
    # How the source's payload maps to an event: {"external_id": "id", "occurred_at": "ts",
    # "kind": "type", "lat": "geo.lat", ...} (dotted paths), the source's type values mapped to
    # EventKind codes ({"kinds": {"CONTAINER_FULL": "container-overflow"}}), state values
    # ({"states": {"closed": "resolved"}}), sensor thresholds — whatever tsur.monitoring.mapping reads.
    mapping = models.JSONField("схема данных", default=dict, blank=True)
    # Fair share: events accepted per minute from this source (a flood cannot starve the others).
    rate_per_minute = models.PositiveIntegerField("событий в минуту", default=60000)
    max_batch = models.PositiveIntegerField("событий в запросе", default=5000)
    created_at = models.DateTimeField("создан", default=clock.now)
    last_event_at = models.DateTimeField("последнее событие", null=True, blank=True)

    class Meta:
        verbose_name = "источник мониторинга"
        verbose_name_plural = "источники мониторинга"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EventKind(models.Model):
    code = models.SlugField("код", max_length=64, unique=True)
    source_kind = models.CharField("вид источника", max_length=16, choices=SourceKind.choices)
    name = models.CharField("название", max_length=200)
    categories = models.ManyToManyField(Category, verbose_name="категории обращений", blank=True, related_name="+")
    # Matching: an appeal is near an event within this distance and this span around its time.
    radius_m = models.PositiveIntegerField("радиус совпадения, м", default=500)
    before_hours = models.PositiveIntegerField("обращения до события, ч", default=72)
    after_hours = models.PositiveIntegerField("обращения после события, ч", default=72)
    resolution = models.CharField("признак решения", max_length=20, choices=Resolution.choices, default=Resolution.NONE)
    quiet_hours = models.PositiveIntegerField("тишина для решения, ч", default=48)
    # May proof of resolution close an appeal whose answer promised the fix, and may a contradicting
    # event reopen one whose answer claimed the fix? Off unless the region decides so.
    may_close = models.BooleanField("может закрыть обращение", default=False)
    may_reopen = models.BooleanField("может возобновить обращение", default=False)

    class Meta:
        verbose_name = "вид события"
        verbose_name_plural = "виды событий"
        ordering = ["source_kind", "name"]

    def __str__(self) -> str:
        return self.name


class EventState(models.TextChoices):
    ACTIVE = "active", "действует"
    RESOLVED = "resolved", "устранено"


class MonitoringEvent(models.Model):
    source = models.ForeignKey(Source, verbose_name="источник", on_delete=models.PROTECT, related_name="events")
    external_id = models.CharField("идентификатор в источнике", max_length=200)
    kind = models.ForeignKey(EventKind, verbose_name="вид", on_delete=models.PROTECT, related_name="events")
    state = models.CharField("состояние", max_length=16, choices=EventState.choices, default=EventState.ACTIVE, db_index=True)
    version = models.PositiveIntegerField("версия", default=1)
    # The event's own time (what counts for matching and ordering), not when it reached us.
    occurred_at = models.DateTimeField("время события", db_index=True)
    received_at = models.DateTimeField("получено", default=clock.now)
    resolved_at = models.DateTimeField("устранено", null=True, blank=True)
    # The time of the newest version applied: an older version arriving late changes nothing.
    version_at = models.DateTimeField("время версии")
    title = models.CharField("описание", max_length=300, blank=True)
    address = models.CharField("адрес", max_length=300, blank=True)
    territory = models.ForeignKey(Territory, verbose_name="территория", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lat = models.FloatField("широта", null=True, blank=True)
    lon = models.FloatField("долгота", null=True, blank=True)
    cell = models.CharField("ячейка H3", max_length=16, blank=True, db_index=True)
    # Sensor readings: the metric, its value and unit; 112 cards: the services dispatched; cameras:
    # the frame image's address; inspection cases: the violation. Normalised, in Russian where shown.
    details = models.JSONField("подробности", default=dict, blank=True)
    image = models.FileField("кадр", upload_to="monitoring/%Y/%m/", blank=True)
    # Matching is recorded in the database first: null = waiting for the matcher (its sweeper
    # re-enqueues what a lost task left); the lag is matched_at − received_at.
    matched_at = models.DateTimeField("сопоставлено", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "событие мониторинга"
        verbose_name_plural = "события мониторинга"
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="monitoring_event_source_external_id")]
        indexes = [models.Index(fields=["kind", "occurred_at"]), models.Index(fields=["source", "received_at"])]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.title or self.external_id}"


class EventVersion(models.Model):
    event = models.ForeignKey(MonitoringEvent, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("версия")
    state = models.CharField("состояние", max_length=16, choices=EventState.choices)
    version_at = models.DateTimeField("время версии")
    received_at = models.DateTimeField("получено", default=clock.now)
    # Exactly what the source sent for this version (the request's bytes of this item, as text).
    payload = models.TextField("данные источника")
    normalised = models.JSONField("разобрано", default=dict)

    class Meta:
        verbose_name = "версия события"
        verbose_name_plural = "версии событий"
        constraints = [models.UniqueConstraint(fields=["event", "version"], name="monitoring_version_event_version")]
        ordering = ["event", "version"]

    def __str__(self) -> str:
        return f"версия {self.version}"


class SensorState(models.Model):
    source = models.ForeignKey(Source, verbose_name="источник", on_delete=models.CASCADE, related_name="sensor_states")
    sensor = models.CharField("датчик", max_length=200)
    metric = models.CharField("показатель", max_length=64)
    alarm = models.BooleanField("вне нормы", default=False)
    value = models.FloatField("последнее значение", null=True, blank=True)
    read_at = models.DateTimeField("время показания", null=True, blank=True)
    event = models.ForeignKey(MonitoringEvent, verbose_name="событие", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "состояние датчика"
        verbose_name_plural = "состояния датчиков"
        constraints = [models.UniqueConstraint(fields=["source", "sensor", "metric"], name="monitoring_sensor_metric")]

    def __str__(self) -> str:
        return f"{self.sensor}: {self.metric}"


class Reject(models.Model):
    source = models.ForeignKey(Source, verbose_name="источник", null=True, blank=True, on_delete=models.CASCADE, related_name="rejects")
    received_at = models.DateTimeField("получено", default=clock.now, db_index=True)
    external_id = models.CharField("идентификатор в источнике", max_length=200, blank=True)
    code = models.CharField("код", max_length=40)
    reason = models.CharField("причина", max_length=300)
    payload = models.TextField("данные (начало)", blank=True)

    class Meta:
        verbose_name = "отклонённое событие"
        verbose_name_plural = "отклонённые события"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reason


class LinkRole(models.TextChoices):
    CONFIRMS = "confirms", "подтверждает проблему"
    CLOSES = "closes", "доказывает решение"
    CONTRADICTS = "contradicts", "противоречит ответу"


class LinkStatus(models.TextChoices):
    AUTO = "auto", "связано автоматически"
    CONFIRMED = "confirmed", "подтверждено оператором"
    REJECTED = "rejected", "отклонено оператором"


class Link(models.Model):
    event = models.ForeignKey(MonitoringEvent, verbose_name="событие", on_delete=models.CASCADE, related_name="links")
    appeal = models.ForeignKey(Appeal, verbose_name="обращение", on_delete=models.CASCADE, related_name="monitoring_links")
    score = models.FloatField("оценка совпадения")
    reason = models.CharField("почему связано", max_length=500)
    status = models.CharField("статус", max_length=16, choices=LinkStatus.choices, default=LinkStatus.AUTO, db_index=True)
    # What the event says about the appeal now (tsur.monitoring.closure keeps it): it confirms the
    # problem; once resolved it proves the closure; a recurrence or a problem still there after the
    # answer claimed the fix contradicts the answer. `role_at`: when it took that role.
    role = models.CharField("значение", max_length=16, choices=LinkRole.choices, default=LinkRole.CONFIRMS, db_index=True)
    role_at = models.DateTimeField("значение с", null=True, blank=True)
    created_at = models.DateTimeField("создана", default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="решил", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("решение принято", null=True, blank=True)
    note = models.CharField("комментарий оператора", max_length=500, blank=True)

    class Meta:
        verbose_name = "связь события с обращением"
        verbose_name_plural = "связи событий с обращениями"
        constraints = [models.UniqueConstraint(fields=["event", "appeal"], name="monitoring_link_event_appeal")]
        indexes = [models.Index(fields=["appeal", "status"])]

    def __str__(self) -> str:
        return f"{self.event_id} ↔ {self.appeal_id}"


class PendingAppeal(models.Model):
    """An appeal created, moved or reclassified whose links the matcher has still to compute: the
    record of that work (deleted once done), so the sweeper re-does what a lost task left behind."""

    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, primary_key=True, related_name="+")
    marked_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = "обращение к сопоставлению"
        verbose_name_plural = "обращения к сопоставлению"

    def __str__(self) -> str:
        return f"обращение {self.appeal_id}"
