"""The test suite is strict: a warning or an invalid template variable fails the test."""

import warnings
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.template.base import Origin

from chorus.settings import strict_templates
from chorus.settings.strict_templates import InvalidTemplateVariableError


def test_a_warning_fails_the_test():
    with pytest.raises(DeprecationWarning):
        warnings.warn("an API going away", DeprecationWarning, stacklevel=1)
    with pytest.raises(ResourceWarning):
        warnings.warn("an unclosed file", ResourceWarning, stacklevel=1)


# --- Invalid template variables ------------------------------------------------------------------


def compile_template(source: str, name: str) -> Template:
    return Template(source, origin=Origin(name, template_name=Path(name).name), engine=engines["django"].engine)


OURS = str(settings.BASE_DIR / "templates" / "invoices" / "exemple.html")
THEIRS = "/usr/lib/python3/site-packages/admin/templates/admin/exemple.html"


@pytest.mark.parametrize(
    "source",
    [
        "{{ typo }}",
        "{{ invoice.nmber }}",
        '{{ missing|default:"—" }}',  # a typo hidden behind default is still a typo
        "{% load i18n %}{% blocktranslate %}Facture {{ missing }}{% endblocktranslate %}",
        '{% include "invoices/includes/errors.html" with messages_list=missing anchor="x" %}',
    ],
)
def test_an_invalid_variable_in_our_templates_fails(source):
    with pytest.raises(InvalidTemplateVariableError, match="missing|typo|nmber"):
        compile_template(source, OURS).render(Context({"invoice": object()}))
    assert strict_templates.FAILURES  # recorded, so a caught error still fails the test
    strict_templates.FAILURES.clear()


def test_a_template_compiled_from_a_string_in_our_code_is_ours_too():
    with pytest.raises(InvalidTemplateVariableError):
        engines["django"].from_string("{{ typo }}").render({})
    strict_templates.FAILURES.clear()


def test_third_party_templates_keep_djangos_default():
    page = compile_template('[{{ missing }}|{{ missing|default:"défaut" }}|{% if missing %}oui{% endif %}]', THEIRS)
    assert page.render(Context({})) == "[|défaut|]"
    assert strict_templates.FAILURES == []


def test_tags_that_ignore_failures_by_design_are_not_checked():
    page = compile_template(
        "{% if missing %}a{% endif %}{% for x in missing %}b{% endfor %}{% firstof missing 'c' %}", OURS
    )
    assert page.render(Context({})) == "c"
