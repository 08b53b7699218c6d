"""The figures' pages: Synthèse, Tableau de bord, Liste fiscale (page, CSV, PDF), Factures en retard,
and the invoice page's timeline and payment clock; period errors in French; another structure's
invoices never shown; query counts bounded."""

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from invoices.models import Invoice, LatePaymentRate
from invoices.services import invoice_transition
from invoices.status_texts import STATUS_TEXTS
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


@pytest.fixture
def intruder():
    """Another supplier's invoices, which no page of ``member`` may show."""
    other = StructureFactory(name="Concurrent Secret SAS")
    ministry = StructureFactory(public=True, name="Ministère Caché")
    invoice = sent(other, on=timezone.localdate() - timedelta(days=40), number="SECRET-1", recipient=ministry)
    Invoice.objects.filter(pk=invoice.pk).update(
        payment_started_on=timezone.localdate() - timedelta(days=40),
        payment_due_on=timezone.localdate() - timedelta(days=10),
    )
    return invoice


def sent(supplier, *, on: date, status=Status.MISE_A_DISPOSITION, **kwargs):
    invoice = InvoiceFactory(supplier=supplier, sent=True, status=status, invoice_date=on, **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.make_aware(datetime.combine(on, datetime.min.time())))
    return invoice


def late(member, *, days_late=12, **kwargs):
    today = timezone.localdate()
    invoice = sent(member.structure, on=today - timedelta(days=30 + days_late), **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(
        payment_started_on=today - timedelta(days=30 + days_late), payment_due_on=today - timedelta(days=days_late)
    )
    return Invoice.objects.get(pk=invoice.pk)


@pytest.mark.parametrize("name", ["summary", "dashboard", "fiscal", "late", "fiscal_csv", "fiscal_pdf"])
def test_the_pages_need_a_login(client, name):
    response = client.get(reverse(f"invoices:{name}"))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


@pytest.mark.parametrize("name", ["summary", "dashboard", "fiscal", "late"])
def test_without_a_supplier_structure_the_user_is_sent_to_choose_one(client, name):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse(f"invoices:{name}")).status_code == 302


def test_summary(logged, member, intruder, django_assert_max_num_queries):
    InvoiceFactory(supplier=member.structure, number="BROUILLON-1")
    sent(member.structure, on=timezone.localdate(), status=Status.SUSPENDUE, number="SUSP-1")
    late(member, number="RETARD-1")
    with django_assert_max_num_queries(4):  # the five counts in one query, the three lists in another
        page = html(logged.get(reverse("invoices:summary")))
    assert "<h1>Synthèse</h1>" in page
    assert "BROUILLON-1" in page and "SUSP-1" in page and "RETARD-1" in page
    assert re.search(r"<strong>Suspendue</strong> : 1\s+facture<", page)
    assert "SECRET-1" not in page and "Concurrent Secret" not in page
    assert 'aria-current="page">Synthèse<' in page


def test_dashboard_default_period_charts_and_tables(logged, member, intruder, django_assert_max_num_queries):
    today = timezone.localdate()
    ministry = StructureFactory(public=True, name="Ministère de la Démo")
    sent(member.structure, on=today, recipient=ministry, amount_ttc=Decimal("1200.00"))
    late(member, recipient=ministry)
    LatePaymentRate.objects.create(valid_from=date(2000, 1, 1), ecb_rate=Decimal("2.15"))
    with django_assert_max_num_queries(7):
        response = logged.get(reverse("invoices:dashboard"))
    page = html(response)
    assert response.status_code == 200
    assert page.count('role="img"') == 4
    assert '<title id="graphique-mois-montants-title">Montant TTC des factures envoyées, par mois</title>' in page
    assert "Ministère de la Démo" in page and "Factures par destinataire" in page
    assert "Factures les plus en retard" in page and "taux 10,15\u00a0%" in page
    assert "Concurrent Secret" not in page and "Ministère Caché" not in page and "SECRET-1" not in page
    # The 12 last months, this one included.
    assert page.count('<th scope="row">') >= 12
    assert f'value="{today:%Y-%m}"' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"du": "2026-13", "au": "2026-12"}, "du", "Indiquez un mois au format AAAA-MM, par exemple 2026-01."),
        (
            {"du": "2026-05", "au": "2026-02"},
            "au",
            "Le mois de fin doit être le même que le mois de début ou le suivre.",
        ),
        ({"du": "2020-01", "au": "2025-12"}, "au", "Choisissez 36 mois au plus (vous en avez choisi 72)."),
        ({"du": "2999-01"}, "du", "Ce mois n'a pas encore commencé."),
    ],
)
def test_dashboard_period_errors_next_to_the_field(logged, query, field, message):
    page = html(logged.get(reverse("invoices:dashboard"), query))
    assert message in page
    assert f'id="id_{field}-messages"' in page and 'aria-invalid="true"' in page
    assert 'role="img"' not in page


def test_dashboard_chosen_period(logged, member):
    sent(member.structure, on=date(2025, 2, 10), amount_ttc=Decimal("777.00"))
    page = html(logged.get(reverse("invoices:dashboard"), {"du": "2025-01", "au": "2025-03"}))
    assert "Janvier 2025" in page and "Mars 2025" in page and "Avril 2025" not in page
    assert "777,00\u00a0€" in page


FISCAL = {"periode": "mois", "annee": "2026", "mois": "10"}


@pytest.fixture
def october(member, intruder):
    a = sent(member.structure, on=date(2026, 10, 3), number="OCT-1")
    b = sent(
        member.structure,
        on=date(2026, 10, 9),
        number="AV-1",
        invoice_type="AVOIR",
        original_invoice_number="OCT-1",
        amount_ht=Decimal("100.00"),
        amount_tva=Decimal("20.00"),
        amount_ttc=Decimal("120.00"),
    )
    sent(member.structure, on=date(2026, 10, 12), number="REJ-1", status=Status.REJETEE)
    sent(member.structure, on=date(2026, 11, 2), number="NOV-1")
    other = intruder.supplier
    sent(other, on=date(2026, 10, 3), number="SECRET-2")
    return a, b


def test_fiscal_page_totals_and_list(logged, october, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # the page and its VAT lines in one query
        page = html(logged.get(reverse("invoices:fiscal"), FISCAL))
    assert "Du 01/10/2026 au 31/10/2026" in page
    assert "OCT-1" in page and "Avoir AV-1" in page
    assert "REJ-1" not in page and "NOV-1" not in page and "SECRET-2" not in page
    # 1 000 − 100 HT, 200 − 20 TVA at 20 %.
    assert "900,00\u00a0€" in page and "180,00\u00a0€" in page and "1\u202f080,00\u00a0€" in page
    assert "sauf celles que le destinataire a rejetées" in page
    assert "-100,00\u00a0€" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"periode": "mois", "annee": "", "mois": "10"}, "annee", "Indiquez l'année de la période"),
        ({"periode": "mois", "annee": "26", "mois": "10"}, "annee", "Indiquez une année entre 2000 et"),
        ({"periode": "mois", "annee": "2026", "mois": ""}, "mois", "Choisissez le mois."),
        ({"periode": "trimestre", "annee": "2026"}, "trimestre", "Choisissez le trimestre."),
        ({"periode": "dates", "du": "", "au": "2026-10-01"}, "du", "Indiquez la date de début."),
        ({"periode": "dates", "du": "31/02/2026", "au": "2026-10-01"}, "du", "Indiquez une date valide"),
        ({"periode": "dates", "du": "2026-10-02", "au": "2026-10-01"}, "au", "La date de fin doit être la même"),
        ({"periode": "dates", "du": "2025-01-01", "au": "2026-10-01"}, "au", "Choisissez une période d'un an au plus"),
        ({"periode": "semaine"}, "periode", "Sélectionnez un choix valide"),
    ],
)
def test_fiscal_period_errors_next_to_the_field(logged, query, field, message):
    response = logged.get(reverse("invoices:fiscal"), query)
    page = html(response)
    assert message in page
    assert "Totaux par taux de TVA" not in page
    assert logged.get(reverse("invoices:fiscal_csv"), query).status_code == 400
    assert logged.get(reverse("invoices:fiscal_pdf"), query).status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"periode": "trimestre", "annee": "2026", "trimestre": "4"}, "Du 01/10/2026 au 31/12/2026"),
        ({"periode": "annee", "annee": "2026"}, "Du 01/01/2026 au 31/12/2026"),
        ({"periode": "dates", "du": "2026-10-05", "au": "15/10/2026"}, "Du 05/10/2026 au 15/10/2026"),
    ],
)
def test_fiscal_periods(logged, october, query, expected):
    assert expected in html(logged.get(reverse("invoices:fiscal"), query))


def test_fiscal_default_is_the_previous_month(logged):
    from invoices.figures import add_months

    previous = add_months(timezone.localdate().replace(day=1), -1)
    assert f"Du {previous:%d/%m/%Y}" in html(logged.get(reverse("invoices:fiscal")))


def test_fiscal_csv_is_excel_friendly(logged, october):
    response = logged.get(reverse("invoices:fiscal_csv"), FISCAL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="liste-fiscale-20261001-20261031.csv"'
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffDate de facture;Numéro;Identifiant;Type;")
    lines = body.split("\r\n")
    assert lines[1].startswith("03/10/2026;OCT-1;FAC-TEST-") and lines[1].endswith(";20,00;1000,00;200,00;1200,00")
    assert ";Avoir;" in lines[2] and lines[2].endswith(";20,00;-100,00;-20,00;-120,00")
    assert "REJ-1" not in body and "NOV-1" not in body and "SECRET" not in body
    assert "Total TVA 20\u00a0%;;;;;;;20,00;900,00;180,00;1080,00" in body
    assert "Total général;;;;;;;;900,00;180,00;1080,00" in body


def test_fiscal_pdf(logged, october, member):
    response = logged.get(reverse("invoices:fiscal_pdf"), FISCAL)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Liste fiscale du 01/10/2026 au 31/10/2026" in text
    assert "Menuiserie Martin" in text and "OCT-1" in text and "Avoir AV-1" in text
    assert "REJ-1" not in text and "SECRET" not in text
    assert "1 080,00" in text.replace("\u202f", " ").replace("\u00a0", " ")


def test_late_page(logged, member, intruder, django_assert_max_num_queries):
    LatePaymentRate.objects.create(valid_from=date(2000, 1, 1), ecb_rate=Decimal("2.15"))
    invoice = late(member, days_late=10, number="RETARD-9", amount_ttc=Decimal("3650.00"))
    with django_assert_max_num_queries(9):
        page = html(logged.get(reverse("invoices:late")))
    assert "RETARD-9" in page and "SECRET-1" not in page
    # 3 650 × 10,15 % × 10 / 365 = 10,15 €
    assert "10,15\u00a0€" in page and "40,00\u00a0€" in page
    assert reverse("invoices:detail", args=[invoice.pk]) in page


def test_late_page_pages_by_keyset(logged, member, monkeypatch):
    from invoices import figures

    monkeypatch.setattr(figures, "PAGE_SIZE", 2)
    for n in range(3):
        late(member, days_late=10 + n, number=f"R-{n}")
    first = html(logged.get(reverse("invoices:late")))
    assert "R-2" in first and "R-1" in first and "R-0" not in first
    cursor = first.split("?apres=")[1].split('"')[0]
    second = html(logged.get(reverse("invoices:late"), {"apres": cursor}))
    assert "R-0" in second and "R-1" not in second and "Première page" in second


def test_late_page_without_rate_shows_indemnity_only(logged, member):
    late(member, number="RETARD-X")
    page = html(logged.get(reverse("invoices:late")))
    assert "taux non renseigné" in page and "40,00\u00a0€" in page


# --- The invoice page: status text, reform code, timeline, payment clock ---------------------------


def received(member, **kwargs) -> Invoice:
    invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.DEPOSEE, sent_by=member.user, **kwargs)
    for transition in ("acheminer", "mettre_a_disposition"):
        invoice_transition(invoice=invoice, transition=transition, actor=Actor.SYSTEM)
    return Invoice.objects.get(pk=invoice.pk)


@pytest.mark.parametrize("status", list(Status))
def test_the_invoice_page_explains_every_status(logged, member, status):
    invoice = InvoiceFactory(supplier=member.structure, sent=status != Status.BROUILLON, status=status)
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert str(STATUS_TEXTS[status].meaning) in page
    assert str(STATUS_TEXTS[status].next_step) in page


def test_the_invoice_page_timeline_and_running_clock(logged, member):
    invoice = received(member)
    staff = MembershipFactory(structure=invoice.recipient).user
    invoice_transition(invoice=invoice, transition="service_fait", actor=Actor.RECIPIENT, user=staff)
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert 'aria-labelledby="historique-titre"' in page and "<table" not in page.split('id="historique"')[1][:2000]
    assert "En cours d'acheminement (201) → <strong>Mise à disposition du destinataire</strong> (203)" in page
    assert "Par Système (Chorus Pro)" in page
    assert f"Par Service financier du destinataire ({staff.get_full_name()})" in page
    assert "Code du cycle de vie (réforme 2026) : <strong>205</strong>" in page
    due = timezone.localdate() + timedelta(days=30)
    assert f"Échéance : <strong>{due:%d/%m/%Y}</strong>" in page
    assert "Jours écoulés : 0 sur 30" in page and "il reste <strong>30 jours</strong>" in page


def test_the_invoice_page_shows_lateness_and_interest(logged, member):
    LatePaymentRate.objects.create(valid_from=date(2000, 1, 1), ecb_rate=Decimal("2.15"))
    invoice = late(member, days_late=20, amount_ttc=Decimal("1200.00"))
    page = html(logged.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Paiement en retard de 20 jours" in page
    # 1 200 × 10,15 % × 20 / 365 = 6,67 €
    assert "<strong>6,67\u00a0€</strong>" in page and "<strong>40,00\u00a0€</strong>" in page


def test_the_invoice_page_of_another_structure_is_a_404(logged, intruder):
    assert logged.get(reverse("invoices:detail", args=[intruder.pk])).status_code == 404


def test_dashboard_for_one_recipient_month_by_month(logged, member):
    ministry, town = StructureFactory(public=True, name="Ministère A"), StructureFactory(public=True, name="Commune B")
    today = timezone.localdate()
    sent(member.structure, on=today, recipient=ministry, amount_ttc=Decimal("1111.00"))
    sent(member.structure, on=today, recipient=town, amount_ttc=Decimal("2222.00"))
    page = html(logged.get(reverse("invoices:dashboard")))
    assert f"destinataire={ministry.pk}" in page
    page = html(logged.get(reverse("invoices:dashboard"), {"destinataire": ministry.pk}))
    assert "Factures adressées à Ministère A uniquement." in page
    assert "1\u202f111,00\u00a0€" in page and "2\u202f222,00\u00a0€" not in page
    # An unknown or malformed recipient is ignored.
    for value in ("999999", "abc", "-1"):
        assert "uniquement" not in html(logged.get(reverse("invoices:dashboard"), {"destinataire": value}))


def test_the_fiscal_period_form_is_built_once_per_query_and_day(logged, october):
    """The period form and the period it gives are kept per query (cursor aside), day and
    language (``views.figures.fiscal_period``): the same URL neither builds nor validates the form
    again, another query does, and its period and errors are its own."""
    from invoices.forms import periods

    built = []
    original = periods.FiscalPeriodForm.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    url = reverse("invoices:fiscal")
    with mock.patch.object(periods.FiscalPeriodForm, "__init__", counting):
        first = html(logged.get(url, FISCAL))
        again = html(logged.get(url, {**FISCAL, "apres": "2026-10-05~1"}))
        assert len(built) == 1
        assert "Du 01/10/2026 au 31/10/2026" in first and "Du 01/10/2026 au 31/10/2026" in again
        quarter = html(logged.get(url, {"periode": "trimestre", "annee": "2026", "trimestre": "4"}))
        wrong = html(logged.get(url, {"periode": "mois", "annee": "", "mois": "10"}))
        assert len(built) == 3
    assert "Du 01/10/2026 au 31/12/2026" in quarter
    assert "Indiquez l'année de la période" in wrong and "Totaux par taux de TVA" not in wrong
    assert first.split('<form method="get"')[1].split("</form>")[0] in html(logged.get(url, FISCAL))
