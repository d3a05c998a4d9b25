"""The restore drill: a realistic database (appeals with their event logs, photos, answers with
files, a problem, a poll with a vote, monitoring events) is backed up with `scripts/backup`, restored
with `scripts/restore` into a fresh database and an empty media folder, and verified: every table's
row count and checksum, the migrations, every file's bytes. A restore that was damaged afterwards (a
row deleted, a value changed, a file altered) fails the verify, and a non-empty database is refused.

The scripts run as subprocesses against the suite's own test database, committed (transactional
test), so the drill runs on whichever database the suite runs on: SQLite by default, PostgreSQL
with TSUR_DATABASE_URL=postgres://… — there it needs pg_dump/pg_restore matching the server, and
TSUR_REQUIRE_POSTGRES=1 (CI) turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.answers.helpers import pdf_bytes, png_bytes, upload
from tests.factories import build_world, new_appeal
from tests.monitoring.helpers import event, pressure_kind
from tests.polls.conftest import NOW as POLL_NOW
from tests.polls.conftest import build_poll, good_answers
from tsur.answers import services as answers
from tsur.answers.files import read_answer_files
from tsur.appeals import services
from tsur.appeals.photos import read_photo
from tsur.core import clock
from tsur.polls import services as polls

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
ANSWER = "Яма заделана 12.05.2025 подрядной организацией, участок проверен выездом инженера и принят по акту."


def build_realistic_database() -> dict:
    """Rows and files of every kind a backup must carry, made through the real services."""
    w = build_world()
    with_photos = [new_appeal(w, photos=[read_photo(png_bytes((20 + i, 10)))]) for i in range(3)]
    answered = with_photos[0]
    services.route_appeal(answered, w.operator)
    services.assign_executor(answered, w.coordinator, executor_id=w.executor.pk)
    act = read_answer_files([upload("акт.pdf", pdf_bytes())])
    answers.prepare_answer(answered, w.executor, text=ANSWER, files=act)
    answers.approve_answer(answered, w.operator)
    answers.publish_answer(answered, w.operator)
    answers.rate_appeal(answered, score=5)
    lead, second = new_appeal(w), new_appeal(w)
    services.join_to_problem(second, w.operator, lead_number=lead.number)
    poll = build_poll(w)
    with clock.at(POLL_NOW):
        polls.publish_poll(poll, w.operator)
        polls.cast_vote(poll, polls.account_identity(w.resident), w.village, good_answers(poll), channel="widget")
    kind = pressure_kind(w)
    for hours in range(3):
        event(kind, dt.datetime(2026, 12, 1, 10 + hours, tzinfo=dt.UTC))
    return {"appeals": 5, "answered": answered.number}


def _database_url(name: str) -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _env(database: str, media: Path, **env) -> dict:
    url = _database_url(database)
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "TSUR_DATABASE_URL": url, "TSUR_MEDIA_ROOT": str(media), **env}


def _run(args: list[str], database: str, media: Path, **env) -> subprocess.CompletedProcess:
    command = [str(REPO / "scripts" / args[0]), *args[1:]]
    return subprocess.run(command, env=_env(database, media, **env), capture_output=True, text=True, timeout=600)


def _verify(folder: Path, database: str, media: Path) -> subprocess.CompletedProcess:
    command = [str(REPO / ".venv/bin/tsur"), "backup", "verify", str(folder)]
    return subprocess.run(command, env=_env(database, media), capture_output=True, text=True, timeout=600)


class Fresh:
    """A fresh database of the suite's kind: a new SQLite file, or a new PostgreSQL database."""

    def __init__(self, tmp_path: Path) -> None:
        if connection.vendor == "sqlite":
            self.name = str(tmp_path / "restored.sqlite3")
        else:
            self.name = f"{connection.settings_dict['NAME']}_restored"[:63]
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{self.name}"')

    def execute(self, sql: str) -> int:
        if connection.vendor == "sqlite":
            db = sqlite3.connect(self.name)
            try:
                changed = db.execute(sql).rowcount
                db.commit()
            finally:
                db.close()
            return changed
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(dbname=self.name, user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"], port=s["PORT"] or None) as db:
            return db.execute(sql).rowcount

    def count(self, table: str) -> int:
        if connection.vendor == "sqlite":
            db = sqlite3.connect(self.name)
            try:
                return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            finally:
                db.close()
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(dbname=self.name, user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"], port=s["PORT"] or None) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _source_name() -> str:
    return str(connection.settings_dict["NAME"])


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _require_postgres_tools() -> None:
    if connection.vendor != "postgresql":
        return
    missing = [tool for tool in ("pg_dump", "pg_restore") if not shutil.which(tool)]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install postgresql-client of the server's version)"
        if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def drill(tmp_path: Path) -> None:
    _require_postgres_tools()
    build_realistic_database()
    media = Path(settings.MEDIA_ROOT)
    assert len([p for p in media.rglob("*") if p.is_file()]) == 4  # three photos and the answer's act

    made = _run(["backup", "--dest", str(tmp_path / "backups")], _source_name(), media)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["appeals_appeal"]["rows"] == 5
    assert manifest["tables"]["appeals_event"]["rows"] == _count("appeals_event") > 10
    assert len(manifest["media"]["files"]) == 4 and manifest["media"]["referenced_missing"] == []
    assert manifest["secret_key"]["included"] is False

    fresh = Fresh(tmp_path)
    try:
        restored_media = tmp_path / "restored-media"
        done = _run(["restore", str(folder)], fresh.name, restored_media)
        assert done.returncode == 0, done.stderr
        assert "совпадает с копией" in done.stdout
        # Independently of the manifest: the same rows and the same bytes.
        for table in ("appeals_appeal", "appeals_event", "appeals_attachment", "answers_answer", "polls_ballot",
                      "monitoring_monitoringevent", "django_migrations"):  # fmt: skip
            assert fresh.count(table) == _count(table), table
        compared = filecmp.dircmp(media, restored_media)
        assert not compared.left_only and not compared.right_only and not compared.diff_files
        assert all(filecmp.cmp(p, restored_media / p.relative_to(media), shallow=False) for p in media.rglob("*") if p.is_file())

        again = _run(["restore", str(folder)], fresh.name, tmp_path / "other-media")
        assert again.returncode != 0 and "не пуста" in again.stderr

        assert fresh.execute("DELETE FROM appeals_event WHERE id = (SELECT max(id) FROM appeals_event)") == 1
        damaged = _verify(folder, fresh.name, restored_media)
        assert damaged.returncode != 0
        assert "таблица appeals_event: строк" in damaged.stderr

        restore_again = _run(["restore", str(folder), "--force"], fresh.name, restored_media)
        assert restore_again.returncode == 0, restore_again.stderr
        assert fresh.execute("UPDATE appeals_appeal SET text_masked = text_masked || '.' WHERE id = (SELECT min(id) FROM appeals_appeal)") == 1
        photo = sorted(p for p in restored_media.rglob("*.png"))[0]
        photo.write_bytes(photo.read_bytes()[:-1] + b"\0")
        damaged = _verify(folder, fresh.name, restored_media)
        assert damaged.returncode != 0
        assert "таблица appeals_appeal: содержимое отличается" in damaged.stderr
        assert f"файл {photo.relative_to(restored_media).as_posix()}: содержимое отличается" in damaged.stderr
    finally:
        fresh.drop()


def test_it_restores_a_backup_into_a_fresh_database_and_proves_it(tmp_path):
    drill(tmp_path)


def test_it_runs_the_drill_on_postgresql_in_ci():
    """CI's PostgreSQL run must not silently skip the drill above on another database."""
    if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
        assert connection.vendor == "postgresql"
        assert shutil.which("pg_dump") and shutil.which("pg_restore")
    else:
        assert connection.vendor in ("sqlite", "postgresql")


def test_it_refuses_a_pg_dump_older_than_the_server(tmp_path):
    if connection.vendor != "postgresql":
        reason = "needs the suite on PostgreSQL (TSUR_DATABASE_URL=postgres://…)"
        if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    old = tmp_path / "bin"
    old.mkdir()
    (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (old / "pg_dump").chmod(0o755)
    made = _run(["backup", "--dest", str(tmp_path / "backups")], _source_name(), tmp_path / "media", TSUR_PG_BIN=str(old))
    assert made.returncode != 0
    assert "pg_dump 9 старше сервера PostgreSQL" in made.stderr
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())  # nothing half-written left
