"""Writes about invoices that matter, grouped by job; this package re-exports their public names.

Views, the admin, tasks, commands (and later the API) call these keyword-only functions, as
``from invoices import services; services.invoice_send(...)``, so every check happens once. Errors
a user can fix are ``ValidationError`` with French messages, a dict keyed by the form field at
fault (``file``, ``number``, ``recipient``, ``recipient_service``, ``engagement_number``,
``amount_ttc``, ``vat_lines``, ``lines``, ``attachments``…; ``NON_FIELD_ERRORS`` otherwise).
Acting on a structure one is not an active member of is ``PermissionDenied`` (the views already
answer 404 before).

The modules, each under the next ones only (``_common`` under all):

- ``_common``: membership and draft guards, the edit lock, file names and deletion, VAT rows;
- ``deposit``: the deposit of a PDF (its checks, the pre-filled draft);
- ``drafts``: manual entry and drafts (create, save with lines or VAT breakdown, delete);
- ``attachments``: pièces jointes of a draft or of a suspended invoice;
- ``checks``: every check of "Valider et envoyer" (``send_errors``), directory and amount rules;
- ``certificate``: the deposit certificate and its fingerprint;
- ``sending``: ``invoice_send``, the public identifier, ``invoice_transition`` (front door of
  every transition);
- ``routing``: routing to the recipient, stuck invoices;
- ``supplier_actions``: recycle, complete, acknowledge a rejection, copy as draft, replace the PDF;
- ``reminders``: reminders of suspensions, the daily digest;
- ``staff_requests``: staff actions as durable requests (recorded, applied by a worker, swept);
- ``rates``: the ECB rate of the late-payment interest, by semester (operators);
- ``clocks``: the payment clocks of invoices received before the clock existed (replayed).
- ``batch``: batch deposit of a zip (stored on upload, each file deposited by a worker, resumable);
- ``sollicitations``: support requests (open, reply, support's answer and status, « Nous contacter »).
- ``verification``: « Vérifier ma facture » (the whole check of a file, nothing kept).

A test that replaces a function must patch it where it is looked up: ``invoices.services.X`` for
the callers outside this package, ``invoices.services.<module>.X`` for a call made inside it.
"""

from invoices.services._common import clean_filename, delete_files
from invoices.services.attachments import (
    ATTACHMENT_EXTENSIONS,
    attachment_extension,
    invoice_add_attachments,
    invoice_remove_attachment,
    upload_errors,
)
from invoices.services.batch import (
    deposit_batch_create,
    deposit_batch_process,
    deposit_batches_requeue,
    deposit_batches_stuck,
)
from invoices.services.certificate import canonical_json, certificate_data, certificate_fingerprint
from invoices.services.checks import foreign_rate_warnings, original_invoice_warning, send_errors
from invoices.services.clocks import payment_clocks_rebuild
from invoices.services.deposit import invoice_deposit
from invoices.services.drafts import DRAFT_FIELDS, invoice_create, invoice_delete, invoice_save_draft
from invoices.services.flux import api_file_add, flux_deposit, flux_number
from invoices.services.notifying import events_notify
from invoices.services.rates import late_payment_rate_set
from invoices.services.reminders import digest_send, invoices_remind_suspended
from invoices.services.routing import (
    ROUTING_RELATED,
    invoice_route,
    invoices_requeue_stuck,
    invoices_stuck,
    routing_errors,
)
from invoices.services.sending import (
    identifier_allocate,
    identifier_reserve,
    invoice_send,
    invoice_transition,
    sequence_next,
)
from invoices.services.sollicitations import (
    sollicitation_answer,
    sollicitation_contact,
    sollicitation_open,
    sollicitation_reply,
    sollicitation_set_status,
)
from invoices.services.staff_requests import (
    transition_requests_create,
    transition_requests_process,
    transition_requests_requeue,
    transition_requests_stuck,
    transition_requests_unseen,
)
from invoices.services.supplier_actions import (
    RECYCLE_FIELDS,
    invoice_acknowledge_rejection,
    invoice_complete,
    invoice_copy_as_draft,
    invoice_recycle,
    invoice_replace_pdf,
)
from invoices.services.verification import invoice_check, invoice_check_allowed

__all__ = [
    "deposit_batch_create",
    "deposit_batch_process",
    "deposit_batches_requeue",
    "deposit_batches_stuck",
    "api_file_add",
    "flux_deposit",
    "flux_number",
    "late_payment_rate_set",
    "payment_clocks_rebuild",
    "transition_requests_create",
    "transition_requests_process",
    "transition_requests_requeue",
    "transition_requests_stuck",
    "transition_requests_unseen",
    "ATTACHMENT_EXTENSIONS",
    "DRAFT_FIELDS",
    "RECYCLE_FIELDS",
    "ROUTING_RELATED",
    "attachment_extension",
    "canonical_json",
    "certificate_data",
    "certificate_fingerprint",
    "clean_filename",
    "delete_files",
    "digest_send",
    "events_notify",
    "identifier_allocate",
    "identifier_reserve",
    "invoice_acknowledge_rejection",
    "invoice_add_attachments",
    "invoice_complete",
    "invoice_copy_as_draft",
    "invoice_create",
    "invoice_delete",
    "invoice_check",
    "invoice_check_allowed",
    "invoice_deposit",
    "foreign_rate_warnings",
    "original_invoice_warning",
    "invoice_recycle",
    "invoice_remove_attachment",
    "invoice_replace_pdf",
    "invoice_route",
    "invoice_save_draft",
    "invoice_send",
    "invoice_transition",
    "invoices_remind_suspended",
    "invoices_requeue_stuck",
    "invoices_stuck",
    "routing_errors",
    "send_errors",
    "sequence_next",
    "sollicitation_answer",
    "sollicitation_contact",
    "sollicitation_open",
    "sollicitation_reply",
    "sollicitation_set_status",
    "upload_errors",
]
