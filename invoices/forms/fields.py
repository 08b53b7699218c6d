"""Fields and widgets of the invoice forms: French decimals ("1 234,56"), dates, several files, VAT rates."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.models import VAT_RATE_CHOICES

SPACES = (" ", "\u00a0", "\u202f")


class FrenchDecimalField(forms.DecimalField):
    """A decimal typed the French way: "1 234,56" (a dot is accepted too); shown with a comma."""

    def __init__(self, *args, min_places: int = 2, **kwargs):
        self.min_places = min_places
        kwargs.setdefault("localize", False)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs.pop("min", None)
        attrs.pop("max", None)
        attrs["inputmode"] = "decimal"
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            for char in SPACES:
                value = value.replace(char, "")
            value = value.replace("€", "").replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_decimal(value, self.min_places)
        return value


def format_decimal(value: Decimal, min_places: int = 2) -> str:
    """Decimal("2.5000") → "2,50" (min_places=2) or "2,5" (min_places=0)."""
    normalized = value.normalize()
    places = max(min_places, -normalized.as_tuple().exponent if normalized.as_tuple().exponent < 0 else 0)
    return f"{value:.{places}f}".replace(".", ",")


class FrenchDecimalInput(forms.TextInput):
    pass


FrenchDecimalField.widget = FrenchDecimalInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date valide, par exemple 15/01/2026.")},
        **kwargs,
    )


class RateField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[(f"{rate:.2f}", label) for rate, label in VAT_RATE_CHOICES],
            coerce=Decimal,
            initial="20.00",
            error_messages={"invalid_choice": _("Choisissez un taux de TVA en vigueur en France.")},
            **kwargs,
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float):
            try:
                return f"{Decimal(value):.2f}"
            except InvalidOperation:
                return value
        return value


class VatRateField(RateField):
    """The rate of a VAT breakdown line of a deposited invoice: the French rates, and any other
    rate from 0 to 99.99 % with two decimals at most, kept as invoiced (a copy of a German invoice
    keeps its 19 %); ``VatLineForm`` adds such a rate to the choices so the select shows it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["invalid_choice"] = _("Saisissez un taux de TVA de 0 à 99,99 % (deux décimales au plus).")

    def valid_value(self, value):
        return parse_rate(value) is not None


def parse_rate(value) -> Decimal | None:
    """A VAT rate from a form value ("7.00", "5,5"), or None when it is not one."""
    try:
        rate = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        return None
    if not rate.is_finite() or not (0 <= rate < 100) or rate != rate.quantize(Decimal("0.01")):
        return None
    return rate.quantize(Decimal("0.01"))


def rate_choice(rate: Decimal) -> tuple[str, str]:
    """The select option of a rate outside the French list."""
    return (f"{rate:.2f}", _("%(rate)s %% (hors taux français)") % {"rate": f"{rate.normalize():f}".replace(".", ",")})
