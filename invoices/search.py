"""The queries of "Rechercher" and "Archives" prepared by shape (``chorus.prepared.Shapes``).

The ORM builds the same SQL for every search with the same criteria given (their values aside),
the same sort and the same segment of the keyset walk (``invoices/keyset.py``): it is compiled once
per process for each such shape, then run with the values of the request. A page's rows are read
as values (``figures.ListedInvoice``), not model instances. Each statement is the one
``selectors.search_filtered`` and ``keyset.segment`` build (``tests/invoices/test_search_shapes.py``
compares both, criterion by criterion, on SQLite and PostgreSQL): building and compiling it took
~0.6 ms of the page's time and the instances ~1 ms, for ~0.15 ms to run it.
"""

from collections.abc import Mapping

from chorus.prepared import Shapes
from invoices import figures, keyset, selectors
from invoices.models import Invoice

_STATEMENTS = Shapes()
# Criteria whose value decides the SQL (a choice between filters), not a parameter of it.
_CHOICES = ("onglet", "destinataire_etat")
_FLAGS = ("rejet_non_traite",)


def _split(bounds: Mapping) -> tuple[tuple, tuple, list]:
    """``(shape, names, values)``: the criteria that decide the query's form, the names of the
    others in a fixed order, and their values."""
    names = tuple(sorted(name for name in bounds if name not in _CHOICES and name not in _FLAGS))
    shape = (
        tuple((name, bounds.get(name)) for name in _CHOICES),
        tuple(bool(bounds.get(name)) for name in _FLAGS),
        names,
    )
    return shape, names, [bounds[name] for name in names]


class SearchRows:
    """The source of ``keyset.paginate`` for one search: the supplier, its bounds
    (``selectors.search_bounds``) and the list (archives or not)."""

    model = Invoice

    def __init__(self, supplier_id: int, bounds: Mapping, *, archives: bool):
        self.supplier_id = int(supplier_id)
        self.bounds = bounds
        self.archives = archives
        self.shape, self.names, self.values = _split(bounds)

    def _filtered(self, supplier_id, criteria):
        fixed = {name: self.bounds[name] for name in (*_CHOICES, *_FLAGS) if name in self.bounds}
        return selectors.search_filtered(
            supplier_id, {**fixed, **dict(zip(self.names, criteria, strict=True))}, archives=self.archives
        )

    def read(self, field: str, nullable: bool, descending: bool, nulls: bool, after, limit: int) -> list:
        """The rows of one segment of the walk, as ``keyset.QuerysetRows.read`` reads them."""
        position = [] if after is None else [after[0], after[1]]

        def build(supplier_id, criteria, position):
            rows = keyset.walked(
                self._filtered(supplier_id, criteria), field, nullable, descending, nulls, tuple(position) or None
            )
            return rows.values_list(*figures.LISTED)[:limit]

        shape = ("rows", self.archives, self.shape, field, nullable, descending, nulls, after is None, limit)
        return figures.listed_rows(_STATEMENTS.rows(shape, build, [self.supplier_id, list(self.values), position]))

    def count(self, cap: int) -> int:
        """The number of matching invoices, counted up to ``cap``."""

        def build(supplier_id, criteria):
            return self._filtered(supplier_id, criteria).order_by().values_list("pk")[:cap]

        return _STATEMENTS.count(
            ("count", self.archives, self.shape, cap), build, [self.supplier_id, list(self.values)]
        )
