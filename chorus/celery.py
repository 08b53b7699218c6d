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
