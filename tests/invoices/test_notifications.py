"""E-mails about invoices: one per event kind, who gets them, sent once; suspension reminders;
the daily digest; the "Mes notifications" page."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import OutboxEmail
from invoices import services, tasks
from invoices.models import DigestDelivery, Invoice, InvoiceEvent
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db

BASE = "https://portail.example"


@pytest.fixture(autouse=True)
def _portal_url(settings):
    settings.PORTAL_BASE_URL = BASE


@pytest.fixture
def member(motifs):
    return MembershipFactory()


@pytest.fixture
def invoice(member):
    return InvoiceFactory(
        supplier=member.structure, sent=True, sent_by=member.user, status=Status.MISE_A_DISPOSITION, number="F-2026-77"
    )


def fire(invoice, transition, capture, **kwargs):
    """Fire a recipient transition and run what it schedules (the notification task, in process)."""
    kwargs.setdefault("actor", Actor.RECIPIENT)
    with capture(execute=True):
        return invoice_transition(invoice=invoice, transition=transition, **kwargs)


# --- Content for each kind -----------------------------------------------------------------------


def test_a_suspension_gives_motif_comment_and_what_to_do(invoice, member, django_capture_on_commit_callbacks):
    fire(
        invoice,
        "suspendre",
        django_capture_on_commit_callbacks,
        motif="JUSTIFICATIF_ABSENT",
        comment="Merci de joindre le procès-verbal de réception.",
    )
    [message] = mail.outbox
    assert message.to == [member.user.email]
    assert message.subject == f"[Chorus Pro] Facture {invoice.identifier} : Suspendue"
    assert "Motif : Justificatif absent ou insuffisant (JUSTIF_ABS)" in message.body
    assert "Merci de joindre le procès-verbal de réception." in message.body
    assert "« Compléter »" in message.body and "pièces justificatives" in message.body
    assert f"{BASE}/factures/{invoice.pk}/" in message.body
    assert "F-2026-77" in message.body and "(code 208)" in message.body


def test_a_rejection_says_to_treat_it_and_send_a_new_number(invoice, django_capture_on_commit_callbacks):
    fire(invoice, "rejeter", django_capture_on_commit_callbacks, motif="DOUBLE_FACTURATION", comment="Déjà payée.")
    [message] = mail.outbox
    assert message.subject.endswith(": Rejetée")
    assert "Motif : Double facturation (DOUBLON)" in message.body
    assert "Déjà payée." in message.body
    assert "« Traiter le rejet »" in message.body and "nouveau numéro" in message.body
    assert "Compléter" not in message.body


def test_a_return_to_recycle_says_what_may_be_corrected(invoice, django_capture_on_commit_callbacks):
    fire(
        invoice,
        "mettre_a_recycler",
        django_capture_on_commit_callbacks,
        motif="SE_EJ_INCORRECT",
        comment="Service inconnu.",
    )
    [message] = mail.outbox
    assert message.subject.endswith(": À recycler")
    assert "Motif : SE/EJ incorrect" in message.body and "Service inconnu." in message.body
    assert "« Recycler »" in message.body and "numéro de facture reste le même" in message.body


def test_payment_is_announced_with_the_amount(invoice, django_capture_on_commit_callbacks):
    fire(invoice, "mettre_en_paiement", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject.endswith(": Mise en paiement")
    assert "Le paiement de la facture (1\u202f200,00\u00a0€ TTC)" in message.body
    assert "Motif" not in message.body


def test_the_mandate_number_is_given(invoice, django_capture_on_commit_callbacks):
    fire(invoice, "mandater", django_capture_on_commit_callbacks, mandate_number="MDT-42")
    assert "Numéro de mandat : MDT-42" in mail.outbox[0].body


def test_what_the_supplier_did_is_not_notified(member, django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(supplier=member.structure, sent=True, sent_by=member.user, status=Status.SUSPENDUE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice_transition(
            invoice=invoice, transition="completer", actor=Actor.SUPPLIER, user=member.user, comment="Voici"
        )
    # Only the supplier's cached figures are invalidated after the commit: no message is written.
    assert len(callbacks) == 1 and mail.outbox == []
    assert not OutboxEmail.objects.exists()


# --- Who, and only once --------------------------------------------------------------------------


def test_sender_and_opted_in_members_get_one_message_each(invoice, member, django_capture_on_commit_callbacks):
    structure = member.structure
    opted = MembershipFactory(structure=structure, notify_invoice_events=True)
    opted.user.contact_email = "compta@entreprise.example"
    opted.user.save()
    MembershipFactory(structure=structure)  # not opted in
    MembershipFactory(structure=structure, notify_invoice_events=True, pending=True)
    MembershipFactory(structure=structure, notify_invoice_events=True, revoked=True)
    MembershipFactory(notify_invoice_events=True)  # another structure
    Membership = type(member)
    Membership.objects.filter(pk=member.pk).update(notify_invoice_events=True)  # the sender, opted in too

    fire(invoice, "service_fait", django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([member.user.email, "compta@entreprise.example"])


def test_a_sender_who_left_the_structure_is_not_told(invoice, member, django_capture_on_commit_callbacks):
    type(member).objects.filter(pk=member.pk).update(status="RETIRE")
    fire(invoice, "service_fait", django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_the_same_address_is_written_to_once(invoice, member, django_capture_on_commit_callbacks):
    other = MembershipFactory(structure=member.structure, notify_invoice_events=True)
    other.user.contact_email = member.user.email.upper()
    other.user.save()
    fire(invoice, "service_fait", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_a_second_delivery_sends_nothing(invoice, django_capture_on_commit_callbacks):
    event = fire(invoice, "service_fait", django_capture_on_commit_callbacks)
    event.refresh_from_db()
    assert event.notified_at is not None and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_invoice_event(event.pk) == {"sent": 0, "already": True}
    assert len(mail.outbox) == 1


def test_a_broker_failure_releases_the_event_for_a_retry(invoice, django_capture_on_commit_callbacks):
    event = invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT)
    with mock.patch("invoices.notifications.emails_write_for_caller", side_effect=BrokerError("down")):
        with pytest.raises(BrokerError):
            tasks.notify_invoice_event(event.pk)
    event.refresh_from_db()
    assert event.notified_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_invoice_event(event.pk) == {"sent": 1}
    assert len(mail.outbox) == 1


# --- Reminders of suspensions --------------------------------------------------------------------


def _suspended(member, days, motifs):
    invoice = InvoiceFactory(
        supplier=member.structure,
        sent=True,
        sent_by=member.user,
        status=Status.SUSPENDUE,
        status_changed_at=timezone.now() - timedelta(days=days),
    )
    InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="suspendre",
        from_status="MISE_A_DISPOSITION",
        to_status="SUSPENDUE",
        actor_kind="destinataire",
        motif=motifs["JUSTIFICATIF_ABSENT"],
        comment="Il manque le bon de livraison.",
        created_at=invoice.status_changed_at,
    )
    return invoice


def test_a_suspension_is_reminded_once_per_period(member, motifs, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_REMINDER_AFTER_DAYS = 7
    late = _suspended(member, 8, motifs)
    recent = _suspended(member, 3, motifs)  # not yet
    answered = InvoiceFactory(
        supplier=member.structure,
        sent=True,
        sent_by=member.user,
        status=Status.COMPLETEE,
        status_changed_at=timezone.now() - timedelta(days=20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_suspended_invoices() == {"reminded": 1}
    [message] = mail.outbox
    assert message.subject == f"[Chorus Pro] Rappel : la facture {late.identifier} est suspendue depuis 7 jours"
    assert "Justificatif absent ou insuffisant" in message.body and "Il manque le bon de livraison." in message.body
    assert f"{BASE}/factures/{late.pk}/" in message.body
    assert Invoice.objects.get(pk=late.pk).last_reminder_at is not None
    assert Invoice.objects.get(pk=answered.pk).last_reminder_at is None

    # The same day (or a second run of the task): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_suspended_invoices() == {"reminded": 0}
    assert len(mail.outbox) == 1
    # One period later: reminded again (and the other one, suspended for 10 days by then).
    with django_capture_on_commit_callbacks(execute=True):
        later = timezone.now() + timedelta(days=7, minutes=1)
        assert services.invoices_remind_suspended(after_days=7, now=later) == [late.pk, recent.pk]
    assert len(mail.outbox) == 3


# --- Daily digest --------------------------------------------------------------------------------


def test_the_digest_goes_only_to_those_who_chose_it_and_only_with_events(
    member, motifs, django_capture_on_commit_callbacks
):
    structure = member.structure
    wants = MembershipFactory(structure=structure, daily_digest=True)
    MembershipFactory(structure=structure)  # did not choose it
    quiet = MembershipFactory(daily_digest=True)  # chose it, but nothing happened at their structure
    invoice = InvoiceFactory(supplier=structure, sent=True, status=Status.MISE_A_DISPOSITION, number="F-DIG-1")
    invoice_transition(invoice=invoice, transition="suspendre", actor=Actor.RECIPIENT, motif="ERREUR_RIB")
    old = InvoiceFactory(supplier=structure, sent=True, status=Status.MISE_A_DISPOSITION, number="F-OLD-1")
    InvoiceEvent.objects.create(
        invoice=old,
        supplier_id=old.supplier_id,
        transition="mettre_a_disposition",
        from_status="EN_COURS_ACHEMINEMENT",
        to_status="MISE_A_DISPOSITION",
        actor_kind="systeme",
        created_at=timezone.now() - timedelta(hours=30),
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_daily_digest() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == [wants.user.email]
    assert "1 événement sur vos factures" in message.subject
    assert "F-DIG-1" in message.body and "Mise à disposition du destinataire → Suspendue" in message.body
    assert "Erreur de RIB" in message.body
    assert "F-OLD-1" not in message.body  # older than 24 h
    assert structure.name in message.body
    assert not DigestDelivery.objects.filter(user=quiet.user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_daily_digest() == {"sent": 0}  # once a day
    assert len(mail.outbox) == 1


def test_no_digest_when_nothing_happened(member):
    MembershipFactory(structure=member.structure, daily_digest=True)
    assert tasks.send_daily_digest() == {"sent": 0}
    assert mail.outbox == []


# --- "Mes notifications" -------------------------------------------------------------------------


def test_the_preferences_page_sets_the_users_own_choices(client, member):
    public = MembershipFactory(user=member.user, structure=StructureFactory(public=True))
    colleague = MembershipFactory(structure=member.structure)
    client.force_login(member.user)
    url = reverse("invoices:notifications")
    page = html(client.get(url))
    assert member.structure.name in page and "Recevoir un récapitulatif quotidien" in page
    assert public.structure.name not in page  # only supplier structures

    response = client.post(url, {f"notify-{member.pk}": "on", f"digest-{colleague.pk}": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    colleague.refresh_from_db()
    assert member.notify_invoice_events is True and member.daily_digest is False
    assert colleague.daily_digest is False  # not the user's membership: untouched

    client.post(url, {f"digest-{member.pk}": "on"})
    member.refresh_from_db()
    assert member.notify_invoice_events is False and member.daily_digest is True
    assert "checked" in html(client.get(url))


def test_the_invoice_list_links_to_the_preferences(client, member):
    client.force_login(member.user)
    assert reverse("invoices:notifications") in html(client.get(reverse("invoices:list")))


def test_the_preferences_page_needs_a_login(client):
    response = client.get(reverse("invoices:notifications"))
    assert response.status_code == 302 and "/compte/" in response["Location"]
