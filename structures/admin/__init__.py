"""Django admin for support staff: structures, services, bank details, EJ, memberships and agents.

Only support (``structures.access.is_support``: a superuser, or a staff user with the
``structures.support`` permission of the « Support » group) opens these pages; a ministry agent,
staff to handle invoices, gets the French 403 page even if given model permissions. Decisions on
memberships go through ``structures.services`` (admin actions), so e-mails and the history
(``MembershipEvent``) are the same as in the portal; the membership form is read-only. Support
attaches and detaches ministry agents from a public structure's page (``agents``).

Directory tables hold hundreds of thousands of rows: changelists join their foreign keys
(``list_select_related``), pick foreign keys through ``autocomplete_fields``, skip the second
``COUNT(*)`` (``show_full_result_count = False``) and search identifiers by prefix (``^``), which
also finds every establishment of a SIREN.

Modules: ``base`` (the support-only base class, read-only inlines), ``structure_pages``
(structures, services, bank details, EJ), ``agents`` (attach and detach pages of a public
structure), ``memberships`` (memberships and their actions).
"""

from structures.admin import memberships, structure_pages

__all__ = ["memberships", "structure_pages"]
