from django.urls import path

from structures import api_views, views

app_name = "structures"

urlpatterns = [
    path("", views.home, name="home"),
    path("creer/", views.structure_create, name="create"),
    path("rechercher/", views.structure_search, name="search"),
    path("<int:structure_id>/rattachement/", views.membership_request, name="request"),
    path("changer/", views.structure_switch, name="switch"),
    path("mandat/", views.structure_mandate, name="mandate"),
    path("activites/", views.activities, name="activities"),
    path("activites/demandes/", views.membership_decide, name="decide"),
    path("activites/membres/<int:membership_id>/detacher/", views.membership_revoke, name="revoke"),
    path("activites/fiche/", views.structure_update, name="update"),
    path("activites/services/", views.service_list, name="service_list"),
    path("activites/services/ajouter/", views.service_create, name="service_create"),
    path("activites/services/<int:service_id>/", views.service_update, name="service_update"),
    path("activites/services/<int:service_id>/desactiver/", views.service_deactivate, name="service_deactivate"),
    path("activites/coordonnees-bancaires/", views.bank_account_list, name="bank_account_list"),
    path("activites/coordonnees-bancaires/ajouter/", views.bank_account_create, name="bank_account_create"),
    path(
        "activites/coordonnees-bancaires/<int:bank_account_id>/", views.bank_account_update, name="bank_account_update"
    ),
    path(
        "activites/coordonnees-bancaires/<int:bank_account_id>/desactiver/",
        views.bank_account_deactivate,
        name="bank_account_deactivate",
    ),
    path("activites/api/", api_views.api_access, name="api_access"),
    path("activites/api/applications/", api_views.api_application_create, name="api_application_create"),
    path(
        "activites/api/applications/<int:application_id>/revoquer/",
        api_views.api_application_revoke,
        name="api_application_revoke",
    ),
    path("activites/api/utilisateurs/", api_views.technical_user_create, name="technical_user_create"),
    path(
        "activites/api/utilisateurs/<int:technical_user_id>/revoquer/",
        api_views.technical_user_revoke,
        name="technical_user_revoke",
    ),
]
