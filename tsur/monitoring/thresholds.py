"""A sensor metric's thresholds and hysteresis (the `metrics` of a sensor source's mapping), and
how its numbers read in Russian."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tsur.monitoring.errors import MappingError


def to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@dataclass(frozen=True, slots=True)
class Metric:
    """Thresholds of one sensor metric. A reading below `low` or above `high` is an alarm; an
    alarm clears only when a reading is back within [`low_clear`, `high_clear`] (hysteresis: a
    value wobbling around a threshold does not open and close events every minute)."""

    code: str
    label: str
    unit: str
    kind: str
    low: float | None = None
    low_clear: float | None = None
    high: float | None = None
    high_clear: float | None = None
    min: float | None = None
    max: float | None = None

    def alarm_after(self, value: float, alarm: bool) -> bool:
        """The alarm state once `value` is read, the state before being `alarm`."""
        if not alarm:
            return (self.low is not None and value < self.low) or (self.high is not None and value > self.high)
        above_low = self.low_clear is None or value >= self.low_clear
        below_high = self.high_clear is None or value <= self.high_clear
        return not (above_low and below_high)

    def impossible(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def breach(self, value: float) -> str:
        """A Russian phrase for an alarming value: «ниже нормы (порог 0,35 МПа)»."""
        if self.low is not None and value < self.low:
            return f"ниже нормы (порог {number_ru(self.low)} {self.unit})".replace(" )", ")")
        if self.high is not None and value > self.high:
            return f"выше нормы (порог {number_ru(self.high)} {self.unit})".replace(" )", ")")
        return "вне нормы"


def number_ru(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.3f}".rstrip("0").rstrip(".") if not float(value).is_integer() else str(int(value))
    return text.replace(".", ",")


def value_ru(value: float, unit: str) -> str:
    return f"{number_ru(value)} {unit}".strip()


def compile_metric(code: str, spec: Any) -> Metric:
    if not isinstance(spec, dict):
        raise MappingError(f"metric {code!r}: an object is expected")
    if not spec.get("kind"):
        raise MappingError(f"metric {code!r}: 'kind' (the EventKind code it opens) is required")
    bounds = {}
    for name in ("low", "low_clear", "high", "high_clear", "min", "max"):
        value = spec.get(name)
        if value is not None and to_number(value) is None:
            raise MappingError(f"metric {code!r}: {name} must be a number")
        bounds[name] = None if value is None else float(value)
    if bounds["low"] is None and bounds["high"] is None:
        raise MappingError(f"metric {code!r}: give 'low' or 'high'")
    if bounds["low"] is not None:
        bounds["low_clear"] = bounds["low"] if bounds["low_clear"] is None else bounds["low_clear"]
        if bounds["low_clear"] < bounds["low"]:
            raise MappingError(f"metric {code!r}: low_clear must not be below low")
    if bounds["high"] is not None:
        bounds["high_clear"] = bounds["high"] if bounds["high_clear"] is None else bounds["high_clear"]
        if bounds["high_clear"] > bounds["high"]:
            raise MappingError(f"metric {code!r}: high_clear must not be above high")
    return Metric(code=code, label=str(spec.get("label") or code), unit=str(spec.get("unit") or ""), kind=str(spec["kind"]), **bounds)
