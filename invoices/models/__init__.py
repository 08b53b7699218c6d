"""Invoices sent by suppliers: the invoice, its VAT breakdown, its lines, its files, its history;
this package imports every model (Django registers them from here) and re-exports their names.

Writes go through ``invoices.services`` (``invoice_deposit``, ``invoice_save_draft``,
``invoice_send``…); reads that carry access rules through ``invoices/selectors.py``. The
constraints below back the rules the services check, so a bug elsewhere cannot store a second
sent invoice with the same number, negative totals or a sent invoice without identifier.

Files (the main PDF, the attachments) go through Django's storage API under random names; they
are never served as public media, only by the access-checked download views.

Modules: ``invoice`` (Invoice, InvoiceVatLine, InvoiceLine, their choices and limits), ``files``
(storage names, InvoiceAttachment), ``events`` (Motif, InvoiceEvent), ``bookkeeping`` (Sequence,
DigestDelivery), ``requests`` (TransitionRequest: staff actions as durable requests), ``sollicitations``
(Sollicitation, its messages and their files: support requests), ``batches`` (DepositBatch and
its DepositBatchItem rows: zips of invoice files deposited at once). The migrations name the upload functions as ``invoices.models.<name>``: they stay
importable from here.
"""

from invoices.models.api import ApiFile, ApiFlux, FluxState, FluxSyntax
from invoices.models.batches import (
    BatchItemState,
    DepositBatch,
    DepositBatchItem,
    DepositBatchState,
    batch_archive_upload_to,
)
from invoices.models.bookkeeping import DigestDelivery, Sequence
from invoices.models.events import (
    ACTOR_CHOICES,
    MOTIF_CREANCIER_INCONNU,
    MOTIF_SE_EJ_INCORRECT,
    TRANSITION_CHOICES,
    InvoiceEvent,
    Motif,
    MotifCategory,
)
from invoices.models.files import InvoiceAttachment, attachment_upload_to, invoice_pdf_upload_to, source_xml_upload_to
from invoices.models.invoice import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    NEGATIVE_TYPE_CODE,
    TYPE_CODE_LABELS,
    VAT_RATE_CHOICES,
    VAT_RATES,
    Cadre,
    DepositMode,
    Invoice,
    InvoiceLine,
    InvoiceType,
    InvoiceVatLine,
    PaymentMode,
    SourceSyntax,
)
from invoices.models.rates import LatePaymentRate
from invoices.models.requests import TransitionRequest, TransitionRequestState
from invoices.models.sollicitations import (
    MessageAuthor,
    Sollicitation,
    SollicitationAttachment,
    SollicitationCategory,
    SollicitationMessage,
    SollicitationStatus,
    sollicitation_upload_to,
)

__all__ = [
    "BatchItemState",
    "DepositBatch",
    "DepositBatchItem",
    "DepositBatchState",
    "batch_archive_upload_to",
    "ACTOR_CHOICES",
    "MAX_ENGAGEMENT_LENGTH",
    "MAX_NUMBER_LENGTH",
    "MOTIF_CREANCIER_INCONNU",
    "MOTIF_SE_EJ_INCORRECT",
    "NEGATIVE_TYPE_CODE",
    "TYPE_CODE_LABELS",
    "TRANSITION_CHOICES",
    "VAT_RATES",
    "VAT_RATE_CHOICES",
    "Cadre",
    "DepositMode",
    "DigestDelivery",
    "Invoice",
    "InvoiceAttachment",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceType",
    "InvoiceVatLine",
    "LatePaymentRate",
    "Motif",
    "MotifCategory",
    "PaymentMode",
    "Sequence",
    "SourceSyntax",
    "TransitionRequest",
    "TransitionRequestState",
    "source_xml_upload_to",
    "attachment_upload_to",
    "invoice_pdf_upload_to",
    "ApiFile",
    "ApiFlux",
    "FluxState",
    "FluxSyntax",
    "MessageAuthor",
    "Sollicitation",
    "SollicitationAttachment",
    "SollicitationCategory",
    "SollicitationMessage",
    "SollicitationStatus",
    "sollicitation_upload_to",
]
