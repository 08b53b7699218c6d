"""Batched raw writes of an import: one INSERT (or COPY) per batch, one UPDATE per changed row."""

import io
from datetime import datetime
from itertools import chain
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connections, models

# The ORM's bulk_create spent about two thirds of an import's time compiling values one by one
# (measured with cProfile; see bench/import_annuaire.py). These two functions write the same rows with
# one statement: ``COPY`` on PostgreSQL (psycopg2, pinned in requirements.txt), ``executemany`` on
# SQLite (rows bound in C); the portal runs on no other database. For ``executemany``, values are
# adapted by the model fields (``get_db_prep_save``) except for text, booleans and ids, which the
# driver takes as they are. Columns missing from a row get the field's default, as ``Model()`` would.

_PASS_THROUGH = (models.CharField, models.BooleanField, models.TextField, models.AutoField, models.ForeignKey)


def _column_plan(model, names: list[str]):
    fields = [model._meta.get_field(name) for name in names]
    preps = [None if isinstance(f, _PASS_THROUGH) else f for f in fields]
    return fields, preps


def _prepared(rows: list[dict], names: list[str], preps: list) -> list[tuple]:
    connection = connections[DEFAULT_DB_ALIAS]
    out = []
    for row in rows:
        out.append(
            tuple(
                row[name] if prep is None else prep.get_db_prep_save(row[name], connection)
                for name, prep in zip(names, preps, strict=True)
            )
        )
    return out


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_FLAGS = {True: "t", False: "f", None: "\\N"}


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format (the values of an import: text, flags, ids,
    amounts, dates and timestamps)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # int, Decimal, date


def _getter(names: list[str]):
    """``row -> tuple of row[name]`` in C (``itemgetter`` returns a bare value for one name)."""
    if not names:
        return lambda row: ()
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return itemgetter(*names)


def _copy_buffer(model, rows: list[dict], names: list[str], constants: dict) -> tuple[list[str], io.StringIO]:
    """The COPY columns and text of ``rows``, with as little Python per value as possible.

    Formatting each value with :func:`_copy_text` took a third of an import's CPU time; this
    takes about 7 times less (1.3 ms for 1,000 structures instead of 9.4). Text columns are
    joined as they are, and escaped one by one only when the batch holds a backslash, tab or
    line break (one scan of the batch, in C); flags come from a table; the values common to every
    row (the batch's timestamps, the defaults) are formatted once.
    """
    texts, flags, others = [], [], []
    for name in names:
        field = model._meta.get_field(name)
        if isinstance(field, models.BooleanField):
            flags.append(name)
        elif isinstance(field, models.CharField | models.TextField):
            texts.append(name)
        else:
            others.append(name)
    order = [*texts, *flags, *others, *constants]
    text_values = list(map(_getter(texts), rows))
    try:
        joined = "".join(chain.from_iterable(text_values))
        plain = not any(char in joined for char in "\\\t\n\r")
    except TypeError:  # a None (NULL) in a text column
        plain = False
    if not plain:
        text_values = [tuple(map(_copy_text, values)) for values in text_values]
    get_flags, get_others = _getter(flags), _getter(others)
    suffix = "".join("\t" + _copy_text(value) for value in constants.values())
    buffer = io.StringIO()
    buffer.writelines(
        "\t".join([*text, *map(_COPY_FLAGS.__getitem__, get_flags(row)), *map(_copy_text, get_others(row))])
        + suffix
        + "\n"
        for text, row in zip(text_values, rows, strict=True)
    )
    buffer.seek(0)
    return order, buffer


def insert_rows(model, rows: list[dict], constants: dict | None = None) -> None:
    """INSERT ``rows`` (dicts keyed by field name or attname) into ``model``'s table.

    ``constants`` are values shared by every row (e.g. the timestamps of the batch), given once.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    constants = dict(constants or {})
    given = {*rows[0], *constants}
    for f in model._meta.concrete_fields:
        if not f.primary_key and f.name not in given and f.attname not in given:
            constants[f.attname] = f.get_default()
    names = list(rows[0])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            order, buffer = _copy_buffer(model, rows, names, constants)
            columns = ", ".join(quote(model._meta.get_field(name).column) for name in order)
            with connection.wrap_database_errors:  # psycopg2 errors → django.db errors
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
            return
        fields, preps = _column_plan(model, [*names, *constants])
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        shared = _prepared([constants], list(constants), preps[len(names) :])[0]
        cursor.executemany(sql, [values + shared for values in _prepared(rows, names, preps[: len(names)])])


def update_rows(model, names: list[str], rows: list[dict]) -> None:
    """UPDATE ``names`` of each row by ``id`` (a re-import changes few rows: one statement each)."""
    connection = connections[DEFAULT_DB_ALIAS]
    fields, preps = _column_plan(model, names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    params = [(*values, row["id"]) for values, row in zip(_prepared(rows, names, preps), rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
