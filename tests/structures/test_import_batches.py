"""How import batches reach the database (issue 14): lookups, inserts without lookup, ANALYZE, COPY.

A first import used to look up the existing rows of every batch and to analyze each table a dozen
times; these tests pin the queries a batch makes, and that the shortcuts keep the results of the
ordinary way (later line wins, private structures untouched, re-import unchanged).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from structures import importers
from structures.models import EngagementJuridique, Service, Structure, StructureKind
from tests.structures.factories import StructureFactory, make_siret
from tests.structures.test_import_annuaire import (
    SERVICES_HEADER,
    STRUCTURES_HEADER,
    run,
    service_line,
    structure_line,
    summary,
    write,
)

pytestmark = pytest.mark.django_db

STRUCTURE_LOOKUP = 'FROM "structures_structure" WHERE "structures_structure"."identifier" IN'
SERVICE_LOOKUP = 'FROM "structures_service" WHERE'


def count(queries, fragment: str) -> int:
    return sum(fragment in query["sql"] for query in queries.captured_queries)


def test_a_first_import_looks_up_its_first_batch_only_and_a_reimport_every_batch(tmp_path):
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [structure_line(make_siret(n)) for n in range(50)])
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(path, "--batch-size", "10")
    assert summary(out, "structures.csv")["created"] == 50
    assert count(queries, STRUCTURE_LOOKUP) == 1  # the 4 batches after it were inserted straight away
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(path, "--batch-size", "10")
    assert summary(out, "structures.csv")["unchanged"] == 50
    assert count(queries, STRUCTURE_LOOKUP) == 5  # each batch found its rows: the next looks up too


def test_services_of_a_first_import_are_inserted_without_lookup(tmp_path):
    sirets = [make_siret(n) for n in range(15)]
    structures = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [structure_line(s) for s in sirets])
    services = write(
        tmp_path, "services.csv", SERVICES_HEADER, [service_line(s, f"SE{j}") for s in sirets for j in range(2)]
    )
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(services, structures, "--batch-size", "10")
    assert summary(out, "services.csv")["created"] == 30
    assert count(queries, SERVICE_LOOKUP) == 1
    assert count(queries, STRUCTURE_LOOKUP) == 1 + 3  # structures: first batch; services: their structures
    assert Service.objects.filter(structure__identifier=sirets[14]).count() == 2


def test_a_key_repeated_in_a_batch_inserted_without_lookup_keeps_the_later_line(tmp_path):
    first, others = make_siret(1), [make_siret(n) for n in range(2, 5)]
    lines = [structure_line(first, "Premier nom"), *map(structure_line, others), structure_line(first, "Second nom")]
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, lines)
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(path, "--batch-size", "2")
    # batches {1, 2} (looked up), {3, 4} (inserted), {1} (insert refused by the unique key, looked up)
    assert summary(out, "structures.csv") == {"read": 5, "created": 4, "updated": 1, "unchanged": 0, "rejected": 0}
    assert count(queries, STRUCTURE_LOOKUP) == 2
    assert Structure.objects.get(identifier=first).name == "Second nom"


def test_a_supplier_met_by_a_batch_inserted_without_lookup_is_rejected_alone(tmp_path):
    supplier = StructureFactory(identifier=make_siret(8), name="Entreprise privée")
    sirets = [make_siret(n) for n in range(1, 4)]
    lines = [*map(structure_line, sirets), structure_line(supplier.identifier, "Mairie"), structure_line(make_siret(9))]
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, lines)
    out, _err = run(path, "--batch-size", "2")
    assert summary(out, "structures.csv") == {"read": 5, "created": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "ligne 5 : l'identifiant « " + supplier.identifier + " » est celui d'une structure fournisseur" in out
    supplier.refresh_from_db()
    assert (supplier.kind, supplier.name) == (StructureKind.PRIVATE, "Entreprise privée")
    assert Structure.objects.public().count() == 4


def test_a_first_import_analyzes_each_table_once_on_its_lookup_columns(requires_postgres, tmp_path):
    """Before: ANALYZE of every column each time the table doubled (1,000, 2,000… rows), though the
    batches inserted without lookup need no plan. Now once, at the end of the file, before the
    services look their structures up; a re-import that looks up every batch still analyzes as
    the table doubles."""
    sirets = [make_siret(n) for n in range(2100)]
    structures = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [structure_line(s) for s in sirets])
    services = write(tmp_path, "services.csv", SERVICES_HEADER, [service_line(s) for s in sirets])
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(structures, services, "--batch-size", "100")
    assert summary(out, "services.csv")["created"] == 2100
    analyzes = [(n, q["sql"]) for n, q in enumerate(queries.captured_queries) if q["sql"].startswith("ANALYZE")]
    assert [sql for _n, sql in analyzes] == [
        'ANALYZE "structures_structure" ("identifier")',
        'ANALYZE "structures_service" ("structure_id", "code")',
    ]
    first_service_lookup = next(n for n, q in enumerate(queries.captured_queries) if SERVICE_LOOKUP in q["sql"])
    assert analyzes[0][0] < first_service_lookup

    # Half the lines of each batch exist: every batch looks up, so the table is analyzed as it
    # grows (after 1,000 and 2,000 new rows), as the lookups need.
    mixed = [line for n in range(2100) for line in (structure_line(sirets[n]), structure_line(make_siret(5000 + n)))]
    again = write(tmp_path, "mixed.csv", STRUCTURES_HEADER, mixed)
    with CaptureQueriesContext(connection) as queries:
        out, _err = run(again, "--batch-size", "100")
    assert summary(out, "mixed.csv")["created"] == 2100
    assert count(queries, STRUCTURE_LOOKUP) == 42
    assert count(queries, "ANALYZE") == 2


def test_copy_escapes_a_batch_only_when_it_needs_it_and_writes_the_shared_values():
    """insert_rows joins plain text as it is and escapes a batch holding a tab, backslash or line
    break; ``constants`` go to every row."""
    recipient = StructureFactory(public=True)
    now = timezone.now()
    rows = [
        {
            "recipient_id": recipient.pk,
            "number": f"EJ{n}",
            "supplier_identifier": make_siret(n),
            "supplier_name": name,
            "amount": Decimal("10.50") if n else None,
            "status": "ACTIF",
            "start_date": date(2026, 1, n + 1),
            "end_date": None,
        }
        for n, name in enumerate(["Nom simple", "Tab\there", "Barre \\ oblique", "Deux\r\nlignes"])
    ]
    importers.insert_rows(EngagementJuridique, rows[:1], {"created_at": now, "updated_at": now})
    importers.insert_rows(EngagementJuridique, rows[1:], {"created_at": now, "updated_at": now})
    stored = list(
        EngagementJuridique.objects.order_by("number").values_list(
            "number", "supplier_name", "amount", "start_date", "created_at", "updated_at"
        )
    )
    assert stored == [(row["number"], row["supplier_name"], row["amount"], row["start_date"], now, now) for row in rows]


def test_insert_rows_gives_missing_columns_their_default():
    importers.insert_rows(
        Structure,
        [{"identifier_type": "SIRET", "identifier": make_siret(1), "name": "Mairie"}],
        {"kind": StructureKind.PUBLIC, "created_at": timezone.now(), "updated_at": timezone.now()},
    )
    structure = Structure.objects.get()
    assert (structure.kind, structure.country_code, structure.is_active, structure.created_by) == (
        StructureKind.PUBLIC,
        "FR",
        Structure._meta.get_field("is_active").default,
        None,
    )


def test_flags_of_a_structure_line_are_read_in_any_case_and_named_when_invalid():
    handler = importers.StructuresHandler()
    row = structure_line(make_siret(1), flags="TRUE;false;True;fAlse;true;false;true;false;true").split(";")
    _key, values = handler.parse(row)
    assert [values[name] for _c, name in importers.handlers.STRUCTURE_FLAG_COLUMNS] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    for index, (column, _name) in enumerate(importers.handlers.STRUCTURE_FLAG_COLUMNS):
        flags = ["true"] * 9
        flags[index] = ["vrai", "", "1"][index % 3]
        with pytest.raises(importers.RowRejected, match=f"invalide pour {column} :"):
            handler.parse(structure_line(make_siret(1), flags=";".join(flags)).split(";"))
