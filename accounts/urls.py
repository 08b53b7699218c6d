from django.urls import path

from accounts import views

app_name = "accounts"

# "accueil/" (accounts:dashboard), the connected home page, is added by chorus/urls.py: it is
# invoices.views.home.connected_home, which reads every app.

urlpatterns = [
    path("mon-compte/", views.profile, name="profile"),
    path("mon-compte/adresse-de-contact/renvoyer/", views.contact_email_resend, name="contact_email_resend"),
    path(
        "mon-compte/adresse-de-contact/confirmer/<str:token>/",
        views.contact_email_confirm,
        name="contact_email_confirm",
    ),
    path("mon-compte/session/", views.session_status, name="session_status"),
    path("compte/activation/renvoyer/", views.resend_activation, name="resend_activation"),
]
