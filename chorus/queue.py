"""Enqueueing Celery tasks without ever failing, or holding up, the request that saved the work.

A task is enqueued once its transaction commits. The work itself is already in the database (an
outbox row, an invoice DEPOSEE, an unnotified event), so a lost publish only delays it: the
sweepers of beat hand it to a worker later (staff actions too: ``TransitionRequest`` rows). If the
broker cannot be reached, the error is logged; nothing is run in the web process instead.

Bounded waits: the broker's socket timeouts (settings, REDIS_SOCKET_TIMEOUT) make a publish to a
frozen Redis fail in about two seconds; after such a failure this process does not try the broker
again for BROKER_OUTAGE_PAUSE_SECONDS, so a page that enqueues many tasks (a bulk action, an event
told to ten people) pays that wait once, not once per task.
"""

import logging
import threading
import time
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

# What a publish raises when the broker is unreachable (kombu wraps most of redis' errors).
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuError, OSError)
try:  # pragma: no cover - redis is installed wherever a Redis broker is used
    import redis.exceptions

    BROKER_ERRORS += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover
    pass


class _Pause:
    """Until when this process leaves the broker alone after a failed publish (monotonic clock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        with self._lock:
            self.until = time.monotonic() + settings.BROKER_OUTAGE_PAUSE_SECONDS

    def reset(self) -> None:
        with self._lock:
            self.until = 0.0


broker_pause = _Pause()


def task_named(name: str):
    """The registered task called ``name`` ("invoices.route_invoice"): the lower layers enqueue
    tasks by name, so that they never import the task modules that call them."""
    tasks = current_app.tasks
    if name not in tasks:  # task modules are imported with the apps' (autodiscover_tasks)
        current_app.loader.import_default_modules()
    return tasks[name]


def enqueue(task, *args, **kwargs) -> bool:
    """Publish ``task`` (a task or its registered name); on a broker outage log it (the work waits
    in the database for a sweeper; nothing runs in the web process).

    Returns whether the task went through the broker. Eager mode (no broker) never pauses.
    """
    if isinstance(task, str):
        task = task_named(task)
    eager = task.app.conf.task_always_eager
    if not eager and broker_pause.active():
        logger.warning("Tâche %s non mise en file (courtier en panne, nouvel essai plus tard)", task.name)
    else:
        try:
            task.delay(*args, **kwargs)
        except BROKER_ERRORS:
            logger.exception("Tâche %s non mise en file (courtier indisponible ?) : %s %s", task.name, args, kwargs)
            if not eager:
                broker_pause.start()
        else:
            return True
    return False


def enqueue_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
