"""Links in e-mails use the portal's address (PORTAL_BASE_URL, the address of the run), whichever
host the request came through and whichever process renders them."""

import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django.urls import reverse

from chorus.links import absolute_reverse, absolute_url
from tests.accounts.factories import UserFactory
from tests.conftest import BASE_DIR

BASE = "https://chorus.example:8101"


@pytest.fixture(autouse=True)
def _portal_url(settings):
    settings.PORTAL_BASE_URL = BASE + "/"


def test_absolute_url_joins_the_base_and_the_path():
    assert absolute_url("/factures/12/") == f"{BASE}/factures/12/"
    assert absolute_url("factures/") == f"{BASE}/factures/"
    assert absolute_reverse("invoices:detail", 12) == f"{BASE}/factures/12/"


@pytest.mark.django_db
def test_the_activation_link_uses_the_portal_address_not_the_request_host(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "lien@entreprise.example",
                "first_name": "Léa",
                "last_name": "Lien",
                "password1": "Un-mot-de-passe-solide-42",
                "password2": "Un-mot-de-passe-solide-42",
                "accept_cgu": "on",
            },
            HTTP_HOST="10.0.0.7:8000",  # the web server's internal address, behind a proxy
        )
    assert response.status_code == 302
    [message] = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith(f"{BASE}/compte/confirm-email/") for link in links)


@pytest.mark.django_db
def test_the_password_reset_link_uses_the_portal_address(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_HOST="10.0.0.7:8000")
    [message] = mail.outbox
    [link] = re.findall(r"https?://\S+", message.body)
    assert link.startswith(f"{BASE}/compte/password/reset/key/")
    page = client.get(link.removeprefix(BASE), follow=True)
    assert page.status_code == 200 and 'name="password1"' in page.content.decode()


def test_production_settings_refuse_to_start_without_the_portal_address(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chorus.settings.base",
        "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdefgh",
        "CHORUS_VAR_DIR": str(tmp_path),
    }
    env.pop("PORTAL_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "PORTAL_BASE_URL" in result.stderr
