"""Where the lines come from: the layouts, the files and zip members found, and header sniffing."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus import formats
from structures.importers.handlers import (
    EngagementsHandler,
    Handler,
    ServicesHandler,
    StructuresHandler,
    StructuresStateHandler,
)
from structures.importers.parsing import (
    DELIMITER,
    ENGAGEMENT_COLUMNS,
    SERVICE_COLUMNS,
    STRUCTURE_COLUMNS,
    STRUCTURE_STATE_COLUMNS,
)
from structures.importers.reports import FileReport

SNIFF_BYTES = 64 * 1024


class FileRejected(Exception):
    """A whole file (or zip member) that cannot be imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Layout:
    key: str
    label: Any  # lazy French label, e.g. "fichier des structures"
    columns: tuple[str, ...]
    handler: type[Handler]

    def matches(self, header: tuple[str, ...]) -> bool:
        return header == tuple(column.lower() for column in self.columns)


STRUCTURES = Layout("structures", gettext_lazy("fichier des structures"), STRUCTURE_COLUMNS, StructuresHandler)
STRUCTURES_WITH_STATE = Layout(
    "structures",
    gettext_lazy("fichier des structures, avec la colonne facultative EstEtat"),
    STRUCTURE_STATE_COLUMNS,
    StructuresStateHandler,
)
SERVICES = Layout("services", gettext_lazy("fichier des services"), SERVICE_COLUMNS, ServicesHandler)
ENGAGEMENTS = Layout(
    "engagements", gettext_lazy("fichier des engagements juridiques"), ENGAGEMENT_COLUMNS, EngagementsHandler
)
ANNUAIRE_LAYOUTS = (STRUCTURES, STRUCTURES_WITH_STATE, SERVICES)  # in import order
ENGAGEMENT_LAYOUTS = (ENGAGEMENTS,)


@dataclass
class Source:
    """A CSV to import: a file, or a member of a zip archive."""

    path: Path
    member: str | None
    layout: Layout

    @property
    def display(self) -> str:
        return f"{self.path.name} › {self.member}" if self.member else self.path.name

    @contextmanager
    def open_text(self):
        with ExitStack() as stack:
            if self.member:
                archive = stack.enter_context(zipfile.ZipFile(self.path))
                raw = stack.enter_context(archive.open(self.member))
            else:
                raw = stack.enter_context(open(self.path, "rb"))
            # Undecodable bytes become U+FFFD and reject their line (the start of the file was
            # checked strictly when sniffing, so this only catches a stray byte further down).
            yield stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=""))


def expected_columns_message(layouts: Iterable[Layout]) -> str:
    parts = [
        _("%(label)s : %(columns)s") % {"label": layout.label, "columns": DELIMITER.join(layout.columns)}
        for layout in layouts
    ]
    return (
        _("Colonnes attendues, dans cet ordre (séparateur « ; », ligne d'en-tête) :") + "\n  - " + "\n  - ".join(parts)
    )


def sniff(head: bytes, *, complete: bool, name: str, layouts: tuple[Layout, ...]) -> Layout:
    """The layout of a CSV from its first bytes, or :class:`FileRejected` with a French message."""
    if not head.strip():
        raise FileRejected(_("%(name)s est vide.") % {"name": name})
    if b"\x00" in head:
        raise FileRejected(_("%(name)s n'est ni un fichier CSV ni une archive zip (contenu binaire).") % {"name": name})
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _(
                "%(name)s n'est pas un fichier CSV encodé en UTF-8 (octet invalide à la position %(position)s) : enregistrez-le en CSV UTF-8."
            )
            % {"name": name, "position": exc.start}
        ) from None
    text = text.lstrip("\ufeff")
    end = text.find("\n")
    if end == -1 and not complete:
        raise FileRejected(
            _("%(name)s n'est pas un fichier CSV : pas de fin de ligne dans les premiers %(size)s.")
            % {"name": name, "size": formats.filesize(SNIFF_BYTES)}
        )
    header_line = (text if end == -1 else text[:end]).rstrip("\r")
    try:
        columns = next(csv.reader([header_line], delimiter=DELIMITER), [])
    except csv.Error:
        columns = []
    header = tuple(column.strip().lower() for column in columns)
    for layout in layouts:
        if layout.matches(header):
            return layout
    shown = header_line if len(header_line) <= 200 else header_line[:200] + "…"
    message = _("%(name)s : colonnes non reconnues, rien n'est importé de ce fichier. En-tête lu : « %(header)s ».") % {
        "name": name,
        "header": shown,
    }
    if len(columns) <= 1 and ("," in header_line or "\t" in header_line):
        message += " " + _("Le séparateur attendu est le point-virgule « ; ».")
    raise FileRejected(message + "\n" + expected_columns_message(layouts))


def discover(paths: Iterable[str | Path], layouts: tuple[Layout, ...]) -> tuple[list[Source], list[FileReport]]:
    """The CSV sources found in ``paths`` (sorted in layout order) and the files refused."""
    sources: list[Source] = []
    refused: list[FileReport] = []
    for raw_path in paths:
        path = Path(raw_path)
        if not path.is_file():
            refused.append(
                FileReport(path.name or str(path), error=_("Fichier introuvable : %(path)s") % {"path": path})
            )
            continue
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            found, errors = _discover_zip(path, layouts)
            sources += found
            refused += errors
            continue
        try:
            layout = sniff(head, complete=len(head) < SNIFF_BYTES, name=path.name, layouts=layouts)
        except FileRejected as exc:
            refused.append(FileReport(path.name, error=exc.message))
        else:
            sources.append(Source(path, None, layout))
    order = {layout.key: index for index, layout in enumerate(layouts)}
    sources.sort(key=lambda source: order[source.layout.key])  # stable: argument order otherwise
    return sources, refused


def _discover_zip(path: Path, layouts: tuple[Layout, ...]) -> tuple[list[Source], list[FileReport]]:
    sources: list[Source] = []
    refused: list[FileReport] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(".csv"):
                    continue
                display = f"{path.name} › {info.filename}"
                try:
                    with archive.open(info) as member:
                        head = member.read(SNIFF_BYTES)
                    layout = sniff(head, complete=len(head) >= info.file_size, name=display, layouts=layouts)
                except FileRejected as exc:
                    refused.append(FileReport(display, error=exc.message))
                except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError) as exc:
                    refused.append(
                        FileReport(
                            display,
                            error=_("%(name)s illisible dans l'archive : %(error)s") % {"name": display, "error": exc},
                        )
                    )
                else:
                    sources.append(Source(path, info.filename, layout))
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        return [], [
            FileReport(
                path.name,
                error=_("%(name)s n'est pas une archive zip lisible : %(error)s") % {"name": path.name, "error": exc},
            )
        ]
    if not sources and not refused:
        refused.append(
            FileReport(
                path.name,
                error=_("L'archive %(name)s ne contient aucun fichier CSV attendu.") % {"name": path.name}
                + "\n"
                + expected_columns_message(layouts),
            )
        )
    return sources, refused
