"""Rate limits of the anonymous and API endpoints, counted on the shared cache.

A limit is ``settings.ZHILI_RATE_LIMITS[scope]``: ``requests/period`` (``60/m``, ``10/10m``) or ``0``
for none. Requests are counted in fixed windows of the period, per scope and identity (a client
address from :func:`zhili.core.client_address.client_address`, an account, an API key), in Django's
cache — the database cache by default, Redis with ``REDIS_URL`` — so every web process of the
installation counts together. Identities are hashed before they become cache keys (no address is
stored). Over the limit, :class:`RateLimitedError` (429) says in how many seconds to try again; the
callers answer it in their own format with a ``Retry-After`` header.
"""

from __future__ import annotations

import functools
import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext

from zhili.core import clock
from zhili.core.environment import rate_parse
from zhili.core.errors import ApplicationError


class RateLimitedError(ApplicationError):
    """Too many requests: try again in ``retry_after`` seconds."""

    status_code = 429

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__("rate_limited", rate_limited_message(retry_after),
                         details={"scope": scope, "retry_after": retry_after})
        self.retry_after = retry_after


def rate_limited_message(retry_after: int) -> str:
    """The person's explanation, in the active language."""
    return gettext("请求过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": retry_after}


@functools.cache
def _parsed(text: str) -> tuple[int, int] | None:
    return rate_parse(text)


def rate_for(scope: str) -> tuple[int, int] | None:
    """(requests, seconds) of ``scope``, or ``None`` when it has no limit."""
    configured: dict[str, str] = getattr(settings, "ZHILI_RATE_LIMITS", {})
    return _parsed(configured.get(scope, "0"))


def rate_limit_hit(*, scope: str, identity: str) -> None:
    """Count one request of ``identity`` in ``scope``; :class:`RateLimitedError` when it is over the limit."""
    rate = rate_for(scope)
    if rate is None:
        return
    requests, seconds = rate
    now = clock.now().timestamp()
    window = int(now // seconds)
    digest = hashlib.blake2b(identity.encode("utf-8"), digest_size=12, person=b"zhili-rate").hexdigest()
    key = f"zhili-rate:{scope}:{seconds}:{digest}:{window}"
    timeout = seconds + 1
    current = cache.get(key)
    if current is not None and int(current) >= requests:
        count = int(current) + 1  # refused without another write: a flood costs one read per request
    elif current is None and cache.add(key, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)  # atomic on Redis; a read and a write on the database cache
        except ValueError:  # expired in between
            cache.set(key, 1, timeout=timeout)
            count = 1
    if count > requests:
        raise RateLimitedError(scope=scope, retry_after=max(1, math.ceil((window + 1) * seconds - now)))


def retry_after_set(response: HttpResponse, error: RateLimitedError) -> HttpResponse:
    """``response`` with the ``Retry-After`` header of ``error`` (delta-seconds, RFC 9110)."""
    response["Retry-After"] = str(error.retry_after)
    return response
