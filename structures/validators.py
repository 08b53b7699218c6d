"""Identifier validators (python-stdnum) shared by models, forms, services and imports."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

_SPACES = re.compile(r"[\s.\-]")


def normalize_siret(value: str) -> str:
    """Strip spaces (and dots or dashes) from a SIRET as typed."""
    return _SPACES.sub("", value or "")


def validate_siret(value: str) -> None:
    """14 digits, Luhn key on the SIREN and the SIRET; La Poste's rule included (stdnum)."""
    number = normalize_siret(value)
    try:
        stdnum_siret.validate(number)
    except InvalidLength:
        raise ValidationError(_("Un SIRET comporte 14 chiffres."), code="siret_length") from None
    except InvalidFormat:
        raise ValidationError(_("Un SIRET ne contient que des chiffres."), code="siret_format") from None
    except InvalidChecksum:
        raise ValidationError(
            _("Ce SIRET n'est pas valide : sa clé de contrôle est incorrecte. Vérifiez les 14 chiffres."),
            code="siret_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(_("Ce SIRET n'est pas valide."), code="siret_invalid") from None


def normalize_iban(value: str) -> str:
    return stdnum_iban.compact(value or "")


def validate_iban(value: str) -> None:
    try:
        stdnum_iban.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Cet IBAN n'est pas valide. Vérifiez le code pays, la clé et le nombre de caractères."),
            code="iban_invalid",
        ) from None


def normalize_bic(value: str) -> str:
    return stdnum_bic.compact(value or "")


def validate_bic(value: str) -> None:
    try:
        stdnum_bic.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Ce BIC n'est pas valide : il comporte 8 ou 11 caractères (ex. : BNPAFRPPXXX)."), code="bic_invalid"
        ) from None


def normalize_vat_number(value: str) -> str:
    """Strip spaces and dots and upper-case an intra-community VAT number (``fr 40 303…`` → ``FR40303…``)."""
    return stdnum_vat.compact(value or "") if value else ""


def validate_vat_number(value: str) -> None:
    """An EU VAT number with a valid country prefix and check digits (offline check, no VIES call)."""
    try:
        stdnum_vat.validate(value)
    except StdnumError:
        raise ValidationError(
            _(
                "Ce numéro de TVA intracommunautaire n'est pas valide. Il commence par le code pays "
                "(ex. : FR40303265045)."
            ),
            code="vat_invalid",
        ) from None
