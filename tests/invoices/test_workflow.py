"""Every (status, transition) pair of the lifecycle table, without a database.

The expected table is written out here by hand from the reference (chorus-domain.md §5), so a
change to invoices/workflow.py that opens or closes a path makes this test fail.
"""

import pytest

from invoices.workflow import (
    TRANSITIONS,
    Actor,
    AlreadyApplied,
    Status,
    TransitionError,
    available,
    check,
    reform_code,
    status_label,
)

S = Status
RECEIVED = {S.MISE_A_DISPOSITION, S.COMPLETEE, S.PRISE_EN_COMPTE_DESTINATAIRE}

# transition: (allowed sources, target, actor, motif required, n° de mandat required)
EXPECTED = {
    "deposer": ({S.BROUILLON}, S.DEPOSEE, Actor.SUPPLIER, False, False),
    "acheminer": ({S.DEPOSEE}, S.EN_COURS_ACHEMINEMENT, Actor.SYSTEM, False, False),
    "mettre_a_disposition": ({S.EN_COURS_ACHEMINEMENT}, S.MISE_A_DISPOSITION, Actor.SYSTEM, False, False),
    "echec_acheminement": ({S.EN_COURS_ACHEMINEMENT}, S.A_RECYCLER, Actor.SYSTEM, True, False),
    "prendre_en_compte": (
        {S.MISE_A_DISPOSITION, S.COMPLETEE},
        S.PRISE_EN_COMPTE_DESTINATAIRE,
        Actor.RECIPIENT,
        False,
        False,
    ),
    "service_fait": (RECEIVED, S.SERVICE_FAIT, Actor.RECIPIENT, False, False),
    "mandater": (RECEIVED | {S.SERVICE_FAIT}, S.MANDATEE, Actor.RECIPIENT, False, True),
    "mettre_a_disposition_comptable": (
        RECEIVED | {S.SERVICE_FAIT, S.MANDATEE},
        S.MISE_A_DISPOSITION_COMPTABLE,
        Actor.RECIPIENT,
        False,
        False,
    ),
    "comptabiliser": (
        RECEIVED | {S.SERVICE_FAIT, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE},
        S.COMPTABILISEE,
        Actor.RECIPIENT,
        False,
        False,
    ),
    "mettre_en_paiement": (
        RECEIVED | {S.SERVICE_FAIT, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE},
        S.MISE_EN_PAIEMENT,
        Actor.RECIPIENT,
        False,
        False,
    ),
    "suspendre": (RECEIVED | {S.SERVICE_FAIT}, S.SUSPENDUE, Actor.RECIPIENT, True, False),
    "completer": ({S.SUSPENDUE}, S.COMPLETEE, Actor.SUPPLIER, False, False),
    "rejeter": (RECEIVED | {S.SUSPENDUE, S.SERVICE_FAIT}, S.REJETEE, Actor.RECIPIENT, True, False),
    "mettre_a_recycler": (RECEIVED, S.A_RECYCLER, Actor.RECIPIENT, True, False),
    "recycler": ({S.A_RECYCLER}, S.EN_COURS_ACHEMINEMENT, Actor.SUPPLIER, False, False),
}

PAIRS = [(status, name) for status in Status for name in EXPECTED]


def test_table_has_exactly_the_expected_transitions():
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize("status, name", PAIRS, ids=[f"{s.value}-{n}" for s, n in PAIRS])
def test_every_status_transition_pair(status, name):
    sources, target, actor, motif_required, mandate_required = EXPECTED[name]
    kwargs = {"motif": "Justificatif absent", "mandate_number": "M-2026-001"}
    if status in sources:
        transition = check(status=status, transition=name, actor=actor, **kwargs)
        assert transition.target == target
        # Nobody else may fire it.
        for other in set(Actor) - {actor}:
            with pytest.raises(TransitionError, match="n'est pas permise"):
                check(status=status, transition=name, actor=other, **kwargs)
        if motif_required:
            with pytest.raises(TransitionError, match="motif est obligatoire"):
                check(status=status, transition=name, actor=actor, motif="  ", mandate_number="M-1")
        if mandate_required:
            with pytest.raises(TransitionError, match="numéro de mandat"):
                check(status=status, transition=name, actor=actor, motif="x", mandate_number="")
    elif status == target:
        with pytest.raises(AlreadyApplied):
            check(status=status, transition=name, actor=actor, **kwargs)
    else:
        with pytest.raises(TransitionError, match="impossible au statut") as excinfo:
            check(status=status, transition=name, actor=actor, **kwargs)
        assert not isinstance(excinfo.value, AlreadyApplied)


def test_final_statuses_have_no_way_out():
    for status in (S.REJETEE, S.MISE_EN_PAIEMENT):
        for actor in Actor:
            assert available(status=status, actor=actor) == []


def test_processing_chain_never_goes_back():
    chain = [S.SERVICE_FAIT, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE, S.MISE_EN_PAIEMENT]
    for i, status in enumerate(chain):
        targets = {t.target for t in available(status=status, actor=Actor.RECIPIENT)}
        assert not targets & set(chain[: i + 1])


def test_available_lists_recipient_actions_in_order():
    names = [t.name for t in available(status=S.MISE_A_DISPOSITION, actor=Actor.RECIPIENT)]
    assert names[0] == "prendre_en_compte"
    assert {"suspendre", "rejeter", "mettre_a_recycler", "mettre_en_paiement"} <= set(names)


def test_unknown_transition():
    with pytest.raises(TransitionError, match="Action inconnue"):
        check(status=S.DEPOSEE, transition="payer_deux_fois", actor=Actor.SYSTEM)


@pytest.mark.parametrize(
    "status, label, code",
    [
        (S.DEPOSEE, "Déposée", "200"),
        (S.MISE_A_DISPOSITION, "Mise à disposition du destinataire", "203"),
        (S.A_RECYCLER, "À recycler", "221"),
        (S.REJETEE, "Rejetée", "210"),
        (S.MISE_EN_PAIEMENT, "Mise en paiement", "212"),
        (S.COMPTABILISEE, "Comptabilisée", ""),
    ],
)
def test_labels_and_reform_codes(status, label, code):
    assert status_label(status) == label
    assert reform_code(status) == code
