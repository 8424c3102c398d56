"""gunicorn's configuration: ``gunicorn -c python:zhili.config.gunicorn zhili.config.wsgi:application``.

Used by ``make serve`` and ``deploy/systemd/zhili-web.service``. Read from the environment:

    ZHILI_BIND           address:port to listen on (default 127.0.0.1:8000; the proxy sits in front)
    ZHILI_WEB_WORKERS    worker processes (default 2 × the cores this process may use)
    ZHILI_WEB_THREADS    threads per worker (default 2)
    ZHILI_WEB_TIMEOUT    seconds before a stuck worker is restarted (default 60)

A malformed value, missing keys or missing collected assets stop the master before any worker forks,
with the message naming the variable (exit status 2). Logs are JSON lines on stdout like the
application's; the workers' request metrics are added up through ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from zhili.core.environment import environment_integer


def _refuse(message: str) -> None:
    sys.stderr.write(f"zhili web 拒绝启动 / refuses to start:\n  - {message}\n")
    raise SystemExit(2)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


try:
    workers = environment_integer("ZHILI_WEB_WORKERS", default=2 * _cores(), minimum=1)
    threads = environment_integer("ZHILI_WEB_THREADS", default=2, minimum=1)
    timeout = environment_integer("ZHILI_WEB_TIMEOUT", default=60, minimum=5)
except ImproperlyConfigured as error:
    _refuse(str(error))
bind = [os.environ.get("ZHILI_BIND", "").strip() or "127.0.0.1:8000"]
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (bounded memory growth), at staggered moments.
max_requests = 5000
max_requests_jitter = 500
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - gunicorn's heartbeat files
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                            "json_ensure_ascii": False, "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

# Every worker writes its counters here; /metrics adds them up. One directory per master.
_data_dir = Path(os.environ.get("ZHILI_DATA_DIR", Path(__file__).resolve().parents[3] / "var")).resolve()
METRICS_DIR = _data_dir / "metrics" / f"gunicorn-{os.getpid()}"
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)


def on_starting(server: Any) -> None:
    """In the master, before the workers: a clean metrics directory, then the production checks."""
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")
    try:
        # deferred: runs before (or while) Django is set up; importing at module level would need settings
        import django

        django.setup()
        # deferred: runs before (or while) Django is set up; importing at module level would need settings
        from zhili.core.startup import refuse_to_start

        refuse_to_start(process="web", serves_pages=True)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None


def child_exit(server: Any, worker: Any) -> None:
    # deferred: runs before (or while) Django is set up; importing at module level would need settings
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
