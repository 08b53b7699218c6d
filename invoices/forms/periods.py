"""The periods of the Tableau de bord (months) and of the Liste fiscale (month, quarter, year or
dates), read from the query string with French messages next to each field."""

import re
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.figures import MONTHS_FR, add_months

DASHBOARD_DEFAULT_MONTHS = 12
DASHBOARD_MAX_MONTHS = 36
FISCAL_MAX_DAYS = 366
MIN_YEAR = 2000
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str) -> date | None:
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < MIN_YEAR:
        return None
    return date(year, month, 1)


def month_value(day: date) -> str:
    return f"{day:%Y-%m}"


class MonthInput(forms.TextInput):
    input_type = "month"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DashboardPeriodForm(forms.Form):
    """From a month to a month included (``du``, ``au`` as AAAA-MM); the last 12 months by default."""

    du = forms.CharField(
        label=_("Du mois de"), required=False, widget=MonthInput, help_text=_("Format AAAA-MM, par exemple 2026-01.")
    )
    au = forms.CharField(
        label=_("Au mois de (inclus)"),
        required=False,
        widget=MonthInput,
        help_text=_("Format AAAA-MM, par exemple 2026-12."),
    )

    def __init__(self, data=None, *, today: date | None = None):
        self.today = today or timezone.localdate()
        this_month = self.today.replace(day=1)
        self.default_start = add_months(this_month, 1 - DASHBOARD_DEFAULT_MONTHS)
        self.default_end = this_month
        data = data if data and (data.get("du") or data.get("au")) else None
        super().__init__(data)

    def _month(self, name: str) -> date | None:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return None
        day = parse_month(value)
        if day is None:
            raise forms.ValidationError(_("Indiquez un mois au format AAAA-MM, par exemple 2026-01."))
        if day > self.today:
            raise forms.ValidationError(_("Ce mois n'a pas encore commencé."))
        return day

    def clean_du(self):
        return self._month("du")

    def clean_au(self):
        return self._month("au")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, last = data.get("du"), data.get("au")
        if start is None and last is None:
            start, last = self.default_start, self.default_end
        elif start is None:
            start = add_months(last, 1 - DASHBOARD_DEFAULT_MONTHS)
        elif last is None:
            last = min(add_months(start, DASHBOARD_DEFAULT_MONTHS - 1), self.today.replace(day=1))
        if start > last:
            self.add_error("au", _("Le mois de fin doit être le même que le mois de début ou le suivre."))
            return data
        months = (last.year - start.year) * 12 + last.month - start.month + 1
        if months > DASHBOARD_MAX_MONTHS:
            self.add_error(
                "au",
                _("Choisissez %(max)s mois au plus (vous en avez choisi %(n)s).")
                % {"max": DASHBOARD_MAX_MONTHS, "n": months},
            )
            return data
        data["start"], data["end"] = start, add_months(last, 1)
        return data

    def period(self) -> tuple[date, date]:
        """``[start, end)`` as first days of months; the default when the form is unbound."""
        if not self.is_bound:
            return self.default_start, add_months(self.default_end, 1)
        return self.cleaned_data["start"], self.cleaned_data["end"]


PERIOD_KINDS = [
    ("mois", _("Un mois")),
    ("trimestre", _("Un trimestre")),
    ("annee", _("Une année")),
    ("dates", _("Des dates")),
]
MONTH_CHOICES = [("", _("Choisir un mois"))] + [(str(i), name.capitalize()) for i, name in enumerate(MONTHS_FR, 1)]
QUARTER_CHOICES = [
    ("", _("Choisir un trimestre")),
    ("1", _("1er trimestre (janvier à mars)")),
    ("2", _("2e trimestre (avril à juin)")),
    ("3", _("3e trimestre (juillet à septembre)")),
    ("4", _("4e trimestre (octobre à décembre)")),
]


class FiscalPeriodForm(forms.Form):
    """A month, a quarter, a year or two dates (366 days at most); the previous month by default."""

    periode = forms.ChoiceField(label=_("Période"), choices=PERIOD_KINDS, widget=forms.RadioSelect, initial="mois")
    annee = forms.CharField(
        label=_("Année"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Pour un mois, un trimestre ou une année, par exemple 2026."),
    )
    mois = forms.ChoiceField(label=_("Mois"), required=False, choices=MONTH_CHOICES)
    trimestre = forms.ChoiceField(label=_("Trimestre"), required=False, choices=QUARTER_CHOICES)
    du = forms.DateField(
        label=_("Du"),
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Pour des dates, format JJ/MM/AAAA."),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 01/10/2026.")},
    )
    au = forms.DateField(
        label=_("Au (inclus)"),
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Format JJ/MM/AAAA."),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 31/12/2026.")},
    )

    def __init__(self, data=None, *, today: date | None = None):
        self.today = today or timezone.localdate()
        previous = add_months(self.today.replace(day=1), -1)
        self.default = {"periode": "mois", "annee": str(previous.year), "mois": str(previous.month)}
        super().__init__(data if data and data.get("periode") else None, initial=self.default)

    def clean_annee(self):
        value = (self.cleaned_data.get("annee") or "").strip()
        if not value:
            return None
        if not value.isdigit() or not MIN_YEAR <= int(value) <= self.today.year + 1:
            raise forms.ValidationError(
                _("Indiquez une année entre %(min)s et %(max)s.") % {"min": MIN_YEAR, "max": self.today.year + 1}
            )
        return int(value)

    def clean(self):
        data = super().clean()
        kind = data.get("periode")
        if kind is None:
            return data
        year = data.get("annee")
        if kind in ("mois", "trimestre", "annee") and year is None and "annee" not in self.errors:
            self.add_error("annee", _("Indiquez l'année de la période, par exemple 2026."))
        if kind == "mois" and not data.get("mois"):
            self.add_error("mois", _("Choisissez le mois."))
        if kind == "trimestre" and not data.get("trimestre"):
            self.add_error("trimestre", _("Choisissez le trimestre."))
        if kind == "dates":
            if data.get("du") is None and "du" not in self.errors:
                self.add_error("du", _("Indiquez la date de début."))
            if data.get("au") is None and "au" not in self.errors:
                self.add_error("au", _("Indiquez la date de fin."))
        if self.errors:
            return data
        if kind == "mois":
            start = date(year, int(data["mois"]), 1)
            end = add_months(start, 1) - timedelta(days=1)
        elif kind == "trimestre":
            start = date(year, 3 * int(data["trimestre"]) - 2, 1)
            end = add_months(start, 3) - timedelta(days=1)
        elif kind == "annee":
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            start, end = data["du"], data["au"]
            if start > end:
                self.add_error("au", _("La date de fin doit être la même que la date de début ou la suivre."))
                return data
            if (end - start).days + 1 > FISCAL_MAX_DAYS:
                self.add_error("au", _("Choisissez une période d'un an au plus (366 jours)."))
                return data
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        """``(start, end)``, both included; the previous month when the form is unbound."""
        if not self.is_bound:
            start = date(int(self.default["annee"]), int(self.default["mois"]), 1)
            return start, add_months(start, 1) - timedelta(days=1)
        return self.cleaned_data["start"], self.cleaned_data["end"]

    def query(self) -> str:
        """The query string of the chosen period (for the download links and the pages)."""
        source = self.data if self.is_bound else self.default
        return urlencode({k: source.get(k, "") for k in self.fields if source.get(k)})
