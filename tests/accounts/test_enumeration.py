"""Account enumeration: the password reset and the activation resend answer the same in every case."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def page_text(response) -> str:
    """The page as a user reads it, without the per-request CSRF token."""
    return CSRF.sub("", html(response))


def reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("account_reset_password"), {"email": email}, follow=True)


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    known = reset(client, user.email, django_capture_on_commit_callbacks)
    unknown = reset(client, "inconnu@entreprise.example", django_capture_on_commit_callbacks)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    assert page_text(known) == page_text(unknown)
    assert "n'est pas associée à un compte" not in page_text(unknown)
    # The owner gets the link; the unknown address is told no account uses it (in French).
    assert [m.to for m in mail.outbox] == [[user.email], ["inconnu@entreprise.example"]]
    assert "/compte/password/reset/key/" in mail.outbox[0].body
    assert "/compte/password/reset/key/" not in mail.outbox[1].body
    assert "aucun compte n'utilise cette adresse" in mail.outbox[1].body


def test_password_reset_of_an_inactive_account_answers_the_same(client, django_capture_on_commit_callbacks):
    inactive = UserFactory(is_active=False)
    blocked = reset(client, inactive.email, django_capture_on_commit_callbacks)
    unknown = reset(client, "inconnu@entreprise.example", django_capture_on_commit_callbacks)
    assert page_text(blocked) == page_text(unknown)


def resend(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:resend_activation"), {"email": email}, follow=True)


def test_resend_activation_answers_the_same_in_every_case(client, django_capture_on_commit_callbacks):
    pending = UserFactory(unverified=True)
    active = UserFactory()
    answers = {
        "pending": resend(client, pending.email, django_capture_on_commit_callbacks),
        "active": resend(client, active.email, django_capture_on_commit_callbacks),
        "unknown": resend(client, "inconnu@entreprise.example", django_capture_on_commit_callbacks),
    }
    texts = {name: page_text(response) for name, response in answers.items()}
    assert texts["pending"] == texts["active"] == texts["unknown"]
    messages = [str(m) for m in answers["pending"].context["messages"]]
    assert len(messages) == 1 and "Si un compte non encore activé utilise cette adresse" in messages[0]
    assert pending.email not in texts["pending"]
    # Only the account waiting for its activation gets a link.
    assert [m.to for m in mail.outbox] == [[pending.email]]
