"""The Content-Security-Policy breaks nothing: the DSFR's and the admin's scripts run, no violation.

Chromium reports every resource or inline code the policy blocks on the console; each page of the
portal and of the admin is loaded and its console read.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATION = re.compile(r"Content Security Policy|Refused to (load|execute|apply|frame)", re.IGNORECASE)


@pytest.fixture
def watched(page):
    """The page, with the list of CSP violations and script errors it reports."""
    problems = []
    page.on("console", lambda message: VIOLATION.search(message.text) and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return page, problems


def login(page, user, next_url="/accueil/"):
    page.goto(f"/compte/login/?next={next_url}")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert response.headers["content-security-policy"].startswith("default-src 'self'"), url
    page.wait_for_load_state("load")


def test_portal_pages_work_under_the_policy(watched):
    page, problems = watched
    membership = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    invoice = InvoiceFactory(supplier=membership.structure, number="MM-1")
    for url in ("/", "/compte/login/", "/compte/signup/", "/compte/password/reset/", "/pages/cgu/"):
        visit(page, url)
        # The DSFR's script ran (it marks the page once started).
        expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    login(page, membership.user)
    for url in (
        "/accueil/",
        "/mon-compte/",
        "/compte/2fa/",
        "/factures/",
        f"/factures/{invoice.pk}/",
        "/factures/deposer/",
        "/structures/activites/",
    ):
        visit(page, url)
        expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    # The DSFR's JavaScript widgets work: the mobile menu opens.
    page.set_viewport_size({"width": 400, "height": 800})
    page.locator("#bouton-menu-mobile").click()
    expect(page.locator("#menu-mobile")).to_have_class(re.compile("fr-modal--opened"))
    # The TOTP activation page, its QR code a data: image.
    page.goto("/compte/2fa/totp/activate/")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    qr = page.locator("img.chorus-totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert problems == []


def test_admin_pages_work_under_the_policy(watched):
    page, problems = watched
    admin = UserFactory(superuser=True)
    invoice = InvoiceFactory(sent=True, number="MM-2")
    login(page, admin, next_url="/admin/")
    for url in (
        "/admin/",
        "/admin/invoices/invoice/",
        f"/admin/invoices/invoice/{invoice.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/structures/structure/",
        "/admin/accounts/news/add/",
    ):
        visit(page, url)
    # The admin's scripts run: the calendar of a date field opens, "select all" ticks the rows.
    page.goto("/admin/accounts/news/add/")
    page.locator("a[id^=calendarlink]").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.goto("/admin/accounts/user/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
    expect(page.locator(".action-counter")).to_contain_text("1")
    assert problems == []
