"""Settings for zhili: one base, driven by the environment.

Environment variables:
    DATABASE_URL        database; SQLite file ``var/zhili.sqlite3`` when unset
    REDIS_URL           job-queue storage; embedded SQLite queue when unset
    ZHILI_SECRET_KEY    Django secret key (a development key is used when unset and DEBUG)
    ZHILI_DEBUG         "1" for development
    ZHILI_PII_KEY       key (urlsafe base64, 32 bytes) that encrypts reporter phone/ID numbers at rest
    ZHILI_DATA_DIR      where SQLite, uploads, models and the queue live (default ``var/``)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPOSITORY_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("ZHILI_DATA_DIR", REPOSITORY_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("ZHILI_DEBUG", "0") == "1"
TESTING = os.environ.get("ZHILI_TESTING", "0") == "1"
SECRET_KEY = os.environ.get("ZHILI_SECRET_KEY", "")
if not SECRET_KEY:
    # Only development and tests run without a configured key; production must set one.
    SECRET_KEY = "zhili-development-key-not-for-production-use-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = [host for host in os.environ.get("ZHILI_ALLOWED_HOSTS", "*").split(",") if host]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
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
    "zhili.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhili.core.middleware.ChineseFirstLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhili.core.middleware.SecurityHeadersMiddleware",
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
    if os.environ.get("ZHILI_PG_PREPARED_STATEMENTS", "1") == "1":
        # Parameters travel apart from the SQL and statements a connection runs often are prepared
        # once (intake: about a quarter less CPU in PostgreSQL and in the driver). Set
        # ZHILI_PG_PREPARED_STATEMENTS=0 behind a transaction-pooling proxy (pgbouncer) that
        # cannot keep prepared statements.
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = int(os.environ.get("ZHILI_SESSION_SECONDS", str(8 * 3600)))
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
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Front-end libraries come from the npm registry (package.json) into node_modules by the setup;
# they are served from our own origin, never from a CDN, and never copied into the repository.
NODE_MODULES_DIR = REPOSITORY_DIR / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES_DIR / relative)
    for name, relative in (("echarts", "echarts/dist"), ("htmx", "htmx.org/dist"))
    if (NODE_MODULES_DIR / relative).is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
ZHILI_UPLOAD_MAX_BYTES = int(os.environ.get("ZHILI_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
# history import: a closing time this many seconds before intake is one the source rounded to the minute
ZHILI_IMPORT_CLOSE_TOLERANCE_SECONDS = int(os.environ.get("ZHILI_IMPORT_CLOSE_TOLERANCE_SECONDS", "60"))
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

ZHILI_PII_KEY = os.environ.get("ZHILI_PII_KEY", "")
# Reporter name/phone/ID of cases closed longer ago than this are erased by a nightly job.
ZHILI_PERSONAL_DATA_RETENTION_DAYS = int(os.environ.get("ZHILI_PERSONAL_DATA_RETENTION_DAYS", "1095"))
# Fixed cases leave the public map (FixMyStreet-style) this many days after they were closed.
ZHILI_PUBLIC_MAP_FIXED_DAYS = int(os.environ.get("ZHILI_PUBLIC_MAP_FIXED_DAYS", "30"))

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "zhili.core.logging.PersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ZHILI_LOG_LEVEL", "WARNING")},
}
