"""The detector's configuration for this platform: the engine's defaults with the overrides of
settings.TSUR_TENSION (a dict of DetectorConfig field names), read once per call."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tsur.tension.engine.config import DetectorConfig


def detector_config() -> DetectorConfig:
    overrides = getattr(settings, "TSUR_TENSION", None) or {}
    try:
        return DetectorConfig().with_overrides(overrides)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"TSUR_TENSION: {exc}") from exc
