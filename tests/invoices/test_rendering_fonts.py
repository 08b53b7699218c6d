"""The fonts of the PDFs the portal makes are parsed once per process (issue 14: re-parsing DejaVu
was 64 % of the rendering of a typed invoice), and each document still embeds what it shows."""

import io

import pytest
from fpdf import fonts
from pypdf import PdfReader

from invoices import rendering

pytestmark = pytest.mark.skipif(
    not (rendering.DEJAVU_DIR / "DejaVuSans.ttf").exists(), reason="fonts-dejavu-core is not installed"
)


def document(text: str) -> bytes:
    pdf = rendering._Document("Essai")
    pdf.add_page()
    pdf.line_text(text)
    pdf.line_text("Total TTC : 1\u202f234,56\u00a0€", bold=True)
    return bytes(pdf.output())


def test_a_second_document_parses_no_font(monkeypatch):
    document("Premier document")  # the first one of the process may parse
    parsed = []
    real_init = fonts.TTFFont.__init__

    def counting_init(self, *args, **kwargs):
        parsed.append(args[2] if len(args) > 2 else kwargs.get("fontkey"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(fonts.TTFFont, "__init__", counting_init)
    content = document("Désignation : prestation de conseil — 2 jours")
    assert parsed == []
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Désignation : prestation de conseil — 2 jours" in text
    assert "1 234,56 €" in text.replace("\u202f", " ").replace("\u00a0", " ")


def test_documents_do_not_share_their_subset():
    first = PdfReader(io.BytesIO(document("Ωmega Жук"))).pages[0].extract_text()
    second = PdfReader(io.BytesIO(document("àéèçù"))).pages[0].extract_text()
    assert "Ωmega Жук" in first and "àéèçù" in second
    assert "Ω" not in second
