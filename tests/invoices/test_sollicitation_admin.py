"""The support's admin of sollicitations: who sees it, the answer form (message, files, status),
status changes and the bulk actions, the thread's files."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import OutboxEmail
from invoices import services
from invoices.models import MessageAuthor, SollicitationAttachment, SollicitationStatus
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.invoices.factories import SollicitationFactory
from tests.structures.factories import SupportUserFactory, make_agent

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:invoices_sollicitation_changelist"


def change_url(sollicitation):
    return reverse("admin:invoices_sollicitation_change", args=[sollicitation.pk])


@pytest.fixture
def support(client):
    user = SupportUserFactory()
    client.force_login(user)
    return user


def answer(client, sollicitation, **data):
    """Post the change page as a browser would: the thread inline's hidden fields, then ``data``."""
    page = client.get(change_url(sollicitation)).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(messages-[^"]+)" value="([^"]*)"', page))
    return client.post(
        change_url(sollicitation),
        {**hidden, "reply": "", "new_status": "", "_save": "Enregistrer", **data},
        follow=True,
    )


def test_support_sees_the_list_and_the_thread(client, support):
    sollicitation = SollicitationFactory(first_message="Mon PDF ne passe pas.")
    visitor = SollicitationFactory(visitor=True)
    page = html(client.get(reverse(CHANGELIST)))
    assert sollicitation.subject in page and visitor.subject in page and "visiteur" in page
    page = html(client.get(change_url(sollicitation)))
    assert "Mon PDF ne passe pas." in page and "Réponse au demandeur" in page
    assert 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize("kind", ["agent", "staff", "supplier"])
def test_nobody_else_sees_it(client, kind):
    sollicitation = SollicitationFactory()
    user = {
        "agent": lambda: make_agent(),
        "staff": lambda: UserFactory(staff=True),
        "supplier": lambda: sollicitation.author,
    }[kind]()
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code in (302, 403)
    assert client.get(change_url(sollicitation)).status_code in (302, 403)


def test_support_answers_with_a_file_and_the_requester_is_emailed(client, support):
    sollicitation = SollicitationFactory()
    response = answer(
        client,
        sollicitation,
        reply="Déposez un PDF texte, pas une image scannée.",
        reply_attachments=[SimpleUploadedFile("exemple.pdf", b"%PDF exemple")],
    )
    assert "Réponse envoyée au demandeur par e-mail." in html(response)
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.IN_PROGRESS and not sollicitation.awaiting_support
    last = sollicitation.messages.order_by("-id").first()
    assert last.author_kind == MessageAuthor.SUPPORT and last.author == support
    assert [a.original_filename for a in last.attachments.all()] == ["exemple.pdf"]
    [email] = OutboxEmail.objects.filter(to=[sollicitation.author.notification_email])
    assert "Déposez un PDF texte" in email.body and "exemple.pdf" in email.body


def test_answer_and_close(client, support):
    sollicitation = SollicitationFactory()
    answer(client, sollicitation, reply="C'est réglé.", new_status="CLOTUREE")
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.CLOSED and sollicitation.closed_at


def test_status_change_alone_and_no_change(client, support):
    sollicitation = SollicitationFactory()
    assert "Statut changé : Clôturée." in html(answer(client, sollicitation, new_status="CLOTUREE"))
    assert OutboxEmail.objects.filter(subject__contains="clôturée").count() == 1
    answer(client, sollicitation)
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.CLOSED
    assert sollicitation.messages.count() == 1


def test_answer_form_errors_are_shown_next_to_the_fields(client, support, settings):
    settings.INVOICE_MAX_ATTACHMENT_SIZE = 4
    sollicitation = SollicitationFactory()
    page = html(
        answer(client, sollicitation, reply="Voir", reply_attachments=[SimpleUploadedFile("gros.pdf", b"12345")])
    )
    assert "« gros.pdf » pèse" in page
    page = html(answer(client, sollicitation, reply_attachments=[SimpleUploadedFile("a.pdf", b"1")]))
    assert "Écrivez la réponse qui accompagne les pièces jointes." in page
    page = html(answer(client, sollicitation, reply="Oui", new_status="OUVERTE"))
    assert "Après une réponse, la sollicitation est « En cours » ou « Clôturée »." in page
    visitor = SollicitationFactory(visitor=True)
    page = html(answer(client, visitor, reply="Voir PJ", reply_attachments=[SimpleUploadedFile("a.pdf", b"1")]))
    assert "sans pièce jointe" in page
    assert not OutboxEmail.objects.exists()


def test_bulk_close(client, support):
    rows = [SollicitationFactory(), SollicitationFactory()]
    response = client.post(
        reverse(CHANGELIST),
        {"action": "close_selected", "_selected_action": [r.pk for r in rows]},
        follow=True,
    )
    assert "2 sollicitations passées au statut « Clôturée »." in html(response)
    assert OutboxEmail.objects.count() == 2


def test_thread_files_download_for_support_only(client, support):
    sollicitation = SollicitationFactory()
    services.sollicitation_reply(
        sollicitation=sollicitation, user=sollicitation.author, body="PJ", files=[SimpleUploadedFile("f.txt", b"abc")]
    )
    attachment = SollicitationAttachment.objects.get()
    url = reverse("admin:invoices_sollicitation_attachment", args=[sollicitation.pk, attachment.pk])
    assert url in html(client.get(change_url(sollicitation)))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"abc"
    other = SollicitationFactory()
    assert (
        client.get(reverse("admin:invoices_sollicitation_attachment", args=[other.pk, attachment.pk])).status_code
        == 404
    )
    client.force_login(make_agent())
    assert client.get(url).status_code in (302, 403)
