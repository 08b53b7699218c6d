"""The import run: streams each source, batches valid lines, replays a refused batch line by line."""

import csv
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, reset_queries, transaction
from django.utils.translation import gettext as _

from structures.importers.handlers import Handler, Item
from structures.importers.parsing import DELIMITER, RowRejected
from structures.importers.reports import REJECTS_KEPT, FileReport, ImportReport, RejectsWriter
from structures.importers.sources import ANNUAIRE_LAYOUTS, ENGAGEMENT_LAYOUTS, Layout, Source, discover

DEFAULT_BATCH_SIZE = 1000
DEFAULT_PROGRESS_EVERY = 10_000


class Importer:
    """Runs the import of a set of paths for the given layouts; see the module docstring."""

    def __init__(
        self,
        layouts: tuple[Layout, ...],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        progress: Callable[[FileReport], None] | None = None,
        progress_every: int = DEFAULT_PROGRESS_EVERY,
        rejects_file: str | Path | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.layouts = layouts
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.rejects_file = rejects_file
        self.rejects_writer: RejectsWriter | None = None

    def run(self, paths: Iterable[str | Path]) -> ImportReport:
        started = time.monotonic()
        sources, refused = discover(paths, self.layouts)
        report = ImportReport(files=list(refused), dry_run=self.dry_run)
        with ExitStack() as stack:
            if self.rejects_file:
                stream = stack.enter_context(open(self.rejects_file, "w", encoding="utf-8", newline=""))
                self.rejects_writer = RejectsWriter(stream)
            if self.dry_run:
                stack.enter_context(transaction.atomic())
            for source in sources:
                file_report = FileReport(source.display, layout=source.layout)
                report.files.append(file_report)
                self._import_source(source, file_report)
            if self.dry_run:
                transaction.set_rollback(True)
        report.seconds = time.monotonic() - started
        return report

    def _reject(self, report: FileReport, line: int, reason: str) -> None:
        report.rejected += 1
        if len(report.rejects) < REJECTS_KEPT:
            report.rejects.append((line, reason))
        if self.rejects_writer:
            self.rejects_writer.write(report.display, line, reason)

    def _import_source(self, source: Source, report: FileReport) -> None:
        handler = source.layout.handler()
        width = len(source.layout.columns)
        batch: dict[tuple, Item] = {}
        line = 1
        try:
            with source.open_text() as text:
                reader = csv.reader(text, delimiter=DELIMITER)
                next(reader, None)  # the header, already checked
                while True:
                    line = reader.line_num + 1
                    try:
                        row = next(reader)
                    except StopIteration:
                        break
                    except csv.Error as exc:
                        report.read += 1
                        self._reject(report, line, _("ligne CSV mal formée : %(error)s") % {"error": exc})
                        continue
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    report.read += 1
                    if report.read % self.progress_every == 0 and self.progress:
                        self.progress(report)
                    if len(row) != width:
                        self._reject(
                            report,
                            line,
                            _("%(found)s colonnes au lieu de %(expected)s (séparateur « ; »)")
                            % {"found": len(row), "expected": width},
                        )
                        continue
                    row = list(map(str.strip, row))
                    if "\ufffd" in "".join(row):
                        self._reject(report, line, _("caractères invalides : le fichier doit être encodé en UTF-8"))
                        continue
                    try:
                        key, values = handler.parse(row)
                    except RowRejected as exc:
                        self._reject(report, line, exc.reason)
                        continue
                    if key in batch:  # the same key again: the later line wins, as across batches
                        self._flush(handler, list(batch.values()), report)
                        batch.clear()
                    batch[key] = Item(line, key, values)
                    if len(batch) >= self.batch_size:
                        self._flush(handler, list(batch.values()), report)
                        batch.clear()
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            report.error = _("Lecture de %(name)s interrompue à la ligne %(line)s : %(error)s") % {
                "name": report.display,
                "line": line,
                "error": exc,
            }
        if batch:
            self._flush(handler, list(batch.values()), report)
        handler.finish()

    def _flush(self, handler: Handler, items: list[Item], report: FileReport) -> None:
        try:
            with transaction.atomic():
                result = handler.write(items)
        except DatabaseError as exc:
            if len(items) == 1:
                self._reject(report, items[0].line, _("refusée par la base de données : %(error)s") % {"error": exc})
            else:  # find the offending line(s): replay one line per savepoint
                for item in items:
                    self._flush(handler, [item], report)
            return
        finally:
            if settings.DEBUG:
                reset_queries()  # keep the query log from growing with the file
        report.created += result.created
        report.updated += result.updated
        handler.created_rows(result.created)
        report.unchanged += result.unchanged
        for line, reason in sorted(result.rejects):
            self._reject(report, line, reason)


def import_annuaire(paths: Iterable[str | Path], **options) -> ImportReport:
    """Import directory files (zip, structures CSV, services CSV). Options: see :class:`Importer`."""
    return Importer(ANNUAIRE_LAYOUTS, **options).run(paths)


def import_engagements(paths: Iterable[str | Path], **options) -> ImportReport:
    """Import legal commitments (EJ) CSV files. Options: see :class:`Importer`."""
    return Importer(ENGAGEMENT_LAYOUTS, **options).run(paths)
