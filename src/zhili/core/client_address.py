"""The client's address, the one way: the login throttle, the rate limits and every log line ask here.

Behind the load balancer or nginx, ``REMOTE_ADDR`` is the proxy's address, the same for everyone. The
proxies append the address they received the request from to ``X-Forwarded-For``, so the client is
the right-most entry that is not one of our own proxies (``ZHILI_TRUSTED_PROXIES``, addresses or
CIDRs). Entries left of it were written by the client and are never believed; a request whose direct
peer is not a trusted proxy is answered by its peer address alone, whatever headers it sends.
With ``ZHILI_TRUSTED_PROXIES`` empty (the default) the address is ``REMOTE_ADDR``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - a placeholder value, never bound


@functools.cache
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in configured)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """``ZHILI_TRUSTED_PROXIES`` as networks (validated when the settings load)."""
    configured: Sequence[str] = getattr(settings, "ZHILI_TRUSTED_PROXIES", ())
    return _networks(tuple(configured))


def _parsed(text: str) -> Address | None:
    """An address as a proxy writes it: ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1`` or ``[2001:db8::1]:443``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as a string (``0.0.0.0`` when it cannot be told)."""
    peer = _parsed(str(request.META.get("REMOTE_ADDR", "")))
    if peer is None:
        return UNKNOWN_ADDRESS
    networks = trusted_proxy_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))  # repeated headers arrive comma-joined
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parsed(entry)
        if address is None:
            # Our proxies write valid addresses; garbage was written by the client left of them.
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
