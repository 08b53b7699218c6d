"""Staff actions as durable requests: record them with the page's answer, apply them in a worker,
sweep what a lost task left pending, and tell the agent the outcome.

An agent's action (one invoice or a bulk selection) writes one ``TransitionRequest`` per invoice
in the request's transaction and answers at once; ``invoices.process_transition_requests`` then
applies them by chunks of ``COMMIT_EVERY`` through ``lifecycle.invoice_transitions`` (the same
table, motif rule, agent's rights, history and notification as ``invoice_transition``, ~0.1 query
per request instead of 11) and records the outcomes in the same transaction, so that:
- a broker outage, a killed worker or a lost Redis only delays the action (the row stays
  pending; ``invoices.sweep_transition_requests`` hands it to a worker again);
- a task delivered twice applies nothing twice (a row is processed once, under its lock), and two
  workers on one batch split it (``SELECT … FOR UPDATE SKIP LOCKED``);
- a refusal decided by the worker (the invoice changed meanwhile) is recorded with its reason and
  shown to the agent on their next admin page, and in "Demandes de traitement".
"""

import logging
import uuid
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.utils import timezone

from chorus.prepared import Shapes
from chorus.queue import enqueue, enqueue_on_commit
from invoices import lifecycle, workflow
from invoices.models import TransitionRequest, TransitionRequestState

logger = logging.getLogger(__name__)

PROCESS_TASK = "invoices.process_transition_requests"
State = TransitionRequestState


def transition_requests_create(
    *,
    invoice_ids: list[int],
    transition: workflow.Transition,
    user=None,
    actor: workflow.Actor = workflow.Actor.RECIPIENT,
    motif=None,
    comment: str = "",
    mandate_number: str = "",
) -> uuid.UUID:
    """Record ``transition`` on each invoice as one batch of pending requests, in the caller's
    transaction, and hand the batch to a worker once it commits; return the batch id."""
    batch = uuid.uuid4()
    now = timezone.now()
    TransitionRequest.objects.bulk_create(
        [
            TransitionRequest(
                batch=batch,
                invoice_id=pk,
                transition=transition.name,
                actor=workflow.Actor(actor).value,
                requested_by=user,
                motif=motif,
                comment=(comment or "").strip(),
                mandate_number=(mandate_number or "").strip(),
                created_at=now,
            )
            for pk in invoice_ids
        ],
        batch_size=500,
    )
    enqueue_on_commit(PROCESS_TASK, str(batch))
    return batch


def _outcome(outcome: lifecycle.Outcome) -> tuple[str, str]:
    """(state, message) of a request from the outcome of its transition."""
    if outcome.error:
        return State.REFUSED, outcome.error
    if outcome.event is None:
        return State.ALREADY, "La facture était déjà à ce statut."
    return State.APPLIED, ""


def transition_requests_process(*, batch: str | uuid.UUID | None = None, ids: list[int] | None = None) -> Counter:
    """Apply the pending requests of ``batch`` (or with these ``ids``), oldest first,
    ``COMMIT_EVERY`` per transaction with their outcomes; a row another worker holds is skipped. A
    transient error (the database) rolls back the current chunk, whose rows stay pending for the
    retry. "deposer" is refused like any transition the lifecycle refuses: a draft is sent by its
    supplier (``invoice_send``), never through a staff request. Returns the counts by state."""
    pending = TransitionRequest.objects.filter(state=State.PENDING)
    if batch is not None:
        pending = pending.filter(batch=batch)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    counts: Counter = Counter()
    with lifecycle.notifications_batched():
        _process_rows(list(pending.order_by("pk").values_list("pk", flat=True)), counts)
    return counts


# Requests claimed and applied per transaction (issue 14): one lock of the requests, one of their
# invoices, one bulk write of the invoices, of the events and of the outcomes, one commit.
COMMIT_EVERY = lifecycle.CHUNK


def _process_rows(ids: list[int], counts: Counter) -> None:
    for start in range(0, len(ids), COMMIT_EVERY):
        with transaction.atomic():
            _process_chunk(ids[start : start + COMMIT_EVERY], counts)


def _process_chunk(ids: list[int], counts: Counter) -> None:
    """Claim the requests of ``ids`` still pending that no other worker holds (``SKIP LOCKED``:
    two workers on one batch split it), apply them in one go (``lifecycle.invoice_transitions``)
    and record each outcome, all in the caller's transaction: it commits the transitions and their
    outcomes together, or neither (a killed worker, a database error: the requests stay pending for
    the retry or the sweep). A refused request is an outcome like any other."""
    rows = list(
        TransitionRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("requested_by", "motif")
        .filter(pk__in=ids, state=State.PENDING)
        .order_by("pk")
    )
    if not rows:
        return  # done meanwhile, or held by another worker
    outcomes = lifecycle.invoice_transitions(
        [
            lifecycle.Change(
                invoice_id=row.invoice_id,
                transition=row.transition,
                actor=row.actor,
                user=row.requested_by,
                motif=row.motif,
                comment=row.comment,
                mandate_number=row.mandate_number,
            )
            for row in rows
        ]
    )
    outcomes_by_state: dict[tuple[str, str], list[int]] = {}
    for row, outcome in zip(rows, outcomes, strict=True):
        state, message = _outcome(outcome)
        outcomes_by_state.setdefault((state, message), []).append(row.pk)
        counts[state] += 1
        if state == State.REFUSED:
            logger.info("Demande %s refusée (facture %s, %s) : %s", row.pk, row.invoice_id, row.transition, message)
    _record(outcomes_by_state)


def _record(outcomes: dict[tuple[str, str], list[int]]) -> None:
    """The outcomes of a chunk, one UPDATE per (state, message): one for a chunk all applied."""
    now = timezone.now()
    for (state, message), pks in outcomes.items():
        TransitionRequest.objects.filter(pk__in=pks).update(
            state=state, result=message, attempts=F("attempts") + 1, processed_at=now
        )


def transition_requests_stuck(*, older_than_minutes: int):
    """Pending requests older than ``older_than_minutes`` (their task was lost or is late)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return TransitionRequest.objects.filter(state=State.PENDING, created_at__lte=cutoff)


def transition_requests_requeue(*, older_than_minutes: int, ids: list[int] | None = None) -> list[str]:
    """Hand the batches of stuck pending requests (or of these ``ids``) to a worker again; return
    the batch ids. Processing is idempotent: a batch that was only late is not harmed."""
    rows = transition_requests_stuck(older_than_minutes=older_than_minutes)
    if ids is not None:
        rows = TransitionRequest.objects.filter(state=State.PENDING, pk__in=ids)
    batches = [
        str(b) for b in rows.order_by().values_list("batch", flat=True).distinct()[: settings.INVOICE_SWEEP_BATCH]
    ]
    for batch in batches:
        enqueue(PROCESS_TASK, batch)
    if batches:
        logger.warning("%s lot(s) de demandes de traitement remis en file : %s", len(batches), batches)
    return batches


def _unseen_exists(user_id):
    unseen = TransitionRequest.objects.filter(requested_by_id=user_id, seen_at__isnull=True)
    # ``SELECT 1 … LIMIT 1``, as ``exists()`` writes it: no column of the table to read.
    return unseen.exclude(state=State.PENDING).annotate(found=Value(1)).values_list("found")[:1]


# The EXISTS of every admin page of an agent, compiled once per process (chorus.prepared.Shapes).
_UNSEEN = Shapes()


def transition_requests_unseen(*, user) -> list[TransitionRequest]:
    """The user's processed requests whose outcome they have not been shown yet, marked as seen
    (what the report needs: transition, state, result and the invoice's identifier).

    Asked on every admin page of an agent, and almost always empty: an ``EXISTS`` first (on the
    ``transition_request_unseen_idx`` partial index), a third of the CPU time of building and
    reading the joined query (issue 9)."""
    unseen = TransitionRequest.objects.filter(requested_by=user, seen_at__isnull=True).exclude(state=State.PENDING)
    if not _UNSEEN.rows("unseen", _unseen_exists, [int(user.pk)]):
        return []
    rows = list(
        unseen.select_related("invoice")
        .only("id", "invoice_id", "transition", "state", "result", "invoice__identifier")
        .order_by("processed_at", "pk")[:1000]
    )
    if rows:
        TransitionRequest.objects.filter(pk__in=[r.pk for r in rows]).update(seen_at=timezone.now())
    return rows
