"""Staff transitions at scale (issue 14): a batch of staff requests publishes one notification task
per ``NOTIFY_CHUNK`` events instead of one per event, and the notification task sends its e-mails
itself instead of one ``accounts.deliver_email`` task per e-mail."""

import pytest

from accounts.models import OutboxEmail, OutboxState
from invoices import lifecycle, services, workflow
from invoices.models import Invoice, InvoiceEvent
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The tasks published (name, argument), instead of publishing them."""
    calls = []
    monkeypatch.setattr(lifecycle, "enqueue", lambda name, *args: calls.append((name, *args)) or True)
    return calls


def test_a_batch_of_requests_publishes_one_notification_task_per_chunk(
    motifs, published, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(lifecycle, "NOTIFY_CHUNK", 2)
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    invoices = [InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION) for _ in range(5)]
    services.transition_requests_create(
        invoice_ids=[i.pk for i in invoices], transition=workflow.TRANSITIONS["prendre_en_compte"], user=agent
    )
    # The test's transaction holds the commits: the callbacks run at its "commit", in their order.
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_requests_process(ids=None)
    events = list(
        InvoiceEvent.objects.filter(transition="prendre_en_compte").order_by("pk").values_list("pk", flat=True)
    )
    assert len(events) == 5
    assert published == [
        (lifecycle.NOTIFY_MANY_TASK, events[0:2]),
        (lifecycle.NOTIFY_MANY_TASK, events[2:4]),
        (lifecycle.NOTIFY_MANY_TASK, events[4:5]),
    ]


def test_a_single_transition_still_publishes_its_own_notification(
    motifs, published, django_capture_on_commit_callbacks
):
    ministry = StructureFactory(public=True)
    invoice = InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION)
    agent = make_agent(ministry)
    with django_capture_on_commit_callbacks(execute=True):
        event = lifecycle.invoice_transition(
            invoice=invoice, transition="prendre_en_compte", actor=workflow.Actor.RECIPIENT, user=agent
        )
    assert published == [(lifecycle.NOTIFY_TASK, event.pk)]


def test_the_notification_task_sends_the_emails_itself(motifs, monkeypatch, mailoutbox):
    import accounts.services

    deliveries = []
    monkeypatch.setattr(accounts.services, "enqueue_on_commit", lambda *a: deliveries.append(a))
    ministry = StructureFactory(public=True)
    events = []
    for _ in range(3):
        member = MembershipFactory(notify_invoice_events=True)
        invoice = InvoiceFactory(
            sent=True, supplier=member.structure, recipient=ministry, status=Status.MISE_A_DISPOSITION
        )
        events.append(
            InvoiceEvent.objects.create(
                invoice=invoice,
                supplier_id=invoice.supplier_id,
                transition="prendre_en_compte",
                from_status=Status.MISE_A_DISPOSITION,
                to_status=Status.PRISE_EN_COMPTE_DESTINATAIRE,
                actor_kind=workflow.Actor.RECIPIENT,
            )
        )
    result = services.events_notify(event_ids=[e.pk for e in events])
    assert result == {"sent": 3, "already": 0, "delivered": 3, "events": 3}
    assert deliveries == []  # no accounts.deliver_email task
    assert len(mailoutbox) == 3
    assert OutboxEmail.objects.filter(state=OutboxState.SENT).count() == 3
    # Delivered twice: nothing more.
    assert services.events_notify(event_ids=[e.pk for e in events])["already"] == 3
    assert len(mailoutbox) == 3


@pytest.mark.django_db(transaction=True)
def test_requests_are_applied_fifty_per_commit(motifs, monkeypatch):
    from django.db import connection

    from invoices.services import staff_requests
    from tests.invoices.conftest import seed_motifs

    seed_motifs()
    monkeypatch.setattr(staff_requests, "COMMIT_EVERY", 2)
    monkeypatch.setattr(staff_requests, "enqueue_on_commit", lambda *a: None)  # applied below, here
    monkeypatch.setattr(lifecycle, "enqueue", lambda *a: True)  # no notification task (its own commits)
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    invoices = [InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION) for _ in range(5)]
    services.transition_requests_create(
        invoice_ids=[i.pk for i in invoices], transition=workflow.TRANSITIONS["prendre_en_compte"], user=agent
    )
    commits = []
    real_commit = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: commits.append(1) or real_commit())
    counts = services.transition_requests_process(ids=None)
    assert counts == {"APPLIQUEE": 5}
    assert len(commits) == 3  # 2 + 2 + 1 requests, one commit each chunk
    assert {i.status for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])} == {
        Status.PRISE_EN_COMPTE_DESTINATAIRE
    }
