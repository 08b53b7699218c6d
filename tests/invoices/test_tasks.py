"""Invoice tasks called in process: routing (success, every failure motif, repeated delivery, a
crash between the two steps), the transition task, the sweeper, the beat schedule."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from chorus.celery import app
from invoices import services, tasks
from invoices.models import Invoice, InvoiceEvent
from invoices.workflow import Actor, Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import EngagementFactory, MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(motifs):
    return MembershipFactory()


def deposited(member, **kwargs) -> Invoice:
    """A sent invoice, DEPOSEE, as ``invoice_send`` leaves it (with its deposit event)."""
    invoice = InvoiceFactory(
        supplier=member.structure, sent=True, sent_by=member.user, status_changed_at=timezone.now(), **kwargs
    )
    InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="deposer",
        from_status="BROUILLON",
        to_status="DEPOSEE",
        actor_kind="fournisseur",
    )
    return invoice


def route(invoice, capture) -> dict:
    with capture(execute=True):
        return tasks.route_invoice(invoice.pk)


# --- Routing -------------------------------------------------------------------------------------


def test_routing_delivers_the_invoice_and_tells_the_sender(member, django_capture_on_commit_callbacks):
    service = ServiceFactory(structure=StructureFactory(public=True, service_required=True))
    invoice = deposited(member, recipient=service.structure, recipient_service=service)
    result = route(invoice, django_capture_on_commit_callbacks)
    assert result == {"ok": True, "status": "MISE_A_DISPOSITION"}
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    events = list(invoice.events.exclude(transition="deposer"))
    assert [(e.transition, e.to_status, e.actor_kind, e.user) for e in events] == [
        ("acheminer", "EN_COURS_ACHEMINEMENT", "systeme", None),
        ("mettre_a_disposition", "MISE_A_DISPOSITION", "systeme", None),
    ]
    assert [m.to for m in mail.outbox] == [[member.user.email]]
    assert invoice.identifier in mail.outbox[0].subject
    assert "Mise à disposition du destinataire" in mail.outbox[0].subject


def _deactivate_recipient(invoice):
    invoice.recipient.is_active = False
    invoice.recipient.save()


def _deactivate_service(invoice):
    invoice.recipient_service = ServiceFactory(structure=invoice.recipient, is_active=False)
    invoice.save()


def _service_now_required(invoice):
    invoice.recipient.service_required = True
    invoice.recipient.save()


def _ej_of_another_recipient(invoice):
    invoice.engagement_number = EngagementFactory(supplier_identifier=invoice.supplier.identifier).number
    invoice.save()


def _ej_of_another_supplier(invoice):
    invoice.engagement_number = EngagementFactory(recipient=invoice.recipient).number
    invoice.save()


def _ej_now_required(invoice):
    invoice.recipient.ej_required = True
    invoice.recipient.save()


@pytest.mark.parametrize(
    ("change", "motif", "reason"),
    [
        (_deactivate_recipient, "SE_EJ_INCORRECT", "n'est plus actif dans l'annuaire"),
        (_deactivate_service, "SE_EJ_INCORRECT", "SE/EJ incorrect : le service"),
        (_service_now_required, "SE_EJ_INCORRECT", "exige un code service"),
        (_ej_of_another_recipient, "SE_EJ_INCORRECT", "n'appartient pas au destinataire"),
        (_ej_now_required, "SE_EJ_INCORRECT", "exige un numéro d'engagement"),
        (_ej_of_another_supplier, "CREANCIER_INCONNU", "ne désigne pas votre structure"),
    ],
)
def test_routing_checks_the_directory_as_it_is_now(member, django_capture_on_commit_callbacks, change, motif, reason):
    invoice = deposited(member)
    change(invoice)  # the directory changed after the sending
    result = route(invoice, django_capture_on_commit_callbacks)
    assert result == {"ok": True, "status": "A_RECYCLER"}
    invoice.refresh_from_db()
    assert invoice.status == Status.A_RECYCLER
    last = invoice.events.last()
    assert (last.transition, last.from_status, last.actor_kind) == (
        "echec_acheminement",
        "EN_COURS_ACHEMINEMENT",
        "systeme",
    )
    assert last.motif.code == motif
    assert reason in last.comment
    # The supplier is told, with the motif, the reason and what to do.
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert last.motif.label in body and reason in body and "Recycler" in body


def test_a_second_delivery_changes_nothing(member, django_capture_on_commit_callbacks):
    invoice = deposited(member)
    route(invoice, django_capture_on_commit_callbacks)
    events, sent = InvoiceEvent.objects.count(), len(mail.outbox)
    assert (events, sent) == (3, 1)
    assert route(invoice, django_capture_on_commit_callbacks) == {"ok": True, "status": "MISE_A_DISPOSITION"}
    assert (InvoiceEvent.objects.count(), len(mail.outbox)) == (events, sent)


def test_a_failed_routing_delivered_again_changes_nothing(member, django_capture_on_commit_callbacks):
    invoice = deposited(member)
    _deactivate_recipient(invoice)
    route(invoice, django_capture_on_commit_callbacks)
    events, sent = InvoiceEvent.objects.count(), len(mail.outbox)
    route(invoice, django_capture_on_commit_callbacks)
    assert (InvoiceEvent.objects.count(), len(mail.outbox)) == (events, sent)
    assert Invoice.objects.get(pk=invoice.pk).status == Status.A_RECYCLER


def test_a_crash_between_the_two_steps_is_finished_by_the_next_delivery(member, django_capture_on_commit_callbacks):
    invoice = deposited(member)
    # The worker dies while checking the directory, after the first step was committed.
    with mock.patch("invoices.services.routing.routing_errors", side_effect=SystemExit("killed")):
        with pytest.raises(SystemExit):
            route(invoice, django_capture_on_commit_callbacks)
    assert Invoice.objects.get(pk=invoice.pk).status == Status.EN_COURS_ACHEMINEMENT
    route(invoice, django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert list(invoice.events.values_list("transition", flat=True)) == ["deposer", "acheminer", "mettre_a_disposition"]
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("status", [Status.BROUILLON, Status.SUSPENDUE, Status.A_RECYCLER, Status.MISE_EN_PAIEMENT])
def test_routing_leaves_other_statuses_alone(member, django_capture_on_commit_callbacks, status):
    invoice = InvoiceFactory(supplier=member.structure, sent=status != Status.BROUILLON, status=status)
    assert route(invoice, django_capture_on_commit_callbacks) == {"ok": True, "status": status}
    assert not invoice.events.exists() and mail.outbox == []


def test_routing_a_missing_invoice_is_logged_not_retried():
    assert tasks.route_invoice(987654) == {"ok": False, "error": "Facture introuvable."}


def test_a_lost_database_connection_is_retried(member):
    invoice = deposited(member)
    with mock.patch("invoices.services.invoice_route", side_effect=OperationalError("connection lost")):
        with pytest.raises(Retry):
            tasks.route_invoice.apply(args=[invoice.pk], throw=True)


# --- The transition task -------------------------------------------------------------------------


@pytest.fixture
def received(member):
    invoice = InvoiceFactory(
        supplier=member.structure, sent=True, sent_by=member.user, status=Status.MISE_A_DISPOSITION
    )
    staff = MembershipFactory(structure=invoice.recipient).user
    return invoice, staff


def test_the_transition_task_fires_a_transition(received, django_capture_on_commit_callbacks):
    invoice, staff = received
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.transition_invoice(
            invoice.pk, "suspendre", user_id=staff.pk, motif_code="JUSTIFICATIF_ABSENT", comment="Le PV manque."
        )
    assert result["ok"] is True and result["status"] == "SUSPENDUE" and result["event_id"]
    event = InvoiceEvent.objects.get(pk=result["event_id"])
    assert (event.user, event.motif.code, event.comment) == (staff, "JUSTIFICATIF_ABSENT", "Le PV manque.")
    assert len(mail.outbox) == 1  # the supplier is told


def test_a_refused_transition_is_logged_and_not_retried(received, caplog):
    invoice, staff = received
    with mock.patch.object(tasks.transition_invoice, "retry", side_effect=AssertionError("retried")):
        result = tasks.transition_invoice.apply(
            args=[invoice.pk, "completer"], kwargs={"user_id": staff.pk}, throw=True
        )
    assert result.result["ok"] is False
    assert "n'est pas permise à ce profil" in result.result["error"]
    assert "refusée" in caplog.text
    assert not invoice.events.exists()


def test_the_transition_task_refuses_staff_of_another_recipient(received):
    invoice, _staff = received
    other = MembershipFactory(structure=StructureFactory(public=True)).user
    result = tasks.transition_invoice(invoice.pk, "rejeter", user_id=other.pk, motif_code="DOUBLE_FACTURATION")
    assert result["ok"] is False and "structure destinataire" in result["error"]
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION


def test_the_transition_task_twice_is_a_no_op(received):
    invoice, staff = received
    first = tasks.transition_invoice(invoice.pk, "service_fait", user_id=staff.pk)
    second = tasks.transition_invoice(invoice.pk, "service_fait", user_id=staff.pk)
    assert first["ok"] and not first["already_applied"]
    assert second == {"ok": True, "status": "SERVICE_FAIT", "event_id": None, "already_applied": True}
    assert invoice.events.count() == 1


def test_the_transition_task_with_unknown_user_or_invoice(received):
    invoice, _staff = received
    assert tasks.transition_invoice(invoice.pk, "service_fait", user_id=99999)["ok"] is False
    assert tasks.transition_invoice(99999, "service_fait")["error"] == "Facture introuvable."
    assert tasks.transition_invoice(invoice.pk, "service_fait", actor="inconnu")["ok"] is False


# --- The sweeper ---------------------------------------------------------------------------------


def _aged(member, status, minutes, **kwargs):
    kwargs.setdefault("sent", True)
    return InvoiceFactory(
        supplier=member.structure,
        status=status,
        status_changed_at=timezone.now() - timedelta(minutes=minutes),
        **kwargs,
    )


def test_the_sweeper_picks_only_invoices_stuck_longer_than_n_minutes(member):
    old_deposited = _aged(member, Status.DEPOSEE, 30)
    old_routing = _aged(member, Status.EN_COURS_ACHEMINEMENT, 11)
    legacy = _aged(member, Status.DEPOSEE, 0, sent_at=timezone.now() - timedelta(hours=2))
    Invoice.objects.filter(pk=legacy.pk).update(status_changed_at=None)  # sent before the lifecycle
    recent_deposited = _aged(member, Status.DEPOSEE, 5)  # just sent: its task is probably queued
    recent_routing = _aged(member, Status.EN_COURS_ACHEMINEMENT, 9)
    for status in (Status.MISE_A_DISPOSITION, Status.SUSPENDUE, Status.A_RECYCLER):
        _aged(member, status, 60)
    _aged(member, Status.BROUILLON, 60, sent=False)

    with mock.patch("invoices.tasks.route_invoice.delay") as delay:
        found = services.invoices_requeue_stuck(older_than_minutes=10, dry_run=True)
        assert delay.call_count == 0  # dry run: listed only
        assert sorted(found) == sorted([old_deposited.pk, old_routing.pk, legacy.pk])
        assert services.invoices_requeue_stuck(older_than_minutes=10) == found
        assert sorted(c.args[0] for c in delay.call_args_list) == sorted(found)
    wider = services.invoices_requeue_stuck(older_than_minutes=4, dry_run=True)
    assert sorted(wider) == sorted([*found, recent_deposited.pk, recent_routing.pk])


def test_the_sweep_task_routes_the_stuck_invoices(member, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_SWEEP_AFTER_MINUTES = 10
    stuck = _aged(member, Status.DEPOSEE, 15)
    recent = _aged(member, Status.DEPOSEE, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_stuck_invoices() == {"requeued": 1}
    assert Invoice.objects.get(pk=stuck.pk).status == Status.MISE_A_DISPOSITION
    assert Invoice.objects.get(pk=recent.pk).status == Status.DEPOSEE


def test_the_sweeper_survives_a_broker_outage(member, caplog):
    stuck = _aged(member, Status.DEPOSEE, 15)
    from kombu.exceptions import OperationalError as BrokerError

    with mock.patch("invoices.tasks.route_invoice.delay", side_effect=BrokerError("Connection refused")):
        assert services.invoices_requeue_stuck(older_than_minutes=10) == [stuck.pk]
    assert "non mise en file" in caplog.text


# --- Configuration -------------------------------------------------------------------------------


def test_the_beat_schedule_declares_the_periodic_tasks():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert set(schedule) == {
        "invoices.sweep_stuck_invoices",
        "invoices.remind_suspended_invoices",
        "invoices.send_daily_digest",
        "invoices.sweep_unnotified_events",
        "invoices.sweep_transition_requests",
        "invoices.sweep_deposit_batches",
        "accounts.sweep_outbox",
        "structures.remind_api_expiry",
    }
    assert schedule["invoices.sweep_stuck_invoices"] == 300
    assert schedule["invoices.sweep_deposit_batches"] == 60
    assert schedule["invoices.remind_suspended_invoices"].hour == {8}
    app.loader.import_default_modules()
    assert set(schedule) <= set(app.tasks)


@pytest.mark.parametrize(
    "task",
    [
        tasks.route_invoice,
        tasks.transition_invoice,
        tasks.notify_invoice_event,
        tasks.sweep_stuck_invoices,
        tasks.remind_suspended_invoices,
        tasks.send_daily_digest,
        tasks.process_deposit_batch,
        tasks.sweep_deposit_batches,
    ],
)
def test_tasks_are_late_acked_and_retry_transient_errors(task):
    assert task.name.startswith("invoices.")
    assert task.acks_late is True
    assert OperationalError in task.autoretry_for
    assert task.retry_backoff and task.max_retries == 8


def test_actor_values_match_the_event_choices():
    assert {a.value for a in Actor} == {c[0] for c in InvoiceEvent._meta.get_field("actor_kind").choices}
