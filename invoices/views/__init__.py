"""Supplier pages for invoices, one module per page family; this package re-exports the views
(``invoices/urls.py`` names them as ``views.<name>``).

Access: every page needs a logged-in user. New invoices belong to the current structure (an
active membership); a page taking an invoice id looks it up with
``selectors.invoice_for_user``, so an invoice of a structure the user is not an active member of
gives a 404. Files are only ever served here (and in the scoped admin), never as public media.

- ``listing``: "Factures émises": Rechercher, Archives and their CSV export;
- ``tabs``: the tab bar of "Factures émises" (``WORKSPACE_TABS``);
- ``deposit``: the deposit of a PDF, « Vérifier ma facture »;
- ``batch``: the batch deposit of a zip (upload, progress, per-file report and its CSV);
- ``entry``: the invoice form (mandate, create, edit, send, delete a draft, remove an attachment);
- ``detail``: the invoice page and its downloads;
- ``actions``: the supplier's actions on a sent invoice (``SUPPLIER_PAGES``, ``supplier_actions``);
- ``directory``: recipient and service look-ups for the form;
- ``preferences``: "Mes notifications";
- ``figures``: Synthèse, Tableau de bord, Liste fiscale (page, CSV, PDF), Factures en retard.
"""

from invoices.views.actions import (
    SUPPLIER_PAGES,
    invoice_complete,
    invoice_recycle,
    invoice_rejection,
    invoice_replace_pdf,
    supplier_actions,
)
from invoices.views.batch import batch_deposit, batch_detail, batch_progress, batch_report_csv
from invoices.views.deposit import invoice_check, invoice_deposit
from invoices.views.detail import attachment_file, invoice_certificate, invoice_detail, invoice_file, invoice_source_xml
from invoices.views.directory import recipient_search, recipient_services
from invoices.views.entry import (
    attachment_delete,
    invoice_create,
    invoice_delete,
    invoice_edit,
    invoice_mandate,
    invoice_send,
)
from invoices.views.figures import (
    invoice_dashboard,
    invoice_fiscal,
    invoice_fiscal_csv,
    invoice_fiscal_pdf,
    invoice_late,
    invoice_summary,
)
from invoices.views.listing import invoice_archives, invoice_archives_export, invoice_export, invoice_list
from invoices.views.preferences import notification_preferences

__all__ = [
    "batch_deposit",
    "batch_detail",
    "batch_progress",
    "batch_report_csv",
    "SUPPLIER_PAGES",
    "attachment_delete",
    "attachment_file",
    "invoice_certificate",
    "invoice_complete",
    "invoice_create",
    "invoice_delete",
    "invoice_check",
    "invoice_deposit",
    "invoice_detail",
    "invoice_source_xml",
    "invoice_edit",
    "invoice_file",
    "invoice_list",
    "invoice_archives",
    "invoice_archives_export",
    "invoice_export",
    "invoice_mandate",
    "invoice_recycle",
    "invoice_rejection",
    "invoice_replace_pdf",
    "invoice_send",
    "notification_preferences",
    "recipient_search",
    "recipient_services",
    "supplier_actions",
    "invoice_dashboard",
    "invoice_fiscal",
    "invoice_fiscal_csv",
    "invoice_fiscal_pdf",
    "invoice_late",
    "invoice_summary",
]
