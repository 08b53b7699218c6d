"""The fonts of the PDFs the portal makes are parsed once per process (issue 14: re-parsing DejaVu
was 64 % of the rendering of a typed invoice), a document of French text is subset from the
common glyphs only, no outline is re-encoded, and each document still embeds what it shows."""

import dataclasses
import io

import pytest
from fontTools import subset, ttLib
from fontTools.ttLib.tables import _g_l_y_f
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


def embedded_glyphs(content: bytes) -> dict[str, dict]:
    """Each font embedded in the first page: its glyphs by name (outline points, contours, flags,
    advance width and side bearing)."""
    fonts = {}
    for ref in PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        if font["/Subtype"] != "/Type0":
            continue
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        tt = ttLib.TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
        glyf = tt["glyf"]
        glyphs = {}
        for name in tt.getGlyphOrder():
            coordinates, ends, flags = glyf[name].getCoordinates(glyf)
            glyphs[name] = (list(coordinates), list(ends), list(flags), tt["hmtx"][name])
        fonts[str(font["/BaseFont"])] = glyphs
    return fonts


@pytest.fixture
def subset_sizes(monkeypatch):
    """The number of glyphs of each font fontTools subsets while a document is written."""
    sizes = []
    real_subset = subset.Subsetter.subset

    def counting_subset(self, font):
        sizes.append(len(font.getGlyphOrder()))
        return real_subset(self, font)

    monkeypatch.setattr(subset.Subsetter, "subset", counting_subset)
    return sizes


FRENCH = "Désignation : « prestation » — 2 jours, œuvre, Ÿ, 1\u202f234,56\u00a0€ ; ½ â ï ô ù"


def test_a_french_document_is_subset_from_its_common_glyphs(monkeypatch, subset_sizes):
    """fontTools reads every glyph of the font it subsets: a document of Latin-1 text (and €, œ,
    typographic punctuation) starts from the ~230 common glyphs, not the ~2,000 of the cached
    font, and embeds the same glyphs as the whole font gives."""
    document("Premier document")  # the fonts are cached
    subset_sizes.clear()
    content = document(FRENCH)
    assert len(subset_sizes) == 2 and max(subset_sizes) < 400
    assert FRENCH.replace("\u202f", " ").replace("\u00a0", " ") in PdfReader(io.BytesIO(content)).pages[
        0
    ].extract_text().replace("\u202f", " ").replace("\u00a0", " ")

    for key, cached in list(rendering._FONTS.items()):  # the whole cached font, for comparison
        monkeypatch.setitem(rendering._FONTS, key, dataclasses.replace(cached, common_glyphs=frozenset()))
    subset_sizes.clear()
    reference = document(FRENCH)
    assert min(subset_sizes) > 1000
    assert embedded_glyphs(content) == embedded_glyphs(reference)


def test_other_scripts_are_subset_from_the_whole_cached_font(subset_sizes):
    document("Premier document")
    subset_sizes.clear()
    text = PdfReader(io.BytesIO(document("Ωmega Жук"))).pages[0].extract_text()
    assert "Ωmega Жук" in text
    assert sorted(subset_sizes)[0] < 400 < sorted(subset_sizes)[1]  # the bold font shows Latin-1 only


def test_writing_a_document_decodes_no_glyph_outline(monkeypatch):
    """The subset keeps each outline as it is: no bounding box recomputed, so no glyph of the
    document is decoded and re-encoded when it is written."""
    document("Premier document")
    decoded = []
    real_expand = _g_l_y_f.Glyph.expand

    def counting_expand(self, glyf_table):
        decoded.append(self)
        return real_expand(self, glyf_table)

    monkeypatch.setattr(_g_l_y_f.Glyph, "expand", counting_expand)
    content = document(FRENCH + " Ωmega")
    assert decoded == []
    assert "Ωmega" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
