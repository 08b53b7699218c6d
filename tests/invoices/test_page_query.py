"""``keyset.page_query``: the query of a page's links, the same string as the QueryDict way it
replaced (a deep copy, ``pop``, ``__setitem__``, ``urlencode``)."""

import pytest
from django.http import QueryDict

from invoices import keyset


def old_query(params: QueryDict, **changes) -> str:
    query = params.copy()
    for name in ("apres", "avant", *changes):
        query.pop(name, None)
    for name, value in changes.items():
        if value is not None:
            query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


QUERIES = [
    "",
    "apres=12~2026-01-01",
    "statut=DEPOSEE&statut=REJETEE&montant_min=10,5",
    "raison_sociale=Soci%C3%A9t%C3%A9+g%C3%A9n%C3%A9rale+%26+fils&tri=-montant&avant=3",
    "numero=A%2BB%20C&numero=%3D%3F&vide=&tri=numero&apres=9",
    "tri=date_depot&statut=SUSPENDUE&tri=-numero",
    "%C3%A9=%E2%82%AC&x=%F0%9F%98%80",
]
CHANGES = [
    {},
    {"tri": "-montant"},
    {"apres": "41~2026-03-04T10:00:00+00:00"},
    {"avant": "7"},
    {"tri": None},
    {"statut": "A_RECYCLER", "tri": "numero"},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES)
def test_the_same_query_as_the_querydict_way(query, changes):
    params = QueryDict(query)
    assert keyset.page_query(params, **changes) == old_query(params, **changes)
    assert params.urlencode() == QueryDict(query).urlencode()  # the request's own left as it was
