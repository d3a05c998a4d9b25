"""Listening (polling enabled channels into `receive`, backing off on errors) and the retention
purge of signals."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Count, Q

from tsur.channels import registry
from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError
from tsur.channels.models import ChannelConfig, InboundMessage, SignalPurge
from tsur.channels.policy import backoff, lease, setting
from tsur.channels.receiving import receive
from tsur.core import clock

log = logging.getLogger(__name__)

State = InboundMessage.State


def can_poll(config: ChannelConfig) -> bool:
    try:
        plugin = registry.get(config.kind)
    except KeyError:
        return False
    return plugin.poll is not ChannelPlugin.poll


def due_channels(now: dt.datetime) -> list[int]:
    configs = ChannelConfig.objects.filter(enabled=True).filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
    return [c.pk for c in configs.only("pk", "kind") if can_poll(c)]


def _poll_interval(plugin: ChannelPlugin) -> float:
    for name in ("poll_interval", "poll_seconds"):
        value = getattr(plugin.settings, name, None)
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return float(setting("TSUR_CHANNEL_POLL_SECONDS", 60))


def poll_channel(config_id: int) -> dict[str, int | str]:
    """Fetch what a listening channel has new, store it and move the cursor in one transaction
    (a crash before commit re-polls from the old cursor, and receive() drops what it has)."""
    now = clock.now()
    claimed = ChannelConfig.objects.filter(pk=config_id, enabled=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    ).update(next_poll_at=now + lease())
    if not claimed:
        return {"skipped": "не время или канал отключён"}
    config = ChannelConfig.objects.get(pk=config_id)
    try:
        plugin = config.plugin()
        items, cursor = plugin.poll(dict(config.cursor))
        items = list(items)
    except Exception as exc:
        return _poll_failed(config, exc)
    with transaction.atomic():
        counts = receive(config, items)
        ChannelConfig.objects.filter(pk=config.pk).update(
            cursor=cursor, last_polled_at=now, last_error="", failures=0, next_poll_at=clock.now() + dt.timedelta(seconds=_poll_interval(plugin))
        )
    log.info("channel %s polled: %s", config.code, counts)
    return counts


def _poll_failed(config: ChannelConfig, exc: Exception) -> dict[str, int | str]:
    if isinstance(exc, ChannelError | DeliveryError):
        reason = str(exc) or type(exc).__name__
    elif isinstance(exc, KeyError):
        reason = f"нет модуля канала вида «{config.kind}»"
    elif exc.__class__.__name__ == "ValidationError":
        reason = "настройки канала не прошли проверку: исправьте их в администрировании"
    else:
        reason = f"ошибка опроса ({type(exc).__name__})"
    failures = config.failures + 1
    delay = backoff(failures, base=60, cap=3600, retry_after=getattr(exc, "retry_after", None))
    ChannelConfig.objects.filter(pk=config.pk).update(
        last_error=reason[:1000], failures=failures, next_poll_at=clock.now() + dt.timedelta(seconds=delay)
    )
    log.warning("channel %s poll failed (%d in a row), next try in %.0f s: %s", config.code, failures, delay, reason)
    return {"error": reason}


# --- retention ----------------------------------------------------------------------------------


def purge_signals(now: dt.datetime | None = None) -> int:
    """Empty the text and raw payload of signals older than TSUR_SIGNAL_RETENTION_DAYS; the rows
    (channel, time, probability) stay so counts for analytics survive. Each run is recorded."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=int(setting("TSUR_SIGNAL_RETENTION_DAYS", 90)))
    due = InboundMessage.objects.filter(state=State.SIGNAL, processed_at__lt=cutoff, purged_at__isnull=True)
    by_channel = {r["channel__code"]: r["n"] for r in due.values("channel__code").annotate(n=Count("pk"))}
    if not by_channel:
        return 0
    with transaction.atomic():
        purged = due.update(text="", raw={}, purged_at=now)
        SignalPurge.objects.create(at=now, cutoff=cutoff, purged=purged, by_channel=by_channel)
    log.info("retention: purged the text of %d signals processed before %s", purged, cutoff.isoformat())
    return purged


