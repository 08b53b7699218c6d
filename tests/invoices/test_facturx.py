"""Factur-X: a PDF made with the factur-x library round-trips into a pre-filled draft and form;
a Factur-X whose XML is unreadable or whose amounts disagree is refused with a clear message."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices import extraction, services, structured
from invoices.models import Invoice
from invoices.workflow import Status
from tests.conftest import html
from tests.invoices import pdfs
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory


def parse(**overrides):
    return structured.parse_structured(pdfs.cii_xml(**overrides))


def test_every_field_chorus_reads_is_read():
    found = parse(
        number="FX-42",
        issue_date=date(2026, 3, 4),
        buyer_reference="SERV01",
        order_reference="EJ0001234",
        contract_reference="MARCHE-2025-7",
        cadre="A9",
        vat=[("20.00", "1000.00", "200.00"), ("5.50", "200.00", "11.00"), ("0.00", "50.00", "0.00")],
    )
    assert found.source == "facturx"
    assert found.number == "FX-42"
    assert found.invoice_date == date(2026, 3, 4)
    assert found.invoice_type == "FACTURE"
    assert found.cadre == "A9"
    assert found.service_code == "SERV01"
    assert found.engagement_number == "EJ0001234"
    assert found.market_number == "MARCHE-2025-7"
    assert found.supplier_siret == "73282932000074"
    assert found.recipient_siret == "11000201100044"
    assert found.payment_mode == "VIREMENT"
    assert (found.amount_ht, found.amount_tva, found.amount_ttc) == (
        Decimal("1250.00"),
        Decimal("211.00"),
        Decimal("1461.00"),
    )
    assert [(v.rate, v.base_ht, v.vat_amount) for v in found.vat_lines] == [
        (Decimal("20.00"), Decimal("1000.00"), Decimal("200.00")),
        (Decimal("5.50"), Decimal("200.00"), Decimal("11.00")),
        (Decimal("0.00"), Decimal("50.00"), Decimal("0.00")),
    ]
    assert found.vat_lines[2].exemption_reason.startswith("Exonération")


def test_cadre_is_a1_when_absent():
    assert parse(cadre=None).cadre == "A1"


def test_a_credit_note():
    found = parse(type_code="381", preceding_invoice="F-2025-99")
    assert found.invoice_type == "AVOIR"
    assert found.original_invoice_number == "F-2025-99"
    assert found.payment_mode == ""


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"total_ttc": "1300.00"}, "ne concordent pas"),
        ({"total_ht": "900.00", "total_ttc": "1100.00"}, "somme des bases"),
        ({"total_tva": "150.00", "total_ttc": "1150.00"}, "somme des montants de TVA"),
        ({"type_code": "999"}, "type de document"),
        ({"number": ""}, "numéro de facture"),
        ({"number": "X" * 21}, "dépasse 20 caractères"),
    ],
)
def test_unusable_data_is_refused(overrides, words):
    with pytest.raises(extraction.ExtractionError, match=words):
        parse(**overrides)


def test_amount_messages_use_the_portal_money_format():
    with pytest.raises(extraction.ExtractionError) as excinfo:
        parse(total_ttc="1300.00")
    assert str(excinfo.value) == (
        "Les montants du XML ne concordent pas : HT 1\u202f000,00\u00a0€ (BT-109) + TVA 200,00\u00a0€ (BT-110) = "
        "1\u202f200,00\u00a0€, mais le TTC indiqué (BT-112) est 1\u202f300,00\u00a0€."
    )


def test_an_impossible_date_is_refused():
    xml = pdfs.cii_xml().replace(b'format="102">20260115', b'format="102">20261345')
    with pytest.raises(extraction.ExtractionError, match="n'existe pas"):
        structured.parse_structured(xml)


def test_not_euros_is_refused():
    xml = pdfs.cii_xml().replace(b"<ram:InvoiceCurrencyCode>EUR", b"<ram:InvoiceCurrencyCode>USD")
    with pytest.raises(extraction.ExtractionError, match="euros"):
        structured.parse_structured(xml)


def test_malformed_xml_and_external_entities_are_refused():
    with pytest.raises(extraction.ExtractionError, match="pas un XML bien formé"):
        structured.parse_structured(b"<rsm:CrossIndustryInvoice")
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(extraction.ExtractionError):
        structured.parse_structured(xxe)


# --- Through the deposit service and the form ------------------------------------------------


@pytest.fixture
def supplier_member(db):
    membership = MembershipFactory(structure=StructureFactory(identifier="73282932000074"))
    return membership


def deposit(member, data: bytes, **kwargs):
    return services.invoice_deposit(
        supplier=member.structure,
        user=member.user,
        file=SimpleUploadedFile("facture-fx.pdf", data, content_type="application/pdf"),
        **kwargs,
    )


def test_a_factur_x_round_trips_into_a_prefilled_form(client, supplier_member):
    recipient = StructureFactory(public=True, identifier="11000201100044", name="Ministère de l'exemple")
    service = ServiceFactory(structure=recipient, code="SERV01")
    data = pdfs.facturx_pdf(
        number="FX-2026-77",
        buyer_reference="SERV01",
        order_reference="EJ0001234",
        contract_reference="M-7",
        vat=[("20.00", "1000.00", "200.00"), ("10.00", "300.00", "30.00")],
    )
    invoice = deposit(supplier_member, data, cadre="A2")
    assert invoice.status == Status.BROUILLON
    assert invoice.number == "FX-2026-77"
    assert invoice.invoice_date == date(2026, 1, 15)
    assert invoice.recipient == recipient
    assert invoice.recipient_service == service
    assert invoice.engagement_number == "EJ0001234"
    assert invoice.market_number == "M-7"
    assert invoice.cadre == "A1"  # the XML has no BT-23: A1, whatever was chosen at upload
    assert invoice.amount_ttc == Decimal("1530.00")
    assert invoice.vat_lines.count() == 2
    assert invoice.extracted_data["source"] == "facturx"

    client.force_login(supplier_member.user)
    page = html(client.get(reverse("invoices:edit", args=[invoice.pk])))
    # Read-only: the XML's data, no input to change it.
    assert "Données de la facture : XML Factur-X (UN/CEFACT CII, profil EN 16931)" in page
    assert "<dd>FX-2026-77</dd>" in page and 'name="number"' not in page
    assert "<dd>15/01/2026</dd>" in page and 'name="invoice_date"' not in page
    assert "Ministère de l'exemple" in page
    assert "<dd>EJ0001234</dd>" in page and 'name="engagement_number"' not in page
    assert 'name="amount_ttc"' not in page and 'name="vat-0-rate"' not in page
    assert "1\u202f530,00\u00a0€" in page
    assert "Données lues dans le Factur-X" in page


def test_bt23_cadre_wins_over_the_choice_at_upload(supplier_member):
    invoice = deposit(supplier_member, pdfs.facturx_pdf(cadre="A12"), cadre="A2")
    assert invoice.cadre == "A12"


def test_a_factur_x_whose_embedded_xml_is_broken_is_refused(supplier_member):
    data = pdfs.with_embedded_file(pdfs.text_pdf(), "factur-x.xml", b"<rsm:CrossIndustryInvoice><oops")
    with pytest.raises(ValidationError) as info:
        deposit(supplier_member, data)
    assert "factur-x.xml que le portail ne peut pas lire" in info.value.message_dict["file"][0]
    assert not Invoice.objects.exists()


def test_a_factur_x_generated_with_an_invalid_xml_is_refused(supplier_member):
    xml = pdfs.cii_xml().replace(b"<ram:TaxBasisTotalAmount>1000.00", b"<ram:TaxBasisTotalAmount>mille")
    with pytest.raises(ValidationError) as info:
        deposit(supplier_member, pdfs.facturx_pdf(xml))
    assert "n'est pas un nombre" in info.value.message_dict["file"][0]
    assert not Invoice.objects.exists()


def test_a_factur_x_whose_amounts_disagree_is_refused(supplier_member):
    with pytest.raises(ValidationError) as info:
        deposit(supplier_member, pdfs.facturx_pdf(total_ttc="1250.00"))
    assert "ne concordent pas" in info.value.message_dict["file"][0]
    assert not Invoice.objects.exists()


def test_a_factur_x_of_another_supplier_is_refused(supplier_member):
    with pytest.raises(ValidationError) as info:
        deposit(supplier_member, pdfs.facturx_pdf(seller_siret="35600000000048"))
    assert info.value.message_dict["file"] == [
        "Cette facture est émise par le SIRET 35600000000048, le numéro de TVA FR39356000000 (vendeur « Entreprise "
        "Exemple SAS »), et non par "
        f"votre structure {supplier_member.structure.name} (SIRET 73282932000074) : vérifiez le fichier ou la "
        "structure choisie."
    ]
