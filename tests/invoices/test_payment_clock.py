"""The payment clock is wound where the status is applied (lifecycle.apply_transition)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from invoices.models import Invoice
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(motifs):
    hospital = StructureFactory(public=True, name="CHU de Démo", payment_delay_days=50)
    return {"supplier": MembershipFactory(), "recipient": MembershipFactory(structure=hospital)}


def fire(invoice, transition, parties, **kwargs):
    actor = kwargs.pop("actor", Actor.RECIPIENT)
    user = {Actor.RECIPIENT: parties["recipient"].user, Actor.SUPPLIER: parties["supplier"].user}.get(actor)
    invoice_transition(invoice=invoice, transition=transition, actor=actor, user=user, **kwargs)
    return Invoice.objects.get(pk=invoice.pk)


def received(parties) -> Invoice:
    invoice = InvoiceFactory(
        supplier=parties["supplier"].structure,
        recipient=parties["recipient"].structure,
        sent=True,
        status=Status.EN_COURS_ACHEMINEMENT,
    )
    return fire(invoice, "mettre_a_disposition", parties, actor=Actor.SYSTEM)


def test_mise_a_disposition_starts_the_recipients_delay(parties):
    invoice = received(parties)
    today = timezone.localdate()
    assert (invoice.payment_started_on, invoice.payment_due_on) == (today, today + timedelta(days=50))
    assert invoice.payment_stopped_on is None
    assert Invoice.objects.filter(payment_due_on__isnull=False, payment_stopped_on__isnull=True).count() == 1


def test_the_default_delay_is_30_days(motifs):
    parties = {"supplier": MembershipFactory(), "recipient": MembershipFactory(structure=StructureFactory(public=True))}
    invoice = received(parties)
    assert invoice.payment_due_on == timezone.localdate() + timedelta(days=30)


def test_suspension_interrupts_completion_reopens_and_payment_stops(parties):
    today = timezone.localdate()
    invoice = received(parties)
    # Received 45 days ago (5 days left): suspended today, the clock stands still.
    Invoice.objects.filter(pk=invoice.pk).update(
        payment_started_on=today - timedelta(days=45), payment_due_on=today + timedelta(days=5)
    )
    invoice = fire(invoice, "suspendre", parties, motif="JUSTIFICATIF_ABSENT")
    assert invoice.payment_stopped_on == invoice.payment_interrupted_on == today
    invoice = fire(invoice, "completer", parties, actor=Actor.SUPPLIER, comment="Pièce jointe")
    # A new delay of 30 days (the balance was 5) from the completion.
    assert (invoice.payment_started_on, invoice.payment_due_on, invoice.payment_stopped_on) == (
        today,
        today + timedelta(days=30),
        None,
    )
    invoice = fire(invoice, "mettre_en_paiement", parties)
    assert invoice.payment_stopped_on == today
    assert invoice.payment_due_on == today + timedelta(days=30)


def test_a_credit_note_has_no_clock(parties):
    invoice = InvoiceFactory(
        supplier=parties["supplier"].structure,
        recipient=parties["recipient"].structure,
        sent=True,
        status=Status.EN_COURS_ACHEMINEMENT,
        invoice_type="AVOIR",
    )
    invoice = fire(invoice, "mettre_a_disposition", parties, actor=Actor.SYSTEM)
    assert invoice.payment_due_on is None


def test_a_return_to_recycle_clears_the_clock(parties):
    invoice = fire(received(parties), "mettre_a_recycler", parties, motif="SE_EJ_INCORRECT")
    assert (invoice.payment_started_on, invoice.payment_due_on) == (None, None)


def test_the_rebuild_gives_old_invoices_the_clock_the_lifecycle_would_have(parties):
    from io import StringIO

    from django.core.management import call_command

    today = timezone.localdate()
    lived = fire(received(parties), "suspendre", parties, motif="JUSTIFICATIF_ABSENT")
    expected = lived.payment_clock
    draft = InvoiceFactory(supplier=parties["supplier"].structure)
    credit = InvoiceFactory(
        supplier=parties["supplier"].structure, sent=True, status=Status.MISE_A_DISPOSITION, invoice_type="AVOIR"
    )
    Invoice.objects.update(
        payment_started_on=None, payment_due_on=None, payment_stopped_on=None, payment_interrupted_on=None
    )
    out = StringIO()
    call_command("payment_clocks_rebuild", "--batch", "1", stdout=out)
    assert "pour 1 facture(s)" in out.getvalue()
    assert Invoice.objects.get(pk=lived.pk).payment_clock == expected
    assert expected.due_on == today + timedelta(days=50) and expected.stopped_on == today
    assert Invoice.objects.get(pk=draft.pk).payment_due_on is None
    assert Invoice.objects.get(pk=credit.pk).payment_due_on is None
    call_command("payment_clocks_rebuild", stdout=out)
    assert "pour 0 facture(s)" in out.getvalue()


def test_the_rebuild_refuses_a_bad_batch():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--batch"):
        call_command("payment_clocks_rebuild", "--batch", "0")
