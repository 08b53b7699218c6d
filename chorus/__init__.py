"""Chorus project package: settings, URLs, Celery app. No business logic lives here."""

from chorus.celery import app as celery_app

__all__ = ("celery_app",)
