"""Demo structures for `make run`: the sample directory, a supplier company, its members, bank
details and EJ, and the ministry agent's membership. Idempotent (safe to run twice).

The directory and the EJ go through the importers and the ministry agent is attached by the
support service (``recipient_staff_attach``), as in production; the supplier's memberships are
created directly, with their history rows, as if the manager had created the structure and
approved the member.
"""

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from structures import access, importers, services
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

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
ANNUAIRE_ZIP = DEMO_DIR / "annuaire-demo.zip"
ENGAGEMENTS_CSV = DEMO_DIR / "engagements.csv"

SUPPLIER_SIRET = "84215687900012"  # valid (Luhn), not in the sample directory
SUPPLIER = {
    "name": "Fournitures Démo SARL",
    "vat_number": "FR16842156879",
    "address_line1": "5 avenue de la Démonstration",
    "postal_code": "69002",
    "city": "LYON",
    "country_code": "FR",
    "country_label": "France",
    "phone": "0400000000",
    "email": "contact@fournisseur.example",
}
BANK_ACCOUNT = {"label": "Compte principal", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPPXXX"}
MINISTRY_SIRET = "11100000600010"  # Ministère de l'Intérieur (démonstration), EJ required
# Recipients of the State in the sample directory (the commune is not): the directory export has no
# column for it, support sets the flag (here, the demo).
STATE_SIRETS = ("11100000600010", "11107919000018", "11115838200015")
# The supplier's own services (service fournisseur), a criterion of "Rechercher".
SUPPLIER_SERVICES = (("AG-LYON", "Agence de Lyon"), ("AG-PARIS", "Agence de Paris"))


class DemoDataError(RuntimeError):
    pass


def _check(report: importers.ImportReport, what: str) -> None:
    problems = [f.error for f in report.errors] + [
        f"{f.display} ligne {line} : {reason}" for f in report.files for line, reason in f.rejects
    ]
    if problems or not report.accepted:
        raise DemoDataError(f"{what} : " + ("; ".join(problems) or "aucune ligne importée"))


def _ensure_membership(*, user, structure, role, history, decided_by=None) -> Membership:
    """An active membership; ``history`` lists the (action, actor) events written on creation."""
    membership, created = Membership.objects.get_or_create(
        user=user,
        structure=structure,
        defaults={
            "role": role,
            "status": MembershipStatus.ACTIVE,
            "decided_at": timezone.now(),
            "decided_by": decided_by,
        },
    )
    if created:
        for action, actor in history:
            MembershipEvent.objects.create(membership=membership, action=action, actor=actor)
    return membership


@transaction.atomic
def load(users: dict) -> dict:
    """Load the demo structures; ``users`` is the dict returned by ``accounts.demo.load()``."""
    manager, member, agent = users["gestionnaire"], users["utilisateur"], users["agent"]

    annuaire = importers.import_annuaire([ANNUAIRE_ZIP])
    _check(annuaire, "Annuaire de démonstration")

    supplier, _created = Structure.objects.get_or_create(
        identifier_type=IdentifierType.SIRET,
        identifier=SUPPLIER_SIRET,
        defaults={
            **SUPPLIER,
            "kind": StructureKind.PRIVATE,
            "mandate_accepted_at": timezone.now(),
            "mandate_accepted_by": manager,
        },
    )
    _ensure_membership(
        user=manager,
        structure=supplier,
        role=MembershipRole.MAIN_MANAGER,
        history=[(MembershipEvent.Action.CREATED_STRUCTURE, manager)],
    )
    _ensure_membership(
        user=member,
        structure=supplier,
        role=MembershipRole.USER,
        decided_by=manager,
        history=[(MembershipEvent.Action.REQUESTED, member), (MembershipEvent.Action.APPROVED, manager)],
    )
    BankAccount.objects.get_or_create(
        structure=supplier,
        iban=BANK_ACCOUNT["iban"],
        defaults={"label": BANK_ACCOUNT["label"], "bic": BANK_ACCOUNT["bic"]},
    )

    for code, name in SUPPLIER_SERVICES:
        Service.objects.get_or_create(structure=supplier, code=code, defaults={"name": name})
    Structure.objects.public().filter(identifier__in=STATE_SIRETS).update(is_state=True)

    engagements = importers.import_engagements([ENGAGEMENTS_CSV])
    _check(engagements, "Engagements juridiques de démonstration")

    ministry = Structure.objects.get(kind=StructureKind.PUBLIC, identifier=MINISTRY_SIRET)
    if not access.is_active_member(agent, ministry):
        services.recipient_staff_attach(actor=users.get("admin"), user=agent, structure=ministry)
    return {
        "annuaire": annuaire,
        "engagements": engagements,
        "supplier": supplier,
        "ministry": ministry,
        "public_structures": Structure.objects.public().count(),
    }
