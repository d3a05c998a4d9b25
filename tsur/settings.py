"""Django settings for tsur.

Every environment-dependent value is read by one of the strict helpers below, which fail loudly
on a malformed value instead of silently falling back.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TSUR_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default keeps its database and media here


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


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def database_from_url(url: str) -> dict:
    """sqlite:///path or postgres://user:pass@host:port/name -> a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):
            path = path[1:]
        elif path.startswith("/"):
            path = path[1:] or str(VAR_DIR / "tsur.sqlite3")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or str(VAR_DIR / "tsur.sqlite3"),
            # Concurrent writers (the server and its in-process worker) wait instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not shared-cache memory: concurrency tests need real SQLite locking with
            # the busy timeout, as in the embedded deployment.
            # One file per test process, so parallel runs in one checkout never share it.
            "TEST": {"NAME": os.environ.get("TSUR_TEST_DATABASE_NAME") or str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
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


DEBUG = env_bool("TSUR_DEBUG", False)
SECRET_KEY = env_str("TSUR_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("TSUR_REQUIRE_SECRET", False):
        raise ImproperlyConfigured("TSUR_SECRET_KEY must be set in production")
    SECRET_KEY = "tsur-insecure-development-key-change-me"
ALLOWED_HOSTS = [h for h in env_str("TSUR_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("TSUR_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = env_str("TSUR_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tsur.core",
    "tsur.directory",
    "tsur.accounts",
    "tsur.appeals",
    "tsur.deadlines",
    "tsur.routing",
    "tsur.answers",
    "tsur.triage",
    "tsur.channels",
    "tsur.intake",
    "tsur.workspace",
    "tsur.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tsur.core.middleware.FrameOptionsMiddleware",
    "tsur.core.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "tsur.urls"
WSGI_APPLICATION = "tsur.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tsur" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tsur.accounts.context.role",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env_str("TSUR_DATABASE_URL", f"sqlite:///{VAR_DIR / 'tsur.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/workspace/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = env_str("TSUR_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # filled by collectstatic in production; WhiteNoise uses the finders otherwise
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "tsur" / "static"]
# Front-end libraries installed from the npm registry at set-up (see package.json); served locally.
if (BASE_DIR / "node_modules").is_dir():
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("TSUR_MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Hard limits on what a request may carry; larger requests are refused before anything is written.
TSUR_MAX_REQUEST_BYTES = env_int("TSUR_MAX_REQUEST_BYTES", 30 * 1024 * 1024)
TSUR_MAX_PHOTO_BYTES = env_int("TSUR_MAX_PHOTO_BYTES", 10 * 1024 * 1024)
TSUR_MAX_PHOTOS = env_int("TSUR_MAX_PHOTOS", 5)
TSUR_MAX_TEXT_CHARS = env_int("TSUR_MAX_TEXT_CHARS", 10_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = TSUR_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Background work. Without a broker URL tasks run in-process right after the transaction commits
# (the embedded default); with TSUR_CELERY_BROKER_URL they go to Celery workers.
CELERY_BROKER_URL = env_str("TSUR_CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The in-process scheduler of the embedded default runs periodic jobs every N seconds (0 = off).
TSUR_INPROCESS_TICK_SECONDS = env_int("TSUR_INPROCESS_TICK_SECONDS", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("TSUR_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Channels (docs/channels.md).
TSUR_SIGNAL_RETENTION_DAYS = env_int("TSUR_SIGNAL_RETENTION_DAYS", 90)  # non-complaint posts' text kept this long
TSUR_CHANNEL_LEASE_SECONDS = env_int("TSUR_CHANNEL_LEASE_SECONDS", 120)  # a claimed row is retried after this
# Rows claimed per processing batch: 500 measured ~10 % faster than 200 on two cores (docs/channels.md).
TSUR_CHANNEL_BATCH = env_int("TSUR_CHANNEL_BATCH", 500)
TSUR_CHANNEL_POLL_SECONDS = env_int("TSUR_CHANNEL_POLL_SECONDS", 60)
TSUR_DELIVERY_MAX_ATTEMPTS = env_int("TSUR_DELIVERY_MAX_ATTEMPTS", 8)
TSUR_SCREENING_MODEL_DIR = env_str("TSUR_SCREENING_MODEL_DIR", "")
# Probability above which a listened post becomes an appeal (0 = the model's own threshold).
TSUR_SCREENING_THRESHOLD = float(env_str("TSUR_SCREENING_THRESHOLD", "0.2"))

# Triage runs on every new appeal (in the background); a model directory other than the shipped one.
TSUR_TRIAGE_ENABLED = env_bool("TSUR_TRIAGE_ENABLED", True)
TSUR_TRIAGE_MODEL_DIR = env_str("TSUR_TRIAGE_MODEL_DIR", "")
# An organisation suggester trained on this platform's routed history (`tsur triage train-orgs
# --from-db`): shown to operators where no routing rule fits. Empty: no suggestions.
TSUR_ORG_SUGGESTER_DIR = env_str("TSUR_ORG_SUGGESTER_DIR", "")

# Lifecycle thresholds (configuration, PRODUCT.md defaults).
TSUR_REOPEN_MAX_SCORE = env_int("TSUR_REOPEN_MAX_SCORE", 3)  # a rating at or below reopens the appeal
TSUR_AUTO_CLOSE_DAYS = env_int("TSUR_AUTO_CLOSE_DAYS", 7)  # published and unrated this long -> closed
TSUR_ANSWER_CHECK_REQUIRED = env_bool("TSUR_ANSWER_CHECK_REQUIRED", True)

EMAIL_BACKEND = env_str("TSUR_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("TSUR_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("TSUR_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("TSUR_DEFAULT_FROM_EMAIL", "tsur@localhost")
