"""The financial services' invoice list at scale (issue 14): the recipients' ids resolved first,
an exact identifier looked up by its unique index, a capped count, a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.admin import invoice as invoice_admin
from invoices.workflow import Status
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:invoices_invoice_changelist")


@pytest.fixture
def agent_client(client):
    ministry = StructureFactory(public=True)
    user = UserFactory(staff=True)
    MembershipFactory(user=user, structure=ministry)
    client.force_login(user)
    client.ministry = ministry
    return client


def received(recipient, n=1, **kwargs):
    return [
        InvoiceFactory(sent=True, recipient=recipient, status=Status.MISE_A_DISPOSITION, **kwargs) for _ in range(n)
    ]


def invoice_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "invoices_invoice"' in q["sql"]]


def test_the_list_filters_by_a_list_of_recipient_ids(agent_client):
    received(agent_client.ministry, 3)
    received(StructureFactory(public=True))  # another ministry's
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(URL)
    assert response.status_code == 200 and response.context["cl"].result_count == 3
    sql = invoice_queries(queries)
    assert sql and not any("IN (SELECT" in s for s in sql)


def test_a_whole_identifier_is_searched_exactly(agent_client):
    wanted = received(agent_client.ministry, identifier="FAC-2026-0000042")[0]
    received(agent_client.ministry, identifier="FAC-2026-0000043")
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(URL, {"q": "fac-2026-0000042"})
    assert [i.pk for i in response.context["cl"].result_list] == [wanted.pk]
    sql = " ".join(invoice_queries(queries))
    assert "UPPER" not in sql and "FAC-2026-0000042" in sql


def test_another_ministrys_invoice_is_not_found_by_its_identifier(agent_client):
    received(StructureFactory(public=True), identifier="FAC-2026-0000099")
    response = agent_client.get(URL, {"q": "FAC-2026-0000099"})
    assert list(response.context["cl"].result_list) == []


def test_other_terms_still_search_the_other_fields(agent_client):
    wanted = received(agent_client.ministry, number="ZZ-77")[0]
    received(agent_client.ministry, number="AA-1")
    response = agent_client.get(URL, {"q": "zz-7"})
    assert [i.pk for i in response.context["cl"].result_list] == [wanted.pk]


def test_the_count_is_capped(agent_client, monkeypatch):
    monkeypatch.setattr(invoice_admin, "COUNT_CAP", 2)
    received(agent_client.ministry, 4)
    response = agent_client.get(URL)
    assert response.context["cl"].result_count == 3  # "at least 3": never more than the cap + 1


def test_the_list_takes_a_bounded_number_of_queries(agent_client, django_assert_max_num_queries):
    received(agent_client.ministry, 30)
    agent_client.get(URL)  # the session cached
    # user, recipients' ids (scope and filter), capped count, one page with its joins, the
    # filters' choices, the staff requests' outcomes: not one query per row.
    with django_assert_max_num_queries(12):
        response = agent_client.get(URL)
    assert response.context["cl"].result_count == 30
