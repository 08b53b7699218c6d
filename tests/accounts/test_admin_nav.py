"""The admin's navigation sidebar kept in the cache (accounts/admin_nav.py, issue 9): byte for byte
what Django's ``{% include "admin/nav_sidebar.html" %}`` writes, rendered once per menu and page,
another menu as soon as the permissions change."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts import admin_nav
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
BASE_SITE = Path(django_settings.BASE_DIR) / "templates" / "admin" / "base_site.html"
NAV_BLOCK = re.compile(r"\n\{% block nav-sidebar %\}.*?\{% endblock %\}\n", re.DOTALL)


@pytest.fixture
def agent():
    agent = UserFactory(staff=True)
    ministry = StructureFactory(public=True)
    MembershipFactory(user=agent, structure=ministry)
    invoice = InvoiceFactory(sent=True, recipient=ministry, status="MISE_A_DISPOSITION")
    agent.invoice = invoice
    return agent


@pytest.fixture
def renders(monkeypatch):
    calls = []
    render = admin_nav._render
    monkeypatch.setattr(admin_nav, "_render", lambda context: calls.append(1) or render(context))
    return calls


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return CSRF.sub("", response.content.decode())


def djangos_page(client, url, settings, tmp_path) -> str:
    """The page with the project's ``admin/base_site.html`` minus its nav-sidebar block: Django's
    own ``{% include "admin/nav_sidebar.html" %}``."""
    source = BASE_SITE.read_text()
    assert NAV_BLOCK.search(source)
    (tmp_path / "admin").mkdir(exist_ok=True)
    (tmp_path / "admin" / "base_site.html").write_text(NAV_BLOCK.sub("\n", source))
    original = settings.TEMPLATES
    settings.TEMPLATES = [{**original[0], "DIRS": [tmp_path, *original[0]["DIRS"]]}]
    try:
        return page(client, url)
    finally:
        settings.TEMPLATES = original


def urls(agent) -> list[str]:
    return [
        reverse("admin:invoices_invoice_changelist"),
        reverse("admin:invoices_invoice_changelist") + "?statut=MISE_A_DISPOSITION",
        reverse("admin:invoices_invoice_change", args=[agent.invoice.pk]),
        reverse("admin:invoices_transitionrequest_changelist"),
    ]


@pytest.mark.parametrize("who", ["agent", "agent with permissions", "superuser"])
def test_the_menu_is_djangos_byte_for_byte(client, agent, who, settings, tmp_path):
    user = agent
    pages = urls(agent)
    if who == "superuser":
        user = UserFactory(superuser=True)
        pages += [reverse("admin:accounts_user_changelist"), reverse("admin:structures_structure_changelist")]
    elif who == "agent with permissions":
        agent.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "add_structure"]))
        pages += [reverse("admin:accounts_user_changelist")]
    client.force_login(user)
    for url in pages:
        djangos = djangos_page(client, url, settings, tmp_path)
        assert page(client, url) == djangos, url
        assert page(client, url) == djangos, url  # from the cache
        assert 'id="nav-sidebar"' in djangos


def test_the_menu_is_rendered_once_per_menu_and_page(client, agent, renders):
    client.force_login(agent)
    changelist = reverse("admin:invoices_invoice_changelist")
    page(client, changelist)
    page(client, changelist + "?statut=SUSPENDUE")  # the same page for the menu
    assert len(renders) == 1
    page(client, reverse("admin:invoices_transitionrequest_changelist"))  # another current model
    page(client, reverse("admin:invoices_invoice_change", args=[agent.invoice.pk]))  # the model's, as the list
    assert len(renders) == 2
    colleague = UserFactory(staff=True)
    MembershipFactory(user=colleague, structure=agent.invoice.recipient)
    client.force_login(colleague)
    page(client, changelist)  # the same menu
    assert len(renders) == 2
    colleague.user_permissions.add(Permission.objects.get(codename="view_user"))
    assert reverse("admin:accounts_user_changelist") in page(client, changelist)  # another menu at once
    assert len(renders) == 3


def test_a_projects_own_menu_template_is_rendered_each_time(client, agent, renders, settings, tmp_path):
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "app_list.html").write_text("<p>{{ user.email }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    client.force_login(agent)
    url = reverse("admin:invoices_invoice_changelist")
    assert f"<p>{agent.email}</p>" in page(client, url)
    page(client, url)
    assert len(renders) == 2
