"""The environment a benchmark's Django process runs with: production settings, not the test suite's.

``ZHILI_TESTING`` would switch caches off (the classifier's and the geo data version's) and the
development defaults on, so benchmarks run as production does: DEBUG off, fresh keys (nothing they
encrypt outlives the run), the hosts the test client and local servers use, rate limits far above a
benchmark's load (counted, never refusing), and plain HTTP (the
test client and the local gunicorn speak HTTP; nginx terminates TLS in production). A benchmark that
renders pages first collects the static files into its own data directory (hashed names, as
production serves them): :func:`bench_static_collect`.
"""

from __future__ import annotations

import base64
import os
import secrets


def bench_environment_set() -> None:
    """Set (unless already set) what a production process needs, before Django is set up."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")
    os.environ.setdefault("ZHILI_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("ZHILI_PII_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"))
    os.environ.setdefault("ZHILI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("ZHILI_HTTPS", "0")
    os.environ.setdefault("ZHILI_LOG_FORMAT", "text")
    # A benchmark is one load generator at one address with a few keys: explicit limits far above what
    # it sends, so the rate limiter still counts every request but never refuses one.
    for name in BENCH_RATE_LIMITS:
        os.environ.setdefault(name, "1000000/m")


BENCH_RATE_LIMITS = ("ZHILI_RATE_REPORTS", "ZHILI_RATE_TRACK", "ZHILI_RATE_OPEN311_ADDRESS", "ZHILI_RATE_OPEN311_KEY",
                     "ZHILI_RATE_API_USER")


def bench_static_collect() -> None:
    """Collect the static files into ``ZHILI_STATIC_ROOT`` (the benchmark's data directory), after setup."""
    from django.core.management import call_command  # deferred: needs Django set up

    call_command("collectstatic", interactive=False, verbosity=0)
