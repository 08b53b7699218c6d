"""The French formats of ``chorus.formats`` and their template filters ``{% load chorus %}``."""

from decimal import Decimal

import pytest
from django.template import engines

from chorus import formats

NNBSP = "\u202f"  # thousands
NBSP = "\u00a0"  # before the unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), f"1{NNBSP}234,50{NBSP}€"),
        (Decimal("1000000"), f"1{NNBSP}000{NNBSP}000,00{NBSP}€"),
        (Decimal("999.999"), f"1{NNBSP}000,00{NBSP}€"),  # rounded half up to the cent
        (Decimal("0.005"), f"0,01{NBSP}€"),
        (Decimal("-1234.56"), f"-1{NNBSP}234,56{NBSP}€"),
        (Decimal("-0.001"), f"0,00{NBSP}€"),  # never "-0,00"
        (12, f"12,00{NBSP}€"),
        (1234.565, f"1{NNBSP}234,57{NBSP}€"),  # a float through its shortest repr, not 1234.5649…
        ("4500.01", f"4{NNBSP}500,01{NBSP}€"),
        (None, "—"),
        ("", "—"),
        ("pas un nombre", "—"),
        (Decimal("NaN"), "—"),
    ],
)
def test_money(value, expected):
    assert formats.money(value) == expected


def test_amount_is_money_without_the_sign():
    assert formats.amount(Decimal("1234567.891")) == f"1{NNBSP}234{NNBSP}567,89"
    assert formats.amount(None) == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (1000, f"1{NNBSP}000"), (-1234567, f"-1{NNBSP}234{NNBSP}567"), (Decimal("2.5"), "3")],
)
def test_integer(value, expected):
    assert formats.integer(value) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("2.500"), None, "2,5"),
        (Decimal("1000"), None, f"1{NNBSP}000"),
        (Decimal("1E+3"), None, f"1{NNBSP}000"),  # normalize() gives an exponent: still plain digits
        (Decimal("0.0125"), None, "0,0125"),
        (12.345, 1, "12,3"),
        (Decimal("12.35"), 1, "12,4"),
    ],
)
def test_number(value, places, expected):
    assert formats.number(value, places) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("20.00"), f"20{NBSP}%"), (Decimal("5.50"), f"5,5{NBSP}%"), (Decimal("0"), f"0{NBSP}%"), (None, "—")],
)
def test_percent(value, expected):
    assert formats.percent(value) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, f"1{NBSP}octet"),
        (512, f"512{NBSP}octets"),
        (1023, f"1{NNBSP}023{NBSP}octets"),
        (1024, f"1{NBSP}Ko"),
        (800 * 1024, f"800{NBSP}Ko"),
        (64 * 1024, f"64{NBSP}Ko"),
        (int(12.5 * 1024 * 1024), f"12,5{NBSP}Mo"),
        (10 * 1024 * 1024, f"10{NBSP}Mo"),  # the portal's limit reads "10 Mo", as in the help texts
        (1024 * 1024 - 10, f"1{NBSP}Mo"),  # rounds up to the next unit, not "1 024 Ko"
        (120 * 1024 * 1024, f"120{NBSP}Mo"),
        (3 * 1024**3 // 2, f"1,5{NBSP}Go"),
        (None, "—"),
    ],
)
def test_filesize_in_french_units(size, expected):
    assert formats.filesize(size) == expected
    assert "io" not in formats.filesize(size)  # never Kio, Mio, Gio


def test_template_filters_of_the_chorus_library():
    template = engines["django"].from_string(
        "{% load chorus %}{{ ttc|money }}|{{ ttc|amount }}|{{ n|integer }}|{{ q|number }}|{{ rate|percent }}|"
        "{{ size|filesize }}|{{ missing_amount|money }}"
    )
    rendered = template.render(
        {
            "ttc": Decimal("4500.01"),
            "n": 12345,
            "q": Decimal("1.500"),
            "rate": Decimal("5.50"),
            "size": 819200,
            "missing_amount": None,
        }
    )
    assert rendered.split("|") == [
        f"4{NNBSP}500,01{NBSP}€",
        f"4{NNBSP}500,01",
        f"12{NNBSP}345",
        "1,5",
        f"5,5{NBSP}%",
        f"800{NBSP}Ko",
        "—",
    ]


def _former_number(value, places=None) -> str:
    """``formats.number`` before its fast paths (a model's Decimal, a count, a rate seen before)."""
    from decimal import ROUND_HALF_UP, InvalidOperation

    if value is None or value == "" or isinstance(value, bool):
        return "—"
    try:
        value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    if not value.is_finite():
        return "—"
    if places is None:
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    else:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{value:,f}" if places is None else f"{value:,.{places}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def test_the_fast_paths_write_what_the_general_one_wrote():
    import random

    rng = random.Random(14)
    values = [0, -0, 7, -7, 999, 1000, -1234567, 10**15, Decimal("-0"), Decimal("-0.00"), Decimal("0E-7")]
    values += [Decimal("20.00"), Decimal("20"), Decimal("5.50"), Decimal("2.10"), Decimal("0.00"), Decimal("1E+3")]
    values += [rng.randint(-(10**9), 10**9) for _ in range(300)]
    values += [Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 6)) for _ in range(600)]
    values += [Decimal("-0.004"), Decimal("0.005"), Decimal("-0.005"), Decimal("999.995"), Decimal("NaN")]
    for value in values:
        for _ in range(2):  # twice: a rate's text is kept after the first time
            assert formats.money(value) == (m if (m := _former_number(value, 2)) == "—" else f"{m}{NBSP}€"), value
            assert formats.amount(value) == _former_number(value, 2), value
            assert formats.integer(value) == _former_number(value, 0), value
            assert formats.number(value) == _former_number(value), value
            assert formats.percent(value) == (p if (p := _former_number(value)) == "—" else f"{p}{NBSP}%"), value
