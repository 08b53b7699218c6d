"""A supplier checks a Factur-X before depositing it: « Vérifier ma facture » from the Dépôt tab
lists its EN 16931 errors in French with the technical detail folded, then says « Aucune erreur »
for the corrected file; nothing is stored."""

import pytest
from playwright.sync_api import expect

from invoices.models import Invoice
from invoices.samples import cii_xml, generated_facturx_pdf
from tests.e2e.test_invoice_journeys import login
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supplier():
    membership = MembershipFactory(
        manager=True, structure=StructureFactory(name="Entreprise Exemple SAS", identifier="73282932000074")
    )
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, name="Ministère de l'exemple", identifier="11000201100044")
    return membership


def test_check_an_invoice_then_its_corrected_file(page, supplier, tmp_path, check_page):
    wrong = tmp_path / "facture-erronee.xml"
    wrong.write_bytes(cii_xml(number="VERIF-E2E", total_ttc="1250.00", seller_vat=""))
    good = tmp_path / "facture-corrigee.pdf"
    good.write_bytes(generated_facturx_pdf(number="VERIF-E2E"))
    login(page, supplier.user)
    page.goto("/factures/deposer/")
    page.get_by_role("link", name="Vérifier ma facture").click()
    expect(page.get_by_role("heading", name="Vérifier ma facture", level=1)).to_be_visible()

    page.get_by_label("Fichier de la facture").set_input_files(str(wrong))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", name="3 erreurs")).to_be_visible()
    expect(page.get_by_role("heading", name="BT-112 Montant total TTC")).to_be_visible()
    expect(page.get_by_text("Recalculez le TTC : HT + TVA, au centime.")).to_be_visible()
    detail = page.get_by_role("button", name="Détail technique").first
    expect(detail).to_have_attribute("aria-expanded", "false")
    detail.click()
    expect(page.get_by_text("[BR-CO-15]-Invoice total amount with VAT")).to_be_visible()
    check_page(page, "verifier-ma-facture-erreurs")

    page.get_by_label("Fichier de la facture").set_input_files(str(good))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", name="Aucune erreur")).to_be_visible()
    check_page(page, "verifier-ma-facture-aucune-erreur")
    assert not Invoice.objects.exists()
