"""The invoice lifecycle: the one status enum and the one transition table, plain Python, no ORM.

Every status of the reference (chorus-domain.md §5) with its French label and its code in the
2026 e-invoicing reform; every transition with its sources, its target and everything the rest of
the portal asks about it: who may fire it, whether it needs a motif and which motifs it accepts,
whether it needs a n° de mandat, whether the supplier is e-mailed about it, whether the invoice is
routed again after it. ``lifecycle.invoice_transition`` is the only writer of a status and asks
this table first; the admin's actions, the operator commands, the tasks and the supplier's pages
offer exactly what the table allows (tests/invoices/test_table_doors.py walks it). A repeated
delivery of the same task finds the invoice already in the target status and changes nothing.

No wildcard sources: each transition names the statuses it leaves from.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Status(TextChoices):
    """The statuses of an invoice; the values are the official codes (stored as they are)."""

    BROUILLON = "BROUILLON", _("Brouillon")
    DEPOSEE = "DEPOSEE", _("Déposée")
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT", _("En cours d'acheminement")
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION", _("Mise à disposition du destinataire")
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE", _("Prise en compte")
    A_RECYCLER = "A_RECYCLER", _("À recycler")
    SUSPENDUE = "SUSPENDUE", _("Suspendue")
    COMPLETEE = "COMPLETEE", _("Complétée")
    REJETEE = "REJETEE", _("Rejetée")
    SERVICE_FAIT = "SERVICE_FAIT", _("Service fait")
    MANDATEE = "MANDATEE", _("Mandatée")
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE", _("Mise à disposition du comptable")
    COMPTABILISEE = "COMPTABILISEE", _("Comptabilisée")
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT", _("Mise en paiement")


# Code of each status in the 2026 e-invoicing reform ("" where the reform has none).
REFORM_CODES: dict[Status, str] = {
    Status.BROUILLON: "",
    Status.DEPOSEE: "200",
    Status.EN_COURS_ACHEMINEMENT: "201",
    Status.MISE_A_DISPOSITION: "203",
    Status.PRISE_EN_COMPTE_DESTINATAIRE: "204",
    Status.A_RECYCLER: "221",
    Status.SUSPENDUE: "208",
    Status.COMPLETEE: "209",
    Status.REJETEE: "210",
    Status.SERVICE_FAIT: "205",
    Status.MANDATEE: "211",
    Status.MISE_A_DISPOSITION_COMPTABLE: "",
    Status.COMPTABILISEE: "",
    Status.MISE_EN_PAIEMENT: "212",
}


def status_label(status: str) -> str:
    return str(Status(status).label)


def reform_code(status: str) -> str:
    return REFORM_CODES[Status(status)]


class Actor(StrEnum):
    SYSTEM = "systeme"
    SUPPLIER = "fournisseur"
    RECIPIENT = "destinataire"


class MotifRule(StrEnum):
    """Which motifs a transition takes: none, any active motif, or only a recyclable one (a motif
    that lets the supplier correct the recipient, code service or EJ and send the invoice again)."""

    NONE = "aucun"
    ANY = "tous"
    RECYCLABLE = "recyclables"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status
    actors: frozenset[Actor]
    motifs: MotifRule = MotifRule.NONE
    mandate_number_required: bool = False
    # The supplier is e-mailed about it (what the routing and the recipient do).
    notifies: bool = False
    # The routing task runs after it (it continues from DEPOSEE or EN_COURS_ACHEMINEMENT).
    reroutes: bool = False

    @property
    def motif_required(self) -> bool:
        return self.motifs != MotifRule.NONE

    @property
    def needs_input(self) -> bool:
        """Whether a person must give something before it fires (a motif, a n° de mandat)."""
        return self.motif_required or self.mandate_number_required


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


def _recipient_step(name: str, label: str, target: Status, **options) -> "Transition":
    return Transition(name, label, _before(target), target, _RECIPIENT, notifies=True, **options)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "deposer",
            "Valider et envoyer",
            frozenset({Status.BROUILLON}),
            Status.DEPOSEE,
            _SUPPLIER,
            reroutes=True,
        ),
        Transition("acheminer", "Acheminer", frozenset({Status.DEPOSEE}), Status.EN_COURS_ACHEMINEMENT, _SYSTEM),
        Transition(
            "mettre_a_disposition",
            "Mettre à disposition du destinataire",
            frozenset({Status.EN_COURS_ACHEMINEMENT}),
            Status.MISE_A_DISPOSITION,
            _SYSTEM,
            notifies=True,
        ),
        Transition(
            "echec_acheminement",
            "Renvoyer au fournisseur (erreur d'acheminement)",
            frozenset({Status.EN_COURS_ACHEMINEMENT}),
            Status.A_RECYCLER,
            _SYSTEM,
            motifs=MotifRule.ANY,  # the technical motifs of the routing (SE/EJ, créancier)
            notifies=True,
        ),
        Transition(
            "prendre_en_compte",
            "Prendre en compte",
            frozenset({Status.MISE_A_DISPOSITION, Status.COMPLETEE}),
            Status.PRISE_EN_COMPTE_DESTINATAIRE,
            _RECIPIENT,
            notifies=True,
        ),
        _recipient_step("service_fait", "Service fait", Status.SERVICE_FAIT),
        _recipient_step("mandater", "Mandater", Status.MANDATEE, mandate_number_required=True),
        _recipient_step(
            "mettre_a_disposition_comptable", "Mettre à disposition du comptable", Status.MISE_A_DISPOSITION_COMPTABLE
        ),
        _recipient_step("comptabiliser", "Comptabiliser", Status.COMPTABILISEE),
        _recipient_step("mettre_en_paiement", "Mettre en paiement", Status.MISE_EN_PAIEMENT),
        Transition(
            "suspendre",
            "Suspendre",
            _RECEIVED | {Status.SERVICE_FAIT},
            Status.SUSPENDUE,
            _RECIPIENT,
            motifs=MotifRule.ANY,
            notifies=True,
        ),
        Transition("completer", "Compléter", frozenset({Status.SUSPENDUE}), Status.COMPLETEE, _SUPPLIER),
        Transition(
            "rejeter",
            "Rejeter",
            _RECEIVED | {Status.SUSPENDUE, Status.SERVICE_FAIT},
            Status.REJETEE,
            _RECIPIENT,
            motifs=MotifRule.ANY,
            notifies=True,
        ),
        Transition(
            "mettre_a_recycler",
            "Mettre à recycler",
            _RECEIVED,
            Status.A_RECYCLER,
            _RECIPIENT,
            motifs=MotifRule.RECYCLABLE,
            notifies=True,
        ),
        Transition(
            "recycler",
            "Recycler",
            frozenset({Status.A_RECYCLER}),
            Status.EN_COURS_ACHEMINEMENT,
            _SUPPLIER,
            reroutes=True,
        ),
    ]
}

# Statuses no transition leaves: the invoice's story is over (rejected, or paid).
END_STATUSES = frozenset(set(Status) - {source for t in TRANSITIONS.values() for source in t.sources})
# The statuses an invoice is routed from (what the routing task and the sweeper look for).
ROUTING_STATUSES = frozenset({Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT})
# Status in which the supplier "traite le rejet" (acknowledges it; no status change).
REJECTED = Status.REJETEE
# Sent invoices on which the supplier must act on what the recipient or the routing said: those a
# supplier transition leaves (compléter, recycler), and a rejection to handle.
SUPPLIER_ACTION_STATUSES = frozenset(
    {source for t in TRANSITIONS.values() if Actor.SUPPLIER in t.actors for source in t.sources} - {Status.BROUILLON}
) | {REJECTED}


class TransitionError(Exception):
    """A transition that the table does not allow; its message is French and shown to users."""


class AlreadyApplied(TransitionError):
    """The invoice is already in the target status of this transition (a repeated delivery)."""


def transitions_for(actor: Actor) -> list[Transition]:
    """The transitions ``actor`` may fire from some status, in table order."""
    return [t for t in TRANSITIONS.values() if actor in t.actors]


def get(transition: str, *, actor: Actor | None = None) -> Transition:
    """The transition named ``transition`` (for ``actor`` if given); TransitionError otherwise."""
    try:
        t = TRANSITIONS[transition]
    except KeyError:
        raise TransitionError(f"Action inconnue : {transition}.") from None
    if actor is not None and actor not in t.actors:
        raise TransitionError(f"L'action « {t.label} » n'est pas permise à ce profil.")
    return t


def check(
    *, status: str, transition: str, actor: Actor, motif: str | None = None, mandate_number: str | None = None
) -> Transition:
    """Return the transition if ``actor`` may fire it from ``status``; raise TransitionError otherwise.

    ``AlreadyApplied`` is raised when the invoice is already in the target status and the
    transition could not fire again from there, so that a task delivered twice is a no-op.
    Which motifs are accepted (recyclable or not) needs the catalogue: ``lifecycle.motif_resolve``.
    """
    t = get(transition, actor=actor)
    current = Status(status)
    if current not in t.sources:
        if current == t.target:
            raise AlreadyApplied(f"La facture est déjà au statut « {status_label(current)} ».")
        raise TransitionError(f"L'action « {t.label} » est impossible au statut « {status_label(current)} ».")
    if t.motif_required and not (motif or "").strip():
        raise TransitionError(f"Un motif est obligatoire pour l'action « {t.label} ».")
    if t.mandate_number_required and not (mandate_number or "").strip():
        raise TransitionError("Le numéro de mandat est obligatoire pour mandater une facture.")
    return t


def allows(*, status: str, transition: str, actor: Actor) -> bool:
    """Whether ``actor`` may fire ``transition`` from ``status`` (motif and n° de mandat aside)."""
    t = TRANSITIONS.get(transition)
    return t is not None and actor in t.actors and Status(status) in t.sources


def available(*, status: str, actor: Actor) -> list[Transition]:
    """Transitions ``actor`` may fire from ``status``, in table order (for buttons and actions)."""
    current = Status(status)
    return [t for t in TRANSITIONS.values() if actor in t.actors and current in t.sources]
