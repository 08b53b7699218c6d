"""import_annuaire: the sample directory, idempotence, rejections, bad files, dry run, volume."""

import csv
import io
import re
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from structures import importers
from structures.models import IdentifierType, Service, Structure, StructureKind
from tests.structures.factories import StructureFactory, make_siret

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(importers.__file__).resolve().parent.parent / "demo_data"
SAMPLE_ZIP = DEMO_DIR / "annuaire-demo.zip"
SAMPLE_STRUCTURES = DEMO_DIR / "structures.csv"
SAMPLE_SERVICES = DEMO_DIR / "services.csv"

# The layouts of the reference doc (§3), written out here so that a drift in the code shows.
STRUCTURES_HEADER = (
    "TypeIdentifiant;Identifiant;RaisonSociale;EmetteurEdi;RecepteurEdi;GestionStatutMiseEnPaiement;"
    "GestionEngagement;GestionService;GestionServiceEngagement;EstMOA;EstMOAUniquement;StructureActive;"
    "Adresse;ComplementAdresse1;ComplementAdresse2;CodePostal;Ville;NumTelephone;Courriel;CodePays;LibellePays"
)
SERVICES_HEADER = (
    "Identifiant;RaisonSociale;Code;Nom;GestionEGMT;ServiceActif;Adresse;ComplementAdresse1;"
    "ComplementAdresse2;CodePostal;Ville;NumTelephone;Courriel;CodePays;LibellePays"
)
MINISTRY = "11100000600010"


def structure_line(
    identifier, name="Mairie de Test", flags="false;false;true;true;false;false;false;false;true", kind="SIRET"
):
    return f"{kind};{identifier};{name};{flags};1 place de la Mairie;;;75001;PARIS;0100000000;mairie@test.invalid;FR;France"


def service_line(identifier, code="SE1", name="Service financier", flags="false;true"):
    return f"{identifier};Raison;{code};{name};{flags};;;;75001;PARIS;;;FR;France"


def write(tmp_path, name, header, lines, encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_annuaire", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_annuaire", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(excinfo.value)


def summary(out: str, name: str) -> dict[str, int]:
    """The counts printed for the file whose heading mentions ``name``."""
    block = out[out.index(name) :]
    match = re.search(r"lus : (\d+) ; créés : (\d+) ; mis à jour : (\d+) ; inchangés : (\d+) ; rejetés : (\d+)", block)
    assert match, out
    return dict(zip(["read", "created", "updated", "unchanged", "rejected"], map(int, match.groups()), strict=True))


def snapshot():
    return (
        list(Structure.objects.order_by("identifier").values()),
        list(Service.objects.order_by("structure__identifier", "code").values()),
    )


def assert_sample_imported():
    public = Structure.objects.public()
    assert public.count() == 9
    assert Structure.objects.private().count() == 0
    assert public.filter(ej_required=True).count() == 3
    assert set(public.filter(ej_required=True).values_list("identifier", flat=True)) == {
        "11100000600010",
        "11131676600018",
        "11155433300018",
    }
    assert public.filter(service_required=True).count() == 3
    assert list(public.filter(service_or_ej_required=True).values_list("identifier", flat=True)) == ["11115838200015"]
    assert public.filter(reports_payment_status=True).count() == 7
    assert public.filter(is_active=False).count() == 1
    assert public.filter(edi_sender=True).count() == public.filter(edi_receiver=True).count() == 0
    assert public.filter(is_moa=True).count() == public.filter(is_moa_only=True).count() == 0
    assert Service.objects.count() == 28
    assert Service.objects.filter(ej_required=True).count() == 5
    assert Service.objects.filter(is_active=False).count() == 9
    assert Service.objects.filter(code="FACTURES_PUBLIQUES", structure__identifier="11115838200015").exists()
    ministry = Structure.objects.get(identifier=MINISTRY)
    assert ministry.kind == StructureKind.PUBLIC
    assert ministry.identifier_type == IdentifierType.SIRET
    assert ministry.name == "Ministère de l'Intérieur (démonstration)"
    assert (ministry.address_line1, ministry.postal_code, ministry.city) == ("10 rue de l'Exemple", "75008", "PARIS")
    assert (ministry.phone, ministry.email, ministry.country_code, ministry.country_label) == (
        "0100000000",
        "factures0@demo.invalid",
        "FR",
        "France",
    )
    assert (ministry.ej_required, ministry.service_required, ministry.reports_payment_status) == (True, False, True)
    assert set(ministry.services.values_list("code", "is_active", "ej_required")) == {
        ("SE001", True, False),
        ("SE002", True, True),
        ("SE003", False, False),
    }


# --- The sample directory ---------------------------------------------------------------------


def test_sample_zip_imports_the_directory():
    out, err = run(SAMPLE_ZIP)
    assert err == ""
    assert_sample_imported()
    assert summary(out, "demo-structures.csv") == {"read": 9, "created": 9, "updated": 0, "unchanged": 0, "rejected": 0}
    assert summary(out, "demo-services-only.csv") == {
        "read": 28,
        "created": 28,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert "Import terminé." in out


def test_sample_csv_files_import_structures_first_whatever_the_order():
    out, _err = run(SAMPLE_SERVICES, SAMPLE_STRUCTURES)
    assert_sample_imported()
    assert out.index("Fichier des structures") < out.index("Fichier des services")
    assert summary(out, "services.csv")["rejected"] == 0


def test_importing_twice_changes_nothing_and_reports_unchanged():
    run(SAMPLE_ZIP)
    before = snapshot()
    out, _err = run(SAMPLE_STRUCTURES, SAMPLE_SERVICES)
    assert snapshot() == before  # updated_at included: nothing was written
    assert summary(out, "structures.csv") == {"read": 9, "created": 0, "updated": 0, "unchanged": 9, "rejected": 0}
    assert summary(out, "services.csv") == {"read": 28, "created": 0, "updated": 0, "unchanged": 28, "rejected": 0}


def test_a_modified_line_is_reported_updated(tmp_path):
    run(SAMPLE_ZIP)
    lines = SAMPLE_STRUCTURES.read_text(encoding="utf-8").splitlines()
    lines[1] = (
        lines[1]
        .replace("Ministère de l'Intérieur (démonstration)", "Ministère de l'Intérieur")
        .replace("true;true;false;false", "true;false;false;true", 1)
    )
    services = SAMPLE_SERVICES.read_text(encoding="utf-8").splitlines()
    services[1] = services[1].replace("SE001;Service financier;false;true", "SE001;Service financier;false;false")
    structures_file = write(tmp_path, "structures.csv", lines[0], lines[1:])
    services_file = write(tmp_path, "services.csv", services[0], services[1:])
    out, _err = run(structures_file, services_file)
    assert summary(out, "structures.csv") == {"read": 9, "created": 0, "updated": 1, "unchanged": 8, "rejected": 0}
    assert summary(out, "services.csv") == {"read": 28, "created": 0, "updated": 1, "unchanged": 27, "rejected": 0}
    ministry = Structure.objects.get(identifier=MINISTRY)
    assert ministry.name == "Ministère de l'Intérieur"
    assert (ministry.ej_required, ministry.service_or_ej_required) == (False, True)
    assert ministry.updated_at > ministry.created_at
    assert not ministry.services.get(code="SE001").is_active
    assert Structure.objects.count() == 9 and Service.objects.count() == 28


# --- Rejected lines ---------------------------------------------------------------------------


def test_malformed_lines_are_rejected_with_their_reason_and_valid_lines_imported(tmp_path):
    good1, good2 = make_siret(1), make_siret(2)
    path = write(
        tmp_path,
        "structures.csv",
        STRUCTURES_HEADER,
        [
            structure_line(good1, "Mairie A"),  # line 2
            "SIRET;" + make_siret(3) + ";Trop court;false",  # 3: wrong number of columns
            structure_line(make_siret(4), flags="false;false;oui;true;false;false;false;false;true"),  # 4
            structure_line("11100000600011"),  # 5: bad checksum
            structure_line(make_siret(5), name=""),  # 6: empty raison sociale
            structure_line(make_siret(6), kind="INCONNU"),  # 7: unknown identifier type
            structure_line("12345"),  # 8: too short
            structure_line(make_siret(7), flags="false;false;true;true;false;false;false;false;"),  # 9: empty flag
            "",  # a blank line is skipped, not counted
            structure_line(good2, "Mairie B", flags="TRUE;False;true;true;false;false;false;false;true"),  # 11
            structure_line("XK-1234", "Hors UE", kind="hors_ue"),  # 12: other types as given
        ],
    )
    out, _err = run(path)
    assert summary(out, "structures.csv") == {"read": 10, "created": 3, "updated": 0, "unchanged": 0, "rejected": 7}
    assert "ligne 3 : 4 colonnes au lieu de 21" in out
    assert "ligne 4 : valeur « oui » invalide pour GestionStatutMiseEnPaiement : « true » ou « false » attendu" in out
    assert (
        "ligne 5 : SIRET « 11100000600011 » invalide (Identifiant) : Ce SIRET n'est pas valide : sa clé de contrôle"
        in out
    )
    assert "ligne 6 : la colonne RaisonSociale est vide" in out
    assert "ligne 7 : type d'identifiant « INCONNU » inconnu" in out
    assert "ligne 8 : SIRET « 12345 » invalide (Identifiant) : Un SIRET comporte 14 chiffres." in out
    assert "ligne 9 : valeur «  » invalide pour StructureActive" in out
    assert set(Structure.objects.values_list("identifier", flat=True)) == {good1, good2, "XK-1234"}
    mairie_b = Structure.objects.get(identifier=good2)
    assert (mairie_b.edi_sender, mairie_b.edi_receiver) == (True, False)  # flags in any case
    assert Structure.objects.get(identifier="XK-1234").identifier_type == IdentifierType.HORS_UE


def test_a_service_of_an_unknown_structure_is_rejected(tmp_path):
    run(SAMPLE_STRUCTURES)
    unknown = make_siret(42)
    path = write(
        tmp_path,
        "services.csv",
        SERVICES_HEADER,
        [service_line(MINISTRY, "SE900"), service_line(unknown, "SE901"), service_line(MINISTRY, "", "Sans code")],
    )
    out, _err = run(path)
    assert summary(out, "services.csv") == {"read": 3, "created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert f"ligne 3 : structure « {unknown} » (Identifiant) absente de l'annuaire" in out
    assert "ligne 4 : la colonne Code est vide" in out
    assert Service.objects.get().code == "SE900"


def test_a_supplier_with_the_same_siret_is_not_turned_into_a_recipient(tmp_path):
    supplier = StructureFactory(identifier=make_siret(8), name="Entreprise privée")
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [structure_line(supplier.identifier, "Mairie")])
    out, err, message = run_failing(path)
    assert "structure fournisseur (privée) déjà inscrite" in out
    assert message == "Aucune ligne n'a pu être importée."
    supplier.refresh_from_db()
    assert (supplier.kind, supplier.name) == (StructureKind.PRIVATE, "Entreprise privée")


def test_a_repeated_key_keeps_the_later_line(tmp_path):
    siret = make_siret(9)
    path = write(
        tmp_path,
        "structures.csv",
        STRUCTURES_HEADER,
        [structure_line(siret, "Premier nom"), structure_line(make_siret(10)), structure_line(siret, "Second nom")],
    )
    out, _err = run(path, "--batch-size", "10")
    assert summary(out, "structures.csv") == {"read": 3, "created": 2, "updated": 1, "unchanged": 0, "rejected": 0}
    assert Structure.objects.get(identifier=siret).name == "Second nom"


def test_a_line_refused_by_the_database_is_rejected_alone(tmp_path):
    """A batch the database refuses is replayed line by line: only the bad line is lost."""
    bad = make_siret(12)
    path = write(
        tmp_path,
        "structures.csv",
        STRUCTURES_HEADER,
        [structure_line(make_siret(11)), structure_line(bad), structure_line(make_siret(13))],
    )
    real_insert = importers.insert_rows

    def insert(model, rows, constants=None):
        if any(row.get("identifier") == bad for row in rows):
            raise IntegrityError("contrainte violée")
        real_insert(model, rows, constants)

    with mock.patch.object(importers.handlers, "insert_rows", insert):
        out, _err = run(path)
    assert summary(out, "structures.csv") == {"read": 3, "created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "ligne 3 : refusée par la base de données : contrainte violée" in out
    assert set(Structure.objects.values_list("identifier", flat=True)) == {make_siret(11), make_siret(13)}


def test_rejected_lines_listing_is_capped_and_rejects_file_has_them_all(tmp_path):
    lines = [structure_line(make_siret(1))] + [structure_line(f"1234567890{n:04d}") for n in range(60)]
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, lines)
    rejects = tmp_path / "rejets.csv"
    out, _err = run(path, "--rejects-file", rejects)
    assert summary(out, "structures.csv")["rejected"] == 60
    assert len(re.findall(r"^  ligne \d+ : ", out, flags=re.MULTILINE)) == 50
    assert f"… et 10 autres lignes rejetées, toutes écrites dans {rejects}." in out
    rows = list(csv.reader(rejects.read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert rows[0] == ["fichier", "ligne", "raison"]
    assert len(rows) == 61
    assert rows[-1][:2] == ["structures.csv", "62"] and "SIRET" in rows[-1][2]
    out, _err = run(path)
    assert "… et 10 autres lignes rejetées (option --rejects-file pour toutes les écrire)." in out


def test_all_lines_rejected_exits_non_zero(tmp_path):
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [structure_line("11100000600011")])
    out, _err, message = run_failing(path)
    assert message == "Aucune ligne n'a pu être importée."
    assert "ligne 2 : SIRET « 11100000600011 » invalide" in out
    assert Structure.objects.count() == 0


def test_a_stray_invalid_byte_rejects_only_its_line(tmp_path):
    """The start of the file is checked strictly; a bad byte further down rejects its line."""
    lines = [structure_line(make_siret(n), f"Mairie {n} " + "x" * 150) for n in range(400)]  # > 64 Ko
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, lines)
    content = path.read_bytes().replace(b"Mairie 399 ", b"Mairie \xe9 ")
    path.write_bytes(content)
    out, _err = run(path)
    assert summary(out, "structures.csv") == {"read": 400, "created": 399, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "ligne 401 : caractères invalides : le fichier doit être encodé en UTF-8" in out


# --- Files that are not the directory ----------------------------------------------------------


def test_a_file_without_line_end_names_the_sniffed_size_in_french_units(tmp_path):
    path = tmp_path / "sans-fin.csv"
    path.write_bytes(b"x" * (70 * 1024))
    _out, err, _message = run_failing(path)
    assert "sans-fin.csv n'est pas un fichier CSV : pas de fin de ligne dans les premiers 64\u00a0Ko." in err


def test_an_unknown_layout_names_the_expected_columns_and_imports_nothing(tmp_path):
    path = write(tmp_path, "autre.csv", "Nom;Prenom;Ville", ["Durand;Jeanne;Paris"])
    out, err, message = run_failing(path)
    assert (
        "autre.csv : colonnes non reconnues, rien n'est importé de ce fichier. En-tête lu : « Nom;Prenom;Ville »."
        in err
    )
    assert "fichier des structures : " + STRUCTURES_HEADER in err
    assert "fichier des services : " + SERVICES_HEADER in err
    assert message == "Aucun fichier n'a pu être lu : rien n'a été importé."
    assert Structure.objects.count() == 0


def test_a_comma_separated_file_is_told_the_separator(tmp_path):
    path = write(tmp_path, "virgules.csv", STRUCTURES_HEADER.replace(";", ","), [])
    _out, err, _message = run_failing(path)
    assert "Le séparateur attendu est le point-virgule « ; »." in err


def test_a_bad_file_does_not_prevent_the_others(tmp_path):
    bad = write(tmp_path, "autre.csv", "a;b", ["1;2"])
    out, err = run(bad, SAMPLE_STRUCTURES)
    assert "autre.csv : colonnes non reconnues" in err
    assert summary(out, "structures.csv")["created"] == 9


def test_a_png_file_is_refused(tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)))
    _out, err, message = run_failing(path)
    assert "annuaire.csv n'est ni un fichier CSV ni une archive zip (contenu binaire)." in err
    assert message == "Aucun fichier n'a pu être lu : rien n'a été importé."


def test_a_latin1_file_is_refused_with_the_encoding_to_use(tmp_path):
    path = write(tmp_path, "latin1.csv", STRUCTURES_HEADER, [structure_line(make_siret(1), "Préfecture")], "latin-1")
    _out, err, _message = run_failing(path)
    assert "latin1.csv n'est pas un fichier CSV encodé en UTF-8" in err
    assert "enregistrez-le en CSV UTF-8" in err
    assert Structure.objects.count() == 0


def test_missing_and_empty_files(tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    _out, err, _message = run_failing(tmp_path / "absent.csv", empty)
    assert "Fichier introuvable" in err and "absent.csv" in err
    assert "vide.csv est vide." in err


def test_a_zip_without_the_expected_members_is_refused(tmp_path):
    archive = tmp_path / "annuaire.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("LISEZMOI.txt", "Annuaire")
    _out, err, message = run_failing(archive)
    assert "L'archive annuaire.zip ne contient aucun fichier CSV attendu." in err
    assert "fichier des structures : " + STRUCTURES_HEADER in err
    assert message == "Aucun fichier n'a pu être lu : rien n'a été importé."

    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export.csv", "Colonne1;Colonne2\r\n1;2\r\n")
    _out, err, _message = run_failing(archive)
    assert "annuaire.zip › export.csv : colonnes non reconnues" in err


def test_a_corrupt_zip_is_refused(tmp_path):
    archive = tmp_path / "annuaire.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00\x01" * 100)
    _out, err, _message = run_failing(archive)
    assert "annuaire.zip n'est pas une archive zip lisible" in err


def test_a_zip_with_a_bom_and_lowercase_header_is_recognised(tmp_path):
    archive = tmp_path / "annuaire.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "s.csv", ("\ufeff" + STRUCTURES_HEADER.lower() + "\r\n" + structure_line(make_siret(1)) + "\r\n").encode()
        )
    out, _err = run(archive)
    assert summary(out, "s.csv")["created"] == 1


# --- Options and volume -----------------------------------------------------------------------


def test_dry_run_writes_nothing(tmp_path):
    out, _err = run(SAMPLE_ZIP, "--dry-run")
    assert summary(out, "demo-structures.csv")["created"] == 9
    assert summary(out, "demo-services-only.csv")["created"] == 28  # services found their structures
    assert "Simulation (--dry-run) : aucune modification n'a été enregistrée." in out
    assert Structure.objects.count() == 0 and Service.objects.count() == 0


def test_progress_is_printed(tmp_path):
    out, _err = run(SAMPLE_STRUCTURES, "--progress-every", "4")
    assert "structures.csv : 4 lignes lues…" in out and "structures.csv : 8 lignes lues…" in out


def test_a_generated_directory_of_5000_lines_imports(tmp_path):
    count = 2000
    sirets = [make_siret(n) for n in range(count)]
    structures = write(
        tmp_path,
        "structures.csv",
        STRUCTURES_HEADER,
        [
            structure_line(
                s, f"Collectivité {n}", flags=f"false;false;true;{str(n % 2 == 0).lower()};false;false;false;false;true"
            )
            for n, s in enumerate(sirets)
        ],
    )
    services = write(
        tmp_path,
        "services.csv",
        SERVICES_HEADER,
        [service_line(s, f"SE{j}") for s in sirets[:1500] for j in range(2)],
    )
    out, _err = run(services, structures, "--batch-size", "300")
    assert summary(out, "structures.csv") == {
        "read": 2000,
        "created": 2000,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert summary(out, "services.csv") == {"read": 3000, "created": 3000, "updated": 0, "unchanged": 0, "rejected": 0}
    assert Structure.objects.public().count() == 2000
    assert Structure.objects.filter(ej_required=True).count() == 1000
    assert Service.objects.count() == 3000
    assert Service.objects.filter(structure__identifier=sirets[1499]).count() == 2
    assert not Service.objects.filter(structure__identifier=sirets[1500]).exists()
    out, _err = run(structures, services, "--batch-size", "700")
    assert summary(out, "structures.csv")["unchanged"] == 2000
    assert summary(out, "services.csv")["unchanged"] == 3000


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="--batch-size doit être un entier positif"):
        call_command("import_annuaire", str(SAMPLE_ZIP), "--batch-size", "0", stdout=io.StringIO())


def test_a_value_longer_than_its_field_is_rejected(tmp_path):
    line = structure_line(make_siret(1)).replace(";75001;", ";" + "7" * 21 + ";")
    path = write(tmp_path, "structures.csv", STRUCTURES_HEADER, [line, structure_line(make_siret(2))])
    out, _err = run(path)
    assert "ligne 2 : la colonne CodePostal dépasse 20 caractères" in out
    assert summary(out, "structures.csv")["created"] == 1


def test_raw_writes_round_trip_and_raise_django_errors():
    """insert_rows/update_rows (COPY on PostgreSQL, executemany on SQLite) store what the ORM reads."""
    from datetime import date
    from decimal import Decimal

    from django.utils import timezone

    from structures.models import EngagementJuridique

    recipient = StructureFactory(public=True)
    now = timezone.now()
    row = {
        "recipient_id": recipient.pk,
        "number": "EJ\t1\\2",
        "supplier_identifier": make_siret(5),
        "supplier_name": "Nom avec ; tabulation\tet\nretour",
        "amount": Decimal("1234.50"),
        "status": "ACTIF",
        "start_date": date(2026, 1, 31),
        "end_date": None,
        "created_at": now,
        "updated_at": now,
    }
    importers.insert_rows(EngagementJuridique, [row])
    ej = EngagementJuridique.objects.get()
    assert (ej.number, ej.supplier_name, ej.amount, ej.start_date, ej.end_date, ej.created_at) == (
        "EJ\t1\\2",
        "Nom avec ; tabulation\tet\nretour",
        Decimal("1234.50"),
        date(2026, 1, 31),
        None,
        now,
    )
    importers.update_rows(
        EngagementJuridique, ["amount", "end_date"], [{"id": ej.pk, "amount": None, "end_date": date(2027, 1, 1)}]
    )
    ej.refresh_from_db()
    assert (ej.amount, ej.end_date) == (None, date(2027, 1, 1))
    with pytest.raises(IntegrityError):
        importers.insert_rows(EngagementJuridique, [row])  # same recipient and number


def test_the_optional_est_etat_column_sets_the_state_flag_and_its_absence_keeps_it(tmp_path):
    state, local = make_siret(910), make_siret(911)
    with_column = write(
        tmp_path,
        "etat.csv",
        STRUCTURES_HEADER + ";EstEtat",
        [structure_line(state, "Ministère de Test") + ";true", structure_line(local, "Commune de Test") + ";false"],
    )
    out, _err = run(with_column)
    assert summary(out, "etat.csv")["created"] == 2
    assert Structure.objects.get(identifier=state).is_state is True
    assert Structure.objects.get(identifier=local).is_state is False
    # Without the column (the real export), a re-import leaves the flag as it is (support sets it).
    Structure.objects.filter(identifier=local).update(is_state=True)
    without = write(tmp_path, "sans.csv", STRUCTURES_HEADER, [structure_line(state, "Ministère de Test")])
    out, _err = run(without)
    assert summary(out, "sans.csv")["unchanged"] == 1
    assert Structure.objects.get(identifier=state).is_state is True
    assert Structure.objects.get(identifier=local).is_state is True
    # With the column, a change is an update; a bad value rejects the line, naming the column.
    bad = write(
        tmp_path,
        "maj.csv",
        STRUCTURES_HEADER + ";EstEtat",
        [structure_line(state, "Ministère de Test") + ";false", structure_line(local, "Commune de Test") + ";oui"],
    )
    out, _err = run(bad)
    assert summary(out, "maj.csv")["updated"] == 1 and summary(out, "maj.csv")["rejected"] == 1
    assert "EstEtat" in out
    assert Structure.objects.get(identifier=state).is_state is False


def test_a_structure_imported_without_the_column_is_not_a_state_recipient(tmp_path):
    siret = make_siret(912)
    run(write(tmp_path, "s.csv", STRUCTURES_HEADER, [structure_line(siret)]))
    assert Structure.objects.get(identifier=siret).is_state is False
