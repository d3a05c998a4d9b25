"""`tsur bench_ingest`: end-to-end throughput and latency of social-post ingestion.

receive (raw payloads stored) -> claim -> normalise -> complaint screening -> for a complaint,
triage (sector, category, place, urgency, near-duplicates) and the appeal written already in
moderation with its territorial queue and deadline (create_appeals with IntakeAtCreation), else a
signal -> the row marked in the database. A producer feeds chunks while worker processes drain
them, as listening does; latency is per message, from the moment `receive` was called to the
moment its row was marked processed.

`--source real` (the default when ../shared/data is present) replays real texts: VK community
posts as the listening stream (mostly not complaints) mixed with real residents' complaints
from the Kursk set at `--complaint-share`. `synthetic` uses a few templates; the shipped
screening passes most of them, noise included, so it overstates how many posts become appeals.
`storm` (tsur/demo/bench_storm.py) is a burst of mostly complaints, most of them near-duplicates
of a few problems (real Kursk complaint wordings at Kaluga streets, or templates without the data
folder): the stream where most appeals are joined to problems.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import ClassVar

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from pydantic import BaseModel

from tsur.channels.base import ChannelPlugin, NormalisedMessage, RawItem
from tsur.demo.bench_posts import (
    COMPLAINT_MARK,
    STREAM_MARK,
    complaints_by_block,
    load_real,
    posts,
    real_files,
    real_posts,
    shared_data,
    split_warm,
    storm,
)


class BenchSettings(BaseModel):
    pass


class BenchPlugin(ChannelPlugin):
    """A listening channel with a trivial payload format, so the bench measures our pipeline,
    not a vendor's JSON. Its appeals count as VK posts (incident regime)."""

    kind: ClassVar[str] = "bench"
    label: ClassVar[str] = "Нагрузочный тест"
    appeal_channel: ClassVar[str] = "vk"
    settings_model: ClassVar[type[BaseModel]] = BenchSettings

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        p = item.payload
        return NormalisedMessage(
            external_id=item.external_id, text=p["text"], kind=item.kind, author_name=p["author"],
            author_link=p["link"], reply_to={"post": item.external_id}, is_public=True,
        )


def _register() -> None:
    from tsur.channels import registry

    if "bench" not in dict(registry.kinds()):
        registry.register(BenchPlugin)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _warm_up(warm_texts: list[str]) -> None:
    """Once-per-process work that a long-running worker has done long before, done here so the
    workers forked for each run start from it instead of paying it inside the measured seconds
    (each worker paid ~0.3 s for the production calendar and ~0.3 s for setting up Celery per run
    of ~1 500 messages): the Russian production calendar of this year and the next one
    (deadlines), the Celery app with its task registry (the hand-off after commit), the triage
    pipeline and its NER fallback (≈ 1.4 s and ≈ 1 s), and the word caches of screening, triage
    and the masking of an author's name in their text (each capitalised word's dictionary forms),
    filled by `warm_texts`: posts of the same source that the measured runs never use."""
    import datetime as dt

    from django.conf import settings

    from tsur.appeals.privacy import masked
    from tsur.channels.screening import SCREEN
    from tsur.core import clock, tasks
    from tsur.lib.workcal import production_is_working_day

    year = clock.now().year
    for day in (dt.date(year, 1, 1), dt.date(year + 1, 1, 1)):
        production_is_working_day(day)
    for task in tasks.registered().values():
        getattr(task, "name", None)  # evaluates Celery's lazy task proxy (finalises the app)
    for text in warm_texts:
        masked(text, name="Житель")  # as the bench's authors are named
    screen, _reason = SCREEN.get()
    if screen is not None and warm_texts:
        screen.predict(warm_texts)
    if settings.TSUR_TRIAGE_ENABLED:
        from tsur.triage.services import engine

        triage = engine()
        if triage.gazetteer is not None:
            triage.gazetteer.prepare_ner()
        records = [{"id": i, "text": text} for i, text in enumerate(warm_texts)]
        for start in range(0, len(records), 200):
            list(triage.process(records[start : start + 200]))


def _empty_scratch() -> None:
    """Empty the scratch database's appeals, posts and all that hangs on them (PostgreSQL:
    TRUNCATE … CASCADE, which also leaves no dead rows behind for the next run). The directory
    stays. On SQLite the runs share what earlier runs wrote."""
    from django.db import connection

    from tsur.appeals.models import Resident
    from tsur.channels.models import InboundMessage

    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Resident, InboundMessage))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def _worker(batch: int, feeding_done, deadline: float) -> None:
    from django.db import connections

    from tsur.channels import processing

    connections.close_all()  # never share the parent's connection after fork
    while time.time() < deadline:
        counts = processing.process_pending(batch)
        if not counts:
            if feeding_done.is_set() and not processing.process_pending(batch):
                return
            time.sleep(0.005)
    connections.close_all()


class Command(BaseCommand):
    help = "Benchmark ingestion end to end (receive → screening → appeal/signal → database): msg/s and latency p50/p90/p99."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=5000, help="posts per run (default 5000)")
        parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported (default 3)")
        parser.add_argument("--database", default="", help="postgres://… of a scratch database (migrated, then written to)")
        parser.add_argument("--workers", type=int, default=2, help="processing processes (default 2: one per core)")
        parser.add_argument("--batch", type=int, default=0, help="rows claimed per processing batch (default: TSUR_CHANNEL_BATCH, 500)")
        parser.add_argument("--chunk", type=int, default=500, help="posts per receive() call (default 500)")
        parser.add_argument(
            "--rate", type=float, default=0, help="feed at this many posts per second (default 0: as fast as possible)"
        )
        parser.add_argument(
            "--complaint-share", type=float, default=None, help="share of complaint-like posts (default 0.2; 0.85 for --source storm)"
        )
        parser.add_argument(
            "--source",
            choices=("real", "synthetic", "storm"),
            default="",
            help="posts: real (VK community posts mixed with real Kursk complaints from the shared data folder; "
            "the default when it is present), synthetic (templates; the default otherwise) or storm (mostly "
            "complaints, most of them near-duplicates of a few problems: real wordings when the data folder is "
            "present, templates otherwise)",
        )
        parser.add_argument("--data", default="", help="the shared data folder for --source real (default ../shared/data)")
        parser.add_argument("--screening", default="", help="screening model folder (default: the shipped model)")
        parser.add_argument(
            "--followups",
            choices=("inline", "queued"),
            default="inline",
            help="work scheduled after commit (e-mails to residents who gave an address; triage and moderation are done "
            "before it, in the batch): inline as the embedded default runs it, or queued for other Celery workers as "
            "in production (an in-memory broker; the queued work is not done in this measurement)",
        )
        parser.add_argument(
            "--directory",
            choices=("kaluga", "empty"),
            default="kaluga",
            help="reference data of the scratch database: the Kaluga demo configuration (default; triage then applies "
            "categories, territories, queues and deadlines as in production) or none (nothing to apply)",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="keep each run's appeals and posts for the next run (default on PostgreSQL: every run starts from the "
            "directory alone, so runs are comparable and a run does not meet the previous run's copies of the same real "
            "posts as duplicates)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--force", action="store_true", help="run even if the database holds real appeals")

    def handle(self, *args, **options) -> None:
        if options["complaint_share"] is None:
            options["complaint_share"] = 0.85 if options["source"] == "storm" else 0.2
        if os.environ.get("TSUR_BENCH_CHILD") != "1":
            folder = Path(options["data"]) if options["data"] else shared_data()
            present = real_files(folder) is not None
            if options["source"] == "real" and not present:
                self.stderr.write(
                    f"Реальных данных нет в {folder} (нужны vk/community_posts.csv.gz и kursk/train.csv): "
                    "тест с --source real пропущен. Укажите --data или --source synthetic."
                )
                return None
            if not options["source"]:
                options["source"] = "real" if present else "synthetic"
                if not present:
                    self.stderr.write(f"Реальных данных нет в {folder}: посты синтетические (--source synthetic).")
            options["data"] = str(folder)
        if options["database"] and os.environ.get("TSUR_BENCH_CHILD") != "1":
            return self._in_child(options, options["database"])
        if not options["database"] and os.environ.get("TSUR_BENCH_CHILD") != "1":
            # Never write thousands of test appeals into the working database by default.
            folder = tempfile.mkdtemp(prefix="tsur-bench-")
            self.stderr.write(f"Без --database: временная база SQLite в {folder} (для PostgreSQL укажите --database).")
            try:
                return self._in_child({**options, "workers": 1}, f"sqlite:///{folder}/bench.sqlite3")
            finally:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
        self._run(options)

    def _in_child(self, options: dict, url: str) -> None:
        argv = [sys.executable, "-m", "tsur", "bench_ingest"]
        names = ("count", "runs", "workers", "batch", "chunk", "rate", "complaint_share", "screening", "followups", "source", "data", "directory")
        for name in names:
            if options[name] not in ("", None):
                argv += [f"--{name.replace('_', '-')}", str(options[name])]
        argv += ["--json"] * options["json"] + ["--force"] * options["force"] + ["--keep"] * options["keep"]
        broker = "memory://" if options["followups"] == "queued" else ""
        env = {**os.environ, "TSUR_DATABASE_URL": url, "TSUR_CELERY_BROKER_URL": broker, "TSUR_BENCH_CHILD": "1", "TSUR_LOG_LEVEL": "WARNING"}
        if options["screening"]:
            env["TSUR_SCREENING_MODEL_DIR"] = options["screening"]
        code = subprocess.call(argv, env=env)
        if code:
            raise CommandError(f"нагрузочный тест завершился с кодом {code}")

    def _run(self, options: dict) -> None:
        from django.conf import settings
        from django.db import connection, connections

        from tsur.appeals.models import Appeal
        from tsur.channels import policy
        from tsur.channels.screening import SCREEN

        if options["screening"] or os.environ.get("TSUR_SCREENING_MODEL_DIR"):
            settings.TSUR_SCREENING_MODEL_DIR = options["screening"] or os.environ["TSUR_SCREENING_MODEL_DIR"]
        _register()
        call_command("migrate", verbosity=0)
        if options["directory"] == "kaluga":
            from tsur.demo.loader import load_reference

            load_reference()  # territories, categories, queues, deadline policies: what triage applies and routes by
        if not options["force"] and Appeal.objects.exclude(external_id__startswith="bench-").exists():
            raise CommandError("В базе есть настоящие обращения: укажите отдельную базу (--database) или --force.")
        screen, reason = SCREEN.get()  # loaded once, shared by the forked workers
        source = options["source"] or "synthetic"
        folder = Path(options["data"]) if options["data"] else shared_data()
        texts = load_real(folder) if source == "real" else None
        storm_data = None
        if texts is not None:
            texts, warm = split_warm(texts)
        elif source == "storm":
            from tsur.demo.bench_storm import storm_texts

            by_block = complaints_by_block(folder)
            stream = load_real(folder)[0] if by_block is not None else None
            storm_data = (storm_texts(by_block), stream)
            # Another storm (other places, other wordings) warms the caches.
            warm = [item.payload["text"] for item in storm(2000, options["complaint_share"], -1, storm_data)]
        else:
            warm = [item.payload["text"] for item in posts(2000, options["complaint_share"], seed=-1)]
        _warm_up(warm)
        runs = []
        for number in range(options["runs"]):
            if number and not options["keep"]:
                _empty_scratch()
            runs.append(self._one_run(options, number, texts, storm_data))
            connections.close_all()
        result = {
            "database": connection.vendor,
            "source": source,
            "storm_texts": ("реальные" if storm_data[1] is not None else "шаблоны") if storm_data else None,
            "complaint_share": options["complaint_share"],
            "count": options["count"],
            "rate": options["rate"] or "max",
            "workers": options["workers"],
            "batch": options["batch"] or policy.batch_size(),
            "followups": options["followups"],
            "directory": options["directory"],
            "runs_share_data": bool(options["keep"]) or connection.vendor != "postgresql",
            "screening": "модель загружена" if screen is not None else f"{reason}: каждый пост считается жалобой",
            "runs": runs,
            "median": {
                k: round(statistics.median(r[k] for r in runs), 1)
                for k in ("msg_per_s", "p50_ms", "p90_ms", "p99_ms", "passed_share", "complaints_passed", "stream_passed", "joined")
            },
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        followups = "в этом же процессе" if result["followups"] == "inline" else "в очередь Celery (не выполняются)"
        self.stdout.write(
            f"База: {result['database']}; сообщений за прогон: {result['count']}; подача: {result['rate']} сообщ./с; "
            f"процессов: {result['workers']}; пакет: {result['batch']}; "
            f"последующие задачи: {followups}; "
            f"справочник: {'демо-конфигурация Калужской области' if result['directory'] == 'kaluga' else 'пустой'}"
        )
        kind = {
            "real": "реальные (посты сообществ ВКонтакте и жалобы из набора Курска)",
            "synthetic": "синтетические (шаблоны)",
            "storm": "шквал жалоб: почти все — повторы нескольких проблем ("
            + (
                "формулировки реальных жалоб Курска на улицах Калуги, прочее — посты ВКонтакте)"
                if result["storm_texts"] == "реальные"
                else "шаблоны)"
            ),
        }[source]
        self.stdout.write(f"Посты: {kind}; доля жалоб в потоке {result['complaint_share']:.0%}")
        self.stdout.write(f"Отбор жалоб: {result['screening']}")
        for i, r in enumerate(runs, start=1):
            self.stdout.write(
                f"  прогон {i}: {r['msg_per_s']:.0f} сообщ./с; задержка p50 {r['p50_ms']:.0f} мс, p90 {r['p90_ms']:.0f} мс, "
                f"p99 {r['p99_ms']:.0f} мс; обращений {r['appeals']} (присоединено к проблемам {r['joined']}), "
                f"сигналов {r['signals']}, прочее {r['other']}"
            )
        m = result["median"]
        self.stdout.write(
            f"Медиана: {m['msg_per_s']:.0f} сообщ./с; задержка p50 {m['p50_ms']:.0f} мс, p90 {m['p90_ms']:.0f} мс, p99 {m['p99_ms']:.0f} мс"
        )
        self.stdout.write(
            f"Отбор признал жалобами {m['passed_share']:.1f} % постов: {m['complaints_passed']:.1f} % жалоб "
            f"и {m['stream_passed']:.1f} % прочих постов (медианы прогонов)"
        )

    def _one_run(self, options: dict, number: int, texts: tuple[list[str], list[str]] | None = None, storm_data=None) -> dict:
        from django.db import connections
        from django.db.models import F

        from tsur.channels import policy, receiving
        from tsur.channels.models import ChannelConfig, InboundMessage

        config = ChannelConfig.objects.create(code=f"bench-{uuid.uuid4().hex[:8]}", kind="bench", name="Нагрузочный тест")
        if storm_data is not None:
            items = storm(options["count"], options["complaint_share"], number, storm_data)
        elif texts is None:
            items = posts(options["count"], options["complaint_share"], seed=number)
        else:
            items = real_posts(options["count"], options["complaint_share"], number, texts)
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        feeding_done = ctx.Event()
        deadline = time.time() + 1800
        batch = options["batch"] or policy.batch_size()
        workers = [ctx.Process(target=_worker, args=(batch, feeding_done, deadline)) for _ in range(options["workers"])]
        for w in workers:
            w.start()
        started = time.time()
        for start in range(0, len(items), options["chunk"]):
            if options["rate"]:
                time.sleep(max(0.0, started + start / options["rate"] - time.time()))
            receiving.receive(config, items[start : start + options["chunk"]], process=False)
        feeding_done.set()
        for w in workers:
            w.join()
        rows = InboundMessage.objects.filter(channel=config)
        latencies = [
            d.total_seconds() * 1000
            for d in rows.exclude(processed_at=None).annotate(lat=F("processed_at") - F("received_at")).values_list("lat", flat=True)
        ]
        last = max(rows.values_list("processed_at", flat=True))
        elapsed = last.timestamp() - started
        states = {s: rows.filter(state=s).count() for s in ("appeal", "signal")}
        joined = rows.filter(state="appeal", appeal__status="joined").count()
        passed = _passed_shares(rows, [item.external_id for item in items])
        return {
            "msg_per_s": round(options["count"] / elapsed, 1),
            "seconds": round(elapsed, 2),
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p90_ms": round(percentile(latencies, 0.9), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "appeals": states["appeal"],
            "signals": states["signal"],
            "joined": joined,
            "other": options["count"] - states["appeal"] - states["signal"],
            **passed,
        }


def _passed_shares(rows, external_ids: list[str]) -> dict[str, float]:
    """Per cent of all posts, of the complaints and of the rest that screening let through (an
    appeal was created), told apart by the mark in the external id."""
    appeal_ids = set(rows.filter(state="appeal").values_list("external_id", flat=True))

    def share(ids: list[str]) -> float:
        return round(100.0 * sum(1 for i in ids if i in appeal_ids) / len(ids), 1) if ids else 0.0

    def marked(mark: str) -> list[str]:
        return [i for i in external_ids if i.split("-", 1)[1].startswith(mark)]

    return {
        "passed_share": share(external_ids),
        "complaints_passed": share(marked(COMPLAINT_MARK)),
        "stream_passed": share(marked(STREAM_MARK)),
    }
