"""The one download response of the portal and of the admin: how an invoice's file leaves the site."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


def download(content: bytes | FieldFile, *, filename: str, content_type: str) -> HttpResponse:
    """A download: always an attachment named ``filename``, never kept by a shared cache
    (``private, no-store``), sandboxed (``Content-Security-Policy: sandbox``: an HTML or SVG file
    opened anyway runs no script) and of the type given, never sniffed. ``content`` is the bytes of
    a generated PDF, or a stored file (``FieldFile``), opened from its storage and streamed."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        handle = content.storage.open(content.name, "rb")
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    return private_headers(response)


def private_headers(response):
    """The headers of every download (also a streamed one): ``private, no-store``, sandboxed, not sniffed."""
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
