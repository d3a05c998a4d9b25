"""Delivering simulated items: in-process through the intake's one door (`ingest`), or over HTTP to
the event API with the source's key; residents' messages always through the appeals' creation
service (`create_appeals`, the path the widget and the app take), in the same database.

In-process, a replay of the past runs with the platform's clock set to each step's time
(`tsur.core.clock.at`), so what the services write — received times, matching, the points of
tension — is as it would have been then. With a speed, the steps are paced in real time (the gap
between two steps divided by the speed) and the clock is the real one."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from tsur.appeals.services import NewAppeal, create_appeals
from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.monitoring.intake import ingest
from tsur.monitoring.models import Source
from tsur.monitoring.simulate.burst import Message, Step
from tsur.monitoring.simulate.streams import Item


@dataclass
class Totals:
    """What the platform answered, summed over the deliveries."""

    sent: int = 0
    accepted: int = 0
    updated: int = 0
    late: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)  # Russian reason → count
    appeals: int = 0
    appeal_numbers: list[str] = field(default_factory=list)
    appeals_refused: Counter = field(default_factory=Counter)

    def add(self, answer: dict) -> None:
        for name in ("accepted", "updated", "late", "duplicates"):
            setattr(self, name, getattr(self, name) + int(answer.get(name, 0)))
        for r in answer.get("rejected", []):
            self.rejected[r.get("message", "")] += 1

    def as_dict(self) -> dict:
        return {
            "sent": self.sent, "accepted": self.accepted, "updated": self.updated, "late": self.late,
            "duplicates": self.duplicates, "rejected": sum(self.rejected.values()), "reject_reasons": dict(self.rejected),
            "appeals": self.appeals, "appeals_refused": dict(self.appeals_refused),
        }  # fmt: skip


class Sender(Protocol):
    def send(self, source_code: str, payloads: list[dict]) -> dict: ...


class InProcess:
    """Through `tsur.monitoring.intake.ingest`, received at the platform's clock."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}

    def send(self, source_code: str, payloads: list[dict]) -> dict:
        source = self._sources.get(source_code)
        if source is None:
            source = Source.objects.filter(code=source_code).first()
            if source is None:
                raise LookupError(f"Источник «{source_code}» не заведён: загрузите источники мониторинга (tsur load_demo).")
            self._sources[source_code] = source
        return ingest(source, payloads, received_at=clock.now()).as_dict()


class Http:
    """POST /api/monitoring/events with `Authorization: Bearer <key>` of the item's source."""

    def __init__(self, url: str, keys: dict[str, str], *, timeout: float = 60) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Адрес платформы должен начинаться с http:// или https:// (получено «{url}»).")
        self.parts = parts
        self.keys = keys
        self.timeout = timeout

    def send(self, source_code: str, payloads: list[dict]) -> dict:
        key = self.keys.get(source_code)
        if not key:
            raise LookupError(f"Нет ключа источника «{source_code}»: укажите --key {source_code}=КЛЮЧ.")
        conn_class = http.client.HTTPSConnection if self.parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(self.parts.hostname, self.parts.port, timeout=self.timeout)
        body = json.dumps(payloads, ensure_ascii=False).encode("utf-8")
        path = self.parts.path.rstrip("/") + "/api/monitoring/events"
        for _attempt in range(5):
            conn.request("POST", path, body, {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
            if response.status == 429:  # the source's share is spent: wait as told, then again
                time.sleep(min(float(response.getheader("Retry-After") or 1), 60))
                continue
            conn.close()
            if response.status in (200, 422):
                return data
            raise RuntimeError(f"Платформа ответила {response.status}: {data.get('message', '')}")
        conn.close()
        raise RuntimeError("Платформа отказывает: доля источника исчерпана (429) пять раз подряд.")


def batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive items of one source, at most `size` together (sent as one request)."""
    chunk: list[Item] = []
    for item in items:
        if chunk and (item.source != chunk[0].source or len(chunk) >= size):
            yield chunk
            chunk = []
        chunk.append(item)
    if chunk:
        yield chunk


def _messages(messages: Iterable[Message], totals: Totals) -> None:
    items = [
        NewAppeal(channel=m.channel, text=m.text, category_code=m.category_code, address=m.place.address, lat=m.lat, lon=m.lon,
                  external_id=m.external_id, received_at=m.at)
        for m in messages
    ]  # fmt: skip
    for result in create_appeals(items):
        if isinstance(result, ValidationFailed):
            totals.appeals_refused[result.message] += 1
        else:
            totals.appeals += 1
            totals.appeal_numbers.append(result.number)


class Pace:
    """When to send each step: at once with the clock set to its time (speed 0), or paced in real
    time at `speed` times the steps' own gaps with the real clock."""

    def __init__(self, speed: float = 0, sleep: Callable[[float], None] = time.sleep) -> None:
        if speed < 0:
            raise ValueError("Скорость не может быть отрицательной.")
        self.speed = speed
        self.sleep = sleep
        self._first: dt.datetime | None = None
        self._started = 0.0

    @contextlib.contextmanager
    def at(self, moment: dt.datetime) -> Iterator[None]:
        if not self.speed:
            with clock.at(moment):
                yield
            return
        if self._first is None:
            self._first, self._started = moment, time.monotonic()
        wait = (moment - self._first).total_seconds() / self.speed - (time.monotonic() - self._started)
        if wait > 0:
            self.sleep(wait)
        yield


def run_items(items: list[Item], sender: Sender, *, batch: int = 500, pace: Pace | None = None, progress=None) -> Totals:
    """Send a stream (in time order) in batches; each batch is received at its last item's time."""
    pace = pace or Pace()
    totals = Totals()
    for chunk in batches(items, batch):
        with pace.at(chunk[-1].at):
            totals.add(sender.send(chunk[0].source, [i.payload for i in chunk]))
        totals.sent += len(chunk)
        if progress:
            progress(chunk[-1].at, totals)
    return totals


def run_steps(steps: list[Step], sender: Sender, *, pace: Pace | None = None, progress=None) -> Totals:
    """Send the burst's steps in order: items to their source, messages to the appeals' service."""
    pace = pace or Pace()
    totals = Totals()
    for step in steps:
        with pace.at(step.at):
            if step.items:
                totals.add(sender.send(step.source, [i.payload for i in step.items]))
                totals.sent += len(step.items)
            if step.messages:
                _messages(step.messages, totals)
        if progress and step.note:
            progress(step, totals)
    return totals
