"""The payment clock and the late-payment figures (invoices/payment.py), without a database."""

from datetime import date
from decimal import Decimal

import pytest

from invoices import payment
from invoices.payment import Clock, ClockPhase, clock_after, clock_state
from invoices.workflow import Status

D = date


def received(on=D(2026, 3, 2), delay=30) -> Clock:
    return clock_after(Clock(), target=Status.MISE_A_DISPOSITION, today=on, delay_days=delay)


def test_the_clock_starts_at_mise_a_disposition_for_the_recipients_delay():
    assert received() == Clock(started_on=D(2026, 3, 2), due_on=D(2026, 4, 1))
    assert received(delay=50).due_on == D(2026, 4, 21)
    assert received(delay=60).due_on == D(2026, 5, 1)


@pytest.mark.parametrize("status", [Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, Status.BROUILLON])
def test_no_clock_before_the_invoice_is_received(status):
    assert clock_after(Clock(), target=status, today=D(2026, 3, 2), delay_days=30) == Clock()
    assert clock_state(Clock(), status=status, today=D(2026, 3, 2), amount_ttc=Decimal(100)).phase == ClockPhase.NONE


def test_credit_notes_have_no_clock():
    clock = clock_after(Clock(), target=Status.MISE_A_DISPOSITION, today=D(2026, 3, 2), delay_days=30, credit_note=True)
    assert clock == Clock()


@pytest.mark.parametrize(
    "status",
    [
        Status.PRISE_EN_COMPTE_DESTINATAIRE,
        Status.SERVICE_FAIT,
        Status.MANDATEE,
        Status.MISE_A_DISPOSITION_COMPTABLE,
        Status.COMPTABILISEE,
    ],
)
def test_processing_steps_leave_the_clock_running(status):
    clock = received()
    assert clock_after(clock, target=status, today=D(2026, 3, 20), delay_days=30) == clock


def test_elapsed_and_left_days_while_running():
    state = clock_state(received(), status=Status.SERVICE_FAIT, today=D(2026, 3, 12), amount_ttc=Decimal(1200))
    assert (state.phase, state.delay_days, state.elapsed_days, state.left_days, state.late_days) == (
        ClockPhase.RUNNING,
        30,
        10,
        20,
        0,
    )
    assert state.interest is None and state.indemnity == 0
    on_due_day = clock_state(received(), status=Status.SERVICE_FAIT, today=D(2026, 4, 1), amount_ttc=Decimal(1))
    assert (on_due_day.left_days, on_due_day.late_days) == (0, 0)


def test_the_first_suspension_interrupts_and_completion_opens_a_new_delay_of_30_days_at_least():
    clock = received()  # due 1 April
    suspended = clock_after(clock, target=Status.SUSPENDUE, today=D(2026, 3, 22), delay_days=30)
    assert suspended.stopped_on == suspended.interrupted_on == D(2026, 3, 22)
    frozen = clock_state(suspended, status=Status.SUSPENDUE, today=D(2026, 5, 1), amount_ttc=Decimal(100))
    assert (frozen.phase, frozen.elapsed_days, frozen.left_days, frozen.late_days) == (
        ClockPhase.INTERRUPTED,
        20,
        10,
        0,
    )
    completed = clock_after(suspended, target=Status.COMPLETEE, today=D(2026, 4, 10), delay_days=30)
    # The balance was 10 days: the new delay is 30 days from the completion.
    assert completed == Clock(
        started_on=D(2026, 4, 10), due_on=D(2026, 5, 10), stopped_on=None, interrupted_on=D(2026, 3, 22)
    )


def test_the_new_delay_keeps_a_longer_balance():
    clock = received(delay=60)  # due 1 May, balance 55 days on 6 March
    suspended = clock_after(clock, target=Status.SUSPENDUE, today=D(2026, 3, 7), delay_days=60)
    completed = clock_after(suspended, target=Status.COMPLETEE, today=D(2026, 3, 20), delay_days=60)
    assert completed.due_on == D(2026, 3, 20) + (D(2026, 5, 1) - D(2026, 3, 7))


def test_a_second_suspension_does_not_stop_the_clock():
    clock = received()
    clock = clock_after(clock, target=Status.SUSPENDUE, today=D(2026, 3, 5), delay_days=30)
    clock = clock_after(clock, target=Status.COMPLETEE, today=D(2026, 3, 6), delay_days=30)
    again = clock_after(clock, target=Status.SUSPENDUE, today=D(2026, 3, 20), delay_days=30)
    assert again == clock and again.running
    assert clock_after(again, target=Status.COMPLETEE, today=D(2026, 3, 25), delay_days=30) == clock


def test_payment_stops_the_clock_and_late_payment_owes_interest_and_the_indemnity():
    clock = clock_after(received(), target=Status.MISE_EN_PAIEMENT, today=D(2026, 4, 21), delay_days=30)
    assert clock.stopped_on == D(2026, 4, 21)
    rates = {D(2026, 1, 1): (Decimal("2.15"), D(2025, 7, 1))}
    state = clock_state(
        clock,
        status=Status.MISE_EN_PAIEMENT,
        today=D(2026, 12, 1),
        amount_ttc=Decimal("12000.00"),
        ecb_rate_on=rates.get,
    )
    assert (state.phase, state.late_days, state.rate, state.rate_from) == (
        ClockPhase.PAID,
        20,
        Decimal("10.15"),
        D(2025, 7, 1),
    )
    # 12 000 × 10,15 % × 20 / 365 = 66,739… → 66,74 €
    assert state.interest == Decimal("66.74")
    assert state.indemnity == Decimal("40.00")


def test_paid_in_time_owes_nothing():
    clock = clock_after(received(), target=Status.MISE_EN_PAIEMENT, today=D(2026, 4, 1), delay_days=30)
    state = clock_state(clock, status=Status.MISE_EN_PAIEMENT, today=D(2026, 6, 1), amount_ttc=Decimal(100))
    assert (state.phase, state.late_days, state.interest, state.indemnity) == (ClockPhase.PAID, 0, None, 0)


def test_a_late_running_invoice_counts_days_until_today():
    rates = {D(2026, 1, 1): (Decimal("2.15"), D(2026, 1, 1))}
    state = clock_state(
        received(), status=Status.SERVICE_FAIT, today=D(2026, 5, 1), amount_ttc=Decimal("1000"), ecb_rate_on=rates.get
    )
    assert state.late_days == 30 and state.is_late
    assert state.interest == Decimal("8.34")  # 1 000 × 10,15 % × 30 / 365 = 8,342…


def test_without_a_known_rate_only_the_indemnity_is_shown():
    state = clock_state(received(), status=Status.SERVICE_FAIT, today=D(2026, 5, 1), amount_ttc=Decimal("1000"))
    assert state.late_days == 30 and state.interest is None and state.rate is None
    assert state.indemnity == payment.FIXED_INDEMNITY


def test_the_rate_is_the_one_of_the_semester_interest_starts_in():
    # Due 30 June: interest starts on 1 July, so the second semester's rate applies.
    clock = Clock(started_on=D(2026, 5, 31), due_on=D(2026, 6, 30))
    asked = []

    def rate_on(day):
        asked.append(day)
        return (Decimal("2.00"), day)

    clock_state(clock, status=Status.MANDATEE, today=D(2026, 7, 10), amount_ttc=Decimal(1), ecb_rate_on=rate_on)
    assert asked == [D(2026, 7, 1)]


def test_rejection_ends_the_clock_without_interest():
    clock = clock_after(received(), target=Status.REJETEE, today=D(2026, 5, 1), delay_days=30)
    state = clock_state(clock, status=Status.REJETEE, today=D(2026, 6, 1), amount_ttc=Decimal(100))
    assert state.phase == ClockPhase.ENDED and state.indemnity == 0 and state.interest is None


def test_a_return_a_recycler_clears_the_clock_and_it_starts_again():
    clock = clock_after(received(), target=Status.A_RECYCLER, today=D(2026, 3, 5), delay_days=30)
    assert clock == Clock()
    again = clock_after(clock, target=Status.MISE_A_DISPOSITION, today=D(2026, 3, 9), delay_days=30)
    assert again.started_on == D(2026, 3, 9)


@pytest.mark.parametrize(
    ("ttc", "rate", "days", "expected"),
    [
        (Decimal("1200.00"), Decimal("10.15"), 365, Decimal("121.80")),
        (Decimal("1200.00"), Decimal("10.15"), 1, Decimal("0.33")),
        (Decimal("1200.00"), Decimal("10.15"), 0, Decimal("0.00")),
        (Decimal("100000.00"), Decimal("12.50"), 73, Decimal("2500.00")),
    ],
)
def test_interest_is_ttc_times_rate_times_days_over_365(ttc, rate, days, expected):
    assert payment.late_interest(ttc, rate, days) == expected


def test_interest_rate_is_ecb_plus_8_points():
    assert payment.interest_rate(Decimal("2.15")) == Decimal("10.15")


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (D(2026, 1, 1), D(2026, 1, 1)),
        (D(2026, 6, 30), D(2026, 1, 1)),
        (D(2026, 7, 1), D(2026, 7, 1)),
        (D(2026, 12, 31), D(2026, 7, 1)),
    ],
)
def test_semester_start(day, start):
    assert payment.semester_start(day) == start
    assert payment.is_semester_start(start) and (day == start or not payment.is_semester_start(day))
