"""Reads about invoices that carry rules, above all access.

An invoice is visible to the active members of its supplier structure only: ``invoice_for_user``
is the one way a view turns an id from a URL into an invoice, so a member of another structure, or
a pending, refused or detached member, gets a 404.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.db.models import BigIntegerField, CharField, DateTimeField, DecimalField, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from chorus.ids import parse_id
from chorus.prepared import PreparedQuery, Shapes
from invoices import workflow
from invoices.models import (
    DepositBatch,
    DepositBatchItem,
    Invoice,
    InvoiceAttachment,
    InvoiceEvent,
    InvoiceLine,
    InvoiceVatLine,
    Sollicitation,
    SollicitationAttachment,
)
from invoices.workflow import Status
from structures import access
from structures.models import Service, Structure

RECIPIENT_SEARCH_LIMIT = 20
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"\s+")


def invoices_for_user(user) -> QuerySet[Invoice]:
    if not user.is_authenticated:
        return Invoice.objects.none()
    return Invoice.objects.filter(supplier_id__in=access.active_structure_ids(user))


def invoice_for_user(*, user, invoice_id, related: tuple[str, ...] = ()) -> Invoice:
    """The invoice if the user is an active member of its supplier structure; 404 otherwise.
    ``related``: more relations read with it (the invoice page shows who sent it)."""
    try:
        return (
            invoices_for_user(user)
            .select_related("supplier", "recipient", "recipient_service", *related)
            .get(pk=invoice_id)
        )
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _invoice_page_query(related: tuple[str, ...], shown: dict[str, tuple[str, ...]] | None):
    def build(invoice_id, structure_ids: list):
        invoices = Invoice.objects.select_related("recipient", "recipient_service", *related)
        if shown:
            invoices = invoices.only(
                *(f.name for f in Invoice._meta.concrete_fields),
                *(f"{relation}__{name}" for relation, names in shown.items() for name in names),
            )
        return invoices.filter(supplier_id__in=structure_ids, pk=invoice_id)

    return build


# ``PreparedQuery`` takes one integer per argument: a builder per number of the user's structures.
_BY_STRUCTURES = {
    1: lambda build: lambda invoice_id, a: build(invoice_id, [a]),
    2: lambda build: lambda invoice_id, a, b: build(invoice_id, [a, b]),
    3: lambda build: lambda invoice_id, a, b, c: build(invoice_id, [a, b, c]),
    4: lambda build: lambda invoice_id, a, b, c, d: build(invoice_id, [a, b, c, d]),
}
_INVOICE_PAGE_QUERIES: dict = {}


def _invoice_page(invoice_id: int, structure_ids: list[int], related, shown) -> Invoice | None:
    """The invoice ``invoice_id`` if its supplier is one of ``structure_ids`` (None otherwise),
    its query compiled once per process (``chorus.prepared.PreparedQuery``) for users of at most
    four structures, built each time for the others."""
    build = _invoice_page_query(related, shown)
    arity = len(structure_ids)
    if arity not in _BY_STRUCTURES:
        return build(invoice_id, structure_ids).first()
    key = (related, tuple((relation, tuple(names)) for relation, names in (shown or {}).items()), arity)
    query = _INVOICE_PAGE_QUERIES.get(key)
    if query is None:
        query = _INVOICE_PAGE_QUERIES.setdefault(key, PreparedQuery(_BY_STRUCTURES[arity](build)))
    found = query.list(invoice_id, *structure_ids)
    return found[0] if found else None


def invoice_for_request(
    request, *, invoice_id, related: tuple[str, ...] = (), shown: dict[str, tuple[str, ...]] | None = None
) -> Invoice:
    """``invoice_for_user`` for the request's user, from the memberships the request reads anyway
    (``structures.selectors.request_memberships``, once per request, for the navigation too): the
    invoice by its id among those of the user's active structures (that structure object is then
    the invoice's ``supplier``); 404 otherwise. No subquery of the memberships nor join of the
    supplier in the invoice's query, which is compiled once per process (``_invoice_page``).
    ``shown``: the only columns read of some of the relations (``{"recipient": ("name", …)}``),
    every column of the invoice itself."""
    from structures.selectors import request_memberships

    if not request.user.is_authenticated:
        raise Http404
    structures = {m.structure_id: m.structure for m in request_memberships(request)}
    invoice_id = parse_id(invoice_id)
    invoice = _invoice_page(invoice_id, list(structures), related, shown) if invoice_id and structures else None
    if invoice is None or invoice.supplier_id not in structures:
        raise Http404
    invoice.supplier = structures[invoice.supplier_id]
    return invoice


def _set_invoice(objects: list, invoice: Invoice) -> list:
    """The invoice as the ``invoice`` of each of its rows, as its related manager sets it."""
    for obj in objects:
        obj.invoice = invoice
    return objects


_HISTORY = PreparedQuery(
    lambda invoice_id: (
        InvoiceEvent.objects.filter(invoice_id=invoice_id).select_related("user", "motif").order_by("created_at", "id")
    )
)
_VAT_LINES = PreparedQuery(lambda invoice_id: InvoiceVatLine.objects.filter(invoice_id=invoice_id))
_LINES = PreparedQuery(lambda invoice_id: InvoiceLine.objects.filter(invoice_id=invoice_id))
_ATTACHMENTS = PreparedQuery(lambda invoice_id: InvoiceAttachment.objects.filter(invoice_id=invoice_id))


def invoice_history(invoice: Invoice) -> list[InvoiceEvent]:
    """The invoice's events, oldest first, with who acted and the motif (compiled once per process)."""
    return _set_invoice(_HISTORY.list(invoice.pk), invoice)


def invoice_vat_lines(invoice: Invoice) -> list[InvoiceVatLine]:
    """``invoice.vat_lines.all()``, compiled once per process."""
    return _set_invoice(_VAT_LINES.list(invoice.pk), invoice)


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    """``invoice.lines.all()``, compiled once per process."""
    return _set_invoice(_LINES.list(invoice.pk), invoice)


def invoice_attachments(invoice: Invoice) -> list[InvoiceAttachment]:
    """``invoice.attachments.all()``, compiled once per process."""
    return _set_invoice(_ATTACHMENTS.list(invoice.pk), invoice)


# In the order of the model's fields, as ``Model.from_db`` takes them.
_CORRECTION_COLUMNS = tuple(
    f.attname
    for f in Invoice._meta.concrete_fields
    if f.attname in ("id", "number", "invoice_type", "type_code", "original_invoice_id")
)
_CORRECTIONS = Shapes()


def invoice_corrections(invoice: Invoice, limit: int = 20) -> list[Invoice]:
    """The credit notes and corrective invoices of this invoice among its structure's own invoices
    (``invoice.corrections.filter(supplier_id=…).only(…)[:limit]``: indexed FK, few rows), the
    query compiled once per process, each an ``Invoice`` of those columns only (and the invoice as
    its ``original_invoice``)."""

    def build(invoice_id, supplier_id):
        return (
            Invoice.objects.filter(original_invoice=invoice_id, supplier_id=supplier_id)
            .order_by(*Invoice._meta.ordering)
            .values_list(*_CORRECTION_COLUMNS)[:limit]
        )

    rows = _CORRECTIONS.rows(("corrections", limit), build, [int(invoice.pk), int(invoice.supplier_id)])
    corrections = [Invoice.from_db(invoice._state.db or "default", _CORRECTION_COLUMNS, row) for row in rows]
    for correction in corrections:  # as the related manager sets it
        correction.original_invoice = invoice
    return corrections


# The VAT lines, the attachments and the corrections of the invoice page in one query: ``UNION
# ALL`` of the three (the corrections found by the ids of their ordered and sliced query: SQLite
# takes neither ``ORDER BY`` nor ``LIMIT`` in a part of a compound statement), each row tagged with
# its part, in columns of the same types: (part, id, three decimals, when, three texts, integer);
# each part ordered again in Python as its model orders it.
_VAT, _ATTACHMENT, _CORRECTION = 0, 1, 2
_VAT_COLUMNS = ("id", "invoice_id", "rate", "base_ht", "vat_amount", "exemption_reason")
_ATTACHMENT_COLUMNS = tuple(
    f.attname
    for f in InvoiceAttachment._meta.concrete_fields
    if f.attname in ("id", "invoice_id", "original_filename", "size", "created_at")
)


def _page_files(limit: int):
    def build(invoice_id: int, supplier_id: int):
        none = {
            kind: Value(None, output_field=field)
            for kind, field in (
                ("decimal", DecimalField(max_digits=15, decimal_places=2)),
                ("when", DateTimeField()),
                ("number", BigIntegerField()),
            )
        }
        text = Value("", output_field=CharField())
        vat = (
            InvoiceVatLine.objects.filter(invoice_id=invoice_id)
            .order_by()
            .values_list(
                Value(_VAT),
                "id",
                "rate",
                "base_ht",
                "vat_amount",
                none["when"],
                "exemption_reason",
                text,
                text,
                none["number"],
            )
        )
        attachments = (
            InvoiceAttachment.objects.filter(invoice_id=invoice_id)
            .order_by()
            .values_list(
                Value(_ATTACHMENT),
                "id",
                none["decimal"],
                none["decimal"],
                none["decimal"],
                "created_at",
                "original_filename",
                text,
                text,
                "size",
            )
        )
        corrections = (
            Invoice.objects.filter(
                pk__in=Invoice.objects.filter(original_invoice=invoice_id, supplier_id=supplier_id)
                .order_by(*Invoice._meta.ordering)
                .values("pk")[:limit]
            )
            .order_by()
            .values_list(
                Value(_CORRECTION),
                "id",
                none["decimal"],
                none["decimal"],
                none["decimal"],
                "created_at",
                "number",
                "invoice_type",
                "type_code",
                none["number"],
            )
        )
        return vat.union(attachments, corrections, all=True)

    return build


def invoice_page_files(invoice: Invoice, limit: int = 20) -> tuple[list, list, list]:
    """``(invoice_vat_lines(invoice), invoice_attachments(invoice), invoice_corrections(invoice,
    limit))`` in one query compiled once per process, each row an instance of its model with the
    columns the page shows (the attachments' file, type and uploader not read)."""
    db = invoice._state.db or "default"
    parts: list[list] = [[], [], []]
    rows = _PAGE_FILES.rows(("page-files", limit), _page_files(limit), [int(invoice.pk), int(invoice.supplier_id)])
    for part, pk, rate, base_ht, vat_amount, at, text, invoice_type, type_code, number in rows:
        if part == _VAT:
            parts[part].append(
                InvoiceVatLine.from_db(db, _VAT_COLUMNS, (pk, invoice.pk, rate, base_ht, vat_amount, text))
            )
        elif part == _ATTACHMENT:
            by_name = {"id": pk, "invoice_id": invoice.pk, "original_filename": text, "size": number, "created_at": at}
            parts[part].append(
                InvoiceAttachment.from_db(db, _ATTACHMENT_COLUMNS, [by_name[name] for name in _ATTACHMENT_COLUMNS])
            )
        else:
            by_name = {
                "id": pk,
                "number": text,
                "invoice_type": invoice_type,
                "type_code": type_code,
                "original_invoice_id": invoice.pk,
            }
            correction = Invoice.from_db(db, _CORRECTION_COLUMNS, [by_name[name] for name in _CORRECTION_COLUMNS])
            correction.original_invoice = invoice
            correction._page_created_at = at
            parts[part].append(correction)
    vat_lines, attachments, corrections = parts
    vat_lines.sort(key=lambda line: (-line.rate, line.pk))
    attachments.sort(key=lambda attachment: (attachment.created_at, attachment.pk))
    corrections.sort(key=lambda correction: (correction._page_created_at, correction.pk), reverse=True)
    for correction in corrections:
        del correction._page_created_at
    return _set_invoice(vat_lines, invoice), _set_invoice(attachments, invoice), corrections


_PAGE_FILES = Shapes()


# Statuses in which the supplier must act on what the recipient (or the routing) said.
ISSUE_STATUSES = workflow.SUPPLIER_ACTION_STATUSES


def current_issue(invoice: Invoice, events: list[InvoiceEvent]) -> InvoiceEvent | None:
    """The event that put the invoice in its current suspension, rejection or À recycler status
    (its motif and comment are shown prominently)."""
    if invoice.status not in ISSUE_STATUSES:
        return None
    for event in reversed(events):
        if event.to_status == invoice.status and event.from_status != invoice.status:
            return event
    return None


def attachment_for_user(*, user, invoice_id, attachment_id) -> InvoiceAttachment:
    invoice = invoice_for_user(user=user, invoice_id=invoice_id)
    try:
        return invoice.attachments.get(pk=attachment_id)
    except (InvoiceAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# The columns of the list pages (Rechercher, Archives), and nothing else.
LIST_COLUMNS = (
    "id",
    "identifier",
    "number",
    "invoice_type",
    "invoice_date",
    "amount_ttc",
    "status",
    "deposit_mode",
    "created_at",
    "sent_at",
    "supplier_id",
    "recipient__id",
    "recipient__name",
    "recipient__identifier",
)


def invoice_search(
    *, supplier: Structure, criteria: Mapping | None = None, archives: bool = False
) -> QuerySet[Invoice]:
    """The supplier's invoices matching the criteria of ``forms.search.InvoiceSearchForm``
    (``criteria()``), unordered (``keyset.paginate`` orders them), with only the list's columns.
    ``archives``: the invoices in an end status only (``workflow.END_STATUSES``).

    Every criterion is an indexed equality or range on the supplier's rows (see the indexes of
    ``Invoice``), or a look-up of recipient ids in the directory (SIRET prefix, raison sociale).
    """
    return (
        search_filtered(supplier.pk, search_bounds(criteria or {}), archives=archives)
        .select_related("recipient")
        .only(*LIST_COLUMNS)
    )


def search_bounds(criteria: Mapping) -> dict:
    """The criteria as ``search_filtered`` reads them: deposit days as instants (a day in Paris
    time is a range of instants, so the index on sent_at serves), "en retard" as today's date, the
    recipient as the start of its SIRET or a part of its name. Which filters apply depends on the
    names present only, never on a value (``invoices.search`` prepares the query by shape)."""
    bounds = dict(criteria)
    if bounds.get("depot_du"):
        bounds["depot_du"] = _day_start(bounds["depot_du"])
    if bounds.get("depot_au"):
        bounds["depot_au"] = _day_start(bounds["depot_au"] + timedelta(days=1))
    if bounds.pop("en_retard", False):
        bounds["en_retard"] = timezone.localdate()
    recipient = bounds.pop("destinataire", "")
    if recipient:
        bounds["siret_debut" if recipient.isdigit() else "raison_sociale"] = recipient
    return bounds


def search_filtered(supplier_id: int, bounds: Mapping, *, archives: bool = False) -> QuerySet[Invoice]:
    """The supplier's invoices matching ``search_bounds(criteria)``. Every value given reaches the
    SQL as a parameter of its own (``invoices.search`` prepares this query by shape)."""
    invoices = Invoice.objects.filter(supplier_id=supplier_id)
    if archives:
        invoices = invoices.filter(status__in=sorted(workflow.END_STATUSES))
    kind = bounds.get("onglet")
    if kind == "brouillons":
        invoices = invoices.filter(status=Status.BROUILLON)
    elif kind == "envoyees":
        invoices = invoices.exclude(status=Status.BROUILLON)
    if bounds.get("statut"):
        invoices = invoices.filter(status__in=bounds["statut"])
    if bounds.get("en_retard"):
        # The payment clock runs past its due date (invoices/payment.py; partial index
        # invoice_supplier_due_idx holds the running clocks only).
        invoices = invoices.filter(
            payment_due_on__isnull=False, payment_stopped_on__isnull=True, payment_due_on__lt=bounds["en_retard"]
        )
    if bounds.get("rejet_non_traite"):
        # The rejections not yet acknowledged: the partial index invoice_supplier_todo_idx.
        invoices = invoices.filter(status=Status.REJETEE, rejection_acknowledged_at__isnull=True)
    state = bounds.get("destinataire_etat")
    if state in ("etat", "hors_etat"):
        invoices = invoices.filter(recipient__is_state=(state == "etat"))
    for name, lookup in (
        ("type", "invoice_type"),
        ("cadre", "cadre"),
        ("service", "supplier_service_id"),
        ("numero", "number"),
        ("identifiant", "identifier"),
        ("ej", "engagement_number"),
        ("facture_du", "invoice_date__gte"),
        ("facture_au", "invoice_date__lte"),
        ("montant_min", "amount_ttc__gte"),
        ("montant_max", "amount_ttc__lte"),
        ("depot_du", "sent_at__gte"),
        ("depot_au", "sent_at__lt"),
    ):
        if bounds.get(name) not in (None, ""):
            invoices = invoices.filter(**{lookup: bounds[name]})
    if bounds.get("siret_debut"):
        structures = Structure.objects.public().filter(identifier__startswith=bounds["siret_debut"])
        invoices = invoices.filter(recipient__in=structures.values("pk"))
    if bounds.get("raison_sociale"):
        structures = Structure.objects.public().filter(name__icontains=bounds["raison_sociale"])
        invoices = invoices.filter(recipient__in=structures.values("pk"))
    return invoices


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def invoice_list(*, supplier: Structure, tab: str = "") -> QuerySet[Invoice]:
    """The supplier's invoices ("brouillons", "envoyees" or all), newest first."""
    return invoice_search(supplier=supplier, criteria={"onglet": tab}).order_by("-created_at", "-id")


def recipient_search(query: str) -> QuerySet[Structure]:
    """Active public recipients of the directory: a SIRET (prefix of at least 3 digits, spaces
    ignored) or a part of the raison sociale (at least 2 characters)."""
    query = _SPACES.sub(" ", (query or "").strip())
    compact = query.replace(" ", "")
    recipients = Structure.objects.public().active()
    if _DIGITS.fullmatch(compact):
        if len(compact) < 3:
            return Structure.objects.none()
        recipients = recipients.filter(identifier__startswith=compact)
    elif len(query) >= 2:
        recipients = recipients.filter(name__icontains=query)
    else:
        return Structure.objects.none()
    return recipients.order_by("name", "identifier")[:RECIPIENT_SEARCH_LIMIT]


def recipient_services(recipient: Structure | None) -> QuerySet[Service]:
    """The services an invoice may be addressed to: active, never FACTURES_PUBLIQUES."""
    if recipient is None:
        return Service.objects.none()
    return (
        Service.objects.filter(structure=recipient, is_active=True).exclude(code=Service.RESERVED_CODE).order_by("code")
    )


def public_recipient(identifier: str) -> Structure | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return Structure.objects.public().filter(Q(identifier=identifier)).first()


# --- Financial services of public recipients (the admin, issue 5) ------------------------------


def recipients_for_staff(user) -> QuerySet[Structure]:
    """Public structures (recipients) whose invoices the user handles (rule in structures/access.py)."""
    return access.recipient_structures_for_staff(user)


def invoices_for_recipient_staff(
    user, invoices: QuerySet[Invoice] | None = None, *, recipient_ids: list[int] | None = None
) -> QuerySet[Invoice]:
    """Invoices received by the user's recipient structures, never drafts (a draft belongs to its
    supplier alone). A superuser sees every recipient's. ``invoices`` narrows a given queryset;
    ``recipient_ids``: the ids of ``recipients_for_staff(user)`` when already read."""
    invoices = (Invoice.objects.all() if invoices is None else invoices).exclude(status=Status.BROUILLON)
    if not user.is_authenticated or not user.is_active:
        return invoices.none()
    if user.is_superuser:
        return invoices
    # The ids first (an agent has a handful of structures): PostgreSQL estimates a literal list
    # well, where ``recipient_id IN (subquery)`` was estimated at 633 rows instead of 114,000 and
    # read the whole table (issue 14).
    if recipient_ids is None:
        recipient_ids = list(recipients_for_staff(user).values_list("pk", flat=True))
    return invoices.filter(recipient_id__in=recipient_ids)


# --- Sollicitations (support requests) ---------------------------------------------------------
# Visible to the active members of its structure; a personal one (no structure) to its author
# only; a visitor's ("Nous contacter") to support only, in the admin (``access.is_support``).

SOLLICITATION_INVOICE_CHOICES = 50


def sollicitation_visible(user, sollicitation: Sollicitation) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if sollicitation.structure_id is not None:
        return access.is_active_member(user, sollicitation.structure_id)
    return sollicitation.author_id is not None and sollicitation.author_id == user.pk


def sollicitations_for_user(user) -> QuerySet[Sollicitation]:
    if not user.is_authenticated:
        return Sollicitation.objects.none()
    return Sollicitation.objects.filter(
        Q(structure_id__in=access.active_structure_ids(user)) | Q(structure__isnull=True, author=user)
    )


def sollicitation_for_user(*, user, sollicitation_id) -> Sollicitation:
    """The sollicitation if the user may see it; 404 otherwise (another structure's, a visitor's)."""
    if parse_id(sollicitation_id) is None:
        raise Http404
    try:
        return sollicitations_for_user(user).select_related("structure", "author", "invoice").get(pk=sollicitation_id)
    except (Sollicitation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sollicitation_list(*, structure: Structure | None, user) -> QuerySet[Sollicitation]:
    """ "Sollicitations émises": the structure's, or (``structure=None``) the user's personal ones;
    only the columns of the list (the keyset pages order them by last message)."""
    rows = (
        Sollicitation.objects.filter(structure=structure)
        if structure is not None
        else Sollicitation.objects.filter(structure__isnull=True, author=user)
    )
    return rows.only(
        "id", "subject", "category", "status", "awaiting_support", "created_at", "last_message_at", "structure_id"
    )


def has_personal_sollicitations(user) -> bool:
    return Sollicitation.objects.filter(structure__isnull=True, author=user).exists()


def sollicitation_thread(sollicitation: Sollicitation) -> list:
    """The messages, oldest first, with their author and files (three queries)."""
    return list(
        sollicitation.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )


def sollicitation_attachment_for_user(*, user, sollicitation_id, attachment_id) -> SollicitationAttachment:
    sollicitation = sollicitation_for_user(user=user, sollicitation_id=sollicitation_id)
    try:
        return SollicitationAttachment.objects.get(pk=parse_id(attachment_id), message__sollicitation=sollicitation)
    except (SollicitationAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def supplier_invoice_choices(supplier: Structure) -> list[tuple[str, str]]:
    """(identifier, label) of the supplier's latest sent invoices, for the sollicitation form."""
    rows = (
        Invoice.objects.filter(supplier=supplier)
        .exclude(status=Status.BROUILLON)
        .order_by("-created_at", "-id")
        .values_list("identifier", "number", "invoice_date")[:SOLLICITATION_INVOICE_CHOICES]
    )
    return [
        (identifier, f"{number} du {invoice_date:%d/%m/%Y}" if invoice_date else number)
        for identifier, number, invoice_date in rows
        if identifier
    ]


def supplier_invoices_by_reference(supplier: Structure, reference: str) -> list[Invoice]:
    """The supplier's invoices whose Chorus Pro identifier or number is ``reference`` (at most 2:
    enough to tell "none", "this one" and "ambiguous")."""
    reference = (reference or "").strip()
    if not reference:
        return []
    by_identifier = list(Invoice.objects.filter(supplier=supplier, identifier=reference)[:1])
    if by_identifier:
        return by_identifier
    return list(Invoice.objects.filter(supplier=supplier, number=reference).order_by("-created_at", "-id")[:2])


# --- Batch deposits -------------------------------------------------------------------------------

BATCH_LIST_LIMIT = 20


def deposit_batch_for_user(*, user, batch_id) -> DepositBatch:
    """The batch if the user is an active member of its supplier structure; 404 otherwise."""
    if not user.is_authenticated:
        raise Http404
    try:
        return DepositBatch.objects.select_related("supplier", "created_by").get(
            pk=batch_id, supplier_id__in=access.active_structure_ids(user)
        )
    except (DepositBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def deposit_batch_list(*, supplier: Structure) -> list[DepositBatch]:
    """The structure's latest batches, most recent first."""
    return list(
        DepositBatch.objects.filter(supplier=supplier)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:BATCH_LIST_LIMIT]
    )


def deposit_batch_items(batch: DepositBatch) -> list[DepositBatchItem]:
    """The batch's files in the archive's order, with what the report shows of their invoice."""
    return list(
        batch.items.select_related("invoice")
        .only(
            "position",
            "name",
            "state",
            "message",
            "processed_at",
            "batch_id",
            "invoice__id",
            "invoice__identifier",
            "invoice__number",
            "invoice__status",
        )
        .order_by("position")
    )
