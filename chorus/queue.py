"""Enqueueing Celery tasks without ever failing the request that saved the work.

A task is enqueued once its transaction commits. If the broker cannot be reached, the error is
logged and, where the caller asks for it, the task runs right here instead (an account e-mail, a
staff action); otherwise the work waits in the database for the sweeper (invoice routing).
"""

import logging
from functools import partial

from celery import current_app
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


def task_named(name: str):
    """The registered task called ``name`` ("invoices.route_invoice"): the lower layers enqueue
    tasks by name, so that they never import the task modules that call them."""
    tasks = current_app.tasks
    if name not in tasks:  # task modules are imported with the apps' (autodiscover_tasks)
        current_app.loader.import_default_modules()
    return tasks[name]


def enqueue(task, *args, run_here_if_broker_down: bool = False, **kwargs) -> bool:
    """Publish ``task`` (a task or its registered name); on a broker outage log it and, if asked,
    run the task in this process.

    Returns whether the task went through the broker.
    """
    if isinstance(task, str):
        task = task_named(task)
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS:
        logger.exception("Tâche %s non mise en file (courtier indisponible ?) : %s %s", task.name, args, kwargs)
        if run_here_if_broker_down:
            task.apply(args=args, kwargs=kwargs)
        return False
    return True


def enqueue_on_commit(task, *args, run_here_if_broker_down: bool = False, **kwargs) -> None:
    transaction.on_commit(partial(enqueue, task, *args, run_here_if_broker_down=run_here_if_broker_down, **kwargs))
