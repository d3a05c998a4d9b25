"""Backups that prove their own restore: a consistent database snapshot, the media folder and a
manifest of what both hold (docs/ops-drafts/backup.md).

A backup is a folder `tsur-backup-<UTC time>/` with
- `database.dump` (PostgreSQL, `pg_dump -Fc`) or `database.sqlite3` (the embedded default, copied
  with SQLite's online backup API);
- `media.tar`, the media folder (attachments, stored reports);
- `manifest.json`: when, the migrations applied, per table its row count and a checksum of its rows
  read in primary-key order, every media file's size and sha256, and the files the database refers
  to that were not in the media folder when it was archived.

Consistency while the platform runs: on PostgreSQL the checksums are computed inside the very
snapshot pg_dump dumps (`pg_export_snapshot()` + `pg_dump --snapshot`), on SQLite from the copy
itself, so the manifest describes exactly the dump. The database goes first, the media second: an
attachment's file is written before its row commits (tsur.appeals.photos), so every file the
snapshot refers to is already on disk when the media are archived; files written meanwhile are
archived too and merely unreferenced. A referenced file deleted in between is listed.

The secret key is deliberately not in a backup (signed links to attachments and sessions depend on
it): the manifest keeps only a fingerprint, so a restore can warn when the key differs.

Core knows no app: tables come from the database's own catalogue, file references from every
installed model's FileFields (django.apps).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction
from django.utils.crypto import salted_hmac

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_FILE = "media.tar"
CHUNK = 1 << 20
# The same text for every value in both the backup and the verify session, whatever the server's
# defaults: the checksums hash PostgreSQL's text form of each row.
_PG_SESSION = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'iso_8601'",
    "SET LOCAL extra_float_digits = 3",
    "SET LOCAL bytea_output = 'hex'",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Verification:
    problems: list[str]
    warnings: list[str]
    tables: int
    rows: int
    files: int

    @property
    def ok(self) -> bool:
        return not self.problems


# --- checksums --------------------------------------------------------------------------------


def _pg_digests(cursor) -> dict[str, dict]:
    """Row count and checksum of every table visible in the search path, in one snapshot (the
    caller's transaction). Rows are hashed by the server (md5 of the row's text) and streamed in
    primary-key order; a table without a primary key is read in the order of those hashes."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND pg_table_is_visible(c.oid) "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY c.relname"
    )
    tables = [row[0] for row in cursor.fetchall()]
    out = {}
    for table in tables:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
            [_pg_quote(table)],
        )
        keys = [row[0] for row in cursor.fetchall()]
        order = ", ".join(_pg_quote(k) for k in keys) if keys else "1"
        name = f"tsur_backup_rows_{len(out)}"
        cursor.execute(f"DECLARE {name} NO SCROLL CURSOR FOR SELECT md5(t::text) FROM {_pg_quote(table)} AS t ORDER BY {order}")
        digest, rows = hashlib.sha256(), 0
        while batch := _fetch(cursor, f"FETCH 5000 FROM {name}"):
            rows += len(batch)
            digest.update("".join(f"{h}\n" for (h,) in batch).encode())
        cursor.execute(f"CLOSE {name}")
        out[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return out


def _fetch(cursor, sql: str) -> list:
    cursor.execute(sql)
    return cursor.fetchall()


def _pg_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_digests(db: sqlite3.Connection) -> dict[str, dict]:
    """The same for a SQLite file, read with the plain driver (no type conversion), each row as
    the repr of its stored values, in primary-key order (rowid for a table without one)."""
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = {}
    for table in tables:
        info = db.execute(f"PRAGMA table_info({_pg_quote(table)})").fetchall()
        keys = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        order = ", ".join(_pg_quote(k) for k in keys) if keys else "rowid"
        digest, rows = hashlib.sha256(), 0
        for row in db.execute(f"SELECT * FROM {_pg_quote(table)} ORDER BY {order}"):
            rows += 1
            digest.update(hashlib.md5(repr(row).encode(), usedforsecurity=False).hexdigest().encode() + b"\n")
        out[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return out


def _file_fields() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                found.append((model._meta.db_table, field.column))
    return sorted(set(found))


def _referenced(cursor) -> set[str]:
    """Names of the media files the database refers to (works on both drivers' cursors)."""
    names: set[str] = set()
    for table, column in _file_fields():
        try:
            cursor.execute(f"SELECT {_pg_quote(column)} FROM {_pg_quote(table)} WHERE {_pg_quote(column)} <> ''")
        except Exception as exc:  # a table not migrated in this database: nothing refers from it
            if "does not exist" in str(exc) or "no such table" in str(exc):
                raise BackupError(f"таблица {table} отсутствует в базе данных: примените миграции") from exc
            raise
        names.update(row[0] for row in cursor.fetchall() if row[0])
    return names


def _migrations(digest_source) -> list[str]:
    digest_source.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in digest_source.fetchall()]


# --- media ------------------------------------------------------------------------------------


def _walk(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _archive_media(root: Path, target: Path) -> dict[str, dict]:
    """Tar the media folder; each file is copied once into a spool while hashed, so the recorded
    size and sha256 are those of the bytes archived even if the file changes meanwhile."""
    files = {}
    with tarfile.open(target, "w") as tar:
        for path in _walk(root):
            name = path.relative_to(root).as_posix()
            digest = hashlib.sha256()
            with tempfile.SpooledTemporaryFile(max_size=16 * CHUNK) as spool:
                try:
                    with path.open("rb") as f:
                        while chunk := f.read(CHUNK):
                            digest.update(chunk)
                            spool.write(chunk)
                except FileNotFoundError:  # removed after the walk listed it
                    continue
                info = tarfile.TarInfo(name)
                info.size = spool.tell()
                info.mtime = int(path.stat().st_mtime) if path.exists() else 0
                info.mode = 0o644
                spool.seek(0)
                tar.addfile(info, spool)
            files[name] = {"size": info.size, "sha256": digest.hexdigest()}
    return files


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL tools -------------------------------------------------------------------------


def _tool(name: str) -> str:
    """pg_dump / pg_restore from TSUR_PG_BIN (e.g. /usr/lib/postgresql/16/bin) or the PATH."""
    folder = os.environ.get("TSUR_PG_BIN", "")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"{name} не найден: установите клиент PostgreSQL той же версии, что и сервер, или укажите TSUR_PG_BIN")
    return path


def _tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise BackupError(f"не удалось определить версию {path}: {out.strip()!r}")
    return int(match.group(1))


def _server_major(cursor) -> int:
    cursor.execute("SHOW server_version_num")
    return int(cursor.fetchone()[0]) // 10000


def _pg_args(alias: str) -> tuple[list[str], dict[str, str]]:
    s = connections[alias].settings_dict
    args = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} завершился с ошибкой {done.returncode}: {done.stderr.strip()[-2000:]}")


# --- create -----------------------------------------------------------------------------------


def key_fingerprint() -> str:
    """Says whether two installations share the secret key without revealing it."""
    return salted_hmac("tsur.core.backup.key-fingerprint", "backup").hexdigest()[:16]


def create(parent: Path, *, alias: str = "default", media_root: Path | None = None, now: dt.datetime | None = None) -> Path:
    """Write a backup folder under `parent` and return it. The folder appears under its final
    name only when complete (written as `<name>.partial` first)."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    now = now or dt.datetime.now(dt.UTC)
    name = f"tsur-backup-{now:%Y%m%dT%H%M%SZ}"
    final = Path(parent) / name
    work = Path(parent) / f"{name}.partial"
    if final.exists():
        raise BackupError(f"{final} уже существует")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        _write(work, alias, media_root, now)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # no half-written backup is ever left to be trusted
        raise
    work.rename(final)
    return final


def _write(work: Path, alias: str, media_root: Path, now: dt.datetime) -> None:
    conn = connections[alias]
    manifest: dict = {"format": FORMAT, "created_at": now.isoformat(timespec="seconds"), "vendor": conn.vendor}
    if conn.vendor == "postgresql":
        database, referenced = _dump_postgres(alias, work, manifest)
    elif conn.vendor == "sqlite":
        database, referenced = _dump_sqlite(alias, work)
    else:
        raise BackupError(f"резервное копирование для {conn.vendor} не поддерживается")
    manifest.update(database)
    files = _archive_media(media_root, work / MEDIA_FILE)  # after the database: see the module's note
    manifest["media"] = {"files": files, "bytes": sum(f["size"] for f in files.values())}
    manifest["media"]["referenced_missing"] = sorted(referenced - set(files))
    manifest["secret_key"] = {"included": False, "fingerprint": key_fingerprint()}
    manifest["sizes"] = {p.name: p.stat().st_size for p in sorted(work.iterdir())}
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


def _dump_postgres(alias: str, work: Path, manifest: dict) -> tuple[dict, set[str]]:
    conn = connections[alias]
    dump_tool = _tool("pg_dump")
    args, env = _pg_args(alias)
    with transaction.atomic(using=alias), conn.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for statement in _PG_SESSION:
            cursor.execute(statement)
        server, client = _server_major(cursor), _tool_major(dump_tool)
        if client < server:
            raise BackupError(f"pg_dump {client} старше сервера PostgreSQL {server}: нужен pg_dump версии {server} (TSUR_PG_BIN)")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        # pg_dump reads exactly this transaction's snapshot while it stays open.
        _run([dump_tool, *args, "--format=custom", f"--snapshot={snapshot}", "--file", str(work / PG_DUMP_FILE)], env)
        tables = _pg_digests(cursor)
        migrations = _migrations(cursor)
        referenced = _referenced(cursor)
    manifest["postgresql"] = {"server_major": server, "pg_dump_major": client}
    return {"tables": tables, "migrations": migrations}, referenced


def _dump_sqlite(alias: str, work: Path) -> tuple[dict, set[str]]:
    conn = connections[alias]
    conn.ensure_connection()
    target = sqlite3.connect(work / SQLITE_FILE)
    try:
        # One step (pages=-1): the source is read under one shared lock, a consistent copy.
        conn.connection.backup(target)
    finally:
        target.close()
    copy = sqlite3.connect(f"file:{work / SQLITE_FILE}?mode=ro", uri=True)
    try:
        tables = _sqlite_digests(copy)
        cursor = copy.cursor()
        migrations = _migrations(cursor)
        referenced = _referenced(cursor)
    finally:
        copy.close()
    return {"tables": tables, "migrations": migrations}, referenced


# --- restore ----------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path}: нет манифеста — это не папка резервной копии")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: неизвестный формат {manifest.get('format')!r}")
    return manifest


def _existing_tables(alias: str) -> list[str]:
    conn = connections[alias]
    with conn.cursor() as cursor:
        return conn.introspection.table_names(cursor)


def restore(folder: Path, *, alias: str = "default", media_root: Path | None = None, force: bool = False) -> Verification:
    """Restore into a fresh database and an empty media folder (refused otherwise unless
    `force`), then verify against the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    conn = connections[alias]
    if manifest["vendor"] != conn.vendor:
        raise BackupError(f"копия сделана из {manifest['vendor']}, а восстанавливается в {conn.vendor}")
    tables = _existing_tables(alias)
    if tables and not force:
        raise BackupError(
            f"база данных {conn.settings_dict['NAME']} не пуста ({len(tables)} таблиц): восстанавливайте в новую базу "
            "или укажите --force, чтобы заменить её содержимое"
        )
    if any(_walk(media_root)) and not force:
        raise BackupError(f"папка медиафайлов {media_root} не пуста: укажите пустую (TSUR_MEDIA_ROOT) или --force")
    if conn.vendor == "postgresql":
        _restore_postgres(folder, alias, manifest, clean=bool(tables))
    else:
        _restore_sqlite(folder, alias)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_FILE) as tar:
        tar.extractall(media_root, filter="data")  # no absolute paths, no "..", no devices
    conn.close()
    return verify(manifest, alias=alias, media_root=media_root)


def _restore_postgres(folder: Path, alias: str, manifest: dict, *, clean: bool) -> None:
    tool = _tool("pg_restore")
    need = manifest.get("postgresql", {}).get("pg_dump_major", 0)
    have = _tool_major(tool)
    if have < need:
        raise BackupError(f"pg_restore {have} не читает архив pg_dump {need}: нужен pg_restore версии {need} или новее (TSUR_PG_BIN)")
    args, env = _pg_args(alias)
    connections[alias].close()
    extra = ["--clean", "--if-exists"] if clean else []
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run([tool, *args, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", *extra, str(folder / PG_DUMP_FILE)], env)


def _restore_sqlite(folder: Path, alias: str) -> None:
    conn = connections[alias]
    conn.close()
    target = Path(conn.settings_dict["NAME"])
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{folder / SQLITE_FILE}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()


# --- verify -----------------------------------------------------------------------------------


def current_state(alias: str = "default") -> tuple[dict[str, dict], list[str], set[str]]:
    """Table digests, migrations and referenced files of the database behind `alias` now."""
    conn = connections[alias]
    if conn.vendor == "postgresql":
        with transaction.atomic(using=alias), conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for statement in _PG_SESSION:
                cursor.execute(statement)
            return _pg_digests(cursor), _migrations(cursor), _referenced(cursor)
    if conn.vendor == "sqlite":
        db = sqlite3.connect(f"file:{conn.settings_dict['NAME']}?mode=ro", uri=True)
        try:
            cursor = db.cursor()
            return _sqlite_digests(db), _migrations(cursor), _referenced(cursor)
        finally:
            db.close()
    raise BackupError(f"проверка для {conn.vendor} не поддерживается")


def verify(manifest: dict, *, alias: str = "default", media_root: Path | None = None) -> Verification:
    """Compare the database and the media folder with a manifest: every table's row count and
    checksum, the migrations, every archived file's bytes, and every file the database refers to."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    tables, migrations, referenced = current_state(alias)
    problems, warnings = [], []
    expected = manifest["tables"]
    for table in sorted(set(expected) - set(tables)):
        problems.append(f"таблица {table}: отсутствует")
    for table in sorted(set(tables) - set(expected)):
        problems.append(f"таблица {table}: лишняя (в копии её нет)")
    for table in sorted(set(expected) & set(tables)):
        want, got = expected[table], tables[table]
        if want["rows"] != got["rows"]:
            problems.append(f"таблица {table}: строк {got['rows']}, в копии {want['rows']}")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"таблица {table}: содержимое отличается от копии (контрольная сумма)")
    if migrations != manifest["migrations"]:
        problems.append("применённые миграции отличаются от копии")
    files = manifest["media"]["files"]
    for name, want in sorted(files.items()):
        path = media_root / name
        if not path.is_file():
            problems.append(f"файл {name}: отсутствует")
        elif path.stat().st_size != want["size"] or _hash_file(path) != want["sha256"]:
            problems.append(f"файл {name}: содержимое отличается от копии")
    missing = sorted(n for n in referenced if not (media_root / n).is_file())
    if missing:
        problems.append(f"база ссылается на {len(missing)} отсутствующих файлов: {', '.join(missing[:10])}")
    if manifest["media"].get("referenced_missing"):
        warnings.append(f"уже при копировании отсутствовали файлы: {', '.join(manifest['media']['referenced_missing'][:10])}")
    if manifest.get("secret_key", {}).get("fingerprint") not in (None, key_fingerprint()):
        warnings.append(
            "секретный ключ отличается от ключа исходной установки: подписанные ссылки на вложения и сессии перестанут "
            "действовать; верните прежний ключ (TSUR_SECRET_KEY_FILE), если это восстановление той же установки"
        )
    return Verification(problems, warnings, len(tables), sum(t["rows"] for t in tables.values()), len(files))
