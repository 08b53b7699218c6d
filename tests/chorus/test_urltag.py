"""``{% url %}`` kept for the process (chorus/urltag.py, ``chorus.links.cached_reverse``): the same
paths as Django's tag and ``reverse``, reversed once per view name and arguments."""

from decimal import Decimal
from unittest import mock

import pytest
from django.template import RequestContext, Template, engines
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation
from django.utils.translation import gettext_lazy

from chorus import links
from chorus.urltag import CachedURLNode


@pytest.fixture(autouse=True)
def _forget():
    links._REVERSED.clear()
    yield
    links._REVERSED.clear()
    set_script_prefix("/")


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_url_tag_of_every_template_is_the_kept_one():
    template = engines["django"].from_string("{% url 'invoices:list' %}")
    assert [type(node) for node in template.template.nodelist] == [CachedURLNode]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{% url 'invoices:list' %}", lambda: reverse("invoices:list")),
        ("{% url 'invoices:detail' 12 %}", lambda: reverse("invoices:detail", args=[12])),
        ("{% url 'invoices:detail' invoice_id=12 %}", lambda: reverse("invoices:detail", kwargs={"invoice_id": 12})),
        ("{% url 'invoices:detail' invoice_id %}", lambda: reverse("invoices:detail", args=[34])),
        ("{% url name %}", lambda: reverse("accounts:dashboard")),
    ],
)
def test_the_tag_gives_djangos_path(source, expected):
    context = {"invoice_id": 34, "name": "accounts:dashboard"}
    assert render(source, **context) == expected()
    assert len(links._REVERSED) == 1
    assert render(source, **context) == expected()  # kept


def test_as_var_and_a_missing_view():
    assert render("{% url 'invoices:list' as link %}[{{ link }}]") == f"[{reverse('invoices:list')}]"
    assert render("{% url 'nowhere' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'nowhere' %}")
    assert not any(key[3] == "nowhere" for key in links._REVERSED)


def test_a_path_is_reversed_once():
    with mock.patch.object(links, "reverse", wraps=reverse) as reversing:
        for _ in range(3):
            assert links.cached_reverse("invoices:detail", args=[5]) == reverse("invoices:detail", args=[5])
        assert links.cached_reverse("invoices:detail", args=[6]) == reverse("invoices:detail", args=[6])
    assert reversing.call_count == 2


def test_the_script_prefix_and_the_language_are_part_of_the_key():
    assert links.cached_reverse("invoices:list") == "/factures/"
    set_script_prefix("/chorus/")
    assert links.cached_reverse("invoices:list") == "/chorus/factures/"
    set_script_prefix("/")
    assert links.cached_reverse("invoices:list") == "/factures/"
    with translation.override("en"):
        assert links.cached_reverse("invoices:list") == "/factures/"
    assert sorted((key[1], key[2]) for key in links._REVERSED) == [("/", "en"), ("/", "fr"), ("/chorus/", "fr")]


def test_values_other_than_strings_and_integers_are_reversed_every_time():
    with mock.patch.object(links, "reverse", wraps=reverse) as reversing:
        for _ in range(2):
            links.cached_reverse("invoices:detail", args=[Decimal(5)])
            links.cached_reverse("accounts:dashboard", current_app=gettext_lazy("x"))
    assert reversing.call_count == 4
    assert links._REVERSED == {}


def test_the_current_app_of_the_request_is_used_and_kept_apart():
    request = RequestFactory().get("/")
    request.current_app = "admin"
    out = Template("{% url 'admin:index' %}").render(RequestContext(request))
    assert out == reverse("admin:index", current_app="admin")
    assert [key[6] for key in links._REVERSED] == ["admin"]


def test_the_kept_paths_are_bounded():
    with mock.patch.object(links, "REVERSED_LIMIT", 3):
        for pk in range(1, 8):
            links.cached_reverse("invoices:detail", args=[pk])
            assert len(links._REVERSED) <= 3
    assert links.cached_reverse("invoices:detail", args=[7]) == reverse("invoices:detail", args=[7])


@override_settings(ROOT_URLCONF="chorus.urls")
def test_a_change_of_settings_forgets_them():
    links.cached_reverse("invoices:list")
    assert links._REVERSED
    with override_settings(ROOT_URLCONF="tests.chorus.urls_other"):
        assert links._REVERSED == {}
