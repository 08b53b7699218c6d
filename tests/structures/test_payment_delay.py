"""The délai global de paiement of a public recipient: 30 days by default, set by support only."""

import pytest

from structures import services
from tests.structures.factories import MembershipFactory, StructureFactory, SupportUserFactory

pytestmark = pytest.mark.django_db


def test_default_is_30_days():
    assert StructureFactory(public=True).payment_delay_days == 30


def test_support_sets_it_a_manager_cannot():
    hospital = StructureFactory(public=True, name="CHU")
    services.structure_update(structure=hospital, actor=SupportUserFactory(), payment_delay_days=50)
    hospital.refresh_from_db()
    assert hospital.payment_delay_days == 50
    manager = MembershipFactory(manager=True).user
    company = MembershipFactory(manager=True, user=manager).structure
    with pytest.raises(TypeError, match="payment_delay_days"):
        services.structure_update(structure=company, actor=manager, payment_delay_days=60)
    company.refresh_from_db()
    assert company.payment_delay_days == 30


def test_support_edits_it_in_the_admin(client):
    hospital = StructureFactory(public=True, name="CHU de Démo")
    client.force_login(SupportUserFactory())
    page = client.get(f"/admin/structures/structure/{hospital.pk}/change/").content.decode()
    assert 'name="payment_delay_days"' in page and "50 jours (établissements publics de santé)" in page
