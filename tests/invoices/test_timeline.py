"""The invoice page's history written in Python (``invoices/timeline.py``): byte for byte what the
loop of templates/invoices/invoice_detail.html rendered (kept here, ``OLD_TIMELINE``), for every
kind of event; the page reads no choice label through ``get_…_display`` and no user apart."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from invoices import timeline
from invoices.models import Invoice, InvoiceEvent
from invoices.selectors import invoice_history
from invoices.status_texts import status_text
from invoices.views.detail import event_actor
from invoices.workflow import Actor, Status
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OLD_TIMELINE = """{% for entry in timeline %}{% with event=entry.event %}<li>
    <time class="chorus-timeline__when" datetime="{{ event.created_at|date:'c' }}">Le {{ event.created_at|date:"d/m/Y à H:i" }}</time>
    <p class="chorus-timeline__what">{% if event.changes_status %}{{ event.get_from_status_display }}{% if event.from_reform_code %} ({{ event.from_reform_code }}){% endif %} → <strong>{{ event.get_to_status_display }}</strong>{% if event.to_reform_code %} ({{ event.to_reform_code }}){% endif %}{% else %}{{ event.get_to_status_display }} : {% if event.transition %}{{ event.get_transition_display }}{% else %}rejet traité{% endif %}{% endif %}</p>
    <p class="fr-text--sm">Par {{ entry.actor }}</p>
    {% if event.motif %}<p>Motif : {{ event.motif.label }}</p>{% endif %}
    {% if event.comment %}<p>Commentaire : {{ event.comment|linebreaksbr }}</p>{% endif %}
    {% if event.mandate_number %}<p>N° de mandat : {{ event.mandate_number }}</p>{% endif %}
    {% if event.changes_status %}<p class="fr-text--sm">{{ entry.meaning }}</p>{% endif %}
  </li>{% endwith %}{% endfor %}"""


@pytest.fixture
def member():
    return MembershipFactory()


def add(invoice, from_status, to_status, *, transition="", minutes_ago=0, **fields) -> InvoiceEvent:
    return InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition=transition,
        from_status=from_status,
        to_status=to_status,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **{"actor_kind": Actor.RECIPIENT.value, **fields},
    )


def entries(invoice) -> list[dict]:
    """The view's timeline (invoices/views/detail.py)."""
    events = invoice_history(invoice)
    return [{"event": e, "actor": event_actor(e), "meaning": status_text(e.to_status).meaning} for e in events]


def test_the_timeline_is_that_of_the_template(member, motifs):
    agent = UserFactory(first_name='Zoé "<b>"', last_name="& Cie")
    invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.MISE_EN_PAIEMENT)
    add(
        invoice,
        Status.BROUILLON,
        Status.DEPOSEE,
        transition="envoyer",
        minutes_ago=9,
        actor_kind=Actor.SUPPLIER.value,
        user=member.user,
    )
    add(
        invoice,
        Status.DEPOSEE,
        Status.EN_COURS_ACHEMINEMENT,
        transition="acheminer",
        minutes_ago=8,
        actor_kind=Actor.SYSTEM.value,
    )
    add(
        invoice,
        Status.MISE_A_DISPOSITION,
        Status.SUSPENDUE,
        transition="suspendre",
        minutes_ago=7,
        user=agent,
        motif=next(iter(motifs.values())),
        comment="Pièce manquante <x>\r\nbon de livraison & facture\n\nmerci",
    )
    add(invoice, Status.REJETEE, Status.REJETEE, minutes_ago=6, actor_kind=Actor.SUPPLIER.value, user=member.user)
    add(invoice, Status.SUSPENDUE, Status.SUSPENDUE, transition="completer", minutes_ago=5, comment="Voici")
    add(invoice, Status.SERVICE_FAIT, Status.MANDATEE, transition="mandater", minutes_ago=4, mandate_number="M<1>")
    add(invoice, Status.MANDATEE, Status.MISE_A_DISPOSITION_COMPTABLE, transition="", minutes_ago=3)
    midnight = add(invoice, Status.COMPTABILISEE, Status.MISE_EN_PAIEMENT, transition="mettre_en_paiement")
    InvoiceEvent.objects.filter(pk=midnight.pk).update(created_at=datetime(2026, 1, 31, 23, 30, 5, 123456, UTC))

    items = entries(invoice)
    assert len(items) == 8
    body = timeline.timeline_html(items)
    assert body == engines["django"].from_string(OLD_TIMELINE).render({"timeline": items})
    assert "Pièce manquante &lt;x&gt;<br>bon de livraison &amp; facture<br><br>merci" in body
    assert "Le 01/02/2026 à 00:30" in body and 'datetime="2026-02-01T00:30:05.123456+01:00"' in body


def test_choice_labels_are_those_of_get_display():
    invoice = InvoiceFactory()
    for field in ("cadre", "source_syntax", "payment_mode", "status", "invoice_type"):
        for value, _label in [*Invoice._meta.get_field(field).flatchoices, ("", ""), ("INCONNU", "")]:
            setattr(invoice, field, value)
            assert timeline.choice_label(Invoice, field, value) == getattr(invoice, f"get_{field}_display")()


def test_the_invoice_page_reads_no_label_through_get_display(client, member, motifs):
    invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.SUSPENDUE, sent_by=member.user)
    for minutes in range(6):
        add(invoice, Status.MISE_A_DISPOSITION, Status.SUSPENDUE, transition="suspendre", minutes_ago=minutes)
    client.force_login(member.user)
    url = reverse("invoices:detail", args=[invoice.pk])
    client.get(url)
    with mock.patch.object(Invoice, "_get_FIELD_display", autospec=True) as displays:
        with mock.patch.object(InvoiceEvent, "_get_FIELD_display", autospec=True) as event_displays:
            response = client.get(url)
    assert response.status_code == 200
    assert displays.call_count == 0 and event_displays.call_count == 0
    assert f"par {member.user.get_full_name()}" in response.content.decode()


def test_who_sent_the_invoice_is_read_with_it(client, member, django_assert_num_queries):
    sender = MembershipFactory(structure=member.structure).user
    invoice = InvoiceFactory(supplier=member.structure, sent=True, status=Status.DEPOSEE, sent_by=sender)
    client.force_login(member.user)
    url = reverse("invoices:detail", args=[invoice.pk])
    client.get(url)
    # The user (the session is in the cache), the invoice (its supplier, recipient, service and
    # sender), events, VAT lines with attachments and corrections (one query), memberships (the
    # navigation); the late-payment rates only for a late clock.
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert f"par {sender.get_full_name()}" in page


@pytest.mark.parametrize("trait", ["pending", "refused", "revoked"])
def test_the_invoice_page_is_for_active_members_only(client, trait):
    """The page checks access on the request's memberships (no subquery): the same rule as
    ``invoice_for_user``, an active membership of the invoice's supplier."""
    from django.http import Http404

    from invoices.selectors import invoice_for_user

    active = MembershipFactory()
    inactive = MembershipFactory(user=active.user, **{trait: True})
    mine = InvoiceFactory(supplier=active.structure, sent=True, status=Status.DEPOSEE)
    theirs = InvoiceFactory(supplier=inactive.structure, sent=True, status=Status.DEPOSEE)
    client.force_login(active.user)
    page = client.get(reverse("invoices:detail", args=[mine.pk]))
    assert page.status_code == 200 and active.structure.name in page.content.decode()
    assert client.get(reverse("invoices:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("invoices:detail", args=[987654])).status_code == 404
    with pytest.raises(Http404):  # the rule of every other page of the invoice
        invoice_for_user(user=active.user, invoice_id=theirs.pk)
    second = MembershipFactory(user=active.user)
    other = InvoiceFactory(supplier=second.structure, sent=True, status=Status.DEPOSEE)
    assert client.get(reverse("invoices:detail", args=[other.pk])).status_code == 200


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("entry", [False, True])
def test_the_invoice_page_reads_nothing_more_whatever_the_status(client, member, status, entry):
    """Only some columns of the recipient, its service and the sender are read: the page, in each
    status, typed or deposited, needs no other (a missing one would be one more query)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.structures.factories import ServiceFactory

    invoice = InvoiceFactory(
        supplier=member.structure, sent=status != Status.BROUILLON, status=status, entry=entry, sent_by=member.user
    )
    invoice.recipient_service = ServiceFactory(structure=invoice.recipient)
    invoice.save()
    client.force_login(member.user)
    url = reverse("invoices:detail", args=[invoice.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    # The user, the invoice, events, VAT lines with attachments and corrections (one query), typed
    # lines, memberships.
    assert len(queries.captured_queries) == (6 if entry else 5), [q["sql"][:120] for q in queries.captured_queries]
    assert invoice.recipient.name in page and invoice.recipient_service.code in page
