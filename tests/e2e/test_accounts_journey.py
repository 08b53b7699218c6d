"""A newcomer signs up, activates the account from the e-mail, logs in and edits "Mon compte"."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signup_activate_login_and_edit_profile(page):
    page.goto("/")
    expect(page).to_have_title("Accueil — Chorus Pro")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("Courriel").fill("jeanne.durand@entreprise.example")
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.locator("#id_password1").fill("court")
    page.locator("#id_password2").fill("court")
    page.get_by_role("checkbox", name="J'accepte les conditions générales").check(force=True)
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_text("Ce mot de passe est trop court")).to_be_visible()

    page.locator("#id_password1").fill("Un-mot-de-passe-solide-42")
    page.locator("#id_password2").fill("Un-mot-de-passe-solide-42")
    page.get_by_role("checkbox", name="J'accepte les conditions générales").check(force=True)
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", name="Activez votre compte")).to_be_visible()

    message = wait_for(lambda: mail.outbox and mail.outbox[-1])
    link = re.search(r"https?://\S+/compte/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Activer mon compte").click()

    page.goto("/compte/login/")
    page.get_by_label("Courriel").fill("jeanne.durand@entreprise.example")
    page.locator("#id_password").fill("Un-mot-de-passe-solide-42")
    page.locator("form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Bonjour Jeanne")).to_be_visible()

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mon compte").click()
    page.get_by_label("Téléphone").fill("01 23 45 67 89")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_text("Vos informations ont été enregistrées.")).to_be_visible()
    expect(page.get_by_label("Téléphone")).to_have_value("01 23 45 67 89")
