"""A throwaway production-like stack on loopback for fault tests: its own PostgreSQL (initdb/pg_ctl)
and Redis in a temporary folder, and processes of ours (Celery workers, gunicorn, a sweeper)
started with one environment and their output kept in log files, so a failure can print their
tails. Shared by tests/channels/test_fault.py and tests/faults/.

Nothing here restarts a process by itself: a test that wants "systemd" starts a new one."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
# Ports of this part (the lead's allocation); a port already taken is skipped, and when the whole
# range is taken the kernel picks one.
PORT_RANGE = tuple(int(p) for p in os.environ.get("TSUR_FAULT_PORTS", "18400-18499").split("-"))


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def missing_binaries(*extra: str) -> list[str]:
    """What the stack needs and this machine lacks (`extra`: more executables of the venv)."""
    missing = []
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    pg = pg_bin()
    if pg is None or not (pg / "initdb").exists():
        missing.append("PostgreSQL initdb/pg_ctl (/usr/lib/postgresql/*/bin)")
    for name in ("celery", *extra):
        if not (Path(sys.executable).parent / name).exists():
            missing.append(f"{name} in the virtualenv")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing.append("a 'postgres' user (initdb refuses to run as root)")
        if not shutil.which("runuser"):
            missing.append("runuser (to run PostgreSQL as the postgres user)")
    return missing


def skip_or_fail(missing: list[str], what: str = "fault test") -> None:
    """Skip with the reason; with TSUR_REQUIRE_FAULT=1 (CI) fail instead."""
    if not missing:
        return
    reason = f"{what} needs " + ", ".join(missing)
    if os.environ.get("TSUR_REQUIRE_FAULT") == "1":
        pytest.fail(reason + " (required: TSUR_REQUIRE_FAULT=1)")
    pytest.skip(reason)


_handed_out: set[int] = set()


def free_port() -> int:
    low, high = PORT_RANGE
    for port in range(low, high + 1):
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Cluster:
    """Throwaway PostgreSQL + Redis + processes of ours, all on loopback, in one folder."""

    def __init__(self, root: Path, *, settings_module: str, database: str = "tsur_fault"):
        self.root = root
        self.pg_bin = pg_bin()
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.pgdata = root / "pg" / "data"
        self.database = database
        self.processes: dict[str, subprocess.Popen] = {}
        self.probe = None  # a Celery app of our own, only to ask the workers over the broker
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.db_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/{database}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONPATH": os.pathsep.join([str(root), str(REPO)]),
            "TSUR_DATABASE_URL": self.db_url,
            "TSUR_CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "TSUR_VAR_DIR": str(root / "var"),
            "TSUR_LOG_LEVEL": "WARNING",
            "OPENBLAS_NUM_THREADS": "1",
            # Production settings refuse to start without a key; a throwaway one for these processes.
            "TSUR_SECRET_KEY": "fault-test-only-secret-key-" + secrets.token_hex(16),
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
            conn.execute(f"CREATE DATABASE {self.database}")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.pg_port} -k {self.root / 'pg'} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._pg("pg_ctl", "-D", str(self.pgdata), "-o", options, "-l", str(self.root / "pg" / "log"), "-w", "-t", "60", action, *extra)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/{self.database}", connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    def migrate(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "tsur", "migrate", "-v", "0"], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]

    # -- Redis -----------------------------------------------------------------------------------
    def start_redis(self) -> None:
        folder = self.root / "redis"
        folder.mkdir(exist_ok=True)
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--protected-mode", "yes"],
        )
        wait(self.redis_up, 20, "redis to accept connections")

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

    def start_worker(self, name: str, *, concurrency: int = 2, imports: tuple[str, ...] = ()) -> subprocess.Popen:
        celery = str(Path(sys.executable).parent / "celery")
        extra = ["-I", ",".join(imports)] if imports else []
        return self.spawn(
            name,
            [celery, "-A", "tsur", "worker", *extra, "-n", f"{name}@fault", "--concurrency", str(concurrency), "-P", "prefork",
             "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )

    def assert_alive(self, *names: str) -> None:
        for name in names:
            code = self.processes[name].poll()
            if code is not None:
                raise AssertionError(f"{name} exited with code {code}; nothing may restart it")

    def ask(self, question: str, *names: str) -> dict:
        """The workers' own answers over the broker (Celery remote control), by worker name; a
        worker that is not connected does not answer."""
        from celery import Celery

        if self.probe is None:
            self.probe = Celery("fault-probe", broker=self.env["TSUR_CELERY_BROKER_URL"], set_as_current=False)
        inspect = self.probe.control.inspect(destination=[f"{name}@fault" for name in names], timeout=2)
        try:
            replies = getattr(inspect, question)() or {}
        except Exception:  # Redis is restarting: ask again
            return {}
        return {hostname.split("@")[0]: answer for hostname, answer in replies.items()}

    def worker_stats(self, name: str) -> dict | None:
        """Its pid and how many tasks it has taken; None while it is not connected."""
        return self.ask("stats", name).get(name)

    def await_worker(self, name: str, pid: int, timeout: float = 60) -> dict:
        """Wait until the worker answers; it must be the same process that was started."""

        def answered():
            self.assert_alive(name)
            return self.worker_stats(name)

        stats = wait(answered, timeout, f"{name} to answer over the broker", every=0.5)
        assert stats["pid"] == pid, f"{name} answers from pid {stats['pid']}, it was started as {pid}"
        return stats

    def report(self) -> str:
        """The tails of every log (exit codes first), for a failure message."""
        lines = [f"{name}: {'running' if p.poll() is None else f'exited with code {p.poll()}'}" for name, p in self.processes.items()]
        for log in sorted(self.root.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-(80 if log.name.startswith("w") else 20):]
            lines += [f"----- {log.name} (last {len(tail)} lines)", *tail]
        pg_log = self.root / "pg" / "log"
        if pg_log.exists():
            lines += ["----- postgres log (last 20 lines)", *pg_log.read_text(errors="replace").splitlines()[-20:]]
        return "\n".join(lines)

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the process and its children, no goodbyes
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        proc.log.close()

    def stop(self) -> None:
        print("fault cluster: stopping", list(self.processes), flush=True)
        if self.probe is not None:
            with contextlib.suppress(Exception):
                self.probe.close()
        for name in list(self.processes):
            self.kill(name)
        if self.pgdata.exists():
            with contextlib.suppress(Exception):
                self._pg("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "-t", "30", "stop", check=False)


@contextlib.contextmanager
def cluster_in_tmp(prefix: str, **options: Any) -> Iterator[Cluster]:
    """A Cluster in a fresh folder; everything it started is stopped and the folder removed on the
    way out, also on failure or SIGTERM (TSUR_FAULT_KEEP=1 keeps the folder for a post-mortem)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # the postgres user must reach its data folder inside
    c = Cluster(root, **options)

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
