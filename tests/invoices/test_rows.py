"""The rows of the invoice tables written in Python (``invoices/rows.py``): the markup the pages
had through the template engine (escaped values, local dates, credit notes, drafts, the status
badge, the link), and the pages render them without a URL reversed or a status translated per row."""

from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from chorus import formats
from invoices import rows
from invoices.models import Invoice, InvoiceType
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def make(supplier, **fields) -> Invoice:
    fields.setdefault("sent", fields.get("status", Status.DEPOSEE) != Status.BROUILLON)
    return InvoiceFactory(supplier=supplier, pdf="", vat=False, **fields)


def test_a_search_row_escapes_every_value_and_links_to_the_invoice(member):
    invoice = make(
        member.structure,
        number="<script>x</script>",
        status=Status.REJETEE,
        amount_ttc=Decimal("1234.5"),
        invoice_date=date(2026, 3, 4),
    )
    invoice.recipient.name = 'Ministère "A" & <B>'
    body = rows.search_rows([invoice])
    assert "<script>" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "Ministère &quot;A&quot; &amp; &lt;B&gt;" in body
    assert f'href="{reverse("invoices:detail", args=[invoice.pk])}"' in body
    assert "04/03/2026" in body
    assert f'<td class="chorus-amount">{formats.money(Decimal("1234.50"))}</td>' in body
    assert '<p class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--error">Rejetée</p>' in body


def test_a_deposit_date_is_shown_in_the_portal_time_zone(member):
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris: the date filter showed the 1st.
    invoice = make(member.structure, status=Status.DEPOSEE)
    invoice.sent_at = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert rows.day(invoice.sent_at) == "01/02/2026"
    assert "01/02/2026" in rows.search_rows([invoice])


def test_credit_notes_and_drafts_read_as_before(member):
    avoir = make(member.structure, invoice_type=InvoiceType.CREDIT_NOTE, number="AV-1", status=Status.DEPOSEE)
    draft = make(member.structure, number="", status=Status.BROUILLON, sent=False, invoice_date=None)
    body = rows.search_rows([avoir, draft])
    assert ">Avoir AV-1</a>" in body
    assert ">(sans numéro)</a>" in body
    summary = rows.summary_rows([draft])
    assert f"la facture {draft.pk}</span>" in summary  # "Consulter" named by the id without a number
    assert "<td>—</td>" in summary  # no invoice date on an empty draft


def test_the_detail_url_follows_the_script_prefix(member):
    invoice = make(member.structure)
    with mock.patch("invoices.rows.get_script_prefix", return_value="/portail/"):
        with mock.patch("invoices.rows.reverse", return_value="/portail/factures/987654321/") as reversed_:
            assert rows.detail_url(invoice.pk) == f"/portail/factures/{invoice.pk}/"
            assert rows.detail_url(invoice.pk + 1) == f"/portail/factures/{invoice.pk + 1}/"
    assert reversed_.call_count == 1
    assert rows.detail_url(invoice.pk) == reverse("invoices:detail", args=[invoice.pk])


@pytest.mark.parametrize("path", ["invoices:list", "invoices:archives", "invoices:summary"])
def test_the_pages_cost_the_same_whatever_the_number_of_rows(logged, member, path):
    """No URL reversed and no status translated per row (they were, through the template engine:
    ~150 µs a row, a third of "Rechercher" at 1 M invoices)."""

    def counts():
        with (
            mock.patch("django.urls.reverse", wraps=reverse) as tag_reverses,
            mock.patch("invoices.rows.reverse", wraps=reverse) as reverses,
            mock.patch.object(Invoice, "_get_FIELD_display", autospec=True) as displays,
        ):
            response = logged.get(reverse(path))
        assert response.status_code == 200
        return tag_reverses.call_count + reverses.call_count, displays.call_count

    status = Status.REJETEE if path == "invoices:archives" else Status.SUSPENDUE
    make(member.structure, status=status)
    counts()  # the caches of the criteria form and of the figures filled
    few = counts()
    for _ in range(6):
        make(member.structure, status=status)
    counts()
    assert counts() == few
    assert few[1] == 0


def test_the_synthese_lists_read_as_values_give_the_same_rows(member):
    """``figures.listed`` (values) gives the rows the model instances gave, for each list."""
    from invoices import figures

    supplier = member.structure
    make(supplier, number="A&B <1>", status=Status.SUSPENDUE)
    make(supplier, invoice_type=InvoiceType.CREDIT_NOTE, number="AV-1", status=Status.REJETEE)
    make(supplier, number="", status=Status.BROUILLON, sent=False, invoice_date=None, recipient=None)
    make(supplier, number="D-2", status=Status.BROUILLON, sent=False, amount_ttc=None)
    make(supplier, status=Status.MISE_EN_PAIEMENT)
    Invoice.objects.filter(number="A&B <1>").update(amount_ttc=Decimal("1234567.891"))
    lists = [
        Invoice.objects.filter(supplier=supplier, status=Status.BROUILLON).order_by("-created_at", "-id")[:5],
        Invoice.objects.filter(supplier=supplier, sent_at__isnull=False).order_by("-sent_at")[:10],
        figures.todo_invoices(supplier).order_by("-created_at", "-id")[:5],
    ]
    for invoices in lists:
        former = list(invoices.select_related("recipient").only(*figures.LIST_COLUMNS))
        assert former
        assert rows.summary_rows(figures.listed(invoices)) == rows.summary_rows(former)
        assert rows.search_rows(figures.listed(invoices)) == rows.search_rows(former)


def test_search_rows_are_what_format_html_gives(member):
    """The f-string rows against the ``format_html`` ones they replaced, byte for byte."""
    from django.utils.html import format_html

    invoices = [
        make(member.structure, number='<N° "1" & 2>', identifier="FAC-1", status=Status.REJETEE),
        make(member.structure, number="", status=Status.BROUILLON, amount_ttc=Decimal("0")),
        make(member.structure, number="A-1", invoice_type=InvoiceType.CREDIT_NOTE, status=Status.MISE_EN_PAIEMENT),
    ]
    invoices[0].recipient.name = "L'État & <Cie>"
    expected = "".join(
        format_html(
            '<tr>\n<td><a class="fr-link" href="{}">{}</a></td>\n<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n'
            '<td>{}</td>\n<td class="chorus-amount">{}</td>\n<td>{}</td>\n</tr>\n',
            rows.detail_url(invoice.pk),
            rows.reference(invoice),
            invoice.identifier or rows.EMPTY,
            invoice.recipient.name if invoice.recipient_id else rows.EMPTY,
            rows.day(invoice.invoice_date),
            rows.day(invoice.sent_at),
            formats.money(invoice.amount_ttc),
            format_html(
                '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>',
                rows.BADGE_CSS.get(invoice.status, ""),
                invoice.get_status_display(),
            ),
        )
        for invoice in invoices
    )
    assert rows.search_rows(invoices) == expected


OLD_SEARCH_HEAD = """      <tr>
        {% for h in headers %}
          <th scope="col"{% if h.numeric %} class="chorus-amount"{% endif %}{% if h.aria_sort %} aria-sort="{{ h.aria_sort }}"{% endif %}>{% if h.sortable %}<a class="chorus-sort" href="{{ h.url }}">{{ h.label }}{% if h.aria_sort == "ascending" %}<span class="fr-icon-arrow-up-s-line fr-icon--sm" aria-hidden="true"></span>{% elif h.aria_sort == "descending" %}<span class="fr-icon-arrow-down-s-line fr-icon--sm" aria-hidden="true"></span>{% endif %}<span class="fr-sr-only"> : trier par ordre {{ h.next_label }}</span></a>{% else %}{{ h.label }}{% endif %}</th>
        {% endfor %}
      </tr>"""


@pytest.mark.parametrize("sort", ["numero", "montant", "date_depot"])
@pytest.mark.parametrize("descending", [True, False])
def test_search_head_is_what_the_template_gave(rf, sort, descending):
    """The header cells written in Python against the template loop they replaced, byte for byte,
    with a URL and a label that need escaping."""
    from django.template import Context, Template

    from invoices.views import listing

    params = rf.get("/", {"numero": 'A&B "<x>"', "tri": sort}).GET
    headers = listing._headers(params, sort, descending)
    headers[1]["label"] = "L'identifiant <& co>"
    expected = Template(OLD_SEARCH_HEAD).render(Context({"headers": headers}))
    assert any(h["aria_sort"] for h in headers) and "&amp;" in expected
    assert f"      <tr>\n        {rows.search_head(headers)}\n      </tr>" == expected


def test_day_writes_what_the_date_filter_wrote():
    zone = timezone.get_current_timezone()
    values = [date(2026, 1, 2), date(2026, 12, 31), date(1000, 10, 9), date(9999, 12, 31)]
    values += [
        datetime(2026, month, day_, hour, tzinfo=UTC) for month in (1, 3, 10) for day_ in (1, 9, 28) for hour in (0, 23)
    ]
    for value in values:
        shown = value.astimezone(zone) if isinstance(value, datetime) else value
        assert rows.day(value) == shown.strftime("%d/%m/%Y")
    assert rows.day(None) == rows.EMPTY


def test_a_badge_is_the_same_with_the_language_given():
    for status in Status:
        assert rows.badge(status, "fr") == rows.badge(status)
