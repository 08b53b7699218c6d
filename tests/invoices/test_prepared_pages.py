"""The reads of the Synthèse, the Accueil connecté, the Liste fiscale and the invoice page prepared
by shape (their SQL compiled once per process, run with the request's values): the same rows as
the ORM's querysets they replace, on SQLite and on PostgreSQL, and another structure's invoices
never among them."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoices import figures, home
from invoices.models import Invoice
from invoices.workflow import Status
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return StructureFactory(name="Mon Entreprise")


@pytest.fixture
def other():
    return StructureFactory(name="Autre Entreprise")


def _sent(supplier, *, days_ago: int, status=Status.MISE_A_DISPOSITION, **kwargs):
    today = timezone.localdate()
    invoice = InvoiceFactory(
        supplier=supplier, sent=True, status=status, invoice_date=today - timedelta(days=days_ago), **kwargs
    )
    at = timezone.now() - timedelta(days=days_ago, minutes=invoice.pk)
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=at)
    return invoice


def _spread(supplier):
    today = timezone.localdate()
    for _ in range(7):
        InvoiceFactory(supplier=supplier)
    for n, status in enumerate([Status.SUSPENDUE, Status.REJETEE, Status.A_RECYCLER] * 3):
        _sent(supplier, days_ago=n, status=status)
    _sent(supplier, days_ago=2, status=Status.REJETEE, rejection_acknowledged_at=timezone.now())
    for n in range(4):
        _sent(
            supplier,
            days_ago=40 + n,
            payment_started_on=today - timedelta(days=40 + n),
            payment_due_on=today - timedelta(days=10 + n),
            amount_ttc=Decimal("120.00"),
        )
    _sent(supplier, days_ago=1, payment_started_on=today, payment_due_on=today + timedelta(days=30))


def _orm_summary(supplier, today):
    """The Synthèse's reads as the ORM made them before they were prepared."""
    drafts = Invoice.objects.filter(supplier=supplier, status=Status.BROUILLON)
    todo = figures.todo_invoices(supplier)
    drafts_count, late, *todo_counts = figures.capped_counts(
        [drafts, figures.late_invoices(supplier, today=today), *(todo.filter(status=s) for s in figures.TODO_STATUSES)]
    )
    by_status = [(Status(s), n) for s, n in zip(figures.TODO_STATUSES, todo_counts, strict=True)]
    return figures.Summary(
        drafts=drafts_count,
        latest_drafts=figures.listed(drafts.order_by("-created_at", "-id")[: figures.SUMMARY_ROWS]),
        recent=figures.listed(
            Invoice.objects.filter(supplier=supplier, sent_at__isnull=False).order_by("-sent_at")[
                : figures.SUMMARY_ROWS * 2
            ]
        ),
        todo_by_status=[(s, n) for s, n in by_status if n],
        todo=figures.listed(todo.order_by("-created_at", "-id")[: figures.SUMMARY_ROWS]),
        late=late,
    )


@pytest.mark.parametrize("days", [0, 12, 100])
def test_the_summary_is_the_orms(supplier, other, days):
    _spread(supplier)
    _spread(other)
    today = timezone.localdate() - timedelta(days=days)
    prepared = figures.summary(supplier, today=today)
    assert prepared == _orm_summary(supplier, today)
    assert prepared.latest_drafts and prepared.recent and prepared.todo
    assert all(i.supplier_id == supplier.pk for i in prepared.latest_drafts + prepared.recent + prepared.todo)
    # Another structure, the same compiled statements: its own rows only.
    assert figures.summary(other, today=today) == _orm_summary(other, today)


def test_an_empty_supplier_has_an_empty_summary(supplier, other):
    _spread(other)
    today = timezone.localdate()
    assert figures.summary(supplier, today=today) == _orm_summary(supplier, today)
    assert figures.summary(supplier, today=today).latest_drafts == []


def test_prepared_capped_counts_are_capped_like_capped_counts(supplier):
    _spread(supplier)
    today = timezone.localdate()
    build = lambda supplier_id, day: [  # noqa: E731
        Invoice.objects.filter(supplier=supplier_id),
        figures.late_invoices(supplier_id, today=day),
        Invoice.objects.filter(pk__in=[]),
    ]
    for cap in (1, 3, 1000):
        assert figures.prepared_capped_counts("test", build, [supplier.pk, today], cap=cap) == figures.capped_counts(
            build(supplier.pk, today), cap=cap
        )
    assert figures.prepared_capped_counts("test", build, [supplier.pk, datetime.now().date()])[
        2
    ] == figures.CappedCount(0, False)


# --- Accueil connecté ----------------------------------------------------------------------------


def _former_decisions(user, limit):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from structures.models import MembershipEvent

    events = (
        MembershipEvent.objects.filter(membership__user=user, action__in=list(home.MEMBERSHIP_DECISIONS))
        .select_related("membership__structure")
        .only("id", "action", "comment", "created_at", "membership__id", "membership__structure__name")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        home.FeedItem(
            at=e.created_at,
            kind="rattachement",
            kind_label=_("Rattachement"),
            link_text=_("Ma structure"),
            url=reverse("structures:home"),
            text=home.MEMBERSHIP_DECISIONS[e.action] % {"structure": e.membership.structure.name},
            detail=e.comment,
        )
        for e in events
    ]


def _former_answers(user, structure_ids, limit):
    from django.db.models import Q
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from invoices.models.sollicitations import MessageAuthor, SollicitationMessage

    visible = Q(sollicitation__structure__isnull=True, sollicitation__author=user)
    if structure_ids:
        visible |= Q(sollicitation__structure_id__in=structure_ids)
    messages = (
        SollicitationMessage.objects.filter(visible, author_kind=MessageAuthor.SUPPORT)
        .select_related("sollicitation")
        .only("id", "created_at", "body", "sollicitation__id", "sollicitation__subject")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        home.FeedItem(
            at=m.created_at,
            kind="sollicitation",
            kind_label=_("Sollicitation"),
            link_text=_("Sollicitation n° %(pk)s") % {"pk": m.sollicitation.pk},
            url=reverse("sollicitations:detail", args=[m.sollicitation.pk]),
            text=_("Le support a répondu : « %(subject)s »") % {"subject": m.sollicitation.subject},
            detail=home._shorten(m.body),
        )
        for m in messages
    ]


@pytest.fixture
def feed_world():
    """Two supplier structures with a manager each, a user refused by both, and support answers
    to a sollicitation of each structure and a personal one: ``(user, member, other)``."""
    from invoices.services import sollicitation_answer
    from structures import services as structure_services
    from tests.accounts.factories import UserFactory
    from tests.invoices.factories import SollicitationFactory
    from tests.structures.factories import MembershipFactory

    member = MembershipFactory(manager=True)
    other = MembershipFactory(manager=True)
    user = UserFactory()
    for manager, comment in ((member, "Inconnu"), (other, "")):
        request = structure_services.membership_request(user=user, structure=manager.structure)
        structure_services.membership_refuse(membership=request, actor=manager.user, comment=comment)
    staff = UserFactory(is_staff=True, is_superuser=True)
    mine = SollicitationFactory(structure=member.structure, author=member.user, subject="PDF refusé")
    personal = SollicitationFactory(structure=None, author=member.user, subject="Personnelle")
    elsewhere = SollicitationFactory(structure=other.structure, author=other.user, subject="Ailleurs")
    for n, sollicitation in enumerate([mine, personal, elsewhere, mine]):
        sollicitation_answer(sollicitation=sollicitation, staff=staff, body=f"Réponse {n} " + "x" * 200)
    return user, member, other


def test_the_feed_decisions_and_answers_are_the_orms(feed_world):
    from tests.accounts.factories import UserFactory

    user, member, other = feed_world
    for who in (user, member.user, other.user, UserFactory()):
        for limit in (1, 20):
            assert home.membership_decisions(who, limit=limit) == _former_decisions(who, limit)
            for ids in ([], [member.structure_id], [member.structure_id, other.structure_id]):
                assert home.support_answers(who, ids, limit=limit) == _former_answers(who, ids, limit)
    assert len(home.membership_decisions(user)) == 2
    assert {i.text for i in home.support_answers(member.user, [member.structure_id])} == {
        "Le support a répondu : « PDF refusé »",
        "Le support a répondu : « Personnelle »",
    }


def test_the_news_are_the_orms():
    from accounts.models import News

    now = timezone.now()
    News.objects.create(title="En cours", body="Texte.")
    News.objects.create(title="Jusqu'à demain", body="Texte.", published_until=now + timedelta(days=1))
    News.objects.create(
        title="Expirée", body="Texte.", published_at=now - timedelta(days=3), published_until=now - timedelta(days=1)
    )
    News.objects.create(title="Future", body="Texte.", published_at=now + timedelta(days=1))
    News.objects.create(title="Retirée", body="Texte.", is_published=False)
    for n in range(6):
        News.objects.create(title=f"Ancienne {n}", body="B", published_at=now - timedelta(days=10 + n))
    for limit in (2, 5, 20):
        expected = [
            home.ListedNews(n.pk, n.title, n.body, n.published_at)
            for n in News.objects.published().only("id", "title", "body", "published_at")[:limit]
        ]
        assert home.news(limit) == expected
    assert {n.title for n in home.news(2)} == {"En cours", "Jusqu'à demain"}


def test_the_waiting_agent_and_support_counts_are_the_orms(supplier, other):
    from invoices.models.sollicitations import Sollicitation, SollicitationStatus
    from tests.invoices.factories import SollicitationFactory

    ministry, town = StructureFactory(public=True), StructureFactory(public=True)
    for structure in (supplier, other):
        _spread(structure)
        for status in (Status.MISE_A_DISPOSITION, Status.COMPLETEE, Status.COMPLETEE):
            _sent(structure, days_ago=3, status=status, recipient=ministry)
        _sent(structure, days_ago=3, status=Status.PRISE_EN_COMPTE_DESTINATAIRE, recipient=town)
    SollicitationFactory()
    Sollicitation.objects.update(awaiting_support=True)
    SollicitationFactory(status=SollicitationStatus.CLOSED)
    todo = figures.todo_invoices(supplier)
    for cap in (1, 2, 1000):
        monkey = pytest.MonkeyPatch()
        monkey.setattr(home, "COUNT_CAP", cap)
        expected = figures.capped_counts(
            [
                todo.filter(status=Status.A_RECYCLER),
                todo.filter(status=Status.SUSPENDUE),
                todo.filter(status=Status.REJETEE),
                Invoice.objects.filter(supplier=supplier, status=Status.BROUILLON),
            ],
            cap=cap,
        )
        assert [w.count for w in home.waiting(supplier)] == expected
        for recipients in ([ministry], [town], [ministry, town], [StructureFactory(public=True)]):
            received = Invoice.objects.filter(recipient__in=[r.pk for r in recipients])
            expected = figures.capped_counts([received.filter(status=s) for s in home.AGENT_STATUSES], cap=cap)
            assert [a.count for a in home.agent_counts(recipients)] == expected
        assert home.support_waiting() == figures.capped_count(
            Sollicitation.objects.filter(awaiting_support=True).exclude(status=SollicitationStatus.CLOSED), cap=cap
        )
        monkey.undo()
    assert home.support_waiting().value == 1


def test_the_pending_requests_count_is_the_orms(rf):
    from structures import selectors as structure_selectors
    from structures import services as structure_services
    from structures.models import Membership, MembershipStatus
    from tests.accounts.factories import UserFactory
    from tests.structures.factories import MembershipFactory

    first = MembershipFactory(manager=True)
    second = MembershipFactory(manager=True, user=first.user)
    elsewhere = MembershipFactory(manager=True)
    for structure, n in ((first.structure, 2), (second.structure, 1), (elsewhere.structure, 3)):
        for _ in range(n):
            structure_services.membership_request(user=UserFactory(), structure=structure)
    for user in (first.user, elsewhere.user, UserFactory()):
        request = rf.get("/")
        request.user = user
        managed = [m.structure_id for m in structure_selectors.request_memberships(request) if m.is_main_manager]
        expected = Membership.objects.filter(status=MembershipStatus.PENDING, structure_id__in=managed).count()
        assert structure_selectors.pending_requests_count(request) == expected
    assert expected == 0 and Membership.objects.filter(status=MembershipStatus.PENDING).count() == 6


# --- Liste fiscale -------------------------------------------------------------------------------


def _former_fiscal_page(supplier, *, start, end, after):
    """``figures.fiscal_page`` as the ORM read it before it was prepared."""
    from django.db.models import Q

    invoices = figures.fiscal_invoices(supplier, start=start, end=end).order_by("invoice_date", "id")
    if after is not None:
        day, pk = after
        invoices = invoices.filter(Q(invoice_date__gt=day) | Q(invoice_date=day, id__gt=pk))
    found = (
        Invoice.objects.filter(pk__in=invoices.values("pk")[: figures.PAGE_SIZE + 1])
        .order_by("invoice_date", "id", "-vat_lines__rate", "vat_lines__id")
        .values_list(
            "id",
            "invoice_date",
            "invoice_type",
            "number",
            "recipient_id",
            "recipient__name",
            "vat_lines__id",
            "vat_lines__rate",
            "vat_lines__base_ht",
            "vat_lines__vat_amount",
        )
    )
    rows = []
    for pk, invoice_date, invoice_type, number, recipient_id, name, line, rate, base_ht, vat in found:
        if not rows or rows[-1].pk != pk:
            rows.append(
                figures.FiscalInvoice(pk, invoice_date, invoice_type, number, name if recipient_id else None, [])
            )
        if line is not None:
            k = -1 if invoice_type == "AVOIR" else 1
            rows[-1].signed_vat_lines.append(figures.SignedVat(rate, k * base_ht, k * vat))
    size = figures.PAGE_SIZE
    following = (rows[size - 1].invoice_date, rows[size - 1].pk) if len(rows) > size else None
    return rows[:size], following


@pytest.mark.parametrize("page_size", [2, 3, 50])
def test_the_fiscal_pages_are_the_orms(supplier, other, monkeypatch, page_size):
    from invoices.models import InvoiceVatLine

    monkeypatch.setattr(figures, "PAGE_SIZE", page_size)
    today = timezone.localdate()
    for structure in (supplier, other):
        _spread(structure)
        credit = _sent(structure, days_ago=5, invoice_type="AVOIR", recipient=None)
        credit.vat_lines.create(rate=Decimal("5.50"), base_ht=Decimal("10.00"), vat_amount=Decimal("0.55"))
        _sent(structure, days_ago=6, status=Status.REJETEE)
    bare = _sent(supplier, days_ago=4)
    InvoiceVatLine.objects.filter(invoice=bare).delete()
    for start, end in ((today - timedelta(days=60), today), (today - timedelta(days=5), today - timedelta(days=2))):
        seen, after = [], None
        while True:
            page, following = figures.fiscal_page(supplier, start=start, end=end, after=after)
            assert (page, following) == _former_fiscal_page(supplier, start=start, end=end, after=after)
            seen += page
            if following is None:
                break
            after = following
        assert seen and {i.pk for i in seen} <= set(
            Invoice.objects.filter(supplier=supplier).values_list("pk", flat=True)
        )
    assert figures.fiscal_page(supplier, start=today, end=today - timedelta(days=1), after=None) == ([], None)


# --- The invoice page ----------------------------------------------------------------------------


def _state(obj):
    """What an instance holds: its loaded columns and the related objects read with it."""
    if obj is None:
        return None
    values = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    related = {name: _state(value) for name, value in obj._state.fields_cache.items()}
    return type(obj), values, related


def _request(rf, user):
    request = rf.get("/")
    request.user = user
    return request


def test_the_invoice_page_reads_are_the_orms(rf, motifs):
    from django.http import Http404

    from invoices import selectors
    from invoices.models import InvoiceEvent
    from invoices.views.detail import SHOWN_RELATED
    from tests.invoices.factories import InvoiceAttachmentFactory, InvoiceLineFactory
    from tests.structures.factories import MembershipFactory

    member = MembershipFactory()
    structures = [member.structure] + [MembershipFactory(user=member.user).structure for _ in range(5)]
    stranger = InvoiceFactory(sent=True)
    invoice = InvoiceFactory(supplier=structures[0], sent=True, sent_by=member.user, status=Status.SUSPENDUE)
    entry = InvoiceFactory(supplier=structures[0], entry=True)
    for _ in range(2):
        InvoiceLineFactory(invoice=entry)
        InvoiceAttachmentFactory(invoice=invoice)
    motif = next(iter(motifs.values()))
    for n, status in enumerate([Status.DEPOSEE, Status.SUSPENDUE]):
        InvoiceEvent.objects.create(
            invoice=invoice,
            supplier_id=invoice.supplier_id,
            transition="",
            from_status=Status.MISE_A_DISPOSITION,
            to_status=status,
            actor_kind="RECIPIENT",
            user=member.user if n else None,
            motif=motif if n else None,
            created_at=timezone.now() - timedelta(minutes=5 - n),
        )
    correction = InvoiceFactory(supplier=structures[0], sent=True, invoice_type="AVOIR", original_invoice=invoice)
    InvoiceFactory(supplier=stranger.supplier, sent=True, invoice_type="AVOIR", original_invoice=invoice)
    user = member.user
    for n in (1, 2, 4, 5, 6):
        from structures.models import Membership, MembershipStatus

        Membership.objects.filter(user=user).update(status=MembershipStatus.ACTIVE)
        Membership.objects.filter(user=user, structure__in=structures[n:]).update(status=MembershipStatus.REVOKED)
        for shown in (None, SHOWN_RELATED):
            related = ("sent_by",) if shown else ()
            for target in (invoice, entry):
                found = selectors.invoice_for_request(
                    _request(rf, user), invoice_id=target.pk, related=related, shown=shown
                )
                orm = Invoice.objects.select_related("recipient", "recipient_service", *related)
                if shown:
                    orm = orm.only(
                        *(f.name for f in Invoice._meta.concrete_fields),
                        *(f"{r}__{name}" for r, names in shown.items() for name in names),
                    )
                expected = orm.get(pk=target.pk)
                expected.supplier = found.supplier
                assert _state(found) == _state(expected)
                assert found.supplier == structures[0]
            for hidden in (stranger.pk, 10**9, "abc", 0, 2**70):
                with pytest.raises(Http404):
                    selectors.invoice_for_request(_request(rf, user), invoice_id=hidden, related=related, shown=shown)
    # Another structure's member never reads the invoice.
    with pytest.raises(Http404):
        selectors.invoice_for_request(_request(rf, MembershipFactory().user), invoice_id=invoice.pk)

    for target in (invoice, entry, stranger):
        assert [_state(e) for e in selectors.invoice_history(target)] == [
            _state(e) for e in target.events.select_related("user", "motif").order_by("created_at", "id")
        ]
        assert [_state(v) for v in selectors.invoice_vat_lines(target)] == [_state(v) for v in target.vat_lines.all()]
        assert [_state(v) for v in selectors.invoice_lines(target)] == [_state(v) for v in target.lines.all()]
        assert [_state(a) for a in selectors.invoice_attachments(target)] == [
            _state(a) for a in target.attachments.all()
        ]
        expected = target.corrections.filter(supplier_id=target.supplier_id).only(
            "pk", "number", "invoice_type", "type_code"
        )[:20]
        assert [_state(c) for c in selectors.invoice_corrections(target)] == [_state(c) for c in expected]
    assert [c.pk for c in selectors.invoice_corrections(invoice)] == [correction.pk]
    assert [c.document_label for c in selectors.invoice_corrections(invoice)] == ["Avoir"]
    assert len(selectors.invoice_history(invoice)) == 2 and len(selectors.invoice_lines(entry)) == 2
    assert all(e.invoice is invoice for e in selectors.invoice_history(invoice))


def test_the_feed_and_the_news_in_one_query_are_those_of_their_own_reads(feed_world, django_assert_num_queries):
    from accounts.models import News
    from invoices.models import InvoiceEvent

    user, member, other = feed_world
    invoice = InvoiceFactory(supplier=member.structure, sent=True)
    for n in range(3):
        InvoiceEvent.objects.create(
            invoice=invoice,
            supplier_id=invoice.supplier_id,
            transition="",
            from_status=Status.MISE_A_DISPOSITION,
            to_status=Status.SUSPENDUE,
            actor_kind="RECIPIENT",
            created_at=timezone.now() - timedelta(minutes=n),
        )
    now = timezone.now()
    News.objects.create(title="Future", body="Texte.", published_at=now + timedelta(days=1))
    News.objects.create(title="Retirée", body="Texte.", is_published=False)
    for n in range(7):
        News.objects.create(title=f"Nouvelle {n}", body="B", published_at=now - timedelta(days=n))
    for who, suppliers in ((user, []), (member.user, [member.structure]), (other.user, [other.structure])):
        for ids in ([], [s.pk for s in suppliers], [member.structure_id, other.structure_id]):
            for limit, news_limit in ((1, 1), (3, 5), (20, 5)):
                expected = (home.feed(who, suppliers=suppliers, structure_ids=ids, limit=limit), home.news(news_limit))
                with django_assert_num_queries(1 + len(suppliers)):
                    found = home.feed_and_news(
                        who, suppliers=suppliers, structure_ids=ids, limit=limit, news_limit=news_limit
                    )
                assert found == expected
    feed, news = home.feed_and_news(member.user, suppliers=[member.structure], structure_ids=[member.structure_id])
    assert {i.kind for i in feed} == {"facture", "sollicitation"} and len(news) == 5
    assert [n.title for n in news] == [f"Nouvelle {n}" for n in range(5)]


def test_the_invoice_page_files_in_one_query_are_those_of_their_own_reads(django_assert_num_queries):
    from invoices import selectors
    from invoices.models import InvoiceVatLine
    from tests.invoices.factories import InvoiceAttachmentFactory

    supplier, other = StructureFactory(), StructureFactory()
    invoice = InvoiceFactory(supplier=supplier, sent=True)
    InvoiceVatLine.objects.filter(invoice=invoice).delete()
    for rate, base, exemption in (("5.50", "10.00", ""), ("20.00", "1234.56", ""), ("0.00", "7.00", "Exonérée")):
        invoice.vat_lines.create(
            rate=Decimal(rate), base_ht=Decimal(base), vat_amount=Decimal("1.23"), exemption_reason=exemption
        )
    invoice.vat_lines.create(rate=Decimal("20.00"), base_ht=Decimal("1.00"), vat_amount=Decimal("0.20"))
    for n in range(3):
        attachment = InvoiceAttachmentFactory(invoice=invoice, original_filename=f"annexe-{n}.pdf", size=10**n)
        type(attachment).objects.filter(pk=attachment.pk).update(created_at=timezone.now() - timedelta(hours=n))
    for n in range(4):
        correction = InvoiceFactory(supplier=supplier, sent=True, invoice_type="AVOIR", original_invoice=invoice)
        Invoice.objects.filter(pk=correction.pk).update(created_at=timezone.now() - timedelta(hours=n % 2))
    InvoiceFactory(supplier=other, sent=True, invoice_type="AVOIR", original_invoice=invoice)  # not the supplier's
    bare = InvoiceFactory(supplier=supplier, sent=True)
    InvoiceVatLine.objects.filter(invoice=bare).delete()

    def state(objects, columns):
        return [(type(o), tuple(getattr(o, c) for c in columns), o._state.fields_cache.get("invoice")) for o in objects]

    for target in (invoice, bare, InvoiceFactory(supplier=other, sent=True)):
        for limit in (2, 20):
            with django_assert_num_queries(1):
                vat_lines, attachments, corrections = selectors.invoice_page_files(target, limit)
            expected_vat = list(target.vat_lines.all())
            expected_attachments = list(target.attachments.all())
            expected_corrections = list(
                target.corrections.filter(supplier_id=target.supplier_id).only(
                    "pk", "number", "invoice_type", "type_code"
                )[:limit]
            )
            vat_columns = ("pk", "invoice_id", "rate", "base_ht", "vat_amount", "exemption_reason")
            assert state(vat_lines, vat_columns) == state(expected_vat, vat_columns)
            attachment_columns = ("pk", "invoice_id", "original_filename", "size", "created_at")
            assert state(attachments, attachment_columns) == state(expected_attachments, attachment_columns)
            correction_columns = ("pk", "number", "invoice_type", "type_code", "original_invoice_id", "document_label")
            assert [tuple(getattr(c, k) for k in correction_columns) for c in corrections] == [
                tuple(getattr(c, k) for k in correction_columns) for c in expected_corrections
            ]
            assert all(c.original_invoice is target for c in corrections)
            assert all(line.invoice is target for line in vat_lines + attachments)
    vat_lines, attachments, corrections = selectors.invoice_page_files(invoice)
    assert [str(v.rate) for v in vat_lines] == ["20.00", "20.00", "5.50", "0.00"]
    assert [a.original_filename for a in attachments] == ["annexe-2.pdf", "annexe-1.pdf", "annexe-0.pdf"]
    assert len(corrections) == 4 and len(selectors.invoice_page_files(invoice, 2)[2]) == 2
