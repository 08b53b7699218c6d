"""Invoice notifications are durable: the event's claim and its outbox rows commit together, and
``invoices.sweep_unnotified_events`` notifies the events whose task was lost."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts import outbox
from accounts.models import OutboxEmail
from invoices import tasks
from invoices.models import InvoiceEvent
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(motifs):
    return MembershipFactory()


@pytest.fixture
def invoice(member):
    return InvoiceFactory(supplier=member.structure, sent=True, sent_by=member.user, status=Status.MISE_A_DISPOSITION)


def test_the_claim_and_the_outbox_rows_commit_together(invoice, member, django_capture_on_commit_callbacks):
    """Two people to tell; writing their e-mails fails once the claim is written (the database
    went away): neither e-mail nor the claim remains, so the retry tells both, once."""
    MembershipFactory(structure=member.structure, notify_invoice_events=True)
    event = invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT)
    with mock.patch.object(outbox, "outbox_write_many", side_effect=_write_then_fail(outbox.outbox_write_many)):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(BrokerError):
            tasks.notify_invoice_event(event.pk)
    event.refresh_from_db()
    assert event.notified_at is None and not OutboxEmail.objects.exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_invoice_event(event.pk) == {"sent": 2}
    assert len(mail.outbox) == 2 and OutboxEmail.objects.count() == 2


def _write_then_fail(real):
    """The rows are written, then the connection is lost before the commit."""

    def write(**kwargs):
        assert len(real(**kwargs)) == 2
        raise BrokerError("connexion perdue")

    return write


def _event(invoice, transition, minutes_ago, to_status=Status.SERVICE_FAIT):
    return InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition=transition,
        from_status=Status.MISE_A_DISPOSITION,
        to_status=to_status,
        actor_kind=Actor.RECIPIENT.value,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_sweeper_notifies_events_whose_task_was_lost(invoice, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_NOTIFY_SWEEP_AFTER_MINUTES = 5
    settings.INVOICE_NOTIFY_SWEEP_WINDOW_HOURS = 72
    lost = _event(invoice, "service_fait", minutes_ago=10)
    recent = _event(invoice, "service_fait", minutes_ago=1)  # its task may just be late
    silent = _event(invoice, "acheminer", minutes_ago=10, to_status=Status.EN_COURS_ACHEMINEMENT)  # never notified
    too_old = _event(invoice, "service_fait", minutes_ago=73 * 60)  # beyond the window
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_unnotified_events() == {"requeued": 1, "published": 1}
    assert len(mail.outbox) == 1
    notified = {e.pk for e in InvoiceEvent.objects.filter(notified_at__isnull=False)}
    assert notified == {lost.pk}
    assert {recent.pk, silent.pk, too_old.pk}.isdisjoint(notified)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_unnotified_events() == {"requeued": 0, "published": 0}
    assert len(mail.outbox) == 1


def test_a_transition_during_a_broker_outage_is_notified_by_the_sweeper(
    invoice, settings, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks.notify_invoice_event, "delay", side_effect=BrokerError("Connection refused")):
        with django_capture_on_commit_callbacks(execute=True):
            event = invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT)
    assert mail.outbox == [] and InvoiceEvent.objects.get(pk=event.pk).notified_at is None
    settings.INVOICE_NOTIFY_SWEEP_AFTER_MINUTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_unnotified_events()["requeued"] == 1
    [message] = mail.outbox
    assert invoice.identifier in message.subject
