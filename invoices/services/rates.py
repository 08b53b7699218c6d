"""The ECB rate of the late-payment interest, by semester: set by operators (command, admin)."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chorus import formats
from invoices import payment
from invoices.models import LatePaymentRate

MIN_RATE, MAX_RATE = Decimal("-5"), Decimal("30")


def parse_rate(value) -> Decimal:
    """A rate typed as ``2,15`` or ``2.15`` (per cent), checked; ValidationError (French) otherwise."""
    text = str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".").rstrip("%")
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"ecb_rate": _("Le taux doit être un nombre, par exemple 2,15.")}) from None
    if not rate.is_finite() or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError({"ecb_rate": _("Le taux a au plus deux décimales, par exemple 2,15.")})
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ValidationError({"ecb_rate": _("Le taux de la BCE doit être compris entre -5 % et 30 %.")})
    return rate


def check_valid_from(valid_from: date) -> date:
    if not payment.is_semester_start(valid_from):
        raise ValidationError(
            {
                "valid_from": _(
                    "Le taux s'applique par semestre : choisissez le 1er janvier ou le 1er juillet "
                    "(par exemple %(start)s)."
                )
                % {"start": payment.semester_start(valid_from).strftime("%d/%m/%Y")}
            }
        )
    return valid_from


@transaction.atomic
def late_payment_rate_set(*, ecb_rate, valid_from: date) -> tuple[LatePaymentRate, bool]:
    """Record the ECB rate in force from ``valid_from`` (a semester start); replaces that
    semester's rate if there is one. Returns the row and whether it was created."""
    rate = parse_rate(ecb_rate)
    check_valid_from(valid_from)
    row, created = LatePaymentRate.objects.select_for_update().get_or_create(
        valid_from=valid_from, defaults={"ecb_rate": rate}
    )
    if not created and row.ecb_rate != rate:
        row.ecb_rate = rate
        row.save(update_fields=["ecb_rate", "updated_at"])
    return row, created


def describe(row: LatePaymentRate) -> str:
    return _("%(semester)s (à partir du %(day)s) : BCE %(ecb)s, intérêts moratoires %(rate)s") % {
        "semester": payment.semester_label(row.valid_from),
        "day": row.valid_from.strftime("%d/%m/%Y"),
        "ecb": formats.percent(row.ecb_rate),
        "rate": formats.percent(payment.interest_rate(row.ecb_rate)),
    }
