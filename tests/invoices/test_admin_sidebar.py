"""The filters of the admin's invoice list kept in the cache (invoices/admin/sidebar.py, issue 9):
rendered once per set of criteria and choices, what Django writes, and never stale: a new or
renamed service, a new recipient, a membership ended show at once."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.filters import ChoicesFieldListFilter
from django.urls import reverse
from django.utils import translation

from invoices.admin import sidebar
from invoices.admin.invoice import InvoiceAdmin
from invoices.workflow import Status
from structures.models import MembershipStatus
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:invoices_invoice_changelist")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def ministry():
    return StructureFactory(public=True, name="Ministère de l'Alpha")


@pytest.fixture
def agent(ministry):
    user = UserFactory(staff=True)
    user.membership = MembershipFactory(user=user, structure=ministry)
    return user


@pytest.fixture
def agent_client(client, agent, ministry):
    ServiceFactory(structure=ministry, code="SE-A", name="Achats")
    for _ in range(3):
        InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION)
    client.force_login(agent)
    return client


@pytest.fixture
def renders(monkeypatch):
    """The filters rendered by their templates (``admin_list_filter``), one entry per filter."""
    calls = []
    render = sidebar.admin_list_filter
    monkeypatch.setattr(sidebar, "admin_list_filter", lambda cl, spec: calls.append(spec) or render(cl, spec))
    return calls


def page(client, params=None) -> str:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode())


def filters(content: str) -> str:
    return re.search(r'<nav id="changelist-filter".*?</nav>', content, re.DOTALL).group(0)


def djangos(client, monkeypatch, params=None) -> str:
    with monkeypatch.context() as m:
        m.setattr(InvoiceAdmin, "change_list_template", "admin/change_list.html")
        return page(client, params)


def test_the_filters_are_rendered_once_per_set_of_criteria(agent_client, renders):
    specs = len(page(agent_client) and renders)
    assert specs == 6  # status, recipient, code service, supplier, cadre, sending dates
    page(agent_client)
    page(agent_client, {"p": "1"})  # another page of the same list: the same filters
    assert len(renders) == specs
    page(agent_client, {"statut": Status.SUSPENDUE})
    page(agent_client, {"o": "2"})  # another order: other links
    assert len(renders) == 3 * specs
    page(agent_client, {"statut": Status.SUSPENDUE})
    assert len(renders) == 3 * specs


def test_a_new_or_renamed_service_and_a_new_recipient_show_at_once(agent_client, agent, ministry, renders, monkeypatch):
    before = filters(page(agent_client))
    assert "SE-A — Achats" in before
    service = ServiceFactory(structure=ministry, code="SE-B", name="Bâtiments")
    assert "SE-B — Bâtiments" in filters(page(agent_client))
    service.name = "Bâtiments & travaux"
    service.save()
    content = page(agent_client)
    assert "SE-B — Bâtiments &amp; travaux" in filters(content)
    other = StructureFactory(public=True, name="Ministère du Bêta")
    MembershipFactory(user=agent, structure=other)
    content = page(agent_client)
    assert "Ministère du Bêta" in filters(content)
    assert content == djangos(agent_client, monkeypatch)
    assert filters(page(agent_client)) != before


def test_an_ended_membership_leaves_the_filters_at_once(agent_client, agent, ministry):
    other = StructureFactory(public=True, name="Ministère du Bêta")
    membership = MembershipFactory(user=agent, structure=other)
    assert "Ministère du Bêta" in filters(page(agent_client))
    membership.status = MembershipStatus.REVOKED
    membership.save()
    assert "Ministère du Bêta" not in filters(page(agent_client))


def test_two_agents_with_the_same_choices_share_the_filters(agent_client, client, ministry, renders):
    page(agent_client)
    other = UserFactory(staff=True)
    MembershipFactory(user=other, structure=ministry)
    client.force_login(other)
    page(client)
    assert len(renders) == 6


def test_the_language_is_part_of_the_key(agent_client):
    cl = agent_client.get(URL).context["cl"]
    with translation.override("fr"):
        french = sidebar.cache_key(cl)
    with translation.override("en"):
        english = sidebar.cache_key(cl)
    assert french and english and french != english


class _CountedFilter(ChoicesFieldListFilter):
    """A filter whose ``choices()`` is its own: unknown to the cache."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": f"{choice['display']} !"}


@pytest.mark.parametrize(
    "change",
    [
        {"list_filter": [("cadre", _CountedFilter)]},  # a filter the module does not know
        {"show_facets": admin.ShowFacets.ALWAYS},  # counts read from the database
    ],
)
def test_what_the_key_cannot_hold_is_rendered_each_time(agent_client, renders, monkeypatch, change):
    for name, value in change.items():
        monkeypatch.setattr(InvoiceAdmin, name, value)
    first = page(agent_client)
    assert sidebar.cache_key(agent_client.get(URL).context["cl"]) is None
    count = len(renders)
    assert page(agent_client) == first
    assert len(renders) > count
    assert first == djangos(agent_client, monkeypatch)


def test_a_template_reading_the_filter_is_rendered_each_time(agent_client, monkeypatch):
    monkeypatch.setattr(sidebar, "_TEMPLATE_VERSIONS", {})
    monkeypatch.setattr(
        sidebar, "get_template", lambda name: type("T", (), {"template": type("S", (), {"source": "{{ spec.x }}"})})
    )
    assert sidebar.cache_key(agent_client.get(URL).context["cl"]) is None
