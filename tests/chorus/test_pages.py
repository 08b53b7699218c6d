"""Public pages, layout and error pages (the health check: test_health.py)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.accounts.factories import NewsFactory, UserFactory
from tests.conftest import html

pytestmark = pytest.mark.django_db


def test_home_page_is_dsfr_with_login_box_and_news(client):
    NewsFactory(title="Nouvelle version du portail")
    NewsFactory(title="Brouillon non publié", is_published=False)
    response = client.get(reverse("home"))
    content = html(response)
    assert response.status_code == 200
    assert '<html lang="fr"' in content
    assert 'class="fr-header"' in content and 'class="fr-footer"' in content
    assert 'href="#contenu"' in content  # skip link
    assert 'href="/static/dsfr/dist/dsfr/dsfr.min.css"' in content  # django-dsfr 3's path, served locally
    assert "Connexion à votre espace" in content and 'name="login"' in content
    assert "Nouvelle version du portail" in content
    assert "Brouillon non publié" not in content
    assert "réservé aux sites des services de l'État" in content


def test_dsfr_assets_are_served_locally(client):
    content = html(client.get(reverse("home")))
    assert "cdn" not in content.lower()
    assert "https://" not in content.split("<body")[0]  # no external asset in <head>


def test_connected_user_is_sent_to_dashboard_with_navigation(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("accounts:dashboard")
    content = html(client.get(reverse("accounts:dashboard")))
    assert "Accueil connecté" in content and "Mon compte" in content
    assert 'aria-current="page"' in content


@pytest.mark.parametrize("slug", ["cgu", "mentions-legales", "accessibilite", "donnees-personnelles"])
def test_footer_pages(client, slug):
    response = client.get(reverse("page", kwargs={"slug": slug}))
    assert response.status_code == 200
    assert "<h1>" in html(response)


def test_404_page_is_dsfr_and_french(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    content = html(response)
    assert "Page non trouvée" in content and 'class="fr-header"' in content


def _debug_middleware():
    from django.conf import settings

    return [*settings.MIDDLEWARE[:-1], "chorus.errors.DebugNotFoundMiddleware", settings.MIDDLEWARE[-1]]


@pytest.mark.parametrize("path", ["/cette-page-n-existe-pas/", "/factures/999999/"])
def test_404_is_french_and_dsfr_with_debug_on(client, path):
    """``make run`` runs with DEBUG on: no English technical page, for an unknown address as for a
    view's Http404 (an invoice that is not the user's)."""
    from tests.structures.factories import MembershipFactory

    client.force_login(MembershipFactory().user)
    with override_settings(DEBUG=True, MIDDLEWARE=_debug_middleware()):
        response = client.get(path)
    content = html(response)
    assert response.status_code == 404
    assert "Page non trouvée" in content and 'class="fr-header"' in content
    assert "Page not found" not in content and "URLconf" not in content
    assert "Mon compte" in content  # the connected header: the page has the request's context


def test_404_with_debug_on_still_adds_the_final_slash(client):
    with override_settings(DEBUG=True, MIDDLEWARE=_debug_middleware()):
        response = client.get("/aide")
    assert response.status_code == 301 and response["Location"] == "/aide/"


def test_make_run_settings_serve_the_french_404(tmp_path):
    import subprocess
    import sys

    from tests.conftest import BASE_DIR

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.MIDDLEWARE.index('chorus.errors.DebugNotFoundMiddleware') "
        "> settings.MIDDLEWARE.index('django.middleware.common.CommonMiddleware'))"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "chorus.settings.dev", "CHORUS_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True"]


def test_500_page_renders_without_request_context():
    from django.test import RequestFactory
    from django.urls import get_resolver

    server_error = get_resolver().resolve_error_handler(500)  # the project's handler500
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()
    # The portal's identity is there even without the context processors.
    assert "La facturation électronique des fournisseurs du secteur public" in response.content.decode()


@override_settings(DEBUG=False)
def test_csrf_failure_page_is_dsfr(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("account_login"), {"login": "a@b.example", "password": "x"})
    assert response.status_code == 403
    assert "La session a expiré" in html(response)


def test_manager_activities_appear_in_navigation_only_for_managers(client):
    from tests.structures.factories import MembershipFactory

    manager = MembershipFactory(manager=True)
    member = MembershipFactory(structure=manager.structure)
    client.force_login(member.user)
    nav = html(client.get(reverse("accounts:dashboard"))).split('id="navigation-principale"')[1].split("</nav>")[0]
    assert "Ma structure" in nav and "Activités du gestionnaire" not in nav
    client.force_login(manager.user)
    nav = html(client.get(reverse("accounts:dashboard"))).split('id="navigation-principale"')[1].split("</nav>")[0]
    assert "Activités du gestionnaire" in nav


def test_403_page_shows_the_french_reason(client):
    from tests.structures.factories import MembershipFactory

    member = MembershipFactory()
    client.force_login(member.user)
    response = client.get(reverse("structures:activities"))
    assert response.status_code == 403
    content = html(response)
    assert "Accès refusé" in content and "gestionnaire principal" in content


def test_only_the_deepest_navigation_entry_is_current(client):
    from tests.structures.factories import MembershipFactory

    client.force_login(MembershipFactory(manager=True).user)
    content = html(client.get(reverse("structures:activities")))
    nav = content.split('id="navigation-principale"')[1].split("</nav>")[0]
    assert nav.count('aria-current="page"') == 1
    assert 'aria-current="page">Activités du gestionnaire' in nav


def test_dashboard_offers_invoices_once_the_user_has_a_structure(client):
    from tests.structures.factories import MembershipFactory

    user = UserFactory()
    client.force_login(user)
    assert "Déposer, saisir et suivre les factures" not in html(client.get(reverse("accounts:dashboard")))
    membership = MembershipFactory(user=user)
    content = html(client.get(reverse("accounts:dashboard")))
    assert f"les factures de {membership.structure.name}" in content


def test_the_navigation_is_computed_only_by_a_page_that_shows_it(client, monkeypatch):
    """The admin's pages do not show the portal's navigation: it is not computed for them (it read
    the user's memberships and reversed its URLs on every page, issue 9)."""
    from chorus import context_processors
    from tests.structures.factories import MembershipFactory

    calls = []
    navigation = context_processors._navigation
    monkeypatch.setattr(context_processors, "_navigation", lambda request: calls.append(1) or navigation(request))
    agent = UserFactory(staff=True)
    MembershipFactory(user=agent, structure__public=True)
    client.force_login(agent)
    assert client.get(reverse("admin:invoices_invoice_changelist")).status_code == 200
    assert calls == []
    assert "Mon compte" in html(client.get(reverse("accounts:dashboard")))
    assert calls == [1]
