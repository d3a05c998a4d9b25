"""Django settings for tsur.

Every environment-dependent value is read by one of the strict helpers of tsur.envvars, which fail
loudly on a malformed value instead of silently falling back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from tsur.envvars import database_from_url, env_bool, env_float, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TSUR_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default keeps its database and media here

DEBUG = env_bool("TSUR_DEBUG", False)
SECRET_KEY = secret_key(debug=DEBUG, var_dir=VAR_DIR)
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
    "tsur.accounts.apps.LoginThrottleConfig",  # django-axes
    "csp",
    "django_ratelimit",
    "tsur.core",
    "tsur.directory",
    "tsur.accounts",
    "tsur.appeals",
    "tsur.deadlines",
    "tsur.escalation",
    "tsur.routing",
    "tsur.answers",
    "tsur.triage",
    "tsur.monitoring",
    "tsur.polls",
    "tsur.tension",
    "tsur.analytics",
    "tsur.channels",
    "tsur.intake",
    "tsur.workspace",
    "tsur.demo",
    "tsur.replay",
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
    "csp.middleware.CSPMiddleware",
    # Cache-Control: private, no-store on what a session, an API key or a private link sees.
    "tsur.core.middleware.PrivatePagesMiddleware",
    "tsur.core.middleware.FrameOptionsMiddleware",
    "tsur.core.middleware.RequestSizeLimitMiddleware",
    # Last: it turns a lockout of the login form into our Russian page.
    "axes.middleware.AxesMiddleware",
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

# Django's renderer, with <select> written in Python (tsur.core.forms_render: a queue page has
# hundreds of options).
FORM_RENDERER = "tsur.core.forms_render.FormRenderer"

DATABASES = {"default": database_from_url(env_str("TSUR_DATABASE_URL", f"sqlite:///{VAR_DIR / 'tsur.sqlite3'}"), VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": env_int("TSUR_PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/workspace/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = env_str("TSUR_TIME_ZONE", "Europe/Moscow")
# «05.12.2026 12:30» and «5 декабря» where Django formats by default (the admin): tsur/core/formats.
FORMAT_MODULE_PATH = ["tsur.core.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # filled by collectstatic in production; WhiteNoise uses the finders otherwise
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "tsur" / "static"]
# Front-end libraries installed from the npm registry at set-up (see package.json) are served
# locally under /static/vendor/, but only the files the pages use: never the whole node_modules.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "tsur.core.vendor.VendorFinder",
]
TSUR_NODE_MODULES = BASE_DIR / "node_modules"
TSUR_VENDOR_FILES = (
    "htmx.org/dist/htmx.min.js",
    "leaflet/dist/leaflet.js",
    "leaflet/dist/leaflet.css",
    "leaflet/dist/images/*.png",
    "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.heat/dist/leaflet-heat.js",
    "echarts/dist/echarts.min.js",
    # Searchable pickers (Apache-2.0): tsur/static/workspace/pickers.js
    "tom-select/dist/js/tom-select.complete.min.js",
    "tom-select/dist/css/tom-select.min.css",
)
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
CSRF_FAILURE_VIEW = "tsur.core.pages.csrf_failure"

# --- HTTPS, cookies and headers -------------------------------------------------------------------
# Production is served over HTTPS (behind a TLS-terminating proxy or not): secure cookies, HSTS and
# the redirect to HTTPS are on unless TSUR_HTTPS=false (the demo on http://127.0.0.1 and the tests).
TSUR_HTTPS = env_bool("TSUR_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = TSUR_HTTPS
SECURE_SSL_REDIRECT = env_bool("TSUR_SSL_REDIRECT", TSUR_HTTPS)
SECURE_HSTS_SECONDS = env_int("TSUR_HSTS_SECONDS", 31_536_000 if TSUR_HTTPS else 0)
# Off by default: other sites under the same parent domain may still be plain HTTP (check W005).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TSUR_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("TSUR_HSTS_PRELOAD", False)
# Behind a proxy that terminates TLS: the header it sets, e.g. X-Forwarded-Proto (its value "https").
if env_str("TSUR_PROXY_SSL_HEADER", ""):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + env_str("TSUR_PROXY_SSL_HEADER", "").upper().replace("-", "_"), "https")
# Proxies in front of the server that append to X-Forwarded-For (0: the peer address is the client).
TSUR_PROXY_COUNT = env_int("TSUR_PROXY_COUNT", 0)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"


# Content-Security-Policy: scripts only from this server (no inline code on any page); inline
# style attributes are allowed (Leaflet and the admin set them). The widget alone may be framed,
# by the sites listed in TSUR_WIDGET_FRAME_ANCESTORS (default: any site, as the embed code is public).
TSUR_WIDGET_FRAME_ANCESTORS = env_list("TSUR_WIDGET_FRAME_ANCESTORS", "*")
# Optional raster tiles under the vector maps ({z}/{x}/{y} URL template) and their attribution.
TSUR_MAP_TILE_URL = env_str("TSUR_MAP_TILE_URL", "")
TSUR_MAP_TILE_ATTRIBUTION = env_str("TSUR_MAP_TILE_ATTRIBUTION", "")

# --- the situation center ------------------------------------------------------------------------
# KPI rating of organisations: below these counts in the period an organisation reads «недостаточно
# данных» instead of a rank (docs/analytics.md).
TSUR_KPI_MIN_ANSWERED = env_int("TSUR_KPI_MIN_ANSWERED", 10)
TSUR_KPI_MIN_RATED = env_int("TSUR_KPI_MIN_RATED", 10)
# The hour (Moscow time) after which the nightly full rebuild of the figures runs.
TSUR_ANALYTICS_REBUILD_HOUR = env_int("TSUR_ANALYTICS_REBUILD_HOUR", 3)
# A day's figures are recounted at most once per this many seconds while appeals keep changing
# (0: after every change); the sweeper recounts what is left within two minutes of the last change.
TSUR_ANALYTICS_RECOUNT_SECONDS = env_int("TSUR_ANALYTICS_RECOUNT_SECONDS", 15)
# Reference rows every intake request reads (categories, territories, deadline policies, calendar
# exceptions) are kept in each process this long (tsur.core.refcache; 0: read every time).
TSUR_REFERENCE_CACHE_SECONDS = env_int("TSUR_REFERENCE_CACHE_SECONDS", 30)
# Open311's public list of requests (GET requests.json/xml: up to 1,000 requests, ~700 KB) is kept
# in the shared cache this long per query, host and format (0: built on every request).
TSUR_OPEN311_LIST_CACHE_SECONDS = env_int("TSUR_OPEN311_LIST_CACHE_SECONDS", 15)
# The queue's counters of finished appeals (published, closed, rejected, joined: most of the table,
# growing every day) are kept in the shared cache this long per scope and filters; the open ones,
# overdue and due soon are counted on every page (0: all counted on every page).
TSUR_QUEUE_ARCHIVE_COUNT_SECONDS = env_int("TSUR_QUEUE_ARCHIVE_COUNT_SECONDS", 60)
# The situation center's figures (region-wide, by filters and day) are computed once per this many
# seconds for all its users and hosts (tsur.workspace.center.kept); 0: on every page view.
TSUR_CENTER_FIGURES_SECONDS = env_int("TSUR_CENTER_FIGURES_SECONDS", 30)
# On a Celery worker, a message about a fresh appeal waits until the appeal is this old before its
# batch is claimed, so the appeals arriving meanwhile are triaged and matched with it (0: at once).
TSUR_INTAKE_GATHER_SECONDS = env_float("TSUR_INTAKE_GATHER_SECONDS", 1.0)
# A web process sends the background work of requests answered within this many milliseconds as one
# message per task (0: one message per request's work). Without a broker it runs at once.
TSUR_TASKS_GATHER_MS = env_int("TSUR_TASKS_GATHER_MS", 100)
# The review-time goal drawn on the dashboard (hours from receipt to routing).
TSUR_CENTER_REVIEW_TARGET_HOURS = env_int("TSUR_CENTER_REVIEW_TARGET_HOURS", 24)
# Overrides of the points-of-tension detector's configuration (tsur.tension.engine.config,
# docs/tension.md): a JSON object of field → value, e.g. {"window_days": 7, "min_count": 5}.
TSUR_TENSION = json.loads(env_str("TSUR_TENSION", "{}") or "{}")
_tiles = urlparse(TSUR_MAP_TILE_URL)
# A {s} subdomain placeholder becomes CSP's leftmost wildcard: https://{s}.tiles.example → *.tiles.example
_TILE_ORIGIN = [f"{_tiles.scheme}://{re.sub(r'{[a-z]}', '*', _tiles.netloc)}"] if _tiles.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_TILE_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# --- login throttling (django-axes) --------------------------------------------------------------
# After TSUR_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is
# locked for TSUR_LOGIN_COOLOFF_MINUTES (every further failure restarts the wait); the right
# password does not get in meanwhile. Keyed on the pair, so a stranger cannot lock an official out
# from another address; both the staff login and the admin login are covered.
AXES_ENABLED = env_bool("TSUR_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("TSUR_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("TSUR_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tsur.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tsur.core.clients.client_ip"
AXES_VERBOSE = False  # its log lines name the user and address of every failure: ours say less

# --- rate limits of public intake (django-ratelimit) ---------------------------------------------
# Per client address without an API key, per key with one; each a comma-separated list of
# count/period limits (s, m, h, d), all of which apply. Counted in the cache below, which must be
# shared by all web workers in production (TSUR_CACHE_URL=redis://…).
TSUR_RATE_INTAKE_ANONYMOUS = env_list("TSUR_RATE_INTAKE_ANONYMOUS", "10/m,60/h")
TSUR_RATE_INTAKE_KEY = env_list("TSUR_RATE_INTAKE_KEY", "600/m")
# Residents: «Не помню ссылку» (tsur/intake/recovery.py), per client address and per contact given;
# TSUR_LINK_SMS_SENDER: a dotted path to the class that texts a link to a phone (the default writes
# VAR_DIR/outbox/status-links.jsonl: development and the demo only).
TSUR_RATE_LINK_RECOVERY_ADDRESS = env_list("TSUR_RATE_LINK_RECOVERY_ADDRESS", "5/m,30/h")
TSUR_RATE_LINK_RECOVERY_CONTACT = env_list("TSUR_RATE_LINK_RECOVERY_CONTACT", "3/h,10/d")
TSUR_LINK_SMS_SENDER = env_str("TSUR_LINK_SMS_SENDER", "tsur.intake.recovery.OutboxSmsSender")
RATELIMIT_ENABLE = env_bool("TSUR_RATE_LIMITS", True)
RATELIMIT_FAIL_OPEN = True  # a broken cache must not stop residents' appeals
TSUR_CACHE_URL = env_str("TSUR_CACHE_URL", "")
if TSUR_CACHE_URL:
    CACHES = {"default": {"BACKEND": "tsur.core.cache.RedisCache", "LOCATION": TSUR_CACHE_URL}}
else:
    # The embedded default is one process: its memory is the shared cache.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = [
    # X-Frame-Options is set by tsur.core.middleware.FrameOptionsMiddleware (every page but the
    # widget), and CSP frame-ancestors by django-csp: Django's own middleware would forbid the widget.
    "security.W002",
    # django-ratelimit knows only django-redis as a Redis cache; Django's own RedisCache increments
    # atomically too (INCR). Local memory is shared within the embedded default's one process.
    "django_ratelimit.E003",
    "django_ratelimit.W001",
]

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

# --- production (part prod) -----------------------------------------------------------------------
# Logs (tsur/core/logging.py): one console handler on the root logger; every record gets the request
# id and has personal data masked before any formatter sees it. Plain lines for development, JSON
# lines (TSUR_LOG_FORMAT=json, set by scripts/production) for a log collector.
TSUR_LOG_FORMAT = env_str("TSUR_LOG_FORMAT", "plain")
if TSUR_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"TSUR_LOG_FORMAT must be plain or json, got {TSUR_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "tsur.core.logging.RequestIdFilter"},
        "personal_data": {"()": "tsur.core.logging.PersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "tsur.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": TSUR_LOG_FORMAT, "filters": ["request_id", "personal_data"]}
    },
    "root": {"handlers": ["console"], "level": env_str("TSUR_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django gives "django" a console handler of its own (DEBUG only) that would print the same
        # lines unfiltered, and runserver's access lines carry the raw path with its query string
        # (keys, tokens): everything goes through the root handler, the request log says enough.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
# Celery keeps this configuration instead of replacing the root logger's handlers with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The worker imports the metrics module at start: it counts failed tasks (a task_failure receiver).
CELERY_IMPORTS = ("tsur.core.metrics",)
# The request log and request metrics wrap everything else.
MIDDLEWARE.insert(0, "tsur.core.observability.RequestObservabilityMiddleware")
# Load balancers and Prometheus may probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# /metrics (tsur/core/metrics.py): a bearer token, or a client address in these networks.
TSUR_METRICS_TOKEN = env_str("TSUR_METRICS_TOKEN", "")
TSUR_METRICS_ALLOW = env_list("TSUR_METRICS_ALLOW", "127.0.0.1/32,::1/128")

# Static files: collected by `collectstatic` (scripts/production sets TSUR_STATIC_COLLECTED) they are
# served from STATIC_ROOT under content-hashed names with far-future cache headers, pre-compressed
# (gzip, and Brotli as the brotli package is installed). Development and the tests find them in
# place instead, as they are edited.
TSUR_STATIC_COLLECTED = env_bool("TSUR_STATIC_COLLECTED", False) and not DEBUG
STATIC_ROOT = Path(env_str("TSUR_STATIC_ROOT", str(STATIC_ROOT)))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "tsur.core.staticfiles.StaticFilesStorage"
        if TSUR_STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not TSUR_STATIC_COLLECTED

# `check --deploy` fails scripts/production on any warning; these two are decisions about the
# domain, not defects: HSTS for subdomains and the preload list are opted into with
# TSUR_HSTS_INCLUDE_SUBDOMAINS / TSUR_HSTS_PRELOAD once every subdomain is HTTPS-only.
SILENCED_SYSTEM_CHECKS += ["security.W005", "security.W021"]

# Web workers of scripts/production (deploy/gunicorn.conf.py reads it too; 0: by the cores).
TSUR_WEB_WORKERS = env_int("TSUR_WEB_WORKERS", 0)


def refuse_insecure_production() -> None:
    """Settings that are fine on a developer's machine and wrong for a public server. Refused at
    start unless TSUR_DEBUG is on (the secret key is checked by tsur.envvars.secret_key)."""
    if DEBUG:
        return
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "TSUR_ALLOWED_HOSTS contains '*': list the host names the platform is served under "
            "(a wildcard lets anyone make password-reset and status links point at their own host)."
        )
    if TSUR_WEB_WORKERS > 1 and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        raise ImproperlyConfigured(
            f"TSUR_WEB_WORKERS={TSUR_WEB_WORKERS} with the local-memory cache: each worker would count rate "
            "limits and login throttles on its own. Set TSUR_CACHE_URL=redis://… (shared by all workers)."
        )
    if TSUR_METRICS_TOKEN and len(TSUR_METRICS_TOKEN) < 24:
        raise ImproperlyConfigured("TSUR_METRICS_TOKEN is too short: use at least 24 random characters.")
    if "*" in TSUR_METRICS_ALLOW or any(n.endswith("/0") for n in TSUR_METRICS_ALLOW):
        raise ImproperlyConfigured("TSUR_METRICS_ALLOW must list networks, not every address.")


refuse_insecure_production()

# Channels (docs/channels.md).
TSUR_SIGNAL_RETENTION_DAYS = env_int("TSUR_SIGNAL_RETENTION_DAYS", 90)  # non-complaint posts' text kept this long
TSUR_CHANNEL_LEASE_SECONDS = env_int("TSUR_CHANNEL_LEASE_SECONDS", 120)  # a claimed row is retried after this
# Rows claimed per processing batch: 500 measured ~10 % faster than 200 on two cores (docs/channels.md).
TSUR_CHANNEL_BATCH = env_int("TSUR_CHANNEL_BATCH", 500)
TSUR_CHANNEL_POLL_SECONDS = env_int("TSUR_CHANNEL_POLL_SECONDS", 60)
TSUR_DELIVERY_MAX_ATTEMPTS = env_int("TSUR_DELIVERY_MAX_ATTEMPTS", 8)
TSUR_SCREENING_MODEL_DIR = env_str("TSUR_SCREENING_MODEL_DIR", "")
# Probability above which a listened post becomes an appeal (0 = the model's own threshold).
TSUR_SCREENING_THRESHOLD = env_float("TSUR_SCREENING_THRESHOLD", 0.2)

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


# --- triage thresholds (tsur/triage/services.py) -------------------------------------------------

# Near-duplicates: an open appeal received within TSUR_DUPLICATE_WINDOW_DAYS before a new one is
# compared with it when both have the same address, or their points lie within
# TSUR_DUPLICATE_RADIUS_M metres (one radius for the database prefilter and the detector), or they
# share a territory and one of the two has no finer place. Per new appeal at most
# TSUR_DUPLICATE_SCAN places are read, newest first, and the texts of at most
# TSUR_DUPLICATE_CANDIDATES of them are compared, so a city with thousands of open appeals costs
# one light query, not thousands of text comparisons.
TSUR_DUPLICATE_WINDOW_DAYS = env_int("TSUR_DUPLICATE_WINDOW_DAYS", 14)
TSUR_DUPLICATE_RADIUS_M = env_int("TSUR_DUPLICATE_RADIUS_M", 150)
TSUR_DUPLICATE_SCAN = env_int("TSUR_DUPLICATE_SCAN", 5000)
TSUR_DUPLICATE_CANDIDATES = env_int("TSUR_DUPLICATE_CANDIDATES", 200)
# Below this confidence a suggested category (or block) is stored and shown on the card, but not
# applied to the appeal: an operator decides.
TSUR_TRIAGE_APPLY_MIN_CONFIDENCE = env_float("TSUR_TRIAGE_APPLY_MIN_CONFIDENCE", 0.5)

# --- polls (docs/polls.md) -----------------------------------------------------------------------
# Who sends one-time codes: a dotted path to a class (tsur.polls.senders). The default writes them to
# VAR_DIR/outbox (development and the demo only); production sets tsur.polls.senders.EmailSender or
# an SMS gateway's sender.
TSUR_POLL_CODE_SENDER = env_str("TSUR_POLL_CODE_SENDER", "tsur.polls.senders.OutboxSender")
TSUR_POLL_CODE_TTL_MINUTES = env_int("TSUR_POLL_CODE_TTL_MINUTES", 10)
TSUR_POLL_CODE_ATTEMPTS = env_int("TSUR_POLL_CODE_ATTEMPTS", 5)  # wrong entries before a code is void
TSUR_POLL_CODE_PAUSE_SECONDS = env_int("TSUR_POLL_CODE_PAUSE_SECONDS", 60)  # between two codes to one contact
TSUR_POLL_CODES_PER_CONTACT_HOUR = env_int("TSUR_POLL_CODES_PER_CONTACT_HOUR", 5)
TSUR_POLL_CODES_PER_POLL_MINUTE = env_int("TSUR_POLL_CODES_PER_POLL_MINUTE", 300)
# Cache-counted limits (count/period, all apply): code requests per client address; ballots of one
# poll per address (generous: a mobile operator's NAT puts many residents behind one) and per device.
TSUR_RATE_POLL_CODE_ADDRESS = env_list("TSUR_RATE_POLL_CODE_ADDRESS", "10/m,60/h")
TSUR_RATE_POLL_VOTE_ADDRESS = env_list("TSUR_RATE_POLL_VOTE_ADDRESS", "30/m,300/h")
TSUR_RATE_POLL_VOTE_DEVICE = env_list("TSUR_RATE_POLL_VOTE_DEVICE", "3/h")

# --- personal data (part pd) (docs/residents.md, tsur/appeals/services/retention.py) --------------
# Residents' personal data is pseudonymised this many days after the last of their appeals closed.
# 59-FZ sets no period of its own; the appeal files are kept 5 years (the Rosarkhiv list of typical
# archival documents, order No. 236 of 20.12.2019, item 154 «б»), after which 152-FZ art. 5 part 7
# forbids keeping the personal data longer than its purpose needs: 5 years (1826 days) by default.
TSUR_PD_RETENTION_DAYS = env_int("TSUR_PD_RETENTION_DAYS", 1826)
# ПОС messages (regime "message") and social-network incidents are not 59-FZ files; a region may keep
# their authors' data shorter. Default: the same period.
TSUR_PD_RETENTION_DAYS_MESSAGES = env_int("TSUR_PD_RETENTION_DAYS_MESSAGES", TSUR_PD_RETENTION_DAYS)
# Residents pseudonymised per run of the periodic job (each in its own transaction): bounded work
# per tick, the rest at the next.
TSUR_PD_PURGE_BATCH = env_int("TSUR_PD_PURGE_BATCH", 200)
# A resident's request about their data is answered within 10 working days (152-FZ art. 14 part 3,
# art. 20 parts 1-2, as amended by 266-FZ of 14.07.2022).
TSUR_PD_REQUEST_WORKING_DAYS = env_int("TSUR_PD_REQUEST_WORKING_DAYS", 10)

# --- load (part load) (docs/operations.md, tsur/core/tasks.py, tsur/core/bench_api.py) ----------
# Background tasks run (no broker) or are sent (broker) from an in-process background thread after
# the request has answered. True: at once, inline, inside the caller (the test suite sets it so
# every test sees the follow-ups done when its request returns).
TSUR_TASKS_INLINE = env_bool("TSUR_TASKS_INLINE", False)
# `tsur bench load` mounts a bare Django Ninja endpoint (/bench/ping, no database, no auth) to
# compare the intake with; never set in production.
TSUR_BENCH_ENDPOINTS = env_bool("TSUR_BENCH_ENDPOINTS", False)

# --- scaling (part backup) (docs/ops-drafts/scaling.md, tsur/core/db_router.py) ------------------
# A read replica of the primary PostgreSQL (a streaming-replication hot standby): the situation
# center's pages and the analytics readers read from it inside `replica_reads()`; every write and
# every other read goes to the primary. Unset: everything on the primary.
TSUR_DATABASE_REPLICA_URL = env_str("TSUR_DATABASE_REPLICA_URL", "")
if TSUR_DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(TSUR_DATABASE_REPLICA_URL, VAR_DIR)
    # A test run creates no second database: the alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tsur.core.db_router.ReplicaRouter"]
