"""The intake fault test's pieces (tests/faults/test_intake_faults.py): the appeals and photos the
feeders post, the environment of the subprocesses, the feeders themselves, and what the test reads
of the processes and the attachments folder."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

from tests.faults.stack import REPO, Cluster

SEED = int(os.environ.get("TSUR_FAULT_SEED", "7"))
FEEDERS = 2
PHOTO_EVERY = 4  # every fourth appeal carries a photo
MEDIA_BYTES = 2 * 1024 * 1024
TEXTS = (
    "Яма на дороге у дома {n} по улице {s}, машины бьют колёса",
    "Не вывозят мусор во дворе дома {n} на улице {s} уже неделю",
    "Не горят фонари на улице {s} возле дома {n}, вечером темно",
    "Снег не убран на улице {s}, у дома {n} не пройти к остановке",
)
STREETS = ("Ленина", "Гагарина", "Кирова", "Садовая")


def photo(rng: random.Random, side: int) -> bytes:
    """A PNG of noise (it does not compress, so its size is about side² × 3 bytes)."""
    from PIL import Image

    img = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# --- the environment of the subprocesses ---------------------------------------------------------


def write_environment(root: Path, media: Path, full_flag: Path) -> None:
    (root / "intake_settings.py").write_text(
        textwrap.dedent(f"""\
        from tsur.settings import *  # noqa: F403

        MEDIA_ROOT = {str(media)!r}
        TSUR_CHANNEL_LEASE_SECONDS = 15
        # When no small filesystem can be mounted, writes fail with ENOSPC while this file exists.
        if not __import__("os").path.ismount(MEDIA_ROOT):
            STORAGES = {{**STORAGES, "default": {{"BACKEND": "intake_env.FullWhenFlagged"}}}}  # noqa: F405
        """),
        encoding="utf-8",
    )
    (root / "intake_env.py").write_text(
        textwrap.dedent(f"""\
        import errno, os

        from django.core.files.storage import FileSystemStorage


        class FullWhenFlagged(FileSystemStorage):
            def _save(self, name, content):
                if os.path.exists({str(full_flag)!r}):
                    raise OSError(errno.ENOSPC, "No space left on device (simulated)")
                return super()._save(name, content)
        """),
        encoding="utf-8",
    )
    (root / "intake_sweeper.py").write_text(
        textwrap.dedent("""\
        import os, sys, time

        import django

        django.setup()
        from django.db import connection

        from tsur.core.tasks import tick

        stop = sys.argv[1]
        while not os.path.exists(stop):
            try:
                print("tick:", tick.run(), flush=True)
            except Exception as exc:  # the database is restarting: next round
                print("tick failed:", type(exc).__name__, flush=True)
            connection.close()
            time.sleep(2)
        """),
        encoding="utf-8",
    )


def mount_media(media: Path) -> str:
    """MEDIA_ROOT on a 2 MB tmpfs; without the right to mount, the flag-file storage above."""
    media.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MEDIA_BYTES},mode=0755", "tmpfs", str(media)], capture_output=True, text=True)
    return "tmpfs" if done.returncode == 0 else "simulated ENOSPC (mount failed: " + done.stderr.strip() + ")"


# --- the client ----------------------------------------------------------------------------------


class Feeders:
    """Threads posting appeals as a well-behaved client: one idempotency key per appeal, the same
    request again after a connection error or a 5xx (pausing as the server asks, at most 2 s)."""

    def __init__(self, base: str, seed: int):
        self.base = base
        self.seed = seed
        self.acked: dict[str, dict] = {}  # external_id -> {"number", "photos": [sha256], "status"}
        self.answers: Counter = Counter()  # HTTP status (or "connection error") -> count
        self.samples: dict[str, str] = {}  # the first body of each non-2xx status
        self.refused: list[tuple[str, int, str]] = []  # 4xx: a client bug, must stay empty
        self.run = threading.Event()
        self.run.set()
        self.idle = [threading.Event() for _ in range(FEEDERS)]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._feed, args=(k,), daemon=True) for k in range(FEEDERS)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def count(self) -> int:
        with self.lock:
            return len(self.acked)

    def with_photos(self) -> int:
        with self.lock:
            return sum(1 for a in self.acked.values() if a["photos"])

    def pause(self) -> None:
        self.run.clear()
        for idle in self.idle:
            assert idle.wait(60), "a feeder did not finish its request within 60 s"

    def _feed(self, k: int) -> None:
        rng = random.Random(self.seed * 100 + k)
        i = 0
        while not self.stop.is_set():
            if not self.run.is_set():
                self.idle[k].set()
                self.run.wait(0.2)
                continue
            self.idle[k].clear()
            i += 1
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            text = rng.choice(TEXTS).format(n=rng.randint(1, 300), s=rng.choice(STREETS)) + f" (заявка {k}-{i})"
            files = [photo(rng, 16)] if i % PHOTO_EVERY == 0 else []
            self._submit(key, text, files)
            time.sleep(0.05)
        self.idle[k].set()

    def _submit(self, key: str, text: str, files: list[bytes]) -> None:
        delay = 0.2
        while True:
            try:
                if files:
                    r = requests.post(
                        f"{self.base}/api/appeals/multipart", data={"text": text, "external_id": key},
                        files=[("photos", (f"p{n}.png", content, "image/png")) for n, content in enumerate(files)], timeout=30,
                    )
                else:
                    r = requests.post(f"{self.base}/api/appeals", json={"text": text, "external_id": key}, timeout=30)
            except requests.RequestException as exc:
                with self.lock:
                    self.answers["connection error"] += 1
                    self.samples.setdefault("connection error", type(exc).__name__)
            else:
                with self.lock:
                    self.answers[r.status_code] += 1
                    if r.status_code in (200, 201):
                        self.acked[key] = {"number": r.json()["number"], "photos": [hashlib.sha256(f).hexdigest() for f in files]}
                        return
                    self.samples.setdefault(str(r.status_code), r.text[:600])
                    if r.status_code < 500:
                        self.refused.append((key, r.status_code, r.text[:300]))
                        return
                delay = min(2.0, float(r.headers.get("Retry-After") or delay))
            time.sleep(delay)
            delay = min(2.0, delay * 2)


# --- what the test reads of the processes and the attachments ------------------------------------


def gunicorn_workers(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master and fields[0] != "Z":
                children.append(int(stat.parent.name))
    return sorted(children)


def django_shell(c: Cluster, code: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tsur", "shell", "-c", code], cwd=REPO, env=c.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def attachment_files(media: Path) -> set[str]:
    folder = media / "attachments"
    return {p.relative_to(media).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
