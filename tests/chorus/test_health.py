"""/sante/: a bare status for anonymous callers, the details for staff or the configured token."""

import pytest
from django.urls import reverse
from kombu import Connection

from chorus.celery import app
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "jeton-de-supervision-0123456789"


@pytest.fixture
def broker_down(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Nothing listens on port 1: the broker is down.
    monkeypatch.setattr(app, "connection_for_write", lambda *a, **k: Connection("redis://127.0.0.1:1/0"))


def test_health_check_reports_database_and_broker(client):
    client.force_login(UserFactory(staff=True))
    response = client.get(reverse("health"))
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["status"] == "ok"
    assert data["broker"]["status"] == "ok"


def test_health_check_fails_when_broker_is_down(client, broker_down):
    client.force_login(UserFactory(staff=True))
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "erreur"
    assert response.json()["database"]["status"] == "ok"


def test_anonymous_callers_get_only_the_status(client, settings):
    settings.HEALTH_CHECK_TOKEN = TOKEN
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sqlite" not in response.content.decode() and "ms" not in response.json()


def test_anonymous_callers_see_a_bare_503_when_a_check_fails(client, broker_down):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "erreur"}


def test_a_logged_in_supplier_gets_only_the_status(client):
    client.force_login(UserFactory())
    assert client.get(reverse("health")).json() == {"status": "ok"}


def test_the_token_shows_the_details(client, settings):
    settings.HEALTH_CHECK_TOKEN = TOKEN
    assert "database" not in client.get(reverse("health")).json()
    response = client.get(reverse("health"), headers={"Authorization": f"Bearer {TOKEN}"})
    data = response.json()
    assert data["database"]["vendor"] == "sqlite" or data["database"]["vendor"] == "postgresql"
    assert "ms" in data["database"]


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", TOKEN, ""])
def test_a_wrong_token_shows_nothing_more(client, settings, header):
    settings.HEALTH_CHECK_TOKEN = TOKEN
    response = client.get(reverse("health"), headers={"Authorization": header})
    assert response.json() == {"status": "ok"}


def test_no_token_configured_means_no_token_is_accepted(client, settings):
    settings.HEALTH_CHECK_TOKEN = ""
    response = client.get(reverse("health"), headers={"Authorization": "Bearer "})
    assert response.json() == {"status": "ok"}
