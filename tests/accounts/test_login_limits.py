"""Failed-login limits: a growing delay per address and per client IP, behind trusted proxies.

The owner's right password gets in once the delay has passed, whatever others typed; an IP that
fails a lot slows itself down, not the other clients behind the same proxy; every refusal is logged.
"""

import logging
import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db

WRONG = "pas-le-bon-mot-de-passe"


class Clock:
    """time.time() moved forward by hand (the limits and their cache entries read it)."""

    def __init__(self):
        self.now = time.time()

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    clock = Clock()
    with mock.patch("time.time", side_effect=lambda: clock.now):
        yield clock


def login(client, email, password=PASSWORD, ip=None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(reverse("account_login"), {"login": email, "password": password}, headers=headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_owner_gets_in_once_the_delay_has_passed(client, clock):
    user = UserFactory()
    for _ in range(5):
        login(client, user.email, WRONG)
    response = login(client, user.email)
    assert not logged_in(client)
    assert "Trop de tentatives de connexion échouées : réessayez dans 2 secondes." in html(response)
    clock.advance(2.5)
    login(client, user.email)
    assert logged_in(client)
    # The success cleared the address's count: four more mistakes cost nothing again.
    client.logout()
    for _ in range(4):
        login(client, user.email, WRONG)
    login(client, user.email)
    assert logged_in(client)


def test_the_delay_grows_is_capped_and_a_password_reset_lifts_it(client, clock, django_capture_on_commit_callbacks):
    user = UserFactory()
    for _ in range(5):
        login(client, user.email, WRONG)
    delays = []
    for _ in range(7):
        clock.advance(120)  # always past the delay: every attempt is tested and fails
        login(client, user.email, WRONG)
        text = html(login(client, user.email))
        delays.append(int(text.split("réessayez dans ")[1].split(" seconde")[0]))
    assert delays == [4, 8, 16, 32, 60, 60, 60]
    # A successful password reset lifts the delay at once.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://\S+/compte/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "Encore-un-mot-de-passe-42"
    client.post(form_url, {"password1": new, "password2": new})
    login(client, user.email, new)
    assert logged_in(client)


def test_attempts_during_the_delay_neither_count_nor_lengthen_it(client, clock):
    user = UserFactory()
    for _ in range(5):
        login(client, user.email, WRONG)
    for _ in range(20):  # someone keeps hammering during the 2 seconds (under the 30/min of RATE_LIMIT_LOGIN)
        clock.advance(0.09)
        login(client, user.email, WRONG)
    clock.advance(0.5)
    login(client, user.email)
    assert logged_in(client)


def test_the_client_ip_is_read_through_the_trusted_proxies_only(client, clock, settings):
    user = UserFactory()
    # No trusted proxy (the default): X-Forwarded-For is the client's say-so, and is ignored.
    for n in range(20):
        login(client, f"cible{n}@entreprise.example", WRONG, ip=f"10.0.0.{n}")
    assert "Trop de tentatives" in html(login(client, "autre@entreprise.example", WRONG, ip="10.1.1.1"))
    # One trusted proxy: the entry it appended (the last one) is the client, whatever comes before.
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(20):
        login(client, f"cible{n}@entreprise.example", WRONG, ip=f"10.0.0.{n}, 203.0.113.5")
    response = login(client, "cible99@entreprise.example", WRONG, ip="10.9.9.9, 203.0.113.5")
    assert "Trop de tentatives" in html(response)
    # Another client behind the same proxy (same REMOTE_ADDR) logs in at once.
    login(client, user.email, ip="198.51.100.7")
    assert logged_in(client)


def test_each_refusal_is_logged(client, clock, caplog):
    user = UserFactory()
    for _ in range(5):
        login(client, user.email, WRONG)
    with caplog.at_level(logging.INFO, logger="accounts.security"):
        login(client, user.email)
    refusals = [r for r in caplog.records if r.name == "accounts.security" and r.levelno == logging.WARNING]
    assert len(refusals) == 1
    assert user.email in refusals[0].getMessage() and "5 failed attempts" in refusals[0].getMessage()


def test_failures_and_successes_are_logged(client, clock, caplog):
    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="accounts.security"):
        login(client, user.email, WRONG)
        login(client, user.email)
    messages = [r.getMessage() for r in caplog.records if r.name == "accounts.security"]
    assert any(m.startswith(f"login failed for '{user.email}'") for m in messages)
    assert any(m.startswith(f"login succeeded for user {user.pk}") for m in messages)
