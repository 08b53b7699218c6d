"""What an import tells the operator: counts per file, the first rejected lines, the rejects CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from structures.importers.parsing import DELIMITER

if TYPE_CHECKING:
    from structures.importers.sources import Layout

REJECTS_KEPT = 50  # rejected lines kept in memory for the summary; the rest are only counted


@dataclass
class FileReport:
    display: str
    layout: Layout | None = None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)  # the first REJECTS_KEPT
    error: str = ""

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def imported_files(self) -> list[FileReport]:
        return [report for report in self.files if report.layout is not None]

    @property
    def errors(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def total(self, attribute: str) -> int:
        return sum(getattr(report, attribute) for report in self.files)

    @property
    def read(self) -> int:
        return self.total("read")

    @property
    def accepted(self) -> int:
        return self.total("accepted")

    def for_layout(self, layout: Layout) -> list[FileReport]:
        return [report for report in self.files if report.layout is layout]


class RejectsWriter:
    """Every rejected line, streamed to a CSV file (fichier;ligne;raison)."""

    def __init__(self, stream):
        self.writer = csv.writer(stream, delimiter=DELIMITER)
        self.writer.writerow(["fichier", "ligne", "raison"])

    def write(self, display: str, line: int, reason: str) -> None:
        self.writer.writerow([display, line, reason])
