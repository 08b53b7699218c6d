from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import urls as accounts_urls
from accounts import views as accounts_views
from chorus.health import alive, health
from invoices import sollicitation_urls
from invoices.api import urls as api_urls
from invoices.views.home import connected_home

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("pages/<slug:slug>/", accounts_views.page, name="page"),
    path("sante/", health, name="health"),
    path("sante/vie/", alive, name="alive"),
    path("compte/", include("allauth.urls")),
    # The connected home page gathers every app, so it lives in ``invoices`` (the top of the arrows
    # invoices → structures → accounts) and keeps its name ``accounts:dashboard``.
    path(
        "",
        include(
            ([path("accueil/", connected_home, name="dashboard"), *accounts_urls.urlpatterns], accounts_urls.app_name)
        ),
    ),
    path("structures/", include("structures.urls")),
    path("factures/", include("invoices.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(api_urls.api_urlpatterns)),
    path("cpro/", include(api_urls.cpro_urlpatterns)),
    path("sollicitations/", include((sollicitation_urls.sollicitation_urlpatterns, "sollicitations"))),
    path("nous-contacter/", include((sollicitation_urls.contact_urlpatterns, "contact"))),
    path("aide/", include((sollicitation_urls.help_urlpatterns, "aide"))),
    path("favicon.ico", RedirectView.as_view(url="/static/dsfr/dist/favicon/favicon.ico", permanent=True)),
]

handler403 = "chorus.errors.permission_denied"
handler500 = "chorus.errors.server_error"
