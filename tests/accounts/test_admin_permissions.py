"""A user's permissions read in one query for the admin (accounts/permissions.py, issue 9): the same
permissions as ``ModelBackend``'s two queries, nothing kept beyond the request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.permissions import read_permissions
from tests.accounts.factories import UserFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:invoices_invoice_changelist")


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.fixture
def group():
    group = Group.objects.create(name="Lecteurs")
    group.permissions.add(permission("view_user"), permission("view_structure"))
    return group


@pytest.mark.parametrize("own", [[], ["view_structure"], ["view_service", "change_user"]])
@pytest.mark.parametrize("in_group", [False, True])
@pytest.mark.parametrize("active", [True, False])
def test_the_same_permissions_as_modelbackends(group, own, in_group, active):
    user = UserFactory(staff=True, is_active=active)
    user.user_permissions.add(*[permission(codename) for codename in own])
    if in_group:
        user.groups.add(group, Group.objects.create(name="Vide"))
    Group.objects.create(name="Autre").permissions.add(permission("delete_user"))  # not the user's
    ours, djangos = User.objects.get(pk=user.pk), User.objects.get(pk=user.pk)
    read_permissions(ours)
    backend = ModelBackend()
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user_permissions(ours) == backend.get_user_permissions(djangos)
        assert backend.get_group_permissions(ours) == backend.get_group_permissions(djangos)
        assert backend.get_all_permissions(ours) == backend.get_all_permissions(djangos)
        assert ours.has_perm("accounts.view_user") == djangos.has_perm("accounts.view_user") == (in_group and active)
    assert len(queries) == (2 if active else 0)  # Django's reading of ``djangos`` only


def test_a_superuser_and_permissions_already_read_are_left_to_django():
    superuser = UserFactory(superuser=True)
    with CaptureQueriesContext(connection) as queries:
        read_permissions(superuser)
    assert len(queries) == 0 and not hasattr(superuser, "_user_perm_cache")
    user = UserFactory(staff=True)
    user.has_perm("accounts.view_user")
    with CaptureQueriesContext(connection) as queries:
        read_permissions(user)
    assert len(queries) == 0


@pytest.fixture
def agent_client(client):
    agent = UserFactory(staff=True)
    MembershipFactory(user=agent, structure=StructureFactory(public=True))
    client.force_login(agent)
    client.agent = agent
    return client


def test_an_admin_page_reads_the_permissions_once(agent_client, group):
    agent_client.agent.groups.add(group)
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(URL)
    assert response.status_code == 200
    assert len([q for q in queries if '"auth_permission"' in q["sql"]]) == 1
    assert reverse("admin:accounts_user_changelist") in response.content.decode()  # the menu


def test_a_permission_taken_away_applies_on_the_next_page(agent_client, group):
    users = reverse("admin:accounts_user_changelist")
    agent_client.agent.user_permissions.add(permission("view_user"))
    assert users in agent_client.get(URL).content.decode()
    agent_client.agent.user_permissions.clear()
    assert users not in agent_client.get(URL).content.decode()
    agent_client.agent.groups.add(group)
    assert users in agent_client.get(URL).content.decode()
    group.permissions.remove(permission("view_user"))
    assert users not in agent_client.get(URL).content.decode()
