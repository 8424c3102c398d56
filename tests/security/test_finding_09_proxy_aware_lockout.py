"""Finding 9: 20 failed logins from one address locked out every user at that address for 15 minutes;
behind the documented load balancer that was everyone (REMOTE_ADDR is the balancer's), and
``X-Forwarded-For`` was ignored.

Now the client address is resolved through ``ZHILI_TRUSTED_PROXIES`` (the right-most
``X-Forwarded-For`` entry that is not one of our proxies) by one core function, lockouts are per
(account, address), and an address with many failures only slows down (a short wait per attempt)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory

from zhili.accounts import services
from zhili.accounts.models import User
from zhili.accounts.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "Shared-Office-2026"
BALANCER = "10.0.0.2"
NGINX = "127.0.0.1"


@pytest.fixture
def behind_the_balancer(settings: object) -> None:
    settings.ZHILI_TRUSTED_PROXIES = [NGINX, "10.0.0.0/24"]  # type: ignore[attr-defined]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The address-wide slow-down's waits, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(services, "sleep", recorded.append, raising=False)
    return recorded


def _via_proxies(client_address: str) -> Client:
    """A browser at ``client_address``: through the load balancer and nginx, as deploy/ runs it."""
    return Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"{client_address}, {BALANCER}")


def _sign_in(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def _address_of(**meta: str) -> str:
    from zhili.core.client_address import client_address

    return client_address(RequestFactory().get("/", **meta))  # type: ignore[arg-type]


def test_the_client_is_the_right_most_forwarded_entry_that_is_not_our_proxy(behind_the_balancer: None) -> None:
    assert _address_of(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"198.51.100.7, {BALANCER}") == "198.51.100.7"
    # entries the client wrote itself (left of what our proxies appended) are never believed
    assert _address_of(REMOTE_ADDR=NGINX,
                       HTTP_X_FORWARDED_FOR=f"6.6.6.6, 198.51.100.7, {BALANCER}") == "198.51.100.7"
    assert _address_of(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"not-an-address, {BALANCER}") == BALANCER
    assert _address_of(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="[2001:db8::5]:4431") == "2001:db8::5"
    # a peer that is not our proxy: its own address, whatever it claims
    assert _address_of(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7") == "203.0.113.9"
    assert _address_of(REMOTE_ADDR=NGINX) == NGINX


def test_without_trusted_proxies_forwarded_headers_are_ignored() -> None:
    assert django_settings.ZHILI_TRUSTED_PROXIES == []
    assert _address_of(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7") == "192.0.2.1"


def test_twenty_failures_at_a_shared_address_do_not_lock_out_the_others(waits: list[float]) -> None:
    User.objects.create_user(username="victim", password=PASSWORD, role=Role.OPERATOR)
    User.objects.create_user(username="colleague", password=PASSWORD, role=Role.HANDLER)
    office = Client(REMOTE_ADDR="192.0.2.50")  # one NAT address for the whole office
    for attempt in range(20):
        _sign_in(office, "victim", f"wrong-{attempt}")
    colleague = Client(REMOTE_ADDR="192.0.2.50")
    assert _sign_in(colleague, "colleague", PASSWORD) == 302
    assert "_auth_user_id" in colleague.session
    # at most the short address-wide wait, never a lockout
    assert waits
    assert max(waits) <= django_settings.ZHILI_LOGIN_ADDRESS_DELAY_SECONDS
    # the account that was attacked stays locked from that address
    assert _sign_in(Client(REMOTE_ADDR="192.0.2.50"), "victim", PASSWORD) == 429


def test_behind_the_balancer_a_lockout_is_the_attackers_alone(behind_the_balancer: None, waits: list[float]) -> None:
    from axes.models import AccessAttempt

    User.objects.create_user(username="dispatcher", password=PASSWORD, role=Role.DISPATCHER)
    attacker = _via_proxies("203.0.113.66")
    for attempt in range(django_settings.ZHILI_LOGIN_FAILURE_LIMIT + 3):
        _sign_in(attacker, "dispatcher", f"guess-{attempt}")
    assert _sign_in(_via_proxies("203.0.113.66"), "dispatcher", PASSWORD) == 429
    # the same account, from the real owner's browser: the balancer's address is not the key
    owner = _via_proxies("198.51.100.20")
    assert _sign_in(owner, "dispatcher", PASSWORD) == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True).distinct()) == ["203.0.113.66"]
    assert waits == []


def test_a_forged_forwarded_header_does_not_escape_a_lockout(behind_the_balancer: None, waits: list[float]) -> None:
    User.objects.create_user(username="leader", password=PASSWORD, role=Role.LEADER)
    for attempt in range(django_settings.ZHILI_LOGIN_FAILURE_LIMIT):
        forged = Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"10.9.{attempt}.1, 203.0.113.66, {BALANCER}")
        _sign_in(forged, "leader", f"guess-{attempt}")
    again = Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"192.0.2.200, 203.0.113.66, {BALANCER}")
    assert _sign_in(again, "leader", PASSWORD) == 429


def test_password_spraying_from_one_address_is_slowed_not_locked(settings: object, waits: list[float]) -> None:
    settings.ZHILI_LOGIN_ADDRESS_FAILURE_LIMIT = 6  # type: ignore[attr-defined]
    settings.ZHILI_LOGIN_ADDRESS_DELAY_SECONDS = 3  # type: ignore[attr-defined]
    for index in range(8):
        User.objects.create_user(username=f"user{index}", password=PASSWORD, role=Role.OPERATOR)
    sprayer = Client(REMOTE_ADDR="192.0.2.77")
    for index in range(6):
        assert _sign_in(sprayer, f"user{index}", "Spring2026!") == 200
    assert waits == []
    assert _sign_in(sprayer, "user6", "Spring2026!") == 200
    assert waits == [3.0]
    # a correct sign-in from that address waits the same few seconds, then succeeds
    assert _sign_in(Client(REMOTE_ADDR="192.0.2.77"), "user7", PASSWORD) == 302
    assert waits == [3.0, 3.0]
    # other addresses are not slowed
    assert _sign_in(Client(REMOTE_ADDR="192.0.2.78"), "user0", PASSWORD) == 302
    assert waits == [3.0, 3.0]


def test_the_rate_limiter_and_the_lockout_use_the_same_address(behind_the_balancer: None, settings: object) -> None:
    from axes.helpers import get_client_ip_address

    from zhili.core import client_address

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=NGINX,
                                    HTTP_X_FORWARDED_FOR=f"198.51.100.9, {BALANCER}")
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "zhili.core.client_address.client_address"
    assert get_client_ip_address(request) == client_address.client_address(request) == "198.51.100.9"
