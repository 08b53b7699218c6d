"""Staff requests applied by chunks (issue 14): a bounded number of queries per chunk whatever its
size, refusals that do not fail the rest of their chunk, the same events and fields as the single
path, one figures invalidation per supplier, durability, and two workers splitting one batch."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoices import figures_cache, lifecycle, services, workflow
from invoices.models import Invoice, InvoiceEvent, TransitionRequest, TransitionRequestState
from invoices.services import staff_requests
from invoices.workflow import Actor, Status
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_agent

pytestmark = pytest.mark.django_db
State = TransitionRequestState


@pytest.fixture
def published(monkeypatch):
    """The tasks the lifecycle publishes after a commit (name, argument), not published."""
    calls = []
    monkeypatch.setattr(lifecycle, "enqueue", lambda name, *args: calls.append((name, *args)) or True)
    return calls


@pytest.fixture
def ministry(db, motifs):
    return StructureFactory(public=True)


@pytest.fixture
def agent(ministry):
    return make_agent(ministry)


def received(ministry, status=Status.MISE_A_DISPOSITION, **fields):
    return InvoiceFactory(sent=True, recipient=ministry, status=status, **fields)


def request_all(invoices, transition: str, user, **kwargs):
    return services.transition_requests_create(
        invoice_ids=[i.pk for i in invoices], transition=workflow.TRANSITIONS[transition], user=user, **kwargs
    )


def queries_to_process(batch) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.transition_requests_process(batch=batch)
    return len(queries.captured_queries)


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "transition", "options"),
    [
        ("superuser", "prendre_en_compte", {}),
        ("agent", "service_fait", {}),
        ("agent", "suspendre", {"motif": "JUSTIFICATIF_ABSENT", "comment": "Il manque le bon de commande."}),
        ("agent", "mandater", {"mandate_number": "M-2026-7"}),
    ],
)
def test_a_chunk_costs_the_same_queries_whatever_its_size(ministry, agent, motifs, published, who, transition, options):
    user = agent if who == "agent" else UserFactory(superuser=True)
    if "motif" in options:
        options = {**options, "motif": motifs[options["motif"]]}
    suppliers = [StructureFactory() for _ in range(3)]
    small = [received(ministry, supplier=suppliers[0]) for _ in range(2)]
    large = [received(ministry, supplier=suppliers[n % 3]) for n in range(30)]
    small_count = queries_to_process(request_all(small, transition, user, **options))
    large_count = queries_to_process(request_all(large, transition, user, **options))
    assert small_count == large_count
    # The pending ids, the requests locked, their invoices locked, the agent's right and the motif,
    # one UPDATE of the invoices, one INSERT of the events, one UPDATE of the outcomes, and the
    # savepoint of the chunk and its release (inside the test's transaction).
    assert large_count <= 10
    assert set(TransitionRequest.objects.values_list("state", flat=True)) == {State.APPLIED}
    assert InvoiceEvent.objects.filter(transition=transition).count() == 32


def test_the_lifecycle_locks_and_writes_a_chunk_in_a_fixed_number_of_statements(ministry, agent, published):
    def changes(n):
        return [
            lifecycle.Change(
                invoice_id=received(ministry).pk, transition="service_fait", actor=Actor.RECIPIENT, user=agent
            )
            for _ in range(n)
        ]

    few, many = changes(1), changes(lifecycle.CHUNK)
    with CaptureQueriesContext(connection) as one:
        lifecycle.invoice_transitions(few)
    with CaptureQueriesContext(connection) as chunk:
        outcomes = lifecycle.invoice_transitions(many)
    # The invoices locked, the agent's right on the recipient, one UPDATE, one INSERT.
    assert len(one.captured_queries) == len(chunk.captured_queries) == 4
    locking = chunk.captured_queries[0]["sql"]
    assert 'ORDER BY "invoices_invoice"."id"' in locking
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in locking
    assert all(o.event is not None and o.event.pk for o in outcomes)
    # Beyond a chunk: one more set of statements per chunk.
    more = changes(lifecycle.CHUNK + 1)
    with CaptureQueriesContext(connection) as two:
        lifecycle.invoice_transitions(more)
    assert len(two.captured_queries) == 8


# --- Outcomes --------------------------------------------------------------------------------


def test_refused_and_already_applied_requests_do_not_fail_their_chunk(ministry, agent, motifs, published):
    other_ministry = StructureFactory(public=True)
    applied = received(ministry)
    already = received(ministry, status=Status.SERVICE_FAIT)
    rejected = received(ministry)
    elsewhere = received(other_ministry)  # the agent is not attached to its recipient
    last = received(ministry)
    batch = request_all([applied, already, rejected, elsewhere, last], "service_fait", agent)
    # Between the request and the worker, a colleague rejected one invoice.
    services.invoice_transition(
        invoice=rejected, transition="rejeter", actor=Actor.RECIPIENT, user=agent, motif="JUSTIFICATIF_ABSENT"
    )
    assert services.transition_requests_process(batch=batch) == {State.APPLIED: 2, State.ALREADY: 1, State.REFUSED: 2}
    rows = {r.invoice_id: r for r in TransitionRequest.objects.all()}
    assert (rows[applied.pk].state, rows[applied.pk].result) == (State.APPLIED, "")
    assert (rows[last.pk].state, rows[last.pk].result) == (State.APPLIED, "")
    assert (rows[already.pk].state, rows[already.pk].result) == (State.ALREADY, "La facture était déjà à ce statut.")
    assert rows[rejected.pk].state == State.REFUSED
    assert rows[rejected.pk].result == "L'action « Service fait » est impossible au statut « Rejetée »."
    assert rows[elsewhere.pk].state == State.REFUSED
    assert "rattaché à la structure destinataire" in rows[elsewhere.pk].result
    assert {r.attempts for r in rows.values()} == {1}
    assert all(r.processed_at is not None for r in rows.values())
    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert statuses[applied.pk] == statuses[last.pk] == statuses[already.pk] == Status.SERVICE_FAIT
    assert statuses[rejected.pk] == Status.REJETEE and statuses[elsewhere.pk] == Status.MISE_A_DISPOSITION
    assert set(InvoiceEvent.objects.filter(transition="service_fait").values_list("invoice_id", flat=True)) == {
        applied.pk,
        last.pk,
    }


def test_a_request_of_a_deleted_invoice_or_of_an_unknown_actor_is_refused(ministry, agent, published):
    gone, fine, odd = received(ministry), received(ministry), received(ministry)
    changes = [
        lifecycle.Change(invoice_id=gone.pk, transition="service_fait", actor=Actor.RECIPIENT, user=agent),
        lifecycle.Change(invoice_id=fine.pk, transition="service_fait", actor=Actor.RECIPIENT, user=agent),
        lifecycle.Change(invoice_id=odd.pk, transition="service_fait", actor="ministre", user=agent),
        lifecycle.Change(invoice_id=fine.pk, transition="deposer", actor=Actor.RECIPIENT, user=agent),
    ]
    Invoice.objects.filter(pk=gone.pk).delete()
    outcomes = lifecycle.invoice_transitions(changes)
    assert [o.error for o in outcomes[:2]] == ["Facture introuvable.", ""]
    assert outcomes[1].event.to_status == Status.SERVICE_FAIT
    assert "ministre" in outcomes[2].error
    assert "n'est pas permise à ce profil" in outcomes[3].error


def test_two_changes_of_one_invoice_in_a_chunk_apply_in_order(ministry, agent, published):
    invoice = received(ministry)
    outcomes = lifecycle.invoice_transitions(
        [
            lifecycle.Change(invoice_id=invoice.pk, transition="service_fait", actor=Actor.RECIPIENT, user=agent),
            lifecycle.Change(
                invoice_id=invoice.pk, transition="mandater", actor=Actor.RECIPIENT, user=agent, mandate_number="M-1"
            ),
            lifecycle.Change(invoice_id=invoice.pk, transition="service_fait", actor=Actor.RECIPIENT, user=agent),
        ]
    )
    assert [o.event is not None for o in outcomes] == [True, True, False]
    assert "impossible au statut « Mandatée »" in outcomes[2].error
    invoice.refresh_from_db()
    assert (invoice.status, invoice.mandate_number) == (Status.MANDATEE, "M-1")
    assert [(e.from_status, e.to_status) for e in invoice.events.all()] == [
        (Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT),
        (Status.SERVICE_FAIT, Status.MANDATEE),
    ]


# --- The same as the single path -------------------------------------------------------------

EVENT_FIELDS = [
    "supplier_id",
    "transition",
    "from_status",
    "to_status",
    "actor_kind",
    "user_id",
    "motif_id",
    "comment",
    "mandate_number",
    "notified_at",
]
INVOICE_FIELDS = [
    "status",
    "mandate_number",
    "last_reminder_at",
    "payment_started_on",
    "payment_due_on",
    "payment_stopped_on",
    "payment_interrupted_on",
]
CASES = [
    # (status, transition, actor, motif, comment, mandate number)
    (Status.EN_COURS_ACHEMINEMENT, "mettre_a_disposition", Actor.SYSTEM, None, "", ""),
    (Status.EN_COURS_ACHEMINEMENT, "echec_acheminement", Actor.SYSTEM, "SE_EJ_INCORRECT", "", ""),
    (Status.MISE_A_DISPOSITION, "prendre_en_compte", Actor.RECIPIENT, None, "", ""),
    (Status.MISE_A_DISPOSITION, "suspendre", Actor.RECIPIENT, "JUSTIFICATIF_ABSENT", "  Le devis.  ", ""),
    (Status.SUSPENDUE, "completer", Actor.SUPPLIER, None, "Voici le devis", ""),
    (Status.SERVICE_FAIT, "mandater", Actor.RECIPIENT, None, "", " M-2026-9 "),
    (Status.MISE_A_DISPOSITION, "rejeter", Actor.RECIPIENT, "TAUX_TVA_ERRONE", "Taux de 10 %", ""),
    (Status.COMPLETEE, "mettre_a_recycler", Actor.RECIPIENT, "SE_EJ_INCORRECT", "", ""),
    (Status.COMPTABILISEE, "mettre_en_paiement", Actor.RECIPIENT, None, "", ""),
]


def _twins(status):
    """Two identical invoices in ``status`` with a running (or interrupted) payment clock."""
    supplier_member = MembershipFactory()
    recipient = StructureFactory(public=True, payment_delay_days=50)
    agent = make_agent(recipient)
    today = timezone.localdate()
    clock = {"payment_started_on": today - timedelta(days=10), "payment_due_on": today + timedelta(days=20)}
    if status == Status.SUSPENDUE:
        clock.update(payment_stopped_on=today - timedelta(days=2), payment_interrupted_on=today - timedelta(days=2))
    twins = [
        InvoiceFactory(
            sent=True,
            supplier=supplier_member.structure,
            recipient=recipient,
            status=status,
            last_reminder_at=timezone.now(),
            **clock,
        )
        for _ in range(2)
    ]
    return twins, {Actor.SYSTEM: None, Actor.SUPPLIER: supplier_member.user, Actor.RECIPIENT: agent}


def _published_kinds(published, event_id, invoice_id):
    """The published tasks with this event's or invoice's id made generic, to compare two paths."""
    kinds = []
    for name, argument in published:
        if argument == event_id or argument == [event_id]:
            kinds.append((name, "event"))
        elif argument == invoice_id:
            kinds.append((name, "invoice"))
    return kinds


@pytest.mark.parametrize(("status", "transition", "actor", "motif", "comment", "mandate"), CASES)
def test_a_chunk_writes_what_the_single_path_writes(
    motifs, published, django_capture_on_commit_callbacks, status, transition, actor, motif, comment, mandate
):
    (single, chunked), users = _twins(status)
    args = {
        "transition": transition,
        "actor": actor,
        "user": users[actor],
        "motif": motif,
        "comment": comment,
        "mandate_number": mandate,
    }
    with django_capture_on_commit_callbacks(execute=True) as single_callbacks:
        single_event = lifecycle.invoice_transition(invoice=single.pk, **args)
    single_published, published[:] = list(published), []
    with django_capture_on_commit_callbacks(execute=True) as chunk_callbacks:
        (outcome,) = lifecycle.invoice_transitions([lifecycle.Change(invoice_id=chunked.pk, **args)])
    assert outcome.error == ""
    chunk_event = InvoiceEvent.objects.get(pk=outcome.event.pk)
    single_event = InvoiceEvent.objects.get(pk=single_event.pk)
    assert {f: getattr(chunk_event, f) for f in EVENT_FIELDS} == {f: getattr(single_event, f) for f in EVENT_FIELDS}
    rows = {i.pk: i for i in Invoice.objects.filter(pk__in=[single.pk, chunked.pk])}
    assert {f: getattr(rows[chunked.pk], f) for f in INVOICE_FIELDS} == {
        f: getattr(rows[single.pk], f) for f in INVOICE_FIELDS
    }
    assert rows[chunked.pk].status == workflow.TRANSITIONS[transition].target
    assert rows[chunked.pk].status_changed_at == chunk_event.created_at
    assert rows[single.pk].status_changed_at == single_event.created_at
    # Neither path touches the row's other fields (``updated_at`` is written by edits, not here).
    assert rows[chunked.pk].updated_at == chunked.updated_at and rows[single.pk].updated_at == single.updated_at
    # The same work after the commit: figures, notification, routing.
    assert len(chunk_callbacks) == len(single_callbacks)
    assert _published_kinds(published, chunk_event.pk, chunked.pk) == _published_kinds(
        single_published, single_event.pk, single.pk
    )


@pytest.mark.parametrize("transition_name", list(workflow.TRANSITIONS))
@pytest.mark.parametrize("status", list(Status))
def test_a_chunk_refuses_and_allows_what_the_table_says(motifs, published, status, transition_name):
    transition = workflow.TRANSITIONS[transition_name]
    (invoice, _twin), users = _twins(status)
    actor = sorted(transition.actors)[0]
    change = lifecycle.Change(
        invoice_id=invoice.pk,
        transition=transition_name,
        actor=actor,
        user=users[actor],
        motif={"aucun": None, "tous": "JUSTIFICATIF_ABSENT", "recyclables": "SE_EJ_INCORRECT"}[transition.motifs],
        mandate_number="M-1" if transition.mandate_number_required else "",
    )
    (outcome,) = lifecycle.invoice_transitions([change])
    invoice.refresh_from_db()
    if transition_name == lifecycle.SEND_TRANSITION and status == Status.BROUILLON:
        assert "Valider et envoyer" in outcome.error and invoice.status == status
    elif status in transition.sources:
        assert outcome.error == "" and outcome.event.to_status == transition.target == invoice.status
    elif status == transition.target:
        assert (outcome.error, outcome.event) == ("", None)
    else:
        assert "impossible au statut" in outcome.error and invoice.status == status
    assert invoice.events.count() == (1 if outcome.event else 0)


# --- After the commit ------------------------------------------------------------------------


def test_the_figures_are_invalidated_once_per_supplier_after_the_commit(
    ministry, agent, published, monkeypatch, django_capture_on_commit_callbacks
):
    first, second, untouched = StructureFactory(), StructureFactory(), StructureFactory()
    invoices = [received(ministry, supplier=first if n % 2 else second) for n in range(6)]
    versions = {s.pk: figures_cache._tokens(figures_cache.VERSION_KEY.format(s.pk)) for s in (first, second, untouched)}
    calls = []
    real = figures_cache.invalidate_many
    monkeypatch.setattr(figures_cache, "invalidate_many", lambda ids: calls.append(list(ids)) or real(ids))
    batch = request_all(invoices, "service_fait", agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transition_requests_process(batch=batch)
    assert calls == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert calls == [sorted([first.pk, second.pk])]
    after = {s.pk: figures_cache._tokens(figures_cache.VERSION_KEY.format(s.pk)) for s in (first, second, untouched)}
    assert after[first.pk] != versions[first.pk] and after[second.pk] != versions[second.pk]
    assert after[untouched.pk] == versions[untouched.pk]


def test_a_chunk_publishes_its_notifications_together(ministry, agent, published, django_capture_on_commit_callbacks):
    invoices = [received(ministry) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = lifecycle.invoice_transitions(
            [
                lifecycle.Change(invoice_id=i.pk, transition="prendre_en_compte", actor=Actor.RECIPIENT, user=agent)
                for i in invoices
            ]
        )
    assert published == [(lifecycle.NOTIFY_MANY_TASK, [o.event.pk for o in outcomes])]


# --- Durability ------------------------------------------------------------------------------


def test_a_worker_lost_in_a_chunk_leaves_its_requests_pending(ministry, agent, published, monkeypatch):
    monkeypatch.setattr(staff_requests, "COMMIT_EVERY", 2)
    invoices = [received(ministry) for _ in range(5)]
    batch = request_all(invoices, "service_fait", agent)
    real_record, calls = staff_requests._record, []

    def record(outcomes):
        calls.append(1)
        if len(calls) == 2:  # the second chunk: transitions written, then the database is lost
            raise OperationalError("server closed the connection unexpectedly")
        real_record(outcomes)

    monkeypatch.setattr(staff_requests, "_record", record)
    with pytest.raises(OperationalError):
        services.transition_requests_process(batch=batch)
    states = dict(TransitionRequest.objects.values_list("invoice_id", "state"))
    assert [states[i.pk] for i in invoices] == [State.APPLIED] * 2 + [State.PENDING] * 3
    assert set(Invoice.objects.filter(pk__in=[i.pk for i in invoices[2:]]).values_list("status", flat=True)) == {
        Status.MISE_A_DISPOSITION
    }
    assert InvoiceEvent.objects.count() == 2
    assert set(TransitionRequest.objects.filter(state=State.PENDING).values_list("attempts", flat=True)) == {0}
    # What the sweep finds (pending, by age) and the retry applies, once.
    assert set(staff_requests.transition_requests_stuck(older_than_minutes=0)) == set(
        TransitionRequest.objects.filter(state=State.PENDING)
    )
    monkeypatch.setattr(staff_requests, "_record", real_record)
    assert services.transition_requests_process(batch=batch) == {State.APPLIED: 3}
    assert InvoiceEvent.objects.count() == 5


# --- Two workers (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_chunk_held_by_another_worker_is_skipped_not_waited_for(requires_postgres, published, monkeypatch):
    from tests.invoices.conftest import seed_motifs

    seed_motifs()
    monkeypatch.setattr(staff_requests, "enqueue_on_commit", lambda *a: None)  # processed below, here
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    invoices = [received(ministry) for _ in range(8)]
    batch = request_all(invoices, "service_fait", agent)
    held = list(TransitionRequest.objects.order_by("pk").values_list("pk", flat=True)[:3])
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        from django.db import transaction

        try:
            with transaction.atomic():
                list(TransitionRequest.objects.select_for_update().filter(pk__in=held))
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting for the held rows would fail the test
        assert services.transition_requests_process(batch=batch) == {State.APPLIED: 5}
    finally:
        release.set()
        thread.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert set(TransitionRequest.objects.filter(state=State.PENDING).values_list("pk", flat=True)) == set(held)
    assert services.transition_requests_process(batch=batch) == {State.APPLIED: 3}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_batch_apply_each_request_once(requires_postgres, published, monkeypatch):
    from tests.invoices.conftest import seed_motifs

    seed_motifs()
    monkeypatch.setattr(staff_requests, "enqueue_on_commit", lambda *a: None)  # processed below, here
    monkeypatch.setattr(staff_requests, "COMMIT_EVERY", 10)
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    invoices = [received(ministry) for _ in range(120)]
    batch = request_all(invoices, "service_fait", agent)
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(services.transition_requests_process(batch=batch))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum((r.get(State.APPLIED, 0) for r in results), 0) == 120
    assert all(set(r) <= {State.APPLIED} for r in results)  # nothing "already applied": no request twice
    assert set(TransitionRequest.objects.values_list("state", "attempts")) == {(State.APPLIED, 1)}
    per_invoice = InvoiceEvent.objects.filter(transition="service_fait").values_list("invoice_id", flat=True)
    assert sorted(per_invoice) == sorted(i.pk for i in invoices)
