"""The rows of the admin's invoice list written in Python (invoices/admin/changelist.py, issue 9):
the same HTML as Django's ``items_for_result``, byte for byte, whatever the filters, search, sort,
page, links and columns; Django's own rows for a column the module does not know."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from invoices.admin import changelist
from invoices.admin.invoice import InvoiceAdmin
from invoices.models.invoice import NEGATIVE_TYPE_CODE
from invoices.workflow import Status
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:invoices_invoice_changelist")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def ministry():
    return StructureFactory(public=True, name="Ministère <Alpha> & Cie")


@pytest.fixture
def agent_client(client, ministry):
    user = UserFactory(staff=True)
    MembershipFactory(user=user, structure=ministry)
    client.force_login(user)
    return client


@pytest.fixture
def invoices(ministry):
    """Values that test the escaping and the empty value display of every column."""
    odd = StructureFactory(name='Dupont & Fils <"SARL"> l\'atelier', identifier="44306184100047")
    service = ServiceFactory(structure=ministry, code="SE<1>", name='Achats & "marchés"')
    sent = dict(sent=True, recipient=ministry)
    return [
        InvoiceFactory(**sent, status=Status.MISE_A_DISPOSITION, supplier=odd, number="<b>N°1</b> & 'x'"),
        InvoiceFactory(**sent, status=Status.SUSPENDUE, recipient_service=service, amount_ttc=Decimal("1234567.5")),
        InvoiceFactory(**sent, status=Status.REJETEE, number="   ", amount_ttc=None, amount_ht=None, amount_tva=None),
        InvoiceFactory(
            **sent,
            status=Status.MISE_EN_PAIEMENT,
            type_code=NEGATIVE_TYPE_CODE,
            amount_ttc=Decimal("-0.05"),
            sent_at=timezone.make_aware(datetime.datetime(2026, 3, 29, 1, 30), datetime.UTC),
        ),
        *[InvoiceFactory(**sent, status=Status.MISE_A_DISPOSITION) for _ in range(4)],
    ]


def page(client, params=None) -> str:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode())


def djangos_page(client, monkeypatch, params=None) -> str:
    """The same page with Django's own ``result_list``."""
    with monkeypatch.context() as m:
        m.setattr(changelist, "rows", lambda cl: None)
        return page(client, params)


def djangos_template_page(client, monkeypatch, params=None) -> str:
    """The same page through Django's own ``admin/change_list.html``: Django's rows, filters and
    everything else."""
    with monkeypatch.context() as m:
        m.setattr(InvoiceAdmin, "change_list_template", "admin/change_list.html")
        return page(client, params)


def assert_rows_are_djangos(response):
    cl = response.context["cl"]
    written = changelist.rows(cl)
    assert written is not None, "the fast rows were not used"
    assert written == ["".join(admin_list.items_for_result(cl, result, None)) for result in cl.result_list]
    assert len(written) == len(cl.result_list) > 0


PARAMS = [
    {},
    {"statut": "SUSPENDUE"},
    {"q": "Dupont"},
    {"o": "6.-2"},  # sorted by amount, then number descending
    {"o": "-8", "p": "2"},
    {"statut": "MISE_A_DISPOSITION", "o": "3"},
]


@pytest.mark.parametrize("params", PARAMS)
def test_the_page_is_djangos_byte_for_byte(agent_client, invoices, monkeypatch, params):
    monkeypatch.setattr(InvoiceAdmin, "list_per_page", 4)
    ours = page(agent_client, params)
    assert ours == djangos_page(agent_client, monkeypatch, params)
    assert ours.count('class="action-select"') >= 1


FILTERED = [
    *PARAMS,
    {"destinataire": "{ministry}", "service": "{service}", "o": "-8"},
    {"fournisseur": "443 061 841 00047", "envoyee_du": "2026-01-01", "q": "x"},
    {"cadre": "A1", "statut": "REJETEE"},
    {"envoyee_au": "2026-12-31", "o": "3", "statut": "SUSPENDUE", "p": "1"},
]


@pytest.mark.parametrize("params", FILTERED)
def test_the_page_is_djangos_own_templates_byte_for_byte(agent_client, invoices, ministry, monkeypatch, params):
    """The whole page (rows, filters, nav sidebar), the first time and from the cache, is what
    Django's own ``change_list.html`` writes."""
    monkeypatch.setattr(InvoiceAdmin, "list_per_page", 3)
    service = invoices[1].recipient_service
    params = {k: v.format(ministry=ministry.pk, service=service.pk) for k, v in params.items()}
    djangos = djangos_template_page(agent_client, monkeypatch, params)
    assert page(agent_client, params) == djangos
    assert page(agent_client, params) == djangos  # from the cache
    assert 'id="changelist-filter"' in djangos and 'id="nav-sidebar"' in djangos


@pytest.mark.parametrize("params", PARAMS)
def test_each_row_is_what_items_for_result_yields(agent_client, invoices, monkeypatch, params):
    monkeypatch.setattr(InvoiceAdmin, "list_per_page", 4)
    assert_rows_are_djangos(agent_client.get(URL, params))


def test_the_rows_do_not_go_through_djangos_cells(agent_client, invoices, monkeypatch):
    def fail(*args):
        raise AssertionError("items_for_result called")

    monkeypatch.setattr(admin_list, "items_for_result", fail)
    content = page(agent_client)
    change = reverse("admin:invoices_invoice_change", args=[invoices[1].pk])
    assert f'<th class="field-identifier"><a href="{change}">{invoices[1].identifier}</a></th>' in content
    assert "&lt;b&gt;N°1&lt;/b&gt; &amp; &#x27;x&#x27;" in content  # escaped once


def test_the_superusers_list_too(client, invoices, monkeypatch):
    client.force_login(UserFactory(superuser=True))
    assert page(client) == djangos_page(client, monkeypatch)
    assert page(client) == djangos_template_page(client, monkeypatch)
    assert_rows_are_djangos(client.get(URL))


def test_links_with_djangos_own_preserved_filters(agent_client, invoices, monkeypatch):
    """With Django's ChangeList (each link given the filters by ``add_preserved_filters``), the
    links are the same as well."""
    monkeypatch.setattr(InvoiceAdmin, "get_changelist", lambda self, request, **kwargs: ChangeList)
    params = {"statut": "MISE_A_DISPOSITION", "q": "F-"}
    response = agent_client.get(URL, params)
    assert "_changelist_filters=" in response.content.decode()
    assert_rows_are_djangos(response)
    assert page(agent_client, params) == djangos_page(agent_client, monkeypatch, params)


@admin.display(description="à payer", boolean=True)
def _payable(self, invoice):
    return invoice.status == Status.MISE_EN_PAIEMENT if invoice.amount_ttc is not None else None


@admin.display(description="note")
def _note(self, invoice):
    if invoice.amount_ttc is None:
        return "   "  # blank: the empty value display
    if invoice.status == Status.SUSPENDUE:
        return mark_safe("<b>à compléter</b>")  # safe markup, as it is
    return "a < b & c"


@admin.display(description="jour d'envoi", empty_value="(jamais)")
def _sent_day(self, invoice):
    return invoice.sent_at.date() if invoice.sent_at else None


@pytest.mark.parametrize(
    ("columns", "links"),
    [
        (["number", "invoice_date", "sent_at", "amount_ttc", "supplier", "recipient_service"], None),  # no link
        (["number", "sent_at", "amount_ttc"], ["sent_at"]),  # a link in a td
        (["identifier", "payable", "sent_day", "note", "status_display"], ["identifier", "sent_day"]),
        (["number", "identifier"], []),  # Django links the first column
    ],
)
def test_other_columns_and_links_are_djangos_too(agent_client, invoices, monkeypatch, columns, links):
    monkeypatch.setattr(InvoiceAdmin, "payable", _payable, raising=False)
    monkeypatch.setattr(InvoiceAdmin, "sent_day", _sent_day, raising=False)
    monkeypatch.setattr(InvoiceAdmin, "note", _note, raising=False)
    monkeypatch.setattr(InvoiceAdmin, "list_display", columns)
    monkeypatch.setattr(InvoiceAdmin, "list_display_links", links)
    monkeypatch.setattr(InvoiceAdmin, "LIST_COLUMNS", [*InvoiceAdmin.LIST_COLUMNS, "invoice_date"])
    assert_rows_are_djangos(agent_client.get(URL))
    assert page(agent_client) == djangos_page(agent_client, monkeypatch)


@pytest.mark.parametrize(
    "column",
    [
        "status",  # a field with choices
        "id",  # the automatic primary key
        "supplier__name",  # a lookup through a relation
        "supplier_id",  # a foreign key by its column
        "is_credit_note",  # a model property
        "__str__",
        "pdf",  # a file field (a link of its own)
        lambda invoice: invoice.number,  # a callable
    ],
)
def test_an_unknown_column_falls_back_to_djangos_rows(agent_client, invoices, monkeypatch, column):
    monkeypatch.setattr(InvoiceAdmin, "list_display", ["identifier", column])
    monkeypatch.setattr(InvoiceAdmin, "list_display_links", ["identifier"])
    calls = []
    items_for_result = admin_list.items_for_result
    monkeypatch.setattr(admin_list, "items_for_result", lambda *a: calls.append(1) or items_for_result(*a))
    response = agent_client.get(URL)
    assert response.status_code == 200
    assert changelist.rows(response.context["cl"]) is None
    assert len(calls) == len(response.context["cl"].result_list) > 0


def test_an_overridden_action_checkbox_falls_back(agent_client, invoices, monkeypatch):
    monkeypatch.setattr(InvoiceAdmin, "action_checkbox", lambda self, obj: admin.ModelAdmin.action_checkbox(self, obj))
    response = agent_client.get(URL)
    assert changelist.rows(response.context["cl"]) is None


DATETIMES = [
    *(datetime.datetime(2026, month, 1 + month, month, 4 * month, 7, tzinfo=datetime.UTC) for month in range(1, 13)),
    datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC),  # the hour skipped in Paris
    datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC),  # the hour repeated in Paris
    datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC),
    datetime.datetime(999, 12, 31, 23, 59, tzinfo=datetime.UTC),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Cayenne", "UTC"])
@pytest.mark.parametrize(
    "fmt",
    [None, "d/m/Y H:i:s", r"j \d\e F Y \à G\hi", "y-n-j % G", "D j M Y"],  # D and M: left to Django
)
def test_datetimes_are_written_as_django_writes_them(monkeypatch, lang, zone, fmt):
    from django.utils import formats, timezone, translation

    if fmt is not None:
        get_format = formats.get_format
        monkeypatch.setattr(
            formats,
            "get_format",
            lambda name, *a, **kw: fmt if name == "DATETIME_FORMAT" else get_format(name, *a, **kw),
        )
    with translation.override(lang), timezone.override(zone):
        write = changelist.datetime_format_function()
        for value in DATETIMES:
            assert write(value) == formats.localize(timezone.template_localtime(value))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("grouping", [False, True])
def test_numbers_are_written_as_django_writes_them(settings, lang, grouping):
    from django.utils import formats, translation

    settings.USE_THOUSAND_SEPARATOR = grouping
    values = [
        Decimal("0"),
        Decimal("-0.05"),
        Decimal("1234567.891"),
        Decimal("0.001"),
        Decimal("1E+3"),
        Decimal("-999.5"),
    ]
    with translation.override(lang):
        for places in (2, 0):
            write = changelist.number_format_function(places)
            assert [write(v) for v in values] == [formats.number_format(v, places) for v in values]
        write = changelist.number_format_function(None)
        assert [write(v) for v in [0, -12, 1234567, 3.25]] == [
            formats.number_format(v) for v in [0, -12, 1234567, 3.25]
        ]


def test_sorting_pages_search_and_an_action_from_the_written_rows(agent_client, ministry, monkeypatch, motifs):
    """Through the page as an agent uses it: the header's sort link, the next page, the search,
    then an action on the rows ticked in the written checkboxes."""
    from invoices.models import TransitionRequest

    monkeypatch.setattr(InvoiceAdmin, "list_per_page", 2)
    for number in ["C-3", "A-1", "E-5", "B-2", "D-4"]:
        InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION, number=number)

    def numbers(content):
        return re.findall(r'<td class="field-number"><a href="[^"]+">([^<]+)</a></td>', content)

    content = page(agent_client)
    header = re.search(r'<th scope="col" class="[^"]*column-number[^"]*">.*?</th>', content, re.DOTALL).group(0)
    sort = re.search(r'<div class="text"><a href="\?([^"]+)">', header).group(1)  # the header's link
    sort = dict(pair.split("=") for pair in sort.split("&amp;"))
    assert sort["o"].startswith("2")  # the number column first
    first = page(agent_client, sort)
    assert numbers(first) == ["A-1", "B-2"]
    assert numbers(page(agent_client, {**sort, "p": "2"})) == ["C-3", "D-4"]
    assert numbers(page(agent_client, {"o": "-2", "p": "3"})) == ["A-1"]
    assert numbers(page(agent_client, {"q": "D-4"})) == ["D-4"]
    ticked = re.findall(r'name="_selected_action" value="(\d+)" class="action-select"', first)
    assert len(ticked) == 2
    response = agent_client.post(
        URL + "?o=2", {"action": "transition_prendre_en_compte", "_selected_action": ticked, "index": "0"}
    )
    assert response.status_code == 302
    assert sorted(str(pk) for pk in TransitionRequest.objects.values_list("invoice_id", flat=True)) == sorted(ticked)


def test_the_action_bar_is_djangos_its_select_rendered_once(agent_client, invoices, monkeypatch):
    from django import forms
    from django.contrib.admin import helpers

    from invoices.admin.actions import KeptSelect

    KeptSelect._kept.clear()
    calls, hidden = [], []
    get_context = forms.Select.get_context
    monkeypatch.setattr(forms.Select, "get_context", lambda self, *a: calls.append(1) or get_context(self, *a))
    input_context = forms.widgets.Input.get_context
    monkeypatch.setattr(
        forms.widgets.Input,
        "get_context",
        lambda self, *a: (hidden.append(1) if isinstance(self, forms.HiddenInput) else None) or input_context(self, *a),
    )
    ours = [page(agent_client) for _ in range(3)]
    assert len(calls) == 1  # once for the process, not per page
    assert len(hidden) == 1  # the hidden "select across" too
    with monkeypatch.context() as m:
        m.setattr(InvoiceAdmin, "action_form", helpers.ActionForm)
        assert ours[2] == page(agent_client)
    assert '<select name="action" required>' in ours[0] and "Prendre en compte" in ours[0]


def test_a_kept_select_is_djangos_select_in_each_language_value_and_choice():
    from django import forms
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from invoices.admin.actions import KeptSelect

    choices = [("", "---------"), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]
    kept, plain = KeptSelect(choices=choices), forms.Select(choices=choices)
    for lang in ["fr", "en", "fr"]:
        with translation.override(lang):
            for value in [None, "yes", "no"]:
                for attrs in [None, {"class": "x"}]:
                    assert kept.render("action", value, attrs) == plain.render("action", value, attrs)
    grouped = [("Groupe", [("a", "A")]), ("b", "B")]
    assert KeptSelect(choices=grouped).render("g", "a") == forms.Select(choices=grouped).render("g", "a")


def test_the_rows_are_joined_without_the_templates_loop(agent_client, invoices, monkeypatch):
    """``change_list_results.html`` is rendered with three placeholder rows, whatever the page's."""
    seen = []
    result_list_html = changelist.result_list_html

    def spy(cl, render, **kwargs):
        return result_list_html(cl, lambda values: seen.append(len(values["results"])) or render(values), **kwargs)

    monkeypatch.setattr(changelist, "result_list_html", spy)
    content = page(agent_client)
    assert seen == [3]
    assert content.count('class="action-select"') == len(invoices) == 8
    assert page(agent_client, {"p": "1"}).count('class="action-select"') == 8
    assert seen == [3]  # the same headers (their links keep the filters, not the page): the frame kept
    djangos = djangos_page(agent_client, monkeypatch, {"o": "-3"})  # rendered with Django's 8 rows
    seen.clear()
    assert page(agent_client, {"o": "-3"}) == djangos  # other headers, another frame
    assert seen == [3]


@pytest.mark.parametrize(
    "source",
    [
        "<table>{% for result in results %}\n<tr>{% for item in result %}{{ item }}{% endfor %}</tr>{% endfor %}</table>",
        "{% for result in results %}<tr id='r{{ forloop.counter }}'>{{ result.0 }}</tr>{% endfor %}",
        "{% for result in results %}<tr class='{% cycle 'odd' 'even' %}'>{{ result.0 }}</tr>{% endfor %}",
        "{% for result in results %}{{ result.0 }}{% if not forloop.last %}<hr>{% endif %}{% endfor %}",
        "{{ results|length }} : {% for result in results %}{{ result.0 }}{% endfor %}",
        "{% for result in results %}{{ result.0 }}{{ result.0 }}{% endfor %}",
        "{% if results %}{% for result in results %}{{ result.0 }}{% endfor %}{% else %}aucune{% endif %}",
    ],
)
@pytest.mark.parametrize("rows", [0, 1, 2, 5])
def test_the_joined_rows_are_the_templates_rows(agent_client, ministry, source, rows):
    """Another template is rendered with its rows; Django's is joined only when its text between
    two rows is the same (a guard for a template whose rows differ by their position)."""
    from django.template import Context, Template

    for _ in range(rows):
        InvoiceFactory(sent=True, recipient=ministry, status=Status.MISE_A_DISPOSITION)
    cl = agent_client.get(URL).context["cl"]
    template = Template(source)
    renders = []

    def render(values):
        renders.append(len(values["results"]))
        return template.render(Context(values))

    expected = render(changelist.result_list(cl))
    renders.clear()
    assert changelist.result_list_html(cl, render, djangos_template=None) == expected
    assert renders == [rows]
    if "length" not in source:  # a template of rows all alike, but for their position
        assert changelist.result_list_html(cl, render, djangos_template=source) == expected


def test_a_results_template_of_the_project_is_rendered_with_its_rows(
    agent_client, invoices, monkeypatch, tmp_path, settings
):
    folder = tmp_path / "admin" / "invoices" / "invoice"
    folder.mkdir(parents=True)
    (folder / "change_list_results.html").write_text(
        "{% for result in results %}<p>{{ forloop.counter }} : {{ results|length }}</p>{% endfor %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    content = page(agent_client)
    assert "<p>8 : 8</p>" in content and "<p>1 : 8</p>" in content


def test_the_action_checkbox_is_rendered_once_per_language(agent_client, invoices, monkeypatch):
    from django import forms
    from django.utils import translation

    monkeypatch.setattr(changelist, "_CHECKBOXES", {})
    calls = []
    render = forms.CheckboxInput.render
    monkeypatch.setattr(forms.CheckboxInput, "render", lambda self, *a, **kw: calls.append(1) or render(self, *a, **kw))
    ours = [page(agent_client) for _ in range(2)]
    assert len(calls) == 1 and ours[0] == ours[1]
    cl = agent_client.get(URL).context["cl"]
    with translation.override("en"):
        english = changelist.rows(cl)
        assert english == ["".join(admin_list.items_for_result(cl, result, None)) for result in cl.result_list]
    assert len(calls) == 2 + len(cl.result_list)  # English once, then Django's cells for the comparison
    assert 'aria-label="Select this object' in english[0]
