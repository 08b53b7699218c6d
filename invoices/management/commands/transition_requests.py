"""Staff actions as durable requests, for operators (docs/operator-commands.md).

    manage.py transition_requests list [--state pending|applied|already|refused] [--limit N]
    manage.py transition_requests retry ID [ID ...] | --pending

``list`` counts the requests by state and shows the latest ones (oldest first with
``--state pending``), with the reason of each refusal; ``retry`` hands pending requests to a worker
now (as the admin's "Relancer" does). A request already applied or refused is never applied again.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from invoices import services
from invoices.management import selection
from invoices.models import TransitionRequest, TransitionRequestState

STATES = {
    "pending": TransitionRequestState.PENDING,
    "applied": TransitionRequestState.APPLIED,
    "already": TransitionRequestState.ALREADY,
    "refused": TransitionRequestState.REFUSED,
}
MAX_LIMIT = 10_000


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = "Demandes de traitement du personnel : lister, relancer celles en attente."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="list|retry")
        sub.required = True
        listing = sub.add_parser("list", help="Compte les demandes par état et affiche les dernières.")
        listing.add_argument("--state", help="pending (en attente), applied, already (déjà appliquées) ou refused.")
        listing.add_argument("--limit", default="50", help="Nombre de lignes affichées (défaut 50).")
        retry = sub.add_parser("retry", help="Remet au traitement des demandes en attente.")
        retry.add_argument("ids", nargs="*", help="Identifiants des demandes (colonne ID de « list »).")
        retry.add_argument("--pending", action="store_true", help="Toutes les demandes en attente.")

    def handle(self, *args, **options):
        if options["action"] == "list":
            self._list(options)
        else:
            self._retry(options)

    def _list(self, options):
        state = options["state"]
        if state is not None and state not in STATES:
            raise CommandError(f"État inconnu « {state} » : choisissez parmi {', '.join(STATES)}.")
        limit = selection.positive_int(options["limit"], "--limit", maximum=MAX_LIMIT)
        counts = dict(TransitionRequest.objects.values_list("state").annotate(n=Count("pk")).order_by())
        self.stdout.write(
            "Demandes : "
            + ", ".join(f"{counts.get(value, 0)} {value.label.lower()}" for value in TransitionRequestState)
            + "."
        )
        rows = TransitionRequest.objects.select_related("invoice", "requested_by")
        if state is not None:
            rows = rows.filter(state=STATES[state])
        pending = state == "pending"
        rows = list(rows.order_by(*(("created_at", "pk") if pending else ("-created_at", "-pk")))[:limit])
        if not rows:
            self.stdout.write("Aucune demande à afficher.")
            return
        for row in rows:
            who = row.requested_by.email if row.requested_by else "système"
            line = (
                f"{row.pk:>8}  {row.get_state_display():<15} {_when(row.created_at)}  "
                f"{row.invoice.identifier or row.invoice_id:<20} {row.transition:<30} {who}"
            )
            if row.result:
                line += f"\n          → {row.result}"
            self.stdout.write(line)

    def _retry(self, options):
        ids = []
        for value in options["ids"]:
            ids.append(selection.positive_int(value, "ID", maximum=2**63 - 1))
        if not ids and not options["pending"]:
            raise CommandError("Donnez des identifiants de demandes, ou --pending pour toutes celles en attente.")
        pending = TransitionRequest.objects.filter(state=TransitionRequestState.PENDING)
        wanted = set(pending.values_list("pk", flat=True)) if options["pending"] else set()
        if ids:
            found = dict(TransitionRequest.objects.filter(pk__in=ids).values_list("pk", "state"))
            for pk in ids:
                if pk not in found:
                    self.stdout.write(f"Demande {pk} : introuvable.")
                elif found[pk] != TransitionRequestState.PENDING:
                    self.stdout.write(f"Demande {pk} : déjà traitée ({TransitionRequestState(found[pk]).label}).")
                else:
                    wanted.add(pk)
        batches = services.transition_requests_requeue(older_than_minutes=0, ids=sorted(wanted)) if wanted else []
        self.stdout.write(
            self.style.SUCCESS(f"{len(wanted)} demande(s) en attente remise(s) au traitement ({len(batches)} lot(s)).")
        )
