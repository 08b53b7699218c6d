"""Production settings, the outbox e-mail backend, the Celery wiring and the demo loader."""

import email
import email.policy
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from chorus.mail import OutboxEmailBackend
from tests.conftest import BASE_DIR, wait_for


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chorus.settings.base",
        "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdefgh",
        "ALLOWED_HOSTS": "chorus.example",
        "CHORUS_VAR_DIR": str(tmp_path),
    }
    for key in (
        "DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    ):
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chorus.settings.base", "CHORUS_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_outbox_backend_writes_one_readable_eml_per_message(tmp_path):
    backend = OutboxEmailBackend(outbox_dir=tmp_path)
    messages = [
        mail.EmailMessage("Sujet é", "Lien : http://127.0.0.1:8000/compte/confirm-email/abc/", to=["a@b.example"]),
        mail.EmailMessage("Second", "Corps", to=["c@d.example"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    # Named by sending time, so the last file is the newest message (what the README tells to open).
    assert [email.message_from_bytes(f.read_bytes())["To"] for f in files] == ["a@b.example", "c@d.example"]
    raw = b"".join(f.read_bytes() for f in files)
    assert b"http://127.0.0.1:8000/compte/confirm-email/abc/" in raw  # the link is clickable as is


@pytest.mark.django_db
def test_send_email_task_sends_through_the_configured_backend():
    from accounts.tasks import send_email

    send_email.delay(subject="Test", body="Corps", html="<p>Corps</p>", to=["x@y.example"])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"


def test_send_email_task_is_declared_for_reliability():
    from accounts.tasks import send_email

    assert send_email.name == "accounts.send_email"
    assert send_email.acks_late is True
    assert send_email.max_retries == 8


@pytest.mark.services
def test_real_worker_on_redis_sends_account_email(celery_worker_process, client):
    """The full path: sign-up in a request, e-mail enqueued on commit, sent by a worker process."""
    from django.urls import reverse

    response = client.post(
        reverse("account_signup"),
        {
            "email": "worker@entreprise.example",
            "first_name": "Wanda",
            "last_name": "Worker",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
            "accept_cgu": "on",
        },
    )
    assert response.status_code == 302
    outbox = celery_worker_process["outbox"]
    files = wait_for(lambda: list(outbox.glob("*.eml")), timeout=30)
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)  # decodes headers
    assert message["To"] == "worker@entreprise.example"
    assert message["Subject"] == "[Chorus Pro] Activez votre compte"


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_logins():
    from accounts.models import User

    out = StringIO()
    call_command("load_demo", stdout=out)
    count = User.objects.count()
    call_command("load_demo", stdout=StringIO())
    assert User.objects.count() == count
    text = out.getvalue()
    assert "gestionnaire@fournisseur.example" in text and "Chorus-Demo-2026!" in text
    assert User.objects.get(email="admin@chorus.example").is_superuser
