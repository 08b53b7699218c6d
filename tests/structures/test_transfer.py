"""Structure creation by any valid SIRET (issue 11, point 9): the creator is recorded and shown to
support, the fiche's contact address is told, and support can transfer the structure to another
gestionnaire principal (service and admin page), with history and e-mails to both users."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from structures import services
from structures.models import Membership, MembershipEvent, MembershipRole, MembershipStatus, Structure
from structures.services.transfer import DEMOTE, DETACH
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.structures.factories import MembershipFactory, StructureFactory, SupportUserFactory

pytestmark = pytest.mark.django_db

FICHE = {
    "identifier_type": "SIRET",
    "identifier": "732 829 320 00074",
    "name": "Dupont Fournitures SAS",
    "address_line1": "3 rue du Port",
    "postal_code": "13002",
    "city": "Marseille",
    "vat_number": "",
    "email": "contact@dupont.example",
}


def mails_to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


# --- Creation: recorded, contact told -------------------------------------------------------


def test_creating_a_fiche_records_the_creator_and_tells_the_contact(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_EMAIL = "support@chorus.example"
    creator = UserFactory(email="inconnu@ailleurs.example", first_name="Jean", last_name="Inconnu")
    client.force_login(creator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("structures:create"), FICHE)
    structure = Structure.objects.get()
    assert structure.created_by == creator and structure.created_at is not None
    [message] = mails_to("contact@dupont.example")
    assert "Dupont Fournitures SAS" in message.subject
    assert "73282932000074" in message.body
    assert "Jean Inconnu (inconnu@ailleurs.example)" in message.body
    assert "support@chorus.example" in message.body and "transférer" in message.body


def test_a_fiche_without_contact_address_sends_no_such_mail(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("structures:create"), {**FICHE, "email": ""})
    assert Structure.objects.get().created_by is not None
    assert not [m for m in mail.outbox if "a été créée" in m.subject]


def test_support_sees_who_created_the_fiche(client):
    creator = UserFactory(email="createur@dupont.example")
    structure = services.structure_create(user=creator, **FICHE).structure
    client.force_login(SupportUserFactory())
    content = html(client.get(reverse("admin:structures_structure_change", args=[structure.pk])))
    assert "créée par" in content.lower() and "createur@dupont.example" in content
    assert reverse("admin:structures_structure_transfer", args=[structure.pk]) in content


# --- Transfer: the service --------------------------------------------------------------------


@pytest.fixture
def taken():
    """A supplier whose fiche was created by a stranger, with one ordinary member."""
    stranger = MembershipFactory(manager=True, structure=StructureFactory(name="Dupont SAS"))
    member = MembershipFactory(structure=stranger.structure)
    return stranger.structure, stranger, member


@pytest.fixture
def support():
    return SupportUserFactory()


def test_transfer_to_a_new_user_demotes_the_previous_manager(taken, support, django_capture_on_commit_callbacks):
    structure, stranger, _member = taken
    owner = UserFactory(email="dirigeant@dupont.example")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.structure_transfer(
            actor=support, structure=structure, user=owner, comment="Kbis reçu le 2 décembre"
        )
    assert (membership.user, membership.status, membership.role) == (
        owner,
        MembershipStatus.ACTIVE,
        MembershipRole.MAIN_MANAGER,
    )
    stranger.refresh_from_db()
    assert (stranger.status, stranger.role) == (MembershipStatus.ACTIVE, MembershipRole.USER)
    events = MembershipEvent.objects.filter(action=MembershipEvent.Action.TRANSFERRED)
    assert {(e.membership_id, e.actor_id) for e in events} == {(membership.pk, support.pk), (stranger.pk, support.pk)}
    assert all("Kbis reçu le 2 décembre" in e.comment for e in events)
    [to_new] = mails_to("dirigeant@dupont.example")
    assert "gestionnaire principal de Dupont SAS" in to_new.subject
    [to_old] = mails_to(stranger.user.email)
    assert "transférée" in to_old.subject and "en tant qu'utilisateur" in to_old.body


def test_transfer_to_a_member_can_detach_the_previous_manager(taken, support, django_capture_on_commit_callbacks):
    structure, stranger, member = taken
    with django_capture_on_commit_callbacks(execute=True):
        services.structure_transfer(actor=support, structure=structure, user=member.user, previous=DETACH)
    member.refresh_from_db()
    stranger.refresh_from_db()
    assert member.is_main_manager
    assert (stranger.status, stranger.role) == (MembershipStatus.REVOKED, MembershipRole.USER)
    assert Membership.objects.filter(structure=structure).count() == 2
    [to_old] = mails_to(stranger.user.email)
    assert "détaché" in to_old.body


def test_only_support_transfers(taken):
    structure, stranger, member = taken
    for actor in (stranger.user, UserFactory(staff=True)):
        with pytest.raises(PermissionDenied):
            services.structure_transfer(actor=actor, structure=structure, user=member.user, previous=DEMOTE)
    assert Membership.objects.get(pk=stranger.pk).is_main_manager


def test_transfer_refusals(taken, support):
    structure, stranger, _member = taken
    with pytest.raises(ValidationError, match="déjà le seul gestionnaire principal"):
        services.structure_transfer(actor=support, structure=structure, user=stranger.user)
    with pytest.raises(ValidationError, match="désactivé"):
        services.structure_transfer(actor=support, structure=structure, user=UserFactory(is_active=False))
    with pytest.raises(ValidationError, match="destinataire public"):
        services.structure_transfer(actor=support, structure=StructureFactory(public=True), user=UserFactory())


# --- Transfer: the admin page -----------------------------------------------------------------


def test_support_transfers_from_the_admin(client, taken, support, django_capture_on_commit_callbacks):
    structure, stranger, _member = taken
    UserFactory(email="dirigeant@dupont.example")
    client.force_login(support)
    url = reverse("admin:structures_structure_transfer", args=[structure.pk])
    assert stranger.user.email in html(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "Dirigeant@dupont.example", "previous": DETACH, "comment": ""})
    assert response.status_code == 302
    assert Membership.objects.get(structure=structure, user__email="dirigeant@dupont.example").is_main_manager
    assert Membership.objects.get(pk=stranger.pk).status == MembershipStatus.REVOKED
    assert len(mails_to("dirigeant@dupont.example")) == 1 and len(mails_to(stranger.user.email)) == 1


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("personne@nulle-part.example", "Aucun compte n'utilise l'adresse personne@nulle-part.example"),
        ("stranger", "déjà le seul gestionnaire principal"),
    ],
)
def test_admin_transfer_refusals_are_shown_next_to_the_field(client, taken, support, email, expected):
    structure, stranger, _member = taken
    client.force_login(support)
    email = stranger.user.email if email == "stranger" else email
    response = client.post(
        reverse("admin:structures_structure_transfer", args=[structure.pk]), {"email": email, "previous": DEMOTE}
    )
    assert response.status_code == 200
    row = html(response).split("field-email", 1)[1].split("</div>", 1)[0]
    assert expected in row
    assert Membership.objects.get(pk=stranger.pk).is_main_manager


def test_a_plain_staff_user_cannot_open_the_transfer_page(client, taken):
    structure, _stranger, _member = taken
    client.force_login(UserFactory(staff=True))
    assert client.get(reverse("admin:structures_structure_transfer", args=[structure.pk])).status_code == 403
