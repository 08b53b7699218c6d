"""What the invoice admin pages share: who may use them, and how a status is shown."""

from invoices import workflow
from structures import access


def is_financial_staff(request) -> bool:
    """May use this admin (``access.is_financial_staff``), cached on the request (asked several
    times per page)."""
    cached = getattr(request, "_invoice_admin_access", None)
    if cached is None:
        cached = access.is_financial_staff(request.user)
        request._invoice_admin_access = cached
    return cached


def status_with_code(status: str) -> str:
    """« Mise à disposition du destinataire (203) »: the French label and the reform code."""
    label, code = workflow.status_label(status), workflow.reform_code(status)
    return f"{label} ({code})" if code else label
