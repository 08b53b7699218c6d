"""What the supplier does on the invoice page: history, Recycler, Compléter, Traiter le rejet
(and a new invoice from a rejected one), with the cross-structure 404s."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from invoices import services
from invoices.models import DepositMode, Invoice, InvoiceEvent
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.conftest import html
from tests.invoices import pdfs
from tests.invoices.factories import InvoiceFactory, InvoiceLineFactory, refresh_entry_totals
from tests.structures.factories import EngagementFactory, MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(motifs):
    return MembershipFactory()


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def received(member, **kwargs) -> Invoice:
    """A sent invoice at the recipient's, with its history so far."""
    invoice = InvoiceFactory(supplier=member.structure, sent=True, sent_by=member.user, **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(certificate_fingerprint=services.certificate_fingerprint(invoice))
    for transition in ("acheminer", "mettre_a_disposition"):
        invoice_transition(invoice=invoice, transition=transition, actor=Actor.SYSTEM)
    return Invoice.objects.get(pk=invoice.pk)


def recipient_does(invoice, transition, **kwargs):
    return invoice_transition(invoice=invoice, transition=transition, actor=Actor.RECIPIENT, **kwargs)


# --- Detail: history and the current motif ------------------------------------------------------


def test_the_detail_page_shows_the_history_and_the_suspension(logged, member):
    invoice = received(member)
    staff = MembershipFactory(structure=invoice.recipient).user
    recipient_does(invoice, "suspendre", user=staff, motif="JUSTIFICATIF_ABSENT", comment="Joindre le PV.")
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Facture suspendue par le destinataire" in page
    assert "Motif : <strong>Justificatif absent ou insuffisant</strong> (JUSTIF_ABS)" in page
    assert "Joindre le PV." in page
    assert "Historique de la facture" in page
    assert "Déposée (200) → <strong>En cours d'acheminement</strong> (201)" in page
    assert "Mise à disposition du destinataire (203) → <strong>Suspendue</strong> (208)" in page
    assert "Système" in page and staff.get_full_name() in page
    assert reverse("invoices:complete", args=[invoice.pk]) in page
    assert reverse("invoices:recycle", args=[invoice.pk]) not in page


def test_no_motif_box_when_nothing_is_asked(logged, member):
    invoice = received(member)
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Historique de la facture" in page
    assert 'id="motif"' not in page
    for name in ("complete", "recycle", "rejection"):
        assert reverse(f"invoices:{name}", args=[invoice.pk]) not in page


# --- Recycler ------------------------------------------------------------------------------------


@pytest.fixture
def to_recycle(member):
    invoice = received(member)
    recipient_does(invoice, "mettre_a_recycler", motif="SE_EJ_INCORRECT", comment="Ce n'est pas notre service.")
    return Invoice.objects.get(pk=invoice.pk)


def test_recycling_with_nothing_changed_is_refused_unless_asked(logged, member, to_recycle):
    url = reverse("invoices:recycle", args=[to_recycle.pk])
    same = {
        "recipient_siret": to_recycle.recipient.identifier,
        "service_code": to_recycle.recipient_service.code if to_recycle.recipient_service else "",
        "engagement_number": to_recycle.engagement_number,
    }
    response = logged.post(url, same)
    page = html(response)
    assert response.status_code == 200
    assert "Rien n'a changé : corrigez le SIRET du destinataire" in page
    # The message sits next to the box that lets the supplier send it anyway.
    box = page.split('id="div_id_resend_unchanged"')[1].split("</div>\n  </div>")[0]
    assert "Rien n'a changé" in box
    assert Invoice.objects.get(pk=to_recycle.pk).status == Status.A_RECYCLER
    response = logged.post(url, {**same, "resend_unchanged": "on"})
    assert response.status_code == 302
    invoice = Invoice.objects.get(pk=to_recycle.pk)
    assert invoice.status != Status.A_RECYCLER
    assert invoice.events.get(transition="recycler").comment == (
        "Facture renvoyée sans modification, à la demande du fournisseur."
    )


def test_recycling_changes_only_the_routing_data_and_routes_again(
    logged, member, to_recycle, django_capture_on_commit_callbacks
):
    url = reverse("invoices:recycle", args=[to_recycle.pk])
    page = html(logged.get(url))
    assert to_recycle.recipient.identifier in page and "Ce n'est pas notre service." in page
    new_recipient = StructureFactory(public=True, service_required=True)
    service = ServiceFactory(structure=new_recipient, code="ACHATS-75")
    ej = EngagementFactory(recipient=new_recipient, supplier_identifier=member.structure.identifier)
    number, amount = to_recycle.number, to_recycle.amount_ttc

    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post(
            url,
            {
                "recipient_siret": new_recipient.identifier[:3] + " " + new_recipient.identifier[3:],
                "service_code": "achats-75",
                "engagement_number": ej.number,
                "number": "HACK",  # not a field of the form: ignored
            },
        )
    assert response.status_code == 302
    invoice = Invoice.objects.get(pk=to_recycle.pk)
    # Routed again after the commit: the task continued from EN_COURS_ACHEMINEMENT.
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert (invoice.recipient, invoice.recipient_service, invoice.engagement_number) == (
        new_recipient,
        service,
        ej.number,
    )
    assert (invoice.number, invoice.amount_ttc) == (number, amount)
    assert services.certificate_fingerprint(invoice) == invoice.certificate_fingerprint
    recycled = invoice.events.get(transition="recycler")
    assert (recycled.from_status, recycled.to_status, recycled.user) == (
        "A_RECYCLER",
        "EN_COURS_ACHEMINEMENT",
        member.user,
    )
    assert f"SIRET du destinataire : {to_recycle.recipient.identifier} → {new_recipient.identifier}" in recycled.comment
    assert list(invoice.events.values_list("transition", flat=True))[-2:] == ["recycler", "mettre_a_disposition"]


def test_recycling_refuses_what_routing_would_refuse(logged, member, to_recycle):
    url = reverse("invoices:recycle", args=[to_recycle.pk])
    recipient = StructureFactory(public=True)
    foreign_ej = EngagementFactory(recipient=recipient)  # designates another supplier
    cases = [
        ({"recipient_siret": "12345678901234"}, "Aucune structure publique"),
        ({"recipient_siret": recipient.identifier, "service_code": "NOPE"}, "n'a pas de service de code NOPE"),
        ({"recipient_siret": recipient.identifier, "engagement_number": foreign_ej.number}, "Créancier inconnu"),
        ({"recipient_siret": StructureFactory(public=True, inactive=True).identifier}, "n'est plus actif"),
    ]
    for data, message in cases:
        response = logged.post(url, {"service_code": "", "engagement_number": "", **data})
        assert response.status_code == 200
        assert message in html(response)
        invoice = Invoice.objects.get(pk=to_recycle.pk)
        assert invoice.status == Status.A_RECYCLER and invoice.recipient == to_recycle.recipient
    assert not to_recycle.events.filter(transition="recycler").exists()


def test_recycling_is_only_for_invoices_to_recycle(logged, member):
    invoice = received(member)
    response = logged.post(reverse("invoices:recycle", args=[invoice.pk]), {"recipient_siret": "x"})
    assert response.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION


# --- Compléter -----------------------------------------------------------------------------------


@pytest.fixture
def suspended(member):
    invoice = received(member)
    recipient_does(invoice, "suspendre", motif="JUSTIFICATIF_ABSENT", comment="Joindre le PV.")
    return Invoice.objects.get(pk=invoice.pk)


def test_completing_with_attachments_and_a_comment(logged, member, suspended):
    url = reverse("invoices:complete", args=[suspended.pk])
    assert "Joindre le PV." in html(logged.get(url))
    response = logged.post(
        url,
        {
            "attachments": [
                SimpleUploadedFile("pv-reception.pdf", b"%PDF-1.4 pv"),
                SimpleUploadedFile("bl.txt", b"BL"),
            ],
            "comment": "Voici le PV et le bon de livraison.",
        },
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get(pk=suspended.pk)
    assert invoice.status == Status.COMPLETEE
    assert sorted(invoice.attachments.values_list("original_filename", flat=True)) == ["bl.txt", "pv-reception.pdf"]
    event = invoice.events.last()
    assert (event.transition, event.user) == ("completer", member.user)
    assert "Voici le PV" in event.comment and "pv-reception.pdf" in event.comment
    # The certificate covers what was sent, not the answer.
    assert services.certificate_fingerprint(invoice) == invoice.certificate_fingerprint
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "pv-reception.pdf" in page and "Voici le PV" in page


def test_completing_with_a_comment_only(logged, suspended):
    response = logged.post(reverse("invoices:complete", args=[suspended.pk]), {"comment": "Le PV est au dossier."})
    assert response.status_code == 302
    assert Invoice.objects.get(pk=suspended.pk).status == Status.COMPLETEE


def test_completing_needs_a_file_or_a_comment_and_checks_files(logged, suspended):
    url = reverse("invoices:complete", args=[suspended.pk])
    response = logged.post(url, {"comment": "  "})
    assert "Ajoutez au moins une pièce jointe ou un commentaire" in html(response)
    response = logged.post(url, {"attachments": [SimpleUploadedFile("virus.exe", b"MZ")], "comment": "Voici"})
    assert "n'est pas accepté en pièce jointe" in html(response)
    invoice = Invoice.objects.get(pk=suspended.pk)
    assert invoice.status == Status.SUSPENDUE and not invoice.attachments.exists()
    assert not invoice.events.filter(transition="completer").exists()


def test_attachments_cannot_be_added_to_a_sent_invoice_outside_a_suspension(member):
    invoice = received(member)
    upload = SimpleUploadedFile("a.txt", b"a")
    with pytest.raises(ValidationError):
        services.invoice_add_attachments(invoice=invoice, user=member.user, files=[upload])
    with pytest.raises(ValidationError, match="suspendue"):
        services.invoice_add_attachments(invoice=invoice, user=member.user, files=[upload], completing=True)


# --- Traiter le rejet, new invoice from a rejected one ---------------------------------------------


@pytest.fixture
def rejected(member):
    service = ServiceFactory()
    invoice = received(
        member, recipient=service.structure, recipient_service=service, market_number="M-12", engagement_number="EJ-1"
    )
    recipient_does(invoice, "rejeter", motif="MONTANT_ERRONE", comment="Le montant ne correspond pas au devis.")
    return Invoice.objects.get(pk=invoice.pk)


def test_treating_a_rejection_records_it_once(logged, member, rejected):
    url = reverse("invoices:rejection", args=[rejected.pk])
    page = html(logged.get(url))
    assert "Montant de la facture erroné" in page and "Le montant ne correspond pas au devis." in page
    assert "nouveau numéro de facture" in page
    logged.post(url, {"action": "acknowledge"})
    logged.post(url, {"action": "acknowledge"})
    invoice = Invoice.objects.get(pk=rejected.pk)
    assert invoice.status == Status.REJETEE and invoice.rejection_acknowledged_at is not None
    ack = invoice.events.filter(transition="")
    assert ack.count() == 1
    assert (ack.get().from_status, ack.get().to_status, ack.get().user) == ("REJETEE", "REJETEE", member.user)
    assert "Rejet traité le" in html(logged.get(reverse("invoices:detail", args=[rejected.pk])))


def test_a_new_invoice_from_a_rejected_pdf_invoice(logged, member, rejected):
    response = logged.post(reverse("invoices:rejection", args=[rejected.pk]), {"action": "copy"})
    draft = Invoice.objects.exclude(pk=rejected.pk).get()
    assert response["Location"] == reverse("invoices:edit", args=[draft.pk])
    assert draft.status == Status.BROUILLON and draft.created_by == member.user
    assert draft.number == "" and draft.invoice_date is None and not draft.pdf and draft.identifier is None
    for name in ("recipient", "recipient_service", "engagement_number", "market_number", "amount_ht", "amount_ttc"):
        assert getattr(draft, name) == getattr(rejected, name), name
    assert list(draft.vat_lines.values_list("rate", "base_ht", "vat_amount")) == list(
        rejected.vat_lines.values_list("rate", "base_ht", "vat_amount")
    )
    assert Invoice.objects.get(pk=rejected.pk).rejection_acknowledged_at is not None
    assert not draft.events.exists()

    # The draft asks for the corrected PDF, then can be sent with a new number.
    edit = html(logged.get(reverse("invoices:edit", args=[draft.pk])))
    assert "Le fichier PDF de la facture est manquant" in edit
    pdf = pdfs.text_pdf(["Facture corrigée"])
    logged.post(
        reverse("invoices:replace_pdf", args=[draft.pk]),
        {"file": SimpleUploadedFile("corrigee.pdf", pdf, content_type="application/pdf")},
    )
    draft.refresh_from_db()
    assert draft.pdf and draft.pdf_original_filename == "corrigee.pdf" and draft.pdf_size == len(pdf)
    with pytest.raises(ValidationError) as info:
        services.invoice_send(invoice=draft, user=member.user)
    assert "number" in info.value.message_dict  # a new number is required
    services.invoice_save_draft(invoice=draft, user=member.user, number="F-NEW-1", invoice_date=timezone.localdate())
    assert services.invoice_send(invoice=draft, user=member.user).status == Status.DEPOSEE


def test_the_corrected_pdf_is_checked(logged, member, rejected):
    logged.post(reverse("invoices:rejection", args=[rejected.pk]), {"action": "copy"})
    draft = Invoice.objects.exclude(pk=rejected.pk).get()
    response = logged.post(
        reverse("invoices:replace_pdf", args=[draft.pk]),
        {"file": SimpleUploadedFile("faux.pdf", b"pas un pdf", content_type="application/pdf")},
        follow=True,
    )
    assert "PDF" in html(response)
    draft.refresh_from_db()
    assert not draft.pdf


def replace_pdf(logged, draft, data: bytes):
    return logged.post(
        reverse("invoices:replace_pdf", args=[draft.pk]),
        {"file": SimpleUploadedFile("corrigee.pdf", data, content_type="application/pdf")},
        follow=True,
    )


@pytest.mark.parametrize(
    ("make_file", "words"),
    [
        (lambda siret: pdfs.facturx_pdf(seller_siret="35600000000048"), "émise par le SIRET 35600000000048"),
        (
            lambda siret: pdfs.with_embedded_file(pdfs.text_pdf(), "factur-x.xml", b"<rsm:CrossIndustryInvoice><oops"),
            "factur-x.xml que le portail ne peut pas lire",
        ),
        (lambda siret: pdfs.facturx_pdf(seller_siret=siret, total_ttc="1250.00"), "ne concordent pas"),
    ],
    ids=["another_supplier", "unreadable_xml", "amounts_disagree"],
)
def test_the_corrected_pdf_has_the_factur_x_checks_of_the_deposit(logged, member, rejected, make_file, words):
    draft = services.invoice_copy_as_draft(invoice=rejected, user=member.user)
    response = replace_pdf(logged, draft, make_file(member.structure.identifier))
    assert words in html(response)
    draft.refresh_from_db()
    assert not draft.pdf and draft.number == ""


def test_the_corrected_factur_x_pre_fills_the_draft_as_a_deposit_does(logged, member, rejected):
    """What the file gives replaces the copy's values (number, date, amounts, VAT breakdown, and
    the recipient: the XML's buyer, here a SIRET the directory does not know, which the form then
    says); what it does not give is kept: the EJ and the marché."""
    draft = services.invoice_copy_as_draft(invoice=rejected, user=member.user)
    data = pdfs.facturx_pdf(
        number="FX-NEW-7", seller_siret=member.structure.identifier, vat=[("20.00", "500.00", "100.00")]
    )
    replace_pdf(logged, draft, data)
    draft.refresh_from_db()
    assert draft.pdf and draft.pdf_size == len(data)
    assert (draft.number, draft.invoice_date, draft.invoice_year) == ("FX-NEW-7", date(2026, 1, 15), 2026)
    assert (draft.amount_ht, draft.amount_tva, draft.amount_ttc) == (
        Decimal("500.00"),
        Decimal("100.00"),
        Decimal("600.00"),
    )
    assert list(draft.vat_lines.values_list("rate", "base_ht", "vat_amount")) == [
        (Decimal("20.00"), Decimal("500.00"), Decimal("100.00"))
    ]
    assert (draft.recipient, draft.recipient_service) == (None, None)
    assert (draft.engagement_number, draft.market_number) == ("EJ-1", "M-12")
    assert draft.extracted_data["source"] == "facturx"
    assert draft.extracted_data["copied_from"] == rejected.identifier
    page = html(logged.get(reverse("invoices:edit", args=[draft.pk])))
    assert "Données lues dans le Factur-X" in page
    assert (
        "L'acheteur du XML (SIRET 11000201100044, « Ministère de l'exemple ») n'est pas une structure publique" in page
    )
    assert "BT-47" in services.send_errors(draft, member.user)["recipient"][0]


def test_a_new_invoice_from_a_rejected_typed_invoice_copies_the_lines(logged, member):
    member.structure.mandate_accepted_at = timezone.now()
    member.structure.save()
    invoice = InvoiceFactory(supplier=member.structure, entry=True, sent=True, sent_by=member.user)
    InvoiceLineFactory(invoice=invoice, designation="Audit")
    InvoiceLineFactory(invoice=invoice, designation="Rapport")
    refresh_entry_totals(invoice)
    Invoice.objects.filter(pk=invoice.pk).update(status=Status.REJETEE)
    logged.post(reverse("invoices:rejection", args=[invoice.pk]), {"action": "copy"})
    draft = Invoice.objects.exclude(pk=invoice.pk).get()
    assert draft.deposit_mode == DepositMode.ENTRY and draft.number == ""
    assert list(draft.lines.values_list("designation", flat=True)) == ["Audit", "Rapport"]
    assert draft.amount_ttc == Invoice.objects.get(pk=invoice.pk).amount_ttc


def test_rejection_pages_need_a_rejected_invoice(logged, member):
    invoice = received(member)
    assert logged.post(reverse("invoices:rejection", args=[invoice.pk]), {"action": "copy"}).status_code == 302
    assert Invoice.objects.count() == 1
    assert not InvoiceEvent.objects.filter(transition="").exists()


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["recycle", "complete", "rejection", "replace_pdf", "detail"])
@pytest.mark.parametrize("who", ["other_structure", "pending", "recipient_staff"])
def test_other_people_get_a_404(client, member, name, who, to_recycle):
    invoice = to_recycle
    user = {
        "other_structure": lambda: MembershipFactory().user,
        "pending": lambda: MembershipFactory(structure=member.structure, pending=True).user,
        "recipient_staff": lambda: MembershipFactory(structure=invoice.recipient).user,
    }[who]()
    client.force_login(user)
    url = reverse(f"invoices:{name}", args=[invoice.pk])
    if name != "replace_pdf":  # POST only
        assert client.get(url).status_code == 404
    assert (
        client.post(url, {"recipient_siret": StructureFactory(public=True).identifier, "action": "copy"}).status_code
        == 404
    )
    assert Invoice.objects.get(pk=invoice.pk).status == Status.A_RECYCLER
    assert Invoice.objects.count() == 1
    assert mail.outbox == []
