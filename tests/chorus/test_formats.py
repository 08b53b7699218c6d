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
