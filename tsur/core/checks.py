"""System checks for running on several processes and hosts (docs/ops-drafts/scaling.md).

They look at settings only, and only outside development (TSUR_DEBUG off): the embedded default is
one process, where local memory is a shared cache. With Celery workers (a broker) or several web
workers, state that lives in one process's memory or one host's disk is no longer shared."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning


def _processes() -> str:
    """Why more than one process serves this installation ("" when it is one)."""
    reasons = []
    if getattr(settings, "TSUR_WEB_WORKERS", 0) > 1:
        reasons.append(f"TSUR_WEB_WORKERS={settings.TSUR_WEB_WORKERS}")
    if getattr(settings, "CELERY_BROKER_URL", ""):
        reasons.append("Celery workers (TSUR_CELERY_BROKER_URL)")
    return ", ".join(reasons)


def check_several_processes(app_configs=None, **kwargs) -> list[Warning]:
    if settings.DEBUG:
        return []
    several = _processes()
    if not several:
        return []
    found = []
    local_cache = settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    if local_cache:
        found.append(
            Warning(
                f"The cache is local memory but several processes serve the platform ({several}).",
                hint="Rate limits, login throttling and cached figures would be counted per process: set "
                "TSUR_CACHE_URL=redis://… (one Redis shared by every web and worker host).",
                id="tsur.W101",
            )
        )
    if local_cache and settings.SESSION_ENGINE.endswith((".cache", ".cached_db")):
        found.append(
            Warning(
                "Sessions are kept in a local-memory cache.",
                hint="Keep the default database sessions (django.contrib.sessions.backends.db) or a shared cache.",
                id="tsur.W102",
            )
        )
    if getattr(settings, "TSUR_INPROCESS_TICK_SECONDS", 0) > 0:
        found.append(
            Warning(
                f"The in-process scheduler is on (TSUR_INPROCESS_TICK_SECONDS) while several processes run ({several}).",
                hint="Every process would run the periodic jobs: turn it off and run one Celery beat for the installation.",
                id="tsur.W103",
            )
        )
    if any(db["ENGINE"].endswith("sqlite3") for db in settings.DATABASES.values()):
        found.append(
            Warning(
                f"The database is a SQLite file while several processes run ({several}).",
                hint="A SQLite file is the embedded default for one host: use PostgreSQL (TSUR_DATABASE_URL=postgres://…).",
                id="tsur.W104",
            )
        )
    return found
