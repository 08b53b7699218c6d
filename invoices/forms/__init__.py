"""Forms of the invoice pages, one module per page family; this package re-exports them.

Forms check formats and normalise (French decimals "1 234,56", dates, lengths) and turn the
recipient search into a structure; the business rules live in ``invoices.services``.

- ``fields``: French decimals, dates, several files, VAT rates;
- ``deposit``: the deposit of a PDF, the PDF of a draft copied from a rejected invoice, a zip of them;
- ``invoice``: the invoice form (both deposit modes) and its initial values;
- ``lines``: the lines of a typed invoice, the VAT breakdown, their formsets;
- ``actions``: "Recycler" and "Compléter";
- ``errors``: a service's errors put on a form.
"""

from invoices.forms.actions import CompleteForm, RecycleForm
from invoices.forms.deposit import (
    FORMAT_SIGNED,
    FORMAT_UNSIGNED,
    BatchDepositForm,
    CheckForm,
    DepositForm,
    ReplacePdfForm,
)
from invoices.forms.errors import attach_errors
from invoices.forms.fields import FrenchDecimalField, MultipleFileField, format_decimal
from invoices.forms.invoice import InvoiceForm, initial_from_invoice
from invoices.forms.lines import (
    LineForm,
    LineFormSet,
    VatLineForm,
    VatLineFormSet,
    formset_rows,
    line_initial,
    vat_initial,
)

__all__ = [
    "CheckForm",
    "FORMAT_SIGNED",
    "FORMAT_UNSIGNED",
    "CompleteForm",
    "BatchDepositForm",
    "DepositForm",
    "FrenchDecimalField",
    "InvoiceForm",
    "LineForm",
    "LineFormSet",
    "MultipleFileField",
    "RecycleForm",
    "ReplacePdfForm",
    "VatLineForm",
    "VatLineFormSet",
    "attach_errors",
    "format_decimal",
    "formset_rows",
    "initial_from_invoice",
    "line_initial",
    "vat_initial",
]
