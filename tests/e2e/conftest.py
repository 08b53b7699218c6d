"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright cannot download its own browser here; CHROMIUM_PATH or `chromium` on the PATH is used.
Locally the tests skip when no Chromium is installed; in CI they fail instead.
"""

import os

import pytest

from tests.conftest import chromium_path, require

# Playwright's sync API keeps an event loop running in the main thread for the whole session; the
# ORM calls made by this and later tests are synchronous and safe. (The check --deploy test removes
# this variable from the environment of its subprocess.)
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    require(bool(path), "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    # E-mail links point at the portal's address: here, the live server's.
    settings.PORTAL_BASE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def second_page(browser, live_server):
    """A page in a second browser context (another user), closed with the test.

    Closing it before the session ends also ends the live server's keep-alive threads while the
    server still shares its database connection with them.
    """
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    yield context.new_page()
    context.close()
