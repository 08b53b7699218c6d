"""PDF documents made by the portal with fpdf2: the invoice typed on the portal (it becomes the
main file at sending), the readable copy of an invoice deposited as an XML file (CII or UBL,
made from its data at deposit) and the deposit certificate.

The DejaVu font of Debian's fonts-dejavu-core is used when installed (any French text); without
it, fpdf2's core Helvetica with text reduced to what windows-1252 can show.
"""

import copy
import io
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from chorus import formats
from invoices.models import Invoice

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Parsed fonts kept across documents, by (file, style): parsing DejaVu (its cmap, the width of
# each of its ~6,000 glyphs, its layout tables) was 64 % of the rendering of an invoice (issue 14).
_FONTS: dict[tuple[str, str], "_CachedFont"] = {}
_FONTS_LOCK = threading.Lock()
# Tables fpdf2 drops when it embeds a font subset (no text shaping here), and the characters kept:
# every Latin letter and accent, Greek, Cyrillic, punctuation (spaces U+202F and U+00A0
# included), currency signs, letter-like symbols, arrows, mathematical operators and shapes. The
# cached font has ~1/4 of DejaVu's glyphs, so that each document decompiles far less of it.
_DROPPED_TABLES = ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM"]
_KEPT_RANGES = [
    (0x0020, 0x024F),
    (0x0300, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2150, 0x218F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
]
# What almost every document shows (French text): Latin-1, œ Œ Ÿ, typographic punctuation and
# spaces, the euro sign. A document whose text has nothing else is subset, when it is written,
# from a copy of the cached font with only these glyphs (~230 instead of ~2,000): fontTools reads
# every glyph of the font it subsets (outline offsets, names, widths), for each document.
_COMMON_RANGES = [
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x0152, 0x0153),
    (0x0178, 0x0178),
    (0x2010, 0x203A),
    (0x20AC, 0x20AC),
]


@dataclass(frozen=True)
class _CachedFont:
    template: TTFFont  # parsed once: widths, glyph ids and names, descriptor
    data: bytes  # the reduced font
    common_data: bytes  # the same font with the glyphs of _COMMON_RANGES only
    common_glyphs: frozenset[str]  # their names (those of the reduced font)


def _subset_font(data: bytes, unicodes: list[int], *, drop_tables=(), first_glyphs=False) -> bytes:
    """``data`` (a font file) with the glyphs of ``unicodes`` only, glyph names kept; with
    ``first_glyphs``, its first four glyphs too, as fpdf2 keeps them in each document's subset."""
    font = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.drop_tables += list(drop_tables)
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recommended_glyphs = first_glyphs
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    font.close()
    return buffer.getvalue()


def _ranges(ranges) -> list[int]:
    return [c for start, end in ranges for c in range(start, end + 1)]


def _reduced_font(path: Path) -> bytes:
    """The font file without the tables fpdf2 drops and without the glyphs of other scripts."""
    return _subset_font(path.read_bytes(), _ranges(_KEPT_RANGES), drop_tables=_DROPPED_TABLES)


def _open(data: bytes) -> ttLib.TTFont:
    # Bounding boxes are not recomputed at saving: the subset keeps the outlines as they are
    # (recomputing them decompiled and re-encoded every glyph of every document).
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def add_cached_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, parsing the font once per process.

    Each document gets its own copy of the parsed font (widths, glyph ids, a fresh subset) and its
    own ``TTFont`` opened lazily on the cached bytes: fpdf2 subsets that object in place when it
    writes the PDF, so it is never shared between documents. Which bytes (the common glyphs or
    the whole cached font) is chosen when the document is written (``_Document.output``)."""
    key = (str(path), style)
    fontkey = f"{family.lower()}{style}"
    cached = _FONTS.get(key)
    if cached is None:
        data = _reduced_font(path)
        template = TTFFont(pdf, io.BytesIO(data), fontkey, style)
        template.ttfont = None
        common_data = _subset_font(data, _ranges(_COMMON_RANGES), first_glyphs=True)
        common = ttLib.TTFont(io.BytesIO(common_data), lazy=True)
        cached = _CachedFont(template, data, common_data, frozenset(common.getGlyphOrder()))
        common.close()
        with _FONTS_LOCK:
            cached = _FONTS.setdefault(key, cached)
    template = cached.template
    font = copy.copy(template)  # scalars and read-only tables (cmap, descriptor) shared
    font.ttfont = _open(cached.data)
    font.cw = defaultdict(template.cw.default_factory, template.cw)
    font.glyph_ids = dict(template.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.i = len(pdf.fonts) + 1
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font
    pdf.cached_fonts[fontkey] = cached


_REPLACEMENTS = {"\u202f": " ", "\u00a0": " ", "’": "'", "—": "-", "–": "-", "…": "..."}


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.cached_fonts: dict[str, _CachedFont] = {}
        self.doc_title = title
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_creator("Chorus Pro")
        regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            add_cached_font(self, "dejavu", "", regular)
            add_cached_font(self, "dejavu", "B", bold)
            self.family = "dejavu"
            self.unicode = True
        else:
            self.core_fonts_encoding = "windows-1252"
            self.family = "helvetica"
            self.unicode = False
        self.set_font(self.family, size=10)

    def output(self, *args, **kwargs):
        for fontkey, cached in self.cached_fonts.items():
            font = self.fonts[fontkey]
            if set(font.subset.get_all_glyph_names()) <= cached.common_glyphs:
                font.ttfont.close()
                font.ttfont = _open(cached.common_data)
        return super().output(*args, **kwargs)

    def text_safe(self, value) -> str:
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        for char, replacement in _REPLACEMENTS.items():
            text = text.replace(char, replacement)
        return text.encode("cp1252", errors="replace").decode("cp1252")

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.cell(0, 6, self.text_safe(f"{self.doc_title} — page {self.page_no()}/{{nb}}"), align="C")

    def line_text(self, text: str, *, size: int = 10, bold: bool = False, height: float = 6):
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value) -> None:
        self.set_font(self.family, "B", 10)
        self.cell(60, 6, self.text_safe(label))
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 6, self.text_safe(value if value not in (None, "") else "—"), new_x="LMARGIN", new_y="NEXT")


def _party(structure) -> list[str]:
    if structure is None:
        return ["—"]
    lines = [structure.name, f"SIRET {structure.identifier}"]
    address = " ".join(p for p in (structure.address_line1, structure.postal_code, structure.city) if p)
    if address:
        lines.append(address)
    if getattr(structure, "vat_number", ""):
        lines.append(f"TVA intracommunautaire {structure.vat_number}")
    return lines


def _price(value) -> str:
    """A unit price: two decimals, or more when it has more (0,0125 €)."""
    if value == value.quantize(Decimal("0.01")):
        return formats.money(value)
    return f"{formats.number(value)}{formats.UNIT_SEPARATOR}€"


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice typed on the portal, as a PDF (lines, VAT breakdown, totals, references)."""
    title = f"{invoice.document_label} n° {invoice.number or '(brouillon)'}"
    pdf = _Document(title)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_text(title, size=16, bold=True, height=9)
    pdf.line_text(f"Date : {invoice.invoice_date:%d/%m/%Y}" if invoice.invoice_date else "Date : —")
    if invoice.identifier:
        pdf.line_text(f"Identifiant Chorus Pro : {invoice.identifier}")
    pdf.ln(3)

    top = pdf.get_y()
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(90, 6, pdf.text_safe("Fournisseur"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for text in _party(invoice.supplier):
        pdf.cell(90, 5, pdf.text_safe(text), new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(110, top)
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(90, 6, pdf.text_safe("Destinataire"), new_x="LEFT", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    recipient_lines = _party(invoice.recipient)
    if invoice.recipient_service:
        recipient_lines.append(f"Service {invoice.recipient_service.code} — {invoice.recipient_service.name}")
    for text in recipient_lines:
        pdf.set_x(110)
        pdf.cell(90, 5, pdf.text_safe(text), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, max(bottom, pdf.get_y()) + 4)

    pdf.pair("Cadre de facturation", invoice.get_cadre_display())
    if invoice.engagement_number:
        pdf.pair("N° d'engagement", invoice.engagement_number)
    if invoice.market_number:
        pdf.pair("N° de marché", invoice.market_number)
    if invoice.original_invoice_number:
        pdf.pair("Facture d'origine", invoice.original_invoice_number)
    pdf.ln(3)

    widths = (72, 18, 16, 26, 16, 32)
    headers = ("Désignation", "Quantité", "Unité", "Prix unit. HT", "TVA", "Montant HT")
    pdf.set_font(pdf.family, "B", 9)
    pdf.set_fill_color(230, 230, 240)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 7, pdf.text_safe(header), border=1, fill=True, align="C")
    pdf.ln()
    pdf.set_font(pdf.family, "", 9)
    for line in invoice.lines.all():
        cells = (
            line.designation,
            formats.number(line.quantity),
            line.unit,
            _price(line.unit_price_ht),
            formats.percent(line.vat_rate),
            formats.money(line.line_total_ht),
        )
        aligns = ("L", "R", "L", "R", "R", "R")
        for width, text, align in zip(widths, cells, aligns, strict=True):
            pdf.cell(width, 7, pdf.text_safe(text)[:60], border=1, align=align)
        pdf.ln()
    pdf.ln(4)

    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(0, 6, pdf.text_safe("Récapitulatif de TVA"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    for vat in invoice.vat_lines.all():
        label = f"TVA {formats.percent(vat.rate)} sur {formats.money(vat.base_ht)} : {formats.money(vat.vat_amount)}"
        if vat.exemption_reason:
            label += f" (exonération : {vat.exemption_reason})"
        pdf.line_text(label, size=9, height=5)
    pdf.ln(3)
    for label, value in (
        ("Total HT", invoice.amount_ht),
        ("Total TVA", invoice.amount_tva),
        ("Total TTC", invoice.amount_ttc),
    ):
        pdf.set_x(110)
        pdf.set_font(pdf.family, "B", 10)
        pdf.cell(45, 7, pdf.text_safe(label), border=1)
        pdf.cell(45, 7, pdf.text_safe(formats.money(value)), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if invoice.payment_mode:
        pdf.pair("Mode de paiement", invoice.get_payment_mode_display())
    if invoice.bank_account:
        pdf.pair("IBAN", invoice.bank_account.iban)
        pdf.pair("BIC", invoice.bank_account.bic)
    if invoice.comment:
        pdf.ln(2)
        pdf.line_text("Commentaire", bold=True)
        pdf.line_text(invoice.comment, size=9, height=5)
    pdf.ln(4)
    pdf.line_text(
        "Facture saisie sur le portail Chorus Pro au nom du fournisseur, en vertu du mandat de facturation.",
        size=8,
        height=4,
    )
    return bytes(pdf.output())


_TYPE_TITLES = {"380": "Facture", "381": "Avoir", "384": "Facture rectificative", "389": "Autofacture"}
_SYNTAX_NAMES = {"CII": "UN/CEFACT CII", "UBL": "UBL 2.1"}


def _decimal_text(raw: str, *, money: bool = False) -> str:
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        return str(raw or "")
    if money:
        return _price(value)
    return formats.number(value)


def render_structured_pdf(found, *, supplier) -> bytes:
    """A readable PDF of an invoice deposited as an XML file, from its data (``Extracted`` of
    ``invoices.structured``): parties as the XML names them, lines, VAT breakdown, totals. It
    says that the XML is the invoice and the PDF a copy made by the portal."""
    kind = _TYPE_TITLES.get(found.type_code, "Facture")
    title = f"{kind} n° {found.number}"
    pdf = _Document(title)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_text(title, size=16, bold=True, height=9)
    pdf.line_text(f"Date : {found.invoice_date:%d/%m/%Y}" if found.invoice_date else "Date : —")
    pdf.line_text(
        f"Copie lisible produite par le portail à partir du fichier XML déposé ({_SYNTAX_NAMES.get(found.syntax, found.syntax)}, "
        f"profil {found.profile}) : le XML fait foi.",
        size=8,
        height=4,
    )
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(90, 6, pdf.text_safe("Vendeur"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for text in [found.seller_name or supplier.name, *[i[:1].upper() + i[1:] for i in found.supplier_identifiers]]:
        pdf.cell(90, 5, pdf.text_safe(text)[:70], new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(110, top)
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(90, 6, pdf.text_safe("Acheteur"), new_x="LEFT", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    buyer_lines = [found.buyer_name or "—", *[i[:1].upper() + i[1:] for i in found.recipient_identifiers]]
    if found.service_code:
        buyer_lines.append(f"Code service {found.service_code}")
    for text in buyer_lines:
        pdf.set_x(110)
        pdf.cell(90, 5, pdf.text_safe(text)[:70], new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, max(bottom, pdf.get_y()) + 4)
    for label, value in (
        ("N° d'engagement", found.engagement_number),
        ("N° de marché", found.market_number),
        ("Facture d'origine", found.original_invoice_number),
    ):
        if value:
            pdf.pair(label, value)
    pdf.ln(3)
    if found.lines:
        widths = (72, 18, 16, 26, 16, 32)
        headers = ("Désignation", "Quantité", "Unité", "Prix unit. HT", "TVA", "Montant HT")
        pdf.set_font(pdf.family, "B", 9)
        pdf.set_fill_color(230, 230, 240)
        for width, header in zip(widths, headers, strict=True):
            pdf.cell(width, 7, pdf.text_safe(header), border=1, fill=True, align="C")
        pdf.ln()
        pdf.set_font(pdf.family, "", 9)
        for line in found.lines:
            cells = (
                line["designation"],
                _decimal_text(line["quantity"]),
                line["unit"],
                _decimal_text(line["unit_price"], money=True) if line["unit_price"] else "",
                f"{_decimal_text(line['rate'])}{formats.UNIT_SEPARATOR}%" if line["rate"] else "",
                _decimal_text(line["amount"], money=True),
            )
            for width, text, align in zip(widths, cells, ("L", "R", "L", "R", "R", "R"), strict=True):
                pdf.cell(width, 7, pdf.text_safe(text)[:40], border=1, align=align)
            pdf.ln()
        pdf.ln(4)
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(0, 6, pdf.text_safe("Récapitulatif de TVA"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    for vat in found.vat_lines:
        label = f"TVA {formats.percent(vat.rate)} sur {formats.money(vat.base_ht)} : {formats.money(vat.vat_amount)}"
        if vat.exemption_reason:
            label += f" (exonération : {vat.exemption_reason})"
        pdf.line_text(label, size=9, height=5)
    pdf.ln(3)
    for label, value in (
        ("Total HT", found.amount_ht),
        ("Total TVA", found.amount_tva),
        ("Total TTC", found.amount_ttc),
    ):
        pdf.set_x(110)
        pdf.set_font(pdf.family, "B", 10)
        pdf.cell(45, 7, pdf.text_safe(label), border=1)
        pdf.cell(45, 7, pdf.text_safe(formats.money(value)), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_certificate_pdf(invoice: Invoice) -> bytes:
    """The deposit certificate (certificat de dépôt) of a sent invoice."""
    pdf = _Document("Certificat de dépôt")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_text("Certificat de dépôt", size=16, bold=True, height=9)
    pdf.line_text(
        "Le portail Chorus Pro certifie avoir reçu la facture décrite ci-dessous, avec le fichier et les pièces "
        "jointes dont l'empreinte figure en bas de page.",
        size=9,
        height=5,
    )
    pdf.ln(3)
    sent_at = timezone.localtime(invoice.sent_at) if invoice.sent_at else None
    rows = [
        ("Identifiant", invoice.identifier),
        ("Déposée le", f"{sent_at:%d/%m/%Y à %H:%M:%S}" if sent_at else "—"),
        ("Mode de dépôt", invoice.get_deposit_mode_display()),
        ("Type", invoice.document_label),
        ("Numéro de facture", invoice.number),
        ("Date de facture", f"{invoice.invoice_date:%d/%m/%Y}" if invoice.invoice_date else "—"),
        ("Cadre de facturation", invoice.get_cadre_display()),
        ("Fournisseur", f"{invoice.supplier.name} (SIRET {invoice.supplier.identifier})"),
        (
            "Destinataire",
            f"{invoice.recipient.name} (SIRET {invoice.recipient.identifier})" if invoice.recipient else "—",
        ),
        ("Code service", invoice.recipient_service.code if invoice.recipient_service else "—"),
        ("N° d'engagement", invoice.engagement_number or "—"),
        ("Montant HT", formats.money(invoice.amount_ht)),
        ("Montant TVA", formats.money(invoice.amount_tva)),
        ("Montant TTC", formats.money(invoice.amount_ttc)),
        ("Fichier", f"{invoice.pdf_original_filename} ({invoice.pdf_size} octets)"),
    ]
    for attachment in invoice.attachments.all():
        rows.append(("Pièce jointe", f"{attachment.original_filename} ({attachment.size} octets)"))
    for label, value in rows:
        pdf.pair(label, value)
    pdf.ln(4)
    pdf.line_text("Empreinte du dépôt (SHA-256)", bold=True)
    pdf.set_font("courier", size=9)
    pdf.multi_cell(0, 5, invoice.certificate_fingerprint, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.line_text(
        "Empreinte SHA-256 des octets du fichier de la facture suivis des données du dépôt en JSON canonique "
        "(dont l'empreinte de chaque pièce jointe).",
        size=8,
        height=4,
    )
    return bytes(pdf.output())
