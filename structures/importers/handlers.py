"""Handlers, one per file layout: they parse a line into a key and values, and write a batch."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
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
    parse_siret,
    parse_text,
)
from structures.models import EngagementJuridique, EngagementStatus, IdentifierType, Service, Structure, StructureKind
from structures.validators import normalize_siret


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
        self.max_lengths = field_max_lengths(self.model)
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
    fields = ("name", *(name for _c, name in STRUCTURE_FLAG_COLUMNS), *(name for _c, name in ADDRESS_COLUMNS))
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
        for index, (column, name) in enumerate(STRUCTURE_FLAG_COLUMNS, start=3):
            values[name] = parse_flag(row[index], column)
        for index, (column, name) in enumerate(ADDRESS_COLUMNS, start=12):
            value = values[name] = row[index]
            if len(value) > self.max_lengths[name]:
                parse_text(value, column, name, self.max_lengths)  # raises, naming the column
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
    fields = ("name", "ej_required", "is_active", *(name for _c, name in ADDRESS_COLUMNS))

    def parse(self, row):
        identifier = normalize_identifier(parse_text(row[0], "Identifiant", "", {}, required=True))
        code = parse_text(row[2], "Code", "code", self.max_lengths, required=True)
        values = {
            "name": parse_text(row[3], "Nom", "name", self.max_lengths, required=True),
            "ej_required": parse_flag(row[4], "GestionEGMT"),
            "is_active": parse_flag(row[5], "ServiceActif"),
        }
        for index, (column, name) in enumerate(ADDRESS_COLUMNS, start=6):
            value = values[name] = row[index]
            if len(value) > self.max_lengths[name]:
                parse_text(value, column, name, self.max_lengths)  # raises, naming the column
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
