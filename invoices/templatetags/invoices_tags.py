"""Display helpers of the invoice pages: status badges, a typed line's total (formats: ``{% load chorus %}``)."""

from django import template
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from chorus import formats
from invoices import charts, figures_html, home, rows
from invoices.timeline import timeline_html
from invoices.totals import line_total
from invoices.views.tabs import workspace_tabs as _workspace_tabs

register = template.Library()


@register.simple_tag
def status_badge(invoice):
    """The DSFR badge of the invoice's status (``invoices.rows.badge``, also used by the lists)."""
    return rows.badge(invoice.status)


@register.filter
def search_head(headers):
    """The header cells of "Rechercher" and "Archives", sort links included (``invoices.rows``)."""
    return rows.search_head(headers)


@register.filter
def search_rows(invoices):
    """The body rows of "Rechercher" and "Archives" (``invoices.rows``: written in Python, the
    busiest table of the portal)."""
    return rows.search_rows(invoices)


@register.filter
def summary_rows(invoices):
    """The body rows of a short list of the Synthèse (``invoices.rows``)."""
    return rows.summary_rows(invoices)


@register.filter
def fiscal_rows(invoices):
    """The body rows of the Liste fiscale's list (``invoices.rows``)."""
    return rows.fiscal_rows(invoices)


@register.simple_tag
def column_chart(chart, *, id, title, desc, alt=False):  # noqa: A002 (the figure's id)
    """A vertical bar chart of the Tableau de bord (``invoices.charts.column_svg``)."""
    return charts.column_svg(chart, id=id, title=title, desc=desc, alt=alt)


@register.simple_tag
def bar_chart(chart, *, id, title, desc, alt=False):  # noqa: A002 (the figure's id)
    """A horizontal bar chart of the Tableau de bord (``invoices.charts.bar_svg``)."""
    return charts.bar_svg(chart, id=id, title=title, desc=desc, alt=alt)


@register.filter
def late_rows(late):
    """The body rows of a table of late invoices (``invoices.rows``)."""
    return rows.late_rows(late)


@register.filter
def feed_items(items):
    """The lines of the feed of the Accueil connecté (``invoices.home``)."""
    return home.feed_html(items)


@register.simple_tag
def invoice_timeline(timeline):
    """The events of the invoice page's history (``invoices.timeline``)."""
    return timeline_html(timeline)


@register.filter
def count_text(count):
    """A capped count: « plus de 1 000 », « 12 » (``invoices.figures_html``)."""
    return figures_html.count(count)


@register.simple_tag
def period_field(field):
    """A field of a period form in the DSFR markup, its errors next to it (``invoices.figures_html``)."""
    return figures_html.period_field(field)


@register.simple_tag
def period_choices(field, checked):
    """The radio buttons of the Liste fiscale's period kinds (``invoices.figures_html``)."""
    return figures_html.period_choices(field, checked)


WORKSPACE_TABS_TEMPLATE = "invoices/includes/workspace_tabs.html"
_WORKSPACE_TABS: dict[tuple, str] = {}


@register.simple_tag
def workspace_tabs(current):
    """The tab bar of "Factures émises", ``current`` being the key of the page's tab: rendered once
    per process, script prefix, URLconf, language and current tab (seven URLs reversed and a
    template rendered on every page before), the same for every user."""
    key = (get_script_prefix(), get_urlconf(), get_language(), current)
    markup = _WORKSPACE_TABS.get(key)
    if markup is None:
        markup = _WORKSPACE_TABS[key] = render_to_string(WORKSPACE_TABS_TEMPLATE, {"tabs": _workspace_tabs(current)})
    return mark_safe(markup)  # rendered (and escaped) by the template engine


@register.simple_tag
def bucket_rows(buckets, *, capfirst=False, link_query=None):
    """The body rows of a table of the Tableau de bord (``invoices.figures_html``)."""
    return figures_html.bucket_rows(buckets, capfirst=capfirst, link_query=link_query)


@register.filter
def line_total_ht(line_form) -> str:
    """The total HT of a line of the invoice form, from what it holds (typed or saved), as the page
    script shows it: quantity × unit price to the cent; empty until both are positive numbers of at
    most four decimals, or when the line is marked for deletion."""
    values = []
    for name in ("quantity", "unit_price_ht"):
        try:
            value = line_form.fields[name].to_python(line_form[name].value())
        except ValidationError:
            return ""
        if value is None or value < 0 or -value.as_tuple().exponent > 4:
            return ""
        values.append(value)
    if "DELETE" in line_form.fields and line_form["DELETE"].value():
        return ""
    return formats.money(line_total(*values))
