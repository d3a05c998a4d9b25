"""`tsur bench_ingest`: end-to-end throughput and latency of social-post ingestion.

receive (bulk insert of raw payloads) -> claim -> normalise -> complaint screening -> appeal
(create_appeal, with everything the embedded default runs after commit) or signal -> marked in the
database. A producer feeds chunks while worker processes drain them, as listening does; latency is
per message, from the moment `receive` was called to the moment its row was marked processed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import ClassVar

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from pydantic import BaseModel

from tsur.channels.base import ChannelPlugin, NormalisedMessage, RawItem

COMPLAINTS = (
    "Яма на дороге у дома {n} по улице {s}, машины бьют колёса, когда заделают?",
    "Не вывозят мусор во дворе дома {n} на улице {s} уже неделю, контейнеры переполнены",
    "Нет горячей воды в доме {n} на улице {s}, управляющая компания не отвечает",
    "Не горят фонари на улице {s} возле дома {n}, вечером темно и опасно",
    "Снег не убран на улице {s}, у дома {n} не пройти к остановке",
    "Автобус номер {n} не пришёл по расписанию на остановку на улице {s}, ждали час",
)
NOISE = (
    "Продам велосипед, самовывоз с улицы {s}, дом {n}",
    "Концерт во дворце культуры на улице {s} в субботу, вход свободный, начало в {n}",
    "Поздравляем жителей улицы {s} с праздником, дом {n} украшен гирляндами",
    "Друзья, приглашаем на открытие выставки в библиотеке на улице {s}, {n} марта",
    "Итоги турнира по мини-футболу: команда с улицы {s} заняла {n} место, поздравляем!",
    "Магазин на улице {s} приглашает за покупками: скидки до {n}% на всю обувь",
    "Сегодня в парке на улице {s} прошёл праздник двора, спасибо всем, кто пришёл, было {n} гостей",
    "Вакансия: требуется водитель категории Д, зарплата от {n} тысяч, офис на улице {s}",
)
STREETS = ("Ленина", "Гагарина", "Кирова", "Московская", "Садовая", "Суворова", "Пушкина", "Мира")


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


def posts(count: int, complaint_share: float, seed: int) -> list[RawItem]:
    rng = random.Random(seed)
    items = []
    run = uuid.uuid4().hex[:6]
    for i in range(count):
        template = rng.choice(COMPLAINTS if rng.random() < complaint_share else NOISE)
        text = template.format(n=rng.randint(1, 300), s=rng.choice(STREETS))
        payload = {"text": text, "author": f"Житель {i}", "link": f"https://example.org/u{run}{i}"}
        items.append(RawItem(f"{run}-{i}", payload, "post"))
    return items


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _worker(batch: int, feeding_done, deadline: float) -> None:
    from django.db import connections

    from tsur.channels import services

    connections.close_all()  # never share the parent's connection after fork
    while time.time() < deadline:
        counts = services.process_pending(batch)
        if not counts:
            if feeding_done.is_set() and not services.process_pending(batch):
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
        parser.add_argument("--batch", type=int, default=200, help="rows claimed per processing batch (default 200)")
        parser.add_argument("--chunk", type=int, default=500, help="posts per receive() call (default 500)")
        parser.add_argument(
            "--rate", type=float, default=0, help="feed at this many posts per second (default 0: as fast as possible)"
        )
        parser.add_argument("--complaint-share", type=float, default=0.2, help="share of complaint-like posts (default 0.2)")
        parser.add_argument("--screening", default="", help="screening model folder (default: the shipped model)")
        parser.add_argument(
            "--followups",
            choices=("inline", "queued"),
            default="inline",
            help="work create_appeal schedules after commit (hand-off to moderation, the resident's notification): "
            "inline as the embedded default runs it, or queued for other Celery workers as in production "
            "(an in-memory broker; the queued work is not done in this measurement)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--force", action="store_true", help="run even if the database holds real appeals")

    def handle(self, *args, **options) -> None:
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
        for name in ("count", "runs", "workers", "batch", "chunk", "rate", "complaint_share", "screening", "followups"):
            if options[name] not in ("", None):
                argv += [f"--{name.replace('_', '-')}", str(options[name])]
        argv += ["--json"] * options["json"] + ["--force"] * options["force"]
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
        from tsur.channels.screening import SCREEN

        if options["screening"] or os.environ.get("TSUR_SCREENING_MODEL_DIR"):
            settings.TSUR_SCREENING_MODEL_DIR = options["screening"] or os.environ["TSUR_SCREENING_MODEL_DIR"]
        _register()
        call_command("migrate", verbosity=0)
        if not options["force"] and Appeal.objects.exclude(external_id__startswith="bench-").exists():
            raise CommandError("В базе есть настоящие обращения: укажите отдельную базу (--database) или --force.")
        screen, reason = SCREEN.get()  # loaded once, shared by the forked workers
        runs = []
        for number in range(options["runs"]):
            runs.append(self._one_run(options, number))
            connections.close_all()
        result = {
            "database": connection.vendor,
            "count": options["count"],
            "rate": options["rate"] or "max",
            "workers": options["workers"],
            "followups": options["followups"],
            "screening": "модель загружена" if screen is not None else f"{reason}: каждый пост считается жалобой",
            "runs": runs,
            "median": {k: round(statistics.median(r[k] for r in runs), 1) for k in ("msg_per_s", "p50_ms", "p90_ms", "p99_ms")},
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        followups = "в этом же процессе" if result["followups"] == "inline" else "в очередь Celery (не выполняются)"
        self.stdout.write(
            f"База: {result['database']}; сообщений за прогон: {result['count']}; подача: {result['rate']} сообщ./с; "
            f"процессов: {result['workers']}; "
            f"последующие задачи: {followups}"
        )
        self.stdout.write(f"Отбор жалоб: {result['screening']}")
        for i, r in enumerate(runs, start=1):
            self.stdout.write(
                f"  прогон {i}: {r['msg_per_s']:.0f} сообщ./с; задержка p50 {r['p50_ms']:.0f} мс, p90 {r['p90_ms']:.0f} мс, "
                f"p99 {r['p99_ms']:.0f} мс; обращений {r['appeals']}, сигналов {r['signals']}, прочее {r['other']}"
            )
        m = result["median"]
        self.stdout.write(
            f"Медиана: {m['msg_per_s']:.0f} сообщ./с; задержка p50 {m['p50_ms']:.0f} мс, p90 {m['p90_ms']:.0f} мс, p99 {m['p99_ms']:.0f} мс"
        )

    def _one_run(self, options: dict, number: int) -> dict:
        from django.db import connections
        from django.db.models import F

        from tsur.channels import services
        from tsur.channels.models import ChannelConfig, InboundMessage

        config = ChannelConfig.objects.create(code=f"bench-{uuid.uuid4().hex[:8]}", kind="bench", name="Нагрузочный тест")
        items = posts(options["count"], options["complaint_share"], seed=number)
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        feeding_done = ctx.Event()
        deadline = time.time() + 1800
        workers = [ctx.Process(target=_worker, args=(options["batch"], feeding_done, deadline)) for _ in range(options["workers"])]
        for w in workers:
            w.start()
        started = time.time()
        for start in range(0, len(items), options["chunk"]):
            if options["rate"]:
                time.sleep(max(0.0, started + start / options["rate"] - time.time()))
            services.receive(config, items[start : start + options["chunk"]], process=False)
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
        return {
            "msg_per_s": round(options["count"] / elapsed, 1),
            "seconds": round(elapsed, 2),
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p90_ms": round(percentile(latencies, 0.9), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "appeals": states["appeal"],
            "signals": states["signal"],
            "other": options["count"] - states["appeal"] - states["signal"],
        }
