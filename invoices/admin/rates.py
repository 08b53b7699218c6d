"""The admin of the ECB rates of the late-payment interest (operators; ``manage.py late_payment_rate``)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorus import formats
from invoices import payment
from invoices.models import LatePaymentRate


@admin.register(LatePaymentRate)
class LatePaymentRateAdmin(admin.ModelAdmin):
    """One row per semester (1 January or 1 July, checked by the model); a row stays in force until
    the next. Model permissions apply: superusers, or staff given them."""

    list_display = ["valid_from", "semester", "ecb_rate", "interest_rate", "updated_at"]
    fields = ["valid_from", "ecb_rate"]
    ordering = ["-valid_from"]

    @admin.display(description=_("semestre"))
    def semester(self, obj):
        return payment.semester_label(obj.valid_from)

    @admin.display(description=_("taux des intérêts moratoires (BCE + 8 points)"))
    def interest_rate(self, obj):
        return formats.percent(payment.interest_rate(obj.ecb_rate))
