"""Faults during sustained intake over real HTTP (issue 12, item 4).

One run with phases (about three minutes). The stack: a throwaway PostgreSQL and Redis
(tests/faults/stack.py), gunicorn with 2 workers (deploy/gunicorn.conf.py when it exists, the
bind and worker count given here), two Celery workers, a sweeper running `tick` every 2 s, the
attachments folder (MEDIA_ROOT) on a 2 MB tmpfs, and a fake VK wall on loopback that the VK
channel listens to. Two feeder threads post appeals to `POST /api/appeals` (every fourth with a
photo, multipart) as a well-behaved client does: an idempotency key (external_id, a UUID) per
appeal, and the same request again after a connection error or a 5xx until it is acknowledged.
Meanwhile the wall gets a post a second.

The phases, at seeded moments (TSUR_FAULT_SEED, default 7):
1. a gunicorn worker is SIGKILLed mid-load; the master replaces it;
2. a Celery worker is SIGKILLed and a new one started (what systemd does);
3. Redis restarts with nothing on disk, then PostgreSQL stops in immediate mode for a few seconds:
   while it is down the API answers 503 with code `database_unavailable` and the widget a Russian
   503 page (no 500, no traceback); then it comes back by itself;
4. the attachments disk fills up: a multipart appeal with two photos (the first fits, the second
   does not) gets 507 `attachments_storage_full` and leaves no row and no file, the widget shows the
   Russian message; the feeders' photo appeals are refused until space is freed, then go through;
5. the VK server is cut from before phase 1 until the channel has recorded the failure (its
   health: `last_error`, `failures`), then comes back; listening picks up every post.
At the end: every acknowledged appeal is stored exactly once with its photos (sha256 checked),
no file without a row, every appeal triaged (none left `received`), every wall post stored once,
nothing pending or failed, no 500 answer at all, and the processes that had to survive did.
On failure the logs' tails are printed; everything started is stopped in `finally`.

Skipped with the reason unless redis-server, PostgreSQL's initdb/pg_ctl, celery and gunicorn
exist; with TSUR_REQUIRE_FAULT=1 (CI) a missing one fails the test instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.faults.fake_vk import GROUP_ID, FakeVkWall
from tests.faults.intake_feed import SEED, Feeders, attachment_files, django_shell, gunicorn_workers, mount_media, photo, write_environment
from tests.faults.stack import REPO, Cluster, cluster_in_tmp, free_port, missing_binaries, skip_or_fail, wait

pytestmark = pytest.mark.fault

# --- the test ------------------------------------------------------------------------------------


@pytest.fixture
def cluster():
    skip_or_fail(missing_binaries("gunicorn"), "intake fault test")
    with cluster_in_tmp("tsur-intake-fault-", settings_module="intake_settings", database="tsur_faults") as c:
        yield c


def test_it_keeps_every_acknowledged_appeal_exactly_once_through_faults(cluster):
    c = cluster
    media = c.root / "media"
    try:
        run_phases(c, media)
    except BaseException:
        print(c.report())
        raise
    finally:
        for t in getattr(c, "threads_to_stop", []):
            t.set()
        if getattr(c, "wall", None) is not None:
            c.wall.cut()
        if os.path.ismount(media):
            subprocess.run(["umount", "-l", str(media)], check=False)


def run_phases(c: Cluster, media: Path) -> None:
    rng = random.Random(SEED)
    full_flag = c.root / "disk-full"
    storage = mount_media(media)
    write_environment(c.root, media, full_flag)
    c.env.update({"TSUR_HTTPS": "false", "TSUR_RATE_LIMITS": "0", "TSUR_MEDIA_ROOT": str(media)})
    c.start_postgres()
    c.start_redis()
    c.migrate()

    wall = FakeVkWall(free_port())
    wall.start()
    c.wall = wall
    vk_settings = {"access_token": "fault-token", "api_url": wall.api_url, "group_ids": [GROUP_ID], "listen_comments": False,
                   "poll_interval": 30, "page_size": 100, "max_pages": 3, "min_interval": 0, "timeout": 5}
    django_shell(c, "from tsur.channels.models import ChannelConfig; "
                 f"ChannelConfig.objects.create(code='vk-fault', kind='vk', name='ВК', enabled=True, settings={vk_settings!r})")

    for name in ("w1", "w2"):
        c.start_worker(name, concurrency=1)
    c.python("sweeper", "intake_sweeper.py", str(c.root / "stop-sweeper"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    conf = REPO / "deploy" / "gunicorn.conf.py"
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), *(["-c", str(conf)] if conf.exists() else []),
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60", "--graceful-timeout", "5", "tsur.wsgi:application"]
    master = c.spawn("gunicorn", gunicorn)
    wait(lambda: len(gunicorn_workers(master.pid)) == 2, 60, "gunicorn's two workers")

    def web_up() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{base}/api/categories", timeout=5).status_code == 200
        return False

    wait(web_up, 90, "gunicorn to answer")
    survivors = {"w2": c.processes["w2"].pid}
    c.await_worker("w1", c.processes["w1"].pid, timeout=120)
    c.await_worker("w2", survivors["w2"], timeout=120)

    # The wall gets a post a second until the end of the phases, whether the server is up or not.
    posts_done = threading.Event()
    c.threads_to_stop = [posts_done]
    published: list[str] = []

    def post_to_wall() -> None:
        n = 0
        while not posts_done.wait(1.0):
            n += 1
            published.append(wall.publish(f"Во дворе дома {n} на улице Ленина прорвало трубу, течёт вода"))

    threading.Thread(target=post_to_wall, daemon=True).start()
    feeders = Feeders(base, SEED)
    c.threads_to_stop.append(feeders.stop)
    feeders.start()
    result: dict = {"seed": SEED, "attachments_storage": storage, "gunicorn_config": str(conf) if conf.exists() else "flags"}
    started = time.monotonic()

    def channel() -> dict:
        row = c.sql("SELECT last_error, failures, last_polled_at FROM intake_channels_channelconfig WHERE code = 'vk-fault'")[0]
        return {"last_error": row[0], "failures": row[1], "polled": row[2] is not None}

    def acked_at_least(n: int, what: str, timeout: float = 120) -> None:
        wait(lambda: feeders.count() >= n, timeout, f"{n} acknowledged appeals ({what})")

    # Listening works, then its server goes away (phase 5 begins).
    wait(lambda: channel()["polled"] and wall.calls > 0, 90, "the first poll of the wall", every=1)
    acked_at_least(20, "warm-up")
    wall.cut()
    result["wall cut at post"] = len(published)

    # Phase 1: a gunicorn worker killed mid-load.
    time.sleep(rng.uniform(0, 1))
    workers = gunicorn_workers(master.pid)
    victim = rng.choice(workers)
    before = feeders.count()
    os.kill(victim, signal.SIGKILL)
    wait(lambda: len(gunicorn_workers(master.pid)) == 2 and victim not in gunicorn_workers(master.pid), 60, "the master to replace its worker")
    acked_at_least(before + 20, "after the web worker was killed")
    result["phase 1: web worker killed"] = {"acknowledged before": before, "replaced": True}

    # Phase 2: a Celery worker killed, a new one started as systemd would.
    time.sleep(rng.uniform(0, 1))
    c.kill("w1")
    w3 = c.start_worker("w3", concurrency=1)
    c.await_worker("w3", w3.pid, timeout=120)
    result["phase 2: celery worker killed"] = {"acknowledged": feeders.count()}

    # Phase 3: Redis restarted with nothing on disk, then PostgreSQL stopped in immediate mode.
    time.sleep(rng.uniform(0, 1))
    c.kill("redis")
    time.sleep(rng.uniform(1, 3))
    c.start_redis()
    c.await_worker("w2", survivors["w2"])
    c.await_worker("w3", w3.pid)
    before = feeders.count()
    acked_at_least(before + 10, "after the Redis restart")
    c.pg_ctl("stop", "-m", "immediate")
    down_at = time.monotonic()
    probe_key = str(uuid.UUID(int=rng.getrandbits(128)))
    probe = requests.post(f"{base}/api/appeals", json={"text": "Проверка во время отказа базы", "external_id": probe_key}, timeout=30)
    probe_seconds = time.monotonic() - down_at
    page = requests.get(f"{base}/widget/", timeout=30)
    page_seconds = time.monotonic() - down_at - probe_seconds
    time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))
    c.pg_ctl("start")
    pg_down = time.monotonic() - down_at
    assert probe.status_code == 503, probe.text[:500]
    assert probe.json()["code"] == "database_unavailable" and probe.headers.get("Retry-After"), probe.text
    assert page.status_code == 503 and "Сервис временно недоступен" in page.text and "Traceback" not in page.text, page.text[:500]
    before = feeders.count()
    acked_at_least(before + 10, "after PostgreSQL came back")
    result["phase 3: redis and postgres restarted"] = {
        "postgres down seconds": round(pg_down, 1), "api while down": [probe.status_code, probe.json()["code"]],
        "seconds to answer while down": {"api": round(probe_seconds, 1), "widget": round(page_seconds, 1)},
        "widget while down": page.status_code, "recovered without help": True,
    }

    # Phase 4: the attachments disk fills up.
    feeders.pause()
    filler = media / "filler"
    if storage == "tmpfs":
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
        os.truncate(filler, filler.stat().st_size - 3 * 4096)  # room for one small photo, not two
    else:
        full_flag.touch()
    files_before = attachment_files(media)
    two = [photo(rng, 40), photo(rng, 40)]  # about 5 KB each
    key = str(uuid.UUID(int=rng.getrandbits(128)))
    form = {"text": "Сломана скамейка у дома 5 на улице Кирова", "external_id": key}

    def send_two() -> requests.Response:
        parts = [("photos", (f"{n}.png", f, "image/png")) for n, f in enumerate(two)]
        return requests.post(f"{base}/api/appeals/multipart", data=form, files=parts, timeout=30)

    full = send_two()
    assert full.status_code == 507, full.text[:500]
    assert full.json()["code"] == "attachments_storage_full" and full.headers.get("Retry-After"), full.text
    assert attachment_files(media) == files_before, "a refused appeal left files behind"
    assert c.sql("SELECT count(*) FROM appeals_appeal WHERE external_id = %s", (f"anon:{key}",))[0][0] == 0
    widget_page = requests.get(f"{base}/widget/", timeout=30).text
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', widget_page) or re.search(r'value="([^"]+)"[^>]*name="form_token"', widget_page)
    assert token, "no form token on the widget"
    widget = requests.post(f"{base}/widget/", data={"form_token": token.group(1), "text": "Яма во дворе дома 3 на улице Садовой"},
                           files=[("photos", ("a.png", two[0], "image/png")), ("photos", ("b.png", two[1], "image/png"))], timeout=30)
    assert widget.status_code == 507 and "закончилось место для вложений" in widget.text, widget.text[:500]
    assert attachment_files(media) == files_before
    refused_before = feeders.answers[507]
    feeders.run.set()  # photo appeals are refused (and retried) while the disk stays full
    wait(lambda: feeders.answers[507] > refused_before, 60, "a feeder's photo appeal to be refused")
    time.sleep(rng.uniform(1, 2))
    if storage == "tmpfs":
        filler.unlink()
    else:
        full_flag.unlink()
    photos_before = feeders.with_photos()
    again = send_two()
    assert again.status_code == 201, again.text[:500]
    wait(lambda: feeders.with_photos() >= photos_before + 2, 120, "photo appeals to go through again")
    result["phase 4: attachments disk full"] = {
        "api": [full.status_code, full.json()["code"]], "widget": widget.status_code,
        "feeders' photo appeals refused then retried": feeders.answers[507] - refused_before, "after freeing": again.status_code,
    }

    # Phase 5 ends: the failure is on record, the server returns.
    wait(lambda: channel()["failures"] > 0, 90, "the channel to record the cut server", every=1)
    health = channel()
    wall.start()
    result["phase 5: channel server cut"] = {"recorded error": health["last_error"][:200], "failures in a row": health["failures"]}

    # Done feeding; the sweeper and the workers finish the rest by themselves.
    time.sleep(3)
    posts_done.set()
    feeders.stop.set()
    for t in feeders.threads:
        t.join(timeout=60)
    fed_seconds = time.monotonic() - started
    wall_posts = len(published)

    def settled() -> bool:
        c.assert_alive("w2", "w3", "gunicorn", "sweeper", "redis")
        stored = c.sql("SELECT count(*) FROM intake_channels_inboundmessage")[0][0]
        left = c.sql(
            "SELECT (SELECT count(*) FROM intake_channels_inboundmessage WHERE state = 'pending')"
            " + (SELECT count(*) FROM appeals_appeal WHERE status = 'received')"
        )[0][0]
        return stored >= wall_posts and left == 0 and channel()["failures"] == 0

    wait(settled, 180, "listening to catch up and every appeal to be triaged", every=2)
    (c.root / "stop-sweeper").touch()
    total_seconds = time.monotonic() - started

    # The count.
    acked = dict(feeders.acked)
    rows = dict(c.sql("SELECT external_id, number FROM appeals_appeal WHERE external_id LIKE 'anon:%%'"))
    dupes = c.sql("SELECT external_id, count(*) FROM appeals_appeal WHERE external_id LIKE 'anon:%%' GROUP BY 1 HAVING count(*) > 1")
    stored_photos: dict[str, list[tuple[str, str]]] = {}
    for ext, name, sha in c.sql(
        "SELECT a.external_id, f.file, f.sha256 FROM appeals_attachment f JOIN appeals_appeal a ON a.id = f.appeal_id "
        "WHERE a.external_id LIKE 'anon:%%'"
    ):
        stored_photos.setdefault(ext, []).append((name, sha))
    assert not dupes, dupes
    expected = {f"anon:{k}": v for k, v in acked.items()}
    expected[f"anon:{key}"] = {"number": again.json()["number"], "photos": [hashlib.sha256(f).hexdigest() for f in two]}
    lost, unacknowledged = sorted(set(expected) - set(rows)), sorted(set(rows) - set(expected))
    assert not lost and not unacknowledged, {"lost": lost[:5], "stored but never acknowledged": unacknowledged[:5]}
    assert all(rows[k] == v["number"] for k, v in expected.items())
    for ext, v in expected.items():
        got = stored_photos.get(ext, [])
        assert sorted(sha for _, sha in got) == sorted(v["photos"]), ext
        for name, sha in got:
            assert hashlib.sha256((media / name).read_bytes()).hexdigest() == sha, name
    known_files = {name for (name,) in c.sql("SELECT file FROM appeals_attachment")}
    orphans = sorted(attachment_files(media) - known_files)
    # A worker killed (or a database lost) between writing a photo and committing can leave a
    # file; the periodic clean-up removes such files. Count them, run it, and nothing may be left.
    cleanup = "import datetime as dt; from tsur.appeals.photos import remove_orphan_files as r; print(r(dt.timedelta(0)))"
    removed = int(django_shell(c, cleanup).strip().splitlines()[-1])
    assert removed == len(orphans) and attachment_files(media) == known_files
    wall_rows, wall_distinct = c.sql(
        "SELECT count(*), count(DISTINCT m.external_id) FROM intake_channels_inboundmessage m "
        "JOIN intake_channels_channelconfig ch ON ch.id = m.channel_id WHERE ch.code = 'vk-fault'"
    )[0]
    states = dict(c.sql("SELECT state, count(*) FROM intake_channels_inboundmessage GROUP BY state"))
    statuses = dict(c.sql("SELECT status, count(*) FROM appeals_appeal GROUP BY status"))
    result.update({
        "acknowledged appeals": len(expected), "with photos": sum(1 for v in expected.values() if v["photos"]),
        "answers seen by the client": {str(k): v for k, v in sorted(feeders.answers.items(), key=str)},
        "first bodies": feeders.samples, "wall posts": wall_posts, "wall rows": wall_rows, "inbound states": states,
        "appeal statuses": statuses, "orphan files found and removed": removed, "fed seconds": round(fed_seconds, 1),
        "total seconds": round(total_seconds, 1),
    })
    print("intake fault test:", json.dumps(result, ensure_ascii=False, default=str))
    assert feeders.refused == [], feeders.refused[:5]
    assert feeders.answers[500] == 0, feeders.samples.get("500")
    assert wall_rows == wall_distinct == wall_posts  # every post once, none lost while the server was away
    assert states.get("pending", 0) == 0 and states.get("failed", 0) == 0
    assert statuses.get("received", 0) == 0
    assert health["last_error"] and channel() == {"last_error": "", "failures": 0, "polled": True}
    c.assert_alive("w2", "w3", "gunicorn")  # the sweeper was told to stop above
    assert c.processes["gunicorn"].pid == master.pid and c.processes["w2"].pid == survivors["w2"]
