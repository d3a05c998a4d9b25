"""`tsur bench monitoring`: event intake into the database in bulk, with matching running at the
same time in another process, on a scratch database with the demo's configuration.

The events are the demo sources' own formats (tsur/demo/data/monitoring.json): camera detections
at fixed cameras, 112 cards, inspection cases and sensor readings around the city, with a share
of newer versions (a card closed, a case's next revision) and of exact resends (duplicates). The
intake is `tsur.monitoring.intake.ingest` called with batches of JSON texts, as the API calls it;
with `--http` the same batches also go through the real API (a server in its own process, one
POST per batch). The matcher (`tsur.monitoring.matching.match_pending`) runs in a second process
while the events come in; the lag is matched_at − the time the applied version was received.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import multiprocessing
import random
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.db import connection, connections

CITY = (54.47, 54.57, 36.15, 36.35)  # lat0, lat1, lon0, lon1: the city the demo's events happen in
STREETS = ("ул. Кирова", "ул. Ленина", "ул. Пролетарская", "ул. Чижевского", "ул. Гагарина", "ул. Московская", "пр. Ленина", "ул. Суворова")
SHARES = (("kaluga-safe-city", 0.3), ("kaluga-112", 0.2), ("kaluga-gzhi", 0.1), ("kaluga-sensors", 0.4))
METRICS = {  # normal level, spread, an excursion's level
    "P_SUPPLY": ("МПа", 0.62, 0.05, 0.2),
    "T_SUPPLY": ("°C", 85.0, 4.0, 45.0),
    "P_WATER": ("МПа", 0.4, 0.03, 0.12),
    "TURBIDITY": ("ЕМФ", 1.0, 0.3, 4.0),
    "PM25": ("мкг/м³", 18.0, 6.0, 90.0),
}


def percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Stream:
    """N items of the four sources, in the order they are sent: (source code, JSON text)."""

    def __init__(self, count: int, seed: int, now: dt.datetime, *, update_share: float, duplicate_share: float) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.run = uuid.uuid4().hex[:6]
        self.sent: dict[str, list[dict]] = defaultdict(list)
        self.cameras = [self._point() for _ in range(300)]
        self.sensors = [(f"TS-{self.run}-{i:04d}", self.rng.choice(list(METRICS)), self._point()) for i in range(400)]
        self.sensor_clock = {s[0]: 0 for s in self.sensors}
        self.excursion: dict[str, int] = {}
        self.items: list[tuple[str, str]] = []
        codes, weights = zip(*SHARES, strict=True)
        for i in range(count):
            code = self.rng.choices(codes, weights)[0]
            roll = self.rng.random()
            earlier = [p for p in self.sent[code] if code != "kaluga-sensors"]
            if roll < duplicate_share and self.sent[code]:
                payload = self.rng.choice(self.sent[code])  # the same item again: a duplicate
            elif roll < duplicate_share + update_share and earlier:
                payload = self._update(code, self.rng.choice(earlier))
            else:
                payload = self._new(code, i)
            self.sent[code].append(payload)
            self.items.append((code, json.dumps(payload, ensure_ascii=False)))

    def _point(self) -> tuple[float, float]:
        lat0, lat1, lon0, lon1 = CITY
        return round(self.rng.uniform(lat0, lat1), 6), round(self.rng.uniform(lon0, lon1), 6)

    def _time(self, hours_back: float = 6.0) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.rng.uniform(60, hours_back * 3600))

    def _address(self) -> str:
        return f"Калуга, {self.rng.choice(STREETS)}, {self.rng.randint(1, 120)}"

    def _new(self, code: str, i: int) -> dict:
        rng = self.rng
        if code == "kaluga-safe-city":
            number = rng.randrange(len(self.cameras))
            lat, lon = self.cameras[number]
            camera = {"id": f"CAM-{number:04d}", "address": self._address(), "lat": lat, "lon": lon}
            kind = rng.choices(("CONTAINER_OVERFLOW", "ILLEGAL_DUMP", "ROAD_ACCIDENT", "SNOW_ON_ROAD"), (5, 1.5, 1, 2.5))[0]
            at = self._time()
            return {
                "detection_id": f"SC-{self.run}-{i}", "camera": camera,
                "class": kind, "confidence": round(rng.uniform(0.6, 0.99), 2), "detected_at": at.isoformat(), "status": "open",
                "frame": f"https://video.example.org/frames/{self.run}/{i}.jpg",
            }  # fmt: skip
        if code == "kaluga-112":
            lat, lon = self._point()
            at = self._time()
            kind = rng.choices(("ТЕПЛОСНАБЖЕНИЕ", "ВОДОСНАБЖЕНИЕ", "ДТП", "ЗАПАХ_ГАЗА", "ЭЛЕКТРОСНАБЖЕНИЕ"), (3, 2, 3, 1, 1))[0]
            return {
                "card_id": f"112-{self.run}-{i}", "incident_type": kind, "description": "Сообщение заявителя", "address": self._address(),
                "lat": lat, "lon": lon, "reg_time": at.isoformat(), "upd_time": at.isoformat(), "card_status": "ОТКРЫТА",
                "services": rng.sample(["ЕДДС", "Аварийная служба", "Полиция", "Скорая помощь", "Газовая служба"], 2), "dds": "ЕДДС г. Калуги",
            }  # fmt: skip
        if code == "kaluga-gzhi":
            lat, lon = self._point()
            at = self._time(48)
            kind = rng.choice(("ТЕПЛО", "ВОДА", "ОИ", "ЛИФТ", "ПРИДОМ"))
            return {
                "case": {"number": f"ГЖИ-{self.run}-{i}", "revision": 1, "opened": at.isoformat(), "closed": None, "status": "проверка"},
                "violation": {"code": kind, "text": "Нарушение по обращению", "order": None},
                "object": {"address": self._address(), "oktmo": "29701000", "geo": {"lat": lat, "lon": lon}, "manager": "УК"},
            }  # fmt: skip
        device, metric, (lat, lon) = rng.choice(self.sensors)
        unit, normal, spread, excursion = METRICS[metric]
        self.sensor_clock[device] += 1
        step = self.sensor_clock[device]
        if device in self.excursion:
            value = excursion if step < self.excursion[device] else normal
            if step >= self.excursion[device]:
                del self.excursion[device]
        elif rng.random() < 0.03:
            self.excursion[device] = step + rng.randint(2, 6)
            value = excursion
        else:
            value = rng.gauss(normal, spread)
        value = max(0.0, round(value, 3))
        ts = int((self.now - dt.timedelta(hours=6)).timestamp()) + step * 60
        return {
            "device": device,
            "param": metric,
            "val": value,
            "unit": unit,
            "ts": ts,
            "net": "магистраль",
            "loc": {"lat": lat, "lon": lon, "addr": "ТК"},
        }

    def _update(self, code: str, before: dict) -> dict:
        def later(text: str) -> str:  # a few minutes after, but never after the present
            moment = dt.datetime.fromisoformat(text) + dt.timedelta(minutes=self.rng.randint(5, 50))
            return min(moment, self.now).isoformat()

        if code == "kaluga-safe-city":
            return {**before, "status": "cleared", "cleared_at": later(before["detected_at"])}
        if code == "kaluga-112":
            closed = later(before["upd_time"])
            return {**before, "card_status": "ЗАКРЫТА", "upd_time": closed, "close_time": closed}
        case = dict(before["case"], revision=before["case"]["revision"] + 1, status="закрыто", closed=later(before["case"]["opened"]))
        return {**before, "case": case}

    def batches(self, size: int) -> list[tuple[str, list[str]]]:
        """Per source, consecutive batches of `size` items, interleaved in the order they fill."""
        out: list[tuple[str, list[str]]] = []
        buffers: dict[str, list[str]] = defaultdict(list)
        for code, text in self.items:
            buffers[code].append(text)
            if len(buffers[code]) == size:
                out.append((code, buffers.pop(code)))
        out.extend((code, texts) for code, texts in buffers.items() if texts)
        return out


def _matcher(done, deadline: float, limit: int) -> None:
    from tsur.monitoring.matching import match_pending

    connections.close_all()  # never share the parent's connection after fork
    while time.time() < deadline:
        if not match_pending(limit=limit):
            if done.is_set() and not match_pending(limit=limit):
                break
            time.sleep(0.01)
    connections.close_all()


def _server(port_queue, ready) -> None:
    """The platform's WSGI application on a free loopback port, in this process."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    connections.close_all()
    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    port_queue.put(server.server_address[1])
    ready.set()
    server.serve_forever()


def _empty() -> None:
    from tsur.monitoring.models import MonitoringEvent, Reject, SensorState

    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (MonitoringEvent, SensorState, Reject))
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
    else:
        SensorState.objects.all().delete()
        Reject.objects.all().delete()
        MonitoringEvent.objects.all().delete()


def _lags() -> list[float]:
    """matched_at − the receipt of the version the matcher saw (the newest received before it)."""
    from tsur.monitoring.models import EventVersion, MonitoringEvent

    received: dict[int, list[dt.datetime]] = defaultdict(list)
    for event_id, at in EventVersion.objects.values_list("event_id", "received_at"):
        received[event_id].append(at)
    lags = []
    for pk, matched_at in MonitoringEvent.objects.exclude(matched_at=None).values_list("pk", "matched_at"):
        seen = [r for r in received[pk] if r <= matched_at]
        if seen:
            lags.append((matched_at - max(seen)).total_seconds() * 1000)
    return lags


def one_run(stream: Stream, size: int, send: Callable[[str, list[str]], dict], *, matching: bool, limit: int) -> dict:
    from tsur.monitoring.models import MonitoringEvent

    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    connections.close_all()
    matcher = ctx.Process(target=_matcher, args=(done, time.time() + 1800, limit)) if matching else None
    if matcher is not None:
        matcher.start()
    totals: dict[str, int] = defaultdict(int)
    started = time.perf_counter()
    wall_start = dt.datetime.now(dt.UTC)
    try:
        for code, texts in stream.batches(size):
            result = send(code, texts)
            for key in ("accepted", "updated", "late", "duplicates"):
                totals[key] += result[key]
            totals["rejected"] += len(result["rejected"])
        intake_seconds = time.perf_counter() - started
    finally:
        done.set()  # the matcher stops once the queue is empty, whatever happened here
        if matcher is not None:
            matcher.join()
    count = len(stream.items)
    run = {"intake_seconds": round(intake_seconds, 3), "intake_events_per_second": round(count / intake_seconds, 1), **totals}
    if matching:
        rows = MonitoringEvent.objects.exclude(matched_at=None)
        matched = rows.count()
        last = max(rows.values_list("matched_at", flat=True), default=wall_start)
        lags = _lags()
        span = max((last - wall_start).total_seconds(), 1e-6)
        run.update(
            events_stored=MonitoringEvent.objects.count(),
            events_matched=matched,
            matched_events_per_second=round(matched / span, 1),
            matching_finished_after_intake_s=round(max(0.0, span - intake_seconds), 3),
            lag_p50_ms=round(percentile(lags, 0.5) or 0, 1),
            lag_p95_ms=round(percentile(lags, 0.95) or 0, 1),
            lag_p99_ms=round(percentile(lags, 0.99) or 0, 1),
        )
    return run


def _via_ingest(sources: dict) -> Callable[[str, list[str]], dict]:
    from tsur.monitoring.intake import ingest

    return lambda code, texts: ingest(sources[code], texts).as_dict()


def _via_http(port: int, keys: dict[str, str]) -> Callable[[str, list[str]], dict]:
    def send(code: str, texts: list[str]) -> dict:
        body = ("[" + ",".join(texts) + "]").encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("POST", "/api/monitoring/events", body, {"Content-Type": "application/json", "Authorization": f"Bearer {keys[code]}"})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status not in (200, 422):
            raise RuntimeError(f"HTTP {response.status}: {data[:300]!r}")
        return json.loads(data)

    return send


def run_bench(options: dict, log: Callable[[str], None]) -> dict:
    """Runs in the process whose database is the scratch one (the command starts it)."""
    from django.conf import settings
    from django.core.management import call_command

    from tsur.appeals.models import Appeal
    from tsur.demo import history
    from tsur.demo.loader import load_reference
    from tsur.demo.monitoring import demo_keys, load_sources
    from tsur.monitoring.events import events_recorded
    from tsur.monitoring.models import Source

    try:
        from tsur.monitoring import matching as _matching  # noqa: F401 - present once the matcher is there
    except ImportError:
        matching = False
    else:
        matching = not options["no_matching"]
    call_command("migrate", verbosity=0)
    load_reference()
    load_sources(demo_keys=True)
    Source.objects.update(rate_per_minute=100_000_000, max_batch=max(options["batch"], 5000))
    sources = {s.code: s for s in Source.objects.all()}
    keys = {code: key for code, _name, key in demo_keys()}
    now = dt.datetime.now(dt.UTC)
    have = Appeal.objects.count()
    if have < options["appeals"]:
        log(f"обращения для сопоставления: {options['appeals'] - have}…")
        history.generate(count=options["appeals"] - have, days=3, end=now, episodes=False)
    # The producer only records; matching is the other process's (the in-process subscriber would
    # match inside every ingest call and measure the two together).
    events_recorded.unsubscribe("tsur.monitoring.match_events")
    settings.TSUR_MONITORING_FUTURE_SKEW_SECONDS = 300
    modes = ["ingest"] + (["http"] if options["http"] else [])
    port = None
    if options["http"]:
        ctx = multiprocessing.get_context("fork")
        queue, ready = ctx.Queue(), ctx.Event()
        connections.close_all()
        server = ctx.Process(target=_server, args=(queue, ready), daemon=True)
        server.start()
        ready.wait(30)
        port = queue.get(timeout=30)
    report: dict = {
        "database": connection.vendor,
        "count": options["count"],
        "batch": options["batch"],
        "appeals_present": Appeal.objects.count(),
        "matching": "match_pending in a second process" if matching else "not measured (no matcher)",
        "modes": {},
    }
    for mode in modes:
        runs = []
        for number in range(options["runs"]):
            _empty()
            stream = Stream(
                options["count"], seed=number, now=dt.datetime.now(dt.UTC), update_share=options["updates"], duplicate_share=options["duplicates"]
            )
            send = _via_ingest(sources) if mode == "ingest" else _via_http(port, keys)
            runs.append(one_run(stream, options["batch"], send, matching=matching, limit=options["match_limit"]))
            log(f"{mode} прогон {number + 1}: {runs[-1]['intake_events_per_second']:.0f} событий/с")
        keys_to_median = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
        report["modes"][mode] = {"runs": runs, "median": {k: round(statistics.median(r[k] for r in runs), 1) for k in keys_to_median}}
    median = report["modes"]["ingest"]["median"]
    report["intake_events_per_second"] = median["intake_events_per_second"]
    if "http" in report["modes"]:
        report["http_events_per_second"] = report["modes"]["http"]["median"]["intake_events_per_second"]
    if matching:
        for key in ("matched_events_per_second", "lag_p50_ms", "lag_p95_ms", "lag_p99_ms"):
            report[key] = median[key]
    report["runs"] = options["runs"]
    return report
