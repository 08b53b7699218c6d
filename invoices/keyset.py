"""Keyset pagination: pages of a queryset ordered by one column and the id, without OFFSET or COUNT.

A page is fetched after (or before) the position of a row, written in the URL as a cursor
``"<id>~<value>"`` (``"<id>"`` alone when the value is NULL). Each page is one indexed range read,
as fast deep in the list as on its first page (with an index on the filter columns, the sort
column and the id), where ``OFFSET`` reads and drops every earlier row and ``Paginator`` counts
them all first.

Rows whose sort value is NULL (a draft without a date or an amount) always come last, in both
directions, on every database (PostgreSQL and SQLite order NULLs differently): the ordered rows are
read first, then the NULL ones by id. The two parts are separate queries, each served by the same
index; the second runs only on the page where the first runs out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

CURSORS = ("apres", "avant")


def page_query(params, **changes) -> str:
    """The query of a page's URL (``params``: ``request.GET``) with ``changes`` (None removes a
    parameter): the criteria kept, the cursors (``CURSORS``) not.

    The same string as ``QueryDict.copy()``, ``pop``, ``__setitem__`` and ``urlencode()`` (changed
    parameters come last), without the copy, a deep copy, up to seven times per page."""
    removed = {*CURSORS, *changes}
    pairs = [(name, value) for name, values in params.lists() if name not in removed for value in values]
    pairs.extend((name, value) for name, value in changes.items() if value is not None)
    encoded = urlencode(pairs)
    return f"?{encoded}" if encoded else "?"


@dataclass(frozen=True)
class SortKey:
    """A sort column: its model field name, and whether the default direction is descending."""

    field: str
    descending: bool = True


@dataclass
class Page:
    rows: list
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None


def _to_text(value) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _get(row, name: str):
    """A value of a row: a model instance, or a dict from ``values()`` (which must hold ``id``)."""
    if isinstance(row, dict):
        return row[name]
    return row.pk if name == "id" else getattr(row, name)


def encode(row, field: str) -> str:
    value, pk = _get(row, field), _get(row, "id")
    return str(pk) if value is None else f"{pk}~{_to_text(value)}"


def decode(cursor: str | None, model_field: models.Field) -> tuple[int, object] | None:
    """``(id, value)`` from a cursor, or None when it cannot be read (the first page is shown)."""
    if not cursor:
        return None
    pk_text, sep, text = cursor.partition("~")
    try:
        pk = int(pk_text)
    except ValueError:
        return None
    if pk <= 0:
        return None
    if not sep:
        return (pk, None) if model_field.null else None
    try:
        if isinstance(model_field, models.DateTimeField):
            value = parse_datetime(text)
            if value is None:
                return None
            if timezone.is_naive(value):
                value = timezone.make_aware(value)  # as the ORM would, without its warning
        elif isinstance(model_field, models.DateField):
            value = datetime.date.fromisoformat(text)
        elif isinstance(model_field, models.DecimalField):
            value = Decimal(text)
            if not value.is_finite():
                return None
        else:
            value = text
    except (ValueError, InvalidOperation):
        return None
    return pk, value


def _beyond(field: str, value, pk: int, descending: bool) -> Q:
    """Rows after ``(value, pk)`` in the order ``(field, id)``, descending or not. The redundant
    bound on ``field`` alone lets the index range start at the cursor (PostgreSQL then reads no
    earlier row); the OR only sorts out the rows that share the cursor's value."""
    if descending:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))


def segment(queryset: QuerySet, field: str, descending: bool, nulls: bool, after) -> QuerySet:
    """The rows of one segment of the walk, in order: those whose ``field`` is NULL (``nulls``) or
    not, after the position ``after`` (None: from the start of the segment)."""
    direction = "-" if descending else ""
    # Ordered by the (NULL) field too: the index (filters…, field, id) then serves the NULL part
    # directly, where "ORDER BY id" alone may lead PostgreSQL to walk the primary key instead.
    rows = queryset.filter(**{f"{field}__isnull": nulls}).order_by(f"{direction}{field}", f"{direction}pk")
    if after is not None:
        pk, value = after
        if nulls:
            rows = rows.filter(pk__lt=pk) if descending else rows.filter(pk__gt=pk)
        else:
            rows = rows.filter(_beyond(field, value, pk, descending))
    return rows


def walked(queryset: QuerySet, field: str, nullable: bool, descending: bool, nulls: bool, after) -> QuerySet:
    """The queryset of one step of the walk: ``segment`` of a nullable field, or the whole ordered
    queryset after ``after`` when the field is never NULL."""
    if nullable or nulls:
        return segment(queryset, field, descending, nulls, after)
    direction = "-" if descending else ""
    rows = queryset.order_by(f"{direction}{field}", f"{direction}pk")
    if after is not None:
        rows = rows.filter(_beyond(field, after[1], after[0], descending))
    return rows


class QuerysetRows:
    """The source of a walk: a queryset, each segment read as one sliced query."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset
        self.model = queryset.model

    def read(self, field: str, nullable: bool, descending: bool, nulls: bool, after, limit: int) -> list:
        return list(walked(self.queryset, field, nullable, descending, nulls, after)[:limit])


def _walk(source, field: str, nullable: bool, descending: bool, nulls_first: bool, after, limit: int):
    """Up to ``limit`` rows after the position ``after`` (None: from the start) in the sequence
    "non-NULL values by (field, id)" followed (or preceded, ``nulls_first``) by "NULL values by id"."""
    segments = [True, False] if nulls_first else [False, True]
    if not nullable:
        segments = [False]
    rows: list = []
    started = after is None
    for nulls in segments:
        position = None
        if not started:
            if (after[1] is None) != nulls:
                continue  # the cursor lies in the other segment, further on
            position = after
            started = True
        rows += source.read(field, nullable, descending, nulls, position, limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


def paginate(
    queryset,
    key: SortKey,
    *,
    descending: bool,
    page_size: int,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """The page after the cursor ``after``, or before ``before``, or the first page, of a queryset
    or of a source of rows with the ``QuerysetRows`` interface (``model``, ``read()``)."""
    source = QuerysetRows(queryset) if isinstance(queryset, QuerySet) else queryset
    model_field = source.model._meta.get_field(key.field)
    nullable = model_field.null
    position_before = decode(before, model_field) if before and not after else None
    if position_before is not None:
        # Backwards: the same walk in the reversed sequence (NULLs first, opposite direction).
        rows = _walk(source, key.field, nullable, not descending, True, position_before, page_size + 1)
        has_previous = len(rows) > page_size
        rows = list(reversed(rows[:page_size]))
        has_next = True
    else:
        position = decode(after, model_field)
        rows = _walk(source, key.field, nullable, descending, False, position, page_size + 1)
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        has_previous = position is not None
    if not rows:
        # A cursor past the end (rows deleted since): nothing before or after to link to.
        has_next = has_previous = False
    return Page(
        rows=rows,
        has_next=has_next,
        has_previous=has_previous and bool(rows),
        next_cursor=encode(rows[-1], key.field) if has_next and rows else None,
        previous_cursor=encode(rows[0], key.field) if has_previous and rows else None,
    )


def iterate(queryset: QuerySet, key: SortKey, *, descending: bool, chunk_size: int = 2000):
    """Every row of the queryset in the page order, ``chunk_size`` rows per query (flat memory,
    no server-side cursor, so it works in a streamed response outside any transaction)."""
    model_field = queryset.model._meta.get_field(key.field)
    source = QuerysetRows(queryset)
    position = None
    while True:
        rows = _walk(source, key.field, model_field.null, descending, False, position, chunk_size)
        yield from rows
        if len(rows) < chunk_size:
            return
        last = rows[-1]
        position = (_get(last, "id"), _get(last, key.field))
