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
caption needs no generated id. The markup is ``templates/includes/table.html``.
"""

import html
import re

from django import template
from django.template.base import TextNode, token_kwargs
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from chorus import formats

register = template.Library()

register.filter("money", formats.money)
register.filter("amount", formats.amount)
register.filter("integer", formats.integer)
register.filter("number", formats.number)
register.filter("percent", formats.percent)
register.filter("filesize", formats.filesize)

TABLE_TEMPLATE = "includes/table.html"
TABLE_OPTIONS = frozenset({"class", "id", "table_id", "caption_class", "live", "label"})


class TableNode(template.Node):
    def __init__(self, options, caption, body):
        self.options, self.caption, self.body = options, caption, body

    def render(self, context):
        values = dict.fromkeys(TABLE_OPTIONS, "")
        values.update((key, value.resolve(context)) for key, value in self.options.items())
        values["css_class"] = values.pop("class")
        # Both parts were rendered (and escaped) by the engine with the page's context.
        caption = self.caption.render(context).strip() if self.caption is not None else ""
        values["caption"] = mark_safe(caption)
        values["body"] = mark_safe(self.body.render(context))
        caption_text = re.sub(r"\s+", " ", html.unescape(strip_tags(caption))).strip()
        values["region_label"] = caption_text or values["label"]
        markup = context.template.engine.get_template(TABLE_TEMPLATE)
        return markup.render(context.new(values))


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
