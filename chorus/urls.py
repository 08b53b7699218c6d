from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as accounts_views
from chorus.health import alive, health

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("pages/<slug:slug>/", accounts_views.page, name="page"),
    path("sante/", health, name="health"),
    path("sante/vie/", alive, name="alive"),
    path("compte/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("structures/", include("structures.urls")),
    path("factures/", include("invoices.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url="/static/dsfr/dist/favicon/favicon.ico", permanent=True)),
]

handler403 = "chorus.errors.permission_denied"
handler500 = "chorus.errors.server_error"
