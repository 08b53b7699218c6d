"""Supplier flows through the Django client, and the access rules of every page."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from structures.models import (
    BankAccount,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Service,
    Structure,
)
from structures.selectors import SESSION_KEY
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.structures.factories import (
    BankAccountFactory,
    MembershipFactory,
    ServiceFactory,
    StructureFactory,
    make_siret,
)

pytestmark = pytest.mark.django_db

CONTEXT_PROCESSOR = "structures.context_processors.current_structure"

VALID_STRUCTURE = {
    "identifier_type": "SIRET",
    "identifier": "732 829 320 00074",
    "name": "Dupont Fournitures SAS",
    "address_line1": "3 rue du Port",
    "postal_code": "13002",
    "city": "Marseille",
    "vat_number": "",
    "email": "contact@dupont.example",
}
VALID_BANK = {"label": "Compte courant", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "agrifrppxxx"}


def field_block(content: str, name: str) -> str:
    """The markup of one crispy DSFR field, from its wrapper to the next field's."""
    start = content.index(f'id="div_id_{name}"')
    following = content.find('id="div_id_', start + 1)
    return content[start : following if following != -1 else len(content)]


def field_error(content: str, name: str) -> str:
    block = field_block(content, name)
    errors = re.findall(r'<p class="fr-(?:error-text|message fr-message--error)">(.*?)</p>', block, re.S)
    return " ".join(errors)


@pytest.fixture
def structure():
    return StructureFactory(name="Dupont SAS")


@pytest.fixture
def manager(structure):
    return MembershipFactory(structure=structure, manager=True).user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def outsider_client(client):
    """The gestionnaire principal of another structure."""
    client.force_login(MembershipFactory(manager=True).user)
    return client


@pytest.fixture
def pending_client(client, structure, manager):
    """A user whose request to ``structure`` still awaits validation."""
    client.force_login(MembershipFactory(structure=structure, pending=True).user)
    return client


@pytest.fixture
def with_context_processor(settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["OPTIONS"] = {
        **templates[0]["OPTIONS"],
        "context_processors": [*templates[0]["OPTIONS"]["context_processors"], CONTEXT_PROCESSOR],
    }
    settings.TEMPLATES = templates


# --- login and onboarding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("structures:home"),
        reverse("structures:create"),
        reverse("structures:search"),
        reverse("structures:activities"),
        reverse("structures:service_list"),
        reverse("structures:bank_account_list"),
    ],
)
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_user_without_structure_is_guided(client):
    client.force_login(UserFactory())
    content = html(client.get(reverse("structures:home")))
    assert "Rattachez votre compte à votre structure" in content
    assert reverse("structures:create") in content
    assert reverse("structures:search") in content


def test_home_shows_own_pending_and_refused_requests(client, structure):
    user = UserFactory()
    MembershipFactory(user=user, structure=structure, pending=True)
    MembershipFactory(user=user, structure=StructureFactory(name="Refusante SA"), refused=True, decision_comment="Non")
    client.force_login(user)
    content = html(client.get(reverse("structures:home")))
    assert "Mes demandes de rattachement" in content
    assert "Dupont SAS" in content and "En attente de validation" in content
    assert "Refusante SA" in content and "Motif : Non" in content
    # a pending request does not make the structure "mine"
    assert "Rattachez votre compte à votre structure" in content


def test_home_shows_current_structure_to_a_member(manager_client, structure):
    content = html(manager_client.get(reverse("structures:home")))
    assert "Dupont SAS" in content
    assert "Gestionnaire principal" in content
    assert reverse("structures:activities") in content


def test_dashboard_guides_a_user_without_structure(client, with_context_processor):
    client.force_login(UserFactory())
    content = html(client.get(reverse("accounts:dashboard")))
    assert "Créez la fiche de votre structure ou demandez à rejoindre une structure existante" in content
    assert reverse("structures:home") in content


def test_dashboard_counts_pending_requests_for_a_manager(manager_client, structure, with_context_processor):
    MembershipFactory(structure=structure, pending=True)
    MembershipFactory(structure=structure, pending=True)
    MembershipFactory(pending=True)  # another structure's
    content = html(manager_client.get(reverse("accounts:dashboard")))
    assert "2 demandes de rattachement en attente" in content
    assert reverse("structures:activities") in content


def test_context_processor_costs_at_most_two_queries(rf, manager, structure, django_assert_num_queries):
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from structures.context_processors import current_structure

    MembershipFactory(structure=structure, pending=True)
    request = rf.get("/")
    request.user = manager
    request.session = SessionStore()
    with django_assert_num_queries(2):
        context = current_structure(request)
        assert context["current_structure"] == structure
        assert [s.pk for s in context["user_structures"]] == [structure.pk]
        assert context["pending_requests_count"] == 1
        assert len(context["dashboard_tiles"]) == 2
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert current_structure(request) == {}


# --- creation ---------------------------------------------------------------------------------


def test_create_structure(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("structures:create"), VALID_STRUCTURE, follow=True)
    structure = Structure.objects.get()
    assert structure.identifier == "73282932000074"
    assert Membership.objects.get(user=user).role == MembershipRole.MAIN_MANAGER
    assert client.session[SESSION_KEY] == structure.pk
    assert "vous en êtes le gestionnaire principal" in html(response)


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("732 829 320 00075", "Ce SIRET n'est pas valide : sa clé de contrôle est incorrecte."),
        ("7328293200007", "Un SIRET comporte 14 chiffres."),
        ("7328293200007A", "Un SIRET ne contient que des chiffres."),
    ],
)
def test_create_with_bad_siret_shows_message_next_to_field(client, identifier, message):
    client.force_login(UserFactory())
    response = client.post(reverse("structures:create"), {**VALID_STRUCTURE, "identifier": identifier})
    assert response.status_code == 200
    assert message in field_error(html(response), "identifier")
    assert not Structure.objects.exists()


def test_create_with_bad_vat_number_shows_message_next_to_field(client):
    client.force_login(UserFactory())
    response = client.post(reverse("structures:create"), {**VALID_STRUCTURE, "vat_number": "FR41303265045"})
    assert "numéro de TVA intracommunautaire n'est pas valide" in field_error(html(response), "vat_number")
    # a valid VAT number of another company
    response = client.post(reverse("structures:create"), {**VALID_STRUCTURE, "vat_number": "FR40303265045"})
    assert "ne correspond pas au SIREN" in field_error(html(response), "vat_number")
    assert not Structure.objects.exists()


def test_create_with_missing_fields_says_so(client):
    client.force_login(UserFactory())
    response = client.post(reverse("structures:create"), {**VALID_STRUCTURE, "name": "", "city": ""})
    content = html(response)
    assert "Ce champ est obligatoire." in field_error(content, "name")
    assert "Ce champ est obligatoire." in field_error(content, "city")
    assert not Structure.objects.exists()


def test_create_existing_siret_sends_a_request(client, structure, manager, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("structures:create"), {**VALID_STRUCTURE, "identifier": structure.identifier}, follow=True
        )
    assert "existe déjà sur le portail : votre demande de rattachement a été envoyée" in html(response)
    assert Membership.objects.get(user=user).status == MembershipStatus.PENDING
    assert Structure.objects.count() == 1
    assert mail.outbox[0].to == [manager.email]


def test_create_existing_siret_already_requested_shows_error(client, structure):
    membership = MembershipFactory(structure=structure, pending=True)
    client.force_login(membership.user)
    response = client.post(reverse("structures:create"), {**VALID_STRUCTURE, "identifier": structure.identifier})
    assert response.status_code == 200
    assert "déjà en attente de validation" in html(response)


# --- search and request -----------------------------------------------------------------------


def test_search_by_siret_prefix_with_spaces(client):
    target = StructureFactory(identifier=make_siret(42))
    StructureFactory(public=True, identifier=target.identifier[:9] + "99999")  # same prefix, public
    client.force_login(UserFactory())
    response = client.get(reverse("structures:search"), {"q": " ".join(target.identifier[:6])})
    content = html(response)
    assert target.name in content
    assert "Ministère" not in content
    assert reverse("structures:request", args=[target.pk]) in content


def test_search_by_exact_name_case_insensitive(client):
    target = StructureFactory(name="Boulangerie Martin")
    StructureFactory(name="Boulangerie Martin et Fils")
    client.force_login(UserFactory())
    content = html(client.get(reverse("structures:search"), {"q": "boulangerie MARTIN"}))
    assert reverse("structures:request", args=[target.pk]) in content
    assert "Boulangerie Martin et Fils" not in content


def test_search_needs_three_digits(client):
    StructureFactory()
    client.force_login(UserFactory())
    content = html(client.get(reverse("structures:search"), {"q": "7 3"}))
    assert "Saisissez au moins 3 chiffres du SIRET." in field_error(content, "q")
    assert "Résultats de la recherche" not in content


def test_search_shows_existing_membership_instead_of_request_button(client, structure):
    membership = MembershipFactory(structure=structure, pending=True)
    client.force_login(membership.user)
    content = html(client.get(reverse("structures:search"), {"q": structure.identifier[:9]}))
    assert "Demande en attente" in content
    assert reverse("structures:request", args=[structure.pk]) not in content


def test_request_attachment(client, structure, manager, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    url = reverse("structures:request", args=[structure.pk])
    assert structure.name in html(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "Je suis le comptable."}, follow=True)
    assert "Votre demande de rattachement à Dupont SAS a été envoyée" in html(response)
    membership = Membership.objects.get(user=user)
    assert (membership.status, membership.message) == (MembershipStatus.PENDING, "Je suis le comptable.")
    assert mail.outbox[0].to == [manager.email]


def test_request_again_after_refusal_shows_error_and_saves_nothing(client, structure, manager):
    membership = MembershipFactory(structure=structure, refused=True)
    client.force_login(membership.user)
    response = client.post(reverse("structures:request", args=[structure.pk]), {"message": "Encore"})
    assert response.status_code == 200
    assert "a été refusée" in html(response)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REFUSED
    assert membership.message == ""


@pytest.mark.parametrize("trait", ["public", "inactive"])
def test_request_to_public_or_inactive_structure_is_404(client, trait):
    target = StructureFactory(**{trait: True})
    client.force_login(UserFactory())
    assert client.post(reverse("structures:request", args=[target.pk])).status_code == 404
    assert not Membership.objects.exists()


# --- current structure ------------------------------------------------------------------------


def test_switch_current_structure(client, manager, structure):
    other = MembershipFactory(user=manager, structure=StructureFactory(name="Autre SARL")).structure
    client.force_login(manager)
    response = client.post(reverse("structures:switch"), {"structure": other.pk, "next": "/structures/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == other.pk
    content = html(client.get(reverse("structures:home")))
    assert "Utilisateur" in content  # role in Autre SARL
    # the activities page is for the gestionnaire of the current structure only
    assert client.get(reverse("structures:activities")).status_code == 403


def test_switch_to_another_structure_is_404(outsider_client, structure):
    response = outsider_client.post(reverse("structures:switch"), {"structure": structure.pk})
    assert response.status_code == 404
    assert SESSION_KEY not in outsider_client.session


def test_switch_as_pending_member_is_404(pending_client, structure):
    assert pending_client.post(reverse("structures:switch"), {"structure": structure.pk}).status_code == 404


def test_switch_ignores_external_next(manager_client, structure):
    response = manager_client.post(reverse("structures:switch"), {"structure": structure.pk, "next": "//evil.example"})
    assert response["Location"] == reverse("structures:home")


def test_switch_is_post_only(manager_client, structure):
    assert manager_client.get(reverse("structures:switch")).status_code == 405


# --- activities: access -----------------------------------------------------------------------


def test_activities_lists_pending_requests_and_members(manager_client, structure):
    pending = MembershipFactory(structure=structure, pending=True, message="Service achats", user__first_name="Zoé")
    member = MembershipFactory(structure=structure)
    MembershipFactory(pending=True, user__first_name="Intrus")  # another structure's request
    content = html(manager_client.get(reverse("structures:activities")))
    assert f'name="ids" value="{pending.pk}"' in content
    assert "Service achats" in content
    assert "Intrus" not in content
    assert reverse("structures:revoke", args=[member.pk]) in content
    assert "<caption>Demandes en attente de validation (1)</caption>" in content


def test_activities_forbidden_to_a_plain_member(client, structure, manager):
    client.force_login(MembershipFactory(structure=structure).user)
    response = client.get(reverse("structures:activities"))
    assert response.status_code == 403
    assert "Accès refusé" in html(response)


def test_activities_redirects_a_user_without_structure(pending_client):
    response = pending_client.get(reverse("structures:activities"))
    assert response.status_code == 302
    assert response["Location"] == reverse("structures:home")


# --- activities: decisions --------------------------------------------------------------------


def test_approve_one_request(manager_client, structure, manager, django_capture_on_commit_callbacks):
    pending = MembershipFactory(structure=structure, pending=True)
    other = MembershipFactory(structure=structure, pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("structures:decide"), {"single": f"approve:{pending.pk}", "ids": [other.pk]}, follow=True
        )
    assert "1 demande validée" in html(response)
    pending.refresh_from_db()
    other.refresh_from_db()
    assert (pending.status, pending.decided_by) == (MembershipStatus.ACTIVE, manager)
    assert other.status == MembershipStatus.PENDING
    assert [m.to for m in mail.outbox] == [[pending.user.email]]


def test_refuse_one_request(manager_client, structure):
    pending = MembershipFactory(structure=structure, pending=True)
    manager_client.post(reverse("structures:decide"), {"single": f"refuse:{pending.pk}"})
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.REFUSED


def test_bulk_approve(manager_client, structure, django_capture_on_commit_callbacks):
    requests = [MembershipFactory(structure=structure, pending=True) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("structures:decide"), {"action": "approve", "ids": [m.pk for m in requests[:2]]}, follow=True
        )
    assert "2 demandes validées" in html(response)
    statuses = [Membership.objects.get(pk=m.pk).status for m in requests]
    assert statuses == [MembershipStatus.ACTIVE, MembershipStatus.ACTIVE, MembershipStatus.PENDING]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.user.email for m in requests[:2])


def test_bulk_refuse_with_comment(manager_client, structure, django_capture_on_commit_callbacks):
    requests = [MembershipFactory(structure=structure, pending=True) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("structures:decide"),
            {"action": "refuse", "ids": [m.pk for m in requests], "comment": "Inconnus du service"},
            follow=True,
        )
    assert "2 demandes refusées" in html(response)
    for membership in requests:
        membership.refresh_from_db()
        assert (membership.status, membership.decision_comment) == (MembershipStatus.REFUSED, "Inconnus du service")
        assert membership.events.get().action == MembershipEvent.Action.REFUSED
    assert all("Inconnus du service" in m.body for m in mail.outbox) and len(mail.outbox) == 2


def test_bulk_without_selection_says_so(manager_client, structure):
    pending = MembershipFactory(structure=structure, pending=True)
    response = manager_client.post(reverse("structures:decide"), {"action": "approve"}, follow=True)
    assert "Cochez au moins une demande de rattachement." in html(response)
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_bulk_with_an_already_decided_request_warns_and_decides_the_others(manager_client, structure):
    pending = MembershipFactory(structure=structure, pending=True)
    refused = MembershipFactory(structure=structure, refused=True)
    response = manager_client.post(
        reverse("structures:decide"), {"action": "approve", "ids": [pending.pk, refused.pk]}, follow=True
    )
    content = html(response)
    assert "n'est plus en attente" in content and "1 demande validée" in content
    refused.refresh_from_db()
    assert refused.status == MembershipStatus.REFUSED


def test_decide_another_structures_request_is_404(manager_client, structure):
    mine = MembershipFactory(structure=structure, pending=True)
    foreign = MembershipFactory(pending=True)
    response = manager_client.post(reverse("structures:decide"), {"action": "approve", "ids": [mine.pk, foreign.pk]})
    assert response.status_code == 404
    assert manager_client.post(reverse("structures:decide"), {"single": f"approve:{foreign.pk}"}).status_code == 404
    assert Membership.objects.filter(status=MembershipStatus.PENDING).count() == 2


def test_decide_by_plain_member_is_403(client, structure, manager):
    pending = MembershipFactory(structure=structure, pending=True)
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.post(reverse("structures:decide"), {"single": f"approve:{pending.pk}"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_decide_by_pending_member_is_404(pending_client, structure):
    other = MembershipFactory(structure=structure, pending=True)
    assert pending_client.post(reverse("structures:decide"), {"single": f"approve:{other.pk}"}).status_code == 404
    other.refresh_from_db()
    assert other.status == MembershipStatus.PENDING


def test_decide_with_garbage_is_refused(manager_client, structure):
    assert manager_client.post(reverse("structures:decide"), {"action": "approve", "ids": ["x"]}).status_code == 404
    response = manager_client.post(reverse("structures:decide"), {"action": "delete", "ids": ["1"]}, follow=True)
    assert "Choisissez de valider ou de refuser" in html(response)


# --- activities: members ----------------------------------------------------------------------


def test_revoke_member(manager_client, structure, django_capture_on_commit_callbacks):
    member = MembershipFactory(structure=structure)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("structures:revoke", args=[member.pk]), follow=True)
    assert "est détaché de la structure" in html(response)
    member.refresh_from_db()
    assert member.status == MembershipStatus.REVOKED
    assert mail.outbox[0].to == [member.user.email]


def test_revoke_last_main_manager_shows_error(manager_client, structure, manager):
    own = Membership.objects.get(user=manager)
    response = manager_client.post(reverse("structures:revoke", args=[own.pk]), follow=True)
    assert "Impossible de détacher le dernier gestionnaire principal" in html(response)
    own.refresh_from_db()
    assert own.status == MembershipStatus.ACTIVE


def test_revoke_access(client, structure, manager):
    member = MembershipFactory(structure=structure)
    url = reverse("structures:revoke", args=[member.pk])
    client.force_login(MembershipFactory(manager=True).user)  # another structure's manager
    assert client.post(url).status_code == 404
    client.force_login(MembershipFactory(structure=structure, pending=True).user)
    assert client.post(url).status_code == 404
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.post(url).status_code == 403
    member.refresh_from_db()
    assert member.status == MembershipStatus.ACTIVE


# --- fiche structure --------------------------------------------------------------------------


def test_update_structure(manager_client, structure):
    data = {"name": "Dupont et Fils", "address_line1": "1 quai", "postal_code": "69001", "city": "Lyon"}
    siren = structure.identifier[:9]
    data["vat_number"] = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    response = manager_client.post(reverse("structures:update"), data)
    assert response.status_code == 302
    structure.refresh_from_db()
    assert (structure.name, structure.city, structure.vat_number) == ("Dupont et Fils", "Lyon", data["vat_number"])


def test_update_structure_bad_vat_shows_message_and_saves_nothing(manager_client, structure):
    response = manager_client.post(
        reverse("structures:update"),
        {"name": "Nouveau", "address_line1": "1 quai", "postal_code": "69001", "city": "Lyon", "vat_number": "FR12"},
    )
    assert "numéro de TVA intracommunautaire n'est pas valide" in field_error(html(response), "vat_number")
    structure.refresh_from_db()
    assert structure.name == "Dupont SAS"


def test_update_structure_forbidden_to_plain_member(client, structure, manager):
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.post(reverse("structures:update"), {"name": "Pirate"}).status_code == 403
    structure.refresh_from_db()
    assert structure.name == "Dupont SAS"


# --- services ---------------------------------------------------------------------------------


def test_service_create_list_edit_deactivate(manager_client, structure):
    response = manager_client.post(reverse("structures:service_create"), {"code": " achats ", "name": "Achats"})
    assert response["Location"] == reverse("structures:service_list")
    service = Service.objects.get(structure=structure)
    assert service.code == "ACHATS"
    assert "ACHATS" in html(manager_client.get(reverse("structures:service_list")))
    manager_client.post(
        reverse("structures:service_update", args=[service.pk]), {"code": "ACHATS", "name": "Achats", "is_active": ""}
    )
    service.refresh_from_db()
    assert not service.is_active
    manager_client.post(
        reverse("structures:service_update", args=[service.pk]),
        {"code": "ACHATS", "name": "Achats groupés", "is_active": "on"},
    )
    service.refresh_from_db()
    assert (service.name, service.is_active) == ("Achats groupés", True)
    manager_client.post(reverse("structures:service_deactivate", args=[service.pk]))
    service.refresh_from_db()
    assert not service.is_active


def test_service_duplicate_code_shows_message_next_to_field(manager_client, structure):
    ServiceFactory(structure=structure, code="ACHATS")
    response = manager_client.post(reverse("structures:service_create"), {"code": "achats", "name": "Bis"})
    assert "Un service de cette structure utilise déjà le code ACHATS." in field_error(html(response), "code")
    assert Service.objects.filter(structure=structure).count() == 1


def test_service_reserved_code_is_refused(manager_client, structure):
    response = manager_client.post(reverse("structures:service_create"), {"code": "FACTURES_PUBLIQUES", "name": "X"})
    assert "réservé aux factures entre entités publiques" in field_error(html(response), "code")
    assert not Service.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "pending"])
def test_service_views_with_an_id_are_404_for_others(client, structure, manager, who):
    service = ServiceFactory(structure=structure, code="ACHATS")
    if who == "outsider":
        client.force_login(MembershipFactory(manager=True).user)
    else:
        client.force_login(MembershipFactory(structure=structure, pending=True).user)
    assert client.get(reverse("structures:service_update", args=[service.pk])).status_code == 404
    assert (
        client.post(reverse("structures:service_update", args=[service.pk]), {"code": "X", "name": "X"}).status_code
        == 404
    )
    assert client.post(reverse("structures:service_deactivate", args=[service.pk])).status_code == 404
    service.refresh_from_db()
    assert (service.code, service.is_active) == ("ACHATS", True)


def test_service_views_forbidden_to_plain_member(client, structure, manager):
    service = ServiceFactory(structure=structure)
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.get(reverse("structures:service_list")).status_code == 403
    assert client.post(reverse("structures:service_deactivate", args=[service.pk])).status_code == 403


# --- bank details -----------------------------------------------------------------------------


def test_bank_account_create_normalizes(manager_client, structure):
    response = manager_client.post(reverse("structures:bank_account_create"), VALID_BANK)
    assert response["Location"] == reverse("structures:bank_account_list")
    account = BankAccount.objects.get(structure=structure)
    assert (account.iban, account.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")
    content = html(manager_client.get(reverse("structures:bank_account_list")))
    assert "FR76 3000 6000 0112 3456 7890 189" in content
    assert "<caption>Coordonnées bancaires de Dupont SAS (1)</caption>" in content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "FR76 3000 6000 0112 3456 7890 188", "Cet IBAN n'est pas valide."),
        ("iban", "FR76", "Cet IBAN n'est pas valide."),
        ("bic", "AGRIFRPPX", "Ce BIC n'est pas valide"),
        ("label", "", "Ce champ est obligatoire."),
    ],
)
def test_bank_account_bad_input_shows_message_next_to_field(manager_client, structure, field, value, message):
    response = manager_client.post(reverse("structures:bank_account_create"), {**VALID_BANK, field: value})
    assert response.status_code == 200
    assert message in field_error(html(response), field)
    assert not BankAccount.objects.exists()


def test_bank_account_duplicate_iban_shows_message(manager_client, structure):
    BankAccountFactory(structure=structure)
    response = manager_client.post(reverse("structures:bank_account_create"), VALID_BANK)
    assert "Cet IBAN est déjà enregistré pour cette structure." in field_error(html(response), "iban")
    assert BankAccount.objects.count() == 1


def test_bank_account_edit_and_deactivate(manager_client, structure):
    account = BankAccountFactory(structure=structure)
    manager_client.post(
        reverse("structures:bank_account_update", args=[account.pk]),
        {"label": "Compte DE", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "is_active": "on"},
    )
    account.refresh_from_db()
    assert (account.label, account.iban, account.bic) == ("Compte DE", "DE89370400440532013000", "COBADEFFXXX")
    manager_client.post(reverse("structures:bank_account_deactivate", args=[account.pk]))
    account.refresh_from_db()
    assert not account.is_active


@pytest.mark.parametrize("who", ["outsider", "pending"])
def test_bank_account_views_with_an_id_are_404_for_others(client, structure, manager, who):
    account = BankAccountFactory(structure=structure)
    if who == "outsider":
        client.force_login(MembershipFactory(manager=True).user)
    else:
        client.force_login(MembershipFactory(structure=structure, pending=True).user)
    assert client.get(reverse("structures:bank_account_update", args=[account.pk])).status_code == 404
    response = client.post(reverse("structures:bank_account_update", args=[account.pk]), {**VALID_BANK, "label": "X"})
    assert response.status_code == 404
    assert client.post(reverse("structures:bank_account_deactivate", args=[account.pk])).status_code == 404
    account.refresh_from_db()
    assert (account.label, account.is_active) == ("Compte principal", True)


def test_bank_views_forbidden_to_plain_member(client, structure, manager):
    account = BankAccountFactory(structure=structure)
    client.force_login(MembershipFactory(structure=structure).user)
    assert client.get(reverse("structures:bank_account_list")).status_code == 403
    assert client.get(reverse("structures:bank_account_update", args=[account.pk])).status_code == 403


# --- mandate ----------------------------------------------------------------------------------


def test_accept_mandate(manager_client, structure, manager):
    manager.cgu_accepted_at = timezone.now()
    manager.save()
    response = manager_client.post(reverse("structures:mandate"), {})
    content = html(response)
    assert "Vous devez accepter le mandat de facturation" in field_error(content, "accept_mandate")
    assert 'id="div_id_accept_cgu"' not in content  # already accepted at sign-up
    structure.refresh_from_db()
    assert structure.mandate_accepted_at is None
    response = manager_client.post(reverse("structures:mandate"), {"accept_mandate": "on"})
    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.mandate_accepted_by == manager


def test_mandate_asks_for_cgu_when_missing(client, structure):
    user = MembershipFactory(structure=structure, user__cgu_accepted_at=None).user
    client.force_login(user)
    response = client.post(reverse("structures:mandate"), {"accept_mandate": "on"})
    assert "Vous devez accepter les conditions générales d'utilisation." in field_error(html(response), "accept_cgu")
    client.post(reverse("structures:mandate"), {"accept_mandate": "on", "accept_cgu": "on"})
    user.refresh_from_db()
    structure.refresh_from_db()
    assert user.cgu_accepted_at is not None and structure.mandate_accepted_by == user


def test_mandate_without_structure_is_404(pending_client):
    assert pending_client.get(reverse("structures:mandate")).status_code == 404
