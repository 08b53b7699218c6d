"""Benchmark of ``import_annuaire`` on a generated full-size directory (not run by the tests).

Generates 300,000 structures and 600,000 services lines (zip of two CSV files, as the real export),
imports them into a fresh database, imports them again (everything unchanged), then once more with
1 % of the structures modified, and reports lines/s and the peak RSS of the process.

    CHORUS_VAR_DIR=$(mktemp -d) DJANGO_SETTINGS_MODULE=chorus.settings.dev \\
        .venv/bin/python bench/import_annuaire.py [--structures 300000] [--services-per-structure 2]

Without CHORUS_VAR_DIR a temporary directory is used, so var/ is never touched; the database is
migrated first. With DATABASE_URL set, the same run measures PostgreSQL.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def siret(n: int) -> str:
    from stdnum import luhn

    siren = f"{10_000_000 + n:08d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def generate(directory: Path, structures: int, services_per_structure: int, variant: int = 0) -> Path:
    """Write the two CSV files and zip them; ``variant`` renames 1 % of the structures."""
    from structures.importers import SERVICE_COLUMNS, STRUCTURE_COLUMNS

    def flag(value: bool) -> str:
        return "true" if value else "false"

    structures_csv = directory / "AIFE-Chorus-Pro-Annuaire-structures.csv"
    services_csv = directory / "AIFE-Chorus-Pro-Annuaire-services-only.csv"
    with (
        open(structures_csv, "w", encoding="utf-8", newline="") as s_file,
        open(services_csv, "w", encoding="utf-8", newline="") as v_file,
    ):
        s_file.write(";".join(STRUCTURE_COLUMNS) + "\r\n")
        v_file.write(";".join(SERVICE_COLUMNS) + "\r\n")
        for i in range(structures):
            ident = siret(i)
            name = f"Collectivité n° {i} de l'annuaire"
            if variant and i % 100 == 0:
                name += f" (v{variant})"
            flags = [
                i % 7 == 0,
                i % 11 == 0,
                i % 3 != 0,
                i % 4 == 0,
                i % 5 == 0,
                i % 6 == 0,
                i % 13 == 0,
                False,
                i % 50 != 0,
            ]
            address = [
                f"{i % 200} rue de l'Exemple",
                "",
                "",
                f"{(i % 95) + 1:02d}000",
                "VILLE",
                "0100000000",
                f"f{i}@x.invalid",
                "FR",
                "France",
            ]
            s_file.write(";".join(["SIRET", ident, name, *map(flag, flags), *address]) + "\r\n")
            for j in range(services_per_structure):
                row = [ident, name, f"SE{j:03d}", f"Service {j}", flag(j == 1), "true", *address]
                v_file.write(";".join(row) + "\r\n")
    archive = directory / f"annuaire-{variant}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(structures_csv, structures_csv.name)
        zf.write(services_csv, services_csv.name)
    structures_csv.unlink()
    services_csv.unlink()
    return archive


def run(archive: Path, batch_size: int, label: str):
    from structures.importers import import_annuaire

    started = time.perf_counter()
    report = import_annuaire([archive], batch_size=batch_size)
    seconds = time.perf_counter() - started
    print(
        f"{label:<28} {report.read:>9,} lignes en {seconds:6.1f} s = {report.read / seconds:>8,.0f} lignes/s  "
        f"(créés {report.total('created'):,}, mis à jour {report.total('updated'):,}, "
        f"inchangés {report.total('unchanged'):,}, rejetés {report.total('rejected'):,})  "
        f"RSS max {peak_rss_mb():,.0f} Mo"
    )
    assert not report.errors and report.total("rejected") == 0, [f.error for f in report.errors]
    return {
        "label": label,
        "lines": report.read,
        "seconds": seconds,
        "rps": report.read / seconds,
        "rss_mb": peak_rss_mb(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--structures", type=int, default=300_000)
    parser.add_argument("--services-per-structure", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings.dev")
    os.environ.setdefault("CHORUS_VAR_DIR", tempfile.mkdtemp(prefix="chorus-bench-"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"Base : {settings.DATABASES['default']['ENGINE']} {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="chorus-bench-data-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        archive = generate(directory, args.structures, args.services_per_structure)
        print(
            f"Fichiers générés en {time.perf_counter() - started:.1f} s : {archive.stat().st_size / 1e6:.1f} Mo zippés, "
            f"RSS max {peak_rss_mb():,.0f} Mo"
        )
        runs = [run(archive, args.batch_size, "1er import (création)")]
        runs.append(run(archive, args.batch_size, "2e import (inchangé)"))
        modified = generate(directory, args.structures, args.services_per_structure, variant=1)
        runs.append(run(modified, args.batch_size, "3e import (1 % modifié)"))
    print("BENCH_JSON " + json.dumps({"runs": runs, "rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
