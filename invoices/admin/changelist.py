"""The rows of the admin's invoice list, written in Python (issue 9).

Django writes each cell of a changelist through ``admin_list.items_for_result``: per cell a field
lookup, ``display_for_field``, two ``format_html``, the empty value display and the column classes
computed again; per row the change URL reversed (twice here: two link columns) and the action
checkbox rendered through the form widget templates. For the 50 rows of an agent's page that was
over 40 % of the page's CPU time (the rows and their template: 32 ms of ~75 on the profiling
machine, 3.9 ms once written here).

``result_list(cl)`` gives the context of Django's ``change_list_results.html`` (same template, same
headers from ``admin_list.result_headers``) whose rows are written here: what does not change from
one row to the next (a column's classes, its link tag, its empty value display, the change URL with
the list's filters around the pk, the checkbox markup rendered once by ``action_checkbox`` itself)
is worked out once per page, each row is then a few string joins and the conversions Django
applies, with what they look up for each value looked up once per page: the language's separators
for ``formats.number_format`` (``number_format_function``), the ``DATETIME_FORMAT`` of
``formats.localize`` parsed into one printf pattern (``datetime_format_function``; a format
character it does not know is left to Django), ``html.escape`` for ``conditional_escape``. The
markup is exactly Django's (``tests/invoices/test_admin_rows.py`` compares pages and rows byte for
byte, and each conversion with Django's).

Only what this module knows is written this way: the action checkbox, model fields of the types
below (no choices), foreign keys, ``ModelAdmin`` methods; links when the changelist's
``url_for_result`` depends on the pk alone (Django's, or a subclass saying so with
``result_urls_by_pk = True``). Anything else in ``list_display`` (a callable, a model property, a
``__`` lookup, a field of another type), an editable list or a popup, and the whole table is
Django's own ``result_list``.
"""

import datetime
import functools
import hashlib
from html import escape
from operator import attrgetter

import django
from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers
from django.contrib.admin.templatetags.admin_list import result_list as django_result_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_value, quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.forms.renderers import get_default_renderer
from django.urls import NoReverseMatch
from django.utils import dateformat, formats, numberformat, timezone
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from chorus import fragments

# Placeholders for what differs between rows in markup rendered once per page: not changed by
# HTML escaping nor URL quoting, and nothing a URL or a translation contains.
_PK = 918273645
_LABEL = "Xq7RowLabel5Zk"
_ROW = "Wv3ResultRow8Jt"
FRAME_SECONDS = 600


def result_list(cl) -> dict:
    """The context of ``change_list_results.html``: Django's ``result_list(cl)``, the rows written
    by ``rows(cl)`` when it knows every column."""
    written = rows(cl)
    if written is None:
        return django_result_list(cl)
    return _context(cl, written)


def _context(cl, written: list) -> dict:
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # One item per row: the template writes ``<tr>{% for item in result %}{{ item }}…``.
        "results": [ResultList(None, [row]) for row in written],
    }


def result_list_html(cl, render, *, djangos_template: str | None) -> str:
    """``change_list_results.html`` rendered by ``render(context)``, as ``{% result_list cl %}``
    writes it. With Django's own template (``djangos_template``, its file: its rows are written
    one after the other, each the same markup around the row's cells), the template's loop over
    the rows is done here: the template is rendered with three placeholder rows, the text around
    them kept (what comes before the first row, between two rows, after the last) and the written
    rows joined with it; taken only when the two texts between rows are the same. That frame is
    a function of the template, the language and the headers: kept by ``chorus.fragments``.
    Another template (which might number its rows, count them or ``{% cycle %}``), no rows, or
    Django's rows, are rendered as they are."""
    written = rows(cl)
    if written is None:
        return render(django_result_list(cl))
    context = _context(cl, written)
    if not written or not djangos_template:
        return render(context)
    markers = [SafeString(f"{_ROW}{i}") for i in range(3)]
    context["results"] = [ResultList(None, [marker]) for marker in markers]
    # The frame is a function of the headers (and the language): kept (``chorus.fragments``).
    made_of = [djangos_template, *_frame_key(context)]
    key = "chorus:admin-results:" + hashlib.sha256(repr(made_of).encode()).hexdigest()
    parts = _split(fragments.kept_html(key, lambda: render(context), timeout=FRAME_SECONDS), markers)
    if parts is None or parts[1] != parts[2]:
        context["results"] = [ResultList(None, [row]) for row in written]
        return render(context)
    head, between, _same, tail = parts
    return SafeString(head + between.join(written) + tail)


def _frame_key(context) -> list:
    """What Django's ``change_list_results.html`` reads when its rows are placeholders."""
    return [
        django.get_version(),
        get_language() or "",
        context["num_sorted_fields"],
        [sorted((name, _text(value)) for name, value in header.items()) for header in context["result_headers"]],
    ]


def _text(value):
    """A value as the template writes it: its text (a lazy one translated), whether it is escaped."""
    if isinstance(value, (bool, int)) or value is None:
        return value
    return str(value), hasattr(value, "__html__")


def _split(text: str, markers) -> list | None:
    """``text`` cut at each marker (each found once, in order), or None."""
    parts = []
    for marker in markers:
        if text.count(marker) != 1:
            return None
        before, _found, text = text.partition(marker)
        parts.append(before)
    return [*parts, text]


def rows(cl) -> list | None:
    """Each row's cells, joined (what ``items_for_result`` yields), or None when a column, the
    links or the list are beyond this module (see the module's docstring)."""
    if cl.formset is not None or cl.is_popup:
        return None
    row = _row_function(cl)
    if row is None:
        return None
    return [row(result) for result in cl.result_list]


def _row_function(cl):
    """One function writing a result's row: per column its value function (``_value_function``),
    its tag and whether it links to the result (the link's URL around the pk), the text escaped
    as ``conditional_escape`` does (safe markup as it is, anything else ``html.escape``d), all in
    one call per row."""
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    link = None
    columns = []
    first = True
    for field_name in cl.list_display:
        if not isinstance(field_name, str):
            return None
        # Django's ``link_in_col``, with ``first`` true until a link column has been written.
        if cl.list_display_links is None:
            is_link = False
        elif first and not cl.list_display_links:
            is_link = True
        else:
            is_link = field_name in cl.list_display_links
        value = _value_function(cl, field_name, empty)
        if value is None:
            return None
        if is_link:
            if link is None:
                link = _link_parts(cl)
                if link is None:
                    return None
            tag = "th" if first else "td"
            first = False
            columns.append((tag, value, link is not _TEXT_ONLY))
        else:
            columns.append(("td", value, False))
    head, tail, pk_attname = ("", "", None) if link is None or link is _TEXT_ONLY else link

    def row(result):
        cells = []
        for tag, value, linked in columns:
            classes, text = value(result)
            html = getattr(text, "__html__", None)
            html = html() if html is not None else escape(str(text))
            if linked:
                pk = int(getattr(result, pk_attname))
                cells.append(f'<{tag}{classes}><a href="{head}{pk}{tail}">{html}</a></{tag}>')
            else:
                cells.append(f"<{tag}{classes}>{html}</{tag}>")
        # SafeString(…) is mark_safe(…) of a str, without its lazy-string wrapper.
        return SafeString("".join(cells))

    return row


def _classes(*names) -> str:
    return f' class="{" ".join(names)}"'


def _value_function(cl, name: str, empty):
    """A function giving ``(' class="…"', text)`` for a result, as ``items_for_result`` computes
    them for this column, or None for a column this module does not know."""
    opts = cl.lookup_opts
    base = _classes(f"field-{name}")
    nowrap = _classes(f"field-{name}", "nowrap")
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        return _admin_value_function(cl, name, empty, base, nowrap)

    if field.is_relation:
        if not isinstance(field, models.ForeignKey) or field.name != name:
            return None  # a reverse relation, a many-to-many, or a foreign key by its column name

        def related(result):
            try:
                related = getattr(result, name)
            except ObjectDoesNotExist:
                return base, empty
            return nowrap, empty if related is None else related

        return related

    if field.auto_created or getattr(field, "flatchoices", None) or field.attname != name:
        return None
    empty_values = field.empty_values
    if isinstance(field, models.DateTimeField):
        return _converted(name, empty_values, empty, nowrap, datetime_format_function())
    if isinstance(field, (models.DateField, models.TimeField)):
        return _converted(name, empty_values, empty, nowrap, formats.localize)
    if isinstance(field, models.DecimalField):
        return _converted(name, empty_values, empty, base, number_format_function(field.decimal_places))
    if isinstance(field, (models.IntegerField, models.FloatField)):
        return _converted(name, empty_values, empty, base, number_format_function(None))
    if type(field) in (models.CharField, models.TextField, models.SlugField, models.EmailField):

        def text(result):
            value = getattr(result, name)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return base, empty if value in empty_values else str(value)

        return text
    return None


def _converted(name, empty_values, empty, classes, convert):
    def value(result):
        value = getattr(result, name)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        return classes, empty if value in empty_values else convert(value)

    return value


def _admin_value_function(cl, name, empty, base, nowrap):
    """A ``ModelAdmin`` method named in ``list_display`` (or its action checkbox)."""
    model_admin = cl.model_admin
    if name == "__str__" or not hasattr(model_admin, name):
        return None
    method = getattr(model_admin, name)
    if not callable(method):
        return None
    if name == "action_checkbox":
        return _checkbox_function(model_admin, method)
    empty = getattr(method, "empty_value_display", empty)
    boolean = getattr(method, "boolean", False)

    def value(result):
        value = method(result)
        if isinstance(value, str) and not boolean:  # display_for_value's answer for a text
            return base, value if value.strip() else empty
        classes = nowrap if isinstance(value, (datetime.date, datetime.time)) else base
        return classes, display_for_value(value, empty, boolean)

    return value


class _Placeholder:
    """An object whose pk and ``str()`` are placeholders (to render per-row markup once)."""

    def __init__(self, pk_attname):
        self.pk = _PK
        setattr(self, pk_attname, _PK)

    def __str__(self):
        return _LABEL


def _checkbox_function(model_admin, method):
    """The action checkbox, rendered once by the ModelAdmin's own ``action_checkbox`` with
    placeholders, then filled in per row with the result's pk and ``str()``, escaped as the widget
    escapes them (``{{ widget.value }}`` and ``format_html`` of the label)."""
    if getattr(type(model_admin), "action_checkbox", None) is not ModelAdmin.action_checkbox:
        return None  # overridden: its markup may depend on more than the pk and str()
    pattern = _checkbox_pattern(method, model_admin.opts.pk.attname)
    if pattern is None:
        return None
    classes = _classes("action-checkbox")

    def value(result):
        return classes, SafeString(pattern.format(escape(str(result.pk)), escape(str(result))))

    return value


# Django's action checkbox with placeholders, per language and form renderer (what its markup is
# made of besides the pk and label): rendered through the widget templates once per process.
_CHECKBOXES: dict = {}


def _checkbox_pattern(method, pk_attname) -> str | None:
    key = (get_language(), get_default_renderer())
    pattern = _CHECKBOXES.get(key, False)
    if pattern is False or settings.DEBUG:
        rendered = str(method(_Placeholder(pk_attname)))
        pattern = None
        if rendered.count(str(_PK)) == 1 and rendered.count(_LABEL) == 1:
            pattern = rendered.replace("{", "{{").replace("}", "}}").replace(str(_PK), "{0}").replace(_LABEL, "{1}")
        _CHECKBOXES[key] = pattern
    return pattern


_TEXT_ONLY = ("text only",)


def _link_parts(cl):
    """``(head, tail, pk_attname)``: the link to a result's change page is
    ``<a href="{head}{pk}{tail}">`` (the list's preserved filters added), as ``items_for_result``
    writes it; ``_TEXT_ONLY`` when the URL cannot be reversed (Django writes the text alone);
    None when it cannot be written here. When ``url_for_result`` depends on the pk alone (and the
    pk is an integer), the URL is reversed once with a placeholder pk."""
    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    by_pk = type(cl).url_for_result is ChangeList.url_for_result or getattr(cl, "result_urls_by_pk", False)
    integer_pk = isinstance(cl.lookup_opts.pk, (models.AutoField, models.BigAutoField, models.IntegerField))
    if not (by_pk and integer_pk):
        return None
    try:
        url = add_preserved_filters(context, cl.url_for_result(_Placeholder(cl.pk_attname)))
    except NoReverseMatch:
        return _TEXT_ONLY
    head, found, tail = url.partition(str(quote(_PK)))
    if not found:
        return None
    return escape(head), escape(tail), cl.pk_attname


def number_format_function(decimal_pos):
    """``formats.number_format(value, decimal_pos)`` with the language's separators and grouping
    read once (Django reads the language and three formats again for each value)."""
    lang = get_language()
    return functools.partial(
        numberformat.format,
        decimal_sep=formats.get_format("DECIMAL_SEPARATOR", lang, use_l10n=True),
        decimal_pos=decimal_pos,
        grouping=formats.get_format("NUMBER_GROUPING", lang, use_l10n=True),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR", lang, use_l10n=True),
        force_grouping=False,
        use_l10n=True,
    )


# The format characters written here, as ``DateFormat`` writes them: (printf spec, value).
_DATETIME_SPECS = {
    "d": ("%02d", attrgetter("day")),
    "j": ("%d", attrgetter("day")),
    "m": ("%02d", attrgetter("month")),
    "n": ("%d", attrgetter("month")),
    "Y": ("%04d", attrgetter("year")),
    "y": ("%02d", lambda value: value.year % 100),
    "H": ("%02d", attrgetter("hour")),
    "G": ("%d", attrgetter("hour")),
    "i": ("%02d", attrgetter("minute")),
    "s": ("%02d", attrgetter("second")),
    "F": ("%s", None),  # the month's name, translated once
}


def datetime_format_function():
    """``formats.localize(timezone.template_localtime(value))`` for a datetime, as the admin
    writes it: in the current time zone, in the language's ``DATETIME_FORMAT``. The format is
    parsed once (Django builds a ``DateFormat``, checks the time zone's ambiguity and splits the
    format again for each value) into one printf pattern; a format using a character not in
    ``_DATETIME_SPECS`` is left to Django."""
    fmt = str(formats.get_format("DATETIME_FORMAT"))
    months = {number: str(name) for number, name in MONTHS.items()}
    pattern, getters = [], []
    for i, piece in enumerate(dateformat.re_formatchars.split(fmt)):
        if i % 2:
            if piece not in _DATETIME_SPECS:
                return _django_datetime
            spec, getter = _DATETIME_SPECS[piece]
            pattern.append(spec)
            getters.append(getter or (lambda value: months[value.month]))
        elif piece:
            pattern.append(dateformat.re_escaped.sub(r"\1", piece).replace("%", "%%"))
    pattern = "".join(pattern)
    convert = settings.USE_TZ
    zone = timezone.get_current_timezone()

    def format_datetime(value):
        if not isinstance(value, datetime.datetime):
            return _django_datetime(value)
        if convert and value.utcoffset() is not None and getattr(value, "convert_to_local_time", True):
            value = value.astimezone(zone)
        return pattern % tuple([getter(value) for getter in getters])

    return format_datetime


def _django_datetime(value):
    return formats.localize(timezone.template_localtime(value))
