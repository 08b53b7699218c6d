"""Structures tasks: the expiry reminders of API applications. Thin: one service per task."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from structures.services import api_accounts


@shared_task(
    name="structures.remind_api_expiry", acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3
)
def remind_api_expiry() -> int:
    """E-mail the gestionnaires of API applications about to expire (once each; idempotent)."""
    return api_accounts.api_applications_remind()
