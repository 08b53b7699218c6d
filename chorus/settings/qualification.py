"""A qualification space: production settings for a test instance where integrators try their
software (the API included) before production. A banner says so on every page, the API's
health check names the environment, and ``manage.py load_qualification`` loads the demo
recipients (directory and EJ). Use a database of its own: nothing here reaches production."""

import os

os.environ.setdefault("CHORUS_QUALIFICATION", "true")

from chorus.settings.base import *  # noqa: E402,F403

QUALIFICATION = True
