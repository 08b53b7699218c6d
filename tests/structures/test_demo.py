"""load_demo: the demo structures, memberships and EJ, loaded twice with the same result."""

import io

import pytest
from django.core.management import call_command
from stdnum.fr import siret

from accounts.models import User
from structures import demo
from structures.models import (
    BankAccount,
    EngagementJuridique,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Service,
    Structure,
    StructureKind,
)

pytestmark = pytest.mark.django_db

MODELS = [User, Structure, Service, BankAccount, EngagementJuridique, Membership, MembershipEvent]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_twice_is_idempotent():
    first_output = load_demo()
    first = counts()
    snapshot = list(Structure.objects.order_by("pk").values())
    second_output = load_demo()
    assert counts() == first
    assert list(Structure.objects.order_by("pk").values()) == snapshot
    assert first == {
        # The four demo accounts and the demo supplier's technical user of the API.
        "User": 5,
        "Structure": 10,
        "Service": 30,  # the directory's 28 and the supplier's two (AG-LYON, AG-PARIS)
        "BankAccount": 1,
        "EngagementJuridique": 5,
        "Membership": 4,
        "MembershipEvent": 5,
    }
    assert "API : client_id demo-fournitures-logiciel, client_secret Demo-Secret-API-2026" in second_output
    assert "Annuaire, structures publiques : 9 (créés : 9, mis à jour : 0, inchangés : 0)" in first_output
    assert "Annuaire, structures publiques : 9 (créés : 0, mis à jour : 0, inchangés : 9)" in second_output
    assert "Engagements juridiques : 5 (créés : 0, mis à jour : 0, inchangés : 5)" in second_output
    assert "Fournitures Démo SARL" in second_output
    assert "Factures de démonstration de Fournitures Démo SARL : 60" in second_output
    assert set(Structure.objects.filter(is_state=True).values_list("identifier", flat=True)) == set(demo.STATE_SIRETS)


def test_demo_supplier_members_and_engagements():
    load_demo()
    supplier = Structure.objects.get(identifier=demo.SUPPLIER_SIRET)
    assert supplier.kind == StructureKind.PRIVATE and supplier.name == "Fournitures Démo SARL"
    assert siret.is_valid(supplier.identifier)
    assert supplier.mandate_accepted_at is not None
    memberships = {m.user.email: m for m in supplier.memberships.select_related("user")}
    manager = memberships["gestionnaire@fournisseur.example"]
    member = memberships["utilisateur@fournisseur.example"]
    assert (manager.role, manager.status) == (MembershipRole.MAIN_MANAGER, MembershipStatus.ACTIVE)
    assert (member.role, member.status) == (MembershipRole.USER, MembershipStatus.ACTIVE)
    assert manager.events.filter(action=MembershipEvent.Action.CREATED_STRUCTURE).exists()
    assert list(member.events.values_list("action", flat=True)) == [
        MembershipEvent.Action.REQUESTED,
        MembershipEvent.Action.APPROVED,
    ]
    account = supplier.bank_accounts.get()
    account.full_clean()  # valid IBAN and BIC

    agent = Membership.objects.get(user__email="agent@ministere.example")
    assert agent.status == MembershipStatus.ACTIVE
    assert agent.structure.identifier == demo.MINISTRY_SIRET and agent.structure.kind == StructureKind.PUBLIC

    engagements = EngagementJuridique.objects.filter(supplier_identifier=supplier.identifier)
    recipients = set(engagements.values_list("recipient__identifier", flat=True))
    assert {"11100000600010", "11131676600018"} <= recipients
    assert all(Structure.objects.get(identifier=r).ej_required for r in recipients)
