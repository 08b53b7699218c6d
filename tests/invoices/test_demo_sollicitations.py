"""load_demo writes one open and one answered sollicitation of the demo supplier, once, without e-mail."""

import io

import pytest
from django.core.management import call_command

from accounts.models import OutboxEmail
from invoices.models import MessageAuthor, Sollicitation, SollicitationStatus
from structures import access

pytestmark = pytest.mark.django_db


def test_demo_sollicitations_open_and_answered_once():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    outbox_rows = OutboxEmail.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Sollicitation.objects.count() == 2 and OutboxEmail.objects.count() == outbox_rows
    assert "Sollicitations de démonstration : 2" in out.getvalue()
    open_one = Sollicitation.objects.get(status=SollicitationStatus.OPEN)
    assert open_one.awaiting_support and open_one.invoice is not None
    assert open_one.invoice.supplier_id == open_one.structure_id
    answered = Sollicitation.objects.get(status=SollicitationStatus.IN_PROGRESS)
    assert [m.author_kind for m in answered.messages.order_by("created_at")] == [
        MessageAuthor.REQUESTER,
        MessageAuthor.SUPPORT,
    ]
    support = answered.messages.get(author_kind=MessageAuthor.SUPPORT).author
    assert access.is_support(support)
    for sollicitation in (open_one, answered):
        assert access.is_active_member(sollicitation.author, sollicitation.structure)
