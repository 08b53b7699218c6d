"""Login, logout, rate limits, password reset and change, "Mon compte"."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_and_logout(client):
    user = UserFactory()
    response = login(client, user.email.upper())  # the login is case-insensitive
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get(reverse("accounts:dashboard"))
    assert f"Bonjour {user.first_name}" in html(page)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_gives_french_message(client):
    user = UserFactory()
    response = login(client, user.email, "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in html(response)


def test_login_attempts_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        login(client, user.email, "mauvais-mot-de-passe")
    response = login(client, user.email)  # even the right password is refused now
    assert "_auth_user_id" not in client.session
    assert "Trop de tentatives de connexion échouées" in html(response)


def test_inactive_account_cannot_log_in(client):
    user = UserFactory(is_active=False)
    response = login(client, user.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")


def test_pages_that_need_login_redirect_to_login(client):
    for name in ("accounts:dashboard", "accounts:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_password_reset_flow(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Chorus Pro] Réinitialisation de votre mot de passe"
    link = re.search(r"https?://\S+/compte/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new_password = "Nouveau-mot-de-passe-2026"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    # The link cannot be used twice.
    response = client.get(link, follow=True)
    assert "Le lien de réinitialisation du mot de passe est invalide" in html(response)


def test_password_change(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    new_password = "Encore-un-mot-de-passe-42"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert mail.outbox[-1].subject == "[Chorus Pro] Votre mot de passe a été modifié"


def test_password_change_with_wrong_current_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "faux", "password1": "Encore-un-mot-de-passe-42", "password2": "Encore-un-mot-de-passe-42"},
    )
    assert "Merci d'indiquer votre mot de passe actuel." in html(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_profile_edit(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert "Mon compte" in html(response) and user.email in html(response)
    data = {
        "first_name": "Anne",
        "last_name": "Lemaire",
        "phone": "+33 6 12 34 56 78",
        "contact_email": "compta@entreprise.example",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:profile"), data, follow=True)
    assert "Vos informations ont été enregistrées." in html(response)
    # The contact address is used once confirmed by the link sent to it (test_contact_email.py).
    link = re.search(r"https?://\S+(/mon-compte/adresse-de-contact/confirmer/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.phone, user.contact_email) == (
        "Anne",
        "Lemaire",
        "+33 6 12 34 56 78",
        "compta@entreprise.example",
    )
    assert user.notification_email == "compta@entreprise.example"


def test_profile_bad_input_keeps_data(client):
    user = UserFactory(first_name="Paul")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "", "last_name": "X", "phone": "12", "contact_email": "pas-un-email"},
    )
    content = html(response)
    assert "Ce champ est obligatoire" in content
    assert "numéro de téléphone valide" in content
    assert "Saisissez une adresse de courriel valide" in content
    user.refresh_from_db()
    assert user.first_name == "Paul"
