"""The ``{% table %}`` tag: one DSFR table markup for every page, scrollable from the keyboard."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError, engines
from django.template.base import Origin
from django.urls import reverse

from tests.invoices.factories import InvoiceLineFactory, refresh_entry_totals
from tests.structures.factories import MembershipFactory

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


# The markup's former template (templates/includes/table.html), the reference of ``_table_markup``.
OLD_TABLE = """{% comment %}The DSFR table markup, rendered by the {% table %} tag of chorus/templatetags.py: the scrolling wrapper (fr-table__container) takes the keyboard focus and is named after the caption, so the arrow keys scroll a wide table.{% endcomment %}<div class="fr-table{% if css_class %} {{ css_class }}{% endif %}"{% if id %} id="{{ id }}"{% endif %}>
  <div class="fr-table__wrapper">
    <div class="fr-table__container" tabindex="0" role="region" aria-label="{{ region_label }}">
      <div class="fr-table__content">
        <table{% if table_id %} id="{{ table_id }}"{% endif %}{% if live %} aria-live="{{ live }}"{% endif %}>
          {% if caption %}<caption{% if caption_class %} class="{{ caption_class }}"{% endif %}>{{ caption }}</caption>{% endif %}
          {{ body }}
        </table>
      </div>
    </div>
  </div>
</div>
"""


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load chorus %}" + source).render(context)


def test_table_markup_with_caption_names_the_keyboard_scrollable_wrapper():
    out = render(
        '{% table class="fr-table--no-caption fr-mb-0" id="historique" table_id="totals" live="polite" '
        'caption_class="fr-h6" %}\n'
        "  {% caption %}Lignes de {{ name }} ({{ count }}){% endcaption %}\n"
        "  <tbody><tr><td>1</td></tr></tbody>\n"
        "{% endtable %}",
        name="Dupont & Fils",
        count=3,
    )
    assert re.sub(r">\s+<", "><", out.strip()) == (
        '<div class="fr-table fr-table--no-caption fr-mb-0" id="historique"><div class="fr-table__wrapper">'
        '<div class="fr-table__container" tabindex="0" role="region" aria-label="Lignes de Dupont &amp; Fils (3)">'
        '<div class="fr-table__content"><table id="totals" aria-live="polite">'
        '<caption class="fr-h6">Lignes de Dupont &amp; Fils (3)</caption>'
        "<tbody><tr><td>1</td></tr></tbody></table></div></div></div></div>"
    )


@pytest.mark.parametrize(
    "source",
    [
        '{% table class="fr-table--no-caption fr-mb-0" id="historique" table_id="totals" live="polite" '
        'caption_class="fr-h6" %}\n  {% caption %}Lignes de {{ name }} ({{ count }}){% endcaption %}\n'
        "  <tbody><tr><td>1</td></tr></tbody>\n{% endtable %}",
        '{% table %}{% caption %}<span class="fr-sr-only">Liste</span> « {{ q }} »{% endcaption %}{% endtable %}',
        '{% table label="Sessions" %}<tr><td>x</td></tr>{% endtable %}',
        "{% table label=q class=q id=count table_id=q live=q caption_class=q %}{% caption %} {% endcaption %}x{% endtable %}",
        '{% table class="" id="" %}{% caption %}\n  Factures\n  de {{ name }} {% endcaption %}<tbody></tbody>{% endtable %}',
        '{% load i18n %}{% table label=_("Tableau") %}{{ q }}{% endtable %}',
    ],
)
def test_the_markup_is_that_of_the_former_template(monkeypatch, source):
    from django.utils.safestring import mark_safe

    from chorus import templatetags

    context = {"name": "Dupont & Fils", "count": 12345, "q": '"><script>'}
    written = render(source, **context)

    def former(context, values, caption, body, region_label):
        values = {**values, "css_class": values["class"], "caption": mark_safe(caption), "body": mark_safe(body)}
        values["region_label"] = region_label
        return engines["django"].from_string(OLD_TABLE).template.render(context.new(values))

    monkeypatch.setattr(templatetags, "_table_markup", former)
    assert written == render(source, **context)


def test_caption_markup_and_quotes_do_not_leak_into_the_label():
    out = render(
        '{% table %}{% caption %}<span class="fr-sr-only">Liste</span> « {{ q }} »{% endcaption %}{% endtable %}',
        q='"><script>',
    )
    assert 'aria-label="Liste « &quot;&gt;&lt;script&gt; »"' in out
    assert "<script>" not in out


def test_table_without_caption_needs_a_label():
    out = render('{% table label="Sessions" %}<tr><td>x</td></tr>{% endtable %}')
    assert 'aria-label="Sessions"' in out and "<caption" not in out
    with pytest.raises(TemplateSyntaxError, match="label"):
        render("{% table %}<tr><td>x</td></tr>{% endtable %}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% table %}<thead></thead>{% caption %}X{% endcaption %}{% endtable %}", "must come first"),
        ('{% table colour="red" %}{% caption %}X{% endcaption %}{% endtable %}', "unknown options"),
        ('{% table "name" %}{% caption %}X{% endcaption %}{% endtable %}', "key=value"),
    ],
)
def test_table_syntax_errors(source, message):
    with pytest.raises(TemplateSyntaxError, match=message):
        render(source)


def test_allauth_table_element_uses_the_same_markup():
    # allauth's elements need a template with a name, as allauth's own pages are.
    source = "{% load allauth %}{% element table %}<tr><td>Session</td></tr>{% endelement %}"
    page = Template(
        source, origin=Origin("sessions.html", template_name="sessions.html"), engine=engines["django"].engine
    )
    out = page.render(Context({}))
    assert '<div class="fr-table__container" tabindex="0" role="region" aria-label="Tableau">' in out
    assert "<table>" in out and "<td>Session</td>" in out


def test_no_template_writes_the_dsfr_table_markup_by_hand():
    by_hand = [
        str(path.relative_to(TEMPLATES_DIR))
        for path in TEMPLATES_DIR.rglob("*.html")
        if "fr-table__wrapper" in path.read_text()
    ]
    assert by_hand == []


@pytest.mark.django_db
def test_every_table_of_a_page_is_reachable_from_the_keyboard(client):
    membership = MembershipFactory()
    invoice = refresh_entry_totals(
        InvoiceLineFactory(invoice__supplier=membership.structure, invoice__sent=True).invoice
    )
    client.force_login(membership.user)
    response = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    containers = re.findall(r'<div class="fr-table__container"[^>]*>', page)
    assert len(containers) == 2  # the lines and the amounts
    for container in containers:
        assert 'tabindex="0"' in container and 'role="region"' in container
        assert re.search(r'aria-label="[^"]+"', container)
