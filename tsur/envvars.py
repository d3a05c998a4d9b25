"""Reading the platform's settings from the environment (tsur.settings uses these).

Strict helpers: a malformed value fails the start with its variable's name instead of silently
falling back to a default. No Django settings are read here (this runs while they are being made).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

# Keys that were ever printed in this repository: never accepted outside development.
KNOWN_INSECURE_KEYS = frozenset({"tsur-insecure-development-key-change-me"})


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def _env_number(name: str, default: float, parse: type, what: str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be {what}, got {raw!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_url(url: str, var_dir: Path) -> dict:
    """sqlite:///path or postgres://user:pass@host:port/name -> a Django DATABASES entry (a relative
    or empty SQLite path: in `var_dir`)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):
            path = path[1:]
        elif path.startswith("/"):
            path = path[1:] or str(var_dir / "tsur.sqlite3")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or str(var_dir / "tsur.sqlite3"),
            # Concurrent writers (the server and its in-process worker) wait instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not shared-cache memory: concurrency tests need real SQLite locking with
            # the busy timeout, as in the embedded deployment.
            # One file per test process, so parallel runs in one checkout never share it.
            "TEST": {"NAME": os.environ.get("TSUR_TEST_DATABASE_NAME") or str(var_dir / f"test-{os.getpid()}.sqlite3")},
        }
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "TEST": {"NAME": os.environ.get("TSUR_TEST_DATABASE_NAME") or None},
        }
    raise ImproperlyConfigured(f"TSUR_DATABASE_URL: unsupported scheme {parsed.scheme!r}")


def secret_key(*, debug: bool, var_dir: Path) -> str:
    """TSUR_SECRET_KEY, or the first line of the file named by TSUR_SECRET_KEY_FILE. Without either
    the platform refuses to start: a key everybody knows lets anyone forge the signed links to
    attachments and sessions. Only with TSUR_DEBUG on does it make (once) a random key of its own
    in the var folder, so a developer's sessions survive restarts."""
    key = env_str("TSUR_SECRET_KEY", "").strip()
    path = env_str("TSUR_SECRET_KEY_FILE", "").strip()
    if not key and path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"TSUR_SECRET_KEY_FILE: cannot read {path}: {exc.strerror}") from exc
    if not key and debug:
        dev = var_dir / "dev-secret-key"
        if not dev.exists():
            dev.touch(mode=0o600)
            dev.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key = dev.read_text(encoding="utf-8").strip()
    if not key:
        raise ImproperlyConfigured(
            "TSUR_SECRET_KEY is not set. Set it to a long random value (e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`) or point TSUR_SECRET_KEY_FILE "
            "at a file holding one; TSUR_DEBUG=1 (development only) makes a random key in the var folder."
        )
    if not debug and (len(key) < 32 or key in KNOWN_INSECURE_KEYS):
        raise ImproperlyConfigured("TSUR_SECRET_KEY is too short or publicly known: use at least 32 random characters.")
    return key
