"""The contact e-mail of "Mon compte" is used for notifications only once confirmed by a link."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+(/mon-compte/adresse-de-contact/confirmer/\S+/)")


def set_contact(client, user, email, django_capture_on_commit_callbacks):
    data = {"first_name": user.first_name, "last_name": user.last_name, "phone": "", "contact_email": email}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:profile"), data, follow=True)


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_a_new_contact_address_waits_for_its_confirmation(client, user, django_capture_on_commit_callbacks):
    response = set_contact(client, user, "Compta@Entreprise.example", django_capture_on_commit_callbacks)
    content = re.sub(r"<[^>]+>", "", html(response))
    assert "Un lien de confirmation a été envoyé à compta@entreprise.example" in content
    assert "compta@entreprise.example en attente de confirmation" in content
    assert "Renvoyer le lien de confirmation" in content
    user.refresh_from_db()
    assert (user.contact_email, user.contact_email_pending) == ("", "compta@entreprise.example")
    assert user.notification_email == user.email  # not used before its confirmation
    [message] = mail.outbox
    assert message.to == ["compta@entreprise.example"]
    assert message.subject == "[Chorus Pro] Confirmez votre adresse e-mail de contact"
    assert "valable 24 heures" in message.body


def test_the_link_confirms_the_address_once(client, user, django_capture_on_commit_callbacks):
    set_contact(client, user, "compta@entreprise.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    page = client.get(link)  # a GET (a mail scanner) confirms nothing
    assert "Confirmer cette adresse" in html(page)
    user.refresh_from_db()
    assert user.contact_email == ""
    response = client.post(link, follow=True)
    assert "L'adresse compta@entreprise.example est confirmée" in html(response)
    user.refresh_from_db()
    assert (user.contact_email, user.contact_email_pending) == ("compta@entreprise.example", "")
    assert user.notification_email == "compta@entreprise.example"
    assert "n'est plus valable" in html(client.post(link))


def test_the_link_expires(client, user, django_capture_on_commit_callbacks, settings):
    settings.CONTACT_EMAIL_CONFIRMATION_HOURS = 24
    set_contact(client, user, "compta@entreprise.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 25 * 3600):
        response = client.post(link)
    assert "Ce lien de confirmation a expiré" in html(response)
    user.refresh_from_db()
    assert user.notification_email == user.email


def test_a_replaced_address_makes_the_old_link_invalid(client, user, django_capture_on_commit_callbacks):
    set_contact(client, user, "ancienne@entreprise.example", django_capture_on_commit_callbacks)
    old_link = link_in(mail.outbox[0])
    set_contact(client, user, "nouvelle@entreprise.example", django_capture_on_commit_callbacks)
    assert "n'est plus valable" in html(client.post(old_link))
    client.post(link_in(mail.outbox[1]))
    user.refresh_from_db()
    assert user.notification_email == "nouvelle@entreprise.example"


def test_a_confirmed_address_stays_in_use_while_a_new_one_waits(client, user, django_capture_on_commit_callbacks):
    set_contact(client, user, "compta@entreprise.example", django_capture_on_commit_callbacks)
    client.post(link_in(mail.outbox[0]))
    set_contact(client, user, "autre@entreprise.example", django_capture_on_commit_callbacks)
    user.refresh_from_db()
    assert user.notification_email == "compta@entreprise.example"
    assert user.contact_email_pending == "autre@entreprise.example"
    # Clearing the field goes back to the login address at once, nothing to confirm.
    set_contact(client, user, "", django_capture_on_commit_callbacks)
    user.refresh_from_db()
    assert (user.contact_email, user.contact_email_pending, user.notification_email) == ("", "", user.email)


def test_the_link_is_for_its_account_only(client, user, django_capture_on_commit_callbacks):
    set_contact(client, user, "compta@entreprise.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    other = UserFactory(contact_email_pending="compta@entreprise.example")
    client.force_login(other)
    assert "concerne un autre compte" in html(client.post(link))
    other.refresh_from_db()
    assert other.contact_email == ""
    client.logout()
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_link_can_be_sent_again_at_most_every_three_minutes(client, user, django_capture_on_commit_callbacks):
    set_contact(client, user, "compta@entreprise.example", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:contact_email_resend"), follow=True)
        assert "Un nouveau lien de confirmation a été envoyé" in html(response)
        response = client.post(reverse("accounts:contact_email_resend"), follow=True)
        assert "réessayez dans quelques minutes" in html(response)
    assert len(mail.outbox) == 2
    cache.clear()
    client.post(link_in(mail.outbox[1]))
    user.refresh_from_db()
    assert user.notification_email == "compta@entreprise.example"
