"""The filters of the invoice list: status, recipient, code service, supplier SIRET, sending dates."""

import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.translation import gettext_lazy

from chorus.ids import parse_id
from chorus.prepared import Shapes
from invoices import workflow
from invoices.admin._common import staff_recipient_ids, staff_recipients, status_with_code
from invoices.workflow import Status
from structures.models import Service

FILTER_CHOICES_MAX = 200


class StatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("statut")
    parameter_name = "statut"

    def lookups(self, request, model_admin):
        return [(s.value, status_with_code(s)) for s in workflow.Status if s != workflow.Status.BROUILLON]

    def queryset(self, request, queryset):
        value = self.value()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class RecipientFilter(admin.SimpleListFilter):
    """The user's own recipient structures only (a superuser: those they are a member of; any
    other recipient by its id in the address)."""

    title = gettext_lazy("destinataire")
    parameter_name = "destinataire"

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{name} ({identifier})")
            for pk, name, identifier in staff_recipients(request)[:FILTER_CHOICES_MAX]
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            recipient_id = parse_id(value)
            if recipient_id is None:
                raise IncorrectLookupParameters(value)
            return queryset.filter(recipient_id=recipient_id)
        return queryset


# The code service choices, read on every page of the list: compiled once per process and shape.
_SERVICE_CHOICES = Shapes()


class ServiceFilter(admin.SimpleListFilter):
    """Services of the chosen recipient, or of the user's recipients (a ministry may have
    thousands: the first ``FILTER_CHOICES_MAX`` by code are offered)."""

    title = gettext_lazy("code service")
    parameter_name = "service"

    def lookups(self, request, model_admin):
        recipient_id = parse_id(request.GET.get(RecipientFilter.parameter_name, ""))
        scoped = recipient_id is None or not request.user.is_superuser
        ids = staff_recipient_ids(request) if scoped else []
        if scoped and not ids:
            return []  # no recipient: no service (``structure_id__in=[]`` matches nothing)
        given = recipient_id is not None
        values = [*([recipient_id] if given else []), *([ids] if scoped else [])]

        def build(*values):
            services = Service.objects.all()
            if given:
                services = services.filter(structure_id=values[0])
            if scoped:
                services = services.filter(structure_id__in=values[-1])
            return services.order_by("code", "pk").values_list("pk", "code", "name")[:FILTER_CHOICES_MAX]

        rows = _SERVICE_CHOICES.rows(("services", given, scoped, FILTER_CHOICES_MAX), build, values)
        return [(str(pk), f"{code} — {name}") for pk, code, name in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            service_id = parse_id(value)
            if service_id is None:
                raise IncorrectLookupParameters(value)
            return queryset.filter(recipient_service_id=service_id)
        return queryset


class InputFilter(admin.ListFilter):
    """A filter typed in text boxes (a SIRET, a date range): the lists of suppliers or dates are
    far too long for links. ``fields`` are (parameter, label, input type)."""

    template = "admin/invoices/input_filter.html"
    fields: tuple[tuple[str, str, str], ...] = ()

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name, _label, _type in self.fields:
            if name in params:
                value = params.pop(name)[-1].strip()
                if value:
                    self.used_parameters[name] = value

    def has_output(self):
        return True

    def expected_parameters(self):
        return [name for name, _label, _type in self.fields]

    def choices(self, changelist):
        # One entry for the template: the inputs and the other parameters of the page, kept.
        expected = set(self.expected_parameters())
        yield {
            "fields": [
                {"name": name, "label": label, "type": kind, "value": self.used_parameters.get(name, "")}
                for name, label, kind in self.fields
            ],
            "hidden": [(k, v) for k, v in changelist.params.items() if k not in expected],
            "active": bool(self.used_parameters),
            "clear_url": changelist.get_query_string(remove=list(expected)),
        }


class SupplierFilter(InputFilter):
    title = gettext_lazy("fournisseur")
    fields = (("fournisseur", gettext_lazy("SIRET du fournisseur"), "text"),)

    def queryset(self, request, queryset):
        value = self.used_parameters.get("fournisseur")
        if value:
            return queryset.filter(supplier__identifier=value.replace(" ", ""))
        return queryset


class SentAtFilter(InputFilter):
    title = gettext_lazy("date d'envoi")
    fields = (
        ("envoyee_du", gettext_lazy("du"), "date"),
        ("envoyee_au", gettext_lazy("au (inclus)"), "date"),
    )

    def queryset(self, request, queryset):
        start = self._date("envoyee_du")
        end = self._date("envoyee_au")
        if start:
            queryset = queryset.filter(sent_at__gte=_day_start(start))
        if end:
            queryset = queryset.filter(sent_at__lt=_day_start(end + datetime.timedelta(days=1)))
        return queryset

    def _date(self, name):
        value = self.used_parameters.get(name)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise IncorrectLookupParameters(value) from None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
