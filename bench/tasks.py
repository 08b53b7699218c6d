"""The benchmark's reference task: one UPDATE and one INSERT in one transaction, through the same
Celery workers as the portal's tasks (``celery worker -I bench.tasks``). The ceiling that the
staff transitions are compared with in the same run."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from invoices.models import Invoice, InvoiceEvent

MARK = "banc : tâche de référence"


@shared_task(name="bench.update_insert", acks_late=True, ignore_result=True)
def update_insert(invoice_id: int, supplier_id: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        Invoice.objects.filter(pk=invoice_id).update(updated_at=now)
        InvoiceEvent.objects.create(
            invoice_id=invoice_id,
            supplier_id=supplier_id,
            transition="",
            from_status="MISE_EN_PAIEMENT",
            to_status="MISE_EN_PAIEMENT",
            actor_kind="systeme",
            comment=MARK,
            created_at=now,
        )
