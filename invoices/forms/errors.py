"""Putting a service's ``ValidationError`` ({field: [messages]}) on a form."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict


def attach_errors(form, errors: dict) -> dict:
    """Put a service's {field: [messages]} on the form's fields; return those of no form field
    (``lines``, ``vat_lines``, ``pdf``…). Works on unbound forms too (the send button of the
    detail page renders the stored draft with its errors)."""
    extra = {}
    if form._errors is None:
        if form.is_bound:
            form.full_clean()
        else:
            form._errors = ErrorDict()
            form.cleaned_data = {}
    for field, messages in errors.items():
        key = None if field == NON_FIELD_ERRORS else field
        if key is None or key in form.fields:
            target = key or NON_FIELD_ERRORS
            existing = form._errors.setdefault(
                target, form.error_class(error_class="nonfield" if key is None else None, renderer=form.renderer)
            )
            existing.extend(messages)
            form.cleaned_data.pop(target, None)
        else:
            extra[field] = messages
    return extra
