"""Settings for zhili: one base, driven by the environment.

Every variable is listed, with what it does and how to generate the keys, in docs/operations.md
("Configuration"). Development and tests (``ZHILI_DEBUG=1`` or ``ZHILI_TESTING=1``) run without
configuration; production (neither set) must set ``ZHILI_SECRET_KEY``, ``ZHILI_PII_KEY`` and
``ZHILI_ALLOWED_HOSTS``: without them the web server, the job worker and ``migrate`` refuse to start
(``zhili.core.startup``), and ``zhili check --deploy`` reports them.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from zhili.core.environment import (
    development_personal_data_key,
    environment_flag,
    environment_integer,
    environment_list,
    environment_networks,
    environment_rate,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPOSITORY_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("ZHILI_DATA_DIR", REPOSITORY_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = environment_flag("ZHILI_DEBUG", default=False)
TESTING = environment_flag("ZHILI_TESTING", default=False)
# Development and the test suite run without secrets; anything else is a production installation.
DEVELOPMENT = DEBUG or TESTING
# Production settings that are missing: names of environment variables (see zhili.core.startup).
ZHILI_MISSING_PRODUCTION_SETTINGS: list[str] = []

SECRET_KEY = os.environ.get("ZHILI_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if DEVELOPMENT:
        SECRET_KEY = "zhili-development-key-not-for-production-use-0123456789abcdef"  # noqa: S105
    else:
        # Commands that neither serve nor migrate still run; nothing they could sign outlives the
        # process, and the server refuses to start without the real key.
        ZHILI_MISSING_PRODUCTION_SETTINGS.append("ZHILI_SECRET_KEY")
        SECRET_KEY = secrets.token_urlsafe(48)

# The key that encrypts reporters' names, phones and ID numbers. Never derived from SECRET_KEY.
ZHILI_PII_KEY = os.environ.get("ZHILI_PII_KEY", "").strip()
if not ZHILI_PII_KEY:
    if DEVELOPMENT:
        ZHILI_PII_KEY = development_personal_data_key(DATA_DIR / "development-pii.key")
    else:
        ZHILI_MISSING_PRODUCTION_SETTINGS.append("ZHILI_PII_KEY")

ALLOWED_HOSTS = environment_list("ZHILI_ALLOWED_HOSTS",
                                 default=("localhost", "127.0.0.1", "[::1]") if DEVELOPMENT else ())
if not ALLOWED_HOSTS and not DEVELOPMENT:
    ZHILI_MISSING_PRODUCTION_SETTINGS.append("ZHILI_ALLOWED_HOSTS")
# Absolute links handed to other systems (Open311 media_url) start with this when set, never with the
# request's Host header; unset, the (validated) host of the request is used.
ZHILI_PUBLIC_URL = os.environ.get("ZHILI_PUBLIC_URL", "").strip().rstrip("/")
if ZHILI_PUBLIC_URL and not ZHILI_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"ZHILI_PUBLIC_URL={ZHILI_PUBLIC_URL!r} 应以 https:// 开头，例如 "
                               "https://zhili.example.gov.cn / ZHILI_PUBLIC_URL must start with https://")

# HTTPS. Production defaults to "served over HTTPS" (secure cookies, HSTS, redirect to https);
# ZHILI_HTTPS=0 only for a plain-HTTP installation on a closed network (check --deploy then warns).
ZHILI_HTTPS = environment_flag("ZHILI_HTTPS", default=not DEVELOPMENT)
SESSION_COOKIE_SECURE = environment_flag("ZHILI_SECURE_COOKIES", default=ZHILI_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = environment_flag("ZHILI_SSL_REDIRECT", default=ZHILI_HTTPS)
# Load balancer and monitoring probes call the application port directly over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = environment_integer("ZHILI_HSTS_SECONDS", default=31_536_000 if ZHILI_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = environment_flag("ZHILI_HSTS_INCLUDE_SUBDOMAINS", default=ZHILI_HTTPS)
SECURE_HSTS_PRELOAD = environment_flag("ZHILI_HSTS_PRELOAD", default=ZHILI_HTTPS)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips the client's own).
if environment_flag("ZHILI_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Needed only when the public origin differs from the Host the proxy passes on.
CSRF_TRUSTED_ORIGINS = environment_list("ZHILI_CSRF_TRUSTED_ORIGINS")
# Our own proxies (addresses/CIDRs): their X-Forwarded-For tells the client's address
# (zhili.core.client_address); empty = REMOTE_ADDR alone.
ZHILI_TRUSTED_PROXIES = environment_networks("ZHILI_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "zhili.core",
    "zhili.audit",
    "zhili.geo",
    "zhili.accounts",
    "zhili.cases",
    "zhili.textintel",
    "zhili.indicators",
    "zhili.enterprises",
    "zhili.projects",
    "zhili.dashboard",
]

MIDDLEWARE = [
    "zhili.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # a user who just changed something reads from the primary for a few seconds (core/replica.py)
    "zhili.core.replica.PrimaryAfterWriteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # after the session and the user (the chosen language is a cookie or the profile's), before
    # CommonMiddleware, whose slash-appending redirect and 404 page then speak the chosen language
    "zhili.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zhili.core.middleware.NulCharacterRefusalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhili.core.middleware.SecurityHeadersMiddleware",
    "zhili.core.middleware.ApplicationErrorPageMiddleware",
    # last: turns a lockout flagged during sign-in into the sign-in page with its message (429)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhili.config.urls"
WSGI_APPLICATION = "zhili.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhili.accounts.context_processors.navigation",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'zhili.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["ENGINE"] = "zhili.core.sqlite"  # writers queue on a kernel lock (core/sqlite/base.py)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-zhili.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ZHILI_TEST_DATABASE_NAME") or None}
    if environment_flag("ZHILI_PG_PREPARED_STATEMENTS", default=True):
        # Parameters travel apart from the SQL and statements a connection runs often are prepared
        # once (intake: about a quarter less CPU in PostgreSQL and in the driver).
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    else:
        # Behind a transaction-pooling proxy (PgBouncer, deploy/postgresql/pgbouncer.ini) consecutive
        # statements may run on different server connections: nothing may outlive a transaction, so
        # no prepared statements and no server-side cursors (`.iterator()` reads in chunks instead).
        DATABASES["default"]["OPTIONS"] = {"prepare_threshold": None}
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A streaming replica for the heavy reads (dashboards, leader pages, KPIs, exports, hot issues,
# reports): zhili.core.replica routes them there while it answers and keeps up; writes, reads inside
# a write and a user's reads just after acting stay on the primary (docs/operations.md "Read replica").
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
# The replica serves while its replay is at most this many seconds behind the primary.
ZHILI_REPLICA_MAX_LAG_SECONDS = environment_integer("ZHILI_REPLICA_MAX_LAG_SECONDS", default=5)
# How long one process trusts its last look at the replica (answering, lag) before looking again.
ZHILI_REPLICA_CHECK_SECONDS = environment_integer("ZHILI_REPLICA_CHECK_SECONDS", default=5)
# After a change (any POST/PUT/PATCH/DELETE) the user's reads stay on the primary this long: the lag
# allowed plus one check interval, so they always see what they just did.
ZHILI_REPLICA_STICKY_SECONDS = environment_integer(
    "ZHILI_REPLICA_STICKY_SECONDS", default=ZHILI_REPLICA_MAX_LAG_SECONDS + ZHILI_REPLICA_CHECK_SECONDS)
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL 需要 PostgreSQL 主库：请把 DATABASE_URL 设为 postgres://… "
                                   "或删去 DATABASE_REPLICA_URL / a read replica needs a PostgreSQL DATABASE_URL")
    replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    if replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL 应以 postgres:// 开头（PostgreSQL 流复制备库）"
                                   " / DATABASE_REPLICA_URL must be a postgres:// URL")
    # a replica that does not answer costs a request at most this long before reads fall back
    replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 3}
    replica["DISABLE_SERVER_SIDE_CURSORS"] = DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    # the test run never creates a second test database: the replica alias reads the primary's
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica
    DATABASE_ROUTERS = ["zhili.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Every sign-in (the site's form; /admin/login/ sends people there) passes django-axes first.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = environment_integer("ZHILI_SESSION_SECONDS", default=8 * 3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Collected at build time (``zhili collectstatic``), served by WhiteNoise (or nginx, deploy/nginx).
STATIC_ROOT = Path(os.environ.get("ZHILI_STATIC_ROOT", DATA_DIR / "static")).resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end libraries come from the npm registry (package.json) into node_modules by the setup;
# they are served from our own origin, never from a CDN, and never copied into the repository.
# Only the files the pages use are served and collected (core.static_finders). A missing file is
# not dropped silently: the finder's check warns (zhili.W005) and the production server refuses to
# start without the collected files (zhili.core.startup).
NODE_MODULES_DIR = REPOSITORY_DIR / "node_modules"
ZHILI_VENDOR_STATIC_FILES = {
    "vendor/echarts/echarts.min.js": NODE_MODULES_DIR / "echarts" / "dist" / "echarts.min.js",
    "vendor/htmx/htmx.min.js": NODE_MODULES_DIR / "htmx.org" / "dist" / "htmx.min.js",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "zhili.core.static_finders.VendorFileFinder",
]
# The collected files every page needs; the server refuses to start when one is missing.
ZHILI_REQUIRED_STATIC_FILES = ("core/zhili.css", "core/zhili.js", "vendor/htmx/htmx.min.js",
                               "vendor/echarts/echarts.min.js")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: hashed names (cached for a year) and gzip copies, listed in staticfiles.json.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEVELOPMENT
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# uploaded and generated files are the platform's alone (photos, import files, exports)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
ZHILI_UPLOAD_MAX_BYTES = environment_integer("ZHILI_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024, minimum=1)
# bounded work per request: queued/running background jobs per user; a hot-issue run's rows and upload size
ZHILI_JOBS_PER_USER = environment_integer("ZHILI_JOBS_PER_USER", default=3, minimum=1)
ZHILI_HOT_ISSUE_MAX_ROWS = environment_integer("ZHILI_HOT_ISSUE_MAX_ROWS", default=100_000, minimum=2)
ZHILI_HOT_ISSUE_UPLOAD_MAX_BYTES = environment_integer("ZHILI_HOT_ISSUE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024,
                                                       minimum=1)
# history import: a closing time this many seconds before intake is one the source rounded to the minute
ZHILI_IMPORT_CLOSE_TOLERANCE_SECONDS = environment_integer("ZHILI_IMPORT_CLOSE_TOLERANCE_SECONDS", default=60,
                                                           minimum=0)
ZHILI_MODEL_DIR = DATA_DIR / "models"

# Job queue: Huey, embedded SQLite storage by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = os.environ.get("ZHILI_HUEY_IMMEDIATE", "1" if TESTING else "0") == "1"
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": os.environ.get("ZHILI_QUEUE_NAME", "zhili"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "zhili",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# Reporter name/phone/ID of cases closed longer ago than this are erased by a nightly job.
ZHILI_PERSONAL_DATA_RETENTION_DAYS = environment_integer("ZHILI_PERSONAL_DATA_RETENTION_DAYS", default=1095, minimum=1)
# Case-list export files are deleted after this many days; uploaded import files this many days after
# the import was committed or abandoned (cases/services/retention.py).
ZHILI_EXPORT_RETENTION_DAYS = environment_integer("ZHILI_EXPORT_RETENTION_DAYS", default=7)
ZHILI_IMPORT_RETENTION_DAYS = environment_integer("ZHILI_IMPORT_RETENTION_DAYS", default=30)
# Open311 publishes cases received within this many days (cases/open311.py).
ZHILI_OPEN311_PUBLIC_DAYS = environment_integer("ZHILI_OPEN311_PUBLIC_DAYS", default=365)
# Fixed cases leave the public map (FixMyStreet-style) this many days after they were closed.
ZHILI_PUBLIC_MAP_FIXED_DAYS = environment_integer("ZHILI_PUBLIC_MAP_FIXED_DAYS", default=30)

# The shared cache (rate limits): Django's database cache (table zhili_cache, created by the core
# migrations), Redis when REDIS_URL is set, its keys prefixed by the queue name of the installation.
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("ZHILI_QUEUE_NAME", "zhili")}}
else:
    # culling only ever drops expired counters in practice: MAX_ENTRIES far above the live ones
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "zhili_cache",
                    "OPTIONS": {"MAX_ENTRIES": 100_000}}}

# Sign-in throttling (django-axes; accounts/forms.py, docs/operations.md "Sign-in"). Failures count per
# (account, client address): a lockout never touches another account's sign-in from the same address.
# An address with many failures across accounts is slowed down (every attempt waits a little), not locked.
ZHILI_LOGIN_FAILURE_LIMIT = environment_integer("ZHILI_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
ZHILI_LOGIN_LOCKOUT_MINUTES = environment_integer("ZHILI_LOGIN_LOCKOUT_MINUTES", default=15, minimum=1)
ZHILI_LOGIN_ADDRESS_FAILURE_LIMIT = environment_integer("ZHILI_LOGIN_ADDRESS_FAILURE_LIMIT", default=20, minimum=1)
ZHILI_LOGIN_ADDRESS_DELAY_SECONDS = environment_integer("ZHILI_LOGIN_ADDRESS_DELAY_SECONDS", default=2)
# sign-in records (account, address, time: admin → Axes) are deleted after this many days (nightly)
ZHILI_LOGIN_RECORD_RETENTION_DAYS = environment_integer("ZHILI_LOGIN_RECORD_RETENTION_DAYS", default=180, minimum=1)
AXES_FAILURE_LIMIT = ZHILI_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=ZHILI_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "zhili.core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "zhili.accounts.views.login_locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# never written into the attempt records or the log lines (axes masks these and the password)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "totp_code", "csrfmiddlewaretoken"]
AXES_VERBOSE = False

# Rate limits (core/rate_limits.py): "requests/period" (60/m, 10/10m, 1000/h) or 0 for none, counted on
# the shared cache. The test suite runs without them unless a test sets them (tests/security).
def _rate(name: str, production: str) -> str:
    return environment_rate(name, default="0" if TESTING else production)


ZHILI_RATE_LIMITS = {
    # 随手拍 submissions per client address (per account when signed in)
    "report_form": _rate("ZHILI_RATE_REPORTS", "10/10m"),
    # tracking-code look-ups per client address
    "track": _rate("ZHILI_RATE_TRACK", "60/10m"),
    # Open311 requests (GET and POST) without a valid api_key, per client address
    "open311_address": _rate("ZHILI_RATE_OPEN311_ADDRESS", "60/m"),
    # Open311 requests with an api_key, per key
    "open311_key": _rate("ZHILI_RATE_OPEN311_KEY", "600/m"),
    # JSON API (/api/v1/) per user (an API key counts as its user)
    "api_user": _rate("ZHILI_RATE_API_USER", "1200/m"),
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Metrics (/metrics, Prometheus format): a bearer token, or the peer addresses allowed without one.
ZHILI_METRICS_TOKEN = os.environ.get("ZHILI_METRICS_TOKEN", "").strip()
ZHILI_METRICS_ALLOWED_NETWORKS = environment_networks("ZHILI_METRICS_ALLOWED_NETWORKS")

# Logs: JSON lines on stdout in production (one object per record), plain text in development.
ZHILI_LOG_FORMAT = os.environ.get("ZHILI_LOG_FORMAT", "").strip() or ("text" if DEVELOPMENT else "json")
if ZHILI_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"ZHILI_LOG_FORMAT={ZHILI_LOG_FORMAT!r}：请写 json 或 text / must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "zhili.core.logging.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s", "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                 "json_ensure_ascii": False, "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": ZHILI_LOG_FORMAT,
                    "filters": ["mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ZHILI_LOG_LEVEL", "WARNING")},
    # The job worker's own lines in the same format (Huey adds a plain handler to a logger without one).
    "loggers": {"huey": {"handlers": ["console"], "level": os.environ.get("ZHILI_LOG_LEVEL", "INFO"),
                         "propagate": False}},
}
