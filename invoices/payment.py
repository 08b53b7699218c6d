"""The payment clock of an invoice and the late-payment figures: pure Python, no ORM.

The délai global de paiement (Code de la commande publique, L. 2192-10 and R. 2192-10 s.) runs from
the Mise à disposition du destinataire (chorus-domain.md §5: "payment delay starts here") for the
number of days of the recipient (``Structure.payment_delay_days``: 30 for the State, local
authorities and most public bodies, 50 for public hospitals, 60 for some public companies).

Interruption. The domain reference says nothing of the clock during a suspension; the law does
(R. 2192-27 to R. 2192-29): the delay may be *interrupted once*, when the demand lacks a piece;
from the receipt of the missing pieces a *new* delay opens, of 30 days or of the balance left at
the interruption if that is longer. Here: the first Suspendue stops the clock, Complétée opens the
new delay; a later suspension does not stop it again.

End. The clock stops at Mise en paiement (the day of payment) and at Rejetée (nothing is owed); a
return À recycler clears it (the invoice is not validly received; it starts again at the next Mise
à disposition). Credit notes have no clock.

Late payment (L. 2192-13, R. 2192-31 to R. 2192-36, indicative): interest runs from the day after
the due date to the day of payment included, at the ECB main refinancing rate in force on the first
day of the semester in which it started to run plus 8 points, on the amount TTC:
``TTC × rate × days / 365``; plus a fixed indemnity of 40 € for recovery costs per late invoice.

``lifecycle.apply_transition`` calls ``clock_after`` where a status is applied, and stores the four
dates on the invoice; pages call ``clock_state`` to show them.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from invoices.workflow import Status

DEFAULT_DELAY_DAYS = 30
# The délais of the Code de la commande publique (R. 2192-10 to R. 2192-12).
DELAY_CHOICES = (30, 50, 60)
# After an interruption, the new delay is at least this long (R. 2192-29).
DELAY_AFTER_INTERRUPTION_DAYS = 30
RATE_MARGIN_POINTS = Decimal("8")
FIXED_INDEMNITY = Decimal("40.00")
DAYS_PER_YEAR = Decimal(365)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Clock:
    """The four dates stored on the invoice (``Invoice.payment_*``)."""

    started_on: date | None = None  # start of the running delay (Mise à disposition, or Complétée)
    due_on: date | None = None  # last day of the delay
    stopped_on: date | None = None  # the clock stands still since (interrupted, paid or ended)
    interrupted_on: date | None = None  # the one interruption allowed, once used

    @property
    def running(self) -> bool:
        return self.due_on is not None and self.stopped_on is None


def clock_after(clock: Clock, *, target: str, today: date, delay_days: int, credit_note: bool = False) -> Clock:
    """The clock once the invoice has moved to ``target`` on ``today``."""
    if credit_note:
        return Clock()
    target = Status(target)
    if target == Status.MISE_A_DISPOSITION:
        return Clock(started_on=today, due_on=today + timedelta(days=delay_days))
    if target == Status.A_RECYCLER:
        return Clock()
    if not clock.running and not (target == Status.COMPLETEE and clock.stopped_on is not None):
        return clock
    if target == Status.SUSPENDUE:
        if clock.interrupted_on is None:  # interrupted once only
            return replace(clock, stopped_on=today, interrupted_on=today)
        return clock
    if target == Status.COMPLETEE and clock.stopped_on is not None and clock.stopped_on == clock.interrupted_on:
        balance = (clock.due_on - clock.interrupted_on).days
        days = max(DELAY_AFTER_INTERRUPTION_DAYS, balance)
        return replace(clock, started_on=today, due_on=today + timedelta(days=days), stopped_on=None)
    if target in (Status.MISE_EN_PAIEMENT, Status.REJETEE):
        return replace(clock, stopped_on=today)
    return clock


def semester_start(day: date) -> date:
    """1 January or 1 July of ``day``'s semester."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def is_semester_start(day: date) -> bool:
    return day == semester_start(day)


def semester_label(day: date) -> str:
    return f"{'1er' if day.month <= 6 else '2d'} semestre {day.year}"


def interest_rate(ecb_rate: Decimal) -> Decimal:
    """The late-payment interest rate in per cent: the ECB rate plus 8 points."""
    return Decimal(ecb_rate) + RATE_MARGIN_POINTS


def late_interest(amount_ttc: Decimal, rate_percent: Decimal, days: int) -> Decimal:
    """Interest on ``amount_ttc`` for ``days`` days late at ``rate_percent`` a year, to the cent."""
    if days <= 0 or amount_ttc is None:
        return Decimal("0.00")
    value = Decimal(amount_ttc) * Decimal(rate_percent) / 100 * days / DAYS_PER_YEAR
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def interest_start(due_on: date) -> date:
    """The first day of interest: the day after the due date."""
    return due_on + timedelta(days=1)


class ClockPhase:
    NONE = "none"  # no clock (draft, not yet received, credit note)
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    PAID = "paid"
    ENDED = "ended"  # rejected


@dataclass(frozen=True)
class ClockState:
    """What the pages show of an invoice's clock on ``today``."""

    phase: str
    delay_days: int = 0
    started_on: date | None = None
    due_on: date | None = None
    stopped_on: date | None = None
    interrupted_on: date | None = None
    elapsed_days: int = 0
    left_days: int = 0
    late_days: int = 0
    # The rate applied (ECB + 8) and the semester whose ECB rate it is; None if no rate is known.
    rate: Decimal | None = None
    rate_from: date | None = None
    interest: Decimal | None = None
    indemnity: Decimal = Decimal("0.00")

    @property
    def is_late(self) -> bool:
        return self.late_days > 0


def clock_state(clock: Clock, *, status: str, today: date, amount_ttc, ecb_rate_on=None) -> ClockState:
    """The clock as of ``today``. ``ecb_rate_on(day)`` gives ``(ecb_rate, valid_from)`` in force on
    ``day`` or None (the operators' table, ``LatePaymentRate``); without it no interest is computed."""
    if clock.due_on is None or clock.started_on is None:
        return ClockState(phase=ClockPhase.NONE)
    status = Status(status)
    if clock.stopped_on is None:
        phase, until = ClockPhase.RUNNING, today
    elif status == Status.MISE_EN_PAIEMENT:
        phase, until = ClockPhase.PAID, clock.stopped_on
    elif status == Status.REJETEE:
        phase, until = ClockPhase.ENDED, clock.stopped_on
    else:
        phase, until = ClockPhase.INTERRUPTED, clock.stopped_on
    elapsed = max(0, (until - clock.started_on).days)
    left = max(0, (clock.due_on - until).days)
    late = max(0, (until - clock.due_on).days)
    rate = rate_from = interest = None
    indemnity = Decimal("0.00")
    if late and phase in (ClockPhase.RUNNING, ClockPhase.PAID):
        indemnity = FIXED_INDEMNITY
        found = ecb_rate_on(semester_start(interest_start(clock.due_on))) if ecb_rate_on else None
        if found is not None:
            ecb, rate_from = found
            rate = interest_rate(ecb)
            interest = late_interest(amount_ttc, rate, late)
    return ClockState(
        phase=phase,
        delay_days=(clock.due_on - clock.started_on).days,
        started_on=clock.started_on,
        due_on=clock.due_on,
        stopped_on=clock.stopped_on,
        interrupted_on=clock.interrupted_on,
        elapsed_days=elapsed,
        left_days=left,
        late_days=late,
        rate=rate,
        rate_from=rate_from,
        interest=interest,
        indemnity=indemnity,
    )
