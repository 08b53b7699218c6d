"""Sollicitations services: open, reply, support's answer and statuses, the visitor's message, and
the e-mails they write to the outbox (recipients, links)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import OutboxEmail
from invoices import services
from invoices.models import MessageAuthor, Sollicitation, SollicitationCategory, SollicitationStatus
from structures.models import MembershipRole, MembershipStatus
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory, SollicitationFactory
from tests.structures.factories import MembershipFactory, SupportUserFactory

pytestmark = pytest.mark.django_db

BASE = "http://portail.example"


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.PORTAL_BASE_URL = BASE
    settings.SUPPORT_EMAIL = "support@chorus.example"


def upload(name="note.pdf", data=b"%PDF-1.4 justificatif"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def outbox(to=None):
    rows = OutboxEmail.objects.order_by("pk")
    return [row for row in rows if to is None or to in row.to]


def open_one(member, **kwargs):
    values = {
        "user": member.user,
        "structure": member.structure,
        "category": SollicitationCategory.DEPOSIT,
        "subject": "Dépôt refusé",
        "body": "Mon PDF est refusé, pourquoi ?",
    }
    return services.sollicitation_open(**{**values, **kwargs})


def test_open_writes_the_thread_and_tells_support_with_the_admin_link():
    member = MembershipFactory()
    invoice = InvoiceFactory(sent=True, supplier=member.structure)
    sollicitation = open_one(member, invoice=invoice, files=[upload()])
    assert sollicitation.status == SollicitationStatus.OPEN
    assert sollicitation.awaiting_support
    [message] = sollicitation.messages.all()
    assert message.author_kind == MessageAuthor.REQUESTER and message.author == member.user
    assert [a.original_filename for a in message.attachments.all()] == ["note.pdf"]
    [email] = outbox()
    assert email.to == ["support@chorus.example"]
    assert f"{BASE}/admin/invoices/sollicitation/{sollicitation.pk}/change/" in email.body
    assert "Mon PDF est refusé, pourquoi ?" in email.body
    assert invoice.identifier in email.body and member.structure.identifier in email.body
    assert "note.pdf" in email.body


def test_open_needs_an_active_membership_and_an_invoice_of_the_structure():
    member = MembershipFactory()
    with pytest.raises(PermissionDenied):
        open_one(MembershipFactory(status=MembershipStatus.PENDING, structure=member.structure))
    other_invoice = InvoiceFactory(sent=True)
    with pytest.raises(ValidationError) as exc:
        open_one(member, invoice=other_invoice)
    assert "invoice" in exc.value.message_dict
    assert not Sollicitation.objects.exists() and not outbox()


def test_open_refuses_files_over_the_portal_limits_in_french(settings):
    settings.INVOICE_MAX_ATTACHMENT_SIZE = 10
    member = MembershipFactory()
    with pytest.raises(ValidationError) as exc:
        open_one(member, files=[upload("gros.pdf", b"x" * 11), upload("script.exe", b"MZ"), upload("vide.txt", b"")])
    errors = exc.value.message_dict["attachments"]
    assert any("« gros.pdf » pèse" in e and "au plus 10" in e for e in errors)
    assert any("« script.exe » : ce type de fichier n'est pas accepté" in e for e in errors)
    assert any("« vide.txt » est vide." in e for e in errors)
    assert not Sollicitation.objects.exists()


def test_the_total_of_a_sollicitation_is_limited(settings):
    settings.INVOICE_MAX_TOTAL_SIZE = 30
    sollicitation = SollicitationFactory()
    services.sollicitation_reply(
        sollicitation=sollicitation, user=sollicitation.author, body="Voici", files=[upload(data=b"x" * 20)]
    )
    with pytest.raises(ValidationError) as exc:
        services.sollicitation_reply(
            sollicitation=sollicitation, user=sollicitation.author, body="Et ceci", files=[upload(data=b"y" * 20)]
        )
    assert "Les pièces jointes de la sollicitation pèseraient" in exc.value.message_dict["attachments"][0]


def test_subject_body_and_category_are_checked():
    member = MembershipFactory()
    with pytest.raises(ValidationError) as exc:
        open_one(member, subject=" ", body="", category="INCONNUE")
    assert set(exc.value.message_dict) == {"subject", "body", "category"}


def test_support_answer_goes_to_the_author_with_the_thread_link():
    sollicitation = SollicitationFactory()
    support = SupportUserFactory()
    services.sollicitation_answer(sollicitation=sollicitation, staff=support, body="Voici la marche à suivre.")
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.IN_PROGRESS
    assert not sollicitation.awaiting_support
    [email] = outbox()
    assert email.to == [sollicitation.author.notification_email]
    assert "Voici la marche à suivre." in email.body
    assert f"{BASE}/sollicitations/{sollicitation.pk}/" in email.body
    assert sollicitation.subject in email.subject


def test_only_support_answers_or_changes_a_status():
    sollicitation = SollicitationFactory()
    agent = UserFactory(staff=True)
    with pytest.raises(PermissionDenied):
        services.sollicitation_answer(sollicitation=sollicitation, staff=agent, body="Non")
    with pytest.raises(PermissionDenied):
        services.sollicitation_set_status(sollicitation=sollicitation, staff=agent, status=SollicitationStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        services.sollicitation_answer(sollicitation=sollicitation, staff=sollicitation.author, body="Non")


def test_answer_and_close_then_the_requester_reply_reopens_it():
    sollicitation = SollicitationFactory()
    support = SupportUserFactory()
    services.sollicitation_answer(
        sollicitation=sollicitation, staff=support, body="Réglé.", status=SollicitationStatus.CLOSED
    )
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.CLOSED and sollicitation.closed_at
    assert "clôturé" in outbox()[-1].body
    OutboxEmail.objects.all().delete()

    services.sollicitation_reply(sollicitation=sollicitation, user=sollicitation.author, body="Pas tout à fait.")
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.OPEN
    assert sollicitation.closed_at is None and sollicitation.awaiting_support
    [email] = outbox()
    assert email.to == ["support@chorus.example"]
    assert "elle est rouverte" in email.body and "Pas tout à fait." in email.body


def test_a_reply_to_a_sollicitation_in_progress_keeps_its_status():
    sollicitation = SollicitationFactory(status=SollicitationStatus.IN_PROGRESS, awaiting_support=False)
    colleague = MembershipFactory(structure=sollicitation.structure)
    services.sollicitation_reply(sollicitation=sollicitation, user=colleague.user, body="Une précision")
    sollicitation.refresh_from_db()
    assert sollicitation.status == SollicitationStatus.IN_PROGRESS and sollicitation.awaiting_support
    assert "rouverte" not in outbox()[-1].body


def test_reply_is_refused_to_someone_of_another_structure():
    sollicitation = SollicitationFactory()
    with pytest.raises(PermissionDenied):
        services.sollicitation_reply(sollicitation=sollicitation, user=MembershipFactory().user, body="Intrus")


def test_set_status_closing_tells_the_requester_once():
    sollicitation = SollicitationFactory()
    support = SupportUserFactory()
    assert services.sollicitation_set_status(sollicitation=sollicitation, staff=support, status="CLOTUREE")
    assert not services.sollicitation_set_status(sollicitation=sollicitation, staff=support, status="CLOTUREE")
    [email] = outbox()
    assert email.to == [sollicitation.author.notification_email] and "clôturée" in email.subject
    assert services.sollicitation_set_status(sollicitation=sollicitation, staff=support, status="EN_COURS")
    assert len(outbox()) == 1


def test_when_the_author_left_the_structure_its_main_managers_are_told():
    sollicitation = SollicitationFactory()
    manager = MembershipFactory(structure=sollicitation.structure, role=MembershipRole.MAIN_MANAGER)
    author_membership = sollicitation.structure.memberships.get(user=sollicitation.author)
    author_membership.status = MembershipStatus.REVOKED
    author_membership.save()
    services.sollicitation_answer(sollicitation=sollicitation, staff=SupportUserFactory(), body="Réponse")
    assert [row.to for row in outbox()] == [[manager.user.notification_email]]


def test_visitor_message_is_acknowledged_and_answered_by_email_without_files():
    sollicitation = services.sollicitation_contact(
        name="Jeanne Visiteuse",
        email="jeanne@exemple.fr",
        siret="73282932000074",
        category=SollicitationCategory.ACCOUNT,
        subject="Je n'arrive pas à m'inscrire",
        body="Le lien d'activation a expiré.",
    )
    assert sollicitation.structure is None and sollicitation.author is None and sollicitation.is_visitor
    support_mail, ack = outbox()
    assert support_mail.to == ["support@chorus.example"] and support_mail.reply_to == ["jeanne@exemple.fr"]
    assert "Nous contacter" in support_mail.body and "73282932000074" in support_mail.body
    assert ack.to == ["jeanne@exemple.fr"] and sollicitation.reference in ack.subject
    assert f"{BASE}/aide/" in ack.body

    support = SupportUserFactory()
    with pytest.raises(ValidationError) as exc:
        services.sollicitation_answer(sollicitation=sollicitation, staff=support, body="Voir PJ", files=[upload()])
    assert "sans pièce jointe" in exc.value.message_dict["attachments"][0]
    services.sollicitation_answer(sollicitation=sollicitation, staff=support, body="Nous vous avons renvoyé le lien.")
    answer = outbox()[-1]
    assert answer.to == ["jeanne@exemple.fr"]
    assert "Nous vous avons renvoyé le lien." in answer.body
    assert "/sollicitations/" not in answer.body  # a visitor has no page to open
    assert f"{BASE}/nous-contacter/" in answer.body


def test_personal_sollicitation_of_a_user_without_structure():
    user = UserFactory()
    sollicitation = services.sollicitation_open(
        user=user, structure=None, category="COMPTE", subject="Rattachement", body="Mon gestionnaire est parti."
    )
    services.sollicitation_answer(sollicitation=sollicitation, staff=SupportUserFactory(), body="Nous regardons.")
    assert outbox()[-1].to == [user.notification_email]
    with pytest.raises(PermissionDenied):
        services.sollicitation_reply(sollicitation=sollicitation, user=UserFactory(), body="Intrus")
