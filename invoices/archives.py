"""Reading a zip of invoice files safely (plain Python, no database): which entries are invoice
files, which are ignored (folders, hidden files, ``__MACOSX``), what is wrong with an entry
(a path out of the archive, a type not accepted, encrypted, too large), and the bytes of an entry
read within a limit, whatever size its header declares.

Nothing is ever extracted to disk: an entry is read into memory, at most ``limit + 1`` bytes, so a
zip bomb costs at most that much, and a header that lies about its size makes ``zipfile`` stop at
the declared size and fail on the CRC (``EntryError``).
"""

import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from chorus import formats

ACCEPTED_EXTENSIONS = ("pdf", "xml")
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", "icon\r"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ArchiveError(Exception):
    """The archive as a whole cannot be read (French message)."""


class EntryError(Exception):
    """One entry cannot be read (French message)."""


@dataclass(frozen=True)
class Entry:
    position: int  # index in ``ZipFile.infolist()``
    name: str  # as shown: its path in the archive, "/" separated, no control characters
    size: int  # the uncompressed size its header declares
    ignored: str = ""  # why it is not processed, or "" for an invoice file


def open_archive(fileobj) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
        raise ArchiveError(
            _("Ce fichier n'est pas une archive zip lisible : déposez un fichier .zip (dossier compressé).")
        ) from None


def display_name(info: zipfile.ZipInfo) -> str:
    name = unicodedata.normalize("NFC", info.filename.replace("\\", "/"))
    return _CONTROL.sub("", name).strip()[:500] or "?"


def list_entries(archive: zipfile.ZipFile) -> list[Entry]:
    """Every file entry of the archive in its order (folders are not entries), the ignored ones
    with their reason."""
    entries = []
    for position, info in enumerate(archive.infolist()):
        if info.is_dir():
            continue
        name = display_name(info)
        entries.append(Entry(position=position, name=name, size=info.file_size, ignored=ignored_reason(name)))
    return entries


def ignored_reason(name: str) -> str:
    """Why a file of the archive is not an invoice to process: macOS metadata, hidden files and
    folders, Windows thumbnails; "" otherwise."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if "__MACOSX" in parts:
        return _("Ignoré : métadonnées ajoutées par macOS (dossier __MACOSX).")
    if any(part.startswith(".") and part != ".." for part in parts):
        return _("Ignoré : fichier ou dossier caché.")
    if parts and parts[-1].lower() in _SYSTEM_FILES:
        return _("Ignoré : fichier système.")
    return ""


def entry_problem(info: zipfile.ZipInfo, *, limit: int) -> str:
    """Why an entry is refused before it is read (French), "" when it can be read."""
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or _DRIVE.match(name) or ".." in parts:
        return _(
            "Chemin refusé : « %(name)s » sort de l'archive (chemin absolu ou « .. »). Le fichier n'est pas lu ; "
            "refaites l'archive à partir d'un dossier."
        ) % {"name": display_name(info)}
    extension = parts[-1].rsplit(".", 1)[-1].lower() if "." in parts[-1] else ""
    if extension not in ACCEPTED_EXTENSIONS:
        return _(
            "Type de fichier non accepté (%(ext)s) : une archive de factures contient des PDF (Factur-X ou non) et "
            "des fichiers XML (UBL 2.1, UN/CEFACT CII)."
        ) % {"ext": f".{extension}" if extension else _("sans extension")}
    if info.flag_bits & 0x1:
        return _("Fichier chiffré (protégé par un mot de passe) : déposez une archive sans mot de passe.")
    if info.file_size == 0:
        return _("Le fichier est vide.")
    if info.file_size > limit:
        return _(
            "Le fichier pèse %(size)s une fois décompressé : la taille maximale d'une facture est de %(limit)s."
        ) % {
            "size": formats.filesize(info.file_size),
            "limit": formats.filesize(limit),
        }
    return ""


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    """The bytes of ``info``, at most ``limit``; ``EntryError`` when it is larger once uncompressed,
    damaged, or its header lies about its size."""
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        raise EntryError(
            _(
                "Fichier illisible dans l'archive (données abîmées, taille annoncée fausse ou compression non "
                "prise en charge) : il n'est pas lu."
            )
        ) from None
    if len(data) > limit:
        raise EntryError(
            _("Une fois décompressé, le fichier dépasse %(limit)s (l'archive annonçait %(size)s) : il n'est pas lu.")
            % {"limit": formats.filesize(limit), "size": formats.filesize(info.file_size)}
        )
    return data
