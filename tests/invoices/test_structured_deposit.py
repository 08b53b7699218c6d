"""Structured invoices through the deposit page, the form and "Valider et envoyer": the data sent is
the XML's (bound fields read-only, a tampering POST refused), XML files (CII, UBL) get a PDF made
from their data and keep their XML, avoirs are linked to their original invoice (BT-25)."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from invoices import extraction, services, structured
from invoices.models import DepositMode, Invoice, InvoiceType
from invoices.samples import generated_facturx_pdf, generated_xml, structured_data
from invoices.workflow import Status
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import BankAccountFactory, MembershipFactory, ServiceFactory, StructureFactory

D = Decimal
SELLER = "73282932000074"
BUYER = "11000201100044"
FOREIGN_LINES = [("Livres", "10", "62.49", "7.00"), ("Conseil", "1", "350.00", "19.00")]


@pytest.fixture
def member(db):
    membership = MembershipFactory(structure=StructureFactory(identifier=SELLER, name="Entreprise Exemple SAS"))
    BankAccountFactory(structure=membership.structure)  # the single account is chosen at deposit
    return membership


@pytest.fixture
def recipient(db):
    return StructureFactory(public=True, identifier=BUYER, name="Ministère de l'exemple")


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def send(logged, invoice, action="send", **data):
    """The form's POST as the page makes it: the read-only fields are not in it."""
    data = {"action": action, "bank_account": invoice.bank_account_id or "", **data}
    return logged.post(reverse("invoices:edit", args=[invoice.pk]), data)


def upload(data: bytes, name: str):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def deposit(member, data: bytes, name="facture.pdf") -> Invoice:
    return services.invoice_deposit(supplier=member.structure, user=member.user, file=upload(data, name))


def test_a_factur_x_with_7_and_19_percent_is_sent_exactly_as_invoiced(logged, member, recipient):
    invoice = deposit(member, generated_facturx_pdf(lines=FOREIGN_LINES))
    assert (invoice.source_syntax, invoice.type_code, invoice.recipient) == ("FACTURX", "380", recipient)
    assert invoice.source_xml  # the XML, stored as the invoice's source
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert page.count("hors taux français") == 2
    assert "7\u00a0%" in page and "19\u00a0%" in page and "20\u00a0%" not in page
    response = send(logged, invoice)
    assert response.status_code == 302, html(response)
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE
    assert (invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc) == (D("974.90"), D("110.24"), D("1085.14"))
    assert sorted(invoice.vat_lines.values_list("rate", "base_ht", "vat_amount")) == [
        (D("7.00"), D("624.90"), D("43.74")),
        (D("19.00"), D("350.00"), D("66.50")),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_ttc", "1200,00", "Le montant TTC vient du XML de la facture (BT-112)"),
        ("amount_ht", "1000,00", "Le montant HT vient du XML de la facture (BT-109)"),
        ("number", "AUTRE-1", "Le numéro de facture vient du XML de la facture (BT-1)"),
        ("invoice_date", "2026-01-20", "La date de facture vient du XML de la facture (BT-2)"),
        ("vat-0-rate", "20.00", "Le récapitulatif de TVA vient du XML de la facture (BG-23)"),
        ("recipient_query", "Préfecture", "Le destinataire vient du XML de la facture (BT-47)"),
    ],
)
def test_a_post_that_tampers_with_bound_data_is_refused(logged, member, recipient, field, value, message):
    invoice = deposit(member, generated_facturx_pdf(lines=FOREIGN_LINES))
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), {"action": "send", field: value})
    assert response.status_code == 200
    assert message in html(response)
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before


def test_a_post_that_names_another_recipient_is_refused(logged, member, recipient):
    other = StructureFactory(public=True)
    invoice = deposit(member, generated_facturx_pdf())
    response = logged.post(reverse("invoices:edit", args=[invoice.pk]), {"action": "draft", "recipient": other.pk})
    assert "Le destinataire vient du XML de la facture (BT-47)" in html(response)
    invoice.refresh_from_db()
    assert invoice.recipient == recipient


def test_the_draft_service_refuses_a_change_of_bound_fields_from_any_caller(member, recipient):
    invoice = deposit(member, generated_facturx_pdf())
    with pytest.raises(ValidationError) as info:
        services.invoice_save_draft(
            invoice=invoice, user=member.user, amount_ttc=D("1.00"), recipient=StructureFactory(public=True)
        )
    assert info.value.message_dict["amount_ttc"][0].startswith("Le montant TTC vient du XML de la facture (BT-112)")
    assert info.value.message_dict["recipient"][0].startswith("Le destinataire vient du XML de la facture (BT-47)")
    with pytest.raises(ValidationError) as info:
        services.invoice_save_draft(invoice=invoice, user=member.user, vat_lines=[])
    assert "BG-23" in info.value.message_dict["vat_lines"][0]


def test_sending_compares_the_draft_with_its_xml_again(member, recipient):
    invoice = deposit(member, generated_facturx_pdf())
    Invoice.objects.filter(pk=invoice.pk).update(amount_ht=D("1100.00"), amount_ttc=D("1300.00"))
    invoice.vat_lines.update(base_ht=D("1100.00"))
    errors = services.send_errors(Invoice.objects.get(pk=invoice.pk), member.user)
    assert errors["amount_ht"][0].startswith("Le montant HT vient du XML de la facture (BT-109)")
    assert errors["vat_lines"][-1].startswith("Le récapitulatif de TVA vient du XML de la facture (BG-23)")


def test_choosable_where_the_xml_lacks_them_code_service_and_ej(logged, member, recipient):
    recipient.service_required = True
    recipient.save()
    service = ServiceFactory(structure=recipient, code="SE9")
    invoice = deposit(member, generated_facturx_pdf())  # no BT-10, no BT-13
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert 'name="recipient_service"' in page and 'name="engagement_number"' in page
    assert "Le XML ne porte pas de code service (BT-10) et Ministère de l'exemple en demande un" in page
    response = send(logged, invoice, recipient_service=service.pk, engagement_number="EJ-42")
    assert response.status_code == 302, html(response)
    invoice.refresh_from_db()
    assert (invoice.recipient_service, invoice.engagement_number, invoice.status) == (service, "EJ-42", "DEPOSEE")


def test_an_xml_service_code_unknown_to_the_recipient_is_explained(logged, member, recipient):
    invoice = deposit(member, generated_facturx_pdf(buyer_reference="INCONNU"))
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert "Le code service du XML (BT-10 : « INCONNU ») n'est pas un service actif de Ministère de l'exemple" in page
    assert "BT-10" in services.send_errors(invoice, member.user)["recipient_service"][0]


def test_a_buyer_name_that_differs_from_the_directory_is_explained(logged, member, recipient):
    recipient.name = "Ministère de l'Exemple et des Essais"
    recipient.save()
    invoice = deposit(member, generated_facturx_pdf())
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert (
        "Le XML nomme l'acheteur « Ministère de l'exemple » ; l'annuaire nomme le SIRET 11000201100044 "
        "« Ministère de l'Exemple et des Essais »" in page
    )


# --- XML files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (generated_xml(syntax="cii"), "facture.xml"),
        (generated_xml(syntax="ubl"), "facture.xml"),
        (generated_facturx_pdf(), "facture.pdf"),
    ],
)
def test_a_structured_file_is_read_once_at_deposit(monkeypatch, member, recipient, data, name):
    """The portal's rules read the XML, then the XSD and schematron check it: the check reuses what
    was read instead of reading the XML a second time (issue 14, the API's deposits)."""
    reads = []
    real_parse = structured.parse_structured

    def counting_parse(xml, **kwargs):
        reads.append(kwargs.get("container"))
        return real_parse(xml, **kwargs)

    monkeypatch.setattr(structured, "parse_structured", counting_parse)
    invoice = deposit(member, data, name)
    assert len(reads) == 1
    assert invoice.source_syntax and invoice.number == "FX-2026-0100"


@pytest.mark.parametrize(("syntax", "label"), [("ubl", "UBL"), ("cii", "CII")])
def test_an_xml_file_is_deposited_with_a_pdf_made_from_its_data(logged, member, recipient, syntax, label):
    xml = generated_xml(syntax=syntax, number="XML-2026-7", lines=FOREIGN_LINES)
    response = logged.post(
        reverse("invoices:deposit"), {"file": upload(xml, "facture.xml"), "pdf_format": "PDF", "cadre": "A1"}
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert (invoice.deposit_mode, invoice.source_syntax) == (DepositMode.XML, label)
    assert invoice.pdf_original_filename == "facture.pdf"
    with invoice.pdf.open("rb") as handle:
        text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert "Facture n° XML-2026-7" in text and "le XML fait foi" in text and "Livres" in text
    with invoice.source_xml.open("rb") as handle:
        assert handle.read() == xml
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert "Données lues dans le fichier XML" in page
    response = send(logged, invoice)
    assert response.status_code == 302, html(response)


def test_a_ubl_credit_note_file(logged, member, recipient):
    invoice = deposit(member, generated_xml(syntax="ubl", type_code="381", preceding_invoice="F-X"), "avoir.xml")
    assert (invoice.invoice_type, invoice.type_code, invoice.original_invoice_number) == ("AVOIR", "381", "F-X")
    assert invoice.document_label == "Avoir"


def test_a_broken_xml_file_is_refused_with_its_message(logged, member):
    response = logged.post(
        reverse("invoices:deposit"), {"file": upload(b"<Invoice><oops", "f.xml"), "pdf_format": "PDF", "cadre": "A1"}
    )
    assert "Le fichier XML de la facture n&#x27;est pas un XML bien formé" in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_xml_of_another_seller_names_its_identifiers(member):
    data = structured_data(seller={"name": "Muster GmbH", "legal_identifier": "HRB 12345", "country_code": "DE"})
    with pytest.raises(ValidationError) as info:
        deposit(member, generated_xml(data), "f.xml")
    assert info.value.message_dict["file"] == [
        "Cette facture est émise par le numéro HRB 12345 (registre du commerce allemand) (vendeur « Muster GmbH »), "
        "et non par votre structure Entreprise Exemple SAS (SIRET 73282932000074) : vérifiez le fichier ou la "
        "structure choisie."
    ]


def test_a_seller_named_by_siren_or_vat_number_of_the_structure_is_accepted(member, recipient):
    # The second seller has its SIREN as legal identifier (read first) and, as a standard-rated invoice
    # must (EN 16931 BR-S-02), a VAT number.
    for seller in (
        {"name": "X", "vat_identifier": "FR44732829320"},
        {"name": "X", "legal_identifier": "732829320", "vat_identifier": "FR44732829320"},
    ):
        invoice = deposit(member, generated_xml(structured_data(seller={**seller, "country_code": "FR"})), "f.xml")
        assert invoice.source_syntax == "CII"
        invoice.delete()


def test_the_minimum_profile_is_refused_at_deposit(member):
    from tests.invoices import pdfs

    with pytest.raises(ValidationError) as info:
        deposit(member, pdfs.facturx_pdf(guideline="urn:factur-x.eu:1p0:minimum"))
    assert info.value.message_dict["file"][0].startswith("Profil MINIMUM non accepté")


def test_another_structure_cannot_download_the_xml(client, logged, member, recipient):
    invoice = deposit(member, generated_xml(), "f.xml")
    url = reverse("invoices:source_xml", args=[invoice.pk])
    response = logged.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert b"".join(response.streaming_content).startswith(b"<?xml")
    other = MembershipFactory()
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("invoices:edit", args=[invoice.pk])).status_code == 404


# --- Negative totals and avoirs (BT-25) -------------------------------------------------------------


def test_a_corrective_invoice_with_negative_totals_is_sent_with_its_signs(member, recipient):
    original = InvoiceFactory(supplier=member.structure, recipient=recipient, sent=True, number="F-1")
    invoice = deposit(member, generated_facturx_pdf(type_code="384", sign=-1, preceding_invoice="F-1"))
    sent = services.invoice_send(invoice=invoice, user=member.user)
    sent.refresh_from_db()
    assert (sent.amount_ht, sent.amount_ttc, sent.document_label) == (
        D("-1000.00"),
        D("-1200.00"),
        "Facture rectificative",
    )
    assert sent.original_invoice == original


def test_an_avoir_is_linked_to_its_original_invoice_and_says_avoir(logged, member, recipient):
    original = InvoiceFactory(supplier=member.structure, recipient=recipient, sent=True, number="F-2026-9")
    invoice = deposit(member, generated_facturx_pdf(type_code="381", preceding_invoice="F-2026-9"))
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert 'id="original-warning"' not in page
    services.invoice_send(invoice=invoice, user=member.user)
    invoice.refresh_from_db()
    assert invoice.original_invoice == original
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "<h1>Avoir FX-2026-0100</h1>" in page
    assert f'href="/factures/{original.pk}/" id="original-invoice-link">n° F-2026-9 ({original.identifier})' in page
    assert "Avoir n° FX-2026-0100" in html(logged.get(reverse("invoices:detail", args=[original.pk])))


def test_the_avoir_emails_say_avoir(member, recipient):
    from invoices import notifications

    invoice = deposit(member, generated_facturx_pdf(type_code="381", preceding_invoice="F-404"))
    invoice = services.invoice_send(invoice=invoice, user=member.user)
    event = invoice.events.get()
    (message,) = notifications.event_messages(event)
    assert f"Avoir {invoice.identifier} :" in message.subject
    assert message.body.splitlines()[2].startswith(f"L'avoir n° FX-2026-0100 (identifiant {invoice.identifier}) de")
    assert "adressé à Ministère de l'exemple, est passé au statut" in message.body


def test_an_unknown_original_number_is_a_warning_not_an_error(logged, member, recipient):
    invoice = deposit(member, generated_facturx_pdf(type_code="381", preceding_invoice="F-INCONNUE"))
    page = html(logged.get(reverse("invoices:edit", args=[invoice.pk])))
    assert (
        "La facture d'origine n° F-INCONNUE n'a pas été trouvée parmi les factures envoyées par votre structure sur "
        "le portail : le document sera envoyé avec ce numéro, sans lien vers elle." in page
    )
    sent = services.invoice_send(invoice=invoice, user=member.user)
    assert sent.original_invoice is None and sent.status == Status.DEPOSEE


def test_an_original_invoice_to_another_recipient_is_refused(member, recipient):
    original = InvoiceFactory(supplier=member.structure, sent=True, number="F-AUTRE")
    invoice = deposit(member, generated_facturx_pdf(type_code="381", preceding_invoice="F-AUTRE"))
    errors = services.send_errors(invoice, member.user)
    assert errors["original_invoice_number"] == [
        f"La facture d'origine n° F-AUTRE ({original.identifier}) a été adressée à {original.recipient.name} : "
        "un avoir est adressé au même destinataire que la facture qu'il corrige."
    ]


def test_a_typed_avoir_is_linked_too(member, recipient):
    original = InvoiceFactory(supplier=member.structure, recipient=recipient, sent=True, number="F-T-1")
    avoir = InvoiceFactory(
        supplier=member.structure,
        recipient=recipient,
        invoice_type=InvoiceType.CREDIT_NOTE,
        original_invoice_number="F-T-1",
    )
    services.invoice_send(invoice=avoir, user=member.user)
    avoir.refresh_from_db()
    assert avoir.original_invoice == original


def test_an_avoir_without_original_number_is_refused(member, recipient):
    avoir = InvoiceFactory(supplier=member.structure, recipient=recipient, invoice_type=InvoiceType.CREDIT_NOTE)
    assert services.send_errors(avoir, member.user)["original_invoice_number"] == [
        "Un avoir fait référence à une facture : indiquez le numéro de la facture d'origine (BT-25)."
    ]


def test_extraction_error_is_a_french_message():
    assert issubclass(extraction.ExtractionError, Exception)


def test_a_plain_pdf_draft_keeps_a_foreign_rate_in_its_select(logged, member, recipient):
    """The bug of issue 12: a 7 % line showed as "20 %" in the select and was saved as 20 %."""
    draft = InvoiceFactory(
        supplier=member.structure, recipient=recipient, amount_tva=D("70.00"), amount_ttc=D("1070.00")
    )
    draft.vat_lines.update(rate=D("7.00"), vat_amount=D("70.00"))
    page = html(logged.get(reverse("invoices:edit", args=[draft.pk])))
    assert '<option value="7.00" selected>7 % (hors taux français)</option>' in page
    assert "Le taux de TVA de 7\u00a0% n'est pas un taux en vigueur en France" in page
    data = {
        "action": "draft",
        "number": draft.number,
        "invoice_date": draft.invoice_date.isoformat(),
        "invoice_type": "FACTURE",
        "cadre": "A1",
        "recipient": recipient.pk,
        "amount_ht": "1000,00",
        "amount_tva": "70,00",
        "amount_ttc": "1070,00",
        "vat-TOTAL_FORMS": "1",
        "vat-INITIAL_FORMS": "1",
        "vat-0-rate": "7.00",
        "vat-0-base_ht": "1000,00",
        "vat-0-vat_amount": "70,00",
    }
    response = logged.post(reverse("invoices:edit", args=[draft.pk]), data)
    assert response.status_code == 302, html(response)
    assert list(draft.vat_lines.values_list("rate", flat=True)) == [D("7.00")]


def test_a_corrected_factur_x_keeps_its_xml_and_replaces_the_breakdown(logged, member, recipient):
    rejected = InvoiceFactory(supplier=member.structure, recipient=recipient, sent=True, status=Status.REJETEE)
    draft = services.invoice_copy_as_draft(invoice=rejected, user=member.user)
    services.invoice_replace_pdf(
        invoice=draft, user=member.user, file=upload(generated_facturx_pdf(lines=FOREIGN_LINES), "f.pdf")
    )
    draft.refresh_from_db()
    assert draft.source_syntax == "FACTURX" and draft.source_xml
    assert sorted(draft.vat_lines.values_list("rate", flat=True)) == [D("7.00"), D("19.00")]


def test_a_rejected_corrective_invoice_with_negative_totals_is_copied(member, recipient):
    rejected = InvoiceFactory(
        supplier=member.structure,
        recipient=recipient,
        sent=True,
        status=Status.REJETEE,
        type_code="384",
        amount_ht=D("-100.00"),
        amount_tva=D("-20.00"),
        amount_ttc=D("-120.00"),
    )
    copy = services.invoice_copy_as_draft(invoice=rejected, user=member.user)
    assert (copy.type_code, copy.amount_ttc) == ("384", D("-120.00"))


def test_a_factur_x_deposit_is_not_called_an_unsigned_pdf(logged, member, recipient):
    invoice = deposit(member, generated_facturx_pdf())
    assert invoice.deposit_mode == DepositMode.PDF  # the official code stays
    for url in (reverse("invoices:edit", args=[invoice.pk]), reverse("invoices:detail", args=[invoice.pk])):
        page = html(logged.get(url))
        assert "Dépôt d'une facture Factur-X" in page, url
        assert "PDF non signé" not in page, url
    plain = InvoiceFactory(supplier=member.structure)
    assert "Dépôt d'un PDF non signé" in html(logged.get(reverse("invoices:edit", args=[plain.pk])))
