"""PDF files for the tests, made on the fly: the sample invoices of ``invoices.samples`` (text and
Factur-X PDFs), a signed-looking PDF, an encrypted PDF and broken files.
"""

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from invoices.samples import CiiData, cii_xml, facturx_pdf, invoice_text_pdf, text_pdf  # noqa: F401

# 1x1 transparent PNG.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100050d0a2db40000000049454e44ae426082"
)


def signed_pdf(base: bytes | None = None) -> bytes:
    """A PDF carrying a signature field (/FT /Sig with a /V signature dictionary).

    The signature is not cryptographically valid: the portal checks the presence of a signature,
    like the real portal's format check.
    """
    reader = PdfReader(io.BytesIO(base or text_pdf(["Facture signée"])))
    writer = PdfWriter(clone_from=reader)
    sig_value = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Sig"),
            NameObject("/Filter"): NameObject("/Adobe.PPKLite"),
            NameObject("/SubFilter"): NameObject("/adbe.pkcs7.detached"),
            NameObject("/ByteRange"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0), NumberObject(0)]),
            NameObject("/Contents"): ByteStringObject(b"\x00" * 16),
            NameObject("/M"): TextStringObject("D:20260115120000+01'00'"),
        }
    )
    field_dict = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject("Signature1"),
            NameObject("/V"): writer._add_object(sig_value),
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/F"): NumberObject(132),
        }
    )
    field_ref = writer._add_object(field_dict)
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([field_ref])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([field_ref]), NameObject("/SigFlags"): NumberObject(3)}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(base: bytes | None = None, password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base or text_pdf())))
    writer.encrypt(user_password=password, owner_password=password)  # RC4: no cryptography package needed
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    data = text_pdf(["Facture tronquée"] * 20)
    return data[: len(data) // 3]


def corrupt_pdf() -> bytes:
    """Starts like a PDF, then nothing a PDF reader can use."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"


def zero_page_pdf() -> bytes:
    writer = PdfWriter()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_embedded_file(base: bytes, name: str, content: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Factur-X ------------------------------------------------------------------------------
