"""Validation explained in French (``invoices.validation``): XSD and EN 16931 schematron run by the
saxonche worker on files the project generates, each broken case with its French message, the
worker's crash and timeout, the cache, « Vérifier ma facture » (which keeps nothing) and the
deposit refusing a file for its EN 16931 errors."""

import os
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from invoices import services, validation
from invoices.models import Invoice
from invoices.samples import cii_xml, generated_facturx_pdf, generated_xml, structured_data
from invoices.validation import client, explain
from tests.conftest import html
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

SELLER = "73282932000074"
BUYER = "11000201100044"
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def drop(xml: bytes, path: str, namespaces: dict) -> bytes:
    root = etree.fromstring(xml)
    node = root.find(path, namespaces)
    node.getparent().remove(node)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def check(xml: bytes) -> validation.Report:
    report, _found = validation.check_xml(xml)
    return report


def by_rule(report, rule):
    return next(f for f in report.findings if f.rule == rule)


@pytest.fixture(autouse=True)
def _fresh_worker():
    yield
    client.stop()


# --- Valid files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_valid_invoice_has_no_finding(syntax):
    report = check(generated_xml(syntax=syntax))
    assert report.ok and report.findings == [] and not report.failure
    assert report.syntax == ("UN/CEFACT CII" if syntax == "cii" else "UBL 2.1 Invoice")
    assert (report.profile, report.type_code, report.type_label) == ("EN 16931", "380", "facture")


def test_a_valid_credit_note_and_the_hand_written_cii_have_no_finding():
    assert check(generated_xml(syntax="ubl", type_code="381", preceding_invoice="F-1")).findings == []
    assert check(cii_xml(vat=[("20.00", "1000.00", "200.00"), ("5.50", "100.00", "5.50")])).findings == []


# --- Broken files, each explained -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "namespaces", "path"),
    [(cii_xml, CII, "rsm:ExchangedDocument/ram:ID"), (lambda: generated_xml(syntax="ubl"), UBL, "cbc:ID")],
)
def test_a_missing_invoice_number_is_explained(xml, namespaces, path):
    report = check(drop(xml(), path, namespaces))
    finding = by_rule(report, "BR-02")
    assert finding.severity == validation.ERROR
    assert finding.title == "BT-1 Numéro de facture"
    assert finding.problem == "Le numéro de facture (BT-1) est absent."
    assert finding.fix == "Donnez à la facture son numéro, unique pour votre structure dans l'année."
    assert finding.message == "[BR-02]-An Invoice shall have an Invoice number (BT-1)."
    assert finding.location  # the XPath, for the technical detail
    xsd = by_rule(report, "XSD")
    assert "n'est pas attendu à cet endroit du XML" in xsd.problem
    # The portal's own rule says it too.
    assert "Le fichier XML ne contient pas de numéro de facture (BT-1)." in [f.problem for f in report.errors]


def test_a_wrong_total_is_br_co_15():
    finding = by_rule(check(cii_xml(total_ttc="1250.00")), "BR-CO-15")
    assert finding.title == "BT-112 Montant total TTC"
    assert finding.problem == (
        "Le montant total TTC (BT-112) n'est pas égal au total hors TVA (BT-109) plus le total de la TVA (BT-110)."
    )
    assert finding.fix == "Recalculez le TTC : HT + TVA, au centime."
    assert finding.term_labels == [
        "BT-112 Montant total TTC",
        "BT-109 Montant total hors TVA",
        "BT-110 Montant total de la TVA",
    ]


def test_a_standard_rate_of_zero_is_br_s_05():
    data = structured_data(lines=[("Article", "1", "100.00", "0.00")])
    data["BG-25"][0]["BT-151"] = data["BG-23"][0]["BT-118"] = "S"
    data["BG-23"][0].pop("BT-120")
    finding = by_rule(check(generated_xml(data)), "BR-S-05")
    assert finding.title == "BT-152 Taux de TVA de la ligne"
    assert finding.problem == "Le taux de TVA d'une ligne (BT-152) ne convient pas à sa catégorie « S » (taux normal)."
    assert finding.fix.startswith("En taux normal, le taux est supérieur à zéro")


def test_an_unknown_vat_category_is_explained_in_both_syntaxes():
    cii = check(cii_xml().replace(b"<ram:CategoryCode>S</ram:CategoryCode>", b"<ram:CategoryCode>X</ram:CategoryCode>"))
    assert {f.title for f in cii.errors} == {
        "BT-151 Code de catégorie de TVA de la ligne",
        "BT-118 Code de catégorie de TVA",
    }
    assert all("n'est pas une valeur admise" in f.problem for f in cii.errors)
    ubl = check(generated_xml(syntax="ubl").replace(b"<cbc:ID>S</cbc:ID>", b"<cbc:ID>X</cbc:ID>"))
    assert by_rule(ubl, "BR-CL-17").problem == "Un code de catégorie de TVA n'est pas un code de la liste UNTDID 5305."


def test_a_missing_seller_vat_number_is_br_s_02():
    finding = by_rule(check(cii_xml(seller_vat="")), "BR-S-02")
    assert finding.title == "BT-31 Numéro de TVA du vendeur"


def test_an_xsd_error_names_the_business_term():
    xml = cii_xml().replace(
        b"<ram:LineTotalAmount>1000.00</ram:LineTotalAmount></ram:Specified",
        b"<ram:LineTotalAmount>1000,00</ram:LineTotalAmount></ram:Specified",
    )
    report = check(xml)
    finding = by_rule(report, "XSD")
    assert finding.title == "BT-131 Montant net de la ligne"
    assert finding.problem == (
        "La valeur « 1000,00 » de BT-131 Montant net de la ligne n'est pas valide : un nombre est attendu, avec un "
        "point comme séparateur décimal (1234.56)."
    )
    assert finding.line and "IncludedSupplyChainTradeLineItem" in finding.location
    assert not report.failure  # the schematron stopped on that value: a warning says so, not a failure
    assert any("n'ont pas pu être toutes contrôlées" in f.problem for f in report.warnings)


def test_a_rule_without_its_own_text_falls_back_to_french_naming_the_term():
    finding = explain.explain_assertion(
        {"id": "BR-99", "text": "[BR-99]-Something about the Buyer reference (BT-10).", "location": "/Invoice[1]"}
    )
    assert finding.problem == (
        "La règle BR-99 de la norme EN 16931 n'est pas respectée ; elle porte sur BT-10 Référence de l'acheteur "
        "(code service)."
    )
    assert finding.title == "BT-10 Référence de l'acheteur (code service)"
    structural = explain.explain_assertion(
        {
            "id": "FX-SCH-A-000027",
            "text": "Element 'ram:SellerTradeParty' must occur exactly 1 times.",
            "location": "/*:CrossIndustryInvoice[1]/*:SupplyChainTradeTransaction[1]/*:ApplicableHeaderTradeAgreement[1]",
        }
    )
    assert structural.problem == "BG-4 Vendeur doit figurer exactement 1 fois à cet endroit du XML."


# --- The worker: crash, timeout, cache -------------------------------------------------------------


def test_a_worker_crash_is_a_french_message(settings):
    settings.INVOICE_VALIDATION_WORKER = [sys.executable, "-c", "import sys; sys.exit(3)"]
    report = check(generated_xml(number="CRASH-1"))
    assert report.failure.startswith("Le service de vérification des factures a rencontré une erreur technique")
    assert not report.ok


def test_a_worker_timeout_is_a_french_message_and_the_worker_is_killed(settings):
    settings.INVOICE_VALIDATION_WORKER = [sys.executable, "-c", "import time; time.sleep(60)"]
    settings.INVOICE_VALIDATION_TIMEOUT = 0.5
    report = check(generated_xml(number="SLOW-1"))
    assert report.failure.startswith("La vérification de la facture n'a pas pu aboutir dans le temps imparti (0.5 s")
    assert client._worker.process is None


def test_the_same_file_is_not_checked_twice(settings):
    xml = generated_xml(number="CACHE-1")
    assert check(xml).ok
    settings.INVOICE_VALIDATION_WORKER = [sys.executable, "-c", "import sys; sys.exit(3)"]
    assert check(xml).ok  # from the cache: the broken worker is not asked
    assert check(generated_xml(number="CACHE-2")).failure


def test_the_worker_keeps_running_between_files():
    check(generated_xml(number="KEEP-1"))
    process = client._worker.process
    check(generated_xml(number="KEEP-2"))
    assert client._worker.process is process and process.poll() is None


# --- « Vérifier ma facture » -----------------------------------------------------------------------


@pytest.fixture
def member(db):
    membership = MembershipFactory(structure=StructureFactory(identifier=SELLER, name="Entreprise Exemple SAS"))
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, identifier=BUYER, name="Ministère de l'exemple")
    return membership


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def upload(data: bytes, name: str):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def rows() -> int:
    return sum(model.objects.count() for model in apps.get_models() if model._meta.managed)


def stored_files() -> int:
    return (
        sum(len(files) for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))
        if Path(settings.MEDIA_ROOT).exists()
        else 0
    )


def test_the_page_needs_a_login(client, db):
    response = client.get(reverse("invoices:check"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_page_explains_errors_and_keeps_nothing(logged):
    before, files = rows(), stored_files()
    response = logged.post(
        reverse("invoices:check"), {"file": upload(cii_xml(number="VERIF-1", total_ttc="1250.00"), "f.xml")}
    )
    assert response.status_code == 200
    page = html(response)
    assert "2 erreurs" in page and "BT-112 Montant total TTC" in page
    assert "Le montant total TTC (BT-112) n'est pas égal au total hors TVA (BT-109)" in page
    assert "Comment corriger :" in page and "Détail technique" in page and "BR-CO-15" in page
    assert "UN/CEFACT CII" in page and "EN 16931" in page
    assert rows() == before and stored_files() == files
    assert not Invoice.objects.exists()


def test_the_page_says_aucune_erreur_for_a_valid_factur_x(logged):
    before, files = rows(), stored_files()
    response = logged.post(
        reverse("invoices:check"), {"file": upload(generated_facturx_pdf(number="VERIF-2"), "f.pdf")}
    )
    page = html(response)
    assert "Aucune erreur" in page and "PDF Factur-X (XML intégré)" in page
    assert rows() == before and stored_files() == files


def test_the_page_checks_the_seller_and_the_buyer(logged):
    other = structured_data(
        buyer={
            "name": "Inconnu",
            "legal_identifier": "35600000000048",
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        }
    )
    report = services.invoice_check(file=upload(generated_xml(other), "f.xml"), supplier=None)
    assert any("n'est pas une structure publique de l'annuaire" in f.problem for f in report.errors)


def test_a_text_pdf_has_nothing_to_check(logged):
    from invoices.samples import invoice_text_pdf

    page = html(logged.post(reverse("invoices:check"), {"file": upload(invoice_text_pdf(), "f.pdf")}))
    assert "ne contient pas de facture structurée" in page


def test_a_worker_crash_on_the_page_is_no_server_error(logged, settings):
    settings.INVOICE_VALIDATION_WORKER = [sys.executable, "-c", "import sys; sys.exit(3)"]
    response = logged.post(reverse("invoices:check"), {"file": upload(generated_xml(number="CRASH-2"), "f.xml")})
    assert response.status_code == 200
    assert "Vérification impossible" in html(response)


def test_the_page_is_rate_limited(logged, settings):
    settings.INVOICE_CHECK_LIMIT = {"count": 1, "seconds": 600}
    logged.post(reverse("invoices:check"), {"file": upload(generated_xml(number="RATE-1"), "f.xml")})
    page = html(logged.post(reverse("invoices:check"), {"file": upload(generated_xml(number="RATE-2"), "f.xml")}))
    assert "Vous avez vérifié beaucoup de factures en peu de temps : réessayez dans 10 minutes." in page


# --- The deposit -----------------------------------------------------------------------------------


def test_the_deposit_refuses_en16931_errors_with_the_same_explanations(logged, member):
    xml = cii_xml(number="DEP-1", seller_vat="")
    with pytest.raises(ValidationError) as info:
        services.invoice_deposit(supplier=member.structure, user=member.user, file=upload(xml, "f.xml"))
    assert info.value.message_dict["file"] == [
        "BT-31 Numéro de TVA du vendeur : Une ligne est en catégorie de TVA « S » (taux normal) mais le vendeur n'a "
        "ni numéro de TVA (BT-31) ni identifiant fiscal (BT-32), ni représentant fiscal (BT-63). Indiquez le numéro "
        "de TVA intracommunautaire de votre structure (BT-31)."
    ]
    page = html(
        logged.post(reverse("invoices:deposit"), {"file": upload(xml, "f.xml"), "pdf_format": "PDF", "cadre": "A1"})
    )
    assert (
        "La facture ne respecte pas une règle de la facture électronique : l'erreur est expliquée ci-dessous." in page
    )
    assert "Pourquoi le fichier est refusé" in page and "BR-S-02" in page and "Détail technique" in page
    assert not Invoice.objects.exists()


def test_a_deposit_whose_check_cannot_run_is_refused_in_french(member, settings):
    settings.INVOICE_VALIDATION_WORKER = [sys.executable, "-c", "import sys; sys.exit(3)"]
    with pytest.raises(ValidationError) as info:
        services.invoice_deposit(
            supplier=member.structure, user=member.user, file=upload(generated_xml(number="DEP-2"), "f.xml")
        )
    assert info.value.message_dict["file"][0].startswith("Le service de vérification des factures")
    assert not Invoice.objects.exists()
