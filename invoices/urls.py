from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("deposer/", views.invoice_deposit, name="deposit"),
    path("verifier/", views.invoice_check, name="check"),
    path("deposer/lot/", views.batch_deposit, name="batch_deposit"),
    path("deposer/lots/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("deposer/lots/<int:batch_id>/progression/", views.batch_progress, name="batch_progress"),
    path("deposer/lots/<int:batch_id>/rapport.csv", views.batch_report_csv, name="batch_report"),
    path("saisir/", views.invoice_create, name="create"),
    path("mandat/", views.invoice_mandate, name="mandate"),
    path("notifications/", views.notification_preferences, name="notifications"),
    path("destinataires/", views.recipient_search, name="recipient_search"),
    path("destinataires/<int:recipient_id>/services/", views.recipient_services, name="recipient_services"),
    path("<int:invoice_id>/", views.invoice_detail, name="detail"),
    path("<int:invoice_id>/modifier/", views.invoice_edit, name="edit"),
    path("<int:invoice_id>/envoyer/", views.invoice_send, name="send"),
    path("<int:invoice_id>/supprimer/", views.invoice_delete, name="delete"),
    path("<int:invoice_id>/fichier/", views.invoice_file, name="file"),
    path("<int:invoice_id>/fichier/deposer/", views.invoice_replace_pdf, name="replace_pdf"),
    path("<int:invoice_id>/xml/", views.invoice_source_xml, name="source_xml"),
    path("<int:invoice_id>/recycler/", views.invoice_recycle, name="recycle"),
    path("<int:invoice_id>/completer/", views.invoice_complete, name="complete"),
    path("<int:invoice_id>/traiter-rejet/", views.invoice_rejection, name="rejection"),
    path("<int:invoice_id>/certificat/", views.invoice_certificate, name="certificate"),
    path(
        "<int:invoice_id>/pieces-jointes/<int:attachment_id>/",
        views.attachment_file,
        name="attachment",
    ),
    path(
        "<int:invoice_id>/pieces-jointes/<int:attachment_id>/retirer/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("export.csv", views.invoice_export, name="export"),
    path("archives/", views.invoice_archives, name="archives"),
    path("archives/export.csv", views.invoice_archives_export, name="archives_export"),
    path("synthese/", views.invoice_summary, name="summary"),
    path("tableau-de-bord/", views.invoice_dashboard, name="dashboard"),
    path("liste-fiscale/", views.invoice_fiscal, name="fiscal"),
    path("liste-fiscale/csv/", views.invoice_fiscal_csv, name="fiscal_csv"),
    path("liste-fiscale/pdf/", views.invoice_fiscal_pdf, name="fiscal_pdf"),
    path("en-retard/", views.invoice_late, name="late"),
]
