"""Reading structured invoices (``invoices.structured``) from files the project generates: every
Factur-X profile, the four document types, foreign VAT rates, negative totals, UBL and CII
invoices, XRechnung, a ZUGFeRD 1+2 hybrid, broken XML; each expected value and message asserted."""

from datetime import date
from decimal import Decimal

import pytest

from invoices import extraction, pdf, structured
from invoices.samples import generated_facturx_pdf, generated_xml, structured_data
from tests.invoices import pdfs

D = Decimal
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
FOREIGN_LINES = [("Livres", "10", "62.49", "7.00"), ("Conseil", "1", "350.00", "19.00")]


def parse(xml: bytes, container: str = "xml"):
    return structured.parse_structured(xml, container=container)


def refusal(xml: bytes, container: str = "xml") -> str:
    with pytest.raises(extraction.ExtractionError) as info:
        parse(xml, container)
    return str(info.value)


# --- Profiles ---------------------------------------------------------------------------------


def test_minimum_is_refused_naming_the_profile():
    xml = pdfs.cii_xml(guideline="urn:factur-x.eu:1p0:minimum")
    assert refusal(xml, "facturx") == (
        "Profil MINIMUM non accepté : il ne porte ni les lignes ni le récapitulatif de TVA de la facture, qui ne "
        "peut donc pas être lue comme une facture électronique (la réforme de 2026 ne le retient pas). Produisez "
        "la facture au profil EN 16931 (ou BASIC, EXTENDED) dans votre logiciel de facturation, ou déposez un PDF "
        "sans XML intégré."
    )


def test_basic_wl_is_accepted_for_the_transition_with_a_warning():
    found = parse(generated_xml(level="basicwl"), "facturx")
    assert found.profile == "BASIC WL"
    assert found.lines == []
    assert found.warnings == [
        "Profil BASIC WL accepté à titre transitoire : il ne porte pas les lignes de la facture. La réforme de 2026 "
        "ne le retient que pendant la période de transition : passez au profil EN 16931."
    ]


@pytest.mark.parametrize(
    ("guideline", "profile"),
    [
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC"),
        ("urn:cen.eu:en16931:2017", "EN 16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED"),
        ("urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr", "EXTENDED-CTC-FR"),
        (XRECHNUNG, "XRechnung (EN 16931)"),
    ],
)
def test_accepted_profiles(guideline, profile):
    found = parse(pdfs.cii_xml(guideline=guideline), "facturx")
    assert found.profile == profile
    assert found.syntax == "CII"
    assert found.warnings == []


def test_extended_made_by_the_library_is_read_with_its_lines():
    found = parse(generated_xml(level="extended"), "facturx")
    assert found.profile == "EXTENDED"
    assert [line["designation"] for line in found.lines] == ["Prestation"]


def test_an_unknown_profile_is_refused():
    assert refusal(pdfs.cii_xml(guideline="urn:exemple:inconnu")) == (
        "Le fichier XML ne déclare pas un profil accepté (BT-24 : « urn:exemple:inconnu ») : profils acceptés "
        "EN 16931 (dont XRechnung), EXTENDED, EXTENDED-CTC-FR, BASIC et, à titre transitoire, BASIC WL."
    )


# --- Types (BT-3) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"), [("380", "FACTURE"), ("381", "AVOIR"), ("384", "FACTURE"), ("389", "FACTURE")]
)
def test_the_four_types(code, kind):
    found = parse(generated_xml(type_code=code, preceding_invoice="F-2025-9"))
    assert (found.type_code, found.invoice_type) == (code, kind)
    assert found.original_invoice_number == "F-2025-9"
    assert found.payment_mode == ("" if code == "381" else "VIREMENT")


def test_another_type_is_refused_with_the_list():
    assert refusal(pdfs.cii_xml(type_code="386")) == (
        "Le type de document (BT-3) du XML (386) n'est pas pris en charge : 380 (facture), 381 (avoir), "
        "384 (facture rectificative) ou 389 (autofacture)."
    )


def test_a_corrective_invoice_with_negative_totals_keeps_its_signs():
    found = parse(generated_xml(type_code="384", sign=-1, preceding_invoice="F-1"))
    assert (found.amount_ht, found.amount_tva, found.amount_ttc) == (D("-1000.00"), D("-200.00"), D("-1200.00"))
    assert [(v.rate, v.base_ht, v.vat_amount) for v in found.vat_lines] == [(D("20.00"), D("-1000.00"), D("-200.00"))]


def test_an_invoice_with_a_negative_total_is_refused():
    assert refusal(generated_xml(type_code="380", sign=-1)) == (
        "Cette facture (type 380) a un total négatif (TTC -1\u202f200,00\u00a0€) : pour réduire une facture, émettez "
        "un avoir (type 381) avec des montants positifs, ou une facture rectificative (type 384)."
    )


def test_a_credit_note_with_negative_amounts_is_refused():
    assert refusal(generated_xml(type_code="381", sign=-1)) == (
        "Cet avoir (type 381) porte des montants négatifs (TTC -1\u202f200,00\u00a0€) : un avoir porte des montants "
        "positifs, qui sont déduits de la facture d'origine. Corrigez le fichier."
    )


# --- VAT ----------------------------------------------------------------------------------------


def test_foreign_rates_are_kept_exactly_with_a_warning():
    found = parse(generated_xml(lines=FOREIGN_LINES), "facturx")
    assert [(v.rate, v.base_ht, v.vat_amount) for v in found.vat_lines] == [
        (D("7.00"), D("624.90"), D("43.74")),
        (D("19.00"), D("350.00"), D("66.50")),
    ]
    assert (found.amount_ht, found.amount_tva, found.amount_ttc) == (D("974.90"), D("110.24"), D("1085.14"))
    assert found.warnings == [
        f"Le taux de TVA de {rate}\u00a0% n'est pas un taux en vigueur en France : il est conservé tel que facturé. "
        "Vérifiez qu'il s'applique bien à cette facture."
        for rate in ("7", "19")
    ]


def test_a_vat_amount_that_is_not_base_times_rate_is_refused_naming_the_terms():
    xml = pdfs.cii_xml(vat=[("7.00", "624.90", "46.25")])
    assert refusal(xml, "facturx") == (
        "Récapitulatif de TVA au taux de 7\u00a0% : la TVA indiquée (BT-117, 46,25\u00a0€) ne correspond pas à la base "
        "(BT-116, 624,90\u00a0€) × le taux (BT-119), soit 43,74\u00a0€ (écart admis : 0,01\u00a0€)."
    )


def test_one_cent_per_line_is_tolerated():
    assert parse(pdfs.cii_xml(vat=[("20.00", "100.03", "20.00")])).vat_lines[0].vat_amount == D("20.00")
    refusal(pdfs.cii_xml(vat=[("20.00", "100.03", "19.99")]))  # 2 cents off, one (absent) line
    data = structured_data(lines=[("A", "1", "0.03", "20.00")] * 3)
    data["BG-23"][0]["BT-117"] = "0.03"  # VAT per line (0,01 × 3) against 0,02 on the base: 1 cent, 3 lines
    data["BT-110"], data["BT-112"], data["BT-115"] = "0.03", "0.12", "0.12"
    assert parse(generated_xml(data)).vat_lines[0].vat_amount == D("0.03")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"total_ttc": "1300.00"},
            "Les montants du XML ne concordent pas : HT 1\u202f000,00\u00a0€ (BT-109) + TVA 200,00\u00a0€ (BT-110) = "
            "1\u202f200,00\u00a0€, mais le TTC indiqué (BT-112) est 1\u202f300,00\u00a0€.",
        ),
        (
            {"total_ht": "900.00", "total_ttc": "1100.00"},
            "Le récapitulatif de TVA du XML ne concorde pas : la somme des bases (BT-116, 1\u202f000,00\u00a0€) diffère "
            "du total HT (BT-109, 900,00\u00a0€).",
        ),
        ({"vat": []}, "Le fichier XML ne contient pas de récapitulatif de TVA (BG-23) : il est obligatoire."),
        ({"number": ""}, "Le fichier XML ne contient pas de numéro de facture (BT-1)."),
        ({"number": "X" * 21}, f"Le numéro de facture (BT-1) du XML ({'X' * 21}) dépasse 20 caractères."),
    ],
)
def test_unusable_data_is_refused(overrides, message):
    assert refusal(pdfs.cii_xml(**overrides)) == message


def test_dates_and_currency():
    xml = pdfs.cii_xml().replace(b'format="102">20260115', b'format="102">20261345')
    assert refusal(xml) == "La date de facture (BT-2) du XML (20261345) n'existe pas."
    xml = pdfs.cii_xml().replace(b"<ram:InvoiceCurrencyCode>EUR", b"<ram:InvoiceCurrencyCode>USD")
    assert refusal(xml) == "La facture est en USD (BT-5) : le portail accepte les factures en euros (EUR)."


# --- Syntaxes -----------------------------------------------------------------------------------


def test_a_ubl_invoice_and_a_ubl_credit_note():
    found = parse(generated_xml(syntax="ubl", lines=FOREIGN_LINES, buyer_reference="SE001", order_reference="EJ7"))
    assert (found.source, found.syntax, found.profile, found.type_code) == ("xml", "UBL", "EN 16931", "380")
    assert (found.number, found.invoice_date) == ("FX-2026-0100", date(2026, 1, 15))
    assert (found.service_code, found.engagement_number) == ("SE001", "EJ7")
    assert (found.supplier_siret, found.recipient_siret) == ("73282932000074", "11000201100044")
    assert [v.rate for v in found.vat_lines] == [D("7.00"), D("19.00")]
    assert len(found.lines) == 2
    credit = parse(generated_xml(syntax="ubl", type_code="381", preceding_invoice="F-2026-1"))
    assert (credit.invoice_type, credit.type_code, credit.original_invoice_number) == ("AVOIR", "381", "F-2026-1")


def test_a_ubl_xrechnung_is_recognised():
    xml = generated_xml(syntax="ubl").replace(
        b"<cbc:CustomizationID>urn:cen.eu:en16931:2017<",
        XRECHNUNG.join([b"<cbc:CustomizationID>".decode(), "<"]).encode(),
    )
    assert parse(xml).profile == "XRechnung (EN 16931)"


def test_a_cii_invoice_file():
    found = parse(generated_xml(syntax="cii"))
    assert (found.source, found.syntax, found.amount_ttc) == ("xml", "CII", D("1200.00"))


def test_not_an_invoice_and_broken_xml():
    assert refusal(b"<commande/>") == (
        "Le fichier XML n'est pas une facture dans une syntaxe acceptée (UN/CEFACT CII, UBL 2.1 Invoice ou "
        "CreditNote) : le portail ne peut pas le lire."
    )
    assert refusal(b"<rsm:CrossIndustryInvoice") == (
        "Le fichier XML de la facture n'est pas un XML bien formé : le portail ne peut pas le lire."
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert "root" not in refusal(xxe)


# --- Inside a PDF: Factur-X, XRechnung, ZUGFeRD 1 and 1+2 ---------------------------------------

ZUGFERD_1 = (
    b'<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:'
    b'invoice:1p0"><rsm:SpecifiedExchangedDocumentContext/></rsm:CrossIndustryDocument>'
)


def embedded(data: bytes):
    return structured.pick_embedded_xml(pdf.check_pdf(data).embedded_xml)


def test_a_zugferd_1_2_hybrid_is_judged_on_its_version_2_xml():
    v2 = generated_xml(number="HYBRIDE-1")
    data = pdfs.with_embedded_file(
        pdfs.with_embedded_file(pdfs.text_pdf(), "ZUGFeRD-invoice.xml", ZUGFERD_1), "factur-x.xml", v2
    )
    names = [name for name, _content in pdf.check_pdf(data).embedded_xml]
    assert names[0] == "ZUGFeRD-invoice.xml"  # the version 1 XML comes first in the file
    xml, broken = embedded(data)
    assert (xml, broken) == (v2, False)
    assert parse(xml, "facturx").number == "HYBRIDE-1"


def test_zugferd_1_alone_is_refused_by_name():
    xml, broken = embedded(pdfs.with_embedded_file(pdfs.text_pdf(), "ZUGFeRD-invoice.xml", ZUGFERD_1))
    assert refusal(xml, "facturx") == (
        "Le XML Factur-X est au format ZUGFeRD 1.0, qui n'est plus accepté : déposez une facture Factur-X "
        "(ZUGFeRD 2), CII ou UBL."
    )


def test_an_embedded_xrechnung_is_read():
    xml = pdfs.cii_xml(guideline=XRECHNUNG)
    found_xml, broken = embedded(pdfs.with_embedded_file(pdfs.text_pdf(), "xrechnung.xml", xml))
    assert not broken and parse(found_xml, "facturx").profile == "XRechnung (EN 16931)"


def test_a_generated_factur_x_pdf_round_trips():
    xml, broken = embedded(generated_facturx_pdf(lines=FOREIGN_LINES))
    assert [v.rate for v in parse(xml, "facturx").vat_lines] == [D("7.00"), D("19.00")]


# --- Identifiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scheme", "text"),
    [
        ("73282932000074", "0009", "le SIRET 73282932000074"),
        ("732829320", "0002", "le SIREN 732829320"),
        ("FR44732829320", "VA", "le numéro de TVA FR44732829320"),
        ("DE123456789", "", "le numéro de TVA DE123456789"),
        ("HRB 12345", "", "le numéro HRB 12345 (registre du commerce allemand)"),
        ("HRA 987", "", "le numéro HRA 987 (registre du commerce allemand)"),
        ("4000001000005", "0088", "l'identifiant GLN 4000001000005"),
        ("ABC-1", "0199", "l'identifiant ABC-1 (schéma 0199)"),
    ],
)
def test_identifiers_are_named_by_their_kind(value, scheme, text):
    assert structured.describe_identifier(value, scheme) == text


def test_a_seller_known_by_its_german_register_number():
    data = structured_data(seller={"name": "Muster GmbH", "legal_identifier": "HRB 12345", "country_code": "DE"})
    found = parse(generated_xml(data))
    assert found.supplier_siret == "" and found.supplier_siren == ""
    assert found.supplier_identifiers == ["le numéro HRB 12345 (registre du commerce allemand)"]


def test_a_seller_known_by_its_french_vat_number_has_its_siren():
    data = structured_data(seller={"name": "Exemple", "vat_identifier": "FR44732829320", "country_code": "FR"})
    found = parse(generated_xml(data))
    assert (found.supplier_siret, found.supplier_siren) == ("", "732829320")
