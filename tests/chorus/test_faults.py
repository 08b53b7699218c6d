"""Faults of Redis and PostgreSQL (marked ``services``: real Redis servers and a real worker).

- Redis frozen (SIGSTOP: connections are accepted, nothing answers) or stopped: ``/sante/`` answers
  503 within its own timeout, the login answers (no server error, rate limits in local memory),
  sending an invoice answers within seconds (the routing waits for the sweeper).
- The worker's PostgreSQL backend is terminated (a database restart, a failover): the next task
  succeeds at once instead of failing on the dead connection.

Each test starts its OWN throw-away redis-server on a free port, never the shared one.
"""

import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.core.mail import EmailMessage
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxEmail, OutboxState
from accounts.services import email_enqueue
from chorus.celery import app
from chorus.queue import broker_pause
from invoices import services
from invoices import tasks as invoice_tasks
from invoices.models import Invoice, InvoiceEvent, TransitionRequest, TransitionRequestState
from invoices.workflow import Status
from tests.accounts.factories import UserFactory
from tests.conftest import html, require, wait_for
from tests.invoices.conftest import seed_motifs
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory, make_agent

pytestmark = pytest.mark.services

# What "degrade within a second or two" allows on a busy 2-core machine.
PAGE_BUDGET = 4.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A throw-away redis-server of this test; yields {"url", "process"}; always stopped at the end."""
    require(bool(shutil.which("redis-server")), "redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
    try:
        wait_for(lambda: _pings(client), timeout=10)
        yield {"url": f"redis://127.0.0.1:{port}", "process": process}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.terminate()
            process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def portal_on_own_redis(own_redis, settings, requires_redis):
    """The web process of this test uses ``own_redis`` for its cache and its broker, with the
    production options (timeouts from the settings) and tasks really published."""
    assert app.conf.broker_transport_options.get("socket_timeout") == settings.REDIS_SOCKET_TIMEOUT
    settings.CACHES = {
        "default": {
            "BACKEND": "chorus.cache.FallbackRedisCache",
            "LOCATION": f"{own_redis['url']}/0",
            "OPTIONS": {
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
            },
            "FALLBACK_SECONDS": 30,
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.task_always_eager, app.conf.broker_write_url
    app.conf.task_always_eager, app.conf.broker_write_url = False, f"{own_redis['url']}/1"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app.amqp, "_producer_pool", None)
        patch.setattr(app, "_pool", None)
        try:
            yield own_redis
        finally:
            app.conf.task_always_eager, app.conf.broker_write_url = previous
            broker_pause.reset()


@pytest.fixture
def motifs():
    seed_motifs()  # routing may need them (a transactional test's flush empties the table)


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def _freeze(redis_server):
    redis_server["process"].send_signal(signal.SIGSTOP)


def _stop(redis_server):
    redis_server["process"].terminate()
    redis_server["process"].wait(timeout=10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", [_freeze, _stop], ids=["frozen", "stopped"])
def test_with_redis_frozen_or_stopped_the_pages_answer_within_seconds(
    portal_on_own_redis, client, settings, motifs, fault
):
    settings.HEALTH_CHECK_TOKEN = "jeton-de-supervision"  # the details of each check, for the probe
    user = UserFactory()
    member = MembershipFactory(user=user)
    draft = InvoiceFactory(supplier=member.structure)
    # Before the fault: everything answers, pooled connections exist.
    assert client.get(reverse("health")).status_code == 200
    login = {"login": user.email, "password": "mauvais-mot-de-passe"}
    assert client.post(reverse("account_login"), login).status_code == 200

    fault(portal_on_own_redis)

    health, seconds = timed(lambda: client.get(reverse("health"), HTTP_AUTHORIZATION="Bearer jeton-de-supervision"))
    assert health.status_code == 503 and health.json()["broker"]["status"] == "erreur"
    assert seconds < PAGE_BUDGET, f"/sante/ took {seconds:.1f} s"

    response, seconds = timed(lambda: client.post(reverse("account_login"), login))
    assert response.status_code == 200, response.status_code
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in html(response)
    assert seconds < PAGE_BUDGET, f"the login took {seconds:.1f} s"

    client.force_login(user)
    response, seconds = timed(lambda: client.post(reverse("invoices:send", args=[draft.pk])))
    assert response.status_code == 302 and response["Location"] == reverse("invoices:detail", args=[draft.pk])
    assert seconds < PAGE_BUDGET, f"sending took {seconds:.1f} s"
    assert Invoice.objects.get(pk=draft.pk).status == Status.DEPOSEE  # the sweeper routes it later
    assert client.get(reverse("accounts:dashboard")).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", [_freeze, _stop], ids=["frozen", "stopped"])
def test_with_redis_down_a_bulk_staff_action_answers_at_once_and_loses_nothing(portal_on_own_redis, client, fault):
    ministry = StructureFactory(public=True)
    agent = make_agent(ministry)
    invoices = [InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION) for _ in range(30)]
    client.force_login(agent)
    assert client.get(reverse("admin:invoices_invoice_changelist")).status_code == 200

    fault(portal_on_own_redis)

    response, seconds = timed(
        lambda: client.post(
            reverse("admin:invoices_invoice_changelist"),
            {"action": "transition_service_fait", "_selected_action": [i.pk for i in invoices], "index": "0"},
        )
    )
    assert response.status_code == 302
    assert seconds < PAGE_BUDGET, f"the bulk action took {seconds:.1f} s"
    # Nothing ran in the web process; all 30 wait, recorded with the page's answer.
    assert TransitionRequest.objects.filter(state=TransitionRequestState.PENDING).count() == 30
    assert not Invoice.objects.filter(status=Status.SERVICE_FAIT).exists()
    # Once a worker gets them (the sweeper hands them over when the broker is back): 30 applied, once.
    assert services.transition_requests_process() == {TransitionRequestState.APPLIED: 30}
    assert services.transition_requests_process() == {}
    assert Invoice.objects.filter(status=Status.SERVICE_FAIT).count() == 30
    assert InvoiceEvent.objects.filter(transition="service_fait").count() == 30


# --- The worker's database connection is terminated -----------------------------------------------


def _terminate_other_backends() -> int:
    """Terminate the backends of the test database other than this process's (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_after_its_database_backend_is_terminated_the_worker_runs_the_next_task(celery_worker_process, motifs):
    worker = celery_worker_process
    first = email_enqueue(message=_message("Avant"))  # autocommit: enqueued at once
    wait_for(lambda: OutboxEmail.objects.get(pk=first.pk).state == OutboxState.SENT, timeout=20)
    assert _terminate_other_backends() >= 1  # the worker's idle connection, as a restart would

    second = email_enqueue(message=_message("Après"))
    wait_for(lambda: OutboxEmail.objects.get(pk=second.pk).state == OutboxState.SENT, timeout=10)
    member = MembershipFactory()
    invoice = InvoiceFactory(
        supplier=member.structure, sent=True, sent_by=member.user, status_changed_at=timezone.now()
    )
    _terminate_other_backends()
    invoice_tasks.route_invoice.delay(invoice.pk)
    wait_for(lambda: Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION, timeout=10)
    # Two e-mails, and the supplier told (its notification follows the status change: wait for it).
    wait_for(lambda: len(list(worker["outbox"].glob("*.eml"))) == 3, timeout=10)
    assert "Retry in" not in worker["log"].read_text()


def _message(subject) -> EmailMessage:
    return EmailMessage(subject=f"[Chorus Pro] {subject}", body="Corps", to=["base@entreprise.example"])
