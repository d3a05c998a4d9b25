"""Fault test of the ingestion path: no message lost or duplicated when workers, the broker and
the database crash under load.

The test starts its own throwaway PostgreSQL and Redis on free loopback ports with data folders in
a temporary directory, migrates the database, starts real Celery worker processes and a sweeper
(what `tick` does every minute in production, here every two seconds), and feeds N social posts
through `receive` (plus a re-delivery of every tenth, as a re-poll after a crash would do). While
they are processed it SIGKILLs a worker and starts a new one, restarts Redis with persistence off
(its queue is lost), and restarts PostgreSQL in immediate mode. Then it waits, bounded, for the
sweeper to finish the work and counts: exactly N inbound rows, every one an appeal or a signal as
the screening model decides, one appeal per complaint, no duplicates, nothing pending or failed.

Skipped with the reason unless redis-server and PostgreSQL's initdb/pg_ctl exist; with
TSUR_REQUIRE_FAULT=1 (CI) a missing binary fails the test instead. Everything it starts is
stopped and its folder removed, also when it fails.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.fault

N = int(os.environ.get("TSUR_FAULT_MESSAGES", "2000"))
FEED_SECONDS = 20  # feeding is spread over this long so the faults hit work in flight
FINISH_TIMEOUT = 180  # after feeding, the sweeper must finish within this
REPO = Path(__file__).resolve().parents[2]

COMPLAINTS = (
    "Яма на дороге у дома {n} по улице {s}, машины бьют колёса",
    "Не вывозят мусор во дворе дома {n} на улице {s} уже неделю",
    "Нет горячей воды в доме {n} на улице {s}, управляющая компания не отвечает",
    "Не горят фонари на улице {s} возле дома {n}, вечером темно и опасно",
    "Снег не убран на улице {s}, у дома {n} не пройти к остановке",
)
NOISE = (
    "Продам велосипед, самовывоз с улицы {s}, дом {n}",
    "Концерт во дворце культуры на улице {s} в субботу, вход свободный, начало в {n}",
    "Ищу попутчиков до Москвы, выезд от дома {n} на улице {s}",
    "Поздравляем жителей улицы {s} с праздником, дом {n} украшен гирляндами",
    "Потерялась кошка у дома {n} на улице {s}, откликается на Мурку",
)
STREETS = ("Ленина", "Гагарина", "Кирова", "Московская", "Садовая", "Суворова")


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _missing() -> list[str]:
    missing = []
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    pg = _pg_bin()
    if pg is None or not (pg / "initdb").exists():
        missing.append("PostgreSQL initdb/pg_ctl (/usr/lib/postgresql/*/bin)")
    if not (Path(sys.executable).parent / "celery").exists():
        missing.append("celery in the virtualenv")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing.append("a 'postgres' user (initdb refuses to run as root)")
        if not shutil.which("runuser"):
            missing.append("runuser (to run PostgreSQL as the postgres user)")
    return missing


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Cluster:
    """Throwaway PostgreSQL + Redis + Celery workers + sweeper, all on loopback, in one folder."""

    def __init__(self, root: Path):
        self.root = root
        self.pg_bin = _pg_bin()
        self.pg_port = _free_port()
        self.redis_port = _free_port()
        self.pgdata = root / "pg" / "data"
        self.processes: dict[str, subprocess.Popen] = {}
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.db_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/tsur_fault"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fault_settings",
            "PYTHONPATH": os.pathsep.join([str(root), str(REPO)]),
            "TSUR_DATABASE_URL": self.db_url,
            "TSUR_CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "TSUR_VAR_DIR": str(root / "var"),
            "TSUR_LOG_LEVEL": "WARNING",
            "OPENBLAS_NUM_THREADS": "1",
        }

    # -- PostgreSQL ------------------------------------------------------------------------------
    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_postgres, str(self.pg_bin / args[0]), *args[1:]],
            capture_output=True, text=True, timeout=120, check=check,
        )

    def start_postgres(self) -> None:
        (self.root / "pg").mkdir()
        if self.as_postgres:
            shutil.chown(self.root / "pg", "postgres")
        self._pg("initdb", "-D", str(self.pgdata), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.pg_ctl("start")
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE tsur_fault")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.pg_port} -k {self.root / 'pg'} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._pg("pg_ctl", "-D", str(self.pgdata), "-o", options, "-l", str(self.root / "pg" / "log"), "-w", "-t", "60", action, *extra)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/tsur_fault", connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    # -- Redis -----------------------------------------------------------------------------------
    def start_redis(self) -> None:
        folder = self.root / "redis"
        folder.mkdir(exist_ok=True)
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--protected-mode", "yes"],
        )
        _wait(self.redis_up, 20, "redis to accept connections")

    def redis_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    # -- our processes ---------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")  # closed in kill()
        proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log
        self.processes[name] = proc
        return proc

    def python(self, name: str, script: str, *args: str) -> subprocess.Popen:
        return self.spawn(name, [sys.executable, str(self.root / script), *args])

    def start_worker(self, name: str) -> None:
        celery = str(Path(sys.executable).parent / "celery")
        self.spawn(
            name,
            [celery, "-A", "tsur", "worker", "-I", "fault_env", "-n", f"{name}@fault", "--concurrency", "2", "-P", "prefork",
             "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool children, no goodbyes
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        proc.log.close()

    def stop(self) -> None:
        print("fault cluster: stopping", list(self.processes), flush=True)
        for name in list(self.processes):
            self.kill(name)
        if self.pgdata.exists():
            with contextlib.suppress(Exception):
                self._pg("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "-t", "30", "stop", check=False)


def write_environment(root: Path, model_dir: Path) -> None:
    """Modules the subprocesses import: settings, a test channel plugin, the feeder, the sweeper."""
    (root / "fault_settings.py").write_text(
        textwrap.dedent(f"""\
        from tsur.settings import *  # noqa: F403

        TSUR_CHANNEL_LEASE_SECONDS = 15
        TSUR_CHANNEL_BATCH = 25
        TSUR_SCREENING_MODEL_DIR = {str(model_dir)!r}
        CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
        """),
        encoding="utf-8",
    )
    (root / "fault_env.py").write_text(
        textwrap.dedent("""\
        from typing import ClassVar

        from pydantic import BaseModel

        import tsur.channels.tasks  # noqa: F401 - the worker must know the channel tasks
        from tsur.channels import registry
        from tsur.channels.base import ChannelPlugin, NormalisedMessage


        class FaultSettings(BaseModel):
            pass


        class FaultPlugin(ChannelPlugin):
            kind: ClassVar[str] = "fault"
            label: ClassVar[str] = "Проверка отказов"
            appeal_channel: ClassVar[str] = "vk"
            settings_model: ClassVar[type[BaseModel]] = FaultSettings

            def normalise(self, item):
                p = item.payload
                return NormalisedMessage(
                    external_id=item.external_id, text=p["text"], kind=item.kind, author_name=p["author"],
                    author_link=p["link"], reply_to={"post": item.external_id}, is_public=True,
                )


        if "fault" not in dict(registry.kinds()):
            registry.register(FaultPlugin)
        """),
        encoding="utf-8",
    )
    (root / "fault_feeder.py").write_text(
        textwrap.dedent("""\
        import json, os, sys, time

        import django

        django.setup()
        import fault_env  # noqa: F401
        from django.db import connection

        from tsur.channels.base import RawItem
        from tsur.channels.models import ChannelConfig
        from tsur.channels.services import receive

        payloads, progress, seconds = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3])
        config, _ = ChannelConfig.objects.get_or_create(code="fault", defaults={"kind": "fault", "name": "fault", "enabled": True})


        def feed(items):
            for _ in range(1200):  # the database may be restarting: retry, receive() is idempotent
                try:
                    return receive(config, items)
                except Exception as exc:
                    print("feed retry:", type(exc).__name__, flush=True)
                    connection.close()
                    time.sleep(0.1)
            raise SystemExit("feeding failed")


        def report(value):
            with open(progress + ".tmp", "w") as fh:
                fh.write(str(value))
            os.replace(progress + ".tmp", progress)


        batch = 50
        fed = 0
        for start in range(0, len(payloads), batch):
            chunk = payloads[start:start + batch]
            feed([RawItem(p["id"], p["payload"], "post") for p in chunk])
            fed += len(chunk)
            report(fed)
            time.sleep(seconds * batch / len(payloads))
        counts = feed([RawItem(p["id"], p["payload"], "post") for p in payloads[::10]])  # re-delivered
        print("re-delivery:", counts, flush=True)
        report("done")
        """),
        encoding="utf-8",
    )
    (root / "fault_sweeper.py").write_text(
        textwrap.dedent("""\
        import os, sys, time

        import django

        django.setup()
        import fault_env  # noqa: F401
        from django.db import connection

        from tsur.channels.tasks import sweep
        from tsur.core import clock

        stop, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
        while not os.path.exists(stop) and time.monotonic() < deadline:
            try:
                print("sweep:", sweep(clock.now()), flush=True)
            except Exception as exc:  # the database is restarting: next round
                print("sweep failed:", type(exc).__name__, flush=True)
                connection.close()
            time.sleep(2)
        """),
        encoding="utf-8",
    )


def make_posts(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    posts = []
    for i in range(N):
        template = rng.choice(COMPLAINTS if rng.random() < 0.5 else NOISE)
        text = template.format(n=rng.randint(1, 300), s=rng.choice(STREETS))
        posts.append({"id": f"post-{i}", "payload": {"text": text, "author": f"Житель {i}", "link": f"https://example.org/u{i}"}})
    return posts


def train_screening(model_dir: Path):
    """A small real screening model (the engine's own training) so both outcomes occur; None if
    the engine cannot train here, in which case every post is a complaint."""
    try:
        from tsur.triage.engine.screening import ComplaintScreen
    except ImportError:
        return None
    rng = random.Random(1)

    def texts(templates):
        return [t.format(n=rng.randint(301, 900), s=rng.choice(STREETS)) for t in templates for _ in range(40)]

    try:
        ComplaintScreen.train(texts(COMPLAINTS), texts(NOISE), min_df=1).save(model_dir)
        return ComplaintScreen.load(model_dir)
    except Exception:
        return None


@pytest.fixture
def cluster():
    missing = _missing()
    if missing:
        reason = "fault test needs " + ", ".join(missing)
        if os.environ.get("TSUR_REQUIRE_FAULT") == "1":
            pytest.fail(reason + " (required: TSUR_REQUIRE_FAULT=1)")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="tsur-fault-"))
    root.chmod(0o755)  # the postgres user must reach its data folder inside
    c = Cluster(root)

    def terminated(signum, frame):
        raise KeyboardInterrupt  # a SIGTERM to pytest still runs the cleanup below

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield c
    finally:
        signal.signal(signal.SIGTERM, previous)
        c.stop()
        if os.environ.get("TSUR_FAULT_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


def test_it_loses_and_duplicates_nothing_when_workers_redis_and_postgres_crash(cluster):
    c = cluster
    posts = make_posts()
    screen = train_screening(c.root / "screening")
    expected_appeals = sum(ok for ok, _ in screen.predict([p["payload"]["text"] for p in posts])) if screen else N
    write_environment(c.root, c.root / "screening")
    (c.root / "posts.json").write_text(json.dumps(posts, ensure_ascii=False), encoding="utf-8")

    c.start_postgres()
    c.start_redis()
    migrate = subprocess.run(
        [sys.executable, "-m", "tsur", "migrate", "-v", "0"], cwd=REPO, env=c.env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    c.start_worker("w1")
    c.start_worker("w2")
    c.python("sweeper", "fault_sweeper.py", str(c.root / "stop"), str(FEED_SECONDS + FINISH_TIMEOUT + 120))
    progress = c.root / "progress"
    feeder = c.python("feeder", "fault_feeder.py", str(c.root / "posts.json"), str(progress), str(FEED_SECONDS))
    started = time.monotonic()

    def fed() -> int:
        try:
            value = progress.read_text()
        except OSError:
            return 0
        return N if value == "done" else int(value or 0)

    def processed() -> int:
        rows = c.sql("SELECT count(*) FROM intake_channels_inboundmessage WHERE state <> 'pending'")
        return rows[0][0]

    faults = {}
    _wait(lambda: fed() >= N // 4 and processed() >= N // 10, 120, "a quarter fed and a tenth processed")
    c.kill("w1")  # SIGKILL mid-batch: its claimed rows stay claimed until the lease runs out
    faults["worker killed"] = processed()
    c.start_worker("w1b")

    _wait(lambda: fed() >= N // 2, 120, "half of the posts to be fed")
    c.kill("redis")  # persistence is off: every queued task is gone
    c.start_redis()
    faults["redis restarted"] = processed()

    _wait(lambda: fed() >= 3 * N // 4, 120, "three quarters of the posts to be fed")
    faults["postgres restarting"] = processed()
    c.pg_ctl("restart", "-m", "immediate")

    assert feeder.wait(timeout=180) == 0, (c.root / "feeder.log").read_text()[-2000:]
    fed_in = time.monotonic() - started

    def finished() -> bool:
        try:
            return c.sql("SELECT count(*) FROM intake_channels_inboundmessage WHERE state = 'pending'")[0][0] == 0
        except Exception:
            return False

    _wait(finished, FINISH_TIMEOUT, "the sweeper and workers to finish every stored post", every=1.0)
    total_seconds = time.monotonic() - started
    (c.root / "stop").touch()

    states = dict(
        c.sql(
            "SELECT m.state, count(*) FROM intake_channels_inboundmessage m "
            "JOIN intake_channels_channelconfig ch ON ch.id = m.channel_id WHERE ch.code = 'fault' GROUP BY m.state"
        )
    )
    rows, distinct_ids = c.sql("SELECT count(*), count(DISTINCT external_id) FROM intake_channels_inboundmessage")[0]
    appeals, distinct_appeals = c.sql(
        "SELECT count(*), count(DISTINCT external_id) FROM appeals_appeal WHERE channel = 'vk' AND external_id LIKE 'fault:%%'"
    )[0]
    linked, distinct_linked = c.sql(
        "SELECT count(appeal_id), count(DISTINCT appeal_id) FROM intake_channels_inboundmessage WHERE state = 'appeal'"
    )[0]
    orphans = c.sql(
        "SELECT count(*) FROM appeals_appeal a WHERE a.external_id LIKE 'fault:%%' AND NOT EXISTS "
        "(SELECT 1 FROM intake_channels_inboundmessage m WHERE m.appeal_id = a.id)"
    )[0][0]
    reclaimed = c.sql("SELECT count(*) FROM intake_channels_inboundmessage WHERE attempts > 1")[0][0]
    summary = {
        "messages": N, "rows": rows, "states": states, "appeals": appeals, "faults_at_processed": faults, "processed_more_than_once": reclaimed,
        "fed_seconds": round(fed_in, 1), "total_seconds": round(total_seconds, 1), "screening_model": screen is not None,
    }
    print("fault test:", json.dumps(summary, ensure_ascii=False))

    assert rows == distinct_ids == N  # zero lost, zero duplicated raw payloads
    expected_states = {"appeal": expected_appeals, "signal": N - expected_appeals} if expected_appeals < N else {"appeal": N}
    assert states == expected_states
    assert appeals == distinct_appeals == expected_appeals  # one appeal per complaint
    assert linked == distinct_linked == expected_appeals
    assert orphans == 0
    assert 0 < faults["worker killed"] < N and faults["postgres restarting"] < N  # the faults hit work in flight
