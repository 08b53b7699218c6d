"""Out-of-range integers from user input (SQLite raises OverflowError beyond 64 bits): a clean
404, an ignored filter or a French error, never a server error (issue 11, point 7)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from chorus.ids import MAX_ID, parse_id
from structures.models import MembershipStatus
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12", 12),
        (7, 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (HUGE, None),
        ("0", None),
        ("-3", None),
        (" 4", None),
        ("4a", None),
        ("", None),
        (None, None),
        ("١٢", None),
        (True, None),
        (-1, None),
        (MAX_ID + 1, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def superuser_client(db):
    """A superuser member of a ministry with a service, so the invoice list offers both filters."""
    user = UserFactory(superuser=True)
    ministry = StructureFactory(public=True)
    MembershipFactory(user=user, structure=ministry)
    InvoiceFactory(sent=True, recipient=ministry, recipient_service=ServiceFactory(structure=ministry))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/admin/invoices/invoice/?destinataire={HUGE}",
        f"/admin/invoices/invoice/?service={HUGE}",
        f"/admin/invoices/invoice/?recipient={HUGE}",
        f"/admin/structures/membership/?structure={HUGE}",
        f"/admin/structures/membership/?user__in=1,{HUGE}",
    ],
)
def test_admin_filter_with_a_huge_id_is_ignored(superuser_client, url):
    response = superuser_client.get(url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?e=1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changelist, action",
    [
        ("admin:invoices_invoice_changelist", "transition_prendre_en_compte"),
        ("admin:invoices_transitionrequest_changelist", "requeue_selected"),
        ("admin:structures_membership_changelist", "approve_selected"),
        ("admin:structures_structure_changelist", "delete_selected"),
        ("admin:accounts_user_changelist", "delete_selected"),
    ],
)
def test_admin_bulk_action_with_a_huge_id_is_a_french_error(superuser_client, changelist, action):
    pending = MembershipFactory(pending=True)
    response = superuser_client.post(
        reverse(changelist), {"action": action, "_selected_action": [str(pending.pk), HUGE], "index": "0"}, follow=True
    )
    assert response.status_code == 200
    assert "La sélection contient un identifiant invalide" in " ".join(messages_of(response))
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"single": f"approve:{HUGE}"}, {"action": "refuse", "ids": [HUGE]}])
def test_membership_decision_with_a_huge_id_is_a_404(data):
    manager = MembershipFactory(manager=True)
    pending = MembershipFactory(structure=manager.structure, pending=True)
    client = Client(raise_request_exception=False)
    client.force_login(manager.user)
    response = client.post(reverse("structures:decide"), data)
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING
