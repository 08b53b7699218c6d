"""The durable e-mail outbox, in process: rows written in the caller's transaction, delivered once
(claim and lease), retried with backoff, swept, replayed by operators (command and admin)."""

import socket
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import CommandError, call_command, load_command_class
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import outbox
from accounts.models import OutboxEmail, OutboxState
from accounts.services import email_enqueue, outbox_retry
from accounts.tasks import deliver_email, send_email, sweep_outbox
from tests.accounts.factories import OutboxEmailFactory, UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db


def message(subject="[Chorus Pro] Sujet", to=("marie@entreprise.example",)) -> EmailMessage:
    return EmailMessage(subject=subject, body="Bonjour Marie,\n", to=list(to))


def row_of(pk) -> OutboxEmail:
    return OutboxEmail.objects.get(pk=pk)


@pytest.fixture
def broken_smtp(settings):
    """A real SMTP backend pointed at a port where nothing listens: every send is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_email, "apply_async", refuse)


# --- Written in the caller's transaction -----------------------------------------------------------


def test_an_email_is_a_pending_row_until_the_transaction_commits(django_capture_on_commit_callbacks):
    html_message = EmailMultiAlternatives(
        subject="[Chorus Pro] Activez votre compte",
        body="Texte",
        to=["marie@entreprise.example"],
        cc=["copie@entreprise.example"],
        headers={"X-Chorus": "1"},
    )
    html_message.attach_alternative("<p>HTML</p>", "text/html")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = email_enqueue(message=html_message)
    assert mail.outbox == []
    row = row_of(row.pk)
    assert row.state == OutboxState.PENDING and row.attempts == 0
    assert (row.to, row.cc, row.subject, row.body, row.html_body) == (
        ["marie@entreprise.example"],
        ["copie@entreprise.example"],
        "[Chorus Pro] Activez votre compte",
        "Texte",
        "<p>HTML</p>",
    )
    assert row.headers == {"X-Chorus": "1"} and len(row.idempotency_key) == 32
    [deliver] = callbacks
    deliver()
    [sent] = mail.outbox
    assert sent.to == ["marie@entreprise.example"] and sent.cc == ["copie@entreprise.example"]
    assert sent.alternatives[0].content == "<p>HTML</p>" and sent.extra_headers["X-Chorus"] == "1"
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and row.sent_at and row.attempts == 1 and row.claimed_until is None


def test_a_rolled_back_transaction_leaves_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            email_enqueue(message=message())
            raise RuntimeError("the caller's work failed")
    assert callbacks == [] and not OutboxEmail.objects.exists() and mail.outbox == []


def test_the_same_idempotency_key_writes_and_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = email_enqueue(message=message(), idempotency_key="evenement:42:marie@entreprise.example")
        second = email_enqueue(message=message(), idempotency_key="evenement:42:marie@entreprise.example")
    assert first.pk == second.pk and OutboxEmail.objects.count() == 1 and len(mail.outbox) == 1


def test_attachments_are_refused_rather_than_dropped():
    attached = message()
    attached.attach("facture.pdf", b"%PDF-1.4", "application/pdf")
    with pytest.raises(ValueError, match="pièces jointes"):
        email_enqueue(message=attached)


# --- Delivered once -------------------------------------------------------------------------------


def test_a_delivery_task_run_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = email_enqueue(message=message())
    assert deliver_email(row.pk) == "skipped"  # a redelivery of the same task
    assert deliver_email.delay(row.pk).get() == "skipped"
    assert len(mail.outbox) == 1 and row_of(row.pk).attempts == 1


def test_the_account_email_task_delivered_twice_sends_once():
    """``accounts.send_email`` (the task of earlier versions, still in queues at an upgrade): the same
    message delivered twice (same task id) is sent once."""
    kwargs = {"subject": "[Chorus Pro] Activez votre compte", "body": "Lien", "to": ["paul@entreprise.example"]}
    assert send_email.apply(kwargs=kwargs, task_id="tache-1").get() == "sent"
    assert send_email.apply(kwargs=kwargs, task_id="tache-1").get() == "skipped"
    assert len(mail.outbox) == 1
    assert OutboxEmail.objects.get().idempotency_key == "celery-task:tache-1"


def test_a_row_leased_by_another_worker_is_left_to_it_until_the_lease_ends(settings):
    settings.OUTBOX_LEASE_SECONDS = 300
    row = OutboxEmailFactory()
    assert outbox.outbox_claim(row.pk)  # a worker took it, then was killed before sending
    claimed = row_of(row.pk)
    assert claimed.claimed_until > timezone.now() and claimed.next_attempt_at == claimed.claimed_until
    assert deliver_email(row.pk) == "skipped" and mail.outbox == []
    assert outbox.outbox_due_ids(limit=10) == []
    # The lease runs out: the row is due again, the sweeper hands it on, it is sent once.
    OutboxEmail.objects.filter(pk=row.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert sweep_outbox() == {"requeued": 1, "published": 1}
    assert len(mail.outbox) == 1
    sent = row_of(row.pk)
    assert sent.state == OutboxState.SENT and sent.attempts == 2


def test_every_sending_of_a_row_has_the_same_message_id():
    row = OutboxEmailFactory(from_email="Chorus Pro <ne-pas-repondre@chorus.example>")
    first, second = outbox.message_from_row(row).message(), outbox.message_from_row(row).message()
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox.{row.pk}.") and first["Message-ID"].endswith("@chorus.example>")


# --- Broker down at the commit: the row waits for the sweeper ------------------------------------


def test_a_broker_outage_at_the_commit_sends_nothing_here_and_the_sweeper_sends_it_later(
    broker_down, settings, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        row = email_enqueue(message=message())
    assert mail.outbox == []  # not sent by the web process
    assert "Tâche accounts.deliver_email non mise en file" in caplog.text
    waiting = row_of(row.pk)
    assert waiting.state == OutboxState.PENDING and waiting.attempts == 0
    assert sweep_outbox() == {"requeued": 0, "published": 0}  # not due yet: its task may be late
    OutboxEmail.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(deliver_email, "apply_async")  # the broker is back
        assert sweep_outbox() == {"requeued": 1, "published": 1}
    assert [m.subject for m in mail.outbox] == ["[Chorus Pro] Sujet"]
    assert row_of(row.pk).state == OutboxState.SENT


# --- Sending errors: recorded, retried with backoff, then failed ----------------------------------


def test_a_sending_error_is_recorded_and_retried_with_backoff_then_failed(broken_smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 90
    row = OutboxEmailFactory()
    before = timezone.now()
    assert deliver_email(row.pk) == "retry"
    first = row_of(row.pk)
    assert first.state == OutboxState.PENDING and first.attempts == 1 and first.claimed_until is None
    assert "ConnectionRefusedError" in first.last_error
    assert before + timedelta(seconds=59) < first.next_attempt_at < timezone.now() + timedelta(seconds=61)
    assert deliver_email(row.pk) == "retry"
    second = row_of(row.pk)
    assert second.next_attempt_at > timezone.now() + timedelta(seconds=89)  # 120 s, capped at 90
    assert deliver_email(row.pk) == "failed"
    failed = row_of(row.pk)
    assert failed.state == OutboxState.FAILED and failed.attempts == 3
    assert deliver_email(row.pk) == "skipped"  # a failed row waits for an operator


def test_retry_delays_double_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 3600
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8)] == [60, 120, 240, 3600, 3600]


# --- Operators: outbox_retry, `manage.py outbox`, the admin ----------------------------------------


def test_retry_gives_failed_and_pending_rows_another_chance_but_never_resends(django_capture_on_commit_callbacks):
    failed = OutboxEmailFactory(failed=True)
    pending = OutboxEmailFactory(attempts=2)
    sent = OutboxEmailFactory(sent=True)
    leased = OutboxEmailFactory(claimed_until=timezone.now() + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        report = outbox_retry(ids=[pending.pk, sent.pk, leased.pk, 999999], failed=True)
    assert sorted(report.requeued) == sorted([failed.pk, pending.pk])
    assert (report.already_sent, report.in_progress, report.unknown) == ([sent.pk], [leased.pk], [999999])
    assert sorted(m.subject for m in mail.outbox) == sorted([failed.subject, pending.subject])
    assert row_of(failed.pk).state == OutboxState.SENT and row_of(failed.pk).attempts == 1


def test_outbox_list_counts_and_shows_rows_in_french():
    OutboxEmailFactory(subject="[Chorus Pro] En attente", to=["a@entreprise.example"])
    OutboxEmailFactory(failed=True, subject="[Chorus Pro] En échec")
    OutboxEmailFactory(sent=True)
    out = StringIO()
    call_command("outbox", "list", stdout=out)
    text = out.getvalue()
    assert "E-mails : 1 en attente, 1 envoyés, 1 en échec." in text
    assert "[Chorus Pro] En attente" in text and "a@entreprise.example" in text
    out = StringIO()
    call_command("outbox", "list", "--state", "failed", stdout=out)
    text = out.getvalue()
    assert "[Chorus Pro] En échec" in text and "[Chorus Pro] En attente" not in text
    assert "Dernière erreur de" in text and "ConnectionRefusedError" in text


def test_outbox_retry_command_reports_in_french(django_capture_on_commit_callbacks):
    failed = OutboxEmailFactory(failed=True)
    sent = OutboxEmailFactory(sent=True)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("outbox", "retry", str(failed.pk), str(sent.pk), stdout=out)
    text = out.getvalue()
    assert f"1 e-mails remis en file d'envoi : {failed.pk}" in text
    assert f"Déjà envoyés, non renvoyés : {sent.pk}" in text
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["list", "--state", "perdu"], "État inconnu « perdu »"),
        (["list", "--limit", "0"], "--limit doit être compris entre 1 et 10000."),
        (["retry"], "Indiquez des identifiants d'e-mails ou --failed."),
        (["retry", "douze"], "l'identifiant attend un nombre entier, pas « douze »."),
    ],
)
def test_outbox_command_refuses_bad_arguments_in_french(args, error):
    with pytest.raises(CommandError, match=error):
        call_command("outbox", *args, stdout=StringIO())


def test_the_admin_shows_rows_read_only_and_resends(client, django_capture_on_commit_callbacks):
    admin = UserFactory(superuser=True)
    failed = OutboxEmailFactory(failed=True, subject="[Chorus Pro] Refusé par le serveur")
    client.force_login(admin)
    page = client.get(reverse("admin:accounts_outboxemail_changelist"))
    assert page.status_code == 200 and "[Chorus Pro] Refusé par le serveur" in html(page)
    assert "Renvoyer les e-mails sélectionnés" in html(page)
    detail = client.get(reverse("admin:accounts_outboxemail_change", args=[failed.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    changed = client.post(reverse("admin:accounts_outboxemail_change", args=[failed.pk]), {"subject": "Autre"})
    assert changed.status_code == 403
    assert client.get(reverse("admin:accounts_outboxemail_add")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_outboxemail_changelist"),
            {"action": "resend", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert "1 e-mail remis en file d'envoi." in html(response)
    assert [m.subject for m in mail.outbox] == ["[Chorus Pro] Refusé par le serveur"]


def test_outbox_command_help_is_french():
    command = load_command_class("accounts", "outbox")
    text = command.create_parser("manage.py", "outbox").format_help()
    assert "Boîte d'envoi des e-mails" in text and "list|retry" in text
