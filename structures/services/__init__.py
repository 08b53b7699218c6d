"""Writes about structures that matter: creation, attachment requests and their decisions,
detachment, roles, services, bank details and the billing mandate.

One module per job: ``fiche`` (a structure's creation, update, VAT rule and billing mandate),
``memberships`` (requests to join, decisions, detachment, roles, notification choices),
``supplier_data`` (services and bank details), ``recipient_staff`` (support attaches and detaches
ministry agents), ``transfer`` (support names another gestionnaire principal) and ``common`` (e-mails, history rows, row locks).
Callers import them from here: ``from structures import services``.

Views, forms, the admin and management commands all call these functions, so the checks, the
history (``MembershipEvent``) and the e-mails happen once. Every function is keyword-only and
runs in a transaction; decisions on a request lock the membership row so that two gestionnaires
deciding the same request at the same time cannot both win. E-mails are rendered here and handed
to ``accounts.services.email_enqueue``, which sends them once the transaction commits.

Errors a user can fix are ``ValidationError`` with a French message (a dict keyed by field name
when one field is at fault); acting on a structure one does not manage is ``PermissionDenied``.
"""

from structures.services.common import (
    BANK_ACCOUNT_EDITABLE_FIELDS,
    SERVICE_EDITABLE_FIELDS,
    SERVICE_SUPPORT_FIELDS,
    STRUCTURE_EDITABLE_FIELDS,
    STRUCTURE_SUPPORT_FIELDS,
)
from structures.services.fiche import (
    structure_accept_mandate,
    structure_create,
    structure_register,
    structure_update,
    vat_number_check,
)
from structures.services.memberships import (
    membership_approve,
    membership_refuse,
    membership_request,
    membership_revoke,
    membership_set_main_manager,
    membership_set_notifications,
)
from structures.services.recipient_staff import recipient_staff_attach, recipient_staff_detach
from structures.services.supplier_data import (
    bank_account_check,
    bank_account_create,
    bank_account_deactivate,
    bank_account_update,
    service_code_check,
    service_create,
    service_deactivate,
    service_update,
)
from structures.services.transfer import structure_transfer

__all__ = [
    "BANK_ACCOUNT_EDITABLE_FIELDS",
    "SERVICE_EDITABLE_FIELDS",
    "SERVICE_SUPPORT_FIELDS",
    "STRUCTURE_EDITABLE_FIELDS",
    "STRUCTURE_SUPPORT_FIELDS",
    "bank_account_check",
    "bank_account_create",
    "bank_account_deactivate",
    "bank_account_update",
    "membership_approve",
    "membership_refuse",
    "membership_request",
    "membership_revoke",
    "membership_set_main_manager",
    "membership_set_notifications",
    "recipient_staff_attach",
    "recipient_staff_detach",
    "service_code_check",
    "service_create",
    "service_deactivate",
    "service_update",
    "structure_accept_mandate",
    "structure_create",
    "structure_register",
    "structure_transfer",
    "structure_update",
    "vat_number_check",
]
