"""invoice_transition with a database: every (status, transition) pair, rights, motifs, history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from invoices import workflow
from invoices.models import Invoice, InvoiceEvent, Motif
from invoices.services import invoice_transition
from invoices.workflow import TRANSITIONS, Actor, Status, TransitionError
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(motifs):
    supplier_member = MembershipFactory()
    recipient = StructureFactory(public=True)
    recipient_member = MembershipFactory(structure=recipient)
    return {"supplier": supplier_member, "recipient": recipient_member}


def make_invoice(parties, status: str) -> Invoice:
    yesterday = timezone.now() - timedelta(days=1)
    if status == Status.BROUILLON:
        return InvoiceFactory(supplier=parties["supplier"].structure, recipient=parties["recipient"].structure)
    return InvoiceFactory(
        supplier=parties["supplier"].structure,
        recipient=parties["recipient"].structure,
        sent=True,
        status=status,
        status_changed_at=yesterday,
    )


# A motif each motif rule accepts (SE/EJ incorrect is recyclable, a missing document is not).
MOTIF_FOR = {
    workflow.MotifRule.NONE: None,
    workflow.MotifRule.ANY: "JUSTIFICATIF_ABSENT",
    workflow.MotifRule.RECYCLABLE: "SE_EJ_INCORRECT",
}


def fire_args(parties, transition: workflow.Transition) -> dict:
    actor = sorted(transition.actors)[0]
    user = {
        Actor.SYSTEM: None,
        Actor.SUPPLIER: parties["supplier"].user,
        Actor.RECIPIENT: parties["recipient"].user,
    }[actor]
    return {
        "transition": transition.name,
        "actor": actor,
        "user": user,
        "motif": MOTIF_FOR[transition.motifs],
        "comment": "Un commentaire",
        "mandate_number": "M-2026-1" if transition.mandate_number_required else "",
    }


@pytest.mark.parametrize("transition_name", list(TRANSITIONS))
@pytest.mark.parametrize("status", list(Status))
def test_every_status_and_transition(parties, status, transition_name, django_capture_on_commit_callbacks):
    transition = TRANSITIONS[transition_name]
    invoice = make_invoice(parties, status)
    before = Invoice.objects.filter(pk=invoice.pk).values("status", "status_changed_at").get()
    args = fire_args(parties, transition)

    if status in transition.sources:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            event = invoice_transition(invoice=invoice, **args)
        invoice.refresh_from_db()
        assert invoice.status == transition.target
        assert invoice.status_changed_at is not None
        assert invoice.status_changed_at != before["status_changed_at"]
        assert InvoiceEvent.objects.filter(invoice=invoice).count() == 1
        assert event == invoice.events.get()
        assert (event.transition, event.from_status, event.to_status) == (transition.name, status, transition.target)
        assert event.actor_kind == args["actor"]
        assert event.user == args["user"]
        if transition.motif_required:
            assert event.motif.code == MOTIF_FOR[transition.motifs]
        if transition.mandate_number_required:
            assert invoice.mandate_number == event.mandate_number == "M-2026-1"
        # A notification is scheduled for what the supplier must hear about, after the commit,
        # and the supplier's cached figures are invalidated (invoices/figures_cache.py).
        notified, routed = transition.notifies, transition.reroutes
        assert len(callbacks) == 1 + int(notified) + int(routed)
    elif status == transition.target:
        with django_capture_on_commit_callbacks() as callbacks:
            assert invoice_transition(invoice=invoice, **args) is None
        assert callbacks == []
        assert not InvoiceEvent.objects.filter(invoice=invoice).exists()
        assert Invoice.objects.filter(pk=invoice.pk).values("status", "status_changed_at").get() == before
    else:
        with pytest.raises(TransitionError) as info:
            invoice_transition(invoice=invoice, **args)
        assert "impossible au statut" in str(info.value)
        assert not InvoiceEvent.objects.filter(invoice=invoice).exists()
        assert Invoice.objects.filter(pk=invoice.pk).values("status", "status_changed_at").get() == before


def test_the_invoice_may_be_given_by_id(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    event = invoice_transition(
        invoice=invoice.pk, transition="service_fait", actor=Actor.RECIPIENT, user=parties["recipient"].user
    )
    assert event.to_status == Status.SERVICE_FAIT
    assert Invoice.objects.get(pk=invoice.pk).status == Status.SERVICE_FAIT


@pytest.mark.parametrize(
    ("status", "transition", "actor"),
    [
        (Status.MISE_A_DISPOSITION, "suspendre", Actor.SUPPLIER),
        (Status.MISE_A_DISPOSITION, "rejeter", Actor.SYSTEM),
        (Status.SUSPENDUE, "completer", Actor.RECIPIENT),
        (Status.DEPOSEE, "acheminer", Actor.RECIPIENT),
        (Status.A_RECYCLER, "recycler", Actor.SYSTEM),
    ],
)
def test_a_wrong_actor_is_refused(parties, status, transition, actor):
    invoice = make_invoice(parties, status)
    with pytest.raises(TransitionError, match="n'est pas permise à ce profil"):
        invoice_transition(invoice=invoice, transition=transition, actor=actor, motif="JUSTIFICATIF_ABSENT")
    assert Invoice.objects.get(pk=invoice.pk).status == status
    assert not invoice.events.exists()


def test_staff_of_another_recipient_is_refused(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    other = MembershipFactory(structure=StructureFactory(public=True)).user
    with pytest.raises(TransitionError, match="structure destinataire"):
        invoice_transition(
            invoice=invoice, transition="rejeter", actor=Actor.RECIPIENT, user=other, motif="DOUBLE_FACTURATION"
        )
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION
    assert not invoice.events.exists()


@pytest.mark.parametrize("trait", ["pending", "revoked", "refused"])
def test_an_inactive_member_of_the_recipient_is_refused(parties, trait):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    user = MembershipFactory(structure=invoice.recipient, **{trait: True}).user
    with pytest.raises(TransitionError):
        invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT, user=user)
    assert not invoice.events.exists()


def test_a_supplier_user_cannot_act_as_recipient_of_his_own_invoice(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    with pytest.raises(TransitionError, match="structure destinataire"):
        invoice_transition(
            invoice=invoice, transition="mettre_en_paiement", actor=Actor.RECIPIENT, user=parties["supplier"].user
        )


def test_a_superuser_may_act_for_any_recipient(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    admin = UserFactory(superuser=True)
    event = invoice_transition(
        invoice=invoice, transition="suspendre", actor=Actor.RECIPIENT, user=admin, motif="JUSTIFICATIF_ABSENT"
    )
    assert event.user == admin


def test_a_user_of_another_supplier_cannot_complete(parties):
    invoice = make_invoice(parties, Status.SUSPENDUE)
    stranger = MembershipFactory().user
    with pytest.raises(TransitionError, match="rattaché à la structure"):
        invoice_transition(invoice=invoice, transition="completer", actor=Actor.SUPPLIER, user=stranger)
    assert Invoice.objects.get(pk=invoice.pk).status == Status.SUSPENDUE


def test_without_user_the_system_or_an_operator_acts(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    event = invoice_transition(invoice=invoice, transition="prendre_en_compte", actor=Actor.RECIPIENT)
    assert event.user is None and event.actor_kind == "destinataire"


@pytest.mark.parametrize("motif", [None, "", "  "])
def test_a_motif_is_required_to_suspend(parties, motif):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    with pytest.raises(TransitionError, match="Un motif est obligatoire"):
        invoice_transition(
            invoice=invoice, transition="suspendre", actor=Actor.RECIPIENT, user=parties["recipient"].user, motif=motif
        )
    assert not invoice.events.exists()


def test_an_unknown_or_inactive_motif_is_refused(parties, motifs):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    user = parties["recipient"].user
    with pytest.raises(TransitionError, match="motif n'existe pas"):
        invoice_transition(invoice=invoice, transition="rejeter", actor=Actor.RECIPIENT, user=user, motif="NOPE")
    Motif.objects.filter(code="ERREUR_RIB").update(is_active=False)
    with pytest.raises(TransitionError, match="motif n'existe pas"):
        invoice_transition(
            invoice=invoice, transition="rejeter", actor=Actor.RECIPIENT, user=user, motif=motifs["ERREUR_RIB"]
        )
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION
    assert not invoice.events.exists()


def test_a_motif_object_is_accepted_and_recorded_with_the_comment(parties, motifs):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    event = invoice_transition(
        invoice=invoice,
        transition="rejeter",
        actor=Actor.RECIPIENT,
        user=parties["recipient"].user,
        motif=motifs["TAUX_TVA_ERRONE"],
        comment="  Le taux est de 10 %.  ",
    )
    assert event.motif == motifs["TAUX_TVA_ERRONE"]
    assert event.comment == "Le taux est de 10 %."


def test_a_mandate_number_is_required_to_mandate(parties):
    invoice = make_invoice(parties, Status.SERVICE_FAIT)
    with pytest.raises(TransitionError, match="numéro de mandat"):
        invoice_transition(invoice=invoice, transition="mandater", actor=Actor.RECIPIENT)
    invoice_transition(invoice=invoice, transition="mandater", actor=Actor.RECIPIENT, mandate_number=" 2026-0042 ")
    invoice.refresh_from_db()
    assert invoice.mandate_number == "2026-0042"


def test_an_unknown_transition_is_refused(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    with pytest.raises(TransitionError, match="Action inconnue"):
        invoice_transition(invoice=invoice, transition="payer", actor=Actor.RECIPIENT)


def test_a_new_status_resets_the_reminder_date(parties):
    invoice = make_invoice(parties, Status.SUSPENDUE)
    Invoice.objects.filter(pk=invoice.pk).update(last_reminder_at=timezone.now())
    invoice_transition(invoice=invoice, transition="completer", actor=Actor.SUPPLIER, user=parties["supplier"].user)
    assert Invoice.objects.get(pk=invoice.pk).last_reminder_at is None


def test_deposer_through_invoice_transition_is_the_full_sending(parties):
    draft = make_invoice(parties, Status.BROUILLON)
    with pytest.raises(TransitionError, match="utilisateur du fournisseur"):
        invoice_transition(invoice=draft, transition="deposer", actor=Actor.SUPPLIER)
    event = invoice_transition(invoice=draft, transition="deposer", actor=Actor.SUPPLIER, user=parties["supplier"].user)
    draft.refresh_from_db()
    assert draft.identifier and draft.certificate_fingerprint
    assert event.transition == "deposer" and draft.status == Status.DEPOSEE


def test_the_history_reads_in_order_with_labels(parties):
    invoice = make_invoice(parties, Status.MISE_A_DISPOSITION)
    user = parties["recipient"].user
    invoice_transition(invoice=invoice, transition="suspendre", actor=Actor.RECIPIENT, user=user, motif="ERREUR_RIB")
    invoice_transition(invoice=invoice, transition="completer", actor=Actor.SUPPLIER, user=parties["supplier"].user)
    invoice_transition(invoice=invoice, transition="mettre_en_paiement", actor=Actor.RECIPIENT, user=user)
    events = list(invoice.events.all())
    assert [(e.from_status, e.to_status) for e in events] == [
        ("MISE_A_DISPOSITION", "SUSPENDUE"),
        ("SUSPENDUE", "COMPLETEE"),
        ("COMPLETEE", "MISE_EN_PAIEMENT"),
    ]
    assert events[0].to_reform_code == "208" and events[2].to_reform_code == "212"
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_EN_PAIEMENT


def test_the_motif_catalogue_is_seeded(motifs):
    assert len(motifs) == 16
    assert motifs["SE_EJ_INCORRECT"].recyclable and motifs["SE_EJ_INCORRECT"].category == "TECHNIQUE"
    assert motifs["CREANCIER_INCONNU"].reform_code == "EMMET_INC"
    assert motifs["JUSTIFICATIF_ABSENT"].reform_code == "JUSTIF_ABS"
    assert motifs["SUPPRESSION_MASSE"].category == "AUTRES"
    assert sorted(m.category for m in motifs.values()).count("ACHATS_COMPTABLES") == 12
    assert [m.label for m in Motif.objects.all()][:2] == [
        "SE/EJ incorrect",
        "Créancier inconnu ou différent de celui de l'EJ",
    ]
