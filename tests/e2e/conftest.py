"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright cannot download its own browser here; CHROMIUM_PATH or `chromium` on the PATH is used.
Locally the tests skip when no Chromium is installed; in CI they fail instead.
"""

import os
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

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


# --- Accessibility and layout: axe-core in the page, and no horizontal overflow --------------------

SCREENSHOT_DIR = Path(os.environ.get("CHORUS_SCREENSHOT_DIR", Path(tempfile.gettempdir()) / "chorus-screenshots"))
WIDTHS = (1280, 390)
BLOCKING_IMPACTS = {"critical", "serious"}


def axe_violations(page) -> list[dict]:
    """The critical and serious axe-core violations of the page as it is now (axe-core ships in
    the axe-playwright-python wheel; it runs inside the page, nothing is fetched)."""
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])[:5]]
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) on {targets}")
    return "\n".join(lines)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing overflows)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def check_page():
    """``check_page(page, name)``: at 1280 and 390 px wide, no horizontal overflow, no critical or
    serious axe violation, and a full-page screenshot in CHORUS_SCREENSHOT_DIR (name-1280.png,
    name-390.png) to look at. The viewport is put back to 1280 px afterwards."""

    def check(page, name: str) -> None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        problems = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)
            overflow = horizontal_overflow(page)
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}-{width}.png"), full_page=True)
            if overflow > 0:
                problems.append(f"{name} at {width} px: {overflow} px of horizontal overflow")
            violations = axe_violations(page)
            if violations:
                problems.append(f"{name} at {width} px, axe:\n{describe_violations(violations)}")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert not problems, "\n".join(problems)

    return check
