"""A supplier deposits a Factur-X with 7 % and 19 % lines: the form shows the XML's data read-only
(rates as invoiced, flagged as outside the French list), and the invoice is sent as invoiced."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoices.models import Invoice
from invoices.samples import generated_facturx_pdf
from invoices.workflow import Status
from tests.e2e.test_invoice_journeys import login
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supplier():
    membership = MembershipFactory(
        manager=True, structure=StructureFactory(name="Librairie Exemple SAS", identifier="73282932000074")
    )
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, name="Ministère de l'exemple", identifier="11000201100044")
    return membership


def test_deposit_a_factur_x_with_foreign_rates_and_send_it(page, supplier, tmp_path, check_page):
    path = tmp_path / "facture-7-19.pdf"
    path.write_bytes(
        generated_facturx_pdf(
            number="FX-7-19",
            issue_date=timezone.localdate(),
            lines=[("Livres", "10", "62.49", "7.00"), ("Conseil", "1", "350.00", "19.00")],
        )
    )
    login(page, supplier.user)
    page.goto("/factures/deposer/")
    page.get_by_label("Fichier de la facture").set_input_files(str(path))
    page.get_by_role("button", name="Déposer le fichier").click()

    expect(page.get_by_text("Données de la facture : XML Factur-X (UN/CEFACT CII, profil EN 16931)")).to_be_visible()
    table = page.get_by_role("table", name="Récapitulatif de TVA et totaux, tels que facturés")
    expect(table).to_contain_text("7\u00a0%")
    expect(table).to_contain_text("19\u00a0%")
    expect(table.get_by_text("hors taux français")).to_have_count(2)
    expect(table).to_contain_text("1\u202f085,14\u00a0€")
    expect(page.get_by_label("Numéro de facture")).to_have_count(0)  # read-only, no input
    check_page(page, "facture-structuree-formulaire")

    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_text(re.compile(r"est déposée sous l'identifiant FAC-\d{4}-\d{7}"))).to_be_visible()
    invoice = Invoice.objects.get()
    assert invoice.status in (Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, Status.MISE_A_DISPOSITION)
    assert sorted(invoice.vat_lines.values_list("rate", "vat_amount")) == [
        (Decimal("7.00"), Decimal("43.74")),
        (Decimal("19.00"), Decimal("66.50")),
    ]
    check_page(page, "facture-structuree-page")
