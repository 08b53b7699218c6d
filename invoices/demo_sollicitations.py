"""Demo sollicitations for `make run`: one open (a question on a suspended demo invoice, waiting for
support) and one answered by support (« En cours »), so "Sollicitations émises" and the support's
admin show both sides of a thread. Written directly, as past exchanges: no e-mail goes out.
Idempotent: nothing is written when the supplier already has them (same subjects)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from invoices.models import (
    Invoice,
    MessageAuthor,
    Sollicitation,
    SollicitationCategory,
    SollicitationMessage,
    SollicitationStatus,
)
from invoices.workflow import Status

OPEN_SUBJECT = "Quel justificatif joindre à la facture suspendue ?"
ANSWERED_SUBJECT = "Ajouter un collègue à notre structure"


@transaction.atomic
def load(*, supplier, manager, user, support) -> int:
    """Write the two demo sollicitations of ``supplier`` once; how many it has."""
    existing = Sollicitation.objects.filter(structure=supplier, subject__in=[OPEN_SUBJECT, ANSWERED_SUBJECT])
    if existing.exists():
        return existing.count()
    now = timezone.now()
    suspended = Invoice.objects.filter(supplier=supplier, status=Status.SUSPENDUE).order_by("-created_at").first()
    asked = now - timedelta(hours=3)
    open_one = Sollicitation.objects.create(
        structure=supplier,
        author=manager,
        category=SollicitationCategory.REJECTION,
        subject=OPEN_SUBJECT,
        invoice=suspended,
        created_at=asked,
        last_message_at=asked,
    )
    SollicitationMessage.objects.create(
        sollicitation=open_one,
        author_kind=MessageAuthor.REQUESTER,
        author=manager,
        created_at=asked,
        body=(
            "Bonjour,\n\nLe destinataire a suspendu notre facture avec le motif « Justificatif absent ou "
            "insuffisant ». Le bon de livraison signé suffit-il, ou faut-il aussi le procès-verbal de "
            "réception ?\n\nMerci."
        ),
    )
    opened, answered = now - timedelta(days=2), now - timedelta(days=1)
    answered_one = Sollicitation.objects.create(
        structure=supplier,
        author=user,
        category=SollicitationCategory.ACCOUNT,
        subject=ANSWERED_SUBJECT,
        status=SollicitationStatus.IN_PROGRESS,
        awaiting_support=False,
        created_at=opened,
        last_message_at=answered,
    )
    SollicitationMessage.objects.create(
        sollicitation=answered_one,
        author_kind=MessageAuthor.REQUESTER,
        author=user,
        created_at=opened,
        body="Bonjour, une collègue doit déposer nos factures : comment l'ajouter à la structure ?",
    )
    SollicitationMessage.objects.create(
        sollicitation=answered_one,
        author_kind=MessageAuthor.SUPPORT,
        author=support,
        created_at=answered,
        body=(
            "Bonjour,\n\nVotre collègue crée son compte, puis demande son rattachement depuis « Ma structure » > "
            "« Rejoindre une structure existante » (SIRET de votre entreprise). Votre gestionnaire principal "
            "valide la demande dans « Activités du gestionnaire ».\n\nLe guide « Se rattacher à sa structure » "
            "de l'aide détaille chaque étape."
        ),
    )
    return 2
