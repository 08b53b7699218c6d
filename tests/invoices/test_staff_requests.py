"""Staff actions as durable requests: recorded with the page's answer, applied once by a worker,
swept when their task was lost, refusals decided by the worker shown to the agent."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.urls import reverse

from invoices import services, workflow
from invoices.models import InvoiceEvent, TransitionRequest, TransitionRequestState
from invoices.tasks import process_transition_requests, sweep_transition_requests
from invoices.workflow import Status
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_agent

pytestmark = pytest.mark.django_db
State = TransitionRequestState
CHANGELIST = "admin:invoices_invoice_changelist"


@pytest.fixture
def ministry(motifs):
    return StructureFactory(public=True)


@pytest.fixture
def agent(ministry):
    return make_agent(ministry)


def received(ministry, status=Status.MISE_A_DISPOSITION):
    return InvoiceFactory(sent=True, recipient=ministry, status=status)


def test_a_bulk_action_records_one_request_per_invoice_and_answers_at_once(
    client, agent, ministry, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    invoices = [received(ministry) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse(CHANGELIST),
            {"action": "transition_service_fait", "_selected_action": [i.pk for i in invoices], "index": "0"},
        )
    assert response.status_code == 302
    rows = list(TransitionRequest.objects.order_by("invoice_id"))
    assert [r.invoice_id for r in rows] == [i.pk for i in invoices]
    assert {r.state for r in rows} == {State.PENDING} and len({r.batch for r in rows}) == 1
    assert {r.requested_by_id for r in rows} == {agent.pk}
    assert len(callbacks) == 1  # one task for the whole batch, after the commit
    # Nothing was applied by the web process.
    assert not InvoiceEvent.objects.exists()


def test_the_worker_applies_each_request_once_even_when_delivered_twice(agent, ministry):
    invoice = received(ministry)
    batch = services.transition_requests_create(
        invoice_ids=[invoice.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
    )
    assert process_transition_requests.apply(args=[str(batch)]).get() == {State.APPLIED: 1}
    assert process_transition_requests.apply(args=[str(batch)]).get() == {}
    invoice.refresh_from_db()
    assert invoice.status == Status.SERVICE_FAIT
    event = invoice.events.get()
    assert event.user == agent and event.transition == "service_fait"
    row = TransitionRequest.objects.get()
    assert (row.state, row.attempts, row.processed_at is not None) == (State.APPLIED, 1, True)


def test_a_transient_error_leaves_the_request_pending_for_a_retry(agent, ministry):
    invoice = received(ministry)
    batch = services.transition_requests_create(
        invoice_ids=[invoice.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
    )
    # The database is lost once the transition is written, before its outcome: both roll back.
    with mock.patch("invoices.services.staff_requests._record", side_effect=OperationalError("lost")):
        with pytest.raises(OperationalError):
            services.transition_requests_process(batch=batch)
    row = TransitionRequest.objects.get()
    assert (row.state, row.attempts) == (State.PENDING, 0)
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION and not invoice.events.exists()
    assert services.transition_requests_process(batch=batch) == {State.APPLIED: 1}


def test_a_refusal_decided_by_the_worker_is_recorded_and_shown_to_the_agent(client, agent, ministry, motifs):
    client.force_login(agent)
    invoice = received(ministry)
    batch = services.transition_requests_create(
        invoice_ids=[invoice.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
    )
    # Between the request and the worker, a colleague rejected the invoice.
    services.invoice_transition(
        invoice=invoice, transition="rejeter", actor=workflow.Actor.RECIPIENT, user=agent, motif="JUSTIFICATIF_ABSENT"
    )
    assert services.transition_requests_process(batch=batch) == {State.REFUSED: 1}
    row = TransitionRequest.objects.get()
    assert "impossible au statut « Rejetée »" in row.result
    content = html(client.get(reverse(CHANGELIST)))
    assert "Traitement terminé" in content and invoice.identifier in content
    assert "impossible au statut" in content
    assert TransitionRequest.objects.get().seen_at is not None
    # Told once.
    assert "Traitement terminé" not in html(client.get(reverse(CHANGELIST)))


def test_the_agent_is_told_what_was_applied(client, agent, ministry):
    client.force_login(agent)
    invoices = [received(ministry) for _ in range(2)]
    services.transition_requests_create(
        invoice_ids=[i.pk for i in invoices], transition=workflow.TRANSITIONS["prendre_en_compte"], user=agent
    )
    services.transition_requests_process()
    content = html(client.get(reverse("admin:invoices_invoice_change", args=[invoices[0].pk])))
    assert "Traitement terminé : 2 factures passées à « Prendre en compte »." in content


def test_nothing_to_report_costs_one_exists(agent, ministry):
    """Asked on every admin page of the agent, and almost always empty: one ``EXISTS`` and no
    joined query (issue 9); pending requests are not reported yet."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.transition_requests_create(
        invoice_ids=[received(ministry).pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
    )
    with CaptureQueriesContext(connection) as queries:
        assert services.transition_requests_unseen(user=agent) == []
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert "SELECT 1 AS" in sql and "JOIN" not in sql and "LIMIT 1" in sql
    services.transition_requests_process()
    rows = services.transition_requests_unseen(user=agent)
    assert [r.state for r in rows] == [State.APPLIED] and rows[0].invoice.identifier
    assert services.transition_requests_unseen(user=agent) == []


def test_the_sweeper_hands_lost_batches_to_a_worker(agent, ministry, settings):
    invoice = received(ministry)
    with mock.patch.object(process_transition_requests, "apply_async"):  # the task is lost
        services.transition_requests_create(
            invoice_ids=[invoice.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
        )
    settings.INVOICE_REQUEST_SWEEP_AFTER_MINUTES = 60
    assert sweep_transition_requests.apply().get() == {"requeued": 0}  # too recent: maybe only late
    settings.INVOICE_REQUEST_SWEEP_AFTER_MINUTES = 0
    assert sweep_transition_requests.apply().get() == {"requeued": 1}
    invoice.refresh_from_db()
    assert invoice.status == Status.SERVICE_FAIT
    assert sweep_transition_requests.apply().get() == {"requeued": 0}


def test_the_command_async_records_durable_requests(agent, ministry, django_capture_on_commit_callbacks):
    invoices = [received(ministry) for _ in range(2)]
    out = StringIO()
    with (
        mock.patch.object(process_transition_requests, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command(
            "invoices_transition",
            "service_fait",
            ids=",".join(str(i.pk) for i in invoices),
            user=agent.email,
            run_async=True,
            stdout=out,
        )
    assert publish.call_count == 1
    assert TransitionRequest.objects.filter(state=State.PENDING, requested_by=agent).count() == 2
    assert "Mises en file d'attente : 2" in out.getvalue()
    services.transition_requests_process()
    assert {i.status for i in type(invoices[0]).objects.filter(pk__in=[i.pk for i in invoices])} == {
        Status.SERVICE_FAIT
    }


def test_demandes_de_traitement_shows_the_agent_their_own_requests_only(client, agent, ministry):
    other_ministry = StructureFactory(public=True)
    other_agent = make_agent(other_ministry)
    mine, theirs = received(ministry), received(other_ministry)
    services.transition_requests_create(
        invoice_ids=[mine.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
    )
    services.transition_requests_create(
        invoice_ids=[theirs.pk], transition=workflow.TRANSITIONS["service_fait"], user=other_agent
    )
    client.force_login(agent)
    content = html(client.get(reverse("admin:invoices_transitionrequest_changelist")))
    assert mine.identifier in content and theirs.identifier not in content
    other = TransitionRequest.objects.get(invoice=theirs)
    assert client.get(reverse("admin:invoices_transitionrequest_change", args=[other.pk])).status_code == 302
    assert client.post(reverse("admin:invoices_transitionrequest_add")).status_code == 403


def test_demandes_de_traitement_requeues_pending_requests(client, agent, ministry):
    invoice = received(ministry)
    with mock.patch.object(process_transition_requests, "apply_async"):
        services.transition_requests_create(
            invoice_ids=[invoice.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
        )
    row = TransitionRequest.objects.get()
    client.force_login(agent)
    response = client.post(
        reverse("admin:invoices_transitionrequest_changelist"),
        {"action": "requeue_selected", "_selected_action": [row.pk], "index": "0"},
        follow=True,
    )
    assert "1 demande en attente remise au traitement" in html(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.SERVICE_FAIT


def test_a_supplier_never_reaches_the_requests(client, ministry):
    supplier_user = MembershipFactory().user
    client.force_login(supplier_user)
    response = client.get(reverse("admin:invoices_transitionrequest_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_operator_lists_and_retries_pending_requests(agent, ministry, motifs):
    lost, refused = received(ministry), received(ministry)
    with mock.patch.object(process_transition_requests, "apply_async"):  # both tasks lost
        services.transition_requests_create(
            invoice_ids=[lost.pk, refused.pk], transition=workflow.TRANSITIONS["service_fait"], user=agent
        )
    services.invoice_transition(
        invoice=refused, transition="rejeter", actor=workflow.Actor.RECIPIENT, user=agent, motif="JUSTIFICATIF_ABSENT"
    )
    services.transition_requests_process(ids=[TransitionRequest.objects.get(invoice=refused).pk])
    out = StringIO()
    call_command("transition_requests", "list", stdout=out)
    text = out.getvalue()
    assert "Demandes : 1 en attente, 0 appliquée, 0 déjà appliquée, 1 refusée." in text
    assert "impossible au statut « Rejetée »" in text and lost.identifier in text
    out = StringIO()
    call_command("transition_requests", "list", state="pending", stdout=out)
    assert lost.identifier in out.getvalue() and refused.identifier not in out.getvalue()
    done = TransitionRequest.objects.get(invoice=refused).pk
    out = StringIO()
    call_command("transition_requests", "retry", str(done), "999999", "--pending", stdout=out)
    text = out.getvalue()
    assert f"Demande {done} : déjà traitée (Refusée)." in text
    assert "Demande 999999 : introuvable." in text
    assert "1 demande(s) en attente remise(s) au traitement (1 lot(s))." in text
    lost.refresh_from_db()
    assert lost.status == Status.SERVICE_FAIT


def test_the_operator_command_refuses_bad_input():
    with pytest.raises(CommandError, match="État inconnu « perdu »"):
        call_command("transition_requests", "list", state="perdu", stdout=StringIO())
    with pytest.raises(CommandError, match="--pending"):
        call_command("transition_requests", "retry", stdout=StringIO())
    with pytest.raises(CommandError, match="ID"):
        call_command("transition_requests", "retry", "abc", stdout=StringIO())
