"""Reads of the connected home page (Accueil connecté): the feed of the user's structures, what waits
for the user, the figures of a ministry agent and of support (selectors, like ``selectors.py``).

The page lives in ``invoices`` because it gathers all three apps (invoice events, attachment
decisions of ``structures``, sollicitation answers, the news of ``accounts``); ``chorus/urls.py``
serves it at ``/accueil/`` under its old name ``accounts:dashboard``.

Every read is bounded, whatever the volume (1,000,000 invoices, 200,000 for one supplier):

- invoice events: per supplier structure (at most ``FEED_STRUCTURES``), the latest ``FEED_SIZE``
  on ``invoice_event_supplier_idx`` (supplier, created_at, id), joined to their invoice and motif:
  one query per structure, none per row;
- attachment decisions: the user's own memberships' events (a handful of rows);
- support answers: the messages of the sollicitations the user may read (a structure's are few);
- the news: the latest published (``NEWS_SIZE``); the page reads these three in one query
  (``feed_and_news``);
- waiting counts: capped (``figures.capped_counts``, ``LIMIT 1001`` each, all in one query) on
  ``invoice_supplier_status_idx`` and on the partial index of the invoices to act on
  (``invoice_supplier_todo_idx``);
- an agent's counts: capped on ``invoice_recipient_status_idx`` (recipient, status), in one query.

Each read's SQL is compiled once per process (``chorus.prepared.Shapes``,
``figures.prepared_capped_counts``) and its rows read as values, not model instances
(``tests/invoices/test_prepared_pages.py`` compares them with the ORM's querysets).
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import CharField, IntegerField, Q, Value
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import News
from chorus.prepared import Shapes
from invoices import figures, rows
from invoices.figures import CappedCount
from invoices.models import Invoice, InvoiceEvent, InvoiceType
from invoices.models.sollicitations import MessageAuthor, Sollicitation, SollicitationMessage, SollicitationStatus
from invoices.workflow import Status
from structures.models import MembershipEvent, Structure

FEED_SIZE = 20
# Counts stop here ("plus de 1 000"), as on the Synthèse.
COUNT_CAP = figures.COUNT_CAP
# One query per structure: a user attached to more supplier structures sees the feed of the first
# ones (by name) and is told so.
FEED_STRUCTURES = 5
NEWS_SIZE = 5
# Statuses a recipient agent processes next, in the order of the page (the admin's "statut" filter).
AGENT_STATUSES = (Status.MISE_A_DISPOSITION, Status.COMPLETEE, Status.PRISE_EN_COMPTE_DESTINATAIRE)

# The page's reads, compiled once per process (``chorus.prepared.Shapes``), read as values.
_STATEMENTS = Shapes()

# Decisions on a membership that its user is told about (a request is the user's own act).
MEMBERSHIP_DECISIONS = {
    MembershipEvent.Action.APPROVED: gettext_lazy("Votre demande de rattachement à %(structure)s a été validée."),
    MembershipEvent.Action.REFUSED: gettext_lazy("Votre demande de rattachement à %(structure)s a été refusée."),
    MembershipEvent.Action.REVOKED: gettext_lazy("Vous avez été détaché(e) de %(structure)s."),
    MembershipEvent.Action.ROLE_CHANGED: gettext_lazy("Votre rôle dans %(structure)s a changé."),
    MembershipEvent.Action.ATTACHED: gettext_lazy("Le support vous a rattaché(e) à %(structure)s."),
    MembershipEvent.Action.TRANSFERRED: gettext_lazy("Le support vous a confié la gestion de %(structure)s."),
}


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed, whatever its source: what happened, when, and where to read more."""

    at: datetime
    kind: str  # "facture", "rattachement", "sollicitation"
    kind_label: str
    link_text: str
    url: str
    text: str
    detail: str = ""
    status: str = ""  # the invoice's new status (a badge), for an invoice event
    structure: str = ""  # the structure's name, when the user has several


@dataclass(frozen=True)
class Waiting:
    """A count of invoices waiting for the user, and the Rechercher search that lists them."""

    key: str
    label: str
    hint: str
    count: CappedCount
    url: str


_SEARCH_URLS: dict = {}


def invoice_search_url(**criteria) -> str:
    """The URL of Rechercher (``/factures/``) with these criteria (those of ``InvoiceSearchForm``),
    made once per process, script prefix and criteria."""
    key = (get_script_prefix(), tuple(criteria.items()))
    url = _SEARCH_URLS.get(key)
    if url is None:
        url = f"{reverse('invoices:list')}?{urlencode(criteria, doseq=True)}"
        if len(_SEARCH_URLS) < 1024:
            _SEARCH_URLS[key] = url
    return url


# --- The feed -----------------------------------------------------------------------------------


_EVENT_VALUES = (
    "created_at",
    "from_status",
    "to_status",
    "comment",
    "invoice_id",
    "invoice__number",
    "invoice__identifier",
    "invoice__invoice_type",
    "motif_id",
    "motif__label",
)


def _event_rows(limit: int):
    def build(supplier_id: int):
        return (
            InvoiceEvent.objects.filter(supplier=supplier_id)
            .order_by("-created_at", "-id")
            .values_list(*_EVENT_VALUES)[:limit]
        )

    return build


def invoice_events(structures: list[Structure], *, limit: int | None = None) -> list[FeedItem]:
    """The latest events of the invoices of these supplier structures: one query per structure on
    ``invoice_event_supplier_idx``, LIMIT ``limit`` each, merged; read as values (no model
    instances), the texts translated once per call."""
    limit = limit or FEED_SIZE
    several = len(structures) > 1
    url = rows.detail_urls()  # reverse("invoices:detail") once, not per event
    kinds = {InvoiceType.CREDIT_NOTE: _("Avoir")}
    invoice_kind, no_number = _("Facture"), _("(sans numéro)")
    change, acknowledged, no_change, motif_text = (
        _("%(old)s → %(new)s"),
        _("Rejet traité"),
        _("Événement sans changement de statut"),
        _("motif : %(motif)s"),
    )
    labels: dict = {}

    def label(status):  # ``rows.status_label`` once per status and call (it asks the language)
        found = labels.get(status)
        if found is None:
            found = labels[status] = rows.status_label(status)
        return found

    items = []
    for structure in structures[:FEED_STRUCTURES]:
        events = _STATEMENTS.rows(("events", limit), _event_rows(limit), [int(structure.pk)])
        name = structure.name if several else ""
        for at, old, new, comment, pk, number, identifier, invoice_type, motif_id, motif_label in events:
            kind = kinds.get(invoice_type, invoice_kind)
            if old != new:
                text = change % {"old": label(old), "new": label(new)}
            elif new == Status.REJETEE:
                text = acknowledged
            else:
                text = comment or no_change
            details = [identifier] if identifier else []
            if motif_id:
                details.append(motif_text % {"motif": motif_label})
            items.append(
                FeedItem(
                    at=at,
                    kind="facture",
                    kind_label=kind,
                    link_text=f"{kind} {number or no_number}",
                    url=url.format(int(pk)),
                    text=text,
                    detail=" · ".join(details),
                    status=new if old != new else "",
                    structure=name,
                )
            )
    return items


def membership_decisions(user, *, limit: int | None = None) -> list[FeedItem]:
    """Decisions on the user's own attachments (validated, refused, detached…)."""
    limit = limit or FEED_SIZE
    return _decision_items(_STATEMENTS.rows(("decisions", limit), _decision_rows(limit), [int(user.pk)]))


def _decision_items(events) -> list[FeedItem]:
    """Rows ``(created_at, action, comment, structure name)`` as feed items."""
    return [
        FeedItem(
            at=at,
            kind="rattachement",
            kind_label=_("Rattachement"),
            link_text=_("Ma structure"),
            url=reverse("structures:home"),
            text=MEMBERSHIP_DECISIONS[action] % {"structure": structure_name},
            detail=comment,
        )
        for at, action, comment, structure_name in events
    ]


def _decision_rows(limit: int):
    def build(user_id: int):
        return _decisions(user_id).values_list("created_at", "action", "comment", "membership__structure__name")[:limit]

    return build


def support_answers(user, structure_ids: list[int], *, limit: int | None = None) -> list[FeedItem]:
    """Support's latest answers to the sollicitations the user may read: those of the structures
    (``structure_ids``, active memberships) and the user's personal ones."""
    limit = limit or FEED_SIZE
    values = [int(user.pk), [int(pk) for pk in structure_ids]] if structure_ids else [int(user.pk)]
    return _answer_items(_STATEMENTS.rows(("answers", limit, bool(structure_ids)), _answer_rows(limit), values))


def _answer_items(messages) -> list[FeedItem]:
    """Rows ``(created_at, body, sollicitation id, subject)`` as feed items."""
    return [
        FeedItem(
            at=at,
            kind="sollicitation",
            kind_label=_("Sollicitation"),
            link_text=_("Sollicitation n° %(pk)s") % {"pk": sollicitation_id},
            url=reverse("sollicitations:detail", args=[sollicitation_id]),
            text=_("Le support a répondu : « %(subject)s »") % {"subject": subject},
            detail=_shorten(body),
        )
        for at, body, sollicitation_id, subject in messages
    ]


def _answers(user_id: int, structure_ids: list[int] | None):
    visible = Q(sollicitation__structure__isnull=True, sollicitation__author=user_id)
    if structure_ids is not None:
        visible |= Q(sollicitation__structure_id__in=structure_ids)
    return SollicitationMessage.objects.filter(visible, author_kind=MessageAuthor.SUPPORT).order_by(
        "-created_at", "-id"
    )


def _answer_rows(limit: int):
    def build(user_id: int, structure_ids: list[int] | None = None):
        return _answers(user_id, structure_ids).values_list(
            "created_at", "body", "sollicitation_id", "sollicitation__subject"
        )[:limit]

    return build


def _decisions(user_id: int):
    return MembershipEvent.objects.filter(membership__user=user_id, action__in=list(MEMBERSHIP_DECISIONS)).order_by(
        "-created_at", "-id"
    )


# The three reads of the page about the user (not about their structures' invoices) in one query:
# ``UNION ALL`` of the decisions, the support answers and the news, each part's rows found by the
# ids of its ordered and sliced query (SQLite takes neither ``ORDER BY`` nor ``LIMIT`` in a part of
# a compound statement, but takes them in a subquery), tagged with the part's number, in columns of
# the same types: (part, when, id, text, text, text, integer).
_DECISIONS, _ANSWERS, _NEWS = 0, 1, 2


def _user_rows(limit: int, news_limit: int):
    def build(user_id: int, now, structure_ids: list[int] | None = None):
        text, number = Value("", output_field=CharField()), Value(None, output_field=IntegerField())
        decisions = (
            MembershipEvent.objects.filter(pk__in=_decisions(user_id).values("pk")[:limit])
            .order_by()
            .values_list(
                Value(_DECISIONS), "created_at", "id", "action", "comment", "membership__structure__name", number
            )
        )
        answers = (
            SollicitationMessage.objects.filter(pk__in=_answers(user_id, structure_ids).values("pk")[:limit])
            .order_by()
            .values_list(
                Value(_ANSWERS), "created_at", "id", "body", "sollicitation__subject", text, "sollicitation_id"
            )
        )
        news = (
            News.objects.filter(pk__in=News.objects.published(now=now).values("pk")[:news_limit])
            .order_by()
            .values_list(Value(_NEWS), "published_at", "id", "title", "body", text, number)
        )
        return decisions.union(answers, news, all=True)

    return build


def feed_and_news(
    user, *, suppliers: list[Structure], structure_ids: list[int], limit: int | None = None, news_limit: int = NEWS_SIZE
) -> tuple[list[FeedItem], list["ListedNews"]]:
    """``feed(…)`` and ``news(news_limit)``: the invoice events (one query per structure), then the
    decisions, the support answers and the news in one query (``_user_rows``)."""
    limit = limit or FEED_SIZE
    values = [int(user.pk), timezone.now()]
    if structure_ids:
        values.append([int(pk) for pk in structure_ids])
    parts: list[list] = [[], [], []]
    shape = ("user-rows", limit, news_limit, bool(structure_ids))
    for part, *row in _STATEMENTS.rows(shape, _user_rows(limit, news_limit), values):
        parts[part].append(row)
    # Each part as its own query orders it: (when, id) descending, the news by date only.
    decisions, answers = (sorted(rows, key=lambda row: (row[0], row[1]), reverse=True) for rows in parts[:2])
    latest_news = sorted(parts[_NEWS], key=lambda row: row[0], reverse=True)
    items = [
        *invoice_events(suppliers, limit=limit),
        *_decision_items((at, action, comment, name) for at, _pk, action, comment, name, _n in decisions),
        *_answer_items(
            (at, body, sollicitation_id, subject) for at, _pk, body, subject, _t, sollicitation_id in answers
        ),
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit], [ListedNews(pk, title, body, at) for at, pk, title, body, _t, _n in latest_news]


def feed_html(items: list[FeedItem]) -> SafeString:
    """The lines of the feed (``<li>`` each) as the home page shows them: when (in the portal's
    time zone), what and from where, the link, the detail; written in Python (twenty items through
    the template engine were a fifth of the page), each value escaped as the engine escapes it."""
    escape = rows.escape
    parts = []
    for item in items:
        at = timezone.localtime(item.at) if timezone.is_aware(item.at) else item.at
        structure = f" · {escape(item.structure)}" if item.structure else ""
        detail = f'<p class="chorus-feed__detail">{escape(item.detail)}</p>' if item.detail else ""
        parts.append(
            f'\n        <li class="chorus-feed__item chorus-feed__item--{escape(item.kind)}">\n'
            f'          <p class="chorus-feed__when"><time datetime="{at.isoformat()}">{at:%d/%m/%Y} à {at:%H:%M}</time>'
            f" · {escape(item.kind_label)}{structure}</p>\n"
            f'          <p class="chorus-feed__what"><a href="{escape(item.url)}">{escape(item.link_text)}</a> : '
            f"{escape(item.text)}</p>\n"
            f"          {detail}\n        </li>\n        "
        )
    return mark_safe("".join(parts))


def _shorten(text: str, size: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def feed(user, *, suppliers: list[Structure], structure_ids: list[int], limit: int | None = None) -> list[FeedItem]:
    """The feed of the home page: the three sources merged, newest first, ``limit`` lines."""
    limit = limit or FEED_SIZE
    items = [
        *invoice_events(suppliers, limit=limit),
        *membership_decisions(user, limit=limit),
        *support_answers(user, structure_ids, limit=limit),
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


# --- What waits for the user -----------------------------------------------------------------


def _waiting_counts(supplier_id: int) -> list:
    # The three "to act on" counts read the small partial index invoice_supplier_todo_idx (its
    # condition holds for them: only an acknowledged rejection has rejection_acknowledged_at).
    todo = figures.todo_invoices(supplier_id)
    return [
        todo.filter(status=Status.A_RECYCLER),
        todo.filter(status=Status.SUSPENDUE),
        todo.filter(status=Status.REJETEE),
        Invoice.objects.filter(supplier=supplier_id, status=Status.BROUILLON),
    ]


def waiting(supplier: Structure) -> list[Waiting]:
    """The invoices of the current supplier waiting for its users, each with its Rechercher link;
    counts capped at ``figures.COUNT_CAP``."""
    recycle, suspended, rejected, drafts = figures.prepared_capped_counts(
        "home-waiting", _waiting_counts, [int(supplier.pk)], cap=COUNT_CAP
    )
    return [
        Waiting(
            "a_recycler",
            _("À recycler"),
            _("corrigez le destinataire, le code service ou l'engagement"),
            recycle,
            invoice_search_url(statut=Status.A_RECYCLER.value),
        ),
        Waiting(
            "suspendues",
            _("Suspendues"),
            _("complétez-les avec la pièce ou l'explication demandée"),
            suspended,
            invoice_search_url(statut=Status.SUSPENDUE.value),
        ),
        Waiting(
            "rejets",
            _("Rejets non traités"),
            _("prenez connaissance du rejet, puis envoyez une nouvelle facture"),
            rejected,
            invoice_search_url(rejet_non_traite="on"),
        ),
        Waiting(
            "brouillons",
            _("Brouillons"),
            _("enregistrés, pas encore envoyés"),
            drafts,
            invoice_search_url(onglet="brouillons"),
        ),
    ]


# --- A ministry agent, support -------------------------------------------------------------------


@dataclass(frozen=True)
class AgentCount:
    status: Status
    count: CappedCount
    url: str


def _agent_counts(recipient_ids: list[int]) -> list:
    received = Invoice.objects.filter(recipient__in=recipient_ids)
    return [received.filter(status=status) for status in AGENT_STATUSES]


def agent_counts(recipients: list[Structure]) -> list[AgentCount]:
    """Invoices received by the agent's structures waiting in each status the agent processes next
    (capped counts on ``invoice_recipient_status_idx``), with the admin's list filtered by status."""
    changelist = reverse("admin:invoices_invoice_changelist")
    counts = figures.prepared_capped_counts(
        "home-agent", _agent_counts, [[int(r.pk) for r in recipients]], cap=COUNT_CAP
    )
    return [
        AgentCount(status, count, f"{changelist}?statut={status.value}")
        for status, count in zip(AGENT_STATUSES, counts, strict=True)
    ]


def support_waiting() -> CappedCount:
    """Sollicitations whose last message is the requester's (the admin's "En attente du support")."""
    (count,) = figures.prepared_capped_counts("home-support", _support_waiting, [], cap=COUNT_CAP)
    return count


def _support_waiting() -> list:
    return [Sollicitation.objects.filter(awaiting_support=True).exclude(status=SollicitationStatus.CLOSED)]


@dataclass(frozen=True)
class ListedNews:
    """A news item of the page, read as values (what the page shows of it)."""

    pk: int
    title: str
    body: str
    published_at: datetime


def news(limit: int = NEWS_SIZE) -> list[ListedNews]:
    """The latest published news (``News.objects.published()`` at this instant)."""

    def build(now):
        return News.objects.published(now=now).values_list("id", "title", "body", "published_at")[:limit]

    return [ListedNews(*row) for row in _STATEMENTS.rows(("news", limit), build, [timezone.now()])]
