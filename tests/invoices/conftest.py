"""Fixtures of the lifecycle tests."""

import importlib

import pytest


def seed_motifs() -> None:
    """The motifs catalogue as migration 0003 seeds it (a transactional test's flush empties it)."""
    from django.apps import apps

    importlib.import_module("invoices.migrations.0003_seed_motifs").seed(apps, None)


@pytest.fixture
def motifs():
    seed_motifs()
    from invoices.models import Motif

    return {m.code: m for m in Motif.objects.all()}
