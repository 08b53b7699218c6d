"""Shared fixtures.

Tests marked ``services`` need PostgreSQL, Redis or a real Celery worker; tests marked
``browser`` need Debian's Chromium. Locally they skip with a reason when those are missing; in CI
(``CI=true``, see .ci/run) they fail instead, so a green CI means they really ran.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from chorus.settings import strict_templates

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BASE_DIR = Path(__file__).resolve().parent.parent


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a service or tool a test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI requires this: {reason}")
    pytest.skip(reason)


def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else ""


def redis_available() -> bool:
    url = redis_url()
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def requires_postgres():
    require(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "DATABASE_URL must point to PostgreSQL")


@pytest.fixture
def requires_redis():
    require(redis_available(), "CELERY_BROKER_URL must point to a running Redis")


@pytest.fixture
def celery_worker_process(requires_postgres, requires_redis, transactional_db, tmp_path):
    """A real `celery worker` subprocess on Redis, sharing the test database.

    Yields a dict with the outbox folder where the worker writes e-mails, the ``process`` and
    ``restart(**extra_env)``, which starts a new worker (stopping the current one if it still
    runs) with more environment variables. The test process stops running tasks eagerly while
    the worker is up, so ``.delay()`` goes through the broker.
    """
    from chorus.celery import app

    outbox = tmp_path / "outbox"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chorus.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_EMAIL_BACKEND": "chorus.mail.OutboxEmailBackend",
        "EMAIL_OUTBOX_DIR": str(outbox),
        "CHORUS_VAR_DIR": str(tmp_path / "var"),
    }
    app.control.purge()
    state = {"outbox": outbox}

    def start(**extra_env):
        # Output goes to a file (a pipe nobody reads would block a chatty worker); ``log`` names it.
        log = tmp_path / f"worker-{state.get('started', 0) + 1}.log"
        state["started"] = state.get("started", 0) + 1
        state["log"] = log
        state["log_file"] = log.open("w")  # closed by stop()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "chorus",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env={**env, **extra_env},
            stdout=state["log_file"],
            stderr=subprocess.STDOUT,
        )
        state["process"] = process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5)
            if replies:
                return process
            if process.poll() is not None:
                raise RuntimeError("celery worker exited: " + log.read_text())
        raise RuntimeError("celery worker did not answer within 30 s")

    def stop():
        process = state.get("process")
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if state.get("log_file") is not None:
            state.pop("log_file").close()

    def restart(**extra_env):
        stop()
        return start(**extra_env)

    state["restart"] = restart
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        start()
        yield state
    finally:
        app.conf.task_always_eager = previous
        stop()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns a truthy value, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def _no_invalid_template_variable(request):
    """Fail a test whose rendering met an invalid variable, even if the error was caught on the way
    (an e-mail rendered in a task, a broad ``except``); see chorus/settings/strict_templates.py."""
    strict_templates.FAILURES.clear()
    yield
    failures, strict_templates.FAILURES[:] = list(strict_templates.FAILURES), []
    if failures and not getattr(request.node, "call_failed", False):  # else already reported
        pytest.fail("\n".join(failures))


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits live in the cache: each test starts with none used, and no outage remembered by
    the cache's fallback or by the publishing pause of chorus.queue."""
    from django.core.cache import cache

    from chorus import fragments
    from chorus.cache import reset_fallback
    from chorus.queue import broker_pause
    from chorus.templatetags import forget_once

    reset_fallback()
    broker_pause.reset()
    cache.clear()
    # Markup kept in process memory, keyed on all it shows: each test renders its own again.
    forget_once()
    fragments.clear()
    yield
    reset_fallback()
    broker_pause.reset()


def html(response) -> str:
    """The response body as text, HTML entities decoded (so apostrophes read as typed)."""
    from html import unescape

    return unescape(response.content.decode())
