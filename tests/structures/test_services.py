"""Service rules of structures: creation, attachment requests, decisions, roles, data, mandate."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from structures import services
from structures.models import (
    BankAccount,
    IdentifierType,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Service,
    Structure,
    StructureKind,
)
from tests.accounts.factories import UserFactory
from tests.structures.factories import (
    BankAccountFactory,
    MembershipFactory,
    ServiceFactory,
    StructureFactory,
    SupportUserFactory,
    make_agent,
    make_siret,
)

pytestmark = pytest.mark.django_db

Action = MembershipEvent.Action


def events(membership) -> list[tuple[str, int | None]]:
    return list(membership.events.order_by("id").values_list("action", "actor_id"))


@pytest.fixture
def structure():
    return StructureFactory()


@pytest.fixture
def manager(structure):
    return MembershipFactory(structure=structure, manager=True).user


# --- structure_create -------------------------------------------------------------------------


def test_structure_create_makes_the_creator_main_manager(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.structure_create(
            user=user,
            identifier_type=IdentifierType.SIRET,
            identifier="732 829 320 00074",
            name="  Dupont Fournitures SAS ",
            address_line1="3 rue du Port",
            postal_code="13002",
            city="Marseille",
            vat_number="fr 44 732 829 320",  # the SIREN of the SIRET (the service checks it)
        )
    structure = membership.structure
    assert structure.identifier == "73282932000074"
    assert structure.name == "Dupont Fournitures SAS"
    assert structure.kind == StructureKind.PRIVATE
    assert structure.vat_number == "FR44732829320"
    assert (membership.user, membership.role, membership.status) == (
        user,
        MembershipRole.MAIN_MANAGER,
        MembershipStatus.ACTIVE,
    )
    assert events(membership) == [(Action.CREATED_STRUCTURE, user.pk)]
    assert mail.outbox == []


def test_structure_create_with_existing_identifier_becomes_a_request(django_capture_on_commit_callbacks):
    existing = StructureFactory()
    manager = MembershipFactory(structure=existing, manager=True).user
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.structure_create(
            user=user, identifier_type=IdentifierType.SIRET, identifier=existing.identifier, name="Autre nom"
        )
    assert membership.structure == existing
    assert membership.status == MembershipStatus.PENDING
    assert membership.role == MembershipRole.USER
    assert Structure.objects.count() == 1
    assert existing.name != "Autre nom"
    assert [m.to for m in mail.outbox] == [[manager.email]]


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("73282932000075", "clé de contrôle est incorrecte"),
        ("7328293200007", "14 chiffres"),
        ("7328293200007A", "que des chiffres"),
    ],
)
def test_structure_create_refuses_invalid_siret(identifier, message):
    with pytest.raises(ValidationError) as info:
        services.structure_create(
            user=UserFactory(), identifier_type=IdentifierType.SIRET, identifier=identifier, name="X"
        )
    assert message in info.value.message_dict["identifier"][0]
    assert not Structure.objects.exists()


def test_structure_create_refuses_invalid_vat_number():
    with pytest.raises(ValidationError) as info:
        services.structure_create(
            user=UserFactory(),
            identifier_type=IdentifierType.SIRET,
            identifier=make_siret(5),
            name="X",
            vat_number="FR41303265045",
        )
    assert "TVA" in info.value.message_dict["vat_number"][0]
    assert not Structure.objects.exists()


def test_structure_create_for_an_existing_public_structure_is_refused():
    public = StructureFactory(public=True)
    with pytest.raises(ValidationError, match="destinataire public"):
        services.structure_create(
            user=UserFactory(), identifier_type=IdentifierType.SIRET, identifier=public.identifier, name="X"
        )
    assert not Membership.objects.exists()


def test_structure_create_other_identifier_type_is_not_checked_as_siret():
    membership = services.structure_create(
        user=UserFactory(), identifier_type=IdentifierType.HORS_UE, identifier=" CH-123.456 ", name="Swiss AG"
    )
    assert membership.structure.identifier == "CH-123.456"


# --- membership_request ----------------------------------------------------------------------


def test_request_creates_pending_membership_and_emails_each_main_manager(structure, django_capture_on_commit_callbacks):
    first = MembershipFactory(structure=structure, manager=True).user
    second = MembershipFactory(structure=structure, manager=True).user
    MembershipFactory(structure=structure)  # a plain utilisateur is not told
    user = UserFactory(first_name="Alice", last_name="Martin")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(user=user, structure=structure, message="Comptable")
    assert (membership.status, membership.role, membership.message) == (
        MembershipStatus.PENDING,
        MembershipRole.USER,
        "Comptable",
    )
    assert events(membership) == [(Action.REQUESTED, user.pk)]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])
    message = mail.outbox[0]
    assert message.subject == f"[Chorus Pro] Demande de rattachement à {structure.name}"
    assert "Alice Martin" in message.body and "Comptable" in message.body
    assert "http://127.0.0.1:8000/structures/activites/" in message.body


def test_request_email_goes_to_contact_address(structure, django_capture_on_commit_callbacks):
    manager = MembershipFactory(structure=structure, manager=True, user__contact_email="compta@x.example").user
    assert manager.contact_email
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_request(user=UserFactory(), structure=structure)
    assert mail.outbox[0].to == ["compta@x.example"]


@pytest.mark.parametrize(
    ("trait", "message"),
    [
        ("active", "déjà rattaché"),
        ("pending", "déjà en attente"),
        ("refused", "a été refusée"),
    ],
)
def test_request_refused_for_existing_membership(structure, manager, trait, message):
    kwargs = {} if trait == "active" else {trait: True}
    membership = MembershipFactory(structure=structure, **kwargs)
    before = membership.status
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=membership.user, structure=structure)
    assert message in info.value.messages[0]
    membership.refresh_from_db()
    assert membership.status == before
    assert not membership.events.exists()


def test_refused_user_is_told_to_contact_the_manager(structure):
    membership = MembershipFactory(structure=structure, refused=True)
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=membership.user, structure=structure)
    assert "contactez directement son gestionnaire principal" in info.value.messages[0]


def test_request_to_public_structure_is_refused():
    with pytest.raises(ValidationError, match="structure privée"):
        services.membership_request(user=UserFactory(), structure=StructureFactory(public=True))
    assert not Membership.objects.exists()


def test_request_to_inactive_structure_is_refused():
    with pytest.raises(ValidationError, match="plus active"):
        services.membership_request(user=UserFactory(), structure=StructureFactory(inactive=True))


def test_revoked_member_may_ask_again_reusing_the_row(structure, manager, django_capture_on_commit_callbacks):
    old = MembershipFactory(structure=structure, revoked=True, decision_comment="ancien")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(user=old.user, structure=structure, message="De retour")
    assert membership.pk == old.pk
    assert Membership.objects.filter(user=old.user, structure=structure).count() == 1
    assert (membership.status, membership.message, membership.decision_comment) == (
        MembershipStatus.PENDING,
        "De retour",
        "",
    )
    assert membership.decided_at is None
    assert len(mail.outbox) == 1


# --- approve / refuse ------------------------------------------------------------------------


def test_approve_records_decision_event_and_emails_requester(structure, manager, django_capture_on_commit_callbacks):
    pending = MembershipFactory(structure=structure, pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_approve(membership=pending, actor=manager, comment="Bienvenue")
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.role == MembershipRole.USER
    assert membership.decided_by == manager
    assert membership.decided_at is not None
    assert membership.decision_comment == "Bienvenue"
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.ACTIVE
    assert events(pending) == [(Action.APPROVED, manager.pk)]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [pending.user.email]
    assert message.subject == f"[Chorus Pro] Votre rattachement à {structure.name} est validé"
    assert "Bienvenue" in message.body
    assert "http://127.0.0.1:8000/structures/" in message.body


def test_refuse_records_decision_event_and_emails_requester(structure, manager, django_capture_on_commit_callbacks):
    pending = MembershipFactory(structure=structure, pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_refuse(membership=pending, actor=manager, comment="Inconnu")
    assert membership.status == MembershipStatus.REFUSED
    assert membership.decided_by == manager
    assert events(membership) == [(Action.REFUSED, manager.pk)]
    assert mail.outbox[0].to == [pending.user.email]
    assert "refusée" in mail.outbox[0].subject
    assert "Motif indiqué :\nInconnu" in mail.outbox[0].body


@pytest.mark.parametrize("trait", ["refused", "revoked", None])
@pytest.mark.parametrize("decide", [services.membership_approve, services.membership_refuse])
def test_decisions_only_from_pending(structure, manager, trait, decide, django_capture_on_commit_callbacks):
    membership = MembershipFactory(structure=structure, **({trait: True} if trait else {}))
    before = membership.status
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="plus en attente"):
        decide(membership=membership, actor=manager)
    membership.refresh_from_db()
    assert membership.status == before
    assert not membership.events.exists()
    assert mail.outbox == []


def test_second_decision_on_a_stale_copy_is_refused(structure, manager):
    """Two managers opened the page; the second decision reads the locked row, not its copy."""
    pending = MembershipFactory(structure=structure, pending=True)
    stale = Membership.objects.get(pk=pending.pk)
    other_manager = MembershipFactory(structure=structure, manager=True).user
    services.membership_approve(membership=pending, actor=manager)
    with pytest.raises(ValidationError):
        services.membership_refuse(membership=stale, actor=other_manager)
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.ACTIVE
    assert pending.decided_by == manager


@pytest.mark.parametrize("role", ["user", "other_manager", "pending_manager"])
def test_only_a_main_manager_of_the_structure_or_support_decides(structure, manager, role):
    pending = MembershipFactory(structure=structure, pending=True)
    actor = {
        "user": lambda: MembershipFactory(structure=structure).user,
        "other_manager": lambda: MembershipFactory(manager=True).user,
        "pending_manager": lambda: MembershipFactory(structure=structure, manager=True, pending=True).user,
    }[role]()
    with pytest.raises(PermissionDenied):
        services.membership_approve(membership=pending, actor=actor)
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_support_may_decide(structure):
    pending = MembershipFactory(structure=structure, pending=True)
    staff = SupportUserFactory()
    assert services.membership_approve(membership=pending, actor=staff).status == MembershipStatus.ACTIVE


# --- who manages a supplier structure: its gestionnaire principal or support, not any staff ---


IBAN, BIC = "FR7630006000011234567890189", "AGRIFRPPXXX"


def test_support_but_not_a_ministry_agent_manages_a_supplier_structure(structure, manager):
    agent = make_agent()  # is_staff (opens the admin), member of a ministry
    pending = MembershipFactory(structure=structure, pending=True)
    member = MembershipFactory(structure=structure)
    attempts = {
        "approve": lambda: services.membership_approve(membership=pending, actor=agent),
        "refuse": lambda: services.membership_refuse(membership=pending, actor=agent),
        "revoke": lambda: services.membership_revoke(membership=member, actor=agent),
        "set_main_manager": lambda: services.membership_set_main_manager(membership=member, actor=agent),
        "structure_update": lambda: services.structure_update(structure=structure, actor=agent, name="Prise"),
        "accept_mandate": lambda: services.structure_accept_mandate(structure=structure, user=agent),
        "service_create": lambda: services.service_create(structure=structure, actor=agent, code="X", name="X"),
        "bank_account_create": lambda: services.bank_account_create(
            structure=structure, actor=agent, label="Pirate", iban=IBAN, bic=BIC
        ),
    }
    refused = []
    for name, attempt in attempts.items():
        try:
            attempt()
        except PermissionDenied:
            refused.append(name)
    assert refused == list(attempts)
    pending.refresh_from_db()
    member.refresh_from_db()
    structure.refresh_from_db()
    assert (pending.status, member.status, member.role) == (
        MembershipStatus.PENDING,
        MembershipStatus.ACTIVE,
        MembershipRole.USER,
    )
    assert structure.name != "Prise" and structure.mandate_accepted_at is None
    assert not structure.services.exists() and not structure.bank_accounts.exists()
    assert not MembershipEvent.objects.filter(actor=agent).exists()

    # The same calls by support go through.
    support = SupportUserFactory()
    assert services.membership_approve(membership=pending, actor=support).status == MembershipStatus.ACTIVE
    services.membership_set_main_manager(membership=member, actor=support)
    services.structure_update(structure=structure, actor=support, name="Renommée")
    services.structure_accept_mandate(structure=structure, user=support)
    services.service_create(structure=structure, actor=support, code="COMPTA", name="Comptabilité")
    services.bank_account_create(structure=structure, actor=support, label="Compte", iban=IBAN, bic=BIC)
    structure.refresh_from_db()
    member.refresh_from_db()
    assert member.role == MembershipRole.MAIN_MANAGER
    assert (structure.name, structure.mandate_accepted_by) == ("Renommée", support)
    assert structure.services.get().code == "COMPTA" and structure.bank_accounts.get().iban == IBAN


# --- revoke -----------------------------------------------------------------------------------


def test_revoke_detaches_member_and_emails_them(structure, manager, django_capture_on_commit_callbacks):
    member = MembershipFactory(structure=structure)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_revoke(membership=member, actor=manager)
    member.refresh_from_db()
    assert member.status == MembershipStatus.REVOKED
    assert events(member) == [(Action.REVOKED, manager.pk)]
    assert mail.outbox[0].to == [member.user.email]
    assert "détaché" in mail.outbox[0].subject


def test_cannot_detach_the_last_main_manager(structure, manager):
    membership = Membership.objects.get(user=manager)
    with pytest.raises(ValidationError, match="dernier gestionnaire principal"):
        services.membership_revoke(membership=membership, actor=SupportUserFactory())
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_a_main_manager_may_be_detached_when_another_remains(structure, manager):
    other = MembershipFactory(structure=structure, manager=True)
    services.membership_revoke(membership=other, actor=manager)
    other.refresh_from_db()
    assert (other.status, other.role) == (MembershipStatus.REVOKED, MembershipRole.USER)


def test_revoke_needs_an_active_membership(structure, manager):
    pending = MembershipFactory(structure=structure, pending=True)
    with pytest.raises(ValidationError, match="n'est pas rattaché"):
        services.membership_revoke(membership=pending, actor=manager)


def test_a_plain_user_cannot_detach_others_but_may_leave(structure, manager):
    member = MembershipFactory(structure=structure)
    other = MembershipFactory(structure=structure)
    with pytest.raises(PermissionDenied):
        services.membership_revoke(membership=other, actor=member.user)
    services.membership_revoke(membership=member, actor=member.user)
    member.refresh_from_db()
    other.refresh_from_db()
    assert (member.status, other.status) == (MembershipStatus.REVOKED, MembershipStatus.ACTIVE)


# --- set main manager -------------------------------------------------------------------------


def test_support_names_a_new_main_manager(structure, manager, django_capture_on_commit_callbacks):
    member = MembershipFactory(structure=structure)
    staff = SupportUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_set_main_manager(membership=member, actor=staff)
    member.refresh_from_db()
    previous = Membership.objects.get(user=manager, structure=structure)
    assert member.role == MembershipRole.MAIN_MANAGER
    assert previous.role == MembershipRole.USER
    assert previous.status == MembershipStatus.ACTIVE
    assert events(member) == [(Action.ROLE_CHANGED, staff.pk)]
    assert events(previous) == [(Action.ROLE_CHANGED, staff.pk)]
    assert [m.to for m in mail.outbox] == [[member.user.email]]


def test_only_support_names_a_main_manager(structure, manager):
    member = MembershipFactory(structure=structure)
    with pytest.raises(PermissionDenied):
        services.membership_set_main_manager(membership=member, actor=manager)
    member.refresh_from_db()
    assert member.role == MembershipRole.USER


def test_main_manager_must_be_an_active_member(structure, manager):
    pending = MembershipFactory(structure=structure, pending=True)
    with pytest.raises(ValidationError, match="membre actif"):
        services.membership_set_main_manager(membership=pending, actor=SupportUserFactory())
    assert Membership.objects.get(user=manager).role == MembershipRole.MAIN_MANAGER


# --- structure data ---------------------------------------------------------------------------


def test_structure_update(structure, manager):
    services.structure_update(structure=structure, actor=manager, name=" Nouveau nom ", city="Lyon", vat_number="")
    structure.refresh_from_db()
    assert (structure.name, structure.city) == ("Nouveau nom", "Lyon")


def test_structure_update_rules(structure, manager):
    with pytest.raises(PermissionDenied):
        services.structure_update(structure=structure, actor=MembershipFactory(structure=structure).user, name="X")
    with pytest.raises(ValidationError):
        services.structure_update(structure=structure, actor=manager, vat_number="FR00000000000")
    with pytest.raises(TypeError):
        services.structure_update(structure=structure, actor=manager, identifier=make_siret(9))
    structure.refresh_from_db()
    assert structure.name != "X" and structure.vat_number == ""


def vat_of(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def test_the_vat_number_must_match_the_siren(structure, manager):
    siren = structure.identifier[:9]
    with pytest.raises(ValidationError) as info:
        services.structure_update(structure=structure, actor=manager, vat_number="FR40303265045")
    assert info.value.message_dict == {
        "vat_number": [f"Ce numéro de TVA ne correspond pas au SIREN de la structure ({siren})."]
    }
    with pytest.raises(ValidationError) as info:
        services.structure_create(
            user=UserFactory(),
            identifier_type=IdentifierType.SIRET,
            identifier="732 829 320 00074",
            name="Dupont",
            vat_number="FR40303265045",
        )
    assert "(732829320)" in info.value.message_dict["vat_number"][0]
    assert not Structure.objects.filter(identifier="73282932000074").exists()
    structure.refresh_from_db()
    assert structure.vat_number == ""
    services.structure_update(structure=structure, actor=manager, vat_number=vat_of(siren).lower())
    structure.refresh_from_db()
    assert structure.vat_number == vat_of(siren)


def test_service_create_update_deactivate(structure, manager):
    service = services.service_create(structure=structure, actor=manager, code=" compta ", name="Comptabilité")
    assert (service.code, service.is_active) == ("COMPTA", True)
    services.service_update(service=service, actor=manager, name="Service comptable", code="COMPTA")
    services.service_deactivate(service=service, actor=manager)
    service.refresh_from_db()
    assert (service.name, service.is_active) == ("Service comptable", False)


def test_service_rules(structure, manager):
    ServiceFactory(structure=structure, code="ACHATS")
    with pytest.raises(ValidationError) as info:
        services.service_create(structure=structure, actor=manager, code="achats", name="Doublon")
    assert "déjà le code ACHATS" in info.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as info:
        services.service_create(structure=structure, actor=manager, code="FACTURES_PUBLIQUES", name="X")
    assert "réservé" in info.value.message_dict["code"][0]
    with pytest.raises(PermissionDenied):
        services.service_create(
            structure=structure, actor=MembershipFactory(structure=structure).user, code="A", name="A"
        )
    assert Service.objects.filter(structure=structure).count() == 1


def test_bank_account_create_normalizes_and_validates(structure, manager):
    account = services.bank_account_create(
        structure=structure,
        actor=manager,
        label="Compte",
        iban="fr76 3000 6000 0112 3456 7890 189",
        bic="agri fr pp xxx",
    )
    assert (account.iban, account.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")
    with pytest.raises(ValidationError) as info:
        services.bank_account_create(
            structure=structure, actor=manager, label="Bis", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"
        )
    assert "déjà enregistré" in info.value.message_dict["iban"][0]
    with pytest.raises(ValidationError) as info:
        services.bank_account_create(
            structure=structure, actor=manager, label="Faux", iban="FR7630006000011234567890188", bic="AGRIFRPP1"
        )
    assert set(info.value.message_dict) == {"iban", "bic"}
    assert BankAccount.objects.filter(structure=structure).count() == 1


def test_bank_account_update_and_deactivate(structure, manager):
    account = BankAccountFactory(structure=structure)
    services.bank_account_update(bank_account=account, actor=manager, iban="DE89 3704 0044 0532 0130 00", label="DE")
    services.bank_account_deactivate(bank_account=account, actor=manager)
    account.refresh_from_db()
    assert (account.iban, account.label, account.is_active) == ("DE89370400440532013000", "DE", False)
    with pytest.raises(PermissionDenied):
        services.bank_account_deactivate(bank_account=account, actor=MembershipFactory().user)


def test_bank_account_only_for_private_structures():
    public = StructureFactory(public=True)
    staff = SupportUserFactory()
    with pytest.raises(ValidationError, match="structure privée"):
        services.bank_account_create(
            structure=public, actor=staff, label="X", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX"
        )


# --- mandate ----------------------------------------------------------------------------------


def test_accept_mandate_records_who_and_when_once_and_the_cgu(structure):
    first = MembershipFactory(structure=structure, manager=True, user__cgu_accepted_at=None).user
    second = MembershipFactory(structure=structure).user
    services.structure_accept_mandate(structure=structure, user=first)
    structure.refresh_from_db()
    first.refresh_from_db()
    accepted_at = structure.mandate_accepted_at
    assert accepted_at is not None and structure.mandate_accepted_by == first
    assert first.cgu_accepted_at is not None
    services.structure_accept_mandate(structure=structure, user=second)
    structure.refresh_from_db()
    assert (structure.mandate_accepted_at, structure.mandate_accepted_by) == (accepted_at, first)


def test_accept_mandate_needs_an_active_membership(structure):
    pending = MembershipFactory(structure=structure, pending=True).user
    with pytest.raises(PermissionDenied):
        services.structure_accept_mandate(structure=structure, user=pending)
    structure.refresh_from_db()
    assert structure.mandate_accepted_at is None
