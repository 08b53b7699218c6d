"""Factures émises, Rechercher and Archives: the selector's criteria, sorting and keyset pages, the
search form's messages, the pages (criteria in the URL, sort links, tabs, query counts) and the CSV
export; another structure's invoices never appear."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoices import exports, keyset, selectors
from invoices import search as invoice_search
from invoices.forms.search import SORTS, InvoiceSearchForm
from invoices.models import Cadre, Invoice, InvoiceType
from invoices.workflow import END_STATUSES, Status
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


def make(supplier, **fields) -> Invoice:
    """A light invoice (no file, no VAT line); ``sent=True`` by default."""
    fields.setdefault("sent", fields.get("status", Status.DEPOSEE) != Status.BROUILLON)
    return InvoiceFactory(supplier=supplier, pdf="", vat=False, **fields)


def search(supplier, **criteria):
    """The numbers found by the ORM's queryset, checked against the statements prepared by shape
    that the pages run (invoices/search.py): the same rows, the same capped count."""
    form = InvoiceSearchForm(criteria, supplier=supplier, archives=criteria.pop("archives", False))
    assert form.is_valid(), form.errors
    queryset = selectors.invoice_search(supplier=supplier, criteria=form.criteria(), archives=form.archives)
    found = set(queryset.values_list("number", flat=True))
    prepared = invoice_search.SearchRows(supplier.pk, selectors.search_bounds(form.criteria()), archives=form.archives)
    for sort in SORTS.values():
        for descending in (True, False):
            key = keyset.SortKey(sort[0])
            page = keyset.paginate(prepared, key, descending=descending, page_size=1000)
            orm = keyset.paginate(queryset, key, descending=descending, page_size=1000)
            assert [row.pk for row in page.rows] == [row.pk for row in orm.rows]
    assert {row.number for row in page.rows} == found
    assert prepared.count(1001) == len(found) == queryset.count()
    assert prepared.count(1) == min(1, len(found))
    return found


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def supplier(member):
    return member.structure


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


# --- Selector: each criterion ---------------------------------------------------------------------


def test_each_criterion_narrows_the_supplier_invoices(supplier):
    state = StructureFactory(public=True, name="Ministère des Tests", is_state=True)
    commune = StructureFactory(public=True, name="Commune de Testville")
    service_a = ServiceFactory(structure=supplier, code="AG-A")
    service_b = ServiceFactory(structure=supplier, code="AG-B")
    paris = timezone.get_current_timezone()
    make(
        supplier,
        number="A-1",
        recipient=state,
        engagement_number="EJ-1",
        amount_ttc=Decimal("100.00"),
        invoice_date=date(2026, 1, 10),
        sent_at=datetime(2026, 1, 12, 23, 30, tzinfo=paris),
        supplier_service=service_a,
        status=Status.MISE_A_DISPOSITION,
    )
    make(
        supplier,
        number="B-2",
        recipient=commune,
        invoice_type=InvoiceType.CREDIT_NOTE,
        cadre=Cadre.A9,
        amount_ttc=Decimal("2500.50"),
        invoice_date=date(2026, 3, 1),
        sent_at=datetime(2026, 3, 2, 0, 10, tzinfo=paris),
        supplier_service=service_b,
        status=Status.REJETEE,
    )
    make(supplier, number="C-3", status=Status.BROUILLON, recipient=commune, amount_ttc=None, invoice_date=None)
    make(StructureFactory(), number="AUTRE-1", recipient=state, engagement_number="EJ-1")  # another supplier

    assert search(supplier) == {"A-1", "B-2", "C-3"}
    assert search(supplier, onglet="brouillons") == {"C-3"}
    assert search(supplier, onglet="envoyees") == {"A-1", "B-2"}
    assert search(supplier, destinataire_etat="etat") == {"A-1"}
    assert search(supplier, destinataire_etat="hors_etat") == {"B-2", "C-3"}
    assert search(supplier, type="AVOIR") == {"B-2"}
    assert search(supplier, type="FACTURE") == {"A-1", "C-3"}
    assert search(supplier, cadre="A9") == {"B-2"}
    assert search(supplier, service=str(service_a.pk)) == {"A-1"}
    assert search(supplier, statut=["REJETEE", "BROUILLON"]) == {"B-2", "C-3"}
    assert search(supplier, numero="B-2") == {"B-2"}
    a1 = Invoice.objects.get(number="A-1")
    assert search(supplier, identifiant=a1.identifier.lower()) == {"A-1"}
    assert search(supplier, ej="EJ-1") == {"A-1"}
    assert search(supplier, destinataire=state.identifier[:9]) == {"A-1"}
    assert search(supplier, destinataire=" ".join([state.identifier[:3], state.identifier[3:]])) == {"A-1"}
    assert search(supplier, destinataire="testville") == {"B-2", "C-3"}
    assert search(supplier, facture_du="2026-02-01") == {"B-2"}
    assert search(supplier, facture_au="10/01/2026") == {"A-1"}
    # Deposit days are Paris days: 12/01 at 23:30 and 02/03 at 00:10 belong to their own day.
    assert search(supplier, depot_du="2026-01-12", depot_au="2026-01-12") == {"A-1"}
    assert search(supplier, depot_du="2026-01-13", depot_au="2026-03-01") == set()
    assert search(supplier, depot_du="2026-03-02") == {"B-2"}
    assert search(supplier, montant_min="100", montant_max="2 500,50") == {"A-1", "B-2"}
    assert search(supplier, montant_min="100,01") == {"B-2"}
    assert search(supplier, montant_max="99,99") == set()
    assert search(supplier, archives=True) == {"B-2"}
    assert search(supplier, rejet_non_traite=True) == {"B-2"}
    # Several criteria at once, a name with LIKE's wildcards (matched literally).
    assert search(supplier, onglet="envoyees", destinataire="testville", montant_min="2 000", statut=["REJETEE"]) == {
        "B-2"
    }
    assert search(supplier, destinataire="Test_ville") == set()
    assert search(supplier, destinataire="de%Test") == set()
    assert search(supplier, archives=True, statut=["MISE_EN_PAIEMENT"]) == set()
    assert "AUTRE-1" not in search(supplier, ej="EJ-1", destinataire_etat="etat")


def test_another_structures_invoices_never_appear(supplier):
    other = StructureFactory()
    make(other, number="X-1")
    assert search(supplier) == set()
    assert search(other) == {"X-1"}


# --- Sorting and keyset pages ---------------------------------------------------------------------


@pytest.fixture
def spread(supplier):
    """23 invoices with repeated dates and amounts, and drafts without date nor amount."""
    invoices = []
    for n in range(23):
        draft = n % 6 == 5
        invoices.append(
            make(
                supplier,
                number=f"N-{(n * 7) % 23:02d}",
                status=Status.BROUILLON if draft else Status.DEPOSEE,
                invoice_date=None if draft else date(2026, 1, 1) + timedelta(days=n % 4),
                amount_ttc=None if draft else Decimal(100 * (n % 5)),
            )
        )
    return invoices


def expected(invoices, field, descending):
    """The order the pages must show: values then id, NULL values last (both directions)."""
    present = [i for i in invoices if getattr(i, field) is not None]
    missing = [i for i in invoices if getattr(i, field) is None]
    present.sort(key=lambda i: (getattr(i, field), i.pk), reverse=descending)
    missing.sort(key=lambda i: i.pk, reverse=descending)
    return [i.pk for i in present + missing]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_walk_every_row_once_in_order_both_ways(supplier, spread, sort, descending):
    field = SORTS[sort][0]
    for invoice in spread:
        invoice.refresh_from_db()
    queryset = selectors.invoice_search(supplier=supplier)
    key = keyset.SortKey(field)
    order = expected(spread, field, descending)
    pages, cursor = [], None
    while True:
        page = keyset.paginate(queryset, key, descending=descending, page_size=5, after=cursor)
        pages.append(page)
        assert page.has_previous is (cursor is not None)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert [row.pk for page in pages for row in page.rows] == order
    assert [len(page.rows) for page in pages] == [5, 5, 5, 5, 3]
    # The statements the pages run (prepared by shape, rows as values): the same pages.
    prepared = invoice_search.SearchRows(supplier.pk, {}, archives=False)
    cursor = None
    for page in pages:
        mine = keyset.paginate(prepared, key, descending=descending, page_size=5, after=cursor)
        assert [row.pk for row in mine.rows] == [row.pk for row in page.rows]
        assert (mine.next_cursor, mine.has_next, mine.has_previous) == (
            page.next_cursor,
            page.has_next,
            page.has_previous,
        )
        cursor = mine.next_cursor
        back = keyset.paginate(prepared, key, descending=descending, page_size=5, before=mine.previous_cursor)
        if mine.previous_cursor:
            assert back.rows and back.rows[-1].pk == order[order.index(mine.rows[0].pk) - 1]
    # Backwards from the last page, through the previous cursors: the same pages.
    back, page = [], pages[-1]
    while page.has_previous:
        page = keyset.paginate(queryset, key, descending=descending, page_size=5, before=page.previous_cursor)
        back.append([row.pk for row in page.rows])
    assert back == [[row.pk for row in p.rows] for p in reversed(pages[:-1])]
    assert not page.has_previous and page.has_next
    # iterate (the CSV) reads the same order by chunks.
    assert [row.pk for row in keyset.iterate(queryset, key, descending=descending, chunk_size=4)] == order
    values = queryset.values("id", field)
    assert [row["id"] for row in keyset.iterate(values, key, descending=descending, chunk_size=3)] == order


@pytest.mark.parametrize("cursor", ["abc", "0~x", "12~pas-une-date", "-3", "7~NaN", "9999999~2026-01-01"])
def test_a_bad_or_stale_cursor_gives_the_first_page_or_an_empty_one(supplier, spread, cursor):
    queryset = selectors.invoice_search(supplier=supplier)
    page = keyset.paginate(queryset, keyset.SortKey("invoice_date"), descending=False, page_size=5, after=cursor)
    if cursor.startswith("9999999"):  # a row since deleted: the page resumes after its position
        assert page.rows and all(r.invoice_date is None or r.invoice_date > date(2026, 1, 1) for r in page.rows)
    else:
        first = keyset.paginate(queryset, keyset.SortKey("invoice_date"), descending=False, page_size=5)
        assert [r.pk for r in page.rows] == [r.pk for r in first.rows]


# --- The form ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"facture_du": "2026-05-01", "facture_au": "2026-04-30"}, "facture_au", "postérieure à la date « du »"),
        ({"depot_du": "02/05/2026", "depot_au": "01/05/2026"}, "depot_au", "postérieure à la date « du »"),
        ({"facture_du": "31/02/2026"}, "facture_du", "Saisissez une date valide"),
        ({"montant_min": "20", "montant_max": "10,5"}, "montant_max", "supérieur ou égal au montant « de »"),
        ({"montant_min": "douze"}, "montant_min", "Saisissez un montant"),
        ({"montant_max": "-5"}, "montant_max", "ne peut pas être négatif"),
        ({"montant_max": "1,234"}, "montant_max", "Au plus 2 décimales"),
        ({"destinataire": "11"}, "destinataire", "au moins 3 chiffres"),
        ({"destinataire": "1234567890123456"}, "destinataire", "14 chiffres"),
        ({"destinataire": "a"}, "destinataire", "au moins 2 caractères"),
        ({"numero": "x" * 21}, "numero", "Au plus 20 caractères"),
        ({"statut": ["INCONNU"]}, "statut", "Sélectionnez un choix valide"),
        ({"type": "DEVIS"}, "type", "Sélectionnez un choix valide"),
    ],
)
def test_bad_criteria_get_a_french_message_on_their_field(supplier, data, field, message):
    form = InvoiceSearchForm(data, supplier=supplier)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_an_unknown_sort_falls_back_to_the_default_without_an_error(supplier):
    form = InvoiceSearchForm({"tri": "-inconnu"}, supplier=supplier)
    assert form.is_valid() and form.sort() == ("creation", True)
    assert InvoiceSearchForm({"tri": "montant"}, supplier=supplier).sort() == ("montant", False)


def test_the_archives_form_offers_the_end_statuses_only(supplier):
    form = InvoiceSearchForm({}, supplier=supplier, archives=True)
    assert {value for value, _label in form.fields["statut"].choices} == set(END_STATUSES)
    assert "onglet" not in form.fields
    assert not InvoiceSearchForm({"statut": ["SUSPENDUE"]}, supplier=supplier, archives=True).is_valid()


def test_the_service_criterion_offers_the_supplier_services_only(supplier):
    assert "service" not in InvoiceSearchForm({}, supplier=supplier).fields
    mine = ServiceFactory(structure=supplier, code="AG-1")
    theirs = ServiceFactory(structure=StructureFactory(), code="AG-2")
    assert InvoiceSearchForm({"service": str(mine.pk)}, supplier=supplier).is_valid()
    form = InvoiceSearchForm({"service": str(theirs.pk)}, supplier=supplier)
    assert not form.is_valid() and "services de votre structure" in form.errors["service"][0]


# --- Pages ------------------------------------------------------------------------------------------


def test_rechercher_shows_the_tabs_criteria_and_results(logged, supplier):
    make(supplier, number="VU-1", status=Status.SUSPENDUE, amount_ttc=Decimal("1234.50"))
    page = html(logged.get(reverse("invoices:list")))
    assert re.search(r'<a href="/factures/" aria-current="page">Rechercher</a>', page)
    for url_name, label in [("create", "Saisir facture"), ("deposit", "Dépôt factures"), ("archives", "Archives")]:
        assert f'<a href="{reverse("invoices:" + url_name)}">{label}</a>' in page
    assert 'method="get"' in page and 'name="numero"' in page
    assert "1 résultat" in page
    invoice = Invoice.objects.get(number="VU-1")
    # The number is the link to the invoice; no Actions column any more.
    assert f'<a class="fr-link" href="{reverse("invoices:detail", args=[invoice.pk])}">VU-1</a>' in page
    assert "Actions" not in page
    assert "1\u202f234,50\u00a0€" in page and "Suspendue" in page
    assert "aria-pressed" not in page


def test_the_tab_bar_is_on_the_deposit_and_entry_pages(logged, supplier):
    deposit = html(logged.get(reverse("invoices:deposit")))
    assert '<a href="/factures/deposer/" aria-current="page">Dépôt factures</a>' in deposit
    supplier.mandate_accepted_at = timezone.now()
    supplier.save()
    entry = html(logged.get(reverse("invoices:create")))
    assert '<a href="/factures/saisir/" aria-current="page">Saisir facture</a>' in entry


def test_criteria_stay_in_the_url_in_the_form_and_in_sort_and_page_links(logged, supplier):
    for n in range(25):
        make(supplier, number=f"K-{n:02d}", engagement_number="EJ-9", amount_ttc=Decimal(n))
    make(supplier, number="HORS-1", engagement_number="EJ-0")
    url = reverse("invoices:list") + "?ej=EJ-9&tri=-montant"
    page = html(logged.get(url))
    assert 'name="ej" value="EJ-9"' in page
    assert "25 résultats" in page and "HORS-1" not in page
    assert '<th scope="col" class="chorus-amount" aria-sort="descending">' in page
    assert page.count("aria-sort=") == 1
    assert "K-24" in page and "K-04" not in page
    ascending_link = re.search(r'href="([^"]+)">Montant TTC', page).group(1)
    assert "ej=EJ-9" in ascending_link and "tri=montant" in ascending_link
    next_link = re.search(r'href="([^"]+)">Page suivante', page).group(1)
    assert "ej=EJ-9" in next_link and "tri=-montant" in next_link and "apres=" in next_link
    second = html(logged.get(reverse("invoices:list") + next_link))
    assert "K-04" in second and "K-24" not in second and "K-05" not in second
    assert "Page précédente</a>" in second
    previous_link = re.search(r'href="([^"]+)">Page précédente', second).group(1)
    assert "avant=" in previous_link
    back = html(logged.get(reverse("invoices:list") + previous_link))
    assert "K-24" in back and "K-05" in back and "K-04" not in back
    # A new search (the form) starts from the first page: the cursor is not a field of the form.
    assert 'name="apres"' not in second


def test_bad_criteria_show_their_messages_and_no_results(logged, supplier):
    make(supplier, number="R-1")
    response = logged.get(reverse("invoices:list") + "?facture_du=2026-05-01&facture_au=2026-04-01&montant_min=abc")
    assert response.status_code == 200
    page = html(response)
    assert "Corrigez les critères signalés" in page
    assert "La date « au » doit être égale ou postérieure à la date « du »." in page
    assert "Saisissez un montant, par exemple 1 234,56." in page
    assert "fr-input fr-input--error" in page and 'aria-invalid="true"' in page
    assert "R-1" not in page and "résultats" not in page


def form_rendered(client, url) -> tuple[str, bool]:
    """The page, and whether the criteria form was rendered for it (not read from the cache)."""
    response = client.get(url)
    return html(response), "invoices/includes/search_form.html" in [t.name for t in response.templates]


def test_the_criteria_form_is_rendered_once_per_set_of_criteria(logged, supplier, member):
    make(supplier, number="F-1")
    url = reverse("invoices:list")
    first, rendered = form_rendered(logged, url + "?numero=F-1&montant_min=abc")
    assert rendered and 'value="F-1"' in first and "Saisissez un montant, par exemple 1 234,56." in first
    assert "Corrigez les critères signalés" in first and "Aucun résultat" not in first
    again, rendered = form_rendered(logged, url + "?numero=F-1&montant_min=abc")
    assert not rendered
    assert "Corrigez les critères signalés" in again and 'href="#id_montant_min"' in again

    def form_of(page):
        return page[page.index('<form method="get"') : page.index("</form>", page.index('<form method="get"'))]

    assert form_of(again) == form_of(first)
    # A cursor is not a criterion; other criteria, the archives or a new service are another form.
    assert not form_rendered(logged, url + "?numero=F-1&montant_min=abc&apres=12")[1]
    assert form_rendered(logged, url + "?numero=F-2")[1]
    assert form_rendered(logged, reverse("invoices:archives") + "?numero=F-1&montant_min=abc")[1]
    ServiceFactory(structure=supplier, code="NOUVEAU-SERVICE", name="Service créé à l'instant")
    page, rendered = form_rendered(logged, url + "?numero=F-1&montant_min=abc")
    assert rendered and "NOUVEAU-SERVICE" in page


def test_kept_criteria_are_neither_built_nor_validated_again_and_still_filter(logged, supplier, monkeypatch):
    make(supplier, number="K-1")
    make(supplier, number="K-2")
    url = reverse("invoices:list") + "?numero=K-2"
    assert "1 résultat" in html(logged.get(url))
    built = []
    original = InvoiceSearchForm.__init__
    monkeypatch.setattr(InvoiceSearchForm, "__init__", lambda self, *a, **k: built.append(1) or original(self, *a, **k))
    page = html(logged.get(url))
    assert built == []  # the kept criteria
    assert "1 résultat" in page and ">K-2</a>" in page and ">K-1</a>" not in page
    page = html(logged.get(reverse("invoices:list") + "?numero=K-1"))
    assert built == [1] and ">K-1</a>" in page and ">K-2</a>" not in page


def test_the_count_is_capped(logged, supplier, monkeypatch):
    monkeypatch.setattr("invoices.views.listing.COUNT_CAP", 3)
    for n in range(5):
        make(supplier, number=f"C-{n}")
    assert "Plus de 3 résultats" in html(logged.get(reverse("invoices:list")))


def test_empty_results_and_empty_archives(logged, supplier):
    assert "Aucune facture pour le moment" in html(logged.get(reverse("invoices:list")))
    assert "Aucune facture archivée" in html(logged.get(reverse("invoices:archives")))
    make(supplier, number="E-1")
    page = html(logged.get(reverse("invoices:list") + "?numero=ZZZ"))
    assert "Aucun résultat" in page and "Aucune facture ne correspond à ces critères." in page
    assert "Exporter en CSV" not in page


def test_archives_list_end_statuses_with_the_same_form(logged, supplier):
    make(supplier, number="PAYEE-1", status=Status.MISE_EN_PAIEMENT)
    make(supplier, number="REJET-1", status=Status.REJETEE)
    make(supplier, number="EN-COURS-1", status=Status.MISE_A_DISPOSITION)
    make(StructureFactory(), number="AUTRE-9", status=Status.REJETEE)
    page = html(logged.get(reverse("invoices:archives")))
    assert '<a href="/factures/archives/" aria-current="page">Archives</a>' in page
    assert "PAYEE-1" in page and "REJET-1" in page
    assert "EN-COURS-1" not in page and "AUTRE-9" not in page
    assert 'name="onglet"' not in page and 'value="SUSPENDUE"' not in page
    only_rejected = html(logged.get(reverse("invoices:archives") + "?statut=REJETEE"))
    assert "REJET-1" in only_rejected and "PAYEE-1" not in only_rejected


def test_a_user_without_structure_and_anonymous_users(client):
    from tests.accounts.factories import UserFactory

    for name in ("invoices:list", "invoices:archives", "invoices:export", "invoices:archives_export"):
        assert "/compte/" in client.get(reverse(name))["Location"]
    client.force_login(UserFactory())
    for name in ("invoices:list", "invoices:archives", "invoices:export", "invoices:archives_export"):
        assert client.get(reverse(name))["Location"] == reverse("structures:home")


def test_another_structures_invoice_is_neither_listed_nor_reachable(logged, supplier):
    theirs = make(StructureFactory(), number="SECRET-1", engagement_number="EJ-S")
    assert "SECRET-1" not in html(logged.get(reverse("invoices:list") + "?ej=EJ-S"))
    assert "SECRET-1" not in b"".join(logged.get(reverse("invoices:export")).streaming_content).decode()
    assert logged.get(reverse("invoices:detail", args=[theirs.pk])).status_code == 404


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
    # The savepoint of the request's transaction (ATOMIC_REQUESTS) is not a read.
    return len([q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])


def test_a_deep_page_costs_the_same_queries_as_the_first(logged, supplier):
    ServiceFactory(structure=supplier)
    for n in range(45):
        make(supplier, number=f"Q-{n:02d}", status=Status.REJETEE if n % 2 else Status.MISE_A_DISPOSITION)
    first_url = reverse("invoices:list") + "?tri=numero"
    first = queries(logged, first_url)
    page = html(logged.get(first_url))
    second_url = reverse("invoices:list") + re.search(r'href="([^"]+)">Page suivante', page).group(1)
    page = html(logged.get(second_url))
    third_url = reverse("invoices:list") + re.search(r'href="([^"]+)">Page suivante', page).group(1)
    assert queries(logged, second_url) == first == queries(logged, third_url)
    # Session, user, memberships, the supplier's services, the page, the capped count.
    assert first == 5  # user, memberships, services, page, capped count (the session is cached)


# --- CSV export ---------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_export_streams_every_matching_row_for_excel(logged, supplier, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)  # several keyset chunks
    monkeypatch.setattr(exports, "ROWS_PER_WRITE", 3)
    recipient = StructureFactory(public=True, name="Ministère ; « test »")
    for n in range(11):
        make(
            supplier,
            number=f"X-{n:02d}",
            recipient=recipient,
            amount_ht=Decimal("1000.00"),
            amount_tva=Decimal("200.00"),
            amount_ttc=Decimal("1234.56") + n,
            engagement_number="EJ-7",
            status=Status.MISE_EN_PAIEMENT,
        )
    make(supplier, number="=CMD()", engagement_number="EJ-7", status=Status.BROUILLON, amount_ttc=None)
    make(supplier, number="AUTRE-EJ", engagement_number="EJ-8")
    response = logged.get(reverse("invoices:export") + "?ej=EJ-7&tri=-montant")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="factures-{supplier.identifier}.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = read_csv(response)
    assert rows[0] == exports.HEADER and rows[0][:3] == ["Identifiant", "N° de facture", "Type"]
    assert len(rows) == 1 + 12
    numbers = [row[1] for row in rows[1:]]
    assert numbers[:11] == [f"X-{n:02d}" for n in reversed(range(11))]
    assert numbers[11] == "'=CMD()"  # never an Excel formula; the undated draft comes last
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Montant TTC"] == "1244,56" and first["Montant HT"] == "1000,00"
    assert first["Destinataire"] == "Ministère ; « test »"
    assert first["Statut"] == "Mise en paiement" and first["Code cycle de vie"] == "212"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", first["Date de facture"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", first["Déposée le"])
    assert "AUTRE-EJ" not in numbers


def test_the_archives_export_and_an_export_with_bad_criteria(logged, supplier):
    make(supplier, number="P-1", status=Status.MISE_EN_PAIEMENT)
    make(supplier, number="O-1", status=Status.MISE_A_DISPOSITION)
    response = logged.get(reverse("invoices:archives_export"))
    assert response["Content-Disposition"] == f'attachment; filename="archives-{supplier.identifier}.csv"'
    assert [row[1] for row in read_csv(response)[1:]] == ["P-1"]
    bad = logged.get(reverse("invoices:export") + "?montant_min=x")
    assert bad.status_code == 200 and not bad.streaming
    assert "Saisissez un montant" in html(bad)


def test_the_page_links_to_the_export_of_the_same_search(logged, supplier):
    make(supplier, number="L-1", cadre=Cadre.A2)
    page = html(logged.get(reverse("invoices:list") + "?cadre=A2&tri=numero"))
    link = re.search(r'href="([^"]+)">Exporter en CSV', page).group(1)
    assert link.startswith(reverse("invoices:export") + "?") and "cadre=A2" in link and "tri=numero" in link


def test_the_late_criterion_keeps_running_clocks_past_their_due_date(supplier, logged):
    today = timezone.localdate()
    make(supplier, number="RETARD", status=Status.MISE_A_DISPOSITION, payment_due_on=today - timedelta(days=3))
    make(supplier, number="A-TEMPS", status=Status.MISE_A_DISPOSITION, payment_due_on=today + timedelta(days=3))
    make(
        supplier,
        number="PAYEE",
        status=Status.MISE_EN_PAIEMENT,
        payment_due_on=today - timedelta(days=3),
        payment_stopped_on=today - timedelta(days=1),
    )
    make(supplier, number="SANS-HORLOGE", status=Status.DEPOSEE)
    assert search(supplier, en_retard=True) == {"RETARD"}
    assert search(supplier) == {"RETARD", "A-TEMPS", "PAYEE", "SANS-HORLOGE"}
    other = StructureFactory()
    make(other, number="AUTRE-RETARD", status=Status.MISE_A_DISPOSITION, payment_due_on=today - timedelta(days=9))
    page = html(logged.get(reverse("invoices:list"), {"en_retard": "on"}))
    assert "RETARD" in page and "A-TEMPS" not in page and "PAYEE" not in page and "AUTRE-RETARD" not in page
    assert 'name="en_retard"' in page
    assert 'name="en_retard"' not in html(logged.get(reverse("invoices:archives")))


def test_a_result_on_one_page_is_not_counted_again(logged, supplier):
    """The count is the number of rows when the whole result is on the first page; otherwise the
    capped COUNT runs."""
    from invoices.views.listing import PAGE_SIZE

    for n in range(3):
        make(supplier, number=f"U-{n}")
    with CaptureQueriesContext(connection) as queries:
        page = html(logged.get(reverse("invoices:list")))
    assert "3 résultats" in page
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    for n in range(PAGE_SIZE):
        make(supplier, number=f"V-{n}")
    with CaptureQueriesContext(connection) as queries:
        page = html(logged.get(reverse("invoices:list")))
    assert f"{PAGE_SIZE + 3} résultats" in page
    assert [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_count_by_statuses_and_amount_reads_the_status_index_alone(requires_postgres, supplier):
    """The capped count of a search by statuses and a minimal amount reads the entries of those
    statuses in ``invoice_supplier_status_idx``, which carries the amount: an index-only scan. At
    1 M invoices it read 6,872 entries of the supplier's ``(supplier, sent_at)`` index to keep
    1,001 (PostgreSQL 1.7 to 4 ms)."""
    for status in (Status.MISE_A_DISPOSITION, Status.SUSPENDUE, Status.MISE_EN_PAIEMENT):
        make(supplier, status=status, amount_ttc=Decimal("150"))
    form = InvoiceSearchForm(
        {"statut": [Status.MISE_A_DISPOSITION, Status.SUSPENDUE], "montant_min": "100"}, supplier=supplier
    )
    assert form.is_valid(), form.errors
    rows = invoice_search.SearchRows(supplier.pk, selectors.search_bounds(form.criteria()), archives=False)
    with CaptureQueriesContext(connection) as queries:
        assert rows.count(1001) == 2
    (sql,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # tiny tables: no sequential or bitmap scan
        cursor.execute("SET enable_bitmapscan = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")
    assert "Index Only Scan using invoice_supplier_status_idx" in plan, plan
