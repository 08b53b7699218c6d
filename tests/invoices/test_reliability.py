"""Reliability of the routing with a real Celery worker on Redis and PostgreSQL (marked
``services``: skipped locally without them, required in CI), plus the in-process guarantees
around the broker.

(a) a sent invoice reaches MISE_A_DISPOSITION through the worker and the supplier's e-mail lands in
    the worker's outbox; (b) the same routing delivered twice gives one set of events and e-mails;
(c) a worker killed (SIGKILL) while a routing task is in progress: the message is delivered again
    to the next worker; an invoice left EN_COURS_ACHEMINEMENT by a crash is finished by the
    sweeper; (d) sending while the broker is down saves the invoice DEPOSEE without a server
    error, and the sweeper routes it once the broker is back. Also: four concurrent deliveries of
    the same routing (threads, PostgreSQL row lock) route it once.
"""

import email
import email.policy
import signal
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from chorus.celery import app
from chorus.queue import broker_pause
from invoices import services, tasks
from invoices.models import Invoice, InvoiceEvent
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.conftest import wait_for
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory

TIMEOUT = 20


def outbox_messages(worker) -> list[dict]:
    """The worker's e-mails: To, Subject (decoded, unfolded) and the text."""
    messages = []
    for path in sorted(worker["outbox"].glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        messages.append(
            {"To": str(message["To"]), "Subject": " ".join(str(message["Subject"]).split()), "body": body.get_content()}
        )
    return messages


def status_of(invoice) -> str:
    return Invoice.objects.values_list("status", flat=True).get(pk=invoice.pk)


def transitions_of(invoice) -> list[str]:
    return list(InvoiceEvent.objects.filter(invoice=invoice).order_by("id").values_list("transition", flat=True))


def deposited(member, **kwargs) -> Invoice:
    return InvoiceFactory(
        supplier=member.structure, sent=True, sent_by=member.user, status_changed_at=timezone.now(), **kwargs
    )


@pytest.fixture
def member(motifs):
    return MembershipFactory()


# --- (a) and (b) -----------------------------------------------------------------------------------


@pytest.mark.services
def test_a_sent_invoice_is_routed_by_the_worker_and_the_supplier_told(celery_worker_process, member):
    draft = InvoiceFactory(supplier=member.structure)
    invoice = services.invoice_send(invoice=draft, user=member.user)  # commits: routing enqueued
    wait_for(lambda: status_of(invoice) == Status.MISE_A_DISPOSITION, timeout=TIMEOUT)
    assert transitions_of(invoice) == ["deposer", "acheminer", "mettre_a_disposition"]
    messages = wait_for(lambda: outbox_messages(celery_worker_process), timeout=TIMEOUT)
    [message] = messages
    assert message["To"] == member.user.email
    assert message["Subject"] == f"[Chorus Pro] Facture {invoice.identifier} : Mise à disposition du destinataire"
    assert f"/factures/{invoice.pk}/" in message["body"]


@pytest.mark.services
def test_the_same_routing_delivered_twice_gives_one_set_of_events_and_emails(celery_worker_process, member):
    invoice = deposited(member)
    tasks.route_invoice.delay(invoice.pk)
    tasks.route_invoice.delay(invoice.pk)  # a redelivery, or the sweeper a little early
    # A later task on the same single worker: once its e-mail is out, both deliveries were handled.
    first_sentinel = deposited(member)
    tasks.route_invoice.delay(first_sentinel.pk)
    wait_for(lambda: len(outbox_messages(celery_worker_process)) >= 2, timeout=TIMEOUT)
    tasks.route_invoice.delay(invoice.pk)  # and again, once everything is done
    tasks.route_invoice.delay(first_sentinel.pk)
    second_sentinel = deposited(member)
    tasks.route_invoice.delay(second_sentinel.pk)
    wait_for(lambda: len(outbox_messages(celery_worker_process)) >= 3, timeout=TIMEOUT)

    for routed in (invoice, first_sentinel, second_sentinel):
        assert status_of(routed) == Status.MISE_A_DISPOSITION
        assert transitions_of(routed) == ["acheminer", "mettre_a_disposition"]
    subjects = sorted(m["Subject"] for m in outbox_messages(celery_worker_process))
    assert subjects == sorted(
        f"[Chorus Pro] Facture {i.identifier} : Mise à disposition du destinataire"
        for i in (invoice, first_sentinel, second_sentinel)
    )


# --- (c) a worker killed in the middle ---------------------------------------------------------


def _backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees a frozen snapshot otherwise
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.services
def test_a_task_of_a_killed_worker_is_delivered_again(celery_worker_process, member):
    invoice = deposited(member)
    worker = celery_worker_process["process"]
    with transaction.atomic():
        # Hold the invoice's row: the worker's routing blocks on it, in the middle of its task.
        Invoice.objects.select_for_update().get(pk=invoice.pk)
        tasks.route_invoice.delay(invoice.pk)
        wait_for(lambda: _backends_waiting_for_a_lock() >= 1, timeout=TIMEOUT)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    assert status_of(invoice) == Status.DEPOSEE and transitions_of(invoice) == []
    # The message was taken but never acknowledged (acks_late): a new worker gets it again once
    # the visibility timeout has passed (shortened here from one hour to one second).
    celery_worker_process["restart"](
        CELERY_VISIBILITY_TIMEOUT="1", CELERY_UNACKED_RESTORE_INTERVAL="1", CELERY_UNACKED_RESTORE_THROTTLE="1"
    )
    wait_for(lambda: status_of(invoice) == Status.MISE_A_DISPOSITION, timeout=TIMEOUT)
    assert transitions_of(invoice) == ["acheminer", "mettre_a_disposition"]
    wait_for(lambda: outbox_messages(celery_worker_process), timeout=TIMEOUT)
    assert len(outbox_messages(celery_worker_process)) == 1


@pytest.mark.services
def test_an_invoice_left_in_routing_by_a_crash_is_finished_by_the_sweeper(celery_worker_process, member):
    invoice = deposited(member)
    stale = deposited(member)
    # What a worker killed between the two steps leaves: EN_COURS_ACHEMINEMENT, 20 minutes ago.
    for crashed in (invoice, stale):
        invoice_transition(invoice=crashed, transition="acheminer", actor=Actor.SYSTEM)
    Invoice.objects.filter(pk=invoice.pk).update(status_changed_at=timezone.now() - timedelta(minutes=20))
    Invoice.objects.filter(pk=stale.pk).update(status_changed_at=timezone.now() - timedelta(minutes=2))

    tasks.sweep_stuck_invoices.delay()  # what beat sends every 5 minutes (threshold: 10 minutes)
    wait_for(lambda: status_of(invoice) == Status.MISE_A_DISPOSITION, timeout=TIMEOUT)
    assert transitions_of(invoice) == ["acheminer", "mettre_a_disposition"]
    assert status_of(stale) == Status.EN_COURS_ACHEMINEMENT  # too recent to be called stuck
    wait_for(lambda: outbox_messages(celery_worker_process), timeout=TIMEOUT)
    assert [m["Subject"] for m in outbox_messages(celery_worker_process)] == [
        f"[Chorus Pro] Facture {invoice.identifier} : Mise à disposition du destinataire"
    ]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_route_once(requires_postgres, member):
    """Two workers receiving the same routing at the same moment: the row lock serialises them."""
    import threading

    from django.db import connections

    invoice = deposited(member)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def deliver():
        try:
            barrier.wait(timeout=10)
            results.append(services.invoice_route(invoice=invoice.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    with mock.patch("invoices.lifecycle.enqueue_notification"):  # no broker needed here
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert results == ["MISE_A_DISPOSITION"] * 4
    assert transitions_of(invoice) == ["acheminer", "mettre_a_disposition"]


# --- (d) the broker is down when the invoice is sent -------------------------------------------


@pytest.mark.services
def test_sending_while_the_broker_is_down_then_the_sweeper_routes(celery_worker_process, member, client, caplog):
    draft = InvoiceFactory(supplier=member.structure)
    client.force_login(member.user)
    with pytest.MonkeyPatch.context() as patch:
        # The portal's broker becomes unreachable (a closed port); the worker keeps its own.
        # (CELERY_BROKER_URL in the environment wins over conf.broker_url: set the write URL.)
        patch.setattr(app.amqp, "_producer_pool", None)
        patch.setattr(app, "_pool", None)
        app.conf.broker_write_url = "redis://127.0.0.1:1/0"
        try:
            assert app.connection_for_write().port == 1
            response = client.post(reverse("invoices:send", args=[draft.pk]))
        finally:
            app.conf.broker_write_url = None
        assert response.status_code == 302
        assert response["Location"] == reverse("invoices:detail", args=[draft.pk])
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == Status.DEPOSEE and invoice.identifier
    assert transitions_of(invoice) == ["deposer"]
    assert "non mise en file" in caplog.text
    # The broker is back: the sweeper finds the invoice and the worker routes it. (This process
    # tries the broker again BROKER_OUTAGE_PAUSE_SECONDS after the failure: not waited for here.)
    broker_pause.reset()
    assert services.invoices_requeue_stuck(older_than_minutes=0) == [invoice.pk]
    wait_for(lambda: status_of(invoice) == Status.MISE_A_DISPOSITION, timeout=TIMEOUT)
    assert transitions_of(invoice) == ["deposer", "acheminer", "mettre_a_disposition"]
    wait_for(lambda: outbox_messages(celery_worker_process), timeout=TIMEOUT)


# --- In process: the enqueueing never fails a request -------------------------------------------


@pytest.mark.django_db
def test_a_broker_error_at_sending_is_logged_not_raised(member, django_capture_on_commit_callbacks, caplog):
    draft = InvoiceFactory(supplier=member.structure)
    with mock.patch.object(tasks.route_invoice, "delay", side_effect=BrokerError("Connection refused")) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            services.invoice_send(invoice=draft, user=member.user)
    assert delay.call_count == 1
    assert status_of(draft) == Status.DEPOSEE
    assert "Tâche invoices.route_invoice non mise en file" in caplog.text


@pytest.mark.django_db
def test_a_broker_error_after_a_transition_is_logged_not_raised(member, django_capture_on_commit_callbacks, caplog):
    invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.MISE_A_DISPOSITION)
    with mock.patch.object(tasks.notify_invoice_event, "delay", side_effect=BrokerError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            event = invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT)
    assert event and status_of(invoice) == Status.SERVICE_FAIT
    assert "non mise en file" in caplog.text


@pytest.mark.django_db
def test_a_programming_error_in_a_task_is_not_swallowed(member, django_capture_on_commit_callbacks):
    draft = InvoiceFactory(supplier=member.structure)
    with mock.patch.object(tasks.route_invoice, "delay", side_effect=TypeError("bug")):
        with pytest.raises(TypeError):
            with django_capture_on_commit_callbacks(execute=True):
                services.invoice_send(invoice=draft, user=member.user)
