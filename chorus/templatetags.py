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

The once tag renders its content once per process for each set of values it names, and then
gives the same markup again (the shared layout: head, header, footer; issue 9)::

    {% once "header-user" user.get_full_name|default:user.email user.is_staff %}…{% endonce %}

The content must depend on nothing but those values and what is fixed for the process (settings,
URLs, static files): never on the request otherwise, and never hold a CSRF token, whose mask
belongs to one visitor's secret. What must be rendered for each request goes in an
``{% each_time %}`` block inside it: the kept markup has a hole there, filled on every render
(the logout form's CSRF token in the header)::

    {% once "header" user.get_full_name %}…{% each_time %}{% csrf_token %}{% endeach_time %}…{% endonce %}

At most ``ONCE_LIMIT`` variants are kept (all forgotten when the limit is reached); a change of
settings (tests) or of a template (``runserver``) forgets them.
"""

import html
import re

from django import template
from django.core.signals import setting_changed
from django.template.base import TextNode, render_value_in_context, token_kwargs
from django.urls import get_script_prefix
from django.utils.autoreload import file_changed
from django.utils.functional import LazyObject, empty
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

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


ONCE_LIMIT = 4096
# key -> the kept markup: a string, or (parts, each_time nodes) when it has holes
_once: dict[tuple, str | tuple[list[str], list]] = {}
# key, in the bottom dict of the render context, of the each_time nodes met while a once block is
# rendered to be kept (that dict is shared by the included templates)
_HOLES = "chorus.once.holes"
_HOLE = "\x00chorus-once-hole\x00"


def forget_once(**kwargs) -> None:
    _once.clear()


setting_changed.connect(forget_once)
file_changed.connect(forget_once)


def _key_part(value):
    """A hashable stand-in for a value the once tag is keyed on (the value itself when it is).

    A lazy object is keyed on what it wraps: the key must not keep its closure (the request)."""
    if isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    if isinstance(value, dict):
        return tuple(sorted((key, _key_part(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_key_part(item) for item in value)
    return value


class OnceNode(template.Node):
    def __init__(self, name, values, nodelist):
        self.name, self.values, self.nodelist = name, values, nodelist

    def render(self, context):
        key = (
            self.name,
            get_script_prefix(),
            get_language(),
            *(_key_part(value.resolve(context, ignore_failures=True)) for value in self.values),
        )
        markup = _once.get(key)
        if markup is None:
            markup = _once_markup(self.nodelist, context)
            if len(_once) >= ONCE_LIMIT:
                _once.clear()
            _once[key] = markup
        if type(markup) is not tuple:
            return markup
        parts, holes = markup
        rendered = [parts[0]]
        for hole, part in zip(holes, parts[1:], strict=True):
            rendered.append(_each_time(hole, context))
            rendered.append(part)
        return mark_safe("".join(rendered))  # noqa: S308 (each part rendered by the engine)


def _once_markup(nodelist, context):
    """The markup of a once block to keep: a string, or its parts around the holes left by its
    ``{% each_time %}`` blocks and these blocks' nodes (rendered again on each request)."""
    state = context.render_context.dicts[0]  # the whole render's, included templates too
    outer = state.get(_HOLES)
    holes = state[_HOLES] = []
    try:
        markup = nodelist.render(context)
    finally:
        if outer is None:
            del state[_HOLES]
        else:
            state[_HOLES] = outer
    if not holes:
        return markup
    parts = markup.split(_HOLE)
    assert len(parts) == len(holes) + 1, "{% once %}: a kept block's markup holds its hole marker"
    return parts, holes


def _each_time(node, context) -> str:
    """An each_time block: its hole marker while an enclosing once block is being kept (nested
    once blocks keep the hole of the outermost), its content otherwise."""
    holes = context.render_context.dicts[0].get(_HOLES)
    if holes is not None:
        holes.append(node)
        return _HOLE
    return node.nodelist.render(context)


class EachTimeNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        return _each_time(self, context)


@register.tag("each_time")
def do_each_time(parser, token):
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% each_time %} takes no argument.")
    nodelist = parser.parse(("endeach_time",))
    parser.delete_first_token()
    return EachTimeNode(nodelist)


@register.tag("once")
def do_once(parser, token):
    bits = token.split_contents()[1:]
    if not bits or bits[0][0] not in "\"'":
        raise template.TemplateSyntaxError('{% once %}: a quoted name first, e.g. {% once "footer" %}.')
    values = [parser.compile_filter(bit) for bit in bits[1:]]
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(bits[0][1:-1], values, nodelist)
