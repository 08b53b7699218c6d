"""Content-Security-Policy: on every page, portal and admin, with nothing inline that it would block.

The browser half (DSFR and admin scripts run, no violation reported) is tests/e2e/test_csp.py.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(BASE_DIR, "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(policy):
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in sum(policy.values(), []) and "'unsafe-eval'" not in sum(policy.values(), [])


@pytest.mark.parametrize("name", ["home", "account_login", "account_signup", "health"])
def test_portal_pages_carry_the_policy_and_nothing_inline(client, name):
    response = client.get(reverse(name))
    assert_strict(directives(response))
    content = response.content.decode()
    assert INLINE_SCRIPT.findall(content) == [] and EVENT_HANDLER.findall(content) == []


def test_logged_in_pages_and_the_admin_carry_the_policy(client):
    client.force_login(UserFactory(superuser=True))
    for url in (
        reverse("accounts:profile"),
        reverse("mfa_index"),
        "/admin/",
        reverse("admin:accounts_user_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(directives(response))


def test_the_totp_qr_code_image_is_allowed(client):
    assert "data:" in directives(client.get(reverse("home")))["img-src"]


def test_report_only_mode(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    response = client.get(reverse("home"))
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_templates_have_no_inline_script_handler_or_style():
    assert TEMPLATES
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, INLINE_STYLE):
            found += [f"{path.relative_to(BASE_DIR)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
        if "javascript:" in text.lower():
            found.append(f"{path.relative_to(BASE_DIR)}: javascript: URL")
    assert found == []
