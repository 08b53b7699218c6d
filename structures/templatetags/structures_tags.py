"""Display helpers for identifiers: groups of digits are easier to read and to check aloud."""

from django import template
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

register = template.Library()


@register.filter
def siret_format(value: str) -> str:
    """``73282932000074`` → ``732 829 320 00074``; other identifiers unchanged."""
    value = value or ""
    if len(value) == 14 and value.isdigit():
        return stdnum_siret.format(value)
    return value


@register.filter
def iban_format(value: str) -> str:
    """``FR7630006000011234567890189`` → ``FR76 3000 6000 0112 3456 7890 189``."""
    return stdnum_iban.format(value or "")
