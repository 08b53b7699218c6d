"""The markup of the figures' pages written in Python (Liste fiscale rows, late rows, period fields,
counts, charts): byte for byte what the templates they replace rendered, kept here as the
reference (``OLD_*``), for the cases the pages meet: escaping, credit notes, missing recipients,
errors next to a field, negative and empty charts."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import timezone

from invoices import charts, figures, figures_html, rows
from invoices.forms.periods import DashboardPeriodForm, FiscalPeriodForm
from invoices.models import Invoice, InvoiceType, InvoiceVatLine
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


OLD_FISCAL_ROWS = """{% load chorus %}{% for invoice in invoices %}{% for vat in invoice.signed_vat_lines %}<tr>
      <td>{{ invoice.invoice_date|date:"d/m/Y" }}</td>
      <td><a class="fr-link" href="{% url 'invoices:detail' invoice.pk %}">{% if invoice.invoice_type == "AVOIR" %}Avoir {% endif %}{{ invoice.number }}</a></td>
      <td>{% if invoice.recipient %}{{ invoice.recipient.name }}{% else %}—{% endif %}</td>
      <td class="chorus-amount">{{ vat.rate|percent }}</td>
      <td class="chorus-amount">{{ vat.ht|money }}</td>
      <td class="chorus-amount">{{ vat.tva|money }}</td>
      <td class="chorus-amount">{{ vat.ttc|money }}</td>
    </tr>{% endfor %}{% endfor %}"""

# templates/invoices/figures/field.html
OLD_FIELD = """{% comment %}One field of a period form (text, date, month or select), DSFR markup, its error next to it; for forms whose fields are required according to another field's choice (no "(facultatif)").{% endcomment %}
{% with fid=field.auto_id msgid=field.auto_id|add:"-messages" %}
<div class="{% if field.field.widget.input_type == 'select' %}fr-select-group{% if field.errors %} fr-select-group--error{% endif %}{% else %}fr-input-group{% if field.errors %} fr-input-group--error{% endif %}{% endif %}">
  <label class="fr-label" for="{{ fid }}">{{ field.label }}{% if field.help_text %}<span class="fr-hint-text">{{ field.help_text }}</span>{% endif %}</label>
  {% if field.field.widget.input_type == "select" %}
  <select class="fr-select{% if field.errors %} fr-select--error{% endif %}" id="{{ fid }}" name="{{ field.html_name }}"{% if field.errors %} aria-describedby="{{ msgid }}" aria-invalid="true"{% endif %}>
    {% for value, label in field.field.choices %}<option value="{{ value }}"{% if value|stringformat:"s" == field.value|default_if_none:""|stringformat:"s" %} selected{% endif %}>{{ label }}</option>{% endfor %}
  </select>
  {% else %}
  <input class="fr-input{% if field.errors %} fr-input--error{% endif %}" id="{{ fid }}" name="{{ field.html_name }}" type="{{ field.field.widget.input_type }}" value="{{ field.value|default_if_none:''|stringformat:'s' }}"{% if field.field.widget.attrs.inputmode %} inputmode="{{ field.field.widget.attrs.inputmode }}"{% endif %}{% if field.errors %} aria-describedby="{{ msgid }}" aria-invalid="true"{% endif %}>
  {% endif %}
  {% if field.errors %}<div id="{{ msgid }}">{% for error in field.errors %}<p class="fr-error-text">{{ error }}</p>{% endfor %}</div>{% endif %}
</div>
{% endwith %}
"""
# templates/invoices/figures/count.html
OLD_COUNT = """{% load chorus %}{% if count.capped %}plus de {% endif %}{{ count.value|integer }}"""
# The period kinds of templates/invoices/invoice_fiscal.html
OLD_CHOICES = """{% for choice in form.periode %}
    <div class="fr-fieldset__element fr-fieldset__element--inline">
      <div class="fr-radio-group">
        <input type="radio" id="{{ choice.id_for_label }}" name="{{ form.periode.html_name }}" value="{{ choice.data.value }}"{% if choice.data.value == period_kind %} checked{% endif %}>
        <label class="fr-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label>
      </div>
    </div>
    {% endfor %}"""

# templates/invoices/figures/column_chart.html
OLD_COLUMN_CHART = """{% comment %}A vertical bar chart (invoices/charts.py column_chart), accessible: role="img", named by its title and described by its desc; the table beside it gives every value.{% endcomment %}
{% load l10n %}<figure class="chorus-chart" aria-labelledby="{{ id }}-caption">
  {% localize off %}<svg class="chorus-chart__svg" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-labelledby="{{ id }}-title" aria-describedby="{{ id }}-desc" focusable="false">
    <title id="{{ id }}-title">{{ title }}</title>
    <desc id="{{ id }}-desc">{{ desc }}</desc>
    {% for tick in chart.ticks %}<line class="chorus-chart__grid" x1="{{ chart.plot_left }}" x2="{{ chart.plot_right }}" y1="{{ tick.position }}" y2="{{ tick.position }}"/><text x="{{ chart.plot_left|add:-6 }}" y="{{ tick.position }}" dy="4" text-anchor="end">{{ tick.text }}</text>{% endfor %}
    {% for r in chart.rects %}<rect class="chorus-chart__bar{% if r.negative %} chorus-chart__bar--negative{% elif alt %} chorus-chart__bar--alt{% endif %}" x="{{ r.x }}" y="{{ r.y }}" width="{{ r.width }}" height="{{ r.height }}"><title>{{ r.title }} : {{ r.value_text }}</title></rect>{% if r.label_shown %}<text x="{{ r.cx }}" y="{{ chart.label_y }}" text-anchor="middle">{{ r.label }}</text>{% if r.sublabel %}<text x="{{ r.cx }}" y="{{ chart.sublabel_y }}" text-anchor="middle">{{ r.sublabel }}</text>{% endif %}{% endif %}{% endfor %}
    <line class="chorus-chart__axis" x1="{{ chart.plot_left }}" x2="{{ chart.plot_right }}" y1="{{ chart.baseline }}" y2="{{ chart.baseline }}"/>
  </svg>{% endlocalize %}
  <figcaption id="{{ id }}-caption" class="fr-text--sm">{{ title }}{% if chart.empty %} : aucune facture sur la période.{% endif %}</figcaption>
</figure>
"""
# templates/invoices/figures/bar_chart.html
OLD_BAR_CHART = """{% comment %}A horizontal bar chart (invoices/charts.py bar_chart), accessible like column_chart.html.{% endcomment %}
{% load l10n %}<figure class="chorus-chart" aria-labelledby="{{ id }}-caption">
  {% localize off %}<svg class="chorus-chart__svg" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-labelledby="{{ id }}-title" aria-describedby="{{ id }}-desc" focusable="false">
    <title id="{{ id }}-title">{{ title }}</title>
    <desc id="{{ id }}-desc">{{ desc }}</desc>
    {% for tick in chart.ticks %}<line class="chorus-chart__grid" x1="{{ tick.position }}" x2="{{ tick.position }}" y1="{{ chart.plot_top }}" y2="{{ chart.plot_bottom }}"/><text x="{{ tick.position }}" y="{{ chart.label_y }}" text-anchor="middle">{{ tick.text }}</text>{% endfor %}
    {% for r in chart.rects %}<text x="{{ chart.plot_left|add:-8 }}" y="{{ r.cy }}" text-anchor="end">{{ r.label }}</text><rect class="chorus-chart__bar{% if r.negative %} chorus-chart__bar--negative{% elif alt %} chorus-chart__bar--alt{% endif %}" x="{{ r.x }}" y="{{ r.y }}" width="{{ r.width }}" height="{{ r.height }}"><title>{{ r.title }} : {{ r.value_text }}</title></rect><text x="{{ r.value_x }}" y="{{ r.cy }}">{{ r.value_text }}</text>{% endfor %}
    <line class="chorus-chart__axis" x1="{{ chart.baseline }}" x2="{{ chart.baseline }}" y1="{{ chart.plot_top }}" y2="{{ chart.plot_bottom }}"/>
  </svg>{% endlocalize %}
  <figcaption id="{{ id }}-caption" class="fr-text--sm">{{ title }}{% if chart.empty %} : aucune facture sur la période.{% endif %}</figcaption>
</figure>
"""


def sent(supplier, *, on: date, status=Status.MISE_A_DISPOSITION, **kwargs) -> Invoice:
    invoice = InvoiceFactory(supplier=supplier, sent=True, status=status, invoice_date=on, **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.make_aware(datetime.combine(on, datetime.min.time())))
    return invoice


def test_fiscal_rows_are_those_of_the_template(django_assert_num_queries):
    supplier = StructureFactory()
    october = date(2026, 10, 1)
    plain = sent(supplier, on=october, number="A&B <1>")
    plain.recipient.name = 'Ministère "X" & <Y>'
    plain.recipient.save()
    several = sent(supplier, on=october + timedelta(days=2))
    InvoiceVatLine.objects.filter(invoice=several).delete()
    several.vat_lines.create(rate=Decimal("5.50"), base_ht=Decimal("568.72"), vat_amount=Decimal("31.28"))
    several.vat_lines.create(rate=Decimal("20.00"), base_ht=Decimal("1234567.50"), vat_amount=Decimal("246913.50"))
    several.vat_lines.create(rate=Decimal("0.00"), base_ht=Decimal("10.00"), vat_amount=Decimal("0.00"))
    sent(supplier, on=october + timedelta(days=3), invoice_type=InvoiceType.CREDIT_NOTE, number="AV-1")
    nobody = sent(supplier, on=october + timedelta(days=4))
    Invoice.objects.filter(pk=nobody.pk).update(recipient=None)
    no_vat = sent(supplier, on=october + timedelta(days=5))
    InvoiceVatLine.objects.filter(invoice=no_vat).delete()
    start, end = october, date(2026, 10, 31)

    old = list(figures.fiscal_rows(supplier, start=start, end=end))  # the page's former read
    for invoice in old:
        invoice.signed_vat_lines = figures.signed_vat_lines(invoice)
    with django_assert_num_queries(1):
        page, following = figures.fiscal_page(supplier, start=start, end=end, after=None)

    assert following is None
    assert [i.pk for i in page] == [i.pk for i in old]
    body = rows.fiscal_rows(page)
    assert body == render(OLD_FISCAL_ROWS, invoices=old)
    assert body.count("<tr>") == 6
    assert "A&amp;B &lt;1&gt;" in body and "Ministère &quot;X&quot; &amp; &lt;Y&gt;" in body
    assert ">Avoir AV-1</a>" in body and "-1\u202f200,00\u00a0€" in body


FISCAL_QUERIES = [
    None,
    {"periode": "mois", "annee": "2026", "mois": "10"},
    {"periode": "mois", "annee": "", "mois": "10"},
    {"periode": "mois", "annee": "26", "mois": ""},
    {"periode": "mois", "annee": '<b>"2026"</b>', "mois": "13"},
    {"periode": "trimestre", "annee": "2026"},
    {"periode": "trimestre", "annee": "2026", "trimestre": "4"},
    {"periode": "annee", "annee": "2026"},
    {"periode": "dates", "du": "", "au": "2026-10-01"},
    {"periode": "dates", "du": "31/02/2026", "au": "15/10/2026"},
    {"periode": "dates", "du": "2026-10-02", "au": "2026-10-01"},
    {"periode": "dates", "du": "2025-01-01", "au": "2026-10-01"},
    {"periode": "semaine"},
]
DASHBOARD_QUERIES = [
    None,
    {"du": "2026-01", "au": "2026-06"},
    {"du": "2026-13", "au": ""},
    {"du": "", "au": "2026-03"},
    {"du": "2026-06", "au": "2026-01"},
    {"du": "2020-01", "au": "2026-01"},
    {"du": "<script>", "au": "2999-01"},
]


def _bound(form_class, query):
    form = form_class(query, today=date(2026, 11, 15))
    form.is_valid()
    return form


@pytest.mark.parametrize("query", FISCAL_QUERIES)
def test_the_fiscal_period_fields_are_those_of_the_template(query):
    form = _bound(FiscalPeriodForm, query)
    for name in ("annee", "mois", "trimestre", "du", "au"):
        assert figures_html.period_field(form[name]) == render(OLD_FIELD, field=form[name]), name
    kind = form.data.get("periode") if form.is_bound else form.default["periode"]
    assert figures_html.period_choices(form["periode"], kind) == render(OLD_CHOICES, form=form, period_kind=kind)


@pytest.mark.parametrize("query", DASHBOARD_QUERIES)
def test_the_dashboard_period_fields_are_those_of_the_template(query):
    form = _bound(DashboardPeriodForm, query)
    for name in ("du", "au"):
        assert figures_html.period_field(form[name]) == render(OLD_FIELD, field=form[name]), name


@pytest.mark.parametrize(
    "count", [figures.CappedCount(0, False), figures.CappedCount(12, False), figures.CappedCount(1000, True)]
)
def test_counts_are_those_of_the_template(count):
    assert figures_html.count(count) == render(OLD_COUNT, count=count)


OLD_LATE_ROWS = """{% load chorus %}{% for row in rows %}<tr>
      <td><a class="fr-link" href="{% url 'invoices:detail' row.invoice.pk %}">{{ row.invoice.number|default:row.invoice.identifier }}</a><br><span class="fr-text--xs">{{ row.invoice.get_status_display }}</span></td>
      <td>{% if row.invoice.recipient %}{{ row.invoice.recipient.name }}{% else %}—{% endif %}</td>
      <td>{{ row.clock.due_on|date:"d/m/Y" }}</td>
      <td class="chorus-amount">{{ row.clock.late_days|integer }}</td>
      <td class="chorus-amount">{{ row.invoice.amount_ttc|money }}</td>
      <td class="chorus-amount">{% if row.clock.interest is not None %}{{ row.clock.interest|money }}<br><span class="fr-text--xs">taux {{ row.clock.rate|percent }}</span>{% else %}taux non renseigné{% endif %}</td>
      <td class="chorus-amount">{{ row.clock.indemnity|money }}</td>
    </tr>{% endfor %}"""


@pytest.mark.parametrize("with_rate", [True, False])
def test_late_rows_are_those_of_the_template(with_rate):
    from invoices.models import LatePaymentRate

    supplier = StructureFactory()
    today = timezone.localdate()
    if with_rate:
        LatePaymentRate.objects.create(valid_from=today - timedelta(days=400), ecb_rate=Decimal("2.15"))
    late = [
        sent(supplier, on=today - timedelta(days=60), number="R&D <1>", amount_ttc=Decimal("3650.00")),
        sent(supplier, on=today - timedelta(days=50), status=Status.SUSPENDUE),
        sent(supplier, on=today - timedelta(days=45), amount_ttc=Decimal("1234567.89")),
    ]
    late[0].recipient.name = "Ministère <b>& fils</b>"
    late[0].recipient.save()
    for days, invoice in enumerate(late):
        Invoice.objects.filter(pk=invoice.pk).update(
            payment_started_on=today - timedelta(days=40), payment_due_on=today - timedelta(days=10 - days)
        )
    Invoice.objects.filter(pk=late[2].pk).update(recipient=None)

    page, _following = figures.late_page(supplier, after=None, today=today)
    assert len(page) == 3
    body = rows.late_rows(page)
    assert body == render(OLD_LATE_ROWS, rows=page)
    assert "R&amp;D &lt;1&gt;" in body and "Ministère &lt;b&gt;&amp; fils&lt;/b&gt;" in body
    assert ("taux non renseigné" in body) is not with_rate
    summary = figures.late_summary(supplier, today=today)
    assert rows.late_rows(summary.rows) == render(OLD_LATE_ROWS, rows=summary.rows)


MONTHS = [(figures.month_label(date(2026, m, 1), short=True), m) for m in range(1, 13)]
CHART_ITEMS = [
    [],
    [("janv.", Decimal("0")), ("févr.", Decimal("0"))],
    [(label, Decimal(v * 1234567) / 100) for label, v in MONTHS],
    [(label, Decimal(v - 7) * 1000, "2026" if v == 1 else "", f"{label} 2026") for label, v in MONTHS],
    [(f"m{i}", i * 3 % 17) for i in range(36)],  # 36 months: one label in three
    [("Ministère <b>& fils</b>", Decimal("-250.5")), ("A" * 50, Decimal("1999999.99")), ('"Autres"', 0)],
]


@pytest.mark.parametrize("items", CHART_ITEMS)
@pytest.mark.parametrize("money", [True, False])
@pytest.mark.parametrize("alt", [False, True])
def test_charts_are_those_of_the_templates(items, money, alt):
    values = {"id": "graphique-<x>", "title": "Montant & nombre", "desc": 'Le mois "le plus" <élevé>'}
    more = {"alt": True} if alt else {}
    column = charts.column_chart(items, money=money)
    assert charts.column_svg(column, **values, alt=alt) == render(OLD_COLUMN_CHART, chart=column, **values, **more)
    bar = charts.bar_chart([item[:2] for item in items], money=money)
    assert charts.bar_svg(bar, **values, alt=alt) == render(OLD_BAR_CHART, chart=bar, **values, **more)


OLD_BUCKET_TABLES = {
    "months": """{% load chorus %}{% for b in board.months %}<tr><th scope="row">{{ b.label|capfirst }}</th><td class="chorus-amount">{{ b.count|integer }}</td><td class="chorus-amount">{{ b.amount|money }}</td></tr>{% endfor %}""",
    "statuses": """{% load chorus %}{% for b in board.statuses %}<tr><th scope="row">{{ b.label }}</th><td class="chorus-amount">{{ b.count|integer }}</td><td class="chorus-amount">{{ b.amount|money }}</td></tr>{% endfor %}""",
    "recipients": """{% load chorus %}{% for b in board.recipients %}<tr><th scope="row">{% if b.key != "autres" and not board.recipient %}<a class="fr-link" href="?{{ period_query }}&amp;destinataire={{ b.key }}">{{ b.label }}<span class="fr-sr-only"> : ses factures mois par mois</span></a>{% else %}{{ b.label }}{% endif %}</th><td class="chorus-amount">{{ b.count|integer }}</td><td class="chorus-amount">{{ b.amount|money }}</td></tr>{% endfor %}""",
}


@pytest.mark.parametrize("one_recipient", [False, True])
def test_the_dashboard_tables_are_those_of_the_template(one_recipient):
    supplier = StructureFactory()
    ministries = [StructureFactory(public=True, name=f"Ministère n° {i} <&>") for i in range(10)]
    start = date(2026, 1, 1)
    for i, ministry in enumerate(ministries):
        sent(supplier, on=start + timedelta(days=20 * i), recipient=ministry, amount_ttc=Decimal(1000 + i))
    sent(supplier, on=start, recipient=ministries[0], invoice_type=InvoiceType.CREDIT_NOTE)
    sent(supplier, on=start + timedelta(days=40), recipient=ministries[1], status=Status.SUSPENDUE)
    recipient = ministries[0] if one_recipient else None
    board = figures.dashboard(supplier, start=start, end=date(2027, 1, 1), recipient=recipient)
    assert len(board.recipients) == (1 if one_recipient else 9)
    query = "du=2026-01&au=2026-12"
    for name, old in OLD_BUCKET_TABLES.items():
        expected = render(old, board=board, period_query=query)
        link = None if one_recipient or name != "recipients" else query
        assert figures_html.bucket_rows(getattr(board, name), capfirst=name == "months", link_query=link) == expected


def test_the_tab_bar_is_rendered_once_per_tab():
    from unittest import mock

    from django.template.loader import render_to_string
    from django.urls import reverse

    from invoices.templatetags import invoices_tags
    from invoices.views.tabs import workspace_tabs

    invoices_tags._WORKSPACE_TABS.clear()
    bars = {}
    for current in ("summary", "fiscal", "nothing"):
        expected = render_to_string("invoices/includes/workspace_tabs.html", {"tabs": workspace_tabs(current)})
        assert render("{% load invoices_tags %}{% workspace_tabs current %}", current=current) == expected
        with mock.patch("invoices.views.tabs.reverse", wraps=reverse) as reverses:
            assert render("{% load invoices_tags %}{% workspace_tabs current %}", current=current) == expected
        assert reverses.call_count == 0
        bars[current] = expected
    fiscal = f'<a href="{reverse("invoices:fiscal")}" aria-current="page">Liste fiscale</a>'
    assert fiscal in bars["fiscal"] and fiscal not in bars["summary"]
    assert 'aria-current="page"' not in bars["nothing"]
