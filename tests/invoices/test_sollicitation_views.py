"""Sollicitation pages (list, new, thread, reply, files), "Nous contacter" (limits, honeypot) and
the access rules: another structure's sollicitation, or a visitor's, is a 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OutboxEmail
from invoices import services
from invoices.models import Sollicitation, SollicitationAttachment, SollicitationStatus
from invoices.workflow import Status
from structures.models import MembershipStatus
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory, SollicitationFactory
from tests.structures.factories import MembershipFactory, SupportUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def new_data(**overrides):
    return {"category": "DEPOT", "subject": "PDF refusé", "body": "Mon PDF est refusé.", **overrides}


def test_navigation_has_sollicitations_emises(logged):
    page = html(logged.get(reverse("accounts:dashboard")))
    assert 'href="/sollicitations/"' in page and "Sollicitations émises" in page


def test_open_a_sollicitation_with_a_file(logged, member):
    response = logged.post(
        reverse("sollicitations:create"),
        {**new_data(), "attachments": [SimpleUploadedFile("capture.png", b"\x89PNG data")]},
    )
    sollicitation = Sollicitation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sollicitations/{sollicitation.pk}/"
    assert sollicitation.structure == member.structure and sollicitation.author == member.user
    page = html(logged.get(response["Location"]))
    assert "Mon PDF est refusé." in page and "capture.png" in page and "Ouverte" in page
    attachment = SollicitationAttachment.objects.get()
    download = logged.get(reverse("sollicitations:attachment", args=[sollicitation.pk, attachment.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"\x89PNG data"
    assert download["Content-Security-Policy"] == "sandbox"


def test_files_over_the_limits_are_refused_next_to_the_field(logged, settings):
    settings.INVOICE_MAX_ATTACHMENT_SIZE = 5
    response = logged.post(
        reverse("sollicitations:create"),
        {
            **new_data(),
            "attachments": [SimpleUploadedFile("gros.pdf", b"0123456789"), SimpleUploadedFile("a.exe", b"MZ")],
        },
    )
    page = html(response)
    assert response.status_code == 200
    assert "« gros.pdf » pèse" in page and "une pièce jointe pèse au plus 5" in page
    assert "« a.exe » : ce type de fichier n'est pas accepté en pièce jointe" in page
    assert 'id="id_attachments-messages"' in page and "fr-upload-group--error" in page
    assert not Sollicitation.objects.exists()


def test_missing_fields_have_french_messages(logged):
    page = html(logged.post(reverse("sollicitations:create"), {"category": "", "subject": "", "body": ""}))
    assert "Choisissez la catégorie de votre demande." in page
    assert "Saisissez l'objet de votre demande." in page
    assert "Saisissez votre message." in page


def test_ask_about_an_invoice_from_its_page(logged, member):
    invoice = InvoiceFactory(sent=True, supplier=member.structure, status=Status.SUSPENDUE)
    detail = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    link = f"/sollicitations/nouvelle/?facture={invoice.pk}"
    assert link in detail and "Poser une question sur cette facture" in detail
    assert reverse("aide:page", args=["completer-une-facture"]) in detail
    form = html(logged.get(link))
    assert f'value="{invoice.identifier}"' in form and 'value="REJET" selected' in form
    logged.post(link, new_data(invoice_reference=invoice.identifier))
    assert Sollicitation.objects.get().invoice == invoice


def test_the_invoice_is_found_by_its_number_and_must_be_the_structures(logged, member):
    mine = InvoiceFactory(sent=True, supplier=member.structure, number="F-2026-7")
    other = InvoiceFactory(sent=True, number="F-AUTRE")
    page = html(logged.post(reverse("sollicitations:create"), new_data(invoice_reference=other.identifier)))
    assert f"Aucune facture de {member.structure.name} n'a l'identifiant ou le numéro" in page
    logged.post(reverse("sollicitations:create"), new_data(invoice_reference="F-2026-7"))
    assert Sollicitation.objects.get().invoice == mine


def test_another_structures_invoice_in_the_link_is_a_404(logged):
    other = InvoiceFactory(sent=True)
    assert logged.get(f"/sollicitations/nouvelle/?facture={other.pk}").status_code == 404
    assert logged.get("/sollicitations/nouvelle/?facture=99999999999999999999999").status_code == 404


def test_another_structures_sollicitation_is_a_404(logged):
    other = SollicitationFactory()
    visitor = SollicitationFactory(visitor=True)
    for sollicitation in (other, visitor):
        assert logged.get(reverse("sollicitations:detail", args=[sollicitation.pk])).status_code == 404
        response = logged.post(reverse("sollicitations:detail", args=[sollicitation.pk]), {"body": "Intrus"})
        assert response.status_code == 404
    services.sollicitation_reply(
        sollicitation=other,
        user=other.author,
        body="Avec fichier",
        files=[SimpleUploadedFile("secret.pdf", b"%PDF secret")],
    )
    attachment = SollicitationAttachment.objects.get()
    assert logged.get(reverse("sollicitations:attachment", args=[other.pk, attachment.pk])).status_code == 404
    assert other.subject not in html(logged.get(reverse("sollicitations:list")))


def test_a_pending_member_sees_nothing(client, member):
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user)
    pending = MembershipFactory(structure=member.structure, status=MembershipStatus.PENDING)
    client.force_login(pending.user)
    assert client.get(reverse("sollicitations:detail", args=[sollicitation.pk])).status_code == 404


def test_colleagues_see_and_answer_the_structures_sollicitations(client, member):
    sollicitation = SollicitationFactory(
        structure=member.structure, author=member.user, status=SollicitationStatus.CLOSED
    )
    colleague = MembershipFactory(structure=member.structure)
    client.force_login(colleague.user)
    assert sollicitation.subject in html(client.get(reverse("sollicitations:list")))
    response = client.post(reverse("sollicitations:detail", args=[sollicitation.pk]), {"body": "Toujours bloqué"})
    assert response.status_code == 302
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.OPEN
    assert "la sollicitation est rouverte" in html(client.get(response["Location"]))


def test_support_answer_shows_in_the_thread(logged, member):
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user)
    services.sollicitation_answer(
        sollicitation=sollicitation,
        staff=SupportUserFactory(),
        body="Essayez avec un PDF texte.",
        files=[SimpleUploadedFile("mode-emploi.pdf", b"%PDF aide")],
    )
    page = html(logged.get(reverse("sollicitations:detail", args=[sollicitation.pk])))
    assert "Support Chorus Pro" in page and "Essayez avec un PDF texte." in page and "mode-emploi.pdf" in page
    assert "En cours" in page
    assert "Réponse du support" in html(logged.get(reverse("sollicitations:list")))


def test_list_pages_by_keyset_with_a_constant_number_of_queries(logged, member, django_assert_max_num_queries):
    for n in range(45):
        SollicitationFactory(
            structure=member.structure, author=member.user, subject=f"Sujet numéro {n:02d}", first_message=False
        )
    with CaptureQueriesContext(connection) as first:
        page1 = html(logged.get(reverse("sollicitations:list")))
    assert "Sujet numéro 44" in page1 and "Sujet numéro 24" not in page1
    assert "COUNT(" not in " ".join(q["sql"] for q in first.captured_queries).upper()
    next_url = page1.split('fr-pagination__link--next fr-pagination__link--lg-label" href="')[1].split('"')[0]
    with CaptureQueriesContext(connection) as second:
        page2 = html(logged.get(reverse("sollicitations:list") + next_url))
    assert "Sujet numéro 24" in page2 and "Sujet numéro 44" not in page2
    assert len(second.captured_queries) == len(first.captured_queries) <= 7  # 5 and the savepoint pair


def test_personal_requests_tab(client, member):
    personal = SollicitationFactory(personal=True, author=member.user, subject="Avant mon rattachement")
    client.force_login(member.user)
    page = html(client.get(reverse("sollicitations:list")))
    assert "Demandes personnelles" in page and personal.subject not in page
    assert personal.subject in html(client.get(reverse("sollicitations:list") + "?onglet=personnelles"))
    assert client.get(reverse("sollicitations:detail", args=[personal.pk])).status_code == 200


def test_a_user_without_structure_opens_a_personal_request(client):
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    form = html(client.get(reverse("sollicitations:create")))
    assert "votre demande est personnelle" in form and "id_invoice_reference" not in form
    client.post(reverse("sollicitations:create"), new_data(category="COMPTE"))
    sollicitation = Sollicitation.objects.get()
    assert sollicitation.structure is None and sollicitation.author == user


def test_detail_query_count(logged, member, django_assert_max_num_queries):
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user)
    for n in range(5):
        services.sollicitation_reply(
            sollicitation=sollicitation,
            user=member.user,
            body=f"Message {n}",
            files=[SimpleUploadedFile(f"f{n}.txt", b"x")],
        )
    with django_assert_max_num_queries(8):  # 6 and the request's savepoint pair
        logged.get(reverse("sollicitations:detail", args=[sollicitation.pk]))


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("sollicitations:list"))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


# --- Nous contacter ----------------------------------------------------------------------------


def contact_data(**overrides):
    return {
        "name": "Jeanne Visiteuse",
        "email": "jeanne@exemple.fr",
        "siret": "732 829 320 00074",
        "category": "COMPTE",
        "subject": "Inscription",
        "body": "Je ne reçois pas le lien d'activation.",
        "site_web": "",
        **overrides,
    }


def test_contact_creates_a_visitor_sollicitation(client, settings):
    settings.SUPPORT_EMAIL = "support@chorus.example"
    page = html(client.get(reverse("contact:form")))
    assert "Nous contacter" in page and 'name="site_web"' in page and "<div hidden" in page
    response = client.post(reverse("contact:form"), contact_data(), follow=True)
    sollicitation = Sollicitation.objects.get()
    assert sollicitation.is_visitor and sollicitation.contact_siret == "73282932000074"
    assert f"sous la référence {sollicitation.reference}" in html(response)
    assert sorted(row.to[0] for row in OutboxEmail.objects.all()) == ["jeanne@exemple.fr", "support@chorus.example"]


def test_contact_checks_fields_in_french(client):
    page = html(client.post(reverse("contact:form"), contact_data(email="pas-une-adresse", siret="123", name="")))
    assert "Saisissez une adresse e-mail valide" in page
    assert "Un SIRET comporte 14 chiffres." in page
    assert "Saisissez votre nom." in page
    assert not Sollicitation.objects.exists()


def test_contact_honeypot_drops_the_message(client):
    response = client.post(reverse("contact:form"), contact_data(site_web="http://spam.example"), follow=True)
    assert "Votre message est envoyé au support." in html(response)
    assert not Sollicitation.objects.exists() and not OutboxEmail.objects.exists()


def test_contact_is_limited_per_email(client, settings):
    settings.CONTACT_FORM_LIMITS = {"ip": {"count": 100, "seconds": 3600}, "email": {"count": 2, "seconds": 3600}}
    for _ in range(2):
        assert client.post(reverse("contact:form"), contact_data()).status_code == 302
    response = client.post(reverse("contact:form"), contact_data(email="JEANNE@exemple.fr"))
    page = html(response)
    assert response.status_code == 200
    assert "Vous avez envoyé trop de messages : réessayez dans 60 minutes." in page
    assert Sollicitation.objects.count() == 2
    # Another address from the same IP still gets through.
    assert client.post(reverse("contact:form"), contact_data(email="autre@exemple.fr")).status_code == 302


def test_contact_is_limited_per_ip(client, settings):
    settings.CONTACT_FORM_LIMITS = {"ip": {"count": 2, "seconds": 3600}, "email": {"count": 100, "seconds": 3600}}
    for n in range(2):
        client.post(reverse("contact:form"), contact_data(email=f"a{n}@exemple.fr"))
    page = html(client.post(reverse("contact:form"), contact_data(email="b@exemple.fr")))
    assert "réessayez dans" in page and Sollicitation.objects.count() == 2
    # The limit is per client IP: another address from another IP gets through.
    other_ip = client.post(reverse("contact:form"), contact_data(email="c@exemple.fr"), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 302


def test_a_logged_in_user_is_sent_to_the_sollicitation_form(logged):
    response = logged.get(reverse("contact:form"))
    assert response.status_code == 302 and response["Location"] == reverse("sollicitations:create")


def test_footer_and_login_page_link_contact_and_help(client):
    page = html(client.get(reverse("account_login")))
    assert 'href="/nous-contacter/"' in page and 'href="/aide/"' in page
    assert "/aide/creer-un-compte/" in page
    assert "/aide/creer-un-compte/" in html(client.get(reverse("account_signup")))
