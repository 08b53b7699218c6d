"""Sign-up and activation, with each bad input of the issue."""

import re
import time
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "nouvelle@entreprise.example",
    "first_name": "Jeanne",
    "last_name": "Durand",
    "phone": "01 23 45 67 89",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "accept_cgu": "on",
}


def signup(client, django_capture_on_commit_callbacks, **overrides):
    data = {**SIGNUP, **overrides}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("account_signup"), data)


def activation_link(message) -> str:
    match = re.search(r"https?://\S+/compte/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_signup_page_is_dsfr_and_french(client):
    response = client.get(reverse("account_signup"))
    content = html(response)
    assert response.status_code == 200
    assert 'class="fr-header"' in content
    assert 'fr-input"' in content
    assert "Prénom" in content and "conditions générales" in content


def test_signup_creates_inactive_account_and_sends_activation_email(client, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="nouvelle@entreprise.example")
    assert (user.first_name, user.last_name, user.phone) == ("Jeanne", "Durand", "01 23 45 67 89")
    assert user.cgu_accepted_at is not None
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@entreprise.example"]
    assert message.subject == "[Chorus Pro] Activez votre compte"
    assert "valable 60 minutes" in message.body
    assert activation_link(message)


def test_activation_link_activates_then_login_works(client, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    link = activation_link(mail.outbox[0])
    page = client.get(link)
    assert "Activer mon compte" in html(page)
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nouvelle@entreprise.example").verified
    response = client.post(reverse("account_login"), {"login": "nouvelle@entreprise.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")


def test_login_before_activation_is_refused_with_clear_message(client, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "nouvelle@entreprise.example", "password": PASSWORD}, follow=True
    )
    content = html(response)
    assert "Votre compte n'est pas encore activé" in content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("minutes, valid", [(59, True), (61, False)])
def test_activation_link_expires_after_60_minutes(client, django_capture_on_commit_callbacks, minutes, valid):
    signup(client, django_capture_on_commit_callbacks)
    link = activation_link(mail.outbox[0])
    later = time.time() + minutes * 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        page = client.get(link)
        client.post(link)
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified is valid
    assert ("Ce lien d'activation n'est plus valable" in html(page)) is not valid


def test_activation_expiry_is_configurable(client, django_capture_on_commit_callbacks, settings):
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 10 / (24 * 60)
    signup(client, django_capture_on_commit_callbacks)
    link = activation_link(mail.outbox[0])
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 11 * 60):
        client.post(link)
    assert not EmailAddress.objects.get(email=SIGNUP["email"]).verified


def test_reused_activation_link_is_refused(client, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    link = activation_link(mail.outbox[0])
    client.post(link)
    response = client.get(link)
    content = html(response)
    assert "Ce lien d'activation n'est plus valable" in content
    assert "déjà été utilisé" in content


def test_activation_link_can_be_resent(client, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    cache.clear()  # the first send counts against the 1-per-3-minutes limit
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_activation"), {"email": SIGNUP["email"]}, follow=True)
    assert "un nouveau lien d'activation" in html(response)
    assert len(mail.outbox) == 1
    client.post(activation_link(mail.outbox[0]))
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified


def test_resend_is_rate_limited_and_silent_for_unknown_addresses(client, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:resend_activation"), {"email": SIGNUP["email"]})
        client.post(reverse("accounts:resend_activation"), {"email": "inconnu@entreprise.example"})
    assert len(mail.outbox) == 1  # only the sign-up e-mail: the resend came within 3 minutes


def test_signup_with_existing_email_is_refused(client, django_capture_on_commit_callbacks):
    UserFactory(email="deja@entreprise.example")
    response = signup(client, django_capture_on_commit_callbacks, email="DEJA@entreprise.example")
    assert response.status_code == 200
    assert "Un autre utilisateur utilise déjà cette adresse e-mail" in html(response)
    assert User.objects.filter(email__iexact="deja@entreprise.example").count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    "password, message",
    [
        ("court", "Ce mot de passe est trop court"),
        ("Q1w2e3r4t5y6", "Ce mot de passe est trop courant"),
        ("12345678901234", "Ce mot de passe est entièrement numérique"),
    ],
)
def test_signup_with_weak_password_is_refused(client, django_capture_on_commit_callbacks, password, message):
    response = signup(client, django_capture_on_commit_callbacks, password1=password, password2=password)
    assert response.status_code == 200
    assert message in html(response)
    assert not User.objects.filter(email=SIGNUP["email"]).exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_signup_without_cgu_is_refused(client, django_capture_on_commit_callbacks):
    data = {**SIGNUP}
    data.pop("accept_cgu")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), data)
    assert "Vous devez accepter les conditions générales" in html(response)
    assert not User.objects.exists()


def test_signup_with_invalid_phone_is_refused(client, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks, phone="abc")
    assert "numéro de téléphone valide" in html(response)
    assert not User.objects.exists()


def test_signup_missing_names_is_refused(client, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks, first_name="", last_name="")
    assert html(response).count("Ce champ est obligatoire") == 2
    assert not User.objects.exists()
