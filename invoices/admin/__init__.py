"""Django admin for the financial services of public recipients (ministries), and the motifs; this
package registers them (``invoice``, ``motifs``) and re-exports the names other code uses.

Scope. A staff user works for the public structures (recipients) they are an active member of:
every page, file download and action of this admin goes through
``selectors.invoices_for_recipient_staff``, so a staff member of one ministry never sees, downloads
nor acts on another's invoices (an id from elsewhere reads as "does not exist"). The active
membership on a public structure is the grant: no Django model permission is needed for invoices.
Superusers see every recipient's invoices. Drafts (BROUILLON) belong to their supplier and are
shown to nobody here.

Read-only. Staff never edit an invoice's content, nor add or delete one: they act on its status.
Each action (single from the invoice page, or in bulk from the list) pre-checks every invoice with
the transition table (``workflow.check``, actor RECIPIENT) and records one durable
``TransitionRequest`` per accepted invoice in the page's transaction
(``services.transition_requests_create``); a worker applies them
(``invoices.process_transition_requests``: ``invoice_transition`` re-checks everything under a row
lock and writes the history) and the sweeper hands lost ones to a worker again. The page answers at
once with what was queued and what was refused (identifier: reason); the next admin page tells
what the workers applied or refused, and "Demandes de traitement" lists every request.

Large tables: the list joins its foreign keys, reads only the columns it shows, skips the second
``COUNT(*)`` and facets, keeps its capped count ``CAPPED_COUNT_SECONDS`` (60 s), and is ordered by
``-sent_at``. A bulk action handles at most ``MAX_ACTION_INVOICES`` invoices; beyond, the operator
command ``invoices_transition`` is the tool.

Modules: ``_common`` (who may use this admin, the user's recipients read once per request, status
labels), ``changelist`` (the list's rows written in Python, ``{% invoice_result_list %}``),
``filters`` (the list's filters), ``actions`` (the action form, the bulk actions and the action
page of one invoice), ``history`` (the read-only history inline), ``invoice`` (``InvoiceAdmin``:
scope, list, page, files), ``motifs`` (``MotifAdmin``), ``requests`` (``TransitionRequestAdmin``),
``sollicitations`` (``SollicitationAdmin``, support only). ``MAX_ACTION_INVOICES`` is read by
``invoices.admin.actions``: a test that changes it patches that module.
"""

from invoices.admin._common import is_financial_staff, status_with_code
from invoices.admin.actions import (
    IDENTIFIERS_SHOWN,
    INVOICES_SHOWN,
    MAX_ACTION_INVOICES,
    TransitionActions,
    TransitionForm,
    make_action,
)
from invoices.admin.filters import (
    FILTER_CHOICES_MAX,
    InputFilter,
    RecipientFilter,
    SentAtFilter,
    ServiceFilter,
    StatusFilter,
    SupplierFilter,
)
from invoices.admin.history import InvoiceEventInline
from invoices.admin.invoice import RECIPIENT_TRANSITIONS, InvoiceAdmin
from invoices.admin.motifs import MotifAdmin
from invoices.admin.rates import LatePaymentRateAdmin
from invoices.admin.requests import TransitionRequestAdmin
from invoices.admin.sollicitations import SollicitationAdmin

__all__ = [
    "FILTER_CHOICES_MAX",
    "IDENTIFIERS_SHOWN",
    "INVOICES_SHOWN",
    "MAX_ACTION_INVOICES",
    "RECIPIENT_TRANSITIONS",
    "InputFilter",
    "InvoiceAdmin",
    "InvoiceEventInline",
    "LatePaymentRateAdmin",
    "MotifAdmin",
    "RecipientFilter",
    "SentAtFilter",
    "ServiceFilter",
    "SollicitationAdmin",
    "StatusFilter",
    "SupplierFilter",
    "TransitionActions",
    "TransitionRequestAdmin",
    "TransitionForm",
    "is_financial_staff",
    "make_action",
    "status_with_code",
]
