"""What the operator commands share: the invoice filters, French formats of amounts and dates.

Every command works on sent invoices only: drafts belong to their supplier (``purge_drafts`` is the
one command that touches them). A bad value is a ``CommandError`` with a French message.

Filters (all optional, combined with AND):
    --ids 1,2,3                  invoice ids
    --status CODE[,CODE…]        lifecycle status codes (MISE_A_DISPOSITION, SUSPENDUE…)
    --recipient SIRET            identifier of the public recipient
    --supplier SIRET             identifier of the supplier
    --sent-after AAAA-MM-JJ      sent on or after this day (Paris time)
    --sent-before AAAA-MM-JJ     sent on or before this day (inclusive)
"""

import datetime
from decimal import Decimal

from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.utils import timezone

from invoices import workflow
from invoices.models import Invoice
from invoices.workflow import Status
from structures.models import Structure, StructureKind

IDS_SHOWN = 50


def add_filter_arguments(parser, *, ids: bool = True) -> None:
    group = parser.add_argument_group("filtres (combinés)")
    if ids:
        group.add_argument("--ids", default="", help="Identifiants internes des factures, séparés par des virgules.")
    group.add_argument(
        "--status", default="", help="Statut(s) du cycle de vie, séparés par des virgules (ex. MISE_A_DISPOSITION)."
    )
    group.add_argument("--recipient", default="", help="SIRET (identifiant) du destinataire public.")
    group.add_argument("--supplier", default="", help="SIRET (identifiant) du fournisseur.")
    group.add_argument("--sent-after", default="", help="Envoyées ce jour ou après (AAAA-MM-JJ).")
    group.add_argument("--sent-before", default="", help="Envoyées ce jour ou avant (AAAA-MM-JJ, inclus).")


def has_filter(options) -> bool:
    return any(
        (options.get(name) or "").strip()
        for name in ("ids", "status", "recipient", "supplier", "sent_after", "sent_before")
    )


def parse_ids(value: str) -> list[int]:
    ids = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise CommandError(f"--ids : « {part} » n'est pas un identifiant de facture (nombre entier attendu).")
        ids.append(int(part))
    if not ids:
        raise CommandError("--ids : aucun identifiant donné (ex. --ids 12,15,18).")
    return ids


def parse_statuses(value: str) -> list[str]:
    statuses = []
    for part in value.split(","):
        code = part.strip().upper()
        if not code:
            continue
        if code not in Status.values:
            known = ", ".join(s for s in Status.values if s != Status.BROUILLON)
            raise CommandError(f"--status : statut inconnu « {part.strip()} ». Statuts possibles : {known}.")
        if code == Status.BROUILLON:
            raise CommandError("--status : les brouillons ne sont pas concernés (voir purge_drafts).")
        statuses.append(code)
    if not statuses:
        raise CommandError("--status : aucun statut donné.")
    return statuses


def parse_date(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{option} : date invalide « {value} » (format attendu AAAA-MM-JJ).") from None


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the project's time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _structure_ids(identifier: str, kind: str, option: str) -> list[int]:
    identifier = identifier.replace(" ", "").strip()
    ids = list(Structure.objects.filter(identifier=identifier, kind=kind).values_list("pk", flat=True))
    if not ids:
        what = "destinataire public" if kind == StructureKind.PUBLIC else "fournisseur"
        raise CommandError(f"{option} : aucun {what} d'identifiant « {identifier} ».")
    return ids


def filtered_invoices(options) -> QuerySet[Invoice]:
    """Sent invoices matching the filters of ``options`` (``add_filter_arguments``)."""
    invoices = Invoice.objects.exclude(status=Status.BROUILLON)
    if (options.get("ids") or "").strip():
        invoices = invoices.filter(pk__in=parse_ids(options["ids"]))
    if (options.get("status") or "").strip():
        invoices = invoices.filter(status__in=parse_statuses(options["status"]))
    if (options.get("recipient") or "").strip():
        invoices = invoices.filter(
            recipient_id__in=_structure_ids(options["recipient"], StructureKind.PUBLIC, "--recipient")
        )
    if (options.get("supplier") or "").strip():
        invoices = invoices.filter(
            supplier_id__in=_structure_ids(options["supplier"], StructureKind.PRIVATE, "--supplier")
        )
    after = parse_date(options["sent_after"], "--sent-after") if (options.get("sent_after") or "").strip() else None
    before = parse_date(options["sent_before"], "--sent-before") if (options.get("sent_before") or "").strip() else None
    if after and before and after > before:
        raise CommandError("--sent-after est postérieure à --sent-before : aucune facture ne peut correspondre.")
    if after:
        invoices = invoices.filter(sent_at__gte=day_start(after))
    if before:
        invoices = invoices.filter(sent_at__lt=day_start(before + datetime.timedelta(days=1)))
    return invoices


def positive_int(value: str, option: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CommandError(f"{option} : nombre entier attendu, pas « {value} ».") from None
    if number < minimum:
        raise CommandError(f"{option} doit valoir au moins {minimum}.")
    if maximum is not None and number > maximum:
        raise CommandError(f"{option} doit valoir au plus {maximum}.")
    return number


# --- Formats ------------------------------------------------------------------------------------


def amount_csv(value: Decimal | None) -> str:
    """``1234,56``: a comma for the decimals and no thousands separator, as French Excel reads it."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def amount_grouped(value: Decimal | None) -> str:
    """``1 234 567,89`` for tables read by people."""
    if value is None:
        value = Decimal("0")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def count_grouped(value: int) -> str:
    return f"{value:,d}".replace(",", " ")


def status_label(status: str) -> str:
    return workflow.status_label(status)


def ids_preview(ids: list[int], limit: int = IDS_SHOWN) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    if len(ids) > limit:
        shown += f" … et {len(ids) - limit} autres"
    return shown


def table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset()) -> list[str]:
    """Lines of a text table with aligned columns (``right``: indexes of right-aligned columns)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells):
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
