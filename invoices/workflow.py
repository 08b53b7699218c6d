"""The invoice lifecycle: one explicit transition table, plain Python, no ORM.

Every status of the reference (chorus-domain.md §5) with its French label and its code in the
2026 e-invoicing reform; every transition with its sources, its target, who may fire it and
whether a motif (or a n° de mandat) is required. ``invoice_transition`` (services) is the only
writer of a status and asks this table first; a repeated delivery of the same task finds the
invoice already in the target status and changes nothing.

No wildcard sources: each transition names the statuses it leaves from.
"""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    BROUILLON = "BROUILLON"
    DEPOSEE = "DEPOSEE"
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT"
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"
    A_RECYCLER = "A_RECYCLER"
    SUSPENDUE = "SUSPENDUE"
    COMPLETEE = "COMPLETEE"
    REJETEE = "REJETEE"
    SERVICE_FAIT = "SERVICE_FAIT"
    MANDATEE = "MANDATEE"
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
    COMPTABILISEE = "COMPTABILISEE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"


# French label and reform lifecycle code ("" where the reform has none).
STATUS_INFO: dict[Status, tuple[str, str]] = {
    Status.BROUILLON: ("Brouillon", ""),
    Status.DEPOSEE: ("Déposée", "200"),
    Status.EN_COURS_ACHEMINEMENT: ("En cours d'acheminement", "201"),
    Status.MISE_A_DISPOSITION: ("Mise à disposition du destinataire", "203"),
    Status.PRISE_EN_COMPTE_DESTINATAIRE: ("Prise en compte", "204"),
    Status.A_RECYCLER: ("À recycler", "221"),
    Status.SUSPENDUE: ("Suspendue", "208"),
    Status.COMPLETEE: ("Complétée", "209"),
    Status.REJETEE: ("Rejetée", "210"),
    Status.SERVICE_FAIT: ("Service fait", "205"),
    Status.MANDATEE: ("Mandatée", "211"),
    Status.MISE_A_DISPOSITION_COMPTABLE: ("Mise à disposition du comptable", ""),
    Status.COMPTABILISEE: ("Comptabilisée", ""),
    Status.MISE_EN_PAIEMENT: ("Mise en paiement", "212"),
}

STATUS_CHOICES = [(status.value, STATUS_INFO[status][0]) for status in Status]

FINAL_STATUSES = frozenset({Status.REJETEE, Status.MISE_EN_PAIEMENT})


def status_label(status: str) -> str:
    return STATUS_INFO[Status(status)][0]


def reform_code(status: str) -> str:
    return STATUS_INFO[Status(status)][1]


class Actor(StrEnum):
    SYSTEM = "systeme"
    SUPPLIER = "fournisseur"
    RECIPIENT = "destinataire"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status
    actors: frozenset[Actor]
    motif_required: bool = False
    mandate_number_required: bool = False


# Statuses from which the recipient works on an invoice (it has reached them).
_RECEIVED = frozenset({Status.MISE_A_DISPOSITION, Status.COMPLETEE, Status.PRISE_EN_COMPTE_DESTINATAIRE})
# Forward-only processing chain; a later step may follow any earlier one directly.
_CHAIN = [
    Status.SERVICE_FAIT,
    Status.MANDATEE,
    Status.MISE_A_DISPOSITION_COMPTABLE,
    Status.COMPTABILISEE,
    Status.MISE_EN_PAIEMENT,
]


def _before(step: Status) -> frozenset[Status]:
    return _RECEIVED | frozenset(_CHAIN[: _CHAIN.index(step)])


_SYSTEM = frozenset({Actor.SYSTEM})
_SUPPLIER = frozenset({Actor.SUPPLIER})
_RECIPIENT = frozenset({Actor.RECIPIENT})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("deposer", "Valider et envoyer", frozenset({Status.BROUILLON}), Status.DEPOSEE, _SUPPLIER),
        Transition(
            "acheminer",
            "Acheminer",
            frozenset({Status.DEPOSEE}),
            Status.EN_COURS_ACHEMINEMENT,
            _SYSTEM,
        ),
        Transition(
            "mettre_a_disposition",
            "Mettre à disposition du destinataire",
            frozenset({Status.EN_COURS_ACHEMINEMENT}),
            Status.MISE_A_DISPOSITION,
            _SYSTEM,
        ),
        Transition(
            "echec_acheminement",
            "Renvoyer au fournisseur (erreur d'acheminement)",
            frozenset({Status.EN_COURS_ACHEMINEMENT}),
            Status.A_RECYCLER,
            _SYSTEM,
            motif_required=True,
        ),
        Transition(
            "prendre_en_compte",
            "Prendre en compte",
            frozenset({Status.MISE_A_DISPOSITION, Status.COMPLETEE}),
            Status.PRISE_EN_COMPTE_DESTINATAIRE,
            _RECIPIENT,
        ),
        Transition("service_fait", "Service fait", _before(Status.SERVICE_FAIT), Status.SERVICE_FAIT, _RECIPIENT),
        Transition(
            "mandater",
            "Mandater",
            _before(Status.MANDATEE),
            Status.MANDATEE,
            _RECIPIENT,
            mandate_number_required=True,
        ),
        Transition(
            "mettre_a_disposition_comptable",
            "Mettre à disposition du comptable",
            _before(Status.MISE_A_DISPOSITION_COMPTABLE),
            Status.MISE_A_DISPOSITION_COMPTABLE,
            _RECIPIENT,
        ),
        Transition("comptabiliser", "Comptabiliser", _before(Status.COMPTABILISEE), Status.COMPTABILISEE, _RECIPIENT),
        Transition(
            "mettre_en_paiement",
            "Mettre en paiement",
            _before(Status.MISE_EN_PAIEMENT),
            Status.MISE_EN_PAIEMENT,
            _RECIPIENT,
        ),
        Transition(
            "suspendre",
            "Suspendre",
            _RECEIVED | {Status.SERVICE_FAIT},
            Status.SUSPENDUE,
            _RECIPIENT,
            motif_required=True,
        ),
        Transition("completer", "Compléter", frozenset({Status.SUSPENDUE}), Status.COMPLETEE, _SUPPLIER),
        Transition(
            "rejeter",
            "Rejeter",
            _RECEIVED | {Status.SUSPENDUE, Status.SERVICE_FAIT},
            Status.REJETEE,
            _RECIPIENT,
            motif_required=True,
        ),
        Transition(
            "mettre_a_recycler",
            "Mettre à recycler",
            _RECEIVED,
            Status.A_RECYCLER,
            _RECIPIENT,
            motif_required=True,
        ),
        Transition(
            "recycler",
            "Recycler",
            frozenset({Status.A_RECYCLER}),
            Status.EN_COURS_ACHEMINEMENT,
            _SUPPLIER,
        ),
    ]
}


class TransitionError(Exception):
    """A transition that the table does not allow; its message is French and shown to users."""


class AlreadyApplied(TransitionError):
    """The invoice is already in the target status of this transition (a repeated delivery)."""


def check(
    *, status: str, transition: str, actor: Actor, motif: str | None = None, mandate_number: str | None = None
) -> Transition:
    """Return the transition if ``actor`` may fire it from ``status``; raise TransitionError otherwise.

    ``AlreadyApplied`` is raised when the invoice is already in the target status and the
    transition could not fire again from there, so that a task delivered twice is a no-op.
    """
    try:
        t = TRANSITIONS[transition]
    except KeyError:
        raise TransitionError(f"Action inconnue : {transition}.") from None
    current = Status(status)
    if actor not in t.actors:
        raise TransitionError(f"L'action « {t.label} » n'est pas permise à ce profil.")
    if current not in t.sources:
        if current == t.target:
            raise AlreadyApplied(f"La facture est déjà au statut « {status_label(current)} ».")
        raise TransitionError(f"L'action « {t.label} » est impossible au statut « {status_label(current)} ».")
    if t.motif_required and not (motif or "").strip():
        raise TransitionError(f"Un motif est obligatoire pour l'action « {t.label} ».")
    if t.mandate_number_required and not (mandate_number or "").strip():
        raise TransitionError("Le numéro de mandat est obligatoire pour mandater une facture.")
    return t


def available(*, status: str, actor: Actor) -> list[Transition]:
    """Transitions ``actor`` may fire from ``status``, in table order (for buttons and actions)."""
    current = Status(status)
    return [t for t in TRANSITIONS.values() if actor in t.actors and current in t.sources]
