"""The connected home page in the browser: a supplier follows a waiting count to the matching
Rechercher search and an event of the feed to its invoice; a ministry agent gets the received
invoices, no supplier action. Both pages checked with axe and at 1280 and 390 px (check_page).
Then two defects of issue 9 that only a browser shows: « Code service » / « N° d'engagement » follow
the recipient chosen on the form, and the typed lines fit a 1280 px page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import News
from invoices.models import InvoiceEvent
from invoices.workflow import Actor, Status
from tests.accounts.factories import UserFactory
from tests.e2e.test_invoice_journeys import login
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    membership = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    supplier = membership.structure
    ministry = StructureFactory(public=True, name="Ministère de l'Intérieur", ej_required=True)
    agent = MembershipFactory(structure=ministry, user=UserFactory(is_staff=True, first_name="Nadia"))
    suspended = InvoiceFactory(
        supplier=supplier, recipient=ministry, sent=True, status=Status.SUSPENDUE, number="MM-0042"
    )
    InvoiceFactory(supplier=supplier, recipient=ministry, sent=True, status=Status.SUSPENDUE, number="MM-0043")
    InvoiceFactory(supplier=supplier, recipient=ministry, sent=True, status=Status.MISE_A_DISPOSITION)
    InvoiceFactory(supplier=supplier, recipient=ministry, number="BROUILLON-1")
    for minutes, invoice in ((3, suspended),):
        InvoiceEvent.objects.create(
            invoice=invoice,
            supplier_id=supplier.pk,
            transition="suspendre",
            from_status=Status.MISE_A_DISPOSITION,
            to_status=Status.SUSPENDUE,
            actor_kind=Actor.RECIPIENT.value,
            created_at=timezone.now() - timedelta(minutes=minutes),
        )
    News.objects.create(title="Facturation électronique : le calendrier", body="Les dates de la réforme.")
    return {"user": membership.user, "structure": supplier, "ministry": ministry, "agent": agent.user}


def test_a_supplier_follows_the_home_page(page, world, check_page):
    login(page, world["user"])
    expect(page).to_have_url(re.compile("/accueil/$"))
    expect(page.get_by_role("heading", name="Ce qui vous attend")).to_be_visible()
    expect(page.get_by_text("Facturation électronique : le calendrier")).to_be_visible()
    check_page(page, "accueil-fournisseur")

    page.locator("#attente-suspendues").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/factures/\?statut=SUSPENDUE$"))
    expect(page.get_by_label("Suspendue", exact=True)).to_be_checked()
    expect(page.get_by_text("2 résultats")).to_be_visible()

    page.goto("/accueil/")
    feed = page.locator("#fil-evenements")
    expect(feed).to_contain_text("Mise à disposition du destinataire → Suspendue")
    feed.get_by_role("link", name="Facture MM-0042").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MM-0042")


def test_an_agent_gets_the_received_invoices_and_no_supplier_action(page, world, check_page):
    login(page, world["agent"])
    expect(page.get_by_role("heading", name="Factures reçues à traiter")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Déposer une facture"))).to_have_count(0)
    expect(page.locator("#navigation-principale").get_by_role("link", name="Factures émises")).to_have_count(0)
    link = page.get_by_role("link", name=re.compile("Mise à disposition du destinataire"))
    expect(link).to_have_attribute("href", "/admin/invoices/invoice/?statut=MISE_A_DISPOSITION")
    expect(link).to_contain_text("1")
    check_page(page, "accueil-agent")


def test_code_service_and_ej_labels_follow_the_recipient_chosen(page, world):
    supplier = world["structure"]
    free = StructureFactory(public=True, name="Commune de Saint-Exemple")
    either = StructureFactory(public=True, name="DRFiP Exemple", service_or_ej_required=True)
    ServiceFactory(structure=either, code="SE-DRFIP")
    draft = InvoiceFactory(supplier=supplier, recipient=free, number="LBL-1")
    login(page, world["user"])
    page.goto(f"/factures/{draft.pk}/modifier/")
    ej_label = page.locator("label[for='id_engagement_number']")
    service_label = page.locator("label[for='id_recipient_service']")
    expect(ej_label).to_contain_text("(facultatif)")

    page.get_by_label(re.compile("^Rechercher le destinataire")).fill("Ministère de l'Int")
    page.locator("#recipient-choices label", has_text="Ministère de l'Intérieur").click()
    expect(ej_label).not_to_contain_text("(facultatif)")
    expect(ej_label).to_contain_text("Exigé par ce destinataire.")
    expect(service_label).to_contain_text("(facultatif)")

    page.get_by_label(re.compile("^Rechercher le destinataire")).fill("DRFiP")
    page.locator("#recipient-choices label", has_text="DRFiP Exemple").click()
    for label in (ej_label, service_label):
        expect(label).not_to_contain_text("(facultatif)")
        expect(label).to_contain_text("au moins l'un des deux")


def test_the_typed_lines_fit_a_1280_px_page(page, world):
    world["structure"].mandate_accepted_at = timezone.now()
    world["structure"].save()
    login(page, world["user"])
    page.goto("/factures/saisir/")
    table = page.locator("#lines-table")
    expect(table).to_be_visible()
    cut = page.evaluate(
        "() => { const c = document.querySelector('#lines-table').closest('.fr-table__container');"
        " return c.scrollWidth - c.clientWidth; }"
    )
    assert cut <= 0, f"the lines table is cut by {cut} px at 1280 px"
