"""Fault test of the ingestion path: no message lost or duplicated when workers, the broker and
the database crash under load.

The test starts its own throwaway PostgreSQL and Redis on free loopback ports with data folders in
a temporary directory, migrates the database, starts three real Celery worker processes and a
sweeper (what `tick` does every minute in production, here every two seconds), and feeds N social
posts through `receive` (plus a re-delivery of every tenth, as a re-poll after a crash would do).
While they are processed it SIGKILLs a worker, restarts Redis with persistence off (its queue is
lost) twice, restarts PostgreSQL in immediate mode, and restarts Redis once more; the last 30 % of
the posts are fed only after that. Then it waits, bounded, for the sweeper to finish the work and
counts: exactly N inbound rows, every one an appeal or a signal as the screening model decides, one
appeal per complaint, no duplicates, nothing pending or failed.

Nothing restarts a worker for it: the two that were not killed must be the same processes at the
end (same pid, never exited), must answer over the new Redis after every restart (Celery remote
control), and must have taken tasks after the last one. A worker that exits fails the test at once;
on any failure the tails of the logs are printed. The moments of the faults are seeded
(TSUR_FAULT_SEED, default 7). A second, small test replays the reconnect race that used to kill
workers (see tsur/celery.py) step by step against kombu's Redis transport and ours.

Skipped with the reason unless redis-server and PostgreSQL's initdb/pg_ctl exist; with
TSUR_REQUIRE_FAULT=1 (CI) a missing binary fails the test instead. Everything it starts is
stopped and its folder removed, also when it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from tests.faults.stack import Cluster, cluster_in_tmp, missing_binaries, skip_or_fail, wait

pytestmark = pytest.mark.fault

N = int(os.environ.get("TSUR_FAULT_MESSAGES", "2000"))
FEED_SECONDS = 20  # feeding is spread over this long so the faults hit work in flight
FINISH_TIMEOUT = 180  # after feeding, the sweeper must finish within this
WORKER_CONCURRENCY = 2
HELD_BACK = 0.3  # the share of the posts fed only after the last Redis restart
# Seeds the moments of the Redis restarts (the posts have their own seed): a failure can be rerun.
SEED = int(os.environ.get("TSUR_FAULT_SEED", "7"))

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


def write_environment(root: Path, model_dir: Path) -> None:
    """Modules the subprocesses import: settings, a test channel plugin, the feeder, the sweeper."""
    (root / "fault_settings.py").write_text(
        textwrap.dedent(f"""\
        from tsur.settings import *  # noqa: F403

        TSUR_CHANNEL_LEASE_SECONDS = 15
        TSUR_CHANNEL_BATCH = 25
        TSUR_SCREENING_MODEL_DIR = {str(model_dir)!r}
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
        hold_at, release = int(sys.argv[4]), sys.argv[5]  # waits there until the test releases it
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
            if start >= hold_at:
                for _ in range(3000):
                    if os.path.exists(release):
                        break
                    time.sleep(0.1)
                else:
                    raise SystemExit("never released")
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
    skip_or_fail(missing_binaries())
    with cluster_in_tmp("tsur-fault-", settings_module="fault_settings") as c:
        yield c


def test_it_loses_and_duplicates_nothing_when_workers_redis_and_postgres_crash(cluster):
    try:
        crash_and_count(cluster)
    except BaseException:
        print(cluster.report())
        raise


def crash_and_count(c: Cluster) -> None:
    posts = make_posts()
    screen = train_screening(c.root / "screening")
    expected_appeals = sum(ok for ok, _ in screen.predict([p["payload"]["text"] for p in posts])) if screen else N
    write_environment(c.root, c.root / "screening")
    (c.root / "posts.json").write_text(json.dumps(posts, ensure_ascii=False), encoding="utf-8")
    rng = random.Random(SEED)

    c.start_postgres()
    c.start_redis()
    c.migrate()
    for name in ("w1", "w2", "w3"):
        c.start_worker(name, concurrency=WORKER_CONCURRENCY, imports=("fault_env",))
    c.python("sweeper", "fault_sweeper.py", str(c.root / "stop"), "900")  # until told to stop; 900 s at most
    progress = c.root / "progress"
    # The feeder holds the last posts back until Redis has restarted for the last time: they can
    # only be processed after it, by workers that lived through it.
    hold_at = N - int(HELD_BACK * N)
    release = c.root / "release"
    feeder = c.python("feeder", "fault_feeder.py", str(c.root / "posts.json"), str(progress), str(FEED_SECONDS), str(hold_at), str(release))
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

    # w2 and w3 must live to the end on their own: nothing restarts them. All three answer over
    # the broker before the first fault, so every Redis restart meets connected workers.
    survivors = {name: c.processes[name].pid for name in ("w2", "w3")}
    for name in ("w1", *survivors):
        c.await_worker(name, c.processes[name].pid, timeout=180)

    def running() -> bool:
        c.assert_alive(*survivors)
        return True

    def busy() -> bool:
        """Both survivors run tasks: they hold unacknowledged (acks_late) messages, and tasks will
        finish while the connection is down - what the reconnect race in tsur/celery.py needs."""
        running()
        active = c.ask("active", *survivors)
        return all(active.get(name) for name in survivors)

    faults: dict = {"redis restarted": [], "survivors busy when redis went away": []}

    def restart_redis() -> None:
        deadline = time.monotonic() + 5  # usually at once; if not, the restart goes ahead anyway
        while not busy() and time.monotonic() < deadline:
            time.sleep(0.2)
        faults["survivors busy when redis went away"].append(busy())
        time.sleep(rng.uniform(0, 0.5))  # a seeded moment against the tasks in flight
        c.kill("redis")  # persistence is off: every queued task is gone
        time.sleep(rng.uniform(1, 3))  # down for a moment, as a real restart is
        c.start_redis()
        faults["redis restarted"].append(processed())
        for name, pid in survivors.items():
            c.await_worker(name, pid)  # reconnected by itself, and the same process

    def reach(share: float) -> None:
        wait(lambda: running() and fed() >= share * N and processed() >= share * N / 2, 180, f"{share:.0%} fed")

    # The faults follow the feeding, each while work is in flight however fast the machine is:
    # a worker killed, Redis restarted twice, PostgreSQL restarted, Redis restarted once more.
    reach(0.2)
    c.kill("w1")  # SIGKILL mid-batch: its claimed rows stay claimed until the lease runs out
    faults["worker killed"] = processed()
    for share in (0.3, 0.45):
        reach(share)
        restart_redis()
    reach(0.6)
    faults["postgres restarting"] = processed()
    c.pg_ctl("restart", "-m", "immediate")
    reach(1 - HELD_BACK)
    restart_redis()
    redis_back = datetime.now(UTC)
    taken_before = {name: sum(c.await_worker(name, pid)["total"].values()) for name, pid in survivors.items()}
    release.touch()

    wait(lambda: running() and feeder.poll() is not None, 180, "the feeder to finish")
    assert feeder.returncode == 0, (c.root / "feeder.log").read_text()[-2000:]
    fed_in = time.monotonic() - started

    def finished() -> bool:
        running()
        try:
            return c.sql("SELECT count(*) FROM intake_channels_inboundmessage WHERE state = 'pending'")[0][0] == 0
        except Exception:
            return False

    wait(finished, FINISH_TIMEOUT, "the sweeper and workers to finish every stored post", every=1.0)
    total_seconds = time.monotonic() - started
    (c.root / "stop").touch()
    taken_after = {name: sum(c.await_worker(name, pid)["total"].values()) for name, pid in survivors.items()}

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
    after_redis = c.sql("SELECT count(*) FROM intake_channels_inboundmessage WHERE processed_at > %s", (redis_back,))[0][0]
    summary = {
        "messages": N, "rows": rows, "states": states, "appeals": appeals, "faults_at_processed": faults, "processed_more_than_once": reclaimed,
        "processed_after_last_redis_restart": after_redis, "seed": SEED,
        "tasks_taken_by_survivors": {name: [taken_before[name], taken_after[name]] for name in survivors},
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
    # The workers that lived through the Redis restarts (same pids, checked by await_worker) went on
    # working after the last one.
    assert all(taken_after[name] > taken_before[name] for name in survivors), (taken_before, taken_after)
    assert after_redis > 0


@pytest.mark.parametrize("transport", ["kombu.transport.redis:Transport", "tsur.celery:RedisTransport"])
def test_it_closes_a_lost_broker_connection_without_an_error_that_kills_the_worker(cluster, transport):
    """The race behind tsur.celery.RedisChannel, step by step as Celery's consumer takes it after
    Redis went away (Consumer.on_connection_error_after_connected): collect() the connection, then
    close() it, then the late ack of a task that finished meanwhile. The connection holds what a
    worker's does: a task channel with an unacknowledged message and a BRPOP waiting for the next,
    and a channel with an auto-delete fanout queue, as the remote-control box. kombu's own
    transport raises AttributeError (the worker exits); ours raises nothing on close and a
    connection error on the late ack, which the worker logs and lives on. When kombu's own stops
    failing here, RedisChannel can go."""
    c = cluster
    c.start_redis()
    url = c.env["TSUR_CELERY_BROKER_URL"]
    work = Queue("work", Exchange("work", "direct"), "work")
    box = Queue("box", Exchange("box", "fanout"), auto_delete=True)
    with Connection(url) as producer:
        producer.Producer().publish({"n": 1}, exchange=work.exchange, routing_key="work", declare=[work])
    # BRPOP waits for up to polling_interval seconds at the server (1 s by default, then it is
    # sent again): long enough here that the one in flight is still waiting when Redis dies.
    conn = Connection(url, transport=transport, transport_options={"polling_interval": 30})
    received = []
    task_channel = conn.default_channel
    conn.Consumer([work], channel=task_channel, callbacks=[lambda body, message: received.append(message)]).consume()
    conn.Consumer([box], channel=conn.channel(), callbacks=[lambda body, message: None], no_ack=True).consume()
    for _ in range(30):  # the task message (kept unacknowledged: acks_late), then a BRPOP waiting for the next
        if received and task_channel._in_poll:
            break
        with contextlib.suppress(socket.timeout):
            conn.drain_events(timeout=0.3)
    assert len(received) == 1 and task_channel._in_poll

    c.kill("redis")
    conn.collect(socket_timeout=5)
    if transport.startswith("kombu."):
        try:
            conn.close()
        except AttributeError as exc:
            assert "hostname" in str(exc)
        else:
            pytest.fail("kombu's own Redis transport survives the race now: RedisChannel in tsur/celery.py can go")
        with pytest.raises(AttributeError, match="hostname"):
            received[0].ack()
        return
    conn.close()
    with pytest.raises(conn.connection_errors):
        received[0].ack()
