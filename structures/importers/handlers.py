"""Handlers, one per file layout: they parse a line into a key and values, and write a batch."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import gt, itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from structures.importers.bulk import insert_rows, update_rows
from structures.importers.parsing import (
    ADDRESS_COLUMNS,
    STATE_COLUMN,
    STRUCTURE_COLUMNS,
    STRUCTURE_FLAG_COLUMNS,
    RowRejected,
    field_max_lengths,
    normalize_identifier,
    parse_amount,
    parse_date,
    parse_flag,
    parse_flags,
    parse_siret,
    parse_text,
)
from structures.models import EngagementJuridique, EngagementStatus, IdentifierType, Service, Structure, StructureKind
from structures.validators import normalize_siret

ADDRESS_NAMES = tuple(name for _column, name in ADDRESS_COLUMNS)
FLAG_COLUMNS = tuple(column for column, _name in STRUCTURE_FLAG_COLUMNS)
FLAG_NAMES = tuple(name for _column, name in STRUCTURE_FLAG_COLUMNS)


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
    runs inside a transaction and returns a :class:`BatchResult`. A subclass says how a line's
    key becomes the row's natural key (``_row_keys``), which rows exist (``_existing``), how a new
    row looks (``_new_row``) and which existing rows an import must not touch (``_refusal``).

    **Inserting without looking up.** A batch normally fetches the rows it names that already
    exist. When the previous batch of the file found none (a first import, or the new part of a
    directory), the next batch is inserted straight away in a savepoint: the unique constraint
    on the natural key (the very key of the lookup) is the check. If a row exists after all (a
    key repeated in an earlier batch, a supplier with that SIRET), the insert fails, the batch
    goes back to its savepoint and is written the ordinary way, and the following batch looks
    its rows up again. Results are the same either way; a first import skips one query a batch.
    """

    model: type
    fields: tuple[str, ...]  # the model fields a line sets, compared to detect a change
    constants: dict[str, Any] = {}  # columns with the same value on every new row
    lookup_columns: tuple[str, ...]  # the fields the lookups of a batch filter on

    def __init__(self):
        self.max_lengths = field_max_lengths(self.model)
        self.address_limits = [self.max_lengths.get(name, 0) for name in ADDRESS_NAMES]  # models with an address
        self._compared = itemgetter(*self.fields)  # the values _diff compares, as a tuple (in C)
        self.created = 0
        self.next_analyze = 1000
        self.look_up = True  # the first batch of a file looks its rows up
        self.statistics_stale = False

    def created_rows(self, count: int) -> None:
        """Keep PostgreSQL's planner statistics in step while a table fills up.

        Without them (autovacuum analyzes a minute later at best), the lookups of each batch are
        planned for an empty table and scan it sequentially: quadratic on a first import. The
        table is analyzed each time it doubled during the run, but only before a batch that
        looks its rows up (batches inserted without lookup need no plan) and once at the end
        (:meth:`finish`, for the next file and the next import): a first import analyzes each
        table once instead of a dozen times. Only the columns the lookups filter on are
        analyzed (``lookup_columns``: 25 ms instead of 175 on 66,000 structures); such an ANALYZE
        leaves the table's count of changes as it is, so autovacuum still analyzes every column.
        """
        self.created += count
        if self.created >= self.next_analyze:
            self.statistics_stale = True
        if self.look_up:
            self.analyze()

    def analyze(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor == "postgresql" and self.statistics_stale:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(self.model._meta.get_field(name).column) for name in self.lookup_columns)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {quote(self.model._meta.db_table)} ({columns})")
            self.next_analyze = 2 * self.created
            self.statistics_stale = False

    def finish(self) -> None:
        """Called at the end of a file, after its last batch."""
        self.analyze()

    def parse(self, row: list[str]) -> tuple[tuple, dict[str, Any]]:
        raise NotImplementedError

    def _row_keys(self, items: list[Item], result: BatchResult) -> list[tuple[Item, tuple]]:
        """Each item with the natural key of its row; an item that cannot be written is rejected."""
        return [(item, item.key) for item in items]

    def _existing(self, keys: list[tuple]) -> dict[tuple, dict[str, Any]]:
        raise NotImplementedError

    def _new_row(self, item: Item, key: tuple) -> dict[str, Any]:
        raise NotImplementedError

    def _refusal(self, item: Item, current: dict[str, Any]) -> str | None:
        """The reason not to update this existing row, if any."""
        return None

    def write(self, items: list[Item]) -> BatchResult:
        result = BatchResult()
        keyed = self._row_keys(items, result)
        if not keyed:
            return result
        if not self.look_up:
            try:
                with transaction.atomic():
                    self._apply(result, [self._new_row(item, key) for item, key in keyed], [])
                return result
            except IntegrityError:
                pass  # a row exists after all: back to the savepoint, written the ordinary way
        existing = self._existing([key for _item, key in keyed])
        self.look_up = bool(existing)
        to_create, to_update = [], []
        for item, key in keyed:
            current = existing.get(key)
            if current is None:
                to_create.append(self._new_row(item, key))
            elif reason := self._refusal(item, current):
                result.rejects.append((item.line, reason))
            elif self._diff(current, item.values):
                to_update.append({"id": current["id"], **item.values})
            else:
                result.unchanged += 1
        self._apply(result, to_create, to_update)
        return result

    def _apply(self, result: BatchResult, to_create: list[dict], to_update: list[dict]) -> None:
        """Insert ``to_create`` (full rows) and update ``to_update`` (``id`` + ``fields``)."""
        now = timezone.now()
        if to_create:
            insert_rows(self.model, to_create, {**self.constants, "created_at": now, "updated_at": now})
        if to_update:
            for row in to_update:
                row["updated_at"] = now
            update_rows(self.model, [*self.fields, "updated_at"], to_update)
        result.created += len(to_create)
        result.updated += len(to_update)

    def _set_address(self, values: dict[str, Any], row: list[str], start: int) -> None:
        """The address columns from ``start``, as they are; a value too long rejects the line."""
        address = row[start : start + len(ADDRESS_NAMES)]
        values.update(zip(ADDRESS_NAMES, address, strict=True))
        if any(map(gt, map(len, address), self.address_limits)):
            for value, (column, name) in zip(address, ADDRESS_COLUMNS, strict=True):
                parse_text(value, column, name, self.max_lengths)  # raises, naming the column

    def _diff(self, existing: dict[str, Any], values: dict[str, Any]) -> bool:
        return self._compared(existing) != self._compared(values)

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
    constants = {"kind": StructureKind.PUBLIC}
    lookup_columns = ("identifier",)  # the batch's own lookup and the children's (_public_ids)
    fields = ("name", *FLAG_NAMES, *ADDRESS_NAMES)
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
        raw_identifier = parse_text(row[1], "Identifiant", "identifier", self.max_lengths, required=True)
        if identifier_type == IdentifierType.SIRET:
            identifier = parse_siret(raw_identifier, "Identifiant")
        else:
            identifier = raw_identifier
        values = {"name": parse_text(row[2], "RaisonSociale", "name", self.max_lengths, required=True)}
        values.update(zip(FLAG_NAMES, parse_flags(row[3:12], FLAG_COLUMNS), strict=True))
        self._set_address(values, row, 12)
        return (identifier_type, identifier), values

    def _existing(self, keys):
        return {
            (row["identifier_type"], row["identifier"]): row
            for row in Structure.objects.filter(identifier__in={identifier for _type, identifier in keys})
            .order_by()
            .values("id", "kind", "identifier_type", "identifier", *self.fields)
        }

    def _new_row(self, item, key):
        return {"identifier_type": key[0], "identifier": key[1], **item.values}

    def _refusal(self, item, current):
        if current["kind"] != StructureKind.PUBLIC:
            return _(
                "l'identifiant « %(identifier)s » est celui d'une structure fournisseur (privée) déjà inscrite : elle n'est pas modifiée par l'annuaire"
            ) % {"identifier": item.key[1]}
        return None


class StructuresStateHandler(StructuresHandler):
    """The structures file with the optional ``EstEtat`` column: it sets ``is_state`` too."""

    fields = (*StructuresHandler.fields, "is_state")

    def parse(self, row):
        key, values = super().parse(row[: len(STRUCTURE_COLUMNS)])
        values["is_state"] = parse_flag(row[len(STRUCTURE_COLUMNS)], STATE_COLUMN)
        return key, values


class ChildHandler(Handler):
    """Rows that belong to a public structure, keyed by (its identifier, a code of theirs):
    services (structure, code) and EJ (recipient, number). One way to resolve, compare and write."""

    parent_field: str  # the foreign key column, e.g. "structure_id"
    key_field: str  # the code unique within the parent, e.g. "code"
    parent_column: str  # the CSV column naming the parent, for rejection messages

    @property
    def lookup_columns(self):
        return (self.parent_field, self.key_field)

    def _row_keys(self, items, result):
        found = self._public_ids(item.key[0] for item in items)
        keyed = []
        for item in items:
            try:
                keyed.append((item, (self._resolve(found, item.key[0], self.parent_column), item.key[1])))
            except RowRejected as exc:
                result.rejects.append((item.line, exc.reason))
        return keyed

    def _existing(self, keys):
        return {
            (row[self.parent_field], row[self.key_field]): row
            for row in self.model.objects.filter(
                **{
                    f"{self.parent_field}__in": {parent_id for parent_id, _code in keys},
                    f"{self.key_field}__in": {code for _parent_id, code in keys},
                }
            )
            .order_by()
            .values("id", self.parent_field, self.key_field, *self.fields)
        }

    def _new_row(self, item, key):
        return {self.parent_field: key[0], self.key_field: key[1], **item.values}


class ServicesHandler(ChildHandler):
    model = Service
    parent_field, key_field, parent_column = "structure_id", "code", "Identifiant"
    fields = ("name", "ej_required", "is_active", *ADDRESS_NAMES)

    def parse(self, row):
        identifier = normalize_identifier(parse_text(row[0], "Identifiant", "", {}, required=True))
        code = parse_text(row[2], "Code", "code", self.max_lengths, required=True)
        values = {
            "name": parse_text(row[3], "Nom", "name", self.max_lengths, required=True),
            "ej_required": parse_flag(row[4], "GestionEGMT"),
            "is_active": parse_flag(row[5], "ServiceActif"),
        }
        self._set_address(values, row, 6)
        return (identifier, code), values


class EngagementsHandler(ChildHandler):
    model = EngagementJuridique
    parent_field, key_field, parent_column = "recipient_id", "number", "IdentifiantDestinataire"
    fields = ("supplier_identifier", "supplier_name", "amount", "status", "start_date", "end_date")
    _statuses = frozenset(EngagementStatus.values)

    def parse(self, row):
        number = parse_text(row[0], "NumeroEJ", "number", self.max_lengths, required=True)
        recipient = normalize_identifier(parse_text(row[1], "IdentifiantDestinataire", "", {}, required=True))
        supplier = parse_text(row[2], "IdentifiantFournisseur", "supplier_identifier", self.max_lengths, required=True)
        compact = normalize_siret(supplier)
        if compact.isdigit():
            supplier = parse_siret(supplier, "IdentifiantFournisseur")
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
            "supplier_name": parse_text(row[3], "RaisonSocialeFournisseur", "supplier_name", self.max_lengths),
            "amount": parse_amount(row[4], "Montant"),
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
        }
        return (recipient, number), values
