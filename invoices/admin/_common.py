"""What the invoice admin pages share: who may use them, and how a status is shown."""

from invoices import selectors, workflow


def is_financial_staff(request) -> bool:
    """May use this admin: an active staff user with an active membership on a public structure,
    or a superuser. Cached on the request (asked several times per page)."""
    cached = getattr(request, "_invoice_admin_access", None)
    if cached is None:
        user = request.user
        cached = bool(
            user.is_active and user.is_staff and (user.is_superuser or selectors.recipients_for_staff(user).exists())
        )
        request._invoice_admin_access = cached
    return cached


def status_with_code(status: str) -> str:
    """« Mise à disposition du destinataire (203) »: the French label and the reform code."""
    label, code = workflow.status_label(status), workflow.reform_code(status)
    return f"{label} ({code})" if code else label
