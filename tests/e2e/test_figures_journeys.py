"""A supplier reads the Synthèse, the Tableau de bord (charts with their tables), the Liste fiscale
(a period error, then a quarter and the CSV), the late invoices and an invoice's timeline with its
payment clock; each page is checked with axe and at 1280 and 390 px (check_page)."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoices.models import Invoice, LatePaymentRate
from invoices.services import invoice_transition
from invoices.workflow import Actor, Status
from tests.e2e.test_invoice_journeys import login
from tests.invoices.conftest import seed_motifs
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supplier():
    seed_motifs()
    membership = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    ministry = StructureFactory(public=True, name="Ministère de l'Intérieur")
    town = StructureFactory(public=True, name="Commune de Saint-Exemple")
    today = timezone.localdate()
    LatePaymentRate.objects.create(valid_from=date(2025, 7, 1), ecb_rate=Decimal("2.15"))
    for months_ago, recipient, status in [
        (5, ministry, Status.MISE_EN_PAIEMENT),
        (3, town, Status.MISE_EN_PAIEMENT),
        (2, ministry, Status.SERVICE_FAIT),
        (1, town, Status.SUSPENDUE),
        (0, ministry, Status.MISE_A_DISPOSITION),
    ]:
        day = today - timedelta(days=30 * months_ago + 1)
        invoice = InvoiceFactory(
            supplier=membership.structure, recipient=recipient, sent=True, status=status, invoice_date=day
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            sent_at=timezone.make_aware(datetime.combine(day, datetime.min.time()))
        )
    late = InvoiceFactory(
        supplier=membership.structure, recipient=ministry, sent=True, status=Status.SERVICE_FAIT, number="RETARD-1"
    )
    Invoice.objects.filter(pk=late.pk).update(
        payment_started_on=today - timedelta(days=50), payment_due_on=today - timedelta(days=20)
    )
    return {"user": membership.user, "structure": membership.structure, "ministry": ministry, "late": late}


def test_summary_dashboard_and_late_invoices(page, supplier, check_page):
    login(page, supplier["user"])
    page.goto("/factures/synthese/")
    expect(page.get_by_role("heading", name="Synthèse", level=1)).to_be_visible()
    expect(page.get_by_text("Suspendue : 1 facture")).to_be_visible()
    check_page(page, "synthese")

    page.get_by_role("link", name="Tableau de bord").first.click()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    chart = page.get_by_role("img", name=re.compile("Montant TTC des factures envoyées, par mois"))
    expect(chart).to_be_visible()
    expect(page.get_by_role("table", name="Factures par destinataire")).to_contain_text("Ministère de l'Intérieur")
    expect(page.get_by_role("table", name="Factures les plus en retard")).to_contain_text("RETARD-1")
    # The tables scroll from the keyboard: their wrapper takes the focus.
    region = page.get_by_role("region", name="Factures envoyées par mois")
    region.focus()
    expect(region).to_be_focused()
    check_page(page, "tableau-de-bord")

    page.get_by_role("table", name="Factures par destinataire").get_by_role(
        "link", name=re.compile("Ministère")
    ).click()
    expect(page.get_by_text("Factures adressées à Ministère de l'Intérieur uniquement.")).to_be_visible()
    check_page(page, "tableau-de-bord-destinataire")
    page.get_by_role("link", name="Voir tous les destinataires").click()

    page.get_by_label("Du mois de").fill("2026-05")
    page.get_by_label("Au mois de (inclus)").fill("2026-02")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("Le mois de fin doit être le même que le mois de début ou le suivre.")).to_be_visible()
    expect(page.get_by_label("Au mois de (inclus)")).to_have_attribute("aria-invalid", "true")

    page.goto("/factures/en-retard/")
    expect(page.get_by_role("table", name="Factures en retard de paiement")).to_contain_text("20")
    check_page(page, "factures-en-retard")


def test_fiscal_list_period_error_then_a_quarter_and_the_csv(page, supplier, check_page):
    login(page, supplier["user"])
    page.goto("/factures/liste-fiscale/")
    expect(page.get_by_role("heading", name="Liste fiscale", level=1)).to_be_visible()
    page.get_by_text("Des dates", exact=True).click()
    page.locator("#id_du").fill("2026-10-02")
    page.locator("#id_au").fill("2026-10-01")
    page.get_by_role("button", name="Afficher la liste").click()
    expect(page.get_by_text("La date de fin doit être la même que la date de début ou la suivre.")).to_be_visible()
    check_page(page, "liste-fiscale-erreur")

    today = timezone.localdate()
    page.get_by_text("Une année", exact=True).click()
    page.locator("#id_annee").fill(str(today.year if today.month > 6 else today.year - 1))
    page.get_by_role("button", name="Afficher la liste").click()
    totals = page.get_by_role("table", name="Totaux par taux de TVA (EUR)")
    expect(totals).to_contain_text("20\u00a0%")
    check_page(page, "liste-fiscale")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger en CSV")).click()
    assert download.value.suggested_filename.startswith("liste-fiscale-")


def test_invoice_timeline_and_payment_clock(page, supplier, check_page):
    invoice = InvoiceFactory(
        supplier=supplier["structure"], recipient=supplier["ministry"], sent=True, status=Status.DEPOSEE
    )
    for transition in ("acheminer", "mettre_a_disposition"):
        invoice_transition(invoice=invoice, transition=transition, actor=Actor.SYSTEM)
    staff = MembershipFactory(structure=supplier["ministry"]).user
    invoice_transition(
        invoice=invoice,
        transition="suspendre",
        actor=Actor.RECIPIENT,
        user=staff,
        motif="JUSTIFICATIF_ABSENT",
        comment="Joindre le bon de livraison.",
    )
    login(page, supplier["user"])
    page.goto(f"/factures/{invoice.pk}/")
    timeline = page.get_by_role("list", name="Historique de la facture")
    expect(timeline.get_by_role("listitem")).to_have_count(3)
    expect(timeline).to_contain_text("Mise à disposition du destinataire (203) → Suspendue (208)")
    expect(timeline).to_contain_text("Commentaire : Joindre le bon de livraison.")
    expect(page.get_by_text("Ce que vous devez faire :")).to_be_visible()
    expect(page.locator("#delai")).to_contain_text("interrompu depuis le")
    check_page(page, "facture-chronologie")

    page.goto(f"/factures/{supplier['late'].pk}/")
    expect(page.get_by_role("heading", name="Paiement en retard de 20 jours")).to_be_visible()
    check_page(page, "facture-en-retard")
