"""One limited, audited login for portal and admin, and the second factor (allauth.mfa TOTP).

/admin/login/ checks no password: it leads to the portal's login, keeping ``next``. A superuser
without an authenticator app is sent to its activation page first when MFA_REQUIRED_FOR_SUPERUSERS.
"""

from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory, activate_totp, totp_code, totp_counter
from tests.conftest import html

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


def portal_login(client, user, password=PASSWORD, next_url=None):
    url = reverse("account_login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    return client.post(url, {"login": user.email, "password": password})


def test_the_admin_login_page_leads_to_the_portal_login_keeping_next(client):
    response = client.get(ADMIN_LOGIN, {"next": "/admin/invoices/invoice/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Finvoices%2Finvoice%2F"
    # An admin page reached anonymously ends on the portal login too, with its address kept.
    response = client.get("/admin/invoices/invoice/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=%2Fadmin%2Finvoices%2Finvoice%2F"
    assert "Connexion" in html(response)
    # Staff log in there and land where they were going.
    agent = UserFactory(staff=True)
    response = portal_login(client, agent, next_url="/admin/?o=1")
    assert response["Location"] == "/admin/?o=1"
    assert client.get("/admin/").status_code == 200
    # Once logged in, the admin login page sends straight on; a foreign next is not followed.
    assert client.get(ADMIN_LOGIN, {"next": "/admin/accounts/"})["Location"] == "/admin/accounts/"
    assert client.get(ADMIN_LOGIN, {"next": "https://ailleurs.example/"})["Location"] == reverse("admin:index")


def test_the_admin_login_page_checks_no_password(client):
    agent = UserFactory(staff=True)
    for _ in range(15):
        client.post(ADMIN_LOGIN, {"username": agent.email, "password": "mauvais-mot-de-passe"})
    response = client.post(ADMIN_LOGIN, {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_a_logged_in_supplier_is_refused_the_admin_in_french(client):
    client.force_login(UserFactory())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "Votre compte n'a pas accès à l'administration." in html(response)


def test_the_admin_password_change_is_the_portals(client):
    client.force_login(UserFactory(staff=True))
    response = client.get(reverse("admin:password_change"))
    assert response["Location"] == reverse("account_change_password")


def test_a_superuser_without_totp_is_sent_to_its_activation_first(client, settings):
    settings.MFA_REQUIRED_FOR_SUPERUSERS = True
    admin = UserFactory(superuser=True)
    client.force_login(admin)
    for url in ("/admin/", "/admin/invoices/invoice/", reverse("admin:accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), url
    followed = client.get("/admin/", follow=True)
    assert "Les super-administrateurs doivent activer la double authentification" in html(followed)
    # Staff who are not superusers, and superusers with an authenticator app, get in.
    client.force_login(UserFactory(staff=True))
    assert client.get("/admin/").status_code == 200
    activate_totp(admin)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_the_requirement_is_a_setting(client, settings):
    settings.MFA_REQUIRED_FOR_SUPERUSERS = False
    client.force_login(UserFactory(superuser=True))
    assert client.get("/admin/").status_code == 200
    settings.MFA_REQUIRED_FOR_SUPERUSERS = True
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")


def test_a_login_with_totp_asks_for_the_code_then_reaches_the_admin(client):
    agent = UserFactory(staff=True)
    secret = activate_totp(agent)
    response = portal_login(client, agent, next_url="/admin/")
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("mfa_authenticate"))
    assert "Double authentification" in html(page) and 'class="fr-header"' in html(page)
    valid = valid_codes(secret)  # the previous, current and next periods' (MFA_TOTP_TOLERANCE)
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert "Code incorrect" in html(response)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert int(client.session["_auth_user_id"]) == agent.pk


def test_mon_compte_links_to_the_second_factor_and_its_activation_works(client):
    user = UserFactory(staff=True)
    portal_login(client, user)
    profile = html(client.get(reverse("accounts:profile")))
    assert reverse("mfa_index") in profile and "Double authentification non activée" in profile
    index = html(client.get(reverse("mfa_index")))
    assert "Non activée" in index and reverse("mfa_activate_totp") in index
    # allauth asks for the password again before any change of the second factor.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    content = html(page)
    assert "Activer la double authentification" in content and 'src="data:image/svg+xml;base64,' in content
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    codes = html(client.get(reverse("mfa_view_recovery_codes")))
    assert "Codes de secours" in codes and "10 codes inutilisés sur 10" in codes
    assert "Double authentification activée" in html(client.get(reverse("accounts:profile")))


def valid_codes(secret: str) -> set[str]:
    from allauth.mfa.totp.internal import auth as totp_auth

    return {totp_auth.format_hotp_value(totp_auth.hotp_value(secret, totp_counter(i))) for i in (-1, 0, 1)}


def test_a_code_of_the_previous_period_is_accepted(client):
    """A code typed as its 30-second period ends still opens the session (MFA_TOTP_TOLERANCE)."""
    from allauth.mfa.totp.internal import auth as totp_auth

    agent = UserFactory(staff=True)
    secret = activate_totp(agent)
    previous = totp_auth.format_hotp_value(totp_auth.hotp_value(secret, totp_counter(-1)))
    assert portal_login(client, agent, next_url="/admin/")["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": previous})
    assert response["Location"] == "/admin/"
