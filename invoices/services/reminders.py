"""Reminders of unanswered suspensions and the daily digest e-mails."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from invoices import notifications
from invoices.models import DigestDelivery, Invoice
from invoices.workflow import Status


def invoices_remind_suspended(*, after_days: int, now=None) -> list[int]:
    """E-mail the supplier about each invoice SUSPENDUE for ``after_days`` days or more without an
    answer, once per period of ``after_days`` days (``last_reminder_at``, claimed by a conditional
    UPDATE in the same transaction as the e-mails' outbox rows: both commit or neither, so a second
    run sends nothing and a crash loses nothing). Returns the ids reminded."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=after_days)
    due = Q(status=Status.SUSPENDUE, status_changed_at__lte=cutoff) & (
        Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lte=cutoff)
    )
    reminded = []
    candidates = Invoice.objects.filter(due).order_by("status_changed_at", "id").values_list("id", "last_reminder_at")
    for pk, _previous in list(candidates):
        with transaction.atomic():
            if not Invoice.objects.filter(due, pk=pk).update(last_reminder_at=now):
                continue  # another run took it
            invoice = Invoice.objects.select_related("supplier", "recipient").get(pk=pk)
            notifications.send(notifications.reminder_messages(invoice, days=after_days))
        reminded.append(pk)
    return reminded


def digest_send(*, now=None) -> int:
    """Send the daily digests (``invoices.send_daily_digest``); return how many were sent. The
    day's ``DigestDelivery`` and the e-mail's outbox row commit together: once a day, never lost."""

    since, day = notifications.digest_window(now)
    sent = 0
    for user in notifications.digest_users():
        groups = notifications.digest_groups(user, since=since)
        if not groups:
            continue
        count = sum(len(g["events"]) for g in groups)
        try:
            with transaction.atomic():
                DigestDelivery.objects.create(user=user, day=day, events_count=count)
                notifications.send([notifications.digest_message(user, groups=groups, since=since, day=day)])
        except IntegrityError:
            continue  # already sent today
        sent += 1
    return sent
