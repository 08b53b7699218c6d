"""The template library every page loads with ``{% load chorus %}``: French formats and the DSFR table.

It is registered under the name ``chorus`` in ``TEMPLATES["OPTIONS"]["libraries"]`` (the project
package is not an installed app, so Django would not find a ``templatetags`` package in it).

Filters, each the function of the same name in ``chorus.formats``::

    {{ invoice.amount_ttc|money }}   {{ value|amount }}   {{ count|integer }}
    {{ line.quantity|number }}       {{ rate|percent }}   {{ file.size|filesize }}

The table tag wraps a table in the DSFR markup (``fr-table`` and its three nested wrappers), with
the scrolling wrapper reachable from the keyboard (``tabindex="0"``, ``role="region"``) and named
after the caption, so that a wide table on a narrow screen can be scrolled without a mouse::

    {% table class="fr-table--no-caption" id="wrapper-id" table_id="lines-table" %}
      {% caption %}Lignes de la facture ({{ lines|length }}){% endcaption %}
      <thead>…</thead>
      <tbody>…</tbody>
    {% endtable %}

Options, all optional: ``class`` (more classes on the ``fr-table`` block), ``id`` (its id),
``table_id``, ``caption_class``, ``live`` (``aria-live`` of the table, for totals a script
updates) and ``label`` (the name of the scrolling wrapper when the table has no caption). The
wrapper is named by ``aria-label`` with the caption's text rather than ``aria-labelledby``, so the
caption needs no generated id. The markup is written by ``_table_markup`` (it was the template
``includes/table.html``, kept as the reference of ``tests/chorus/test_table_tag.py``).
"""

import html
import re

from django import template
from django.template.base import TextNode, render_value_in_context, token_kwargs
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from chorus import formats

register = template.Library()

register.filter("money", formats.money)
register.filter("amount", formats.amount)
register.filter("integer", formats.integer)
register.filter("number", formats.number)
register.filter("percent", formats.percent)
register.filter("filesize", formats.filesize)

TABLE_OPTIONS = frozenset({"class", "id", "table_id", "caption_class", "live", "label"})


class TableNode(template.Node):
    def __init__(self, options, caption, body):
        self.options, self.caption, self.body = options, caption, body

    def render(self, context):
        values = dict.fromkeys(TABLE_OPTIONS, "")
        values.update((key, value.resolve(context)) for key, value in self.options.items())
        # Both parts were rendered (and escaped) by the engine with the page's context.
        caption = self.caption.render(context).strip() if self.caption is not None else ""
        body = self.body.render(context)
        caption_text = re.sub(r"\s+", " ", html.unescape(strip_tags(caption))).strip()
        return _table_markup(context, values, caption, body, caption_text or values["label"])


def _table_markup(context, values: dict, caption: str, body: str, region_label) -> SafeString:
    """The DSFR markup around the table (written here rather than by a template: a table's wrapper
    through the engine cost ~80 µs, a few per page); each option written as ``{{ option }}`` would
    (``render_value_in_context``: escaped unless safe, numbers localised)."""

    def attribute(name: str, value) -> str:
        """`` name="{{ value }}"`` when the option is set."""
        return f' {name}="{render_value_in_context(value, context)}"' if value else ""

    css = values["class"]
    css = " " + render_value_in_context(css, context) if css else ""
    if caption:
        caption = f"<caption{attribute('class', values['caption_class'])}>{caption}</caption>"
    label = render_value_in_context(region_label, context)
    return mark_safe(
        f'<div class="fr-table{css}"{attribute("id", values["id"])}>\n'
        '  <div class="fr-table__wrapper">\n'
        f'    <div class="fr-table__container" tabindex="0" role="region" aria-label="{label}">\n'
        '      <div class="fr-table__content">\n'
        f"        <table{attribute('id', values['table_id'])}{attribute('aria-live', values['live'])}>\n"
        f"          {caption}\n"
        f"          {body}\n"
        "        </table>\n      </div>\n    </div>\n  </div>\n</div>\n"
    )


@register.tag("table")
def do_table(parser, token):
    remaining = token.split_contents()[1:]
    options = token_kwargs(remaining, parser)
    if remaining:
        raise template.TemplateSyntaxError(f"{{% table %}}: unexpected {' '.join(remaining)!r} (use key=value).")
    unknown = set(options) - TABLE_OPTIONS
    if unknown:
        raise template.TemplateSyntaxError(f"{{% table %}}: unknown options {sorted(unknown)}.")

    caption = None
    before = parser.parse(("caption", "endtable"))
    if parser.next_token().contents == "caption":
        if any(not isinstance(node, TextNode) or node.s.strip() for node in before):
            raise template.TemplateSyntaxError("{% table %}: {% caption %} must come first, before the rows.")
        caption = parser.parse(("endcaption",))
        parser.delete_first_token()
        body = parser.parse(("endtable",))
        parser.delete_first_token()
    else:
        body = before
    if caption is None and "label" not in options:
        raise template.TemplateSyntaxError("{% table %}: a table without {% caption %} needs label=… to be named.")
    return TableNode(options, caption, body)
