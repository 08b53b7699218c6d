"""Batched raw writes of an import: one INSERT (or COPY) per batch, one UPDATE per changed row."""

import io
from datetime import datetime

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


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts keyed by field name or attname) into ``model``'s table."""
    connection = connections[DEFAULT_DB_ALIAS]
    given = set(rows[0])
    defaults = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in given and f.attname not in given
    }
    names = [*rows[0], *defaults]
    if defaults:
        rows = [{**row, **defaults} for row in rows]
    fields, preps = _column_plan(model, names)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join([_copy_text(row[name]) for name in names]))
                buffer.write("\n")
            buffer.seek(0)
            with connection.wrap_database_errors:  # psycopg2 errors → django.db errors
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        cursor.executemany(sql, _prepared(rows, names, preps))


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
