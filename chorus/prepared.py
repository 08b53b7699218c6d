"""Querysets compiled once per process and run with new values: the ORM's SQL without its compiler.

Turning a queryset into SQL costs far more than running it when the query is small and its model
wide: the user's memberships with their structure (43 columns) took ~1.3 ms to compile and
~0.2 ms to run on SQLite, on every page of a connected user (issue 9). A ``PreparedQuery`` builds
its queryset once per database alias with stand-in values, keeps the compiled SQL, the compiler's
column map and the populators of ``select_related``, and then only swaps the values in::

    _MEMBERSHIPS = PreparedQuery(lambda user_id: Membership.objects.filter(user_id=user_id, ...))
    memberships = _MEMBERSHIPS.list(user.pk)

Each argument must be an integer that reaches the SQL as a parameter of its own (an id in a
filter), since it is found again among the compiled parameters by its stand-in value. The rows
become instances the way Django's ``ModelIterable`` makes them (``from_db``, the database
converters, the related objects of ``select_related``); ``tests/chorus/test_prepared.py``
compares the two. Only what that covers is accepted: a plain model queryset, with or without
``select_related`` and ordering; ``values()``, annotations, ``prefetch_related`` and slicing are
refused when the query is prepared.
"""

import copy
import datetime
import hashlib
import itertools
import re
import threading
import weakref
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.db.models.query import ModelIterable

from chorus import instances

# Stand-in values, one per argument: large negative integers no id or constant of the portal
# takes, so that each can be found among the compiled parameters.
_STAND_INS = tuple(-7_391_842_615 - i for i in range(8))


# --- Server-side prepared statements (PostgreSQL) ------------------------------------------
#
# PostgreSQL parses and plans each statement it receives: for the short queries of a page,
# planning costs as much as running (0.22 ms against 0.04 for the user's memberships, measured
# with ``bench/page_times.py --explain``). The statements of this module are the same SQL every
# time, so on PostgreSQL each is prepared once per database connection (``PREPARE``) and then run
# by ``EXECUTE`` with its values (PostgreSQL keeps re-planning with the values while a generic plan
# would cost more). Only outside a transaction (the pages that read: ``PREPARE`` then never
# aborts one), never a statement with a LIKE pattern among its values (see ``_Statement``), and not
# at all with ``DATABASE_SERVER_PREPARED=False`` (behind a pooler in
# transaction mode, such as PgBouncer, whose connections are not the session's).

SERVER_PREPARED_MAX = 256  # statements prepared on one connection at most
_PREPARED_ON = weakref.WeakKeyDictionary()  # raw connection -> names of its prepared statements
_PLACEHOLDERS = re.compile(r"%(s|%)")


def _server_text(cursor, sql: str, params: list, positions: list[int]) -> str:
    """``sql`` as PostgreSQL prepares it: ``$1, $2…`` for the parameters at ``positions`` (the values
    of each call), every other parameter (a constant of the code: a status, a kind) written in as
    the driver writes it, so that the plan PostgreSQL keeps sees them (a partial index on statuses
    is only used when the statuses are constants, not parameters)."""
    values = set(positions)
    numbers = itertools.count(1)
    index = itertools.count(0)
    constants = []

    def placeholder(match):
        if match.group(1) == "%":
            return "%%"
        position = next(index)
        if position in values:
            return f"${next(numbers)}"
        constants.append(params[position])
        return "%s"

    text = cursor.mogrify(_PLACEHOLDERS.sub(placeholder, sql), constants)
    return text.decode() if isinstance(text, bytes) else text


def _execute(connection, cursor, statement, params: list) -> None:
    """``cursor.execute(statement.sql, params)``, as a server-side prepared statement where it can
    be (``statement.positions``: where the values of each call are among the parameters)."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not statement.server_preparable
        or not getattr(settings, "DATABASE_SERVER_PREPARED", True)
    ):
        cursor.execute(statement.sql, params)
        return
    server = statement.server
    if server is None:
        text = _server_text(cursor, statement.sql, params, statement.positions)
        server = statement.server = ("chorus_" + hashlib.sha256(text.encode()).hexdigest()[:20], text)
    name, text = server
    raw = connection.connection
    names = _PREPARED_ON.get(raw)
    if names is None:
        names = _PREPARED_ON[raw] = set()
    if name not in names:
        if len(names) >= SERVER_PREPARED_MAX:
            # Bounded memory in the server: past the bound, this connection starts afresh.
            cursor.execute("DEALLOCATE ALL")
            names.clear()
        cursor.execute(f"PREPARE {name} AS {text}")
        names.add(name)
    if statement.positions:
        values = [params[position] for position in statement.positions]
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(values))})", values)
    else:
        cursor.execute(f"EXECUTE {name}")


class _Converted:
    """The rows of a compiled query as ``results_iter`` gives them (the database converters of its
    columns), the converters looked up once per database connection rather than per call."""

    def __init__(self, compiler):
        self.compiler = compiler
        self.fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(self.fields):
            raise ValueError("PreparedQuery : pas de champ composite.")
        self.by_connection = weakref.WeakKeyDictionary()

    def rows(self, connection, rows: list):
        entry = self.by_connection.get(connection)
        if entry is None:
            compiler = copy.copy(self.compiler)  # the converters of this thread's connection
            compiler.connection = connection
            entry = self.by_connection[connection] = (compiler, compiler.get_converters(self.fields))
        compiler, converters = entry
        return list(map(tuple, compiler.apply_converters(rows, converters))) if converters else rows


class PreparedQuery:
    def __init__(self, build):
        self._build = build
        self._compiled = {}
        self._lock = threading.Lock()

    def _compile(self, using: str):
        compiled = self._compiled.get(using)
        if compiled is not None:
            return compiled
        with self._lock:
            compiled = self._compiled.get(using)
            if compiled is None:
                compiled = self._compiled[using] = _Compiled(self._build, using)
        return compiled

    def list(self, *values, using: str = "default") -> list:
        return self._compile(using).run(values)


class _Compiled:
    def __init__(self, build, using: str):
        arity = build.__code__.co_argcount
        queryset = build(*_STAND_INS[:arity]).using(using)
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups
            or queryset.query.annotations
            or queryset.query.is_sliced
            or queryset._known_related_objects
        ):
            raise ValueError("PreparedQuery: seul un queryset de modèle simple se prépare.")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots = []
        for position, value in enumerate(self.params):
            if type(value) is int and value in _STAND_INS[:arity]:
                self.slots.append((position, _STAND_INS.index(value)))
        found = {argument for _, argument in self.slots}
        if found != set(range(arity)):
            raise ValueError("PreparedQuery: chaque argument doit être un paramètre entier de la requête.")
        self.sql = sql
        self.positions = sorted(position for position, _ in self.slots)
        self.server = None  # (name, text) of the statement PostgreSQL prepares
        self.server_preparable = True
        self.using = using
        self.compiler = compiler
        self.model = compiler.klass_info["model"]
        select_fields = compiler.klass_info["select_fields"]
        self.start, self.end = select_fields[0], select_fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.start : self.end]]
        # Instances built as chorus.instances builds them (Django's own where it would differ).
        self.make = instances._maker(self.model, using, self.init_list)
        self.populators = instances._populators(compiler.klass_info, compiler.select, using)
        self.converted = _Converted(compiler)

    def run(self, values) -> list:
        params = list(self.params)
        for position, argument in self.slots:
            params[position] = int(values[argument])
        connection = connections[self.using]
        with connection.cursor() as cursor:
            _execute(connection, cursor, self, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        objects = []
        for row in self.converted.rows(connection, rows):
            obj = self.make(row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects


# --- Statements by shape -------------------------------------------------------------------
#
# A search page's query changes with its criteria, so one compiled SQL per builder is not enough:
# ``Shapes`` keeps one per *shape*, the part of the arguments that decides what the SQL looks like
# (which criteria are given, the sort, the page's segment), the rest being values that only reach
# the SQL as parameters. The builder is called once per shape with stand-in values of the same
# types (a string, a date, a datetime, a decimal, an integer, a list of them), each found again
# among the compiled parameters, directly or as the database backend adapts it (a date as text on
# SQLite) or as a LIKE pattern (``%…%``, ``…%``: the real value is then escaped as the ORM escapes
# it). Booleans and None are not values: they are part of the shape, as are the lengths of lists.


class _StandIns:
    def __init__(self):
        self.count = 0
        self.leaves: list = []

    def make(self, value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, list | tuple):
            return type(value)(self.make(item) for item in value)
        n = self.count
        self.count += 1
        if isinstance(value, int):
            stand_in = -8_391_842_615 - n
        elif isinstance(value, str):
            stand_in = f"chorus~stand~in~{n}~"
        elif isinstance(value, datetime.datetime):
            stand_in = datetime.datetime(1001 + n, 2, 3, 4, 5, 6, tzinfo=value.tzinfo)
        elif isinstance(value, datetime.date):
            stand_in = datetime.date(1001 + n, 2, 3)
        elif isinstance(value, Decimal):
            stand_in = Decimal(-8_391_842_615 - n) / 100
        else:
            raise TypeError(f"Shapes : valeur de type {type(value).__name__} non préparable.")
        self.leaves.append(stand_in)
        return stand_in


def _leaves(values, out: list) -> list:
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, list | tuple):
            _leaves(value, out)
        else:
            out.append(value)
    return out


def _signature(values) -> tuple:
    """What of the values changes the SQL besides the shape: types, None and booleans as they are,
    lengths of lists."""
    return tuple(
        value
        if value is None or isinstance(value, bool)
        else ("list", _signature(value))
        if isinstance(value, list | tuple)
        else type(value)
        for value in values
    )


def _adapters(connection):
    ops = connection.ops
    return (
        lambda value: value,
        ops.adapt_datetimefield_value,
        ops.adapt_datefield_value,
        ops.adapt_decimalfield_value,
    )


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


class _Slot:
    __slots__ = ("position", "leaf", "adapter", "prefix", "suffix")

    def __init__(self, position, leaf, adapter, prefix="", suffix=""):
        self.position, self.leaf, self.adapter, self.prefix, self.suffix = position, leaf, adapter, prefix, suffix


class _Statement:
    def __init__(self, build, values, using: str, wrap: str | None):
        connection = connections[using]
        stand_ins = _StandIns()
        built = build(*stand_ins.make(list(values)))
        if isinstance(built, tuple):  # SQL assembled from querysets (``Shapes.sql_rows``)
            compiler = None
            sql, params = built
        else:
            compiler = built.using(using).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots: list[_Slot] = []
        found = set()
        adapters = _adapters(connection)
        for position, param in enumerate(self.params):
            for leaf, stand_in in enumerate(stand_ins.leaves):
                slot = self._match(position, param, leaf, stand_in, adapters, connection)
                if slot is not None:
                    self.slots.append(slot)
                    found.add(leaf)
                    break
        if found != set(range(len(stand_ins.leaves))):
            raise ValueError("Shapes : chaque valeur doit atteindre la requête comme un paramètre.")
        self.sql = wrap.format(sql) if wrap else sql
        self.positions = sorted(slot.position for slot in self.slots)
        self.server = None  # (name, text) of the statement PostgreSQL prepares
        # A LIKE pattern given as a parameter: a plan made without its value cannot use the index
        # on the searched column (a prefix, a name), and PostgreSQL may still keep such a plan
        # (measured: 92 ms instead of 1 for a search by raison sociale). Sent with its values.
        self.server_preparable = not any(slot.prefix or slot.suffix for slot in self.slots)
        self.using = using
        self.compiler = compiler
        self.converted = _Converted(compiler) if wrap is None and compiler is not None else None

    @staticmethod
    def _match(position, param, leaf, stand_in, adapters, connection):
        for adapter in adapters:
            try:
                adapted = adapter(stand_in)
            except (TypeError, ValueError, AttributeError):
                continue
            if _same(param, adapted):
                return _Slot(position, leaf, adapter)
        if isinstance(stand_in, str) and isinstance(param, str) and stand_in in param:
            prefix, _, suffix = param.partition(stand_in)
            if prefix in ("", "%") and suffix in ("", "%") and (prefix or suffix):
                return _Slot(position, leaf, connection.ops.prep_for_like_query, prefix, suffix)
        return None

    def rows(self, values) -> list:
        leaves = _leaves(values, [])
        params = list(self.params)
        for slot in self.slots:
            value = slot.adapter(leaves[slot.leaf])
            params[slot.position] = f"{slot.prefix}{value}{slot.suffix}" if slot.prefix or slot.suffix else value
        connection = connections[self.using]
        with connection.cursor() as cursor:
            _execute(connection, cursor, self, params)
            rows = cursor.fetchall()
        if not rows or self.converted is None:
            return rows
        return self.converted.rows(connection, rows)


class Shapes:
    """Statements compiled once per process and shape (at most ``limit`` shapes, then forgotten
    and compiled again): ``rows(shape, build, values)`` runs ``build(*values)``'s SQL with the
    values given, as tuples converted by the database backend as ``values_list()`` gives them.
    ``build`` must depend on ``shape`` and on the types of the values only, never on the values
    themselves (a boolean or a None among them is part of the shape)."""

    def __init__(self, limit: int = 512):
        self._statements: dict = {}
        self._lock = threading.Lock()
        self.limit = limit

    def _statement(self, shape, build, values, using, wrap):
        key = (using, wrap, shape, _signature(values))
        statement = self._statements.get(key)
        if statement is None:
            statement = _Statement(build, values, using, wrap)
            with self._lock:
                if len(self._statements) >= self.limit:
                    self._statements.clear()
                self._statements[key] = statement
        return statement

    def rows(self, shape, build, values, *, using: str = "default") -> list[tuple]:
        return self._statement(shape, build, values, using, None).rows(values)

    def sql_rows(self, shape, build, values, *, using: str = "default") -> list[tuple]:
        """The rows of ``build(*values)``'s SQL, ``build`` returning ``(sql, params)`` assembled from
        querysets compiled on ``using`` (several counts in one query, say), rows as the driver gives
        them."""
        return self._statement(("sql", shape), build, values, using, None).rows(values)

    def count(self, shape, build, values, *, using: str = "default") -> int:
        """``build(*values).count()``, for a sliced queryset too (a capped count)."""
        statement = self._statement(shape, build, values, using, "SELECT COUNT(*) FROM ({}) AS counted")
        return statement.rows(values)[0][0]
