"""invoices/pdf.py: every kind of bad file is refused with a clear French message, never an
exception other than ValidationError; good files are read (pages, signature, text)."""

import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from invoices import extraction, pdf, structured
from tests.invoices import pdfs
from tests.structures.factories import make_siret


def refused(data: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        pdf.check_pdf(data, **kwargs)
    return info.value


def test_a_text_pdf_is_accepted_and_read():
    info = pdf.check_pdf(pdfs.text_pdf(["Bonjour", "Facture n° A-1"], pages=2))
    assert info.page_count == 2
    assert not info.is_signed
    assert "Facture n° A-1" in info.text
    assert info.embedded_xml == []


def test_checking_a_pdf_is_fast():
    data = pdfs.invoice_text_pdf()
    start = time.perf_counter()
    for _ in range(20):
        pdf.check_pdf(data)
    assert (time.perf_counter() - start) / 20 < 0.1


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"Ceci est un fichier texte renomme en .pdf\n" * 10, "not_pdf", "n'est pas un PDF"),
        (pdfs.PNG_BYTES, "not_pdf", "n'est pas un PDF"),
        (pdfs.truncated_pdf(), "corrupt", "endommagé ou incomplet"),
        (pdfs.corrupt_pdf(), "corrupt", "endommagé ou incomplet"),
        (pdfs.zero_page_pdf(), "no_page", "aucune page"),
        (pdfs.encrypted_pdf(), "encrypted", "protégé par un mot de passe"),
        (b"", "empty", "vide"),
    ],
    ids=["renamed-text", "png", "truncated", "corrupt", "no-page", "encrypted", "empty"],
)
def test_bad_files_are_refused_with_a_clear_message(data, code, words):
    error = refused(data)
    assert error.code == code
    assert words in error.messages[0]


def test_a_file_over_the_limit_is_refused(settings):
    settings.INVOICE_MAX_PDF_SIZE = 1000
    data = pdfs.text_pdf(["x" * 80] * 30)
    assert len(data) > 1000
    error = refused(data)
    assert error.code == "too_large"
    assert "taille maximale" in error.messages[0]


def test_read_upload_refuses_empty_and_too_large_before_reading():
    with pytest.raises(ValidationError, match="vide"):
        pdf.read_upload(SimpleUploadedFile("a.pdf", b""), limit=100)
    with pytest.raises(ValidationError, match="taille maximale"):
        pdf.read_upload(SimpleUploadedFile("a.pdf", b"x" * 101), limit=100)
    assert pdf.read_upload(SimpleUploadedFile("a.pdf", b"x" * 100), limit=100) == b"x" * 100


def test_size_messages_use_french_units():
    upload = SimpleUploadedFile("a.pdf", b"x" * (10 * 1024 * 1024 + 512 * 1024))
    with pytest.raises(ValidationError) as excinfo:
        pdf.read_upload(upload, limit=10 * 1024 * 1024)
    assert excinfo.value.messages == ["Le fichier pèse 10,5\u00a0Mo : la taille maximale est de 10\u00a0Mo."]


def test_signed_format_requires_a_signature():
    error = refused(pdfs.text_pdf(), signed=True)
    assert error.code == "not_signed"
    assert "ne porte aucune signature" in error.messages[0]
    info = pdf.check_pdf(pdfs.signed_pdf(), signed=True)
    assert info.is_signed


def test_an_unsigned_check_accepts_a_signed_pdf_too():
    assert pdf.check_pdf(pdfs.signed_pdf()).is_signed


def test_a_broken_factur_x_xml_is_flagged():
    data = pdfs.with_embedded_file(pdfs.text_pdf(), "factur-x.xml", b"<rsm:Cross")
    info = pdf.check_pdf(data)
    assert info.embedded_xml == [("factur-x.xml", b"<rsm:Cross")]
    assert structured.pick_embedded_xml(info.embedded_xml) == (None, True)


def test_an_ordinary_embedded_file_is_not_a_factur_x():
    data = pdfs.with_embedded_file(pdfs.text_pdf(), "annexe.txt", b"bonjour")
    info = pdf.check_pdf(data)
    assert info.embedded_xml == []
    assert structured.pick_embedded_xml(info.embedded_xml) == (None, False)


# --- Text of non-Factur-X PDFs --------------------------------------------------------------


def test_values_are_proposed_from_the_text():
    supplier, recipient = make_siret(11), make_siret(12)
    info = pdf.check_pdf(
        pdfs.invoice_text_pdf(
            number="FA-2026-17",
            invoice_date="03/02/2026",
            supplier_siret=supplier,
            recipient_siret=f"{recipient[:3]} {recipient[3:6]} {recipient[6:9]} {recipient[9:]}",
            ht="1 234,50",
            tva="246,90",
            ttc="1 481,40",
        )
    )
    found = extraction.parse_text(info.text)
    assert found.number == "FA-2026-17"
    assert found.invoice_date.isoformat() == "2026-02-03"
    assert found.sirets == [supplier, recipient]
    assert (found.amount_ht, found.amount_tva, found.amount_ttc) == (
        Decimal("1234.50"),
        Decimal("246.90"),
        Decimal("1481.40"),
    )
    assert [(v.rate, v.base_ht, v.vat_amount) for v in found.vat_lines] == [
        (Decimal("20.00"), Decimal("1234.50"), Decimal("246.90"))
    ]


def test_invalid_sirets_and_dates_are_not_proposed():
    found = extraction.parse_text("SIRET 12345678901234\nDate : 31/02/2026 puis 05/03/2026\nFacture n° X1")
    assert found.sirets == []
    assert found.invoice_date.isoformat() == "2026-03-05"
    assert found.number == "X1"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1 234,56", "1234.56"),
        ("1\u202f234,5", "1234.50"),
        ("1.234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("12", "12.00"),
    ],
)
def test_french_amounts(raw, value):
    assert extraction.parse_french_amount(raw) == Decimal(value)


def test_an_avoir_is_recognised():
    found = extraction.parse_text("AVOIR n° AV-12\nTotal HT : 100,00\nTotal TVA : 20,00\nTotal TTC : 120,00")
    assert found.invoice_type == "AVOIR"
    assert found.number == "AV-12"


# --- Text readings that used to be wrong (issue 12) ---------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Total TVA 20 % : 168,00 €",
        "Total TVA (20 %) 168,00",
        "Montant TVA à 20,00 % : 168,00 €",
        "Total TVA : 168,00 € (taux 20 %)",
    ],
)
def test_the_vat_amount_is_not_the_rate_column(line):
    found = extraction.parse_text(f"Facture n° T-1\nTotal HT : 840,00 €\n{line}\nTotal TTC : 1 008,00 €")
    assert found.amount_tva == Decimal("168.00")
    assert [(v.rate, v.vat_amount) for v in found.vat_lines] == [(Decimal("20.00"), Decimal("168.00"))]


def test_a_rate_alone_is_not_proposed_as_the_vat_amount():
    assert extraction.parse_text("Total TVA 20 %\nTotal TTC : 120,00").amount_tva is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Facture n° A\nDate : 03/04/2026", date(2026, 4, 3)),  # French: dd/mm
        ("Invoice date: 03/15/2026", date(2026, 3, 15)),  # month 15 impossible: mm/dd
        ("Invoice date: 03/04/2026\nDue date: 04/30/2026", date(2026, 3, 4)),  # 04/30 shows mm/dd
        ("Invoice date: 03/04/2026", None),  # English, ambiguous, nothing says which: not proposed
        ("Facture n° A\nDate : 15.01.2026", date(2026, 1, 15)),
        ("Invoice date: 2026-01-15", date(2026, 1, 15)),
    ],
)
def test_dates_are_read_only_as_the_text_supports(text, expected):
    assert extraction.parse_text(text).invoice_date == expected
