"""The connected home page (Accueil connecté, invoices/home.py and views/home.py): what waits for a
supplier, linked to the matching Rechercher search; the feed of the user's structures (invoice
events, attachment decisions, support answers) and nothing of another structure; the news and their
end date; a page fitting a ministry agent, support and a user without structure; bounded queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import News
from invoices import home
from invoices.models import InvoiceEvent
from invoices.services import sollicitation_answer
from invoices.workflow import Actor, Status
from structures import services as structure_services
from structures.models import Membership
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory, SollicitationFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db

URL = "/accueil/"


@pytest.fixture
def member():
    return MembershipFactory(manager=True, structure=StructureFactory(name="Menuiserie Martin SARL"))


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def event(invoice, to_status, *, from_status=Status.MISE_A_DISPOSITION, minutes_ago=0, **kwargs):
    return InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="",
        from_status=from_status,
        to_status=to_status,
        actor_kind=Actor.RECIPIENT.value,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **kwargs,
    )


def waiting_block(page: str, key: str) -> str:
    return page.split(f'id="attente-{key}"')[1].split("</li>")[0]


def test_the_url_keeps_its_name_and_needs_a_login(client):
    assert reverse("accounts:dashboard") == URL
    response = client.get(URL)
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_waiting_counts_link_to_the_matching_search(logged, member):
    supplier = member.structure
    for status, n in [(Status.A_RECYCLER, 2), (Status.SUSPENDUE, 1), (Status.REJETEE, 3), (Status.BROUILLON, 4)]:
        for _ in range(n):
            InvoiceFactory(supplier=supplier, sent=status != Status.BROUILLON, status=status)
    acknowledged = InvoiceFactory(supplier=supplier, sent=True, status=Status.REJETEE)
    acknowledged.rejection_acknowledged_at = timezone.now()
    acknowledged.save()
    InvoiceFactory(status=Status.SUSPENDUE, sent=True)  # another supplier's
    page = html(logged.get(URL))
    expected = {"a_recycler": 2, "suspendues": 1, "rejets": 3, "brouillons": 4}
    for key, count in expected.items():
        block = waiting_block(page, key)
        assert f'chorus-waiting__count">{count}</span>' in block
        link = re.search(r'href="([^"]+)"', block).group(1).replace("&amp;", "&")
        assert link.startswith("/factures/?")
        # The search behind the link lists exactly the invoices counted.
        results = html(logged.get(link))
        assert f"{count} résultat" in results, (key, link)
    assert "Déposer une facture" in page and "Saisir une facture" in page


def test_counts_are_capped(logged, member, monkeypatch):
    monkeypatch.setattr(home, "COUNT_CAP", 2)
    for _ in range(3):
        InvoiceFactory(supplier=member.structure)
    assert 'chorus-waiting__count">plus de 2</span>' in waiting_block(html(logged.get(URL)), "brouillons")


def test_feed_shows_status_changes_of_the_structure_only(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, sent=True, number="MM-0042", status=Status.SUSPENDUE)
    event(invoice, Status.SUSPENDUE, minutes_ago=5)
    credit = InvoiceFactory(supplier=member.structure, sent=True, number="AV-7", invoice_type="AVOIR")
    event(credit, Status.MISE_EN_PAIEMENT, from_status=Status.SERVICE_FAIT, minutes_ago=1)
    other = InvoiceFactory(sent=True, number="AUTRE-1")
    event(other, Status.REJETEE)
    page = html(logged.get(URL))
    feed = page.split('id="fil-evenements"')[1].split("</ol>")[0]
    assert (
        f'href="/factures/{invoice.pk}/">Facture MM-0042</a> : Mise à disposition du destinataire → Suspendue' in feed
    )
    assert invoice.identifier in feed
    assert f'href="/factures/{credit.pk}/">Avoir AV-7</a> : Service fait → Mise en paiement' in feed
    assert feed.index("AV-7") < feed.index("MM-0042")  # newest first
    assert "AUTRE-1" not in page


def test_feed_reads_at_most_the_latest_events(logged, member, monkeypatch):
    monkeypatch.setattr(home, "FEED_SIZE", 3)
    invoice = InvoiceFactory(supplier=member.structure, sent=True, number="MM-1")
    for minutes in range(5):
        event(invoice, Status.SERVICE_FAIT, minutes_ago=minutes)
    page = html(logged.get(URL))
    assert page.count('class="chorus-feed__item chorus-feed__item--facture"') == 3


def test_feed_shows_attachment_decisions_and_support_answers(client, member):
    user = UserFactory()
    request = structure_services.membership_request(user=user, structure=member.structure)
    structure_services.membership_refuse(membership=request, actor=member.user, comment="Inconnu du service")
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user, subject="PDF refusé")
    staff = UserFactory(is_staff=True, is_superuser=True)
    sollicitation_answer(sollicitation=sollicitation, staff=staff, body="Déposez un PDF texte.")
    other = SollicitationFactory(subject="Question d'ailleurs")
    sollicitation_answer(sollicitation=other, staff=staff, body="Réponse ailleurs.")

    client.force_login(user)
    page = html(client.get(URL))
    assert f"Votre demande de rattachement à {member.structure.name} a été refusée." in page
    assert "Inconnu du service" in page
    assert "PDF refusé" not in page  # not a member: not their structure's sollicitation

    client.force_login(member.user)
    page = html(client.get(URL))
    assert f'href="/sollicitations/{sollicitation.pk}/">Sollicitation n° {sollicitation.pk}</a>' in page
    assert "Le support a répondu : « PDF refusé »" in page and "Déposez un PDF texte." in page
    assert "Question d'ailleurs" not in page


def test_feed_names_the_structure_when_the_user_has_several(logged, member):
    second = MembershipFactory(user=member.user, structure=StructureFactory(name="Atelier Bois SAS"))
    event(InvoiceFactory(supplier=second.structure, sent=True, number="AB-1"), Status.SERVICE_FAIT)
    event(InvoiceFactory(supplier=member.structure, sent=True, number="MM-1"), Status.SERVICE_FAIT)
    page = html(logged.get(URL))
    assert "AB-1" in page and "MM-1" in page
    assert "· Atelier Bois SAS" in page and "· Menuiserie Martin SARL" in page


def test_news_published_until_their_end_date(logged):
    now = timezone.now()
    News.objects.create(title="Nouveauté en cours", body="Texte.")
    News.objects.create(title="Nouveauté jusqu'à demain", body="Texte.", published_until=now + timedelta(days=1))
    News.objects.create(
        title="Nouveauté expirée",
        body="Texte.",
        published_at=now - timedelta(days=3),
        published_until=now - timedelta(days=1),
    )
    News.objects.create(title="Nouveauté future", body="Texte.", published_at=now + timedelta(days=1))
    News.objects.create(title="Nouveauté retirée", body="Texte.", is_published=False)
    page = html(logged.get(URL))
    assert "Nouveauté en cours" in page and "Nouveauté jusqu'à demain" in page
    for hidden in ("Nouveauté expirée", "Nouveauté future", "Nouveauté retirée"):
        assert hidden not in page


def test_news_end_date_must_follow_its_start():
    from django.core.exceptions import ValidationError

    now = timezone.now()
    news = News(title="T", body="B", published_at=now, published_until=now - timedelta(hours=1))
    with pytest.raises(ValidationError) as raised:
        news.full_clean()
    assert raised.value.message_dict["published_until"] == [
        "La fin de publication doit être postérieure à la date de publication."
    ]


def test_an_agent_gets_the_received_invoices_and_no_supplier_action(client):
    ministry = StructureFactory(public=True, name="Ministère de l'Intérieur")
    agent = MembershipFactory(structure=ministry, user=UserFactory(is_staff=True))
    for status, n in [(Status.MISE_A_DISPOSITION, 2), (Status.COMPLETEE, 1)]:
        for _ in range(n):
            InvoiceFactory(recipient=ministry, sent=True, status=status)
    InvoiceFactory(sent=True, status=Status.MISE_A_DISPOSITION)  # another recipient's
    client.force_login(agent.user)
    page = html(client.get(URL))
    assert "Factures reçues à traiter" in page
    assert '/admin/invoices/invoice/?statut=MISE_A_DISPOSITION">' in page
    assert re.search(r'chorus-waiting__count">2</span>\s*<span class="chorus-waiting__label">Mise à disposition', page)
    assert re.search(r'chorus-waiting__count">1</span>\s*<span class="chorus-waiting__label">Complétée', page)
    for supplier_only in ("Déposer une facture", "Saisir une facture", "Ce qui vous attend", "Factures émises"):
        assert supplier_only not in page, supplier_only
    # Ma structure offers no mandat de facturation to a recipient, and its page is not there.
    structure_page = html(client.get(reverse("structures:home")))
    assert "Accepter le mandat de facturation" not in structure_page and "Destinataire public" in structure_page
    assert client.get(reverse("structures:mandate")).status_code == 404


def test_support_sees_the_sollicitations_waiting(client):
    SollicitationFactory()
    SollicitationFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = html(client.get(URL))
    assert "2 sollicitations en attente d'une réponse du support" in page
    assert "Ce qui vous attend" not in page


def test_a_user_without_structure_is_guided(client):
    client.force_login(UserFactory())
    page = html(client.get(URL))
    assert "Rattachez-vous à votre structure" in page and 'href="/structures/"' in page
    assert "Ce qui vous attend" not in page and "Déposer une facture" not in page


def test_queries_do_not_grow_with_the_invoices(logged, member, django_assert_max_num_queries):
    MembershipFactory(structure=member.structure, pending=True)
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user)
    sollicitation_answer(sollicitation=sollicitation, staff=UserFactory(is_superuser=True, is_staff=True), body="R")
    News.objects.create(title="N", body="B")
    for n in range(30):
        invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.SUSPENDUE, number=f"Q-{n}")
        event(invoice, Status.SUSPENDUE, motif=None)
    logged.get(URL)  # session stored
    # Session (from the cache), user, memberships, pending requests, the four counts (one query),
    # invoice events, attachment decisions with support answers and news (one query).
    with django_assert_max_num_queries(6):
        page = html(logged.get(URL))
    assert page.count("chorus-feed__item--facture") == home.FEED_SIZE
    assert Membership.objects.filter(structure=member.structure).count() == 2


OLD_FEED = """{% for item in feed %}
        <li class="chorus-feed__item chorus-feed__item--{{ item.kind }}">
          <p class="chorus-feed__when"><time datetime="{{ item.at|date:'c' }}">{{ item.at|date:"d/m/Y à H:i" }}</time> · {{ item.kind_label }}{% if item.structure %} · {{ item.structure }}{% endif %}</p>
          <p class="chorus-feed__what"><a href="{{ item.url }}">{{ item.link_text }}</a> : {{ item.text }}</p>
          {% if item.detail %}<p class="chorus-feed__detail">{{ item.detail }}</p>{% endif %}
        </li>
        {% endfor %}"""


def test_the_feed_written_in_python_is_the_templates(member, motifs):
    """``home.feed_html`` gives, byte for byte, what the loop of templates/invoices/home.html gave:
    times in the portal's time zone (23:30 UTC is the next day in Paris), values escaped."""
    from datetime import UTC, datetime

    from django.template import engines

    second = MembershipFactory(user=member.user, structure=StructureFactory(name="Atelier <Dupont> & fils"))
    invoice = InvoiceFactory(supplier=member.structure, sent=True, number='N°"1" <b>', status=Status.SUSPENDUE)
    event(invoice, Status.SUSPENDUE, minutes_ago=5, motif=next(iter(motifs.values())))
    late_night = event(invoice, Status.SERVICE_FAIT, minutes_ago=3)
    InvoiceEvent.objects.filter(pk=late_night.pk).update(created_at=datetime(2026, 1, 31, 23, 30, 15, 123456, UTC))
    credit = InvoiceFactory(supplier=second.structure, sent=True, number="AV-7", invoice_type="AVOIR")
    event(credit, Status.REJETEE, from_status=Status.REJETEE, minutes_ago=2)
    event(credit, Status.REJETEE, from_status=Status.REJETEE, minutes_ago=1, comment="Vu <le> rejet")
    user = UserFactory()
    request = structure_services.membership_request(user=user, structure=member.structure)
    structure_services.membership_refuse(membership=request, actor=member.user, comment="Inconnu & <absent>")
    sollicitation = SollicitationFactory(structure=member.structure, author=member.user, subject="PDF « refusé » <x>")
    sollicitation_answer(
        sollicitation=sollicitation, staff=UserFactory(is_staff=True, is_superuser=True), body="A" * 300
    )

    for who, suppliers in ((member.user, [member.structure, second.structure]), (user, [])):
        items = home.feed(who, suppliers=suppliers, structure_ids=[s.pk for s in suppliers])
        assert items
        expected = engines["django"].from_string(OLD_FEED).render({"feed": items})
        assert home.feed_html(items) == expected
    assert "01/02/2026 à 00:30" in home.feed_html(
        home.feed(member.user, suppliers=[member.structure], structure_ids=[])
    )


def _former_invoice_events(structures, limit):
    """``home.invoice_events`` as it was, on model instances (the reference of the values read)."""
    from django.utils.translation import gettext as _

    from invoices import workflow

    items = []
    for structure in structures[: home.FEED_STRUCTURES]:
        events = (
            InvoiceEvent.objects.filter(supplier=structure)
            .select_related("invoice", "motif")
            .order_by("-created_at", "-id")[:limit]
        )
        for event in events:
            invoice = event.invoice
            kind = _("Avoir") if invoice.invoice_type == "AVOIR" else _("Facture")
            if event.changes_status:
                text = _("%(old)s → %(new)s") % {
                    "old": workflow.status_label(event.from_status),
                    "new": workflow.status_label(event.to_status),
                }
            elif event.to_status == Status.REJETEE:
                text = _("Rejet traité")
            else:
                text = event.comment or _("Événement sans changement de statut")
            details = [f"{invoice.identifier}" if invoice.identifier else ""]
            if event.motif_id:
                details.append(_("motif : %(motif)s") % {"motif": event.motif.label})
            items.append(
                home.FeedItem(
                    at=event.created_at,
                    kind="facture",
                    kind_label=kind,
                    link_text=f"{kind} {invoice.number or _('(sans numéro)')}",
                    url=reverse("invoices:detail", args=[invoice.pk]),
                    text=text,
                    detail=" · ".join(d for d in details if d),
                    status=event.to_status if event.changes_status else "",
                    structure=structure.name if len(structures) > 1 else "",
                )
            )
    return items


def test_the_invoice_events_read_as_values_are_those_of_the_models(member, motifs):
    second = StructureFactory(name="Atelier Dupont")
    invoice = InvoiceFactory(supplier=member.structure, sent=True, number="N-1", status=Status.SUSPENDUE)
    event(invoice, Status.SUSPENDUE, minutes_ago=5, motif=next(iter(motifs.values())))
    event(invoice, Status.REJETEE, from_status=Status.REJETEE, minutes_ago=4)
    event(invoice, Status.SUSPENDUE, from_status=Status.SUSPENDUE, minutes_ago=3, comment="Complétée")
    event(invoice, Status.SUSPENDUE, from_status=Status.SUSPENDUE, minutes_ago=2)
    draft = InvoiceFactory(supplier=second, number="", invoice_type="AVOIR")
    event(draft, Status.DEPOSEE, from_status=Status.BROUILLON, minutes_ago=1)
    for structures in ([member.structure], [member.structure, second], [second]):
        for limit in (2, 20):
            assert home.invoice_events(structures, limit=limit) == _former_invoice_events(structures, limit)
