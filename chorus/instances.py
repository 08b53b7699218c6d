"""Model instances of a query built without ``Model.__init__`` (issue 9).

A page of the admin's invoice list is 50 invoices and their supplier, recipient and code service
(``select_related``): ~170 instances, each made by ``Model.from_db``, which pads the row with
``DEFERRED`` for the fields not read, sends ``pre_init`` and ``post_init`` and sets each field
through its descriptor. For such rows the result is an instance whose ``__dict__`` holds the
values read and a ``ModelState`` saying it comes from the database: ``InstancesIterable`` builds
exactly that (``object.__new__``, the values stored in the instance's dictionary, the related
instances stored where ``select_related`` stores them), several times faster.

Only when it is the same: a model is built this way when nobody listens to its ``pre_init`` or
``post_init``, it keeps ``Model.__init__`` and ``Model.from_db``, and each field read is stored
as is by its descriptor (Django's plain, foreign key and file fields; an image field, which
measures its file on assignment, or any other descriptor, is not). Anything else (such a model,
a related model reached through a parent model, a nested ``select_related``) is built by Django's
own ``from_db`` and ``RelatedPopulator``; annotations and known related objects are set as
``ModelIterable`` sets them.
"""

import operator

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable, RelatedPopulator
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# Descriptors whose ``__set__`` on a new instance stores the value in its ``__dict__`` (a plain
# field has no ``__set__`` at all).
_STORED_AS_IS = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


def _descriptor(model, attname):
    for klass in model.__mro__:
        if attname in klass.__dict__:
            return klass.__dict__[attname]
    return None


def _plain(model, attnames) -> bool:
    """Whether ``from_db(db, attnames, values)`` gives what ``_maker`` gives."""
    if (
        model._meta.abstract
        or model.__init__ is not Model.__init__
        or model.from_db.__func__ is not Model.from_db.__func__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    ):
        return False
    for attname in attnames:
        descriptor = _descriptor(model, attname)
        if descriptor is not None and hasattr(type(descriptor), "__set__") and type(descriptor) not in _STORED_AS_IS:
            return False
    return True


def _maker(model, db, attnames):
    """A function making an instance of ``model`` from the values of ``attnames``."""
    attnames = list(attnames)
    if not _plain(model, attnames):
        return lambda values: model.from_db(db, attnames, values)
    new = object.__new__

    def make(values):
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = db
        obj.__dict__.update(zip(attnames, values, strict=True))
        obj._state = state
        return obj

    return make


class _Related:
    """``RelatedPopulator`` for a related model read from its own columns, nothing below it."""

    def __init__(self, klass_info, select, db):
        select_fields = klass_info["select_fields"]
        self.cols_start, self.cols_end = select_fields[0], select_fields[-1] + 1
        init_list = [f[0].target.attname for f in select[self.cols_start : self.cols_end]]
        model = klass_info["model"]
        self.pk_idx = init_list.index(model._meta.pk_fields[0].attname)
        self.make = _maker(model, db, init_list)
        self.local_setter = klass_info["local_setter"]
        self.remote_setter = klass_info["remote_setter"]

    def populate(self, row, from_obj):
        values = row[self.cols_start : self.cols_end]
        if values[self.pk_idx] is None:
            obj = None
        else:
            obj = self.make(values)
        self.local_setter(from_obj, obj)
        if obj is not None:
            self.remote_setter(obj, from_obj)


def _populators(klass_info, select, db) -> list:
    return [
        RelatedPopulator(info, select, db)
        if info["from_parent"] or info.get("related_klass_infos")
        else _Related(info, select, db)
        for info in klass_info.get("related_klass_infos", [])
    ]


class InstancesIterable(ModelIterable):
    """``ModelIterable`` (the same instances), its instances built by ``_maker``. Set it as the
    ``_iterable_class`` of a queryset of instances."""

    def __iter__(self):
        queryset = self.queryset
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        make = _maker(klass_info["model"], db, [f[0].target.attname for f in select[start:end]])
        populators = _populators(klass_info, select, db)
        known_related_objects = [
            (
                field,
                related_objs,
                operator.attrgetter(
                    *[
                        field.attname if from_field == "self" else queryset.model._meta.get_field(from_field).attname
                        for from_field in field.from_fields
                    ]
                ),
            )
            for field, related_objs in queryset._known_related_objects.items()
        ]
        for row in compiler.results_iter(results):
            obj = make(row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            if annotation_col_map:
                for attr_name, col_pos in annotation_col_map.items():
                    setattr(obj, attr_name, row[col_pos])
            for field, rel_objs, rel_getter in known_related_objects:
                if field.is_cached(obj):
                    continue
                try:
                    rel_obj = rel_objs[rel_getter(obj)]
                except KeyError:
                    pass
                else:
                    setattr(obj, field.name, rel_obj)
            yield obj


def built_fast(queryset):
    """``queryset`` (not yet evaluated), its instances to be built by ``InstancesIterable``; any
    other queryset (values, already read) as it is."""
    if queryset._iterable_class is ModelIterable and queryset._result_cache is None:
        queryset._iterable_class = InstancesIterable
    return queryset
