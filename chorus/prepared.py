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
import threading

from django.db import connections
from django.db.models.query import ModelIterable, get_related_populators

# Stand-in values, one per argument: large negative integers no id or constant of the portal
# takes, so that each can be found among the compiled parameters.
_STAND_INS = tuple(-7_391_842_615 - i for i in range(8))


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
        self.using = using
        self.compiler = compiler
        self.model = compiler.klass_info["model"]
        select_fields = compiler.klass_info["select_fields"]
        self.start, self.end = select_fields[0], select_fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.start : self.end]]
        self.populators = get_related_populators(compiler.klass_info, compiler.select, using)

    def run(self, values) -> list:
        params = list(self.params)
        for position, argument in self.slots:
            params[position] = int(values[argument])
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        # The converters of the connection of this thread (the compiler was made in another).
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        objects = []
        for row in compiler.results_iter(results=[rows]):
            obj = self.model.from_db(self.using, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
