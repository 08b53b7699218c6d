"""A supplier deposits a PDF and sends it; then accepts the billing mandate, types an invoice with
two lines (totals shown live) and sends it. Both reach "Déposée"."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoices.models import Invoice
from invoices.workflow import Status
from tests.accounts.factories import PASSWORD
from tests.invoices import pdfs
from tests.structures.factories import BankAccountFactory, MembershipFactory, ServiceFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supplier():
    membership = MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))
    BankAccountFactory(structure=membership.structure)
    recipient = StructureFactory(public=True, name="Ministère de l'Intérieur", service_required=True)
    ServiceFactory(structure=recipient, code="ACHATS-75", name="Service des achats")
    return {"user": membership.user, "structure": membership.structure, "recipient": recipient}


def login(page, user):
    page.goto("/compte/login/")
    page.get_by_label("Courriel").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()


def test_deposit_a_pdf_and_send_it(page, supplier, tmp_path):
    recipient = supplier["recipient"]
    path = tmp_path / "facture-0042.pdf"
    path.write_bytes(
        pdfs.invoice_text_pdf(
            number="MM-0042",
            invoice_date=timezone.localdate().strftime("%d/%m/%Y"),
            supplier_siret=supplier["structure"].identifier,
            recipient_siret=recipient.identifier,
        )
    )
    login(page, supplier["user"])
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Factures émises").click()
    page.get_by_role("link", name="Déposer une facture (PDF ou XML)").click()
    page.get_by_label("Fichier de la facture").set_input_files(str(path))
    page.get_by_role("button", name="Déposer le fichier").click()

    expect(page.get_by_text("Valeurs proposées d'après le texte du PDF")).to_be_visible()
    expect(page.get_by_label("Numéro de facture")).to_have_value("MM-0042")
    expect(page.get_by_label("Montant TTC (€)")).to_have_value("1200,00")
    expect(page.get_by_label(re.compile("Ministère de l'Intérieur"))).to_be_checked()

    # The recipient requires a code service: the first sending is refused next to the field.
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_text("exige un code service")).to_have_count(2)  # summary + field
    expect(page.get_by_label("Numéro de facture")).to_have_value("MM-0042")

    page.get_by_label("Code service du destinataire").select_option(label="ACHATS-75 — Service des achats")
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_text(re.compile(r"est déposée sous l'identifiant FAC-\d{4}-\d{7}"))).to_be_visible()
    # Deposited, then routed after the commit (tasks run in process here): the history says so.
    history = page.get_by_role("list", name="Historique de la facture")
    expect(history.get_by_role("listitem")).to_have_count(3)  # deposit + 2 routing steps
    expect(history).to_contain_text("Brouillon → Déposée (200)")

    invoice = Invoice.objects.get()
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.recipient_service.code == "ACHATS-75"


def test_type_an_invoice_with_two_lines_and_send_it(page, supplier):
    login(page, supplier["user"])
    page.goto("/factures/")
    page.get_by_role("link", name="Saisir une facture").click()
    expect(page.get_by_role("heading", name="Mandat de facturation")).to_be_visible()
    page.get_by_text("J'accepte, au nom de la structure").click()
    if page.get_by_text("J'accepte les conditions générales").count():
        page.get_by_text("J'accepte les conditions générales").click()
    page.get_by_role("button", name="Accepter et saisir une facture").click()
    expect(page.get_by_role("heading", name="Saisir une facture")).to_be_visible()

    page.get_by_label("Numéro de facture").fill("MM-S-7")
    page.get_by_label("Date de facture").fill(timezone.localdate().isoformat())
    # Recipient search as you type (JSON look-up), then its services.
    page.get_by_label("Rechercher le destinataire").fill("intérieur")
    page.get_by_label(re.compile("Ministère de l'Intérieur")).check(force=True)
    service = page.get_by_label("Code service du destinataire")
    expect(service.locator("option", has_text="ACHATS-75")).to_have_count(1)
    service.select_option(label="ACHATS-75 — Service des achats")

    page.get_by_label("Désignation, ligne 1").fill("Pose de fenêtres")
    page.get_by_label("Quantité, ligne 1").fill("3")
    page.get_by_label("Prix unitaire HT (€), ligne 1").fill("333,335")
    page.get_by_role("button", name="Ajouter une ligne").click()
    page.get_by_label("Désignation, ligne 2").fill("Déplacement")
    page.get_by_label("Quantité, ligne 2").fill("1")
    page.get_by_label("Prix unitaire HT (€), ligne 2").fill("50")
    page.get_by_label("Taux de TVA, ligne 2").select_option("10.00")
    # 3 × 333,335 = 1000,005 → 1000,01 at 20 % (200,00) ; 50,00 at 10 % (5,00)
    expect(page.locator("#total-ht")).to_have_text("1\u202f050,01\u00a0€")
    expect(page.locator("#total-ttc")).to_have_text("1\u202f255,01\u00a0€")

    page.get_by_role("button", name="Enregistrer en mode brouillon").click()
    expect(page.get_by_text("Le brouillon est enregistré.")).to_be_visible()
    expect(page.locator("#total-tva")).to_have_text("205,00\u00a0€")

    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_text(re.compile(r"La facture n° MM-S-7 est déposée"))).to_be_visible()
    expect(page.get_by_role("list", name="Historique de la facture")).to_contain_text("Brouillon → Déposée (200)")

    invoice = Invoice.objects.get()
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.lines.count() == 2
    assert str(invoice.amount_ttc) == "1255.01"
    assert invoice.pdf
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Factures émises").click()
    expect(page.get_by_role("cell", name="MM-S-7", exact=True)).to_be_visible()
