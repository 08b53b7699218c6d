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


def _events(n: int, suppliers: int):
    """``n`` events of « Prise en compte » over ``suppliers`` suppliers, each with two members who
    want the notifications (and the sender, who is one of them)."""
    ministry = StructureFactory(public=True)
    members = []
    for _ in range(suppliers):
        first = MembershipFactory(notify_invoice_events=True)
        MembershipFactory(structure=first.structure, notify_invoice_events=True)
        members.append(first)
    events = []
    for k in range(n):
        member = members[k % suppliers]
        invoice = InvoiceFactory(
            sent=True,
            supplier=member.structure,
            sent_by=member.user,
            recipient=ministry,
            status=Status.PRISE_EN_COMPTE_DESTINATAIRE,
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
    return [e.pk for e in events]


def test_a_notification_task_costs_the_same_queries_whatever_its_number_of_events(motifs, mailoutbox):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few, many = _events(2, suppliers=1), _events(12, suppliers=3)
    with CaptureQueriesContext(connection) as small:
        assert services.events_notify(event_ids=few)["delivered"] == 4
    with CaptureQueriesContext(connection) as large:
        assert services.events_notify(event_ids=many)["delivered"] == 24
    # The events locked with their invoices, the claim, the members, the users, one INSERT of the
    # e-mails, and the savepoint and its release (inside the test's transaction); then per 20
    # e-mails: the claim, the rows, their "sent".
    assert len(small.captured_queries) == 7 + 3
    assert len(large.captured_queries) == 7 + 3 * 2
    assert len(mailoutbox) == 28
    assert not InvoiceEvent.objects.filter(pk__in=few + many, notified_at__isnull=True).exists()


def test_a_notification_task_tells_the_same_people_as_the_single_path(motifs, mailoutbox):
    from invoices import notifications

    ids = _events(4, suppliers=2)
    # A member who left, and one whose account is closed, are not told; the sender once.
    event = InvoiceEvent.objects.get(pk=ids[0])
    MembershipFactory(structure=event.invoice.supplier, notify_invoice_events=True, revoked=True)
    closed = MembershipFactory(structure=event.invoice.supplier, notify_invoice_events=True)
    closed.user.is_active = False
    closed.user.save()
    invoices = [InvoiceEvent.objects.get(pk=pk).invoice for pk in ids]
    together = notifications.recipients_by_invoice(invoices)
    assert {i.pk: notifications.invoice_recipients(i) for i in invoices} == together
    assert all(len(users) == 2 for users in together.values())


def test_the_emails_of_a_task_go_through_one_connection_and_a_failure_stays_its_own(motifs, mailoutbox, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from accounts import outbox

    opened = []

    class Backend(EmailBackend):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

        def send_messages(self, messages):
            if any(m.to[0] == refused for m in messages):
                raise ConnectionResetError("le serveur a coupé")
            return super().send_messages(messages)

    monkeypatch.setattr(outbox, "get_connection", lambda: Backend())
    ids = _events(12, suppliers=3)
    refused = InvoiceEvent.objects.get(pk=ids[0]).invoice.sent_by.notification_email
    result = services.events_notify(event_ids=ids)
    assert len(opened) == 1
    # The refused address has one e-mail per event of its supplier (4): each recorded, the others sent.
    assert result == {"sent": 24, "already": 0, "delivered": 20, "events": 12}
    failed = OutboxEmail.objects.exclude(state=OutboxState.SENT)
    assert failed.count() == 4 and {r.to[0] for r in failed} == {refused}
    assert all("ConnectionResetError" in r.last_error and r.claimed_until is None for r in failed)
    assert len(mailoutbox) == 20


def test_a_group_of_emails_never_sends_after_half_its_lease(motifs, mailoutbox, monkeypatch, settings):
    from accounts import outbox

    settings.OUTBOX_LEASE_SECONDS = 300
    ids = _events(1, suppliers=1)
    clock = iter([0.0, 0.0, 151.0, 151.0])  # the claim, then the first message, 151 s later
    monkeypatch.setattr(outbox.time, "monotonic", lambda: next(clock))
    assert services.events_notify(event_ids=ids)["delivered"] == 1
    assert len(mailoutbox) == 1
    rows = list(OutboxEmail.objects.order_by("pk"))
    assert [r.state for r in rows] == [OutboxState.SENT, OutboxState.PENDING]
    # Left leased: due again once the lease is over, for the sweeper.
    assert rows[1].attempts == 1 and rows[1].claimed_until == rows[1].next_attempt_at > rows[1].created_at
