"""Imports of the Chorus Pro directory (annuaire) and of legal commitments (EJ).

One module per job: ``parsing`` (column layouts and value parsers), ``sources`` (files, zip members
and header sniffing), ``handlers`` (one per layout: parse a line, write a batch), ``bulk`` (the raw
batched INSERT/COPY and UPDATE), ``reports`` (counts and rejected lines) and ``runner`` (the run
itself). The names used by the commands, the demo loader, ``bench/`` and the tests are re-exported
here.

The management commands ``import_annuaire`` and ``import_engagements`` are thin wrappers around
:func:`import_annuaire` and :func:`import_engagements`; the demo loader calls them too.

How a file goes in (docs/import-annuaire.md, docs/import-engagements.md):

- **Detection.** Each path is a zip (every ``.csv`` member is examined) or a CSV file. The first
  64 KiB are sniffed: binary content (NUL bytes) or bytes that are not UTF-8 stop that file with
  a French message; otherwise the header row says which layout it is (the exact columns of the
  reference doc, compared case-insensitively). An unknown header imports nothing from that file
  and names the expected columns.
- **Streaming.** Rows are read with the ``csv`` module over a text wrapper of the file or of the
  zip member; only one batch is held in memory (rejections beyond the first few are counted and,
  on request, streamed to a CSV file), so a full directory imports in bounded memory.
- **Batches.** Every ``batch_size`` valid lines, one transaction: one query fetches the rows of
  the batch that already exist (by natural key), new rows are inserted with one statement
  (:func:`bulk.insert_rows`), changed ones updated (:func:`bulk.update_rows`), equal ones only
  counted. When the previous batch of the file found none of its rows (a first import), the
  batch is inserted without that query, in a savepoint: a row that exists after all makes the
  unique constraint refuse the insert, and the batch is then written the ordinary way
  (:class:`handlers.Handler`). Re-importing the same file changes nothing and reports every line
  unchanged. A key seen twice closes the batch first, so the later line wins
  exactly as it would across batches. If the database refuses a batch, it is replayed line by line
  (one savepoint each) so that only the offending line is rejected: a line is never half-written
  and valid lines are still imported.
- **Order.** Structures files go before services files whatever the order of the arguments,
  since services are linked to their structure by its ``Identifiant``.
- **Dry run.** Everything runs in one transaction rolled back at the end.
"""

from structures.importers.bulk import insert_rows, update_rows
from structures.importers.handlers import (
    BatchResult,
    ChildHandler,
    EngagementsHandler,
    Handler,
    Item,
    ServicesHandler,
    StructuresHandler,
)
from structures.importers.parsing import (
    DELIMITER,
    ENGAGEMENT_COLUMNS,
    SERVICE_COLUMNS,
    STRUCTURE_COLUMNS,
    RowRejected,
    normalize_identifier,
    parse_amount,
    parse_date,
    parse_flag,
)
from structures.importers.reports import REJECTS_KEPT, FileReport, ImportReport, RejectsWriter
from structures.importers.runner import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_PROGRESS_EVERY,
    Importer,
    import_annuaire,
    import_engagements,
)
from structures.importers.sources import (
    ANNUAIRE_LAYOUTS,
    ENGAGEMENT_LAYOUTS,
    ENGAGEMENTS,
    SERVICES,
    SNIFF_BYTES,
    STRUCTURES,
    FileRejected,
    Layout,
    Source,
    discover,
    expected_columns_message,
    sniff,
)

__all__ = [
    "ANNUAIRE_LAYOUTS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_PROGRESS_EVERY",
    "DELIMITER",
    "ENGAGEMENTS",
    "ENGAGEMENT_COLUMNS",
    "ENGAGEMENT_LAYOUTS",
    "REJECTS_KEPT",
    "SERVICES",
    "SERVICE_COLUMNS",
    "SNIFF_BYTES",
    "STRUCTURES",
    "STRUCTURE_COLUMNS",
    "BatchResult",
    "ChildHandler",
    "EngagementsHandler",
    "FileRejected",
    "FileReport",
    "Handler",
    "ImportReport",
    "Importer",
    "Item",
    "Layout",
    "RejectsWriter",
    "RowRejected",
    "ServicesHandler",
    "Source",
    "StructuresHandler",
    "discover",
    "expected_columns_message",
    "import_annuaire",
    "import_engagements",
    "insert_rows",
    "normalize_identifier",
    "parse_amount",
    "parse_date",
    "parse_flag",
    "sniff",
    "update_rows",
]
