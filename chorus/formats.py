"""French display formats of money, numbers, rates and file sizes: the one place every app uses.

One separator choice, the French typographic norm (Imprimerie nationale, *Lexique des règles
typographiques*): the thousands are grouped with a narrow no-break space (U+202F, « espace fine
insécable »), the decimals follow a comma, and the unit (« € », « % », « Mo ») is joined to the
number by a no-break space (U+00A0), so that neither a number nor its unit is ever split at the end
of a line. A negative value keeps the ASCII hyphen-minus, as the forms and the page script read it.

    money(Decimal("1234.5"))    → "1 234,50 €"
    amount(Decimal("1234.5"))   → "1 234,50"
    integer(1234567)            → "1 234 567"
    number(Decimal("2.500"))    → "2,5"          number(12.345, places=1) → "12,3"
    percent(Decimal("5.50"))    → "5,5 %"
    filesize(13_107_200)        → "12,5 Mo"      filesize(819_200) → "800 Ko"

Empty or unreadable values (``None``, ``""``, not a number) read "—". Amounts are rounded half up
to the cent, as ``invoices.totals`` computes them.

File sizes count in multiples of 1 024 with the French units (octet, Ko, Mo, Go, To), as the
portal's limits are set (``10 * 1024 * 1024`` is « 10 Mo ») and as file managers show sizes; no
« Kio/Mio ».

These are formats for people. Files meant for a program or a spreadsheet keep machine-readable
numbers instead: the CSV export writes ``1234,56`` (no thousands separator, so French Excel reads a
number), the Factur-X and certificate data ``1234.56``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

THOUSANDS_SEPARATOR = "\u202f"
DECIMAL_SEPARATOR = ","
UNIT_SEPARATOR = "\u00a0"
EMPTY = "—"

_KIB = 1024
# The units from the smallest, each with its size in bytes and its French label with the number.
_SIZE_UNITS = (
    (_KIB, lambda n: _("%(size)s Ko") % {"size": n}),
    (_KIB**2, lambda n: _("%(size)s Mo") % {"size": n}),
    (_KIB**3, lambda n: _("%(size)s Go") % {"size": n}),
    (_KIB**4, lambda n: _("%(size)s To") % {"size": n}),
)


def to_decimal(value) -> Decimal | None:
    """``value`` as a finite ``Decimal`` (a float through its shortest repr), or None."""
    if type(value) is Decimal:  # the usual case (a model's field): no conversion
        return value if value.is_finite() else None
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return result if result.is_finite() else None


_ONE = Decimal(1)
_QUANTUMS = {places: _ONE.scaleb(-places) for places in range(7)}
# Rates repeat (20 %, 5,5 %…): their text is kept, per value, up to this many.
_PERCENTS: dict[Decimal, str] = {}
_PERCENTS_KEPT = 512


def _grouped(value: Decimal, places: int | None) -> str:
    if places is None:
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(_ONE)
        text = f"{abs(value) if value == 0 else value:,f}"  # never "-0"
    else:
        value = value.quantize(_QUANTUMS.get(places) or _ONE.scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{abs(value) if value == 0 else value:,.{places}f}"  # never "-0,00"
    return text.replace(",", THOUSANDS_SEPARATOR).replace(".", DECIMAL_SEPARATOR)


def number(value, places: int | None = None) -> str:
    """A decimal number: ``places`` decimals (rounded half up), or only those it has when None."""
    value = to_decimal(value)
    return EMPTY if value is None else _grouped(value, places)


def amount(value) -> str:
    """An amount in euros without its sign: two decimals, thousands grouped."""
    value = to_decimal(value)
    return EMPTY if value is None else _grouped(value, 2)


def money(value) -> str:
    """An amount in euros with its sign: ``1 234,50 €``."""
    value = to_decimal(value)
    return EMPTY if value is None else _grouped(value, 2) + UNIT_SEPARATOR + "€"


def integer(value) -> str:
    """A whole number, thousands grouped (a decimal is rounded half up)."""
    if type(value) is int:  # a count: no decimal to round
        return f"{value:,}".replace(",", THOUSANDS_SEPARATOR)
    return number(value, 0)


def percent(value) -> str:
    """A rate in per cent with the decimals it has: ``20 %``, ``5,5 %``, ``0 %``."""
    value = to_decimal(value)
    if value is None:
        return EMPTY
    text = _PERCENTS.get(value)
    if text is None:
        text = _grouped(value, None) + UNIT_SEPARATOR + "%"
        if len(_PERCENTS) < _PERCENTS_KEPT:
            _PERCENTS[value] = text
    return text


def filesize(size) -> str:
    """A size in bytes with the largest French unit it reaches, one decimal at most."""
    value = to_decimal(size)
    if value is None:
        return EMPTY
    count = int(value)
    if abs(count) < _KIB:
        text = ngettext("%(size)s octet", "%(size)s octets", abs(count)) % {"size": _grouped(Decimal(count), 0)}
        return text.replace(" ", UNIT_SEPARATOR)
    index = max(i for i, (unit, _label) in enumerate(_SIZE_UNITS) if abs(count) >= unit)
    shown = _tenths(count, _SIZE_UNITS[index][0])
    if abs(shown) >= _KIB and index + 1 < len(_SIZE_UNITS):  # 1 048 570 octets: "1 Mo", not "1 024 Ko"
        index += 1
        shown = _tenths(count, _SIZE_UNITS[index][0])
    return _SIZE_UNITS[index][1](_grouped(shown, None)).replace(" ", UNIT_SEPARATOR)


def _tenths(count: int, unit: int) -> Decimal:
    return (Decimal(count) / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
