"""The e-mail outbox with a real Celery worker on Redis and PostgreSQL (marked ``services``): every
task delivered twice sends once; a worker killed in the middle of a delivery loses nothing; a
broker down at the commit delays the e-mail until the sweeper, never sends it from the web process."""

import email
import email.policy
import signal
import socket
import time

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxEmail, OutboxState
from accounts.services import email_enqueue
from accounts.tasks import deliver_email, send_email, sweep_outbox
from chorus.celery import app
from chorus.queue import broker_pause
from tests.conftest import wait_for

pytestmark = pytest.mark.services

TIMEOUT = 20


def sent_messages(worker) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(worker["outbox"].glob("*.eml"))
    ]


def subjects(worker) -> list[str]:
    return sorted(" ".join(str(m["Subject"]).split()) for m in sent_messages(worker))


def state_of(row) -> OutboxState:
    return OutboxEmail.objects.values_list("state", flat=True).get(pk=row.pk)


def sentinel(worker, subject) -> None:
    """One more e-mail through the single worker: once it is out, every task published before it
    has been handled (the worker takes them in order, one at a time)."""
    row = email_enqueue(message=EmailMessage(subject=subject, body="Repère", to=["repere@entreprise.example"]))
    wait_for(lambda: state_of(row) == OutboxState.SENT, timeout=TIMEOUT)


def test_every_email_task_delivered_twice_sends_once(celery_worker_process):
    worker = celery_worker_process
    row = email_enqueue(
        message=EmailMessage(subject="[Chorus Pro] Une fois", body="Corps", to=["a@entreprise.example"])
    )
    deliver_email.delay(row.pk)  # a redelivery, an operator's retry, the sweeper a little early
    deliver_email.delay(row.pk)
    # The task of earlier versions, delivered twice (same task id, as Redis redelivers it).
    legacy = {"subject": "[Chorus Pro] Ancienne tâche", "body": "Lien", "to": ["b@entreprise.example"]}
    send_email.apply_async(kwargs=legacy, task_id="tache-redistribuee")
    send_email.apply_async(kwargs=legacy, task_id="tache-redistribuee")
    sentinel(worker, "[Chorus Pro] Repère")
    assert subjects(worker) == ["[Chorus Pro] Ancienne tâche", "[Chorus Pro] Repère", "[Chorus Pro] Une fois"]
    assert OutboxEmail.objects.get(pk=row.pk).attempts == 1


@pytest.fixture
def silent_smtp_server():
    """A port that accepts SMTP connections and never says a word: a worker sending there hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_worker_killed_in_the_middle_of_a_delivery_loses_nothing(celery_worker_process, silent_smtp_server):
    worker = celery_worker_process
    hanging = worker["restart"](
        EMAIL_URL=f"smtp://127.0.0.1:{silent_smtp_server}",
        TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_TIMEOUT="60",
        OUTBOX_LEASE_SECONDS="6",
    )
    row = email_enqueue(
        message=EmailMessage(subject="[Chorus Pro] Survivant", body="Corps", to=["c@entreprise.example"])
    )
    # The worker claimed it and waits for the SMTP server's greeting: kill it there.
    wait_for(lambda: OutboxEmail.objects.get(pk=row.pk).claimed_until is not None, timeout=TIMEOUT)
    time.sleep(0.5)
    hanging.send_signal(signal.SIGKILL)
    hanging.wait(timeout=10)
    claimed = OutboxEmail.objects.get(pk=row.pk)
    assert claimed.state == OutboxState.PENDING and claimed.attempts == 1 and sent_messages(worker) == []
    assert claimed.claimed_until > timezone.now()
    assert sweep_outbox() == {"requeued": 0, "published": 0}  # still leased to the dead worker
    # A new worker with a working backend; the lease runs out; the sweeper hands the row on.
    worker["restart"]()
    wait_for(lambda: OutboxEmail.objects.get(pk=row.pk).claimed_until < timezone.now(), timeout=15)
    assert sweep_outbox() == {"requeued": 1, "published": 1}
    wait_for(lambda: state_of(row) == OutboxState.SENT, timeout=TIMEOUT)
    sentinel(worker, "[Chorus Pro] Repère")  # and the redelivery of the killed task, if any, sends nothing
    assert subjects(worker) == ["[Chorus Pro] Repère", "[Chorus Pro] Survivant"]
    assert OutboxEmail.objects.get(pk=row.pk).attempts == 2


def test_a_broker_down_at_sign_up_delays_the_email_until_the_sweeper(celery_worker_process, client, settings, caplog):
    worker = celery_worker_process
    with pytest.MonkeyPatch.context() as patch:
        # The portal's broker becomes unreachable (a closed port); the worker keeps its own.
        patch.setattr(app.amqp, "_producer_pool", None)
        patch.setattr(app, "_pool", None)
        app.conf.broker_write_url = "redis://127.0.0.1:1/0"
        try:
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
        finally:
            app.conf.broker_write_url = None
    assert response.status_code == 302
    assert "Tâche accounts.deliver_email non mise en file" in caplog.text
    assert mail.outbox == []  # nothing sent from the web process
    [row] = OutboxEmail.objects.all()
    assert row.state == OutboxState.PENDING and row.attempts == 0
    time.sleep(1)
    assert sent_messages(worker) == []
    # The broker is back; the row is due (OUTBOX_SWEEP_AFTER_SECONDS after the commit); beat's sweep.
    broker_pause.reset()
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert sweep_outbox() == {"requeued": 1, "published": 1}
    wait_for(lambda: state_of(row) == OutboxState.SENT, timeout=TIMEOUT)
    [message] = sent_messages(worker)
    assert message["To"] == "panne@entreprise.example"
    assert "/compte/confirm-email/" in message.get_body(preferencelist=("plain",)).get_content()
