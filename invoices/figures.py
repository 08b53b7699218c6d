"""Reads of the supplier's figures: the Synthèse, the Tableau de bord, the Liste fiscale and the late
invoices (selectors, like ``selectors.py``; kept apart because they aggregate).

Every read is bounded by the supplier (``supplier_id = …``, the first column of each index used)
and, for the big sets, by a period or a cap:

- counts are capped (``capped_count``: ``COUNT(*)`` over a ``LIMIT cap+1`` subquery), per status
  on ``invoice_supplier_status_idx`` or on the small partial index of the invoices to act on; a
  page's counts are read in one query (``capped_counts``: one scalar subquery each);
- the Tableau de bord groups one period (12 months by default, 36 at most) in two ``GROUP BY``
  queries on ``invoice_supplier_sent_idx`` (supplier, sent_at, with the grouped columns included
  on PostgreSQL: an index-only scan);
- the Liste fiscale sums the VAT lines of the invoices of a period by rate (``GROUP BY rate``, the
  invoices found by ``invoice_supplier_date_idx``) and lists them by keyset pages;
- the late invoices are those of the partial index ``invoice_supplier_due_idx`` (running clocks
  only) past their due date, by keyset pages too.

Which invoices the Liste fiscale counts (said on the page): the sent ones (not drafts), by invoice
date, except those the recipient rejected (a rejected invoice is replaced by a new one); credit
notes (avoirs) count negative.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Count, DecimalField, F, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from chorus.prepared import Shapes
from invoices import payment, workflow
from invoices.models import Invoice, InvoiceType, InvoiceVatLine, LatePaymentRate
from invoices.workflow import Status
from structures.models import Structure

COUNT_CAP = 1000
SUMMARY_ROWS = 5
TOP_RECIPIENTS = 8
PAGE_SIZE = 50
LATE_SUMMARY_CAP = 1000
# Statuses on which the supplier must act (a rejection until it is acknowledged).
TODO_STATUSES = sorted(workflow.SUPPLIER_ACTION_STATUSES)
# The invoices the Liste fiscale leaves out, besides drafts.
FISCAL_EXCLUDED = [Status.BROUILLON, Status.REJETEE]

_MONEY = DecimalField(max_digits=17, decimal_places=2)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CappedCount:
    value: int
    capped: bool  # there are more than ``value``

    def __bool__(self):
        return self.value > 0


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> CappedCount:
    """How many rows, up to ``cap`` (``COUNT(*)`` of a ``LIMIT cap + 1`` subquery)."""
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return CappedCount(min(n, cap), n > cap)


def _capped_counts_sql(querysets: list[QuerySet], cap: int) -> tuple[str, list]:
    """The one query of ``capped_counts``: one scalar subquery per count (``0`` for a queryset
    that can match nothing)."""
    using = querysets[0].db
    parts, params = [], []
    for index, queryset in enumerate(querysets):
        try:
            sql, values = queryset.order_by().values("pk")[: cap + 1].query.get_compiler(using).as_sql()
        except EmptyResultSet:  # ``pk__in=[]``, ``none()``: nothing to count
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{index})")  # noqa: S608 (the ORM's SQL, values as parameters)
        params.extend(values)
    return "SELECT " + ", ".join(parts), params


def _run_counts(using: str, sql: str, params: list, cap: int) -> list[CappedCount]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return [CappedCount(min(n, cap), n > cap) for n in row]


def capped_counts(querysets: list[QuerySet], cap: int = COUNT_CAP) -> list[CappedCount]:
    """``capped_count`` of each queryset (all on the same database), in one query: one scalar
    subquery ``(SELECT COUNT(*) FROM (… LIMIT cap + 1))`` per count, each planned on its own index
    as it would be alone, one round trip for all (a page's counts were one query each)."""
    if not querysets:
        return []
    sql, params = _capped_counts_sql(querysets, cap)
    return _run_counts(querysets[0].db, sql, params, cap)


_COUNT_STATEMENTS = Shapes(limit=256)


def prepared_capped_counts(shape, build, values: list, cap: int = COUNT_CAP, using: str = "default"):
    """``capped_counts(build(*values), cap)``, its SQL compiled once per process and ``shape``
    (building and compiling five querysets cost more than running their counts): ``build`` returns
    the list of querysets and depends on the shape only, never on the values (integers, dates,
    lists of them, each reaching the SQL as a parameter: ``chorus.prepared.Shapes``)."""

    def sql(*stand_ins):
        return _capped_counts_sql([queryset.using(using) for queryset in build(*stand_ins)], cap)

    (row,) = _COUNT_STATEMENTS.sql_rows(("capped-counts", shape, cap), sql, values, using=using)
    return [CappedCount(min(n, cap), n > cap) for n in row]


def signed(column: str):
    """``column``, negative for a credit note (avoir)."""
    return Case(
        When(invoice_type=InvoiceType.CREDIT_NOTE, then=-F(column)),
        default=F(column),
        output_field=_MONEY,
    )


def _signed_vat(column: str):
    return Case(
        When(invoice__invoice_type=InvoiceType.CREDIT_NOTE, then=-F(column)),
        default=F(column),
        output_field=_MONEY,
    )


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


LIST_COLUMNS = (
    "id",
    "identifier",
    "number",
    "invoice_type",
    "invoice_date",
    "amount_ht",
    "amount_tva",
    "amount_ttc",
    "status",
    "created_at",
    "sent_at",
    "status_changed_at",
    "supplier_id",
    "recipient__id",
    "recipient__name",
    "recipient__identifier",
)


# --- Rates of the late-payment interest ------------------------------------------------------


def ecb_rates():
    """``rate_on(day)`` → ``(ecb_rate, valid_from)`` in force on ``day`` (or None), from one read of
    the operators' table (a few rows a year), made at the first call only: a page whose clocks are
    not late (most invoice pages) reads nothing."""
    rows: list = []

    def rate_on(day: date):
        if not rows:
            rows.append(list(LatePaymentRate.objects.order_by("valid_from").values_list("valid_from", "ecb_rate")))
        found = None
        for valid_from, ecb_rate in rows[0]:
            if valid_from > day:
                break
            found = (ecb_rate, valid_from)
        return found

    return rate_on


def invoice_clock(invoice: Invoice, *, today: date | None = None, rate_on=None) -> payment.ClockState:
    return payment.clock_state(
        invoice.payment_clock,
        status=invoice.status,
        today=today or timezone.localdate(),
        amount_ttc=invoice.amount_ttc,
        ecb_rate_on=rate_on if rate_on is not None else ecb_rates(),
    )


# --- Synthèse -------------------------------------------------------------------------------


@dataclass
class Summary:
    drafts: CappedCount
    latest_drafts: list
    recent: list
    todo_by_status: list  # (Status, CappedCount), only those with invoices
    todo: list
    late: CappedCount

    @property
    def todo_total(self) -> CappedCount:
        return CappedCount(
            sum(n.value for _s, n in self.todo_by_status), any(n.capped for _s, n in self.todo_by_status)
        )


def todo_invoices(supplier: Structure | int) -> QuerySet[Invoice]:
    """Sent invoices the supplier must act on (partial index ``invoice_supplier_todo_idx``)."""
    return Invoice.objects.filter(supplier=supplier, status__in=TODO_STATUSES, rejection_acknowledged_at__isnull=True)


@dataclass(frozen=True)
class ListedRecipient:
    id: int
    name: str
    identifier: str


@dataclass(frozen=True)
class ListedInvoice:
    """An invoice of a short list of the Synthèse, read as values (``invoices.rows`` reads the
    same attributes of it as of an ``Invoice``)."""

    pk: int
    identifier: str | None
    number: str
    invoice_type: str
    invoice_date: date | None
    amount_ttc: Decimal | None
    status: str
    created_at: datetime
    sent_at: datetime | None
    supplier_id: int
    recipient_id: int | None
    recipient: ListedRecipient | None


LISTED = (
    "id",
    "identifier",
    "number",
    "invoice_type",
    "invoice_date",
    "amount_ttc",
    "status",
    "created_at",
    "sent_at",
    "supplier_id",
    "recipient_id",
    "recipient__name",
    "recipient__identifier",
)


def listed(invoices: QuerySet[Invoice]) -> list[ListedInvoice]:
    """``invoices`` (ordered, sliced) as ``ListedInvoice``: values, no model instances."""
    return listed_rows(invoices.values_list(*LISTED))


def listed_rows(rows) -> list[ListedInvoice]:
    """Rows of the columns ``LISTED`` as ``ListedInvoice``."""
    listed = []
    for *values, recipient_id, name, identifier in rows:
        recipient = ListedRecipient(recipient_id, name, identifier) if recipient_id is not None else None
        listed.append(ListedInvoice(*values, recipient_id, recipient))
    return listed


_STATEMENTS = Shapes()


def _summary_counts(supplier_id: int, today: date) -> list[QuerySet]:
    todo = todo_invoices(supplier_id)
    return [
        Invoice.objects.filter(supplier=supplier_id, status=Status.BROUILLON),
        late_invoices(supplier_id, today=today),
        *(todo.filter(status=s) for s in TODO_STATUSES),
    ]


# The Synthèse's three short lists: (its part's invoices, ordered, as the list shows them; its size).
def _summary_lists(supplier_id: int) -> list[tuple[QuerySet, int]]:
    return [
        (
            Invoice.objects.filter(supplier=supplier_id, status=Status.BROUILLON).order_by("-created_at", "-id"),
            SUMMARY_ROWS,
        ),
        (Invoice.objects.filter(supplier=supplier_id, sent_at__isnull=False).order_by("-sent_at"), SUMMARY_ROWS * 2),
        (todo_invoices(supplier_id).order_by("-created_at", "-id"), SUMMARY_ROWS),
    ]


def _summary_rows(supplier_id: int):
    """The three lists in one query: ``UNION ALL`` of each list's invoices, found by the ids of its
    ordered and sliced query (SQLite takes neither ``ORDER BY`` nor ``LIMIT`` in a part of a
    compound statement, but takes them in a subquery), each row tagged with its list's number."""
    parts = [
        Invoice.objects.filter(pk__in=ordered.values("pk")[:size])
        .order_by()
        .annotate(summary_part=Value(index))
        .values_list(*LISTED, "summary_part")
        for index, (ordered, size) in enumerate(_summary_lists(supplier_id))
    ]
    return parts[0].union(*parts[1:], all=True)


# How each list is ordered (its rows come in any order from the union): the keys of its ORDER BY.
_SUMMARY_ORDERS = (
    lambda row: (row.created_at, row.pk),
    lambda row: row.sent_at,
    lambda row: (row.created_at, row.pk),
)


def summary(supplier: Structure, *, today: date | None = None) -> Summary:
    """The Synthèse's counts (one query) and its three short lists (one query), their SQL compiled
    once per process (``prepared_capped_counts``, ``chorus.prepared.Shapes``), the lists read as
    values."""
    today = today or timezone.localdate()
    supplier_id = int(supplier.pk)
    drafts_count, late, *todo_counts = prepared_capped_counts("summary", _summary_counts, [supplier_id, today])
    by_status = [(Status(s), n) for s, n in zip(TODO_STATUSES, todo_counts, strict=True)]
    lists: list[list] = [[], [], []]
    for *row, part in _STATEMENTS.rows(("summary-lists", SUMMARY_ROWS), _summary_rows, [supplier_id]):
        lists[part].append(row)
    drafts, recent, todo = (
        sorted(listed_rows(rows), key=key, reverse=True) for rows, key in zip(lists, _SUMMARY_ORDERS, strict=True)
    )
    return Summary(
        drafts=drafts_count,
        latest_drafts=drafts,
        recent=recent,
        todo_by_status=[(s, n) for s, n in by_status if n],
        todo=todo,
        late=late,
    )


# --- Tableau de bord ------------------------------------------------------------------------


@dataclass
class Bucket:
    key: object
    label: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class Dashboard:
    start: date  # first day of the first month
    end: date  # first day of the month after the last
    months: list[Bucket]
    statuses: list[Bucket]
    recipients: list[Bucket]
    total: Bucket
    late: "LateSummary"
    recipient: Structure | None = None


MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


MONTHS_SHORT_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def month_label(day: date, short: bool = False) -> str:
    """« janvier 2026 », or « janv. » when ``short``."""
    return MONTHS_SHORT_FR[day.month - 1] if short else f"{MONTHS_FR[day.month - 1]} {day.year}"


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def dashboard(
    supplier: Structure,
    *,
    start: date,
    end: date,
    today: date | None = None,
    recipient: Structure | None = None,
) -> Dashboard:
    """Sent invoices of the months ``[start, end)`` (first days of months), by deposit date (sent_at):
    by month, by status and by recipient (the first ``TOP_RECIPIENTS`` by amount, then « Autres »);
    only those addressed to ``recipient`` if given. Amounts are TTC, credit notes negative."""
    sent = Invoice.objects.filter(supplier=supplier, sent_at__gte=_aware(start), sent_at__lt=_aware(end))
    if recipient is not None:
        sent = sent.filter(recipient=recipient)
    rows = (
        sent.annotate(month=TruncMonth("sent_at"))
        .values("month", "status")
        .annotate(n=Count("*"), amount=Sum(signed("amount_ttc")))
        .order_by()
    )
    months = {}
    day = start
    while day < end:
        months[day] = Bucket(day, month_label(day))
        day = add_months(day, 1)
    statuses = {s: Bucket(s, str(s.label)) for s in Status if s != Status.BROUILLON}
    total = Bucket("total", "Total")
    for row in rows:
        month = row["month"]
        month = timezone.localtime(month) if isinstance(month, datetime) and timezone.is_aware(month) else month
        key = date(month.year, month.month, 1)
        amount = row["amount"] or ZERO
        for bucket in (months.get(key), statuses.get(Status(row["status"])), total):
            if bucket is not None:
                bucket.count += row["n"]
                bucket.amount += amount
    by_recipient = list(
        sent.values("recipient_id")
        .annotate(n=Count("*"), amount=Sum(signed("amount_ttc")))
        .order_by("-amount", "recipient_id")[: TOP_RECIPIENTS + 1]
    )
    top = by_recipient[:TOP_RECIPIENTS]
    names = dict(Structure.objects.filter(pk__in=[r["recipient_id"] for r in top]).values_list("pk", "name"))
    recipients = [
        Bucket(r["recipient_id"], names.get(r["recipient_id"], "—"), r["n"], r["amount"] or ZERO) for r in top
    ]
    if len(by_recipient) > TOP_RECIPIENTS:
        others = Bucket("autres", "Autres destinataires")
        others.count = total.count - sum(b.count for b in recipients)
        others.amount = total.amount - sum((b.amount for b in recipients), ZERO)
        recipients.append(others)
    return Dashboard(
        start=start,
        end=end,
        months=list(months.values()),
        statuses=[b for b in statuses.values() if b.count],
        recipients=recipients,
        total=total,
        late=late_summary(supplier, today=today),
        recipient=recipient,
    )


def public_recipient(recipient_id) -> Structure | None:
    """The public structure of a ``destinataire`` filter (None if unknown): only its name is shown."""
    if recipient_id is None:
        return None
    return Structure.objects.public().filter(pk=recipient_id).only("id", "name", "identifier").first()


# --- Late invoices -----------------------------------------------------------------------------


def late_invoices(supplier: Structure | int, *, today: date | None = None) -> QuerySet[Invoice]:
    """Invoices whose payment clock runs past its due date, the longest late first."""
    today = today or timezone.localdate()
    return Invoice.objects.filter(
        supplier=supplier,
        payment_due_on__isnull=False,
        payment_stopped_on__isnull=True,
        payment_due_on__lt=today,
    ).order_by("payment_due_on", "id")


@dataclass
class LateRow:
    invoice: Invoice
    clock: payment.ClockState


@dataclass
class LateSummary:
    count: CappedCount
    amount: Decimal = ZERO
    interest: Decimal = ZERO
    indemnities: Decimal = ZERO
    missing_rate: bool = False  # some interest could not be computed (no rate set)
    rows: list = field(default_factory=list)  # the longest late, for the dashboard

    @property
    def due(self) -> Decimal:
        """Indicative interest plus the fixed indemnities."""
        return self.interest + self.indemnities


LATE_COLUMNS = (*LIST_COLUMNS, "payment_started_on", "payment_due_on", "payment_stopped_on", "payment_interrupted_on")


def late_rows(invoices, *, today: date, rate_on) -> list[LateRow]:
    return [
        LateRow(
            i,
            payment.clock_state(
                i.payment_clock, status=i.status, today=today, amount_ttc=i.amount_ttc, ecb_rate_on=rate_on
            ),
        )
        for i in invoices
    ]


def late_summary(supplier: Structure, *, today: date | None = None, shown: int = SUMMARY_ROWS) -> LateSummary:
    """Count (capped), amount TTC, indicative interest and indemnities of the late invoices (over the
    first ``LATE_SUMMARY_CAP`` when there are more: the count then says « plus de »)."""
    today = today or timezone.localdate()
    rate_on = ecb_rates()
    invoices = list(
        late_invoices(supplier, today=today).select_related("recipient").only(*LATE_COLUMNS)[: LATE_SUMMARY_CAP + 1]
    )
    count = CappedCount(min(len(invoices), LATE_SUMMARY_CAP), len(invoices) > LATE_SUMMARY_CAP)
    rows = late_rows(invoices[:LATE_SUMMARY_CAP], today=today, rate_on=rate_on)
    result = LateSummary(count=count, rows=rows[:shown])
    for row in rows:
        result.amount += row.invoice.amount_ttc or ZERO
        result.indemnities += row.clock.indemnity
        if row.clock.interest is None:
            result.missing_rate = True
        else:
            result.interest += row.clock.interest
    return result


def late_page(supplier: Structure, *, after: tuple[date, int] | None, today: date | None = None):
    """One keyset page of the late invoices after ``(due_on, id)``: rows, and the key of the next
    page (None on the last)."""
    today = today or timezone.localdate()
    invoices = late_invoices(supplier, today=today)
    if after is not None:
        due, pk = after
        invoices = invoices.filter(Q(payment_due_on__gt=due) | Q(payment_due_on=due, id__gt=pk))
    page = list(invoices.select_related("recipient").only(*LATE_COLUMNS)[: PAGE_SIZE + 1])
    following = (page[PAGE_SIZE - 1].payment_due_on, page[PAGE_SIZE - 1].pk) if len(page) > PAGE_SIZE else None
    return late_rows(page[:PAGE_SIZE], today=today, rate_on=ecb_rates()), following


# --- Liste fiscale --------------------------------------------------------------------------


def fiscal_invoices(supplier: Structure | int, *, start: date, end: date) -> QuerySet[Invoice]:
    """The invoices the Liste fiscale counts, dated ``start`` to ``end`` included (see the module)."""
    return Invoice.objects.filter(supplier=supplier, invoice_date__gte=start, invoice_date__lte=end).exclude(
        status__in=FISCAL_EXCLUDED
    )


@dataclass
class RateTotal:
    rate: Decimal | None  # None: the grand total
    invoices: int
    ht: Decimal
    tva: Decimal

    @property
    def ttc(self) -> Decimal:
        return self.ht + self.tva


def fiscal_totals(supplier: Structure, *, start: date, end: date) -> tuple[list[RateTotal], RateTotal]:
    """HT, TVA and TTC by VAT rate (credit notes negative) and the grand total, in SQL."""
    lines = InvoiceVatLine.objects.filter(
        invoice__supplier=supplier, invoice__invoice_date__gte=start, invoice__invoice_date__lte=end
    ).exclude(invoice__status__in=FISCAL_EXCLUDED)
    rows = (
        lines.values("rate")
        .annotate(
            n=Count("invoice_id", distinct=True),
            ht=Sum(_signed_vat("base_ht")),
            tva=Sum(_signed_vat("vat_amount")),
        )
        .order_by("-rate")
    )
    by_rate = [RateTotal(r["rate"], r["n"], r["ht"] or ZERO, r["tva"] or ZERO) for r in rows]
    invoices = fiscal_invoices(supplier, start=start, end=end).order_by().count() if by_rate else 0
    total = RateTotal(
        None,
        invoices,
        sum((r.ht for r in by_rate), ZERO),
        sum((r.tva for r in by_rate), ZERO),
    )
    return by_rate, total


FISCAL_COLUMNS = (*LIST_COLUMNS,)


def fiscal_rows(supplier: Structure, *, start: date, end: date) -> QuerySet[Invoice]:
    """The invoices of the list with their VAT lines, by date then id (for pages and files)."""
    return (
        fiscal_invoices(supplier, start=start, end=end)
        .select_related("recipient")
        .only(*FISCAL_COLUMNS)
        .prefetch_related(
            Prefetch(
                "vat_lines",
                queryset=InvoiceVatLine.objects.only("id", "invoice_id", "rate", "base_ht", "vat_amount").order_by(
                    "-rate", "id"
                ),
            )
        )
        .order_by("invoice_date", "id")
    )


@dataclass(frozen=True)
class FiscalInvoice:
    """An invoice of a page of the Liste fiscale: what the page shows of it, read as values (no
    model instances: the page is the busiest of the figures)."""

    pk: int
    invoice_date: date
    invoice_type: str
    number: str
    recipient_name: str | None  # None: no recipient
    signed_vat_lines: list["SignedVat"]


_FISCAL_PAGE_COLUMNS = ("id", "invoice_date", "invoice_type", "number", "recipient_id", "recipient__name")


def _fiscal_page_rows(supplier_id: int, start: date, end: date, day: date | None = None, pk: int | None = None):
    """The query of ``fiscal_page`` (after ``(day, pk)`` when given: the shape says which)."""
    invoices = fiscal_invoices(supplier_id, start=start, end=end).order_by("invoice_date", "id")
    if day is not None:
        invoices = invoices.filter(Q(invoice_date__gt=day) | Q(invoice_date=day, id__gt=pk))
    return (
        Invoice.objects.filter(pk__in=invoices.values("pk")[: PAGE_SIZE + 1])
        .order_by("invoice_date", "id", "-vat_lines__rate", "vat_lines__id")
        .values_list(
            *_FISCAL_PAGE_COLUMNS, "vat_lines__id", "vat_lines__rate", "vat_lines__base_ht", "vat_lines__vat_amount"
        )
    )


def fiscal_page(supplier: Structure, *, start: date, end: date, after: tuple[date, int] | None):
    """One keyset page of the Liste fiscale after ``(invoice_date, id)``: ``FiscalInvoice`` rows
    with their VAT lines (by rate, highest first), and the key of the next page (None on the last).

    One query, compiled once per process (``chorus.prepared.Shapes``): the page's ``PAGE_SIZE + 1``
    invoice ids (a subquery on ``invoice_supplier_date_idx``, ``LIMIT``), those invoices joined to
    their recipient and their VAT lines (one row per line, one row without line for an invoice that
    has none)."""
    values = [int(supplier.pk), start, end]
    if after is not None:
        values += [after[0], int(after[1])]
    found = _STATEMENTS.rows(("fiscal-page", PAGE_SIZE, after is not None), _fiscal_page_rows, values)
    rows: list[FiscalInvoice] = []
    for pk, invoice_date, invoice_type, number, recipient_id, recipient_name, line, rate, base_ht, vat in found:
        if not rows or rows[-1].pk != pk:
            rows.append(
                FiscalInvoice(
                    pk, invoice_date, invoice_type, number, recipient_name if recipient_id is not None else None, []
                )
            )
        if line is not None:
            k = -1 if invoice_type == InvoiceType.CREDIT_NOTE else 1
            rows[-1].signed_vat_lines.append(SignedVat(rate, k * base_ht, k * vat))
    following = (rows[PAGE_SIZE - 1].invoice_date, rows[PAGE_SIZE - 1].pk) if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], following


def sign(invoice: Invoice) -> int:
    return -1 if invoice.invoice_type == InvoiceType.CREDIT_NOTE else 1


@dataclass(frozen=True)
class SignedVat:
    rate: Decimal
    ht: Decimal
    tva: Decimal

    @property
    def ttc(self) -> Decimal:
        return self.ht + self.tva


def signed_vat_lines(invoice: Invoice) -> list[SignedVat]:
    """The invoice's VAT lines as the Liste fiscale counts them (negative for a credit note)."""
    k = sign(invoice)
    return [SignedVat(v.rate, k * v.base_ht, k * v.vat_amount) for v in invoice.vat_lines.all()]


__all__ = [
    "COUNT_CAP",
    "CappedCount",
    "capped_count",
    "capped_counts",
    "dashboard",
    "ecb_rates",
    "fiscal_page",
    "fiscal_rows",
    "fiscal_totals",
    "invoice_clock",
    "late_page",
    "late_summary",
    "summary",
]
