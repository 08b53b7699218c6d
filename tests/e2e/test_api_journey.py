"""The gestionnaire opens « Accès API », creates an application and a technical user (their
secrets shown once), and a software using them appears in the journal; the page passes
check_page (axe, no overflow at 1280 and 390 px)."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_creates_api_accounts(page, check_page):
    manager = MembershipFactory(manager=True, structure=StructureFactory(name="Logiciels Durand SAS")).user
    page.goto("/compte/login/")
    page.locator("#id_login").fill(manager.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()

    page.goto("/structures/activites/")
    page.get_by_role("link", name="Accès API").click()
    expect(page.get_by_role("heading", level=1, name="Accès API")).to_be_visible()
    check_page(page, "api-access-empty")

    page.get_by_label("Nom de l'application").fill("Facturation Durand")
    page.get_by_role("button", name="Créer l'application").click()
    expect(page.get_by_text("Application « Facturation Durand » créée")).to_be_visible()
    check_page(page, "api-access-secret")

    page.get_by_role("button", name="Créer un utilisateur technique").click()
    expect(page.get_by_text("Utilisateur technique créé")).to_be_visible()
    expect(page.locator("table", has_text="tech_")).to_be_visible()
    check_page(page, "api-access-technical-user")

    password = page.locator("dl.chorus-secret dd code").nth(1).inner_text()
    page.goto("/structures/activites/api/")
    expect(page.get_by_text("Utilisateur technique créé")).to_have_count(0)
    assert password not in page.content()
