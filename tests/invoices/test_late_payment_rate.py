"""The ECB rates of the late-payment interest: the operator command and the admin."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from invoices.models import LatePaymentRate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("late_payment_rate", *args, stdout=out)
    return out.getvalue()


def test_set_then_list_with_history_by_semester():
    assert "Taux enregistré : 2d semestre 2026" in run("set", "2,15", "--from", "2026-07-01")
    run("set", "4.50", "--from", "01/01/2024")
    assert "mis à jour" in run("set", "2.40", "--from", "2026-07-01")
    rows = list(LatePaymentRate.objects.values_list("valid_from", "ecb_rate"))
    assert rows == [(date(2026, 7, 1), Decimal("2.40")), (date(2024, 1, 1), Decimal("4.50"))]
    listing = run("list").splitlines()
    assert listing[0].startswith(
        "2d semestre 2026 (à partir du 01/07/2026) : BCE 2,4\u00a0%, intérêts moratoires 10,4\u00a0%"
    )
    assert listing[0].endswith("(en vigueur)")
    assert listing[1].startswith("1er semestre 2024")


def test_set_defaults_to_the_current_semester():
    from django.utils import timezone

    from invoices.payment import semester_start

    run("set", "2.15")
    assert LatePaymentRate.objects.get().valid_from == semester_start(timezone.localdate())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "2.15", "--from", "2026-07-02"], "1er janvier ou le 1er juillet (par exemple 01/07/2026)"),
        (["set", "deux", "--from", "2026-07-01"], "Le taux doit être un nombre"),
        (["set", "2.155", "--from", "2026-07-01"], "au plus deux décimales"),
        (["set", "45", "--from", "2026-07-01"], "entre -5 % et 30 %"),
        (["set", "2.15", "--from", "juillet"], "Date invalide"),
    ],
)
def test_bad_input_is_refused_in_french(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    assert not LatePaymentRate.objects.exists()


def test_list_without_rates():
    assert "Aucun taux enregistré" in run("list")


def test_the_admin_refuses_a_date_that_is_not_a_semester_start(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/invoices/latepaymentrate/add/", {"valid_from": "2026-03-01", "ecb_rate": "2.15"})
    assert response.status_code == 200
    assert "1er janvier ou le 1er juillet" in response.content.decode()
    response = client.post("/admin/invoices/latepaymentrate/add/", {"valid_from": "2026-07-01", "ecb_rate": "2.15"})
    assert response.status_code == 302
    assert LatePaymentRate.objects.get().ecb_rate == Decimal("2.15")
    assert "10,15" in client.get("/admin/invoices/latepaymentrate/").content.decode()
