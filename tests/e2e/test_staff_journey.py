"""A ministry agent processes invoices in the admin; the supplier answers a suspension.

The agent suspends an invoice with a motif, the supplier completes it from the invoice page, the
agent puts it in payment; another ministry's invoice stays invisible to the agent throughout.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from invoices.models import Invoice
from invoices.workflow import Status
from tests.accounts.factories import PASSWORD, UserFactory
from tests.invoices.conftest import seed_motifs
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    seed_motifs()
    supplier = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    ministry = StructureFactory(public=True, name="Ministère de la Culture")
    agent = UserFactory(staff=True, email="agent@culture.example", first_name="Agnès")
    MembershipFactory(user=agent, structure=ministry)
    other_ministry = StructureFactory(public=True, name="Ministère des Sports")
    mine = InvoiceFactory(
        sent=True,
        supplier=supplier.structure,
        recipient=ministry,
        number="MM-100",
        status=Status.MISE_A_DISPOSITION,
        sent_by=supplier.user,
    )
    other = InvoiceFactory(sent=True, recipient=other_ministry, number="XX-999", status=Status.MISE_A_DISPOSITION)
    return {"supplier": supplier.user, "agent": agent, "mine": mine, "other": other}


def admin_action(page, identifier, action, **fields):
    page.goto("/admin/invoices/invoice/")
    row = page.locator("#result_list tbody tr", has_text=identifier)
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label=action)
    page.locator("button[name=index]").click()
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    if fields:
        page.locator("form [type=submit]").last.click()
    expect(page.locator("ul.messagelist")).to_contain_text("envoyée au traitement")


def test_agent_suspends_supplier_completes_agent_pays(page, second_page, scene):
    mine, other = scene["mine"], scene["other"]
    # The admin's login page leads to the portal's (one limited login), then back to the admin.
    page.goto("/admin/invoices/invoice/")
    page.locator("#id_login").fill(scene["agent"].email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/invoices/invoice/")
    expect(page.locator("#result_list")).to_contain_text(mine.identifier)
    expect(page.locator("#result_list")).not_to_contain_text(other.identifier)

    admin_action(
        page,
        mine.identifier,
        "Suspendre…",
        motif="Justificatif absent ou insuffisant",
        comment="Merci de joindre le bon de livraison signé.",
    )
    mine.refresh_from_db()
    assert mine.status == Status.SUSPENDUE
    suspension = [m for m in mail.outbox if "Suspendue" in m.subject]
    assert suspension and "Merci de joindre le bon de livraison signé." in suspension[0].body

    supplier_page = second_page
    supplier_page.goto("/compte/login/")
    supplier_page.locator("#id_login").fill(scene["supplier"].email)
    supplier_page.locator("#id_password").fill(PASSWORD)
    supplier_page.locator("main form button[type=submit]").click()
    supplier_page.goto(f"/factures/{mine.pk}/")
    expect(supplier_page.locator("main")).to_contain_text("Justificatif absent ou insuffisant")
    supplier_page.get_by_role("link", name=re.compile("Compléter")).first.click()
    supplier_page.locator("main textarea").first.fill("Bon de livraison joint.")
    supplier_page.locator("main form [type=submit]").last.click()
    expect(supplier_page.locator("main")).to_contain_text("Complétée")

    admin_action(page, mine.identifier, "Mettre en paiement")
    mine.refresh_from_db()
    assert mine.status == Status.MISE_EN_PAIEMENT
    supplier_page.goto(f"/factures/{mine.pk}/")
    history = supplier_page.get_by_role("list", name="Historique de la facture")
    expect(history).to_contain_text("Mise en paiement (212)")
    expect(history).to_contain_text("Suspendue (208)")
    assert Invoice.objects.get(pk=other.pk).status == Status.MISE_A_DISPOSITION
