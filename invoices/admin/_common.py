"""What the invoice admin pages share: who may use them, the user's recipients, and how a status
is shown."""

from django.utils.translation import get_language

from invoices import workflow
from structures import access


def staff_recipients(request) -> list[tuple[int, str, str]]:
    """The user's recipient structures (``selectors.recipients_for_staff``) as ``(pk, name,
    identifier)`` by name, read once per request: the access check, the list's scope and its
    recipient and code service filters all use them (each read them again: four queries per list
    page, issue 9)."""
    cached = getattr(request, "_invoice_admin_recipients", None)
    if cached is None:
        cached = access.recipient_rows_for_staff(request.user)
        request._invoice_admin_recipients = cached
    return cached


def staff_recipient_ids(request) -> list[int]:
    return [pk for pk, _name, _identifier in staff_recipients(request)]


def is_financial_staff(request) -> bool:
    """May use this admin (``access.is_financial_staff``), cached on the request (asked several
    times per page); a superuser's recipients are not read for it."""
    cached = getattr(request, "_invoice_admin_access", None)
    if cached is None:
        user = request.user
        recipient_ids = None if user.is_superuser else staff_recipient_ids(request)
        cached = access.is_financial_staff(user, recipient_ids=recipient_ids)
        request._invoice_admin_access = cached
    return cached


_STATUS_WITH_CODE: dict[tuple[str, str], str] = {}


def status_with_code(status: str) -> str:
    """« Mise à disposition du destinataire (203) »: the French label and the reform code
    (computed once per process, language and status: the list shows one per row)."""
    key = (get_language() or "", status)
    text = _STATUS_WITH_CODE.get(key)
    if text is None:
        label, code = workflow.status_label(status), workflow.reform_code(status)
        text = _STATUS_WITH_CODE[key] = f"{label} ({code})" if code else label
    return text
