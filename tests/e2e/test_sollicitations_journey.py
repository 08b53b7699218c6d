"""Sollicitations in the browser: a supplier asks about an invoice with a file, support answers in
the admin, the supplier reads the answer and replies; "Nous contacter" and the help pages.
``check_page`` (axe, no horizontal overflow at 1280 and 390 px, screenshots) on each page."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from playwright.sync_api import expect

from invoices.models import Sollicitation, SollicitationStatus
from invoices.workflow import Status
from structures.access import SUPPORT_GROUP
from tests.accounts.factories import PASSWORD
from tests.invoices.conftest import seed_motifs
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory, SupportUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, email):
    page.goto("/compte/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/compte/login/).*$"))


def test_supplier_asks_support_answers_supplier_reads(page, second_page, check_page, settings, tmp_path):
    settings.SUPPORT_EMAIL = "support@chorus.example"
    seed_motifs()
    # A transactional test's flush empties the « Support » group of migration 0005: make it again.
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.add(Permission.objects.get(codename="support", content_type__app_label="structures"))
    member = MembershipFactory(structure=StructureFactory(name="Menuiserie Martin SARL"))
    invoice = InvoiceFactory(
        sent=True, supplier=member.structure, number="MM-204", status=Status.SUSPENDUE, sent_by=member.user
    )
    support = SupportUserFactory(first_name="Sam")

    login(page, member.user.email)
    page.goto(f"/factures/{invoice.pk}/")
    page.get_by_role("link", name=re.compile("Poser une question sur cette facture")).click()
    expect(page.locator("#id_invoice_reference")).to_have_value(invoice.identifier)
    page.locator("#id_subject").fill("")
    page.get_by_role("button", name="Envoyer au support").click()
    expect(page.locator("main")).to_contain_text("Saisissez l'objet de votre demande.")
    check_page(page, "sollicitation-form-errors")
    page.locator("#id_subject").fill("Quel justificatif pour la facture MM-204 ?")
    page.locator("#id_body").fill("Le bon de livraison suffit-il ?")
    proof = tmp_path / "bon-de-livraison.pdf"
    proof.write_bytes(b"%PDF-1.4 bon de livraison")
    page.locator("#id_attachments").set_input_files(str(proof))
    page.get_by_role("button", name="Envoyer au support").click()
    expect(page.locator("main h1")).to_have_text("Quel justificatif pour la facture MM-204 ?")
    expect(page.locator("main")).to_contain_text("bon-de-livraison.pdf")
    sollicitation = Sollicitation.objects.get()
    assert sollicitation.invoice == invoice
    assert any(m.to == ["support@chorus.example"] for m in mail.outbox)
    check_page(page, "sollicitation-detail-open")

    admin = second_page
    login(admin, support.email)
    admin.goto("/admin/invoices/sollicitation/")
    admin.get_by_role("link", name="Quel justificatif pour la facture MM-204 ?").click()
    expect(admin.locator("body")).to_contain_text("Le bon de livraison suffit-il ?")
    expect(admin.get_by_role("link", name="bon-de-livraison.pdf")).to_be_visible()
    admin.locator("#id_reply").fill("Oui, le bon de livraison signé suffit. Joignez-le en complétant la facture.")
    admin.locator("#id_new_status").select_option("EN_COURS")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator("ul.messagelist")).to_contain_text("Réponse envoyée au demandeur par e-mail.")
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.IN_PROGRESS
    answer = [m for m in mail.outbox if m.to == [member.user.notification_email]]
    assert answer and f"/sollicitations/{sollicitation.pk}/" in answer[-1].body

    page.goto(answer[-1].body.split("Voir la sollicitation et répondre : ")[1].split()[0])
    thread = page.locator("#fil")
    expect(thread).to_contain_text("Support Chorus Pro")
    expect(thread).to_contain_text("Oui, le bon de livraison signé suffit.")
    expect(page.locator("main")).to_contain_text("En cours")
    check_page(page, "sollicitation-detail-answered")
    page.locator("#id_body").fill("Merci, c'est fait.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_contain_text("Votre réponse est envoyée au support.")
    expect(thread).to_contain_text("Merci, c'est fait.")

    page.goto("/sollicitations/")
    expect(page.get_by_role("table")).to_contain_text("Quel justificatif pour la facture MM-204 ?")
    check_page(page, "sollicitation-list")


def test_contact_form_and_help_pages(page, check_page, settings):
    settings.SUPPORT_EMAIL = "support@chorus.example"
    seed_motifs()
    page.goto("/compte/login/")
    page.get_by_role("link", name="Nous contacter").first.click()
    expect(page.locator("main h1")).to_have_text("Nous contacter")
    check_page(page, "contact")
    page.locator("#id_email").fill("pas-une-adresse")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("main")).to_contain_text("Saisissez une adresse e-mail valide")
    check_page(page, "contact-errors")
    page.locator("#id_name").fill("Jeanne Visiteuse")
    page.locator("#id_email").fill("jeanne@exemple.fr")
    page.locator("#id_category").select_option("COMPTE")
    page.locator("#id_subject").fill("Inscription")
    page.locator("#id_body").fill("Je ne reçois pas le lien d'activation.")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.get_by_role("status")).to_contain_text("Votre message est envoyé au support sous la référence")
    assert Sollicitation.objects.get().contact_email == "jeanne@exemple.fr"

    page.goto("/aide/")
    check_page(page, "aide")
    for slug in ("creer-un-compte", "deposer-une-facture", "completer-une-facture", "motifs", "statuts"):
        page.goto(f"/aide/{slug}/")
        expect(page.locator("main h1")).to_be_visible()
        check_page(page, f"aide-{slug}")
