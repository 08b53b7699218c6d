"""The lines of a typed invoice and the VAT breakdown of a deposited one: forms, formsets, rows."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invoices.forms.fields import FrenchDecimalField, RateField, VatRateField, parse_rate, rate_choice
from invoices.models import Invoice


class LineForm(forms.Form):
    designation = forms.CharField(
        label=_("Désignation"),
        max_length=255,
        error_messages={"required": _("Saisissez la désignation.")},
    )
    quantity = FrenchDecimalField(
        label=_("Quantité"),
        max_digits=15,
        decimal_places=4,
        min_places=0,
        error_messages={"required": _("Saisissez la quantité.")},
    )
    unit = forms.CharField(label=_("Unité"), max_length=20, required=False)
    unit_price_ht = FrenchDecimalField(
        label=_("Prix unitaire HT (€)"),
        max_digits=15,
        decimal_places=4,
        min_value=0,
        error_messages={"required": _("Saisissez le prix unitaire HT.")},
    )
    vat_rate = RateField(label=_("Taux de TVA"))
    exemption_reason = forms.CharField(label=_("Motif d'exonération (TVA 0 %)"), max_length=255, required=False)

    def clean_quantity(self):
        value = self.cleaned_data["quantity"]
        if value is not None and value <= 0:
            raise ValidationError(_("La quantité doit être positive."))
        return value


class VatLineForm(forms.Form):
    rate = VatRateField(label=_("Taux de TVA"))
    base_ht = FrenchDecimalField(
        label=_("Base HT (€)"),
        max_digits=15,
        decimal_places=2,
        min_value=0,
        error_messages={"required": _("Saisissez la base HT.")},
    )
    vat_amount = FrenchDecimalField(
        label=_("Montant de TVA (€)"),
        max_digits=15,
        decimal_places=2,
        min_value=0,
        error_messages={"required": _("Saisissez le montant de TVA.")},
    )
    exemption_reason = forms.CharField(label=_("Motif d'exonération"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A rate outside the French list (initial or posted) is shown as such, never replaced.
        raw = self.data.get(self.add_prefix("rate")) if self.is_bound else self.initial.get("rate")
        rate = parse_rate(raw) if raw not in (None, "") else None
        field = self.fields["rate"]
        if rate is not None and f"{rate:.2f}" not in {value for value, _label in field.choices}:
            field.choices = [*field.choices, rate_choice(rate)]


LineFormSet = forms.formset_factory(LineForm, extra=1, can_delete=True, max_num=500, validate_max=True)
VatLineFormSet = forms.formset_factory(VatLineForm, extra=1, can_delete=True, max_num=20, validate_max=True)


def formset_rows(formset) -> list[dict]:
    """The filled, not deleted forms of a valid formset, as dicts."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
    return rows


def line_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "designation": line.designation,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price_ht": line.unit_price_ht,
            "vat_rate": f"{line.vat_rate:.2f}",
            "exemption_reason": line.exemption_reason,
        }
        for line in invoice.lines.all()
    ]


def vat_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "rate": f"{line.rate:.2f}",
            "base_ht": line.base_ht,
            "vat_amount": line.vat_amount,
            "exemption_reason": line.exemption_reason,
        }
        for line in invoice.vat_lines.all()
    ]
