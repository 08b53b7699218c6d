"""Imports of the Chorus Pro directory (annuaire) and of legal commitments (EJ).

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
  (:func:`insert_rows`), changed ones updated (:func:`update_rows`), equal ones only counted. Re-importing the same file changes nothing and
  reports every line unchanged. A key seen twice closes the batch first, so the later line wins
  exactly as it would across batches. If the database refuses a batch, it is replayed line by line
  (one savepoint each) so that only the offending line is rejected: a line is never half-written
  and valid lines are still imported.
- **Order.** Structures files go before services files whatever the order of the arguments,
  since services are linked to their structure by its ``Identifiant``.
- **Dry run.** Everything runs in one transaction rolled back at the end.
"""

from __future__ import annotations

import codecs
import csv
import io
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus import formats
from structures.models import (
    EngagementJuridique,
    EngagementStatus,
    IdentifierType,
    Service,
    Structure,
    StructureKind,
)
from structures.validators import normalize_siret, validate_siret

DELIMITER = ";"
SNIFF_BYTES = 64 * 1024
DEFAULT_BATCH_SIZE = 1000
DEFAULT_PROGRESS_EVERY = 10_000
REJECTS_KEPT = 50  # rejected lines kept in memory for the summary; the rest are only counted

STRUCTURE_COLUMNS = (
    "TypeIdentifiant",
    "Identifiant",
    "RaisonSociale",
    "EmetteurEdi",
    "RecepteurEdi",
    "GestionStatutMiseEnPaiement",
    "GestionEngagement",
    "GestionService",
    "GestionServiceEngagement",
    "EstMOA",
    "EstMOAUniquement",
    "StructureActive",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
SERVICE_COLUMNS = (
    "Identifiant",
    "RaisonSociale",
    "Code",
    "Nom",
    "GestionEGMT",
    "ServiceActif",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
ENGAGEMENT_COLUMNS = (
    "NumeroEJ",
    "IdentifiantDestinataire",
    "IdentifiantFournisseur",
    "RaisonSocialeFournisseur",
    "Montant",
    "Statut",
    "DateDebut",
    "DateFin",
)

# Address columns shared by both directory files, with their model field.
_ADDRESS = (
    ("Adresse", "address_line1"),
    ("ComplementAdresse1", "address_line2"),
    ("ComplementAdresse2", "address_line3"),
    ("CodePostal", "postal_code"),
    ("Ville", "city"),
    ("NumTelephone", "phone"),
    ("Courriel", "email"),
    ("CodePays", "country_code"),
    ("LibellePays", "country_label"),
)
_STRUCTURE_FLAGS = (
    ("EmetteurEdi", "edi_sender"),
    ("RecepteurEdi", "edi_receiver"),
    ("GestionStatutMiseEnPaiement", "reports_payment_status"),
    ("GestionEngagement", "ej_required"),
    ("GestionService", "service_required"),
    ("GestionServiceEngagement", "service_or_ej_required"),
    ("EstMOA", "is_moa"),
    ("EstMOAUniquement", "is_moa_only"),
    ("StructureActive", "is_active"),
)


class RowRejected(Exception):
    """A line that cannot be imported; ``reason`` is shown to the operator (French)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FileRejected(Exception):
    """A whole file (or zip member) that cannot be imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Parsing helpers --------------------------------------------------------------------------


def _max_lengths(model) -> dict[str, int]:
    return {f.name: f.max_length for f in model._meta.fields if getattr(f, "max_length", None)}


def _text(value: str, column: str, field_name: str, max_lengths: dict[str, int], *, required: bool = False) -> str:
    if required and not value:
        raise RowRejected(_("la colonne %(column)s est vide") % {"column": column})
    limit = max_lengths.get(field_name)
    if limit and len(value) > limit:
        raise RowRejected(_("la colonne %(column)s dépasse %(limit)s caractères") % {"column": column, "limit": limit})
    return value


def parse_flag(value: str, column: str) -> bool:
    """``true``/``false`` in any case; anything else (empty included) rejects the line."""
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise RowRejected(
        _("valeur « %(value)s » invalide pour %(column)s : « true » ou « false » attendu")
        % {"value": value, "column": column}
    )


def normalize_identifier(value: str) -> str:
    """A SIRET written with spaces or dots is compacted; other identifiers are kept as given."""
    compact = normalize_siret(value)
    return compact if len(compact) == 14 and compact.isdigit() else value


def _siret(value: str, column: str) -> str:
    number = normalize_siret(value)
    try:
        validate_siret(number)
    except ValidationError as exc:
        raise RowRejected(
            _("SIRET « %(value)s » invalide (%(column)s) : %(reason)s")
            % {"value": value, "column": column, "reason": exc.messages[0]}
        ) from None
    return number


def parse_amount(value: str, column: str) -> Decimal | None:
    """``1234,56``, ``1234.56``, ``1 234,5``; at most 2 decimals, not negative; empty → None."""
    if not value:
        return None
    compact = "".join(value.split()).replace("\u202f", "")
    if compact.count(",") + compact.count(".") > 1:
        raise RowRejected(
            _(
                "montant « %(value)s » invalide (%(column)s) : un seul séparateur décimal attendu, sans séparateur de milliers autre que l'espace"
            )
            % {"value": value, "column": column}
        )
    try:
        amount = Decimal(compact.replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise RowRejected(
            _("montant « %(value)s » invalide (%(column)s) : nombre attendu, par exemple 1234,56")
            % {"value": value, "column": column}
        )
    if amount < 0:
        raise RowRejected(_("montant « %(value)s » négatif (%(column)s)") % {"value": value, "column": column})
    if amount.as_tuple().exponent < -2:
        raise RowRejected(
            _("montant « %(value)s » invalide (%(column)s) : au plus 2 décimales") % {"value": value, "column": column}
        )
    amount = amount.quantize(Decimal("0.01"))
    if len(amount.as_tuple().digits) > 15:
        raise RowRejected(_("montant « %(value)s » trop grand (%(column)s)") % {"value": value, "column": column})
    return amount


def parse_date(value: str, column: str) -> date | None:
    """``JJ/MM/AAAA`` or ``AAAA-MM-JJ``; empty → None."""
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowRejected(
        _("date « %(value)s » invalide (%(column)s) : JJ/MM/AAAA ou AAAA-MM-JJ attendu")
        % {"value": value, "column": column}
    )


# --- Raw batched writes ----------------------------------------------------------------------
#
# The ORM's bulk_create spent about two thirds of an import's time compiling values one by one
# (measured with cProfile; see bench/import_annuaire.py). These two functions write the same rows with
# one statement: ``COPY`` on PostgreSQL (psycopg2), ``executemany`` on SQLite (rows bound in C),
# multi-row ``VALUES`` elsewhere. For ``executemany`` and ``VALUES``, values are adapted by
# the model fields (``get_db_prep_save``) except for text, booleans and ids, which every driver
# takes as they are. Columns missing from a row get the field's default, as ``Model()`` would.

_PASS_THROUGH = (models.CharField, models.BooleanField, models.TextField, models.AutoField, models.ForeignKey)


def _column_plan(model, names: list[str]):
    fields = [model._meta.get_field(name) for name in names]
    preps = [None if isinstance(f, _PASS_THROUGH) else f for f in fields]
    return fields, preps


def _prepared(rows: list[dict], names: list[str], preps: list) -> list[tuple]:
    connection = connections[DEFAULT_DB_ALIAS]
    out = []
    for row in rows:
        out.append(
            tuple(
                row[name] if prep is None else prep.get_db_prep_save(row[name], connection)
                for name, prep in zip(names, preps, strict=True)
            )
        )
    return out


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format (the values of an import: text, flags, ids,
    amounts, dates and timestamps)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # int, Decimal, date


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts keyed by field name or attname) into ``model``'s table."""
    connection = connections[DEFAULT_DB_ALIAS]
    given = set(rows[0])
    defaults = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in given and f.attname not in given
    }
    names = [*rows[0], *defaults]
    if defaults:
        rows = [{**row, **defaults} for row in rows]
    fields, preps = _column_plan(model, names)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):  # psycopg2
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join([_copy_text(row[name]) for name in names]))
                buffer.write("\n")
            buffer.seek(0)
            with connection.wrap_database_errors:  # psycopg2 errors → django.db errors
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
            return
        params = _prepared(rows, names, preps)
        if connection.vendor == "sqlite":
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", params)  # noqa: S608
            return
        per_statement = max(1, 30_000 // len(fields))  # PostgreSQL allows 65,535 parameters
        for start in range(0, len(params), per_statement):
            chunk = params[start : start + per_statement]
            sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * len(chunk))  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def update_rows(model, names: list[str], rows: list[dict]) -> None:
    """UPDATE ``names`` of each row by ``id`` (a re-import changes few rows: one statement each)."""
    connection = connections[DEFAULT_DB_ALIAS]
    fields, preps = _column_plan(model, names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    params = [(*values, row["id"]) for values, row in zip(_prepared(rows, names, preps), rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- Handlers: one per file layout ------------------------------------------------------------


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Item:
    line: int
    key: tuple
    values: dict[str, Any]


class Handler:
    """Parses the lines of one layout and writes them by batches.

    ``parse(row)`` returns ``(key, values)`` or raises :class:`RowRejected`; ``write(items)``
    runs inside a transaction and returns a :class:`BatchResult`.
    """

    model: type
    fields: tuple[str, ...]  # the model fields a line sets, compared to detect a change

    def __init__(self):
        self.max_lengths = _max_lengths(self.model)
        self.created = 0
        self.next_analyze = 1000

    def created_rows(self, count: int) -> None:
        """Keep PostgreSQL's planner statistics in step while a table fills up.

        Without them (autovacuum analyzes a minute later at best), the lookups of each batch are
        planned for an empty table and scan it sequentially: quadratic on a first import. The
        table is analyzed each time it doubled during the run (about ten times for 300,000 rows,
        ~0.1 s each).
        """
        self.created += count
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor == "postgresql" and self.created >= self.next_analyze:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(self.model._meta.db_table)}")
            self.next_analyze = 2 * self.created

    def parse(self, row: list[str]) -> tuple[tuple, dict[str, Any]]:
        raise NotImplementedError

    def write(self, items: list[Item]) -> BatchResult:
        raise NotImplementedError

    def _apply(self, result: BatchResult, to_create: list[dict], to_update: list[dict]) -> None:
        """Insert ``to_create`` (full rows) and update ``to_update`` (``id`` + ``fields``)."""
        now = timezone.now()
        if to_create:
            for row in to_create:
                row["created_at"] = row["updated_at"] = now
            insert_rows(self.model, to_create)
        if to_update:
            for row in to_update:
                row["updated_at"] = now
            update_rows(self.model, [*self.fields, "updated_at"], to_update)
        result.created += len(to_create)
        result.updated += len(to_update)

    def _diff(self, existing: dict[str, Any], values: dict[str, Any]) -> bool:
        return any(existing[name] != values[name] for name in self.fields)

    @staticmethod
    def _public_ids(identifiers: Iterable[str]) -> dict[str, list[int]]:
        """Public structures by identifier (a list: two identifier types could share one).

        Filtered on ``identifier`` only, and on the kind in Python: given ``kind`` too, SQLite
        walks the low-selectivity kind index (every public structure) instead of the identifier
        one, 20 times slower on a full directory.
        """
        found: dict[str, list[int]] = {}
        rows = Structure.objects.filter(identifier__in=set(identifiers)).order_by()
        for identifier, pk, kind in rows.values_list("identifier", "id", "kind"):
            if kind == StructureKind.PUBLIC:
                found.setdefault(identifier, []).append(pk)
        return found

    @staticmethod
    def _resolve(found: dict[str, list[int]], identifier: str, column: str) -> int:
        ids = found.get(identifier)
        if not ids:
            raise RowRejected(
                _(
                    "structure « %(identifier)s » (%(column)s) absente de l'annuaire : importez d'abord le fichier des structures"
                )
                % {"identifier": identifier, "column": column}
            )
        if len(ids) > 1:
            raise RowRejected(
                _("identifiant « %(identifier)s » ambigu : plusieurs structures publiques le portent")
                % {"identifier": identifier}
            )
        return ids[0]


class StructuresHandler(Handler):
    model = Structure
    fields = ("name", *(name for _c, name in _STRUCTURE_FLAGS), *(name for _c, name in _ADDRESS))
    _identifier_types = frozenset(IdentifierType.values)

    def parse(self, row):
        identifier_type = row[0].upper()
        if not identifier_type:
            raise RowRejected(_("la colonne %(column)s est vide") % {"column": "TypeIdentifiant"})
        if identifier_type not in self._identifier_types:
            raise RowRejected(
                _("type d'identifiant « %(value)s » inconnu : %(expected)s attendu")
                % {"value": row[0], "expected": ", ".join(IdentifierType.values)}
            )
        raw_identifier = _text(row[1], "Identifiant", "identifier", self.max_lengths, required=True)
        if identifier_type == IdentifierType.SIRET:
            identifier = _siret(raw_identifier, "Identifiant")
        else:
            identifier = raw_identifier
        values = {"name": _text(row[2], "RaisonSociale", "name", self.max_lengths, required=True)}
        for index, (column, name) in enumerate(_STRUCTURE_FLAGS, start=3):
            values[name] = parse_flag(row[index], column)
        for index, (column, name) in enumerate(_ADDRESS, start=12):
            value = values[name] = row[index]
            if len(value) > self.max_lengths[name]:
                _text(value, column, name, self.max_lengths)  # raises, naming the column
        return (identifier_type, identifier), values

    def write(self, items):
        result = BatchResult()
        identifiers = {item.key[1] for item in items}
        existing = {
            (row["identifier_type"], row["identifier"]): row
            for row in Structure.objects.filter(identifier__in=identifiers)
            .order_by()
            .values("id", "kind", "identifier_type", "identifier", *self.fields)
        }
        to_create, to_update = [], []
        for item in items:
            identifier_type, identifier = item.key
            current = existing.get(item.key)
            if current is None:
                to_create.append(
                    {
                        "kind": StructureKind.PUBLIC,
                        "identifier_type": identifier_type,
                        "identifier": identifier,
                        **item.values,
                    }
                )
            elif current["kind"] != StructureKind.PUBLIC:
                result.rejects.append(
                    (
                        item.line,
                        _(
                            "l'identifiant « %(identifier)s » est celui d'une structure fournisseur (privée) déjà inscrite : elle n'est pas modifiée par l'annuaire"
                        )
                        % {"identifier": identifier},
                    )
                )
            elif self._diff(current, item.values):
                to_update.append({"id": current["id"], **item.values})
            else:
                result.unchanged += 1
        self._apply(result, to_create, to_update)
        return result


class ChildHandler(Handler):
    """Rows that belong to a public structure, keyed by (its identifier, a code of theirs):
    services (structure, code) and EJ (recipient, number). One way to resolve, compare and write."""

    parent_field: str  # the foreign key column, e.g. "structure_id"
    key_field: str  # the code unique within the parent, e.g. "code"
    parent_column: str  # the CSV column naming the parent, for rejection messages

    def write(self, items):
        result = BatchResult()
        found = self._public_ids(item.key[0] for item in items)
        resolved: list[tuple[Item, int]] = []
        for item in items:
            try:
                resolved.append((item, self._resolve(found, item.key[0], self.parent_column)))
            except RowRejected as exc:
                result.rejects.append((item.line, exc.reason))
        existing = {
            (row[self.parent_field], row[self.key_field]): row
            for row in self.model.objects.filter(
                **{
                    f"{self.parent_field}__in": {pk for _item, pk in resolved},
                    f"{self.key_field}__in": {item.key[1] for item, _pk in resolved},
                }
            )
            .order_by()
            .values("id", self.parent_field, self.key_field, *self.fields)
        }
        to_create, to_update = [], []
        for item, parent_id in resolved:
            key = item.key[1]
            current = existing.get((parent_id, key))
            if current is None:
                to_create.append({self.parent_field: parent_id, self.key_field: key, **item.values})
            elif self._diff(current, item.values):
                to_update.append({"id": current["id"], **item.values})
            else:
                result.unchanged += 1
        self._apply(result, to_create, to_update)
        return result


class ServicesHandler(ChildHandler):
    model = Service
    parent_field, key_field, parent_column = "structure_id", "code", "Identifiant"
    fields = ("name", "ej_required", "is_active", *(name for _c, name in _ADDRESS))

    def parse(self, row):
        identifier = normalize_identifier(_text(row[0], "Identifiant", "", {}, required=True))
        code = _text(row[2], "Code", "code", self.max_lengths, required=True)
        values = {
            "name": _text(row[3], "Nom", "name", self.max_lengths, required=True),
            "ej_required": parse_flag(row[4], "GestionEGMT"),
            "is_active": parse_flag(row[5], "ServiceActif"),
        }
        for index, (column, name) in enumerate(_ADDRESS, start=6):
            value = values[name] = row[index]
            if len(value) > self.max_lengths[name]:
                _text(value, column, name, self.max_lengths)  # raises, naming the column
        return (identifier, code), values


class EngagementsHandler(ChildHandler):
    model = EngagementJuridique
    parent_field, key_field, parent_column = "recipient_id", "number", "IdentifiantDestinataire"
    fields = ("supplier_identifier", "supplier_name", "amount", "status", "start_date", "end_date")
    _statuses = frozenset(EngagementStatus.values)

    def parse(self, row):
        number = _text(row[0], "NumeroEJ", "number", self.max_lengths, required=True)
        recipient = normalize_identifier(_text(row[1], "IdentifiantDestinataire", "", {}, required=True))
        supplier = _text(row[2], "IdentifiantFournisseur", "supplier_identifier", self.max_lengths, required=True)
        compact = normalize_siret(supplier)
        if compact.isdigit():
            supplier = _siret(supplier, "IdentifiantFournisseur")
        elif len(compact) >= 3 and compact[:2].isalpha() and compact.isalnum():
            supplier = compact.upper()  # a foreign identifier (e.g. an intra-EU VAT number)
        else:
            raise RowRejected(
                _(
                    "identifiant du fournisseur « %(value)s » invalide : SIRET (14 chiffres) ou identifiant étranger commençant par le code pays attendu"
                )
                % {"value": supplier}
            )
        status = row[5].upper()
        if status not in self._statuses:
            raise RowRejected(
                _("statut « %(value)s » invalide : %(expected)s attendu")
                % {"value": row[5], "expected": ", ".join(EngagementStatus.values)}
            )
        start_date = parse_date(row[6], "DateDebut")
        end_date = parse_date(row[7], "DateFin")
        if start_date and end_date and end_date < start_date:
            raise RowRejected(_("la date de fin précède la date de début"))
        values = {
            "supplier_identifier": supplier,
            "supplier_name": _text(row[3], "RaisonSocialeFournisseur", "supplier_name", self.max_lengths),
            "amount": parse_amount(row[4], "Montant"),
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
        }
        return (recipient, number), values


# --- Layouts, sources, reports ----------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    key: str
    label: Any  # lazy French label, e.g. "fichier des structures"
    columns: tuple[str, ...]
    handler: type[Handler]

    def matches(self, header: tuple[str, ...]) -> bool:
        return header == tuple(column.lower() for column in self.columns)


STRUCTURES = Layout("structures", gettext_lazy("fichier des structures"), STRUCTURE_COLUMNS, StructuresHandler)
SERVICES = Layout("services", gettext_lazy("fichier des services"), SERVICE_COLUMNS, ServicesHandler)
ENGAGEMENTS = Layout(
    "engagements", gettext_lazy("fichier des engagements juridiques"), ENGAGEMENT_COLUMNS, EngagementsHandler
)
ANNUAIRE_LAYOUTS = (STRUCTURES, SERVICES)  # in import order
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
                    row = [value.strip() for value in row]
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
        if result.created:
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
