"""Every status has a plain-French meaning and a next step for the supplier."""

import pytest

from invoices.status_texts import STATUS_TEXTS, status_text
from invoices.workflow import Status


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_meaning_and_a_next_step(status):
    text = status_text(status)
    assert str(text.meaning).strip().endswith(".") and len(str(text.meaning)) > 20
    assert str(text.next_step).strip().endswith(".") and len(str(text.next_step)) > 15


def test_no_text_for_an_unknown_status():
    assert set(STATUS_TEXTS) == set(Status)
    with pytest.raises(ValueError):
        status_text("INCONNU")
