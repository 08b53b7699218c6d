"""Support attaches ministry agents to their public structure and detaches them: rules, history, e-mail."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from structures import access, services
from structures.models import Membership, MembershipEvent, MembershipRole, MembershipStatus
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory, SupportUserFactory, make_agent

pytestmark = pytest.mark.django_db

Action = MembershipEvent.Action


@pytest.fixture
def ministry():
    return StructureFactory(public=True, name="Ministère de la Culture")


@pytest.fixture
def support():
    return SupportUserFactory()


def history(membership):
    return list(membership.events.order_by("id").values_list("action", "actor_id", "comment"))


def test_support_attaches_an_agent(ministry, support, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://chorus.example"
    agent = UserFactory(email="agnes@culture.example", contact_email="agnes.contact@culture.example")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.recipient_staff_attach(actor=support, user=agent, structure=ministry)
    membership.refresh_from_db()
    agent.refresh_from_db()
    assert (membership.status, membership.role, membership.decided_by) == (
        MembershipStatus.ACTIVE,
        MembershipRole.USER,
        support,
    )
    assert agent.is_staff and not agent.is_superuser
    assert access.is_recipient_staff(agent, ministry)
    assert not access.is_support(agent)
    assert history(membership) == [(Action.ATTACHED, support.pk, "")]
    [message] = mail.outbox
    assert message.to == ["agnes.contact@culture.example"]
    assert message.subject.endswith("Vous êtes rattaché(e) à Ministère de la Culture en tant qu'agent")
    assert "https://chorus.example/admin/" in message.body
    assert ministry.identifier in message.body


def test_only_support_attaches(ministry):
    agent = UserFactory()
    other_agent = make_agent()  # staff, agent of another ministry
    manager = MembershipFactory(manager=True).user
    for actor in (other_agent, manager, UserFactory(), UserFactory(staff=True)):
        with pytest.raises(PermissionDenied, match="Seul le support peut rattacher un agent"):
            services.recipient_staff_attach(actor=actor, user=agent, structure=ministry)
    agent.refresh_from_db()
    assert not agent.is_staff
    assert not Membership.objects.filter(user=agent).exists()
    assert mail.outbox == []


def test_only_public_structures_take_agents(support):
    supplier = StructureFactory()
    agent = UserFactory()
    with pytest.raises(ValidationError) as info:
        services.recipient_staff_attach(actor=support, user=agent, structure=supplier)
    assert "n'est pas une structure publique" in info.value.message_dict["structure"][0]
    agent.refresh_from_db()
    assert not agent.is_staff and not Membership.objects.exists()


def test_the_account_must_be_active(ministry, support):
    agent = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as info:
        services.recipient_staff_attach(actor=support, user=agent, structure=ministry)
    assert "désactivé" in info.value.message_dict["user"][0]
    assert not Membership.objects.exists()


def test_an_agent_already_attached_is_refused(ministry, support):
    agent = make_agent(ministry)
    with pytest.raises(ValidationError) as info:
        services.recipient_staff_attach(actor=support, user=agent, structure=ministry)
    assert "est déjà rattaché à Ministère de la Culture" in info.value.message_dict["user"][0]
    assert not MembershipEvent.objects.exists()


def test_a_former_agent_is_attached_again_on_the_same_row(ministry, support):
    former = MembershipFactory(structure=ministry, revoked=True)
    membership = services.recipient_staff_attach(actor=support, user=former.user, structure=ministry)
    assert membership.pk == former.pk
    former.refresh_from_db()
    assert former.status == MembershipStatus.ACTIVE
    assert Membership.objects.filter(user=former.user).count() == 1


def test_an_operator_command_attaches_without_a_support_account(ministry):
    agent = UserFactory()
    membership = services.recipient_staff_attach(actor=None, user=agent, structure=ministry, comment="Commande")
    assert history(membership) == [(Action.ATTACHED, None, "Commande")]
    agent.refresh_from_db()
    assert agent.is_staff


# --- detach -------------------------------------------------------------------------------------


def test_support_detaches_an_agent(ministry, support, django_capture_on_commit_callbacks):
    agent = make_agent(ministry)
    membership = Membership.objects.get(user=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.recipient_staff_detach(actor=support, membership=membership)
    membership.refresh_from_db()
    agent.refresh_from_db()
    assert membership.status == MembershipStatus.REVOKED
    assert history(membership) == [(Action.REVOKED, support.pk, "")]
    assert not agent.is_staff
    assert not access.is_recipient_staff(agent)
    [message] = mail.outbox
    assert message.to == [agent.email]
    assert "Vous n'êtes plus agent de Ministère de la Culture" in message.subject


def test_detach_by_user_and_structure_keeps_staff_while_another_recipient_remains(ministry, support):
    other = StructureFactory(public=True)
    agent = make_agent(ministry)
    MembershipFactory(user=agent, structure=other)
    services.recipient_staff_detach(actor=support, user=agent, structure=ministry)
    agent.refresh_from_db()
    assert agent.is_staff
    assert list(access.recipient_structures_for_staff(agent)) == [other]


@pytest.mark.parametrize("who", ["support", "superuser"])
def test_detach_keeps_staff_for_support_and_superusers(ministry, support, who):
    user = SupportUserFactory() if who == "support" else UserFactory(superuser=True)
    MembershipFactory(user=user, structure=ministry)
    services.recipient_staff_detach(actor=support, user=user, structure=ministry)
    user.refresh_from_db()
    assert user.is_staff


def test_detach_rules(ministry, support):
    agent = make_agent(ministry)
    with pytest.raises(PermissionDenied, match="Seul le support peut détacher"):
        services.recipient_staff_detach(actor=make_agent(ministry), user=agent, structure=ministry)
    stranger = UserFactory(staff=True)
    with pytest.raises(ValidationError, match="n'est pas rattaché à Ministère de la Culture"):
        services.recipient_staff_detach(actor=support, user=stranger, structure=ministry)
    supplier_member = MembershipFactory()
    with pytest.raises(ValidationError, match="n'est pas une structure publique"):
        services.recipient_staff_detach(actor=support, membership=supplier_member)
    services.recipient_staff_detach(actor=support, user=agent, structure=ministry)
    with pytest.raises(ValidationError, match="n'est pas rattaché"):
        services.recipient_staff_detach(actor=support, user=agent, structure=ministry)
    supplier_member.refresh_from_db()
    assert supplier_member.status == MembershipStatus.ACTIVE
    assert list(Membership.objects.get(user=agent).events.values_list("action", flat=True)) == [Action.REVOKED]
