"""EXPLAIN ANALYZE of the queries of "Rechercher" on a generated PostgreSQL data set (not run by the tests).

Generates (by SQL, in seconds) ``--total`` invoices of which ``--mine`` belong to one supplier, with
1,000 public recipients (a quarter of them of the State), then runs the page's real queries (the
selector, the keyset page, the capped count, for the first page and a deep one) for each sort and
a few criteria, and prints each plan's top line and its execution time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chorus_search DJANGO_SETTINGS_MODULE=chorus.settings.dev \\
        .venv/bin/python bench/search_explain.py [--total 1000000] [--mine 200000] [--keep] [--plans]

The database is migrated first; the invoices are generated once (``--keep`` reuses them).
"""

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

GENERATE = """
INSERT INTO structures_structure (address_line1, address_line2, address_line3, postal_code, city, country_code,
    country_label, phone, email, kind, identifier_type, identifier, name, vat_number, is_active, ej_required,
    service_required, service_or_ej_required, reports_payment_status, edi_sender, edi_receiver, is_moa, is_moa_only,
    created_at, updated_at, is_state)
SELECT '', '', '', '', '', 'FR', 'France', '', '', CASE WHEN g <= 50 THEN 'PRIVEE' ELSE 'PUBLIQUE' END, 'AUTRE',
    'BENCH-' || g, CASE WHEN g <= 50 THEN 'Fournisseur ' || g ELSE 'Destinataire public ' || g END, '', true,
    false, false, false, false, false, false, false, false, now(), now(), g > 50 AND g % 4 = 0
FROM generate_series(1, 1050) g;

INSERT INTO invoices_invoice (cadre, invoice_type, original_invoice_number, number, invoice_date, invoice_year,
    market_number, engagement_number, currency, amount_ht, amount_tva, amount_ttc, payment_mode, comment,
    deposit_mode, status, identifier, pdf, pdf_original_filename, pdf_size, extracted_data, created_at, updated_at,
    sent_at, certificate_fingerprint, recipient_id, supplier_id, mandate_number)
SELECT (ARRAY['A1','A1','A1','A2','A9','A12'])[1 + g % 6],
    CASE WHEN g % 10 = 0 THEN 'AVOIR' ELSE 'FACTURE' END, '',
    'B-' || g, CASE WHEN g % 50 = 0 THEN NULL ELSE date '2024-01-01' + (g % 900) END, 2024 + (g % 900) / 365,
    '', CASE WHEN g % 7 = 0 THEN 'EJ' || (g % 5000) ELSE '' END, 'EUR',
    round((g % 100000) / 10.0, 2), 0, CASE WHEN g % 50 = 0 THEN NULL ELSE round((g % 100000) / 8.3, 2) END, '', '',
    'DEPOT_PDF_PORTAIL',
    CASE WHEN g % 50 = 0 THEN 'BROUILLON' ELSE (ARRAY['MISE_A_DISPOSITION','MISE_EN_PAIEMENT','MISE_EN_PAIEMENT',
        'REJETEE','SUSPENDUE','SERVICE_FAIT','MANDATEE','COMPTABILISEE','A_RECYCLER','MISE_EN_PAIEMENT'])[1 + g % 10] END,
    CASE WHEN g % 50 = 0 THEN NULL ELSE 'BENCH-' || g END, '', '', 0, '{}',
    timestamptz '2024-01-01' + g * interval '1 minute', now(),
    CASE WHEN g % 50 = 0 THEN NULL ELSE timestamptz '2024-01-01' + g * interval '1 minute' + interval '1 hour' END,
    '', (SELECT min(id) FROM structures_structure WHERE identifier = 'BENCH-51') + g % 1000,
    (SELECT min(id) FROM structures_structure WHERE identifier = 'BENCH-1') + CASE WHEN mod(g::bigint * 2654435761, 1000003) % %(ratio)s = 0 THEN 0 ELSE 1 + g % 49 END,
    ''
FROM generate_series(1, %(total)s) g;
ANALYZE structures_structure;
ANALYZE invoices_invoice;
"""

CASES = [
    ("par défaut (création, décroissant)", "", {}),
    ("numéro croissant", "numero", {}),
    ("date de facture décroissante", "-date_facture", {}),
    ("date de dépôt décroissante", "-date_depot", {}),
    ("montant croissant", "montant", {}),
    ("statuts Rejetée + Suspendue", "", {"statut": ["REJETEE", "SUSPENDUE"]}),
    ("destinataires de l'État, montant décroissant", "-montant", {"destinataire_etat": "etat"}),
    ("plage de montants", "montant", {"montant_min": "1000", "montant_max": "1100"}),
    ("plage de dates de facture", "-date_facture", {"facture_du": "2025-03-01", "facture_au": "2025-03-31"}),
    ("plage de dates de dépôt", "-date_depot", {"depot_du": "2025-03-01", "depot_au": "2025-03-02"}),
    ("EJ", "", {"ej": "EJ140"}),
    ("numéro exact", "", {"numero": "B-4000"}),
    ("avoirs en A9", "", {"type": "AVOIR", "cadre": "A9"}),
    ("raison sociale du destinataire", "", {"destinataire": "public 77"}),
    ("archives", "", {"archives": True}),
]


def explain(sql, params, plans: bool) -> tuple[float, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    total = float(next(line for line in lines if line.startswith("Execution Time")).split()[2])
    shown = "\n      ".join(lines) if plans else lines[0].strip()
    return total, shown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--mine", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="reuse the invoices already generated")
    parser.add_argument("--plans", action="store_true", help="print the whole plans")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from invoices import keyset, selectors
    from invoices.forms.search import SORTS, InvoiceSearchForm
    from structures.models import Structure

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL doit désigner une base PostgreSQL.")
    call_command("migrate", verbosity=0)
    if not (args.keep and Structure.objects.filter(identifier="BENCH-1").exists()):
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE invoices_invoice, structures_structure RESTART IDENTITY CASCADE")
            cursor.execute(
                GENERATE.replace("%(ratio)s", str(round(args.total / args.mine))).replace("%(total)s", str(args.total))
            )
        print(f"{args.total} factures générées en {time.monotonic() - started:.0f} s")
    supplier = Structure.objects.get(identifier="BENCH-1")
    print(f"Fournisseur : {supplier.invoices_sent.count()} factures sur {args.total}\n")
    for label, sort, data in CASES:
        archives = data.pop("archives", False)
        form = InvoiceSearchForm({**data, "tri": sort}, supplier=supplier, archives=archives)
        assert form.is_valid(), form.errors
        key, descending = form.sort()
        invoices = selectors.invoice_search(supplier=supplier, criteria=form.criteria(), archives=archives)
        sort_key = keyset.SortKey(SORTS[key][0])
        first = keyset.paginate(invoices, sort_key, descending=descending, page_size=20)
        # A deep position: the 150,000th row of the order (or near the end), found once by OFFSET.
        field = SORTS[key][0]
        ordered = invoices.filter(**{f"{field}__isnull": False}).order_by(
            ("-" if descending else "") + field, ("-" if descending else "") + "pk"
        )
        deep_row = ordered[max(min(150_000, ordered.count() - 21), 0) :].first()
        print(f"{label} :")
        count_sql = invoices.order_by()[:1001].values("pk").query.sql_with_params()
        ms, plan = explain(f"SELECT COUNT(*) FROM ({count_sql[0]}) sub", count_sql[1], args.plans)  # noqa: S608
        print(f"  compte plafonné : {ms:.1f} ms  {plan}")
        for name, row in (("1re page", None), ("page profonde", deep_row)):
            if name == "page profonde" and row is None:
                continue
            position = None if row is None else (row.pk, getattr(row, field))
            captured = []

            def capture(execute, sql, params, many, context, captured=captured):
                captured.append((sql, params))
                return execute(sql, params, many, context)

            with connection.execute_wrapper(capture):
                keyset._walk(
                    keyset.QuerysetRows(invoices),
                    field,
                    invoices.model._meta.get_field(field).null,
                    descending,
                    False,
                    position,
                    21,
                )
            for sql, params in captured:
                ms, plan = explain(sql, params, args.plans)
                print(f"  {name} : {ms:.1f} ms  {plan}")
        print(f"  ({len(first.rows)} lignes en 1re page)\n")


if __name__ == "__main__":
    main()
