"""The filters of the admin's invoice list, rendered once per set of criteria and choices and kept
in the cache (issue 9), as the criteria form of Rechercher is (``invoices.views.listing``).

Django renders the filters sidebar on each page: per filter its template, per choice a URL of the
list (``ChangeList.get_query_string``) and a link; for an agent's list ~30 choices, for a ministry
with 200 services over 200. ``filters_html(cl)`` gives what the template's
``{% for spec in cl.filter_specs %}{% admin_list_filter cl spec %}{% endfor %}`` writes, from the
cache when the same sidebar was written before.

The key is what the sidebar is made of, so that no write needs to invalidate it (the sidebar is
kept by ``chorus.fragments``: in the process, then in the cache): the language, the
list's parameters (every choice's URL is made from them), and for each filter its template (a
digest of its source), its title and what its ``choices()`` reads: the value chosen and the
choices themselves (a new service, a renamed recipient, a new membership give other choices, so
another key; the choices are read from the database for each page, as before). Only filters whose
``choices()`` this module knows are written this way (Django's ``SimpleListFilter`` and
``ChoicesFieldListFilter``, ``InputFilter``); any other filter, facets (counts from the database),
a template that reads ``spec``, or a changelist with its own ``get_query_string``, and the sidebar
is rendered as Django renders it, without the cache.
"""

import hashlib

from django.conf import settings
from django.contrib.admin.filters import ChoicesFieldListFilter, SimpleListFilter
from django.contrib.admin.templatetags.admin_list import admin_list_filter
from django.contrib.admin.views.main import ChangeList
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import get_language

from chorus import fragments
from invoices.admin.filters import InputFilter

FILTERS_SECONDS = 600
_TEMPLATE_VERSIONS: dict[str, str | None] = {}


@receiver(setting_changed)
def _templates_changed(setting, **kwargs):
    if setting == "TEMPLATES":
        _TEMPLATE_VERSIONS.clear()


def filters_html(cl) -> str:
    """The filters of the list, as ``admin_list_filter`` writes them one after the other."""
    key = cache_key(cl)
    if key is None:
        return _render(cl)
    return fragments.kept_html(key, lambda: _render(cl), timeout=FILTERS_SECONDS)


def _render(cl) -> str:
    return SafeString("".join([admin_list_filter(cl, spec) for spec in cl.filter_specs]))


def cache_key(cl) -> str | None:
    """What the sidebar is made of (see the module's docstring), or None when this module does
    not know it all."""
    if cl.add_facets or type(cl).get_query_string is not ChangeList.get_query_string:
        return None
    filters = []
    for spec in cl.filter_specs:
        version = _template_version(spec.template)
        state = _state(spec)
        if version is None or state is None:
            return None
        filters.append((type(spec).__qualname__, version, _text(spec.title), state))
    made_of = (
        get_language() or "",
        sorted(cl.filter_params.items()),
        list(cl.params.items()),  # in their order: the text filters keep the others as hidden inputs
        filters,
    )
    return "chorus:admin-filters:" + hashlib.sha256(repr(made_of).encode()).hexdigest()


def _text(value) -> tuple[str, bool]:
    """A value as the template writes it: its text, and whether it is escaped."""
    return str(value), isinstance(value, SafeData)


def _state(spec):
    """What the filter's ``choices()`` reads besides the list's parameters, or None."""
    choices = type(spec).choices
    if choices is SimpleListFilter.choices:
        return (
            spec.parameter_name,
            spec.value(),
            [(_text(lookup), _text(title)) for lookup, title in spec.lookup_choices],
        )
    if choices is ChoicesFieldListFilter.choices:
        return (
            spec.lookup_kwarg,
            spec.lookup_kwarg_isnull,
            spec.lookup_val,
            spec.lookup_val_isnull,
            [(repr(lookup), _text(title)) for lookup, title in spec.field.flatchoices],
        )
    if choices is InputFilter.choices:
        return (
            spec.expected_parameters(),
            sorted(spec.used_parameters.items()),
            [(name, _text(label), kind) for name, label, kind in spec.fields],
        )
    return None


def _template_version(name: str) -> str | None:
    """A digest of the filter's template (a deployment never serves an older sidebar), or None
    for a template given ``spec`` that reads it (beyond what the key holds)."""
    if name not in _TEMPLATE_VERSIONS or settings.DEBUG:
        source = get_template(name).template.source
        _TEMPLATE_VERSIONS[name] = None if "spec" in source else hashlib.sha256(source.encode()).hexdigest()[:12]
    return _TEMPLATE_VERSIONS[name]
