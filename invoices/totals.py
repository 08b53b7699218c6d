"""Invoice arithmetic with ``Decimal``, shared by the services, the forms and the PDF.

A line's total HT is quantity × unit price rounded half-up to the cent; the VAT of each rate is
computed once on the sum of the lines at that rate (the base), rounded half-up to the cent; TTC is
HT + TVA. The page recomputes the same totals in JavaScript for display; the server's are the ones
stored.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_cents(Decimal(quantity) * Decimal(unit_price))


def vat_amount(base: Decimal, rate: Decimal) -> Decimal:
    return to_cents(Decimal(base) * Decimal(rate) / 100)


@dataclass
class RateTotal:
    rate: Decimal
    base_ht: Decimal
    vat_amount: Decimal
    exemption_reason: str = ""


@dataclass
class Totals:
    ht: Decimal = ZERO
    tva: Decimal = ZERO
    ttc: Decimal = ZERO
    by_rate: list[RateTotal] = field(default_factory=list)


def compute_totals(lines: Iterable) -> Totals:
    """Totals of lines, each with ``quantity``, ``unit_price_ht``, ``vat_rate`` and
    ``exemption_reason`` (attributes or dict keys)."""
    bases: dict[Decimal, Decimal] = {}
    reasons: dict[Decimal, list[str]] = {}
    for line in lines:
        get = line.get if isinstance(line, dict) else lambda name, _line=line: getattr(_line, name)
        rate = Decimal(get("vat_rate")).quantize(CENT)
        bases[rate] = bases.get(rate, ZERO) + line_total(get("quantity"), get("unit_price_ht"))
        reason = (get("exemption_reason") or "").strip()
        if reason and reason not in reasons.setdefault(rate, []):
            reasons[rate].append(reason)
    totals = Totals()
    for rate in sorted(bases, reverse=True):
        amount = vat_amount(bases[rate], rate)
        totals.by_rate.append(RateTotal(rate, bases[rate], amount, " ; ".join(reasons.get(rate, []))[:255]))
        totals.ht += bases[rate]
        totals.tva += amount
    totals.ttc = totals.ht + totals.tva
    return totals
