"""manage.py attach_agent EMAIL SIRET [--detach]: French output, history, e-mail, clear refusals."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from structures.models import MembershipEvent, MembershipStatus
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_agent

pytestmark = pytest.mark.django_db

MINISTRY = "11100000600010"


@pytest.fixture
def ministry():
    return StructureFactory(public=True, identifier=MINISTRY, name="Ministère de l'Intérieur")


def run(*args, capture=None):
    out = io.StringIO()
    if capture is None:
        call_command("attach_agent", *args, stdout=out)
    else:
        with capture(execute=True):
            call_command("attach_agent", *args, stdout=out)
    return out.getvalue()


def run_failing(*args) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("attach_agent", *args, stdout=io.StringIO())
    return str(excinfo.value)


def test_attach_then_detach(ministry, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://chorus.example"
    agent = UserFactory(email="nadia@interieur.example", first_name="Nadia", last_name="Lefèvre")
    out = run("Nadia@Interieur.example", "111 000 006 00010", capture=django_capture_on_commit_callbacks)
    assert "Nadia Lefèvre <nadia@interieur.example> est rattaché à Ministère de l'Intérieur (11100000600010)" in out
    assert "https://chorus.example/admin/" in out
    membership = agent.memberships.get(structure=ministry)
    agent.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE and agent.is_staff
    event = membership.events.get()
    assert (event.action, event.actor, event.comment) == (
        MembershipEvent.Action.ATTACHED,
        None,
        "Commande d'exploitation : manage.py attach_agent",
    )
    assert [m.to for m in mail.outbox] == [[agent.email]]

    out = run(agent.email, MINISTRY, "--detach", capture=django_capture_on_commit_callbacks)
    assert "est détaché de Ministère de l'Intérieur (11100000600010) ; un e-mail l'en prévient." in out
    assert "Son compte n'ouvre plus l'administration." in out
    membership.refresh_from_db()
    agent.refresh_from_db()
    assert membership.status == MembershipStatus.REVOKED and not agent.is_staff
    assert list(membership.events.values_list("action", flat=True)) == [
        MembershipEvent.Action.ATTACHED,
        MembershipEvent.Action.REVOKED,
    ]
    assert len(mail.outbox) == 2


def test_bad_input_exits_non_zero_with_a_clear_message(ministry):
    supplier = StructureFactory(name="Fournitures SARL")
    user = UserFactory()
    assert run_failing("personne@nulle.part", MINISTRY) == "Aucun compte n'utilise l'adresse « personne@nulle.part »."
    assert run_failing(user.email, "12345678901234") == "Aucune structure n'a le SIRET « 12345678901234 »."
    assert "n'est pas une structure publique" in run_failing(user.email, supplier.identifier)
    agent = make_agent(ministry)
    assert "est déjà rattaché à Ministère de l'Intérieur" in run_failing(agent.email, MINISTRY)
    assert "n'est pas rattaché à Ministère de l'Intérieur" in run_failing(user.email, MINISTRY, "--detach")
    inactive = UserFactory(is_active=False)
    assert "est désactivé" in run_failing(inactive.email, MINISTRY)
    assert not user.memberships.exists() and not inactive.memberships.exists()
    assert not MembershipEvent.objects.exists()


def test_detach_keeps_staff_of_an_agent_of_another_recipient(ministry):
    agent = make_agent(ministry)
    MembershipFactory(user=agent, structure=StructureFactory(public=True))
    out = run(agent.email, MINISTRY, "--detach")
    assert "Son compte n'ouvre plus l'administration." not in out
    agent.refresh_from_db()
    assert agent.is_staff
