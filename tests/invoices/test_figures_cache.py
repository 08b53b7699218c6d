"""The Tableau de bord and Liste fiscale figures stay in the cache until one of the supplier's
invoices changes status (invoices/figures_cache.py): a second view reads no aggregate, a
transition or new rates show at once, another supplier's change leaves them, ``0`` turns it off."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoices import figures_cache, services
from invoices.models import Invoice, LatePaymentRate
from invoices.workflow import Actor, Status
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(motifs):
    return MembershipFactory(structure=StructureFactory(name="Menuiserie Martin"))


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def deposited(supplier, *, on: date, **kwargs) -> Invoice:
    invoice = InvoiceFactory(supplier=supplier, sent=True, status=Status.DEPOSEE, invoice_date=on, **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.make_aware(datetime.combine(on, datetime.min.time())))
    return invoice


def aggregates(client, url, params=None) -> tuple[str, int]:
    """The page and the number of its aggregate queries (COUNT/SUM … GROUP BY)."""
    with CaptureQueriesContext(connection) as queries:
        page = html(client.get(url, params or {}))
    return page, sum(1 for q in queries.captured_queries if "GROUP BY" in q["sql"])


def test_the_dashboard_is_read_once_then_refreshed_by_a_transition(logged, member, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    invoice = deposited(member.structure, on=today, amount_ttc=Decimal("1200.00"))
    url = reverse("invoices:dashboard")
    page, first = aggregates(logged, url)
    assert first >= 2 and "Déposée" in page
    page, second = aggregates(logged, url)
    assert second == 0 and "Déposée" in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invoice_transition(invoice=invoice, transition="acheminer", actor=Actor.SYSTEM)
    assert aggregates(logged, url)[1] == 0  # not committed yet: the figures stand
    for callback in callbacks:
        callback()
    page, third = aggregates(logged, url)
    assert third >= 2
    assert "En cours d'acheminement" in page


def test_another_suppliers_transition_keeps_the_figures(logged, member, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    deposited(member.structure, on=today)
    other = deposited(StructureFactory(), on=today)
    url = reverse("invoices:dashboard")
    aggregates(logged, url)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_transition(invoice=other, transition="acheminer", actor=Actor.SYSTEM)
    assert aggregates(logged, url)[1] == 0


def test_each_period_and_recipient_has_its_own_figures(logged, member):
    today = timezone.localdate()
    deposited(member.structure, on=today)
    url = reverse("invoices:dashboard")
    aggregates(logged, url)
    last_year = today.replace(day=1) - timedelta(days=365)
    assert aggregates(logged, url, {"du": f"{last_year:%Y-%m}", "au": f"{today:%Y-%m}"})[1] >= 2


def test_the_fiscal_totals_follow_a_status_change(logged, member, django_capture_on_commit_callbacks):
    url = reverse("invoices:fiscal")
    params = {"periode": "mois", "annee": "2026", "mois": "10"}
    draft = InvoiceFactory(supplier=member.structure, invoice_date=date(2026, 10, 5), number="OCT-9")
    page, first = aggregates(logged, url, params)
    assert first == 1 and "OCT-9" not in page
    assert aggregates(logged, url, params)[1] == 0
    # The draft is sent: its status changes, the totals are read again.
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_send(invoice=draft, user=member.user)
    page, third = aggregates(logged, url, params)
    assert third == 1 and "OCT-9" in page


def test_new_late_payment_rates_refresh_every_supplier(logged, member, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    deposited(member.structure, on=today)
    url = reverse("invoices:dashboard")
    aggregates(logged, url)
    with django_capture_on_commit_callbacks(execute=True):
        LatePaymentRate.objects.create(valid_from=date(2000, 1, 1), ecb_rate=Decimal("2.15"))
    assert aggregates(logged, url)[1] >= 2


def test_zero_seconds_turns_the_cache_off(logged, member, settings):
    settings.CHORUS_FIGURES_CACHE_SECONDS = 0
    deposited(member.structure, on=timezone.localdate())
    url = reverse("invoices:dashboard")
    aggregates(logged, url)
    assert aggregates(logged, url)[1] >= 2


def test_a_broken_cache_computes_the_figures(monkeypatch):
    """Redis unreachable: the portal's cache backend answers from memory, the figures are computed
    and nothing raises."""
    from chorus.cache import FallbackRedisCache

    down = FallbackRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    monkeypatch.setattr(figures_cache, "cache", down)
    calls = []
    assert figures_cache.cached(1, "test", (1,), lambda: calls.append(1) or 42) == 42
    figures_cache.invalidate(1)  # logged, not raised
    figures_cache.invalidate_all()
    assert figures_cache.cached(1, "test", (1,), lambda: calls.append(1) or 42) == 42
    assert len(calls) == 2  # invalidated, computed again


def test_stored_figures_are_read_in_one_call_to_the_cache(monkeypatch):
    """The generation, the supplier's version and the figures: one round trip to Redis per page;
    figures stored under an older version are computed again, never shown."""
    from django.core.cache import cache

    class Counting:
        def __init__(self):
            self.calls = []

        def __getattr__(self, name):
            method = getattr(cache, name)

            def call(*args, **kwargs):
                self.calls.append(name)
                return method(*args, **kwargs)

            return call

    counting = Counting()
    monkeypatch.setattr(figures_cache, "cache", counting)
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert figures_cache.cached(7, "test", (1,), compute) == 1
    counting.calls.clear()
    assert figures_cache.cached(7, "test", (1,), compute) == 1
    assert counting.calls == ["get_many"]
    assert figures_cache.cached(7, "test", (2,), compute) == 2  # other parameters: their own figures
    figures_cache.invalidate(8)
    assert figures_cache.cached(7, "test", (1,), compute) == 1  # another supplier changed
    figures_cache.invalidate(7)
    assert figures_cache.cached(7, "test", (1,), compute) == 3
    assert figures_cache.cached(7, "test", (1,), compute) == 3
    figures_cache.invalidate_all()
    assert figures_cache.cached(7, "test", (1,), compute) == 4


def test_the_dashboard_body_is_kept_with_its_figures(logged, member, monkeypatch, django_capture_on_commit_callbacks):
    """The second view writes neither chart nor table (the body kept with the figures), gives the
    same page, and a status change writes it again."""
    from invoices import charts

    invoice = deposited(member.structure, on=timezone.localdate(), amount_ttc=Decimal("1200.00"))
    url = reverse("invoices:dashboard")

    def main(page):  # the page's content (the header's logout form has a token of its own)
        return page[page.index("<main") : page.index("</main>")]

    first = main(html(logged.get(url)))
    drawn = []
    original = charts.column_chart
    monkeypatch.setattr(charts, "column_chart", lambda *a, **k: drawn.append(1) or original(*a, **k))
    assert main(html(logged.get(url))) == first and drawn == []
    assert main(html(logged.get(url, {"du": "2020-01", "au": "2020-03"}))) != first and drawn  # another period
    drawn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_transition(invoice=invoice, transition="acheminer", actor=Actor.SYSTEM)
    page = main(html(logged.get(url)))
    assert drawn and "En cours d'acheminement" in page and page != first
