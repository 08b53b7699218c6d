"""Invoice pages: deposit, manual entry, drafts, sending, downloads, and access (404 for a member
of another structure or a pending member on every page taking an id)."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from invoices.models import DepositMode, Invoice
from invoices.workflow import Status
from structures.models import Service
from tests.conftest import html
from tests.invoices import pdfs
from tests.invoices.factories import InvoiceAttachmentFactory, InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def pdf_upload(data: bytes, name="facture.pdf"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def form_data(invoice=None, **overrides):
    """POST data of the invoice form for a deposited PDF (one VAT line)."""
    data = {
        "invoice_type": "FACTURE",
        "cadre": "A1",
        "number": invoice.number if invoice else "F-100",
        "invoice_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "original_invoice_number": "",
        "recipient": str(invoice.recipient_id) if invoice and invoice.recipient_id else "",
        "recipient_query": "",
        "recipient_service": "",
        "engagement_number": "",
        "market_number": "",
        "payment_mode": "",
        "bank_account": "",
        "amount_ht": "1 000,00",
        "amount_tva": "200,00",
        "amount_ttc": "1 200,00",
        "comment": "",
        "vat-TOTAL_FORMS": "1",
        "vat-INITIAL_FORMS": "0",
        "vat-0-rate": "20.00",
        "vat-0-base_ht": "1000,00",
        "vat-0-vat_amount": "200,00",
        "vat-0-exemption_reason": "",
        "action": "draft",
    }
    data.update(overrides)
    return data


def entry_data(recipient, **overrides):
    data = {
        "invoice_type": "FACTURE",
        "cadre": "A1",
        "number": "S-2026-1",
        "invoice_date": timezone.localdate().isoformat(),
        "recipient": "",
        "recipient_query": recipient.identifier,
        "recipient_service": "",
        "engagement_number": "",
        "market_number": "",
        "payment_mode": "",
        "bank_account": "",
        "comment": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-designation": "Audit",
        "lines-0-quantity": "3",
        "lines-0-unit": "jour",
        "lines-0-unit_price_ht": "833,335",
        "lines-0-vat_rate": "20.00",
        "lines-0-exemption_reason": "",
        "lines-1-designation": "Formation",
        "lines-1-quantity": "1,5",
        "lines-1-unit": "jour",
        "lines-1-unit_price_ht": "1 000",
        "lines-1-vat_rate": "0.00",
        "lines-1-exemption_reason": "Formation professionnelle, art. 261-4-4° du CGI",
        "action": "draft",
    }
    data.update(overrides)
    return data


# --- List ---------------------------------------------------------------------------------------


def test_the_list_shows_the_current_structures_invoices_only(logged, member):
    mine = InvoiceFactory(supplier=member.structure, number="MIENNE-1", sent=True)
    InvoiceFactory(supplier=member.structure, number="BROUILLON-1")
    InvoiceFactory(number="AUTRE-1", sent=True)
    page = html(logged.get(reverse("invoices:list")))
    assert "Factures émises" in page
    assert "MIENNE-1" in page and "BROUILLON-1" in page and "AUTRE-1" not in page
    assert mine.identifier in page
    assert "<caption>" in page and "fr-badge" in page
    drafts = html(logged.get(reverse("invoices:list") + "?onglet=brouillons"))
    assert "BROUILLON-1" in drafts and "MIENNE-1" not in drafts
    sent = html(logged.get(reverse("invoices:list") + "?onglet=envoyees"))
    assert "MIENNE-1" in sent and "BROUILLON-1" not in sent


def test_the_list_is_paginated(logged, member):
    for n in range(25):
        InvoiceFactory(supplier=member.structure, number=f"P-{n:02d}")
    first = html(logged.get(reverse("invoices:list")))
    numbers = re.compile(r">P-\d\d</a></td>")
    assert len(numbers.findall(first)) == 20
    next_url = re.search(r'href="([^"]+)">Page suivante', first).group(1).replace("&amp;", "&")
    second = html(logged.get(reverse("invoices:list") + next_url))
    assert len(numbers.findall(second)) == 5
    assert "P-24" in first and "P-04" not in first
    assert "P-04" in second and "P-24" not in second
    assert "25 résultats" in first


def test_the_navigation_has_factures_emises(logged):
    page = html(logged.get(reverse("accounts:dashboard")))
    assert reverse("invoices:list") in page


def test_pages_need_a_login(client):
    response = client.get(reverse("invoices:list"))
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_a_user_without_structure_is_sent_to_ma_structure(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("invoices:deposit"))["Location"] == reverse("structures:home")


# --- Deposit ------------------------------------------------------------------------------------


def test_deposit_flow_then_send(logged, member):
    recipient = StructureFactory(public=True)
    response = logged.post(
        reverse("invoices:deposit"),
        {
            "file": pdf_upload(
                pdfs.invoice_text_pdf(recipient_siret=recipient.identifier, invoice_date="02/01/2026"),
                name="Facture été 2026 «spéciale».pdf",
            ),
            "pdf_format": "PDF",
            "cadre": "A1",
        },
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("invoices:edit", args=[invoice.pk])
    assert invoice.status == Status.BROUILLON and invoice.deposit_mode == DepositMode.PDF
    assert invoice.recipient == recipient and invoice.number == "F-2026-001"

    page = html(logged.get(response["Location"]))
    assert "Valeurs proposées d'après le texte du PDF" in page
    assert 'value="F-2026-001"' in page and 'value="1000,00"' in page
    assert recipient.name in page

    response = logged.post(response["Location"], form_data(invoice, action="send"))
    assert response.status_code == 302, html(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE
    assert invoice.identifier.startswith("FAC-")
    detail = html(logged.get(response["Location"]))
    assert "Déposée" in detail and invoice.identifier in detail
    assert "certificat de dépôt" in detail


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        (b"juste du texte, pas un PDF", "PDF", "n'est pas un PDF"),
        (pdfs.PNG_BYTES, "PDF", "n'est pas un PDF"),
        (pdfs.truncated_pdf(), "PDF", "endommagé ou incomplet"),
        (pdfs.corrupt_pdf(), "PDF", "endommagé ou incomplet"),
        (pdfs.encrypted_pdf(), "PDF", "protégé par un mot de passe"),
        (pdfs.text_pdf(), "PDF_SIGNE", "ne porte aucune signature"),
        (pdfs.with_embedded_file(pdfs.text_pdf(), "factur-x.xml", b"<broken"), "PDF", "factur-x.xml"),
        (pdfs.facturx_pdf(seller_siret="35600000000048", total_ttc="1.00"), "PDF", "ne concordent pas"),
    ],
    ids=["text", "png", "truncated", "corrupt", "encrypted", "unsigned", "facturx-xml", "facturx-amounts"],
)
def test_deposit_refuses_bad_files_next_to_the_field(logged, data, fmt, words):
    response = logged.post(reverse("invoices:deposit"), {"file": pdf_upload(data), "pdf_format": fmt, "cadre": "A9"})
    assert response.status_code == 200
    page = html(response)
    assert words in page
    assert "fr-upload-group--error" in page
    assert '<option value="A9" selected>' in page  # what was chosen is kept
    assert not Invoice.objects.exists()


def test_deposit_refuses_an_empty_file(logged):
    response = logged.post(reverse("invoices:deposit"), {"file": pdf_upload(b""), "pdf_format": "PDF", "cadre": "A1"})
    assert "Le fichier est vide" in html(response)
    assert not Invoice.objects.exists()


def test_deposit_refuses_a_file_over_the_limit(logged, settings):
    settings.INVOICE_MAX_PDF_SIZE = 600
    response = logged.post(
        reverse("invoices:deposit"),
        {"file": pdf_upload(pdfs.text_pdf(["x" * 90] * 10)), "pdf_format": "PDF", "cadre": "A1"},
    )
    assert "taille maximale" in html(response)
    assert not Invoice.objects.exists()


def test_deposit_of_a_signed_pdf(logged):
    response = logged.post(
        reverse("invoices:deposit"), {"file": pdf_upload(pdfs.signed_pdf()), "pdf_format": "PDF_SIGNE", "cadre": "A1"}
    )
    assert response.status_code == 302
    assert Invoice.objects.get().deposit_mode == DepositMode.SIGNED_PDF


# --- Drafts -------------------------------------------------------------------------------------


def test_an_incomplete_draft_is_saved(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, recipient=None, amount_ht=None, vat=False)
    data = form_data(invoice, number="", amount_ht="", amount_tva="", amount_ttc="", comment="À finir")
    data.update({"vat-0-base_ht": "", "vat-0-vat_amount": "", "vat-0-rate": "20.00"})
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Status.BROUILLON
    assert invoice.number == "" and invoice.comment == "À finir" and invoice.amount_ht is None


def test_a_refused_sending_keeps_what_was_typed_and_shows_errors_next_to_fields(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    data = form_data(invoice, number="", amount_ttc="1 300,00", comment="Gardé", action="send")
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), data)
    assert response.status_code == 200
    page = html(response)
    assert "La facture comporte des erreurs" in page
    assert "Saisissez le numéro de la facture." in page
    assert "doit être égal au montant HT plus la TVA" in page
    assert page.count("fr-input-group--error") >= 2
    invoice.refresh_from_db()
    assert invoice.status == Status.BROUILLON
    assert invoice.comment == "Gardé" and invoice.amount_ttc == Decimal("1300.00")


def test_the_recipient_rules_are_shown_on_their_fields(logged, member):
    recipient = StructureFactory(public=True, service_required=True, ej_required=True)
    invoice = InvoiceFactory(supplier=member.structure, recipient=recipient)
    page = html(logged.post(reverse("invoices:edit", args=[invoice.pk]), form_data(invoice, action="send")))
    assert "exige un code service" in page
    assert "exige un numéro d'engagement" in page
    assert Invoice.objects.get().status == Status.BROUILLON


def test_a_forbidden_attachment_is_refused_and_the_draft_kept(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    data = form_data(invoice, comment="Nouveau commentaire")
    data["attachments"] = [SimpleUploadedFile("virus.exe", b"MZ..."), SimpleUploadedFile("bl.pdf", b"%PDF-1.4")]
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), data)
    assert response.status_code == 200
    assert "n'est pas accepté en pièce jointe" in html(response)
    invoice.refresh_from_db()
    assert invoice.comment == "Nouveau commentaire"
    assert not invoice.attachments.exists()


def test_attachments_are_added_and_removed(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    data = form_data(invoice)
    data["attachments"] = [
        SimpleUploadedFile("bon de livraison.pdf", b"%PDF-1.4 x"),
        SimpleUploadedFile("d.csv", b"a;b"),
    ]
    assert logged.post(reverse("invoices:edit", args=[invoice.pk]), data).status_code == 302
    assert sorted(invoice.attachments.values_list("original_filename", flat=True)) == ["bon de livraison.pdf", "d.csv"]
    attachment = invoice.attachments.get(original_filename="d.csv")
    response = logged.post(reverse("invoices:attachment_delete", args=[invoice.pk, attachment.pk]))
    assert response.status_code == 302
    assert list(invoice.attachments.values_list("original_filename", flat=True)) == ["bon de livraison.pdf"]


def test_recipient_search_without_javascript(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, recipient=None)
    first = StructureFactory(public=True, name="Ministère des Armées")
    second = StructureFactory(public=True, name="Ministère de la Culture")
    StructureFactory(public=True, name="Ministère fermé", is_active=False)
    response = logged.post(
        reverse("invoices:edit", args=[invoice.pk]), form_data(invoice, recipient_query="ministère", action="search")
    )
    assert response.status_code == 302 and "destinataire=minist" in response["Location"]
    page = html(logged.get(response["Location"]))
    assert first.name in page and second.name in page and "Ministère fermé" not in page
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), form_data(invoice, recipient=str(second.pk)))
    invoice.refresh_from_db()
    assert invoice.recipient == second


def test_a_siret_typed_in_the_search_field_selects_the_recipient(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, recipient=None)
    recipient = StructureFactory(public=True)
    service = ServiceFactory(structure=recipient)
    siret = f"{recipient.identifier[:3]} {recipient.identifier[3:]}"
    logged.post(reverse("invoices:edit", args=[invoice.pk]), form_data(invoice, recipient_query=siret))
    invoice.refresh_from_db()
    assert invoice.recipient == recipient
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert f'<option value="{service.pk}"' in page


def test_an_unknown_recipient_is_reported(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, recipient=None)
    page = html(
        logged.post(reverse("invoices:edit", args=[invoice.pk]), form_data(invoice, recipient_query="Inconnu SA"))
    )
    assert "Aucun destinataire public actif ne correspond" in page


def test_delete_a_draft(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    assert "définitive" in html(logged.get(reverse("invoices:delete", args=[invoice.pk])))
    response = logged.post(reverse("invoices:delete", args=[invoice.pk]))
    assert response.status_code == 302
    assert not Invoice.objects.exists()


def test_a_sent_invoice_is_neither_editable_nor_deletable(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, sent=True)
    assert logged.get(reverse("invoices:edit", args=[invoice.pk]))["Location"] == reverse(
        "invoices:detail", args=[invoice.pk]
    )
    logged.post(reverse("invoices:delete", args=[invoice.pk]))
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_send_from_the_detail_page(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    response = logged.post(reverse("invoices:send", args=[invoice.pk]))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE


def test_send_from_the_detail_page_shows_the_errors_on_the_form(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, number="")
    response = logged.post(reverse("invoices:send", args=[invoice.pk]))
    assert response.status_code == 200
    page = html(response)
    assert "Saisissez le numéro de la facture." in page and "fr-input-group--error" in page
    assert Invoice.objects.get().status == Status.BROUILLON


# --- Manual entry -------------------------------------------------------------------------------


def test_manual_entry_needs_the_mandate_page(logged, member):
    assert logged.get(reverse("invoices:create"))["Location"] == reverse("invoices:mandate")
    page = html(logged.get(reverse("invoices:mandate")))
    assert "mandat de facturation" in page
    assert "doit accepter" not in page
    response = logged.post(reverse("invoices:mandate"), {})
    assert "Vous devez accepter le mandat" in html(response)
    response = logged.post(reverse("invoices:mandate"), {"accept_mandate": "on", "accept_cgu": "on"})
    assert response["Location"] == reverse("invoices:create")
    member.structure.refresh_from_db()
    assert member.structure.mandate_accepted_by == member.user
    assert member.structure.mandate_accepted_at is not None
    assert logged.get(reverse("invoices:create")).status_code == 200


@pytest.fixture
def mandated(member):
    member.structure.mandate_accepted_at = timezone.now()
    member.structure.mandate_accepted_by = member.user
    member.structure.save()
    return member


def test_manual_entry_flow(logged, mandated):
    recipient = StructureFactory(public=True)
    response = logged.post(reverse("invoices:create"), entry_data(recipient))
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoices:edit", args=[invoice.pk])
    assert invoice.deposit_mode == DepositMode.ENTRY and invoice.recipient == recipient
    # 3 × 833.335 = 2500.005 → 2500.01 ; 1.5 × 1000 = 1500.00 at 0 %
    assert (invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc) == (
        Decimal("4000.01"),
        Decimal("500.00"),
        Decimal("4500.01"),
    )
    page = html(logged.get(response["Location"]))
    assert 'value="833,335"' in page and 'value="1,5"' in page
    assert "4\u202f500,01\u00a0€" in page

    preview = logged.get(reverse("invoices:file", args=[invoice.pk]))
    assert preview["Content-Type"] == "application/pdf"

    data = entry_data(recipient, action="send", recipient_query="")
    data["recipient"] = str(recipient.pk)
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), data)
    assert response.status_code == 302, html(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE and invoice.lines.count() == 2
    assert invoice.pdf_original_filename == "facture-S-2026-1.pdf"
    download = logged.get(reverse("invoices:file", args=[invoice.pk]))
    text = PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages[0].extract_text()
    assert "Audit" in text and "Formation" in text


def test_add_line_saves_and_comes_back(logged, mandated):
    recipient = StructureFactory(public=True)
    data = entry_data(recipient, action="add_line")
    response = logged.post(reverse("invoices:create"), data)
    invoice = Invoice.objects.get()
    assert response["Location"].endswith("#lignes")
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert 'name="lines-TOTAL_FORMS" value="3"' in page


def test_each_typed_line_shows_its_total_without_javascript(logged, mandated):
    data = entry_data(StructureFactory(public=True), action="add_line", **{"lines-1-unit_price_ht": "abc"})
    page = logged.post(reverse("invoices:create"), data).content.decode()  # refused: the typed values
    totals = re.findall(r"data-line-total[^>]*>([^<]*)</td>", page)
    assert totals[:2] == ["2\u202f500,01\u00a0€", ""]  # 3 × 833,335; the line with a bad price has none
    logged.post(reverse("invoices:create"), entry_data(StructureFactory(public=True), action="add_line"))
    page = logged.get(reverse("invoices:edit", args=[Invoice.objects.get().pk])).content.decode()  # saved
    totals = re.findall(r"data-line-total[^>]*>([^<]*)</td>", page)
    assert totals == ["2\u202f500,01\u00a0€", "1\u202f500,00\u00a0€", "", ""]  # the new row, the template row


def test_a_half_filled_line_is_reported(logged, mandated):
    data = entry_data(StructureFactory(public=True), **{"lines-1-quantity": "", "lines-1-unit_price_ht": "abc"})
    page = html(logged.post(reverse("invoices:create"), data))
    assert "Saisissez la quantité." in page
    assert not Invoice.objects.exists()


# --- Downloads ----------------------------------------------------------------------------------


def test_downloads_use_the_original_name(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, pdf_original_filename="Facture n°1 «été».pdf")
    attachment = InvoiceAttachmentFactory(invoice=invoice, original_filename='ann"exe <1>.txt')
    response = logged.get(reverse("invoices:file", args=[invoice.pk]))
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("Facture n°1 «été».pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    response = logged.get(reverse("invoices:attachment", args=[invoice.pk, attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="ann\\"exe <1>.txt"'
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"contenu de la piece jointe"


def test_the_certificate_of_a_sent_invoice(logged, member):
    invoice = InvoiceFactory(supplier=member.structure)
    assert logged.get(reverse("invoices:certificate", args=[invoice.pk])).status_code == 404
    logged.post(reverse("invoices:send", args=[invoice.pk]))
    invoice.refresh_from_db()
    response = logged.get(reverse("invoices:certificate", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert invoice.identifier in text
    assert invoice.certificate_fingerprint[:32] in text.replace("\n", "")


def test_files_are_not_public_media(client, member):
    invoice = InvoiceFactory(supplier=member.structure)
    assert client.get("/media/" + invoice.pdf.name).status_code == 404
    assert client.get(reverse("invoices:file", args=[invoice.pk])).status_code == 302  # to the login page


# --- JSON look-ups ------------------------------------------------------------------------------


def test_recipient_search_json(logged):
    recipient = StructureFactory(public=True, name="Direction régionale des finances")
    StructureFactory(name="Direction privée SAS")
    data = logged.get(reverse("invoices:recipient_search"), {"q": "direction"}).json()
    assert [r["id"] for r in data["results"]] == [recipient.pk]
    data = logged.get(reverse("invoices:recipient_search"), {"q": recipient.identifier[:5]}).json()
    assert [r["siret"] for r in data["results"]] == [recipient.identifier]


def test_recipient_services_json(logged):
    recipient = StructureFactory(public=True)
    active = ServiceFactory(structure=recipient, code="ACHATS")
    ServiceFactory(structure=recipient, code="ANCIEN", is_active=False)
    ServiceFactory(structure=recipient, code=Service.RESERVED_CODE)
    data = logged.get(reverse("invoices:recipient_services", args=[recipient.pk])).json()
    assert [s["id"] for s in data["results"]] == [active.pk]
    assert logged.get(reverse("invoices:recipient_services", args=[StructureFactory().pk])).status_code == 404


# --- Access -------------------------------------------------------------------------------------


def _id_urls(invoice, attachment):
    return [
        ("get", reverse("invoices:detail", args=[invoice.pk])),
        ("get", reverse("invoices:edit", args=[invoice.pk])),
        ("post", reverse("invoices:edit", args=[invoice.pk])),
        ("get", reverse("invoices:delete", args=[invoice.pk])),
        ("post", reverse("invoices:delete", args=[invoice.pk])),
        ("post", reverse("invoices:send", args=[invoice.pk])),
        ("get", reverse("invoices:file", args=[invoice.pk])),
        ("get", reverse("invoices:attachment", args=[invoice.pk, attachment.pk])),
        ("post", reverse("invoices:attachment_delete", args=[invoice.pk, attachment.pk])),
        ("get", reverse("invoices:certificate", args=[invoice.pk])),
    ]


@pytest.mark.parametrize("who", ["other-structure", "pending", "refused", "revoked"])
def test_every_page_with_an_id_is_404_for_outsiders(client, who):
    invoice = InvoiceFactory(sent=True, certificate_fingerprint="0" * 64)
    draft = InvoiceFactory(supplier=invoice.supplier)
    attachment = InvoiceAttachmentFactory(invoice=draft)
    sent_attachment = InvoiceAttachmentFactory(invoice=invoice)
    if who == "other-structure":
        user = MembershipFactory().user
    else:
        user = MembershipFactory(structure=invoice.supplier, **{who: True}).user
    client.force_login(user)
    for target, att in ((invoice, sent_attachment), (draft, attachment)):
        for method, url in _id_urls(target, att):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url, response.status_code)
    assert Invoice.objects.filter(pk=draft.pk, status=Status.BROUILLON).exists()
    assert draft.attachments.count() == 1


def test_a_member_of_the_supplier_sees_every_page(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, sent=True, certificate_fingerprint="0" * 64)
    attachment = InvoiceAttachmentFactory(invoice=invoice)
    for url in (
        reverse("invoices:detail", args=[invoice.pk]),
        reverse("invoices:file", args=[invoice.pk]),
        reverse("invoices:attachment", args=[invoice.pk, attachment.pk]),
        reverse("invoices:certificate", args=[invoice.pk]),
    ):
        response = logged.get(url)
        assert response.status_code == 200, url
        assert response.getvalue(), url  # reading a file response to its end closes its file
