"""The Celery app, wired as the Celery documentation shows for Django.

Configuration comes from Django settings under the ``CELERY_`` namespace; tasks are discovered in
each app's ``tasks.py``.
"""

import os

from celery import Celery
from celery.signals import task_prerun
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings.dev")

app = Celery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _reuse_database_connections(sender, **kwargs):
    """Celery's Django fixup reads the old, un-namespaced key ``CELERY_DB_REUSE_MAX`` (not
    ``worker_db_reuse_max``): give it CELERY_WORKER_DB_REUSE_MAX so that a worker keeps its
    database connection between tasks instead of opening one per task."""
    reuse = sender.conf.get("worker_db_reuse_max")
    if reuse and sender.conf.get("CELERY_DB_REUSE_MAX") is None:
        sender.conf["CELERY_DB_REUSE_MAX"] = reuse


@task_prerun.connect
def _close_unusable_database_connections(sender=None, **kwargs):
    """At the start of each task, drop a database connection that broke or outlived CONN_MAX_AGE and
    arm Django's health check (CONN_HEALTH_CHECKS: ``SELECT 1`` before the first query reuses it).

    The Django fixup only recycles connections every CELERY_WORKER_DB_REUSE_MAX tasks: without
    this, after PostgreSQL restarts or terminates an idle worker's backend, every task of that
    worker failed on the dead connection until ~100 tasks had run. Tasks run eagerly inside a
    request (or a test) are left alone: their connection is the request's, maybe in a transaction.
    """
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def ensure_broker_folders() -> None:
    """Create the folders of Kombu's filesystem transport (the embedded broker)."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@app.on_after_configure.connect
def _prepare_embedded_broker(sender, **kwargs):
    if str(sender.conf.broker_url).startswith("filesystem://"):
        ensure_broker_folders()
