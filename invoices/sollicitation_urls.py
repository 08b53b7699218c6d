"""URLs of the support: ``sollicitations/`` (namespace ``sollicitations``), ``nous-contacter/``
(``contact``) and ``aide/`` (``aide``), included from ``chorus/urls.py``."""

from django.urls import path

from invoices.views import help as help_views
from invoices.views import sollicitations as views

sollicitation_urlpatterns = [
    path("", views.sollicitation_list, name="list"),
    path("nouvelle/", views.sollicitation_create, name="create"),
    path("<int:sollicitation_id>/", views.sollicitation_detail, name="detail"),
    path(
        "<int:sollicitation_id>/pieces-jointes/<int:attachment_id>/",
        views.sollicitation_attachment,
        name="attachment",
    ),
]

contact_urlpatterns = [path("", views.contact, name="form")]

help_urlpatterns = [
    path("", help_views.help_index, name="index"),
    path("<slug:slug>/", help_views.help_page, name="page"),
]
