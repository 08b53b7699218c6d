"""The Celery app, wired as the Celery documentation shows for Django.

Configuration comes from Django settings under the ``CELERY_`` namespace; tasks are discovered in
each app's ``tasks.py``.
"""

import os

from celery import Celery

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
