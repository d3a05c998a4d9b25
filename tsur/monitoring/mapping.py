"""A source's mapping: one item the external system sent → the normalised fields of an event.

The mapping is the `Source.mapping` JSON (its format: docs/monitoring.md, «The mapping»). The four
shipped kinds of source differ only by it; nothing here knows a system by name. `Mapping.compile`
checks the configuration once per batch (a mistake there is the administrator's: `MappingError`);
`Mapping.normalise` turns one item into `Normalised` or raises `ItemError`, whose code, Russian
message and field path are what the source is told about that item.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from tsur.monitoring.errors import ItemError, MappingError
from tsur.monitoring.models import EventState
from tsur.monitoring.thresholds import Metric, compile_metric, number_ru, to_number

# Times before this or after this are a unit mistake (milliseconds sent as seconds), not an event.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
# What a frame may be, told by its first bytes (the source's word for the type is not trusted).
IMAGE_TYPES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
TEXT_LIMITS = {"external_id": 200, "title": 300, "address": 300}
STATE_WORDS = {EventState.ACTIVE.value, EventState.RESOLVED.value}


@dataclass(frozen=True, slots=True)
class ImageUrl:
    url: str


@dataclass(frozen=True, slots=True)
class ImageData:
    content: bytes
    extension: str


@dataclass(slots=True)
class Reading:
    sensor: str
    metric: str
    value: float
    unit: str


@dataclass(slots=True)
class Normalised:
    external_id: str
    occurred_at: dt.datetime
    version_at: dt.datetime
    version_no: int | None = None
    resolved_at: dt.datetime | None = None
    kind: str = ""  # an EventKind code
    state: str = EventState.ACTIVE
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    territory: str = ""  # the source's code or name of a territory, resolved by intake
    title: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    image: ImageUrl | ImageData | None = None
    reading: Reading | None = None


def _path(spec: Any, name: str) -> tuple[str | int, ...] | None:
    if spec in (None, ""):
        return None
    if not isinstance(spec, str):
        raise MappingError(f"mapping field {name!r}: a dotted path string is expected, got {spec!r}")
    return tuple(int(p) if p.isdigit() else p for p in spec.split("."))


_MISSING = object()


def _get(item: Any, path: tuple[str | int, ...]) -> Any:
    node = item
    for part in path:
        if isinstance(part, int) and isinstance(node, list):
            if part >= len(node):
                return _MISSING
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(str(part), _MISSING)
            if node is _MISSING:
                return _MISSING
        else:
            return _MISSING
    return node


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def parse_time(value: Any, where: str) -> dt.datetime:
    """ISO 8601 with an offset (or Z), or epoch seconds (a number or a string of digits)."""
    if isinstance(value, bool):
        raise ItemError("bad_time", "Время должно быть строкой ISO 8601 с часовым поясом или числом секунд Unix.", where)
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ItemError("bad_time", "Время — не число секунд Unix.", where)
        try:
            moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ItemError("bad_time", "Время вне допустимого диапазона.", where) from None
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ItemError(
                "bad_time", f"Время не распознано: ожидается ISO 8601, например 2026-12-05T14:30:00+03:00 (получено «{value[:40]}»).", where
            ) from None
        if moment.tzinfo is None:
            raise ItemError("bad_time", "Время без часового пояса: укажите смещение, например +03:00, или Z.", where)
    else:
        raise ItemError("bad_time", "Время должно быть строкой ISO 8601 с часовым поясом или числом секунд Unix.", where)
    if not EARLIEST <= moment < LATEST:
        raise ItemError("bad_time", "Время вне допустимого диапазона (2000–2099 годы): проверьте единицы (секунды, не миллисекунды).", where)
    return moment


def _text(value: Any, where: str, limit: int | None = None) -> str:
    if isinstance(value, (dict, list)) or isinstance(value, bool):
        raise ItemError("bad_value", "Ожидается строка.", where)
    text = str(value).strip()
    if "\x00" in text:
        raise ItemError("bad_value", "Недопустимые символы в строке.", where)
    if limit is not None and len(text) > limit:
        raise ItemError("too_long", f"Слишком длинное значение: не более {limit} знаков.", where)
    return text


def _display(value: Any) -> Any:
    """A detail as it is shown: a list of plain values as one line, anything else as it came."""
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    return value


FIELD_NAMES = (
    "external_id", "occurred_at", "version_at", "version", "resolved_at", "kind", "state",
    "lat", "lon", "address", "territory", "title", "image",
)  # fmt: skip
SENSOR_NAMES = ("id", "metric", "value", "unit")


@dataclass(frozen=True)
class Mapping:
    paths: dict[str, tuple[str | int, ...]]
    kinds: dict[str, str]
    default_kind: str
    states: dict[str, str]
    territory_by: str
    details: tuple[tuple[tuple[str | int, ...], str], ...]
    max_image_bytes: int
    sensor: dict[str, tuple[str | int, ...]]
    metrics: dict[str, Metric]

    @property
    def is_sensor(self) -> bool:
        return bool(self.metrics)

    @classmethod
    def compile(cls, spec: AnyMapping[str, Any]) -> Mapping:
        if not isinstance(spec, AnyMapping):
            raise MappingError("the mapping must be a JSON object")
        fields = spec.get("fields") or {}
        unknown = set(fields) - set(FIELD_NAMES)
        if unknown:
            raise MappingError(f"unknown mapping fields: {sorted(unknown)}")
        paths = {name: p for name, value in fields.items() if (p := _path(value, name)) is not None}
        sensor_spec = spec.get("sensor") or {}
        sensor = {name: p for name, value in sensor_spec.items() if (p := _path(value, f"sensor.{name}")) is not None}
        metrics = {str(code): compile_metric(str(code), m) for code, m in (spec.get("metrics") or {}).items()}
        if metrics:
            for name in ("id", "value"):
                if name not in sensor:
                    raise MappingError(f"a sensor mapping needs sensor.{name}")
            if "metric" not in sensor and len(metrics) != 1:
                raise MappingError("sensor.metric is needed when more than one metric is configured")
        elif "external_id" not in paths:
            raise MappingError("fields.external_id is required")
        if "occurred_at" not in paths:
            raise MappingError("fields.occurred_at is required")
        states = {str(k): str(v) for k, v in (spec.get("states") or {}).items()}
        if set(states.values()) - STATE_WORDS:
            raise MappingError(f"states map to {sorted(STATE_WORDS)} only")
        if "kind" not in paths and not spec.get("default_kind") and not metrics:
            raise MappingError("fields.kind or default_kind is required")
        territory_by = spec.get("territory_by") or "code"
        if territory_by not in ("code", "name", "oktmo"):
            raise MappingError("territory_by is one of code, name, oktmo")
        details = []
        for row in spec.get("details") or []:
            if not isinstance(row, dict) or not row.get("path") or not row.get("label"):
                raise MappingError("each of details is {'path': ..., 'label': ...}")
            details.append((_path(row["path"], "details"), str(row["label"])))
        return cls(
            paths=paths,
            kinds={str(k): str(v) for k, v in (spec.get("kinds") or {}).items()},
            default_kind=str(spec.get("default_kind") or ""),
            states=states,
            territory_by=territory_by,
            details=tuple(details),  # type: ignore[arg-type]
            max_image_bytes=int(spec.get("max_image_bytes") or DEFAULT_MAX_IMAGE_BYTES),
            sensor=sensor,
            metrics=metrics,
        )

    def kind_codes(self) -> set[str]:
        return set(self.kinds.values()) | {self.default_kind} - {""} | {m.kind for m in self.metrics.values()}

    # --- one item ----------------------------------------------------------------------------

    def _value(self, item: dict, name: str, *, required: bool = False) -> Any:
        path = self.paths.get(name)
        value = _MISSING if path is None else _get(item, path)
        if value is _MISSING or value is None or value == "":
            if required:
                where = _dotted(path) if path else name
                raise ItemError("missing_field", f"Нет обязательного поля «{where}».", where)
            return None
        return value

    # The field's path is written into an error only when there is one (most items have none).
    def _time(self, value: Any, name: str) -> dt.datetime:
        try:
            return parse_time(value, "")
        except ItemError as exc:
            exc.field = self.where(name)
            raise

    def _text(self, value: Any, name: str, limit: int | None = None) -> str:
        try:
            return _text(value, "", limit)
        except ItemError as exc:
            exc.field = self.where(name)
            raise

    def where(self, name: str) -> str:
        path = self.paths.get(name)
        return _dotted(path) if path else name

    def normalise(self, item: Any) -> Normalised:
        if not isinstance(item, dict):
            raise ItemError("malformed", "Событие должно быть объектом JSON.", "")
        occurred_at = self._time(self._value(item, "occurred_at", required=True), "occurred_at")
        reading = self._reading(item) if self.is_sensor else None
        if reading is None:
            external_id = self._text(self._value(item, "external_id", required=True), "external_id", TEXT_LIMITS["external_id"])
        else:  # a sensor's event is named by what opened it: the sensor, the metric and the reading's time
            external_id = f"{reading.sensor}:{reading.metric}:{occurred_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"[:200]
        out = Normalised(external_id=external_id, occurred_at=occurred_at, version_at=occurred_at, reading=reading)
        raw_resolved = self._value(item, "resolved_at")
        if raw_resolved is not None:
            out.resolved_at = self._time(raw_resolved, "resolved_at")
        raw_version_at = self._value(item, "version_at")
        if raw_version_at is not None:
            out.version_at = self._time(raw_version_at, "version_at")
        elif out.resolved_at is not None:
            out.version_at = max(occurred_at, out.resolved_at)
        raw_version = self._value(item, "version")
        if raw_version is not None:
            number = to_number(raw_version)
            if number is None or not number.is_integer() or number < 0:
                raise ItemError("bad_value", "Номер версии — целое неотрицательное число.", self.where("version"))
            out.version_no = int(number)
        if reading is None:
            out.kind = self._kind(item)
            out.state = self._state(item)
        if out.state == EventState.RESOLVED and out.resolved_at is None:
            out.resolved_at = out.version_at
        self._place(item, out)
        title = self._value(item, "title")
        out.title = self._text(title, "title")[: TEXT_LIMITS["title"]] if title is not None else ""
        for path, label in self.details:
            value = _get(item, path)
            if value is not _MISSING and value not in (None, "", []):
                out.details[label] = _display(value)
        image = self._value(item, "image")
        if image is not None:
            out.image = self._image(image)
        return out

    def _kind(self, item: dict) -> str:
        raw = self._value(item, "kind")
        if raw is None:
            if self.default_kind:
                return self.default_kind
            raise ItemError("missing_field", f"Нет обязательного поля «{self.where('kind')}».", self.where("kind"))
        code = self.kinds.get(str(raw).strip()) if not isinstance(raw, (dict, list)) else None
        if code is None:
            raise ItemError("unknown_kind", f"Вид события «{str(raw)[:60]}» не настроен для этого источника.", self.where("kind"))
        return code

    def _state(self, item: dict) -> str:
        raw = self._value(item, "state")
        if raw is None:
            return EventState.ACTIVE
        key = str(raw).strip() if not isinstance(raw, (dict, list)) else ""
        state = self.states.get(key) or (key if not self.states and key in STATE_WORDS else None)
        if state is None:
            raise ItemError("unknown_state", f"Состояние «{key[:60]}» не настроено для этого источника.", self.where("state"))
        return state

    def _place(self, item: dict, out: Normalised) -> None:
        lat, lon = self._value(item, "lat"), self._value(item, "lon")
        if (lat is None) != (lon is None):
            missing = "lon" if lon is None else "lat"
            raise ItemError("bad_coordinates", "Координаты неполные: нужны и широта, и долгота.", self.where(missing))
        if lat is not None:
            out.lat, out.lon = to_number(lat), to_number(lon)
            if out.lat is None or not -90 <= out.lat <= 90:
                raise ItemError("bad_coordinates", "Широта — число от −90 до 90.", self.where("lat"))
            if out.lon is None or not -180 <= out.lon <= 180:
                raise ItemError("bad_coordinates", "Долгота — число от −180 до 180.", self.where("lon"))
        address = self._value(item, "address")
        if address is not None:
            out.address = self._text(address, "address")[: TEXT_LIMITS["address"]]
        territory = self._value(item, "territory")
        if territory is not None:
            out.territory = self._text(territory, "territory", 200)

    def _reading(self, item: dict) -> Reading:
        def value_at(name: str) -> Any:
            path = self.sensor.get(name)
            return _MISSING if path is None else _get(item, path)

        def where(name: str) -> str:
            return _dotted(self.sensor[name]) if name in self.sensor else f"sensor.{name}"

        sensor = value_at("id")
        if sensor in (_MISSING, None, ""):
            raise ItemError("missing_field", f"Нет обязательного поля «{where('id')}» (датчик).", where("id"))
        sensor = _text(sensor, where("id"), 120)
        metric_raw = value_at("metric")
        if metric_raw in (_MISSING, None, ""):
            if "metric" in self.sensor:
                raise ItemError("missing_field", f"Нет обязательного поля «{where('metric')}» (показатель).", where("metric"))
            metric = next(iter(self.metrics.values()))
        else:
            metric = self.metrics.get(str(metric_raw).strip())
            if metric is None:
                raise ItemError("unknown_metric", f"Показатель «{str(metric_raw)[:60]}» не настроен для этого источника.", where("metric"))
        raw_value = value_at("value")
        if raw_value in (_MISSING, None, ""):
            raise ItemError("missing_field", f"Нет обязательного поля «{where('value')}» (значение).", where("value"))
        value = to_number(raw_value)
        if value is None:
            raise ItemError("bad_value", "Значение показания — число.", where("value"))
        unit_raw = value_at("unit")
        unit = "" if unit_raw in (_MISSING, None) else _text(unit_raw, where("unit"), 20)
        if unit and metric.unit and unit != metric.unit:
            raise ItemError("unit_mismatch", f"Единица «{unit}» не совпадает с настроенной для показателя («{metric.unit}»).", where("unit"))
        if metric.impossible(value):
            bounds = (
                f"от {number_ru(metric.min)} до {number_ru(metric.max)}"
                if metric.min is not None and metric.max is not None
                else (f"не меньше {number_ru(metric.min)}" if metric.min is not None else f"не больше {number_ru(metric.max)}")
            )
            raise ItemError(
                "out_of_range",
                f"Показание {number_ru(value)} {metric.unit} физически невозможно для показателя «{metric.label}» (допустимо {bounds}).".replace(
                    "  ", " "
                ),
                where("value"),
            )
        return Reading(sensor=sensor, metric=metric.code, value=value, unit=unit or metric.unit)

    def _image(self, value: Any) -> ImageUrl | ImageData:
        where = self.where("image")
        if not isinstance(value, str):
            raise ItemError("bad_image", "Кадр — адрес http(s) или изображение в base64.", where)
        text = value.strip()
        if text.startswith(("http://", "https://")):
            if len(text) > 1000 or any(c.isspace() for c in text):
                raise ItemError("bad_image", "Адрес кадра слишком длинный или с пробелами.", where)
            return ImageUrl(text)
        if text.startswith("data:"):
            header, _, text = text.partition(",")
            if ";base64" not in header:
                raise ItemError("bad_image", "Кадр в data: должен быть в base64.", where)
        # base64 is 4/3 of the bytes: refuse an oversized frame before decoding it.
        if len(text) * 3 // 4 > self.max_image_bytes + 3:
            raise ItemError("image_too_large", f"Кадр больше {self.max_image_bytes // 1024} КБ.", where)
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ItemError("bad_image", "Кадр не разобран: ожидается адрес http(s) или base64.", where) from None
        if len(content) > self.max_image_bytes:
            raise ItemError("image_too_large", f"Кадр больше {self.max_image_bytes // 1024} КБ.", where)
        for magic, extension in IMAGE_TYPES:
            if content.startswith(magic):
                return ImageData(content, extension)
        raise ItemError("bad_image", "Кадр должен быть изображением JPEG или PNG.", where)
