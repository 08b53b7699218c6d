from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accueil/", views.dashboard, name="dashboard"),
    path("mon-compte/", views.profile, name="profile"),
    path("compte/activation/renvoyer/", views.resend_activation, name="resend_activation"),
]
