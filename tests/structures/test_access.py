"""The access rules of structures/access.py: member, gestionnaire principal, support, recipient staff."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied

from invoices import selectors as invoice_selectors
from structures import access
from structures.models import Structure
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory, SupportUserFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("trait", ["pending", "refused", "revoked"])
def test_only_an_active_membership_makes_a_member(trait):
    inactive = MembershipFactory(**{trait: True})
    active = MembershipFactory(user=inactive.user)
    user = inactive.user
    assert access.is_active_member(user, active.structure)
    assert access.is_active_member(user, active.structure_id)
    assert not access.is_active_member(user, inactive.structure)
    assert not access.is_active_member(user, inactive.structure_id)
    assert list(access.active_structure_ids(user)) == [active.structure_id]
    assert list(access.member_structures(user)) == [active.structure]
    # The ids are a subquery usable in an ``__in`` filter.
    assert list(Structure.objects.filter(pk__in=access.active_structure_ids(user))) == [active.structure]


def test_anonymous_and_none_are_members_of_nothing():
    structure = MembershipFactory().structure
    for nobody in (None, AnonymousUser()):
        assert not access.is_active_member(nobody, structure)
        assert list(access.member_structures(nobody)) == []
        assert not access.is_main_manager(nobody, structure)
        assert not access.is_support(nobody)
        assert not access.is_recipient_staff(nobody)


def test_main_manager_needs_an_active_manager_membership():
    structure = StructureFactory()
    manager = MembershipFactory(structure=structure, manager=True).user
    plain = MembershipFactory(structure=structure).user
    pending_manager = MembershipFactory(structure=structure, manager=True, pending=True).user
    elsewhere = MembershipFactory(manager=True)
    assert access.is_main_manager(manager, structure)
    assert access.is_main_manager(manager, structure.pk)
    assert not access.is_main_manager(plain, structure)
    assert not access.is_main_manager(pending_manager, structure)
    assert not access.is_main_manager(elsewhere.user, structure)
    assert list(access.managed_structure_ids(manager)) == [structure.pk]
    assert list(access.managed_structure_ids(plain)) == []
    assert [m.user for m in access.main_manager_memberships(structure)] == [manager]


def test_support_is_a_superuser_or_a_staff_user_with_the_support_permission():
    agent = make_agent()
    in_group_not_staff = UserFactory()
    in_group_not_staff.groups.add(Group.objects.get(name=access.SUPPORT_GROUP))
    inactive_support = SupportUserFactory(is_active=False)
    assert access.is_support(SupportUserFactory())
    assert access.is_support(UserFactory(superuser=True))
    assert not access.is_support(UserFactory(superuser=True, is_active=False))
    assert not access.is_support(agent)  # is_staff alone is not support
    assert not access.is_support(UserFactory(staff=True))
    assert not access.is_support(in_group_not_staff)
    assert not access.is_support(inactive_support)


def test_the_one_permission_read_gives_what_has_perm_gives(django_assert_num_queries):
    """``is_support(user, all_permissions=False)``: one query, the same answer as ``has_perm``
    (the permission held by the user or by one of their groups)."""
    from django.contrib.auth.models import Permission

    support = Permission.objects.get(codename="support", content_type__app_label="structures")
    other_group = Group.objects.create(name="Autre groupe")
    other_group.permissions.add(Permission.objects.get(codename="view_structure"))
    direct = UserFactory(staff=True)
    direct.user_permissions.add(support)
    in_other_group = UserFactory(staff=True)
    in_other_group.groups.add(other_group)
    not_staff = UserFactory()
    not_staff.user_permissions.add(support)
    in_group_not_staff = UserFactory()
    in_group_not_staff.groups.add(Group.objects.get(name=access.SUPPORT_GROUP))
    users = [
        SupportUserFactory(),
        direct,
        in_other_group,
        not_staff,
        in_group_not_staff,
        SupportUserFactory(is_active=False),
        UserFactory(superuser=True),
        UserFactory(superuser=True, is_active=False),
        UserFactory(staff=True),
        make_agent(),
        AnonymousUser(),
    ]
    for user in users:
        expected = access.is_support(user)
        fresh = type(user).objects.get(pk=user.pk) if user.pk else user
        asks = 1 if fresh.is_authenticated and fresh.is_active and fresh.is_staff and not fresh.is_superuser else 0
        with django_assert_num_queries(asks):
            assert access.is_support(fresh, all_permissions=False) == expected, user
    assert [access.is_support(u) for u in users[:3]] == [True, True, False]
    loaded = type(direct).objects.get(pk=direct.pk)
    loaded.has_perm("structures.view_structure")  # every permission read: no other query
    with django_assert_num_queries(0):
        assert access.is_support(loaded, all_permissions=False)


def test_the_support_group_holds_the_named_permission_and_the_admin_permissions():
    group = Group.objects.get(name=access.SUPPORT_GROUP)
    permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert access.SUPPORT_PERMISSION in permissions
    assert {
        "structures.change_structure",
        "structures.view_structure",
        "structures.add_service",
        "structures.change_service",
        "structures.add_bankaccount",
        "structures.change_bankaccount",
        "structures.change_membership",
        "structures.view_membership",
    } <= permissions
    assert not any(p.startswith("structures.delete_") for p in permissions)
    support = group.permissions.get(codename="support")
    assert support.name == "Support : gérer toutes les structures, leurs rattachements et leurs gestionnaires"


def test_can_manage_a_structure_main_manager_or_support():
    structure = StructureFactory()
    manager = MembershipFactory(structure=structure, manager=True).user
    assert access.can_manage_structure(manager, structure)
    assert access.can_manage_structure(SupportUserFactory(), structure)
    assert not access.can_manage_structure(MembershipFactory(structure=structure).user, structure)
    agent = make_agent()
    assert not access.can_manage_structure(agent, structure)
    with pytest.raises(PermissionDenied, match="Seul un gestionnaire principal de cette structure"):
        access.check_can_manage(agent, structure)
    with pytest.raises(PermissionDenied, match="Vous devez être connecté"):
        access.check_can_manage(None, structure)
    access.check_can_manage(manager, structure)


def test_check_support_gives_the_reason():
    with pytest.raises(PermissionDenied, match="Réservé"):
        access.check_support(make_agent(), "Réservé au support.")
    with pytest.raises(PermissionDenied, match="réservée au support"):
        access.check_support(UserFactory())
    access.check_support(SupportUserFactory())


def test_recipient_staff_is_an_active_staff_member_of_a_public_structure():
    ministry, other_ministry = StructureFactory(public=True), StructureFactory(public=True)
    agent = make_agent(ministry)
    MembershipFactory(user=agent, structure=StructureFactory())  # also a supplier member
    MembershipFactory(user=agent, structure=other_ministry, revoked=True)
    assert access.is_recipient_staff(agent)
    assert access.is_recipient_staff(agent, ministry)
    assert access.is_recipient_staff(agent, ministry.pk)
    assert not access.is_recipient_staff(agent, other_ministry)
    assert list(access.recipient_structures_for_staff(agent)) == [ministry]

    not_staff = MembershipFactory(structure=ministry).user
    supplier_staff = UserFactory(staff=True)
    MembershipFactory(user=supplier_staff, structure=StructureFactory())
    inactive = make_agent(ministry, is_active=False)
    for user in (not_staff, supplier_staff, inactive):
        assert not access.is_recipient_staff(user)
        assert list(access.recipient_structures_for_staff(user)) == []
        assert access.recipient_rows_for_staff(user) == []
    # The rows the invoice admin reads (a prepared statement): the same recipients, by name.
    third = StructureFactory(public=True, name="AAA Ministère")
    MembershipFactory(user=agent, structure=third)
    expected = list(
        access.recipient_structures_for_staff(agent).order_by("name", "pk").values_list("pk", "name", "identifier")
    )
    assert access.recipient_rows_for_staff(agent) == expected and len(expected) == 2
    assert access.recipient_rows_for_staff(make_agent(other_ministry)) == [
        (other_ministry.pk, other_ministry.name, other_ministry.identifier)
    ]


def test_invoices_recipients_for_staff_asks_the_access_module():
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    not_staff = MembershipFactory(structure=ministry).user
    assert list(invoice_selectors.recipients_for_staff(agent)) == [ministry]
    assert list(invoice_selectors.recipients_for_staff(not_staff)) == []


def test_financial_staff_is_an_agent_of_some_recipient_or_a_superuser():
    ministry = StructureFactory(public=True)
    agent = UserFactory(staff=True)
    MembershipFactory(user=agent, structure=ministry)
    supplier_staff = UserFactory(staff=True)
    MembershipFactory(user=supplier_staff)  # staff, but only a supplier's member
    assert access.is_financial_staff(agent)
    assert access.is_financial_staff(UserFactory(staff=True, is_superuser=True))
    assert not access.is_financial_staff(supplier_staff)
    assert not access.is_financial_staff(UserFactory(is_superuser=True))  # not staff: no admin
    assert not access.is_financial_staff(AnonymousUser())
    agent.is_active = False
    assert not access.is_financial_staff(agent)


def test_may_act_for_a_recipient_its_active_members_or_a_superuser():
    ministry, other = StructureFactory(public=True), StructureFactory(public=True)
    member = MembershipFactory(structure=ministry).user
    assert access.may_act_for_recipient(member, ministry)
    assert access.may_act_for_recipient(member, ministry.pk)
    assert not access.may_act_for_recipient(member, other)
    assert not access.may_act_for_recipient(member, None)
    assert access.may_act_for_recipient(UserFactory(is_superuser=True), other)
    assert not access.may_act_for_recipient(AnonymousUser(), ministry)
    assert not access.may_act_for_recipient(None, ministry)
