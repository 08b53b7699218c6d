"""Identifier checks: SIRET (La Poste included), IBAN, BIC, VAT number."""

import random
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

from structures import validators
from structures.validators import (
    normalize_bic,
    normalize_iban,
    normalize_siret,
    normalize_vat_number,
    validate_bic,
    validate_iban,
    validate_siret,
    validate_vat_number,
)
from tests.structures.factories import make_siret


def error_code(validator, value) -> str:
    with pytest.raises(ValidationError) as info:
        validator(value)
    return info.value.code


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # a Luhn-valid SIRET
        "35600000049837",  # La Poste establishment: digit sum multiple of 5, not Luhn
        "35600000000048",  # La Poste head office: Luhn
        make_siret(1),
    ],
)
def test_valid_sirets(siret):
    validate_siret(siret)


def test_wrong_key_is_refused_with_its_own_message():
    with pytest.raises(ValidationError) as info:
        validate_siret("73282932000075")
    assert info.value.code == "siret_checksum"
    assert "clé de contrôle est incorrecte" in info.value.messages[0]


def test_la_poste_establishment_with_a_wrong_digit_sum_is_refused():
    assert error_code(validate_siret, "35600000049838") == "siret_checksum"


def test_13_digits_is_refused_as_a_length_error():
    with pytest.raises(ValidationError) as info:
        validate_siret("7328293200007")
    assert info.value.code == "siret_length"
    assert info.value.messages == ["Un SIRET comporte 14 chiffres."]


def test_letters_are_refused_as_a_format_error():
    with pytest.raises(ValidationError) as info:
        validate_siret("7328293200007A")
    assert info.value.code == "siret_format"
    assert info.value.messages == ["Un SIRET ne contient que des chiffres."]


def test_the_quick_siret_check_accepts_only_what_stdnum_accepts():
    """``validate_siret`` accepts a SIRET without calling stdnum when its own check passes: that
    check must never accept a number stdnum refuses, nor refuse a compact one it accepts."""
    rng = random.Random(14)
    numbers = ["".join(rng.choices("0123456789", k=14)) for _ in range(20_000)]
    numbers += ["356000000" + "".join(rng.choices("0123456789", k=5)) for _ in range(5_000)]  # La Poste
    numbers += [make_siret(n) for n in range(2_000)]
    numbers += ["35600000000048", "35600000000049", "73282932000074", "7328293200007", "732829320000745"]
    numbers += ["٧٣٢٨٢٩٣٢٠٠٠٠٧٤", "７３２８２９３２０００７４", "73282932000074\n", ""]  # non-ASCII digits
    for number in numbers:
        compact = number.isascii() and number.isdigit() and len(number) == 14  # as normalize_siret leaves it
        assert validators._siret_valid(number) == (compact and stdnum_siret.is_valid(number)), number
    assert sum(map(validators._siret_valid, numbers)) > 3_000  # the valid ones were checked too


def test_a_valid_siret_does_not_go_through_stdnum():
    """stdnum spent ~20 µs a SIRET in generic steps, a third of a directory import's CPU time."""
    with mock.patch.object(validators.stdnum_siret, "validate", wraps=stdnum_siret.validate) as validate:
        validate_siret("732 829 320 00074")
        validate_siret("35600000049837")
        assert not validate.called
        with pytest.raises(ValidationError):
            validate_siret("73282932000075")  # a refused one still gets stdnum's reason
        assert validate.called


def test_spaces_are_stripped():
    assert normalize_siret(" 732 829 320 00074 ") == "73282932000074"
    validate_siret("732 829 320 00074")


def test_iban_normalized_and_validated():
    assert normalize_iban(" fr76 3000 6000 0112 3456 7890 189 ") == "FR7630006000011234567890189"
    validate_iban("FR7630006000011234567890189")
    validate_iban(normalize_iban("DE89 3704 0044 0532 0130 00"))


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890188",  # wrong key
        "FR76300060000112345678901",  # too short for France
        "XX7630006000011234567890189",  # unknown country
        "",
    ],
)
def test_invalid_ibans(iban):
    with pytest.raises(ValidationError) as info:
        validate_iban(iban)
    assert info.value.code == "iban_invalid"
    assert "IBAN n'est pas valide" in info.value.messages[0]


def test_bic_normalized_and_validated():
    assert normalize_bic("agri fr pp xxx") == "AGRIFRPPXXX"
    validate_bic("AGRIFRPPXXX")
    validate_bic("BNPAFRPP")


@pytest.mark.parametrize("bic", ["AGRIFRPPXX", "AGRI12PPXXX", "AGRIFR", ""])
def test_invalid_bics(bic):
    assert error_code(validate_bic, bic) == "bic_invalid"


def test_vat_number():
    assert normalize_vat_number("fr 40 303 265 045") == "FR40303265045"
    validate_vat_number("FR40303265045")
    validate_vat_number("DE136695976")
    assert error_code(validate_vat_number, "FR41303265045") == "vat_invalid"
    assert error_code(validate_vat_number, "40303265045") == "vat_invalid"
