"""Enqueueing never fails the request: broker outages are logged, and some tasks run in place."""

import pytest
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from accounts.models import User
from accounts.tasks import send_email
from chorus.queue import enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(task):
        def apply_async(*args, **kwargs):
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        monkeypatch.setattr(task, "apply_async", apply_async)

    return refuse


def test_enqueue_reports_an_outage_without_raising(broker_down, caplog):
    broker_down(send_email)
    assert enqueue(send_email, subject="S", body="B", to=["a@b.example"]) is False
    assert mail.outbox == []  # not run here unless asked
    assert "non mise en file" in caplog.text


def test_enqueue_can_run_the_task_here_when_the_broker_is_down(broker_down):
    broker_down(send_email)
    assert enqueue(send_email, subject="S", body="B", to=["a@b.example"], run_here_if_broker_down=True) is False
    assert [m.subject for m in mail.outbox] == ["S"]


def test_sign_up_during_a_broker_outage_still_sends_the_activation_link(
    client, broker_down, django_capture_on_commit_callbacks
):
    broker_down(send_email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "panne@entreprise.example",
                "first_name": "Paul",
                "last_name": "Panne",
                "password1": "Un-mot-de-passe-solide-42",
                "password2": "Un-mot-de-passe-solide-42",
                "accept_cgu": "on",
            },
        )
    assert response.status_code == 302
    assert User.objects.filter(email="panne@entreprise.example").exists()
    assert mail.outbox[0].subject == "[Chorus Pro] Activez votre compte"
