"""Enqueueing never fails nor holds up the request: broker outages are logged, publishing pauses after
one, some tasks (staff actions) run in place, e-mails wait in the outbox."""

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import OutboxEmail, OutboxState, User
from accounts.tasks import deliver_email, send_email, sweep_outbox
from chorus.queue import broker_pause, enqueue

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
    assert mail.outbox == []  # never run in the web process
    assert "non mise en file" in caplog.text


def test_sign_up_during_a_broker_outage_still_sends_the_activation_link(
    client, broker_down, django_capture_on_commit_callbacks, settings
):
    """The link is not sent from the web process any more: it waits in the outbox for the sweeper."""
    broker_down(deliver_email)
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
    assert mail.outbox == []
    [row] = OutboxEmail.objects.filter(state=OutboxState.PENDING)
    # The broker is back and the row is due (OUTBOX_SWEEP_AFTER_SECONDS later): the sweeper sends it.
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(deliver_email, "apply_async")
        sweep_outbox()
    assert mail.outbox[0].subject == "[Chorus Pro] Activez votre compte"


def test_after_a_failed_publish_the_process_leaves_the_broker_alone_for_a_while(settings, caplog):
    """A frozen broker costs one bounded wait per BROKER_OUTAGE_PAUSE_SECONDS, not one per task: a
    page enqueueing many tasks answers quickly. (Real publishes to a closed port.)"""
    settings.BROKER_OUTAGE_PAUSE_SECONDS = 60
    app = send_email.app
    previous = app.conf.task_always_eager, app.conf.broker_write_url
    app.conf.task_always_eager, app.conf.broker_write_url = False, "redis://127.0.0.1:1/0"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(app.amqp, "_producer_pool", None)
            patch.setattr(app, "_pool", None)
            assert enqueue(deliver_email, 1) is False
            assert "Tâche accounts.deliver_email non mise en file (courtier indisponible ?)" in caplog.text
            assert broker_pause.active()
            with mock.patch.object(deliver_email, "apply_async") as publish:
                assert enqueue(deliver_email, 2) is False
                assert publish.call_count == 0  # not even tried
            assert "courtier en panne, nouvel essai plus tard" in caplog.text
            settings.BROKER_OUTAGE_PAUSE_SECONDS = 0
            broker_pause.start()  # a pause of 0 s: the next publish tries the broker again
            with mock.patch.object(deliver_email, "apply_async") as publish:
                assert enqueue(deliver_email, 3) is True
                assert publish.call_count == 1
    finally:
        app.conf.task_always_eager, app.conf.broker_write_url = previous
        broker_pause.reset()


def test_eager_mode_never_pauses(broker_down):
    broker_down(send_email)
    assert enqueue(send_email, subject="S", body="B", to=["a@b.example"]) is False
    assert not broker_pause.active()
