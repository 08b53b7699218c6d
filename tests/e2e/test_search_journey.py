"""A supplier searches its invoices with several criteria, sorts them, pages through them, exports the
result as CSV (a real download); Rechercher and Archives pass check_page with long status badges."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoices.models import Invoice, InvoiceType
from invoices.workflow import Status
from tests.e2e.test_invoice_journeys import login
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The longest labels: they used to push the Actions column out of the table at 1280 px.
LONG_STATUSES = [
    Status.MISE_A_DISPOSITION_COMPTABLE,
    Status.MISE_A_DISPOSITION,
    Status.PRISE_EN_COMPTE_DESTINATAIRE,
    Status.EN_COURS_ACHEMINEMENT,
    Status.MISE_EN_PAIEMENT,
    Status.REJETEE,
]


@pytest.fixture
def supplier():
    membership = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    structure = membership.structure
    ServiceFactory(structure=structure, code="AG-LYON", name="Agence de Lyon")
    state = StructureFactory(
        public=True, name="Direction régionale des finances publiques de Bourgogne-Franche-Comté", is_state=True
    )
    commune = StructureFactory(public=True, name="Commune de Saint-Exemple-sur-Loire")
    today = timezone.localdate()
    for n in range(30):
        InvoiceFactory(
            supplier=structure,
            recipient=state if n % 2 else commune,
            number=f"MM-{n:04d}",
            invoice_type=InvoiceType.CREDIT_NOTE if n % 10 == 9 else InvoiceType.INVOICE,
            invoice_date=today - timedelta(days=n),
            amount_ttc=Decimal("1000.00") + 37 * n,
            engagement_number="1300012345" if n % 3 == 0 else "",
            status=LONG_STATUSES[n % len(LONG_STATUSES)],
            identifier=f"FAC-2026-{n:07d}",
            sent_at=timezone.now() - timedelta(days=n),
            pdf="",
            vat=False,
        )
    return {"user": membership.user, "structure": structure, "state": state}


def test_search_with_several_criteria_sort_page_and_export_csv(page, supplier, check_page):
    login(page, supplier["user"])
    page.goto("/factures/")
    tabs = page.get_by_role("navigation", name="Factures émises")
    expect(tabs.get_by_role("link", name="Rechercher")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="30 résultats")).to_be_visible()
    check_page(page, "rechercher")

    # Criteria: State recipients, two statuses, an amount range.
    page.get_by_role("group", name="Type de destinataire").get_by_label("État", exact=True).check(force=True)
    page.get_by_label("Mise à disposition du destinataire").check(force=True)
    page.get_by_label("Mise en paiement").check(force=True)
    page.get_by_label("Montant TTC, de").fill("1 000")
    page.get_by_label("Montant TTC, à").fill("2 000,00")
    page.get_by_role("button", name="Rechercher").click()
    expected = sorted(
        (
            i
            for i in Invoice.objects.filter(supplier=supplier["structure"], recipient__is_state=True)
            if i.status in (Status.MISE_A_DISPOSITION, Status.MISE_EN_PAIEMENT)
        ),
        key=lambda i: i.amount_ttc,
    )
    expect(page.get_by_role("heading", name=f"{len(expected)} résultats")).to_be_visible()
    assert "destinataire_etat=etat" in page.url and "montant_min=1+000" in page.url
    expect(page.get_by_label("Montant TTC, de")).to_have_value("1 000")

    # Sort by amount, ascending then descending: aria-sort follows.
    table = page.get_by_role("table")
    table.get_by_role("link", name=re.compile("^Montant TTC")).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    table = page.get_by_role("table")
    table.get_by_role("link", name=re.compile("^Montant TTC")).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    first_row = page.get_by_role("table").get_by_role("row").nth(1)
    expect(first_row).to_contain_text(expected[0].number)
    check_page(page, "rechercher-criteres")

    # The export holds the same invoices, in the same order.
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Exporter en CSV")).click()
    download = info.value
    assert download.suggested_filename == f"factures-{supplier['structure'].identifier}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        content = handle.read()
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0][:2] == ["Identifiant", "N° de facture"]
    assert [row[1] for row in rows[1:]] == [i.number for i in expected]

    # The invoice number opens the invoice.
    page.get_by_role("table").get_by_role("link", name=expected[0].number).click()
    expect(page).to_have_url(re.compile(rf"/factures/{expected[0].pk}/$"))


def test_pages_and_archives_hold_at_both_widths(page, supplier, check_page):
    login(page, supplier["user"])
    page.goto("/factures/")
    page.get_by_role("link", name="Page suivante").click()
    expect(page.get_by_role("link", name="Page précédente")).to_be_visible()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(11)  # header + the last 10
    page.get_by_role("navigation", name="Factures émises").get_by_role("link", name="Archives").click()
    expect(page.get_by_role("heading", name="Archives", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="10 résultats")).to_be_visible()
    check_page(page, "archives")
    page.get_by_label("Date de facture, du").fill("2026-05-02")
    page.get_by_label("Date de facture, au").fill("2026-05-01")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("La date « au » doit être égale ou postérieure à la date « du ».")).to_have_count(2)
    check_page(page, "archives-erreurs")
