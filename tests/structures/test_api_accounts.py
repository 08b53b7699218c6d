"""« Accès API »: the gestionnaire creates applications and technical users (secrets shown once,
kept hashed), revokes them, reads the journal; the expiry reminder goes through the outbox."""

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from structures.models import ApiApplication, ApiCall, MembershipStatus, TechnicalUser
from structures.services import api_accounts
from tests.conftest import html
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    membership = MembershipFactory(manager=True)
    client.force_login(membership.user)
    return membership


def test_page_lists_nothing_at_first(client, manager):
    response = client.get(reverse("structures:api_access"))
    assert response.status_code == 200
    content = html(response)
    assert "Aucune application pour le moment." in content
    assert "Aucun utilisateur technique pour le moment." in content
    assert "/api/oauth/token" in content


def test_activities_link_to_the_page(client, manager):
    assert reverse("structures:api_access") in html(client.get(reverse("structures:activities")))


def test_create_application_shows_the_secret_once_and_keeps_its_hash(client, manager):
    response = client.post(reverse("structures:api_application_create"), {"name": "  Mon   logiciel "})
    assert response.status_code == 200
    application = ApiApplication.objects.get()
    assert application.name == "Mon logiciel" and application.structure == manager.structure
    secret = re.search(r"Secret \(client_secret\)</dt><dd><code>([^<]+)</code>", html(response)).group(1)
    assert application.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in html(client.get(reverse("structures:api_access")))
    assert application.client_id in html(client.get(reverse("structures:api_access")))
    assert api_accounts.application_authenticate(client_id=application.client_id, client_secret=secret) == application


def test_create_application_needs_a_name(client, manager):
    response = client.post(reverse("structures:api_application_create"), {"name": ""})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in html(response)
    assert not ApiApplication.objects.exists()


def test_create_technical_user_shows_the_password_once(client, manager):
    response = client.post(reverse("structures:technical_user_create"))
    assert response.status_code == 200
    technical = TechnicalUser.objects.get()
    content = html(response)
    password = re.search(r"Mot de passe</dt><dd><code>([^<]+)</code>", content).group(1)
    header = re.search(r"cpro-account</dt><dd><code>([^<]+)</code>", content).group(1)
    assert base64.b64decode(header).decode() == f"{technical.login}:{password}"
    assert technical.password_hash == hashlib.sha256(password.encode()).hexdigest()
    # Its account is a member of the structure that cannot log in to the portal.
    assert not technical.user.has_usable_password()
    membership = technical.user.memberships.get()
    assert membership.structure == manager.structure and membership.status == MembershipStatus.ACTIVE
    assert not membership.notify_invoice_events
    assert password not in html(client.get(reverse("structures:api_access")))
    client.logout()
    response = client.post(reverse("account_login"), {"login": technical.login, "password": password})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_revoke_application_and_technical_user(client, manager):
    application, _secret = api_accounts.api_application_create(
        structure=manager.structure, actor=manager.user, name="Logiciel"
    )
    technical, password = api_accounts.technical_user_create(structure=manager.structure, actor=manager.user)
    token, _ = api_accounts.token_issue(application=application)
    response = client.post(reverse("structures:api_application_revoke", args=[application.pk]), follow=True)
    assert "L&#x27;application « Logiciel » est révoquée." in html(response) or "est révoquée" in html(response)
    assert api_accounts.token_application(token) is None
    client.post(reverse("structures:technical_user_revoke", args=[technical.pk]))
    technical.refresh_from_db()
    assert technical.revoked_at is not None and not technical.user.is_active
    assert (
        api_accounts.technical_user_authenticate(
            structure_id=manager.structure_id, login=technical.login, password=password
        )
        is None
    )
    # Twice: a French message, nothing changes.
    response = client.post(reverse("structures:api_application_revoke", args=[application.pk]), follow=True)
    assert "Cette application est déjà révoquée." in html(response)


def test_another_structures_accounts_are_404(client, manager):
    other = MembershipFactory(manager=True)
    application, _ = api_accounts.api_application_create(structure=other.structure, actor=other.user, name="Autre")
    technical, _ = api_accounts.technical_user_create(structure=other.structure, actor=other.user)
    assert client.post(reverse("structures:api_application_revoke", args=[application.pk])).status_code == 404
    assert client.post(reverse("structures:technical_user_revoke", args=[technical.pk])).status_code == 404
    application.refresh_from_db()
    assert application.revoked_at is None
    content = html(client.get(reverse("structures:api_access")))
    assert application.client_id not in content and technical.login not in content


def test_a_member_who_is_not_the_manager_is_refused(client):
    member = MembershipFactory()
    client.force_login(member.user)
    assert client.get(reverse("structures:api_access")).status_code == 403
    assert client.post(reverse("structures:api_application_create"), {"name": "x"}).status_code == 403
    assert client.post(reverse("structures:technical_user_create")).status_code == 403
    assert not ApiApplication.objects.exists() and not TechnicalUser.objects.exists()


def test_a_public_structure_cannot_have_api_accounts(client):
    membership = MembershipFactory(manager=True, structure=StructureFactory(public=True))
    client.force_login(membership.user)
    response = client.post(reverse("structures:api_application_create"), {"name": "x"})
    assert "Seule une structure fournisseur active peut utiliser l&#x27;API." in html(response) or (
        "Seule une structure fournisseur active" in html(response)
    )
    assert not ApiApplication.objects.exists()


def test_journal_shows_the_last_calls(client, manager):
    application, _ = api_accounts.api_application_create(structure=manager.structure, actor=manager.user, name="Log")
    technical, _ = api_accounts.technical_user_create(structure=manager.structure, actor=manager.user)
    api_accounts.api_call_record(
        application=application, technical_user=technical, endpoint="factures/v1/deposer/flux", code=0, reference="CPP1"
    )
    content = html(client.get(reverse("structures:api_access")))
    assert "factures/v1/deposer/flux" in content and "CPP1" in content and technical.login in content


def test_journal_page_queries_do_not_grow_with_rows(client, manager, django_assert_max_num_queries):
    application, _ = api_accounts.api_application_create(structure=manager.structure, actor=manager.user, name="Log")
    technical, _ = api_accounts.technical_user_create(structure=manager.structure, actor=manager.user)
    for n in range(30):
        api_accounts.api_call_record(application=application, technical_user=technical, endpoint="x", code=0)
    with django_assert_max_num_queries(12):
        client.get(reverse("structures:api_access"))
    assert ApiCall.objects.count() == 30


def test_expiry_reminder_goes_once_to_the_managers(manager, django_capture_on_commit_callbacks):
    application, _ = api_accounts.api_application_create(structure=manager.structure, actor=manager.user, name="Log")
    far, _ = api_accounts.api_application_create(structure=manager.structure, actor=manager.user, name="Loin")
    ApiApplication.objects.filter(pk=application.pk).update(expires_at=timezone.now() + timedelta(days=10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_accounts.api_applications_remind() == 1
    assert [m.to for m in mail.outbox] == [[manager.user.email]]
    assert "« Log »" in mail.outbox[0].subject and application.client_id in mail.outbox[0].body
    assert "/structures/activites/api/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert api_accounts.api_applications_remind() == 0
    assert len(mail.outbox) == 1
    assert far.expiry_reminder_sent_at is None


def test_demo_api_accounts_are_idempotent_and_work():
    from structures import demo_api

    manager = MembershipFactory(manager=True)
    first = demo_api.load(supplier=manager.structure, manager=manager.user)
    second = demo_api.load(supplier=manager.structure, manager=manager.user)
    assert first["application"].pk == second["application"].pk
    assert first["technical_user"].pk == second["technical_user"].pk
    assert api_accounts.application_authenticate(client_id=demo_api.CLIENT_ID, client_secret=demo_api.CLIENT_SECRET)
    assert api_accounts.technical_user_authenticate(
        structure_id=manager.structure_id, login=first["technical_user"].login, password=demo_api.TECHNICAL_PASSWORD
    )


def test_load_qualification_refuses_outside_a_qualification_space(settings):
    from django.core.management import CommandError, call_command

    settings.QUALIFICATION = False
    with pytest.raises(CommandError, match="espace de qualification"):
        call_command("load_qualification")


def test_qualification_space_banner_and_recipients(client, settings):
    from django.core.management import call_command

    from structures.models import Structure

    settings.QUALIFICATION = True
    call_command("load_qualification")
    assert Structure.objects.public().filter(identifier="11100000600010").exists()
    assert "Espace de qualification" in html(client.get("/"))
    settings.QUALIFICATION = False
    assert "Espace de qualification" not in html(client.get("/"))
