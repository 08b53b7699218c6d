"""import_engagements: formats of amounts and dates, idempotence, rejections, bad files, dry run."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from structures.models import EngagementJuridique, EngagementStatus
from tests.structures.factories import EngagementFactory, StructureFactory, make_siret

pytestmark = pytest.mark.django_db

HEADER = (
    "NumeroEJ;IdentifiantDestinataire;IdentifiantFournisseur;RaisonSocialeFournisseur;Montant;Statut;DateDebut;DateFin"
)
RECIPIENT = make_siret(100)
OTHER_RECIPIENT = make_siret(101)
SUPPLIER = make_siret(200)


@pytest.fixture
def recipients():
    return (
        StructureFactory(public=True, identifier=RECIPIENT, ej_required=True),
        StructureFactory(public=True, identifier=OTHER_RECIPIENT),
    )


def write(tmp_path, lines, name="engagements.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\r\n".join([header, *lines]) + "\r\n", encoding="utf-8")
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_engagements", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_engagements", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(excinfo.value)


def summary(out):
    match = re.search(r"lus : (\d+) ; créés : (\d+) ; mis à jour : (\d+) ; inchangés : (\d+) ; rejetés : (\d+)", out)
    assert match, out
    return dict(zip(["read", "created", "updated", "unchanged", "rejected"], map(int, match.groups()), strict=True))


VALID = [
    f"EJ001;{RECIPIENT};{SUPPLIER};Fournitures SARL;25000,00;ACTIF;01/01/2026;31/12/2026",
    f"EJ002;{RECIPIENT};{SUPPLIER[:3]} {SUPPLIER[3:6]} {SUPPLIER[6:9]} {SUPPLIER[9:]};;1 234,5;cloture;2026-01-15;",
    f"EJ003;{RECIPIENT};de123456789;Lieferant GmbH;99.99;ANNULE;;",
    f"EJ001;{OTHER_RECIPIENT};{SUPPLIER};Fournitures SARL;;ACTIF;;",  # same number, another recipient
]


def test_valid_lines_are_imported_with_their_formats(tmp_path, recipients):
    recipient, other = recipients
    out, err = run(write(tmp_path, VALID))
    assert err == ""
    assert summary(out) == {"read": 4, "created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    ej1 = EngagementJuridique.objects.get(recipient=recipient, number="EJ001")
    assert (ej1.supplier_identifier, ej1.supplier_name, ej1.amount, ej1.status) == (
        SUPPLIER,
        "Fournitures SARL",
        Decimal("25000.00"),
        EngagementStatus.ACTIVE,
    )
    assert (ej1.start_date, ej1.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    ej2 = EngagementJuridique.objects.get(number="EJ002")
    assert (ej2.supplier_identifier, ej2.amount, ej2.status) == (SUPPLIER, Decimal("1234.50"), EngagementStatus.CLOSED)
    assert (ej2.start_date, ej2.end_date) == (date(2026, 1, 15), None)
    ej3 = EngagementJuridique.objects.get(number="EJ003")
    assert (ej3.supplier_identifier, ej3.amount, ej3.status) == (
        "DE123456789",
        Decimal("99.99"),
        EngagementStatus.CANCELLED,
    )
    assert EngagementJuridique.objects.get(recipient=other, number="EJ001").amount is None


def test_importing_twice_is_idempotent_and_a_change_is_an_update(tmp_path, recipients):
    path = write(tmp_path, VALID)
    run(path)
    before = list(EngagementJuridique.objects.order_by("pk").values())
    out, _err = run(path)
    assert summary(out) == {"read": 4, "created": 0, "updated": 0, "unchanged": 4, "rejected": 0}
    assert list(EngagementJuridique.objects.order_by("pk").values()) == before

    changed = [VALID[0].replace("25000,00;ACTIF", "26000.10;CLOTURE"), *VALID[1:]]
    out, _err = run(write(tmp_path, changed))
    assert summary(out) == {"read": 4, "created": 0, "updated": 1, "unchanged": 3, "rejected": 0}
    ej = EngagementJuridique.objects.get(recipient=recipients[0], number="EJ001")
    assert (ej.amount, ej.status) == (Decimal("26000.10"), EngagementStatus.CLOSED)
    assert EngagementJuridique.objects.count() == 4


def test_bad_lines_are_rejected_with_their_reason(tmp_path, recipients):
    private = StructureFactory(identifier=make_siret(300))
    unknown = make_siret(301)
    lines = [
        f"OK1;{RECIPIENT};{SUPPLIER};;10;ACTIF;;",  # 2
        f"X1;{unknown};{SUPPLIER};;10;ACTIF;;",  # 3 unknown recipient
        f"X2;{private.identifier};{SUPPLIER};;10;ACTIF;;",  # 4 a supplier is no recipient
        f"X3;{RECIPIENT};11100000600011;;10;ACTIF;;",  # 5 invalid supplier SIRET
        f"X4;{RECIPIENT};{SUPPLIER};;12,5.3;ACTIF;;",  # 6 two separators
        f"X5;{RECIPIENT};{SUPPLIER};;douze;ACTIF;;",  # 7 not a number
        f"X6;{RECIPIENT};{SUPPLIER};;-5;ACTIF;;",  # 8 negative
        f"X7;{RECIPIENT};{SUPPLIER};;1,234;ACTIF;;",  # 9 three decimals
        f"X8;{RECIPIENT};{SUPPLIER};;10;ACTIF;31/02/2026;",  # 10 no such date
        f"X9;{RECIPIENT};{SUPPLIER};;10;ACTIF;2026/01/01;",  # 11 wrong date format
        f"X10;{RECIPIENT};{SUPPLIER};;10;EN_COURS;;",  # 12 bad status
        f"X11;{RECIPIENT};{SUPPLIER};;10;ACTIF;01/02/2026;01/01/2026",  # 13 end before start
        f";{RECIPIENT};{SUPPLIER};;10;ACTIF;;",  # 14 empty number
        f"X12;{RECIPIENT};{SUPPLIER};;10;ACTIF;",  # 15 wrong number of columns
        f"X13;{RECIPIENT};12-AB;;10;ACTIF;;",  # 16 neither a SIRET nor a foreign identifier
        f"OK2;{RECIPIENT};{SUPPLIER};;;ACTIF;;",  # 17
    ]
    out, _err = run(write(tmp_path, lines))
    assert summary(out) == {"read": 16, "created": 2, "updated": 0, "unchanged": 0, "rejected": 14}
    expected = {
        3: f"structure « {unknown} » (IdentifiantDestinataire) absente de l'annuaire",
        4: f"structure « {private.identifier} » (IdentifiantDestinataire) absente de l'annuaire",
        5: "SIRET « 11100000600011 » invalide (IdentifiantFournisseur) : Ce SIRET n'est pas valide",
        6: "montant « 12,5.3 » invalide (Montant) : un seul séparateur décimal attendu",
        7: "montant « douze » invalide (Montant) : nombre attendu",
        8: "montant « -5 » négatif (Montant)",
        9: "montant « 1,234 » invalide (Montant) : au plus 2 décimales",
        10: "date « 31/02/2026 » invalide (DateDebut) : JJ/MM/AAAA ou AAAA-MM-JJ attendu",
        11: "date « 2026/01/01 » invalide (DateDebut)",
        12: "statut « EN_COURS » invalide : ACTIF, CLOTURE, ANNULE attendu",
        13: "la date de fin précède la date de début",
        14: "la colonne NumeroEJ est vide",
        15: "7 colonnes au lieu de 8",
        16: "identifiant du fournisseur « 12-AB » invalide",
    }
    for line, reason in expected.items():
        assert f"ligne {line} : {reason}" in out, (line, out)
    assert set(EngagementJuridique.objects.values_list("number", flat=True)) == {"OK1", "OK2"}


def test_an_existing_engagement_is_updated_not_duplicated(tmp_path, recipients):
    EngagementFactory(recipient=recipients[0], number="EJ001", amount="1.00", supplier_identifier=SUPPLIER)
    out, _err = run(write(tmp_path, VALID[:1]))
    assert summary(out)["updated"] == 1
    assert EngagementJuridique.objects.get(number="EJ001", recipient=recipients[0]).amount == Decimal("25000.00")


def test_an_unknown_layout_names_the_expected_columns(tmp_path, recipients):
    path = write(tmp_path, VALID, header="Numero;Destinataire;Fournisseur")
    _out, err, message = run_failing(path)
    assert "colonnes non reconnues" in err
    assert "fichier des engagements juridiques : " + HEADER in err
    assert message == "Aucun fichier n'a pu être lu : rien n'a été importé."
    assert not EngagementJuridique.objects.exists()


def test_the_directory_is_not_an_engagements_file(tmp_path):
    from structures.importers import STRUCTURE_COLUMNS

    path = write(tmp_path, [], header=";".join(STRUCTURE_COLUMNS))
    _out, err, _message = run_failing(path)
    assert "colonnes non reconnues" in err


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "ej.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    _out, err, _message = run_failing(path)
    assert "n'est ni un fichier CSV ni une archive zip" in err


def test_all_lines_rejected_exits_non_zero(tmp_path, recipients):
    _out, _err, message = run_failing(write(tmp_path, [f"X1;{make_siret(999)};{SUPPLIER};;10;ACTIF;;"]))
    assert message == "Aucune ligne n'a pu être importée."


def test_dry_run_writes_nothing(tmp_path, recipients):
    out, _err = run(write(tmp_path, VALID), "--dry-run")
    assert summary(out)["created"] == 4
    assert "Simulation (--dry-run)" in out
    assert not EngagementJuridique.objects.exists()


def test_many_lines_in_small_batches(tmp_path, recipients):
    lines = [
        f"EJ{n:05d};{RECIPIENT if n % 2 else OTHER_RECIPIENT};{SUPPLIER};;{n},{n % 100:02d};ACTIF;;"
        for n in range(1500)
    ]
    out, _err = run(write(tmp_path, lines), "--batch-size", "200")
    assert summary(out) == {"read": 1500, "created": 1500, "updated": 0, "unchanged": 0, "rejected": 0}
    assert EngagementJuridique.objects.get(number="EJ01234").amount == Decimal("1234.34")
    out, _err = run(write(tmp_path, lines), "--batch-size", "333")
    assert summary(out)["unchanged"] == 1500
