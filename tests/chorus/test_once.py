"""The shared layout rendered once per process ({% once %}, chorus/templatetags.py): each visitor
still gets their own name, navigation, CSRF token and messages."""

import re

import pytest
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse

from chorus import templatetags
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db

TEMPLATE = Template('{% load chorus %}{% once "test-once" key %}{{ key }}:{{ other }}{% endonce %}')


def render(**context) -> str:
    return TEMPLATE.render(Context(context))


def test_rendered_once_for_each_key():
    templatetags.forget_once()
    assert render(key="a", other=1) == "a:1"
    assert render(key="a", other=2) == "a:1"  # the same markup again: "other" is not a key
    assert render(key="b", other=3) == "b:3"
    assert render(key=["a", {"x": 1}], other=4) == "[&#x27;a&#x27;, {&#x27;x&#x27;: 1}]:4"
    assert render(key=["a", {"x": 1}], other=5).endswith(":4")


def test_a_change_of_settings_forgets_and_the_limit_holds(monkeypatch):
    templatetags.forget_once()
    assert render(key="a", other=1) == "a:1"
    with override_settings(STATIC_URL="/autre/"):
        assert render(key="a", other=2) == "a:2"
    monkeypatch.setattr(templatetags, "ONCE_LIMIT", 3)
    templatetags.forget_once()
    for index in range(10):
        render(key=index, other=index)
    assert len(templatetags._once) <= 3


def test_the_tag_needs_a_quoted_name():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template("{% load chorus %}{% once key %}x{% endonce %}")


def csrf_of(content: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)


def test_each_user_gets_their_own_header_and_a_working_logout_form():
    first = UserFactory(first_name="Alice", last_name="Martin")
    second = UserFactory(first_name="Bruno", last_name="Petit", staff=True)
    MembershipFactory(user=first, manager=True)
    MembershipFactory(user=second, structure=StructureFactory(public=True))
    pages = {}
    for user in (first, second, first):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        content = html(client.get(reverse("accounts:dashboard")))
        pages.setdefault(user.pk, []).append(content)
        header = content.split("</header>")[0]
        assert user.get_full_name() in header
        other = second if user == first else first
        assert other.get_full_name() not in header
        assert ("Administration" in header) is user.is_staff
        nav = header.split('id="navigation-principale"')[1]
        assert ("Activités du gestionnaire" in nav) is (user == first)
        assert ("Factures émises" in nav) is (user == first)  # an agent is offered no supplier page
        # The logout form's token is this visitor's: the logout goes through.
        response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf_of(header)})
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
    # The same user twice: the same header but a fresh CSRF mask.
    assert csrf_of(pages[first.pk][0]) != csrf_of(pages[first.pk][1])


def test_the_current_navigation_entry_follows_the_page(client):
    client.force_login(MembershipFactory(manager=True).user)
    for name, label in (("accounts:dashboard", "Accueil connecté"), ("accounts:profile", "Mon compte")):
        nav = html(client.get(reverse(name))).split('id="navigation-principale"')[1].split("</nav>")[0]
        assert nav.count('aria-current="page"') == 1
        assert f'aria-current="page">{label}' in nav


def test_a_visitor_then_a_user_get_their_own_header(client):
    anonymous = html(client.get(reverse("home"))).split("</header>")[0]
    assert "Se connecter" in anonymous and "Se déconnecter" not in anonymous
    client.force_login(UserFactory(first_name="Chloé", last_name="Durand"))
    connected = html(client.get(reverse("accounts:dashboard"))).split("</header>")[0]
    assert "Chloé Durand" in connected and "Se déconnecter" in connected and "Se connecter" not in connected
    assert reverse("accounts:dashboard") in connected.split("fr-header__service")[1].split("</a>")[0]


def test_each_time_blocks_are_rendered_on_every_request():
    templatetags.forget_once()
    template = Template(
        '{% load chorus %}{% once "holes" key %}[{{ key }}|{% each_time %}{{ other }}{% endeach_time %}|{{ other }}'
        "{% each_time %}<{{ other }}>{% endeach_time %}]{% endonce %}"
    )
    assert template.render(Context({"key": "a", "other": 1})) == "[a|1|1<1>]"
    assert template.render(Context({"key": "a", "other": 2})) == "[a|2|1<2>]"
    assert template.render(Context({"key": "b", "other": 3})) == "[b|3|3<3>]"
    assert Template("{% load chorus %}{% each_time %}{{ x }}{% endeach_time %}").render(Context({"x": 5})) == "5"


def test_holes_of_nested_once_blocks_and_of_included_templates_stay_holes():
    from django.template import engines

    templatetags.forget_once()
    engine = engines["django"].engine
    inner = '{% load chorus %}{% once "inner" %}(i{% each_time %}{{ n }}{% endeach_time %}){% endonce %}'
    outer = engine.from_string(
        '{% load chorus %}{% once "outer" %}<o{% each_time %}{{ n }}{% endeach_time %}'
        "{% include inner %}{% include leaf %}>{% endonce %}"
    )
    leaf = engine.from_string("{% load chorus %}[l{% each_time %}{{ n }}{% endeach_time %}]")
    context = {"inner": engine.from_string(inner), "leaf": leaf}
    assert outer.render(Context({**context, "n": 1})) == "<o1(i1)[l1]>"
    assert outer.render(Context({**context, "n": 2})) == "<o2(i2)[l2]>"
    assert engine.from_string(inner).render(Context({"n": 3})) == "(i3)"


def test_the_same_user_gets_a_fresh_csrf_token_in_the_kept_header(client):
    client.force_login(UserFactory())
    first, second = (html(client.get(reverse("accounts:profile"))).split("</header>")[0] for _ in range(2))
    assert csrf_of(first) != csrf_of(second)
    assert re.sub(r'value="[^"]+"', "", first) == re.sub(r'value="[^"]+"', "", second)
