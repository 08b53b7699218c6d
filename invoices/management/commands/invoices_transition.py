"""Apply a lifecycle transition to many invoices, in batches (docs/operator-commands.md).

    manage.py invoices_transition TRANSITION (--ids 1,2,3 | --status … --recipient … --supplier …
        --sent-after … --sent-before …) [--motif CODE] [--comment TEXT] [--mandate-number N]
        [--actor destinataire|systeme] [--user EMAIL] [--dry-run] [--batch-size 500] [--async]

The selection is read by primary key in batches (keyset: constant memory, no OFFSET). Each batch
locks its rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has no row locks and
ignores it), so an invoice another process is working on is skipped and counted, never waited
for. Each invoice is pre-checked against the transition table, then ``invoice_transition`` is
called (it re-checks under its own lock and writes the history), or with ``--async`` the task
one durable request per invoice is recorded with the batch (``services.transition_requests_create``) and applied
by the workers (``invoices.process_transition_requests``). ``--dry-run`` only reads.
"""

from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from invoices import lifecycle, services, workflow
from invoices.management import selection
from invoices.models import Invoice, Motif
from invoices.services import invoice_transition

ACTORS = {"destinataire": workflow.Actor.RECIPIENT, "systeme": workflow.Actor.SYSTEM}
EXAMPLES_SHOWN = 5


def command_transitions() -> list[workflow.Transition]:
    """The transitions this command fires: those of the recipient and of the system, as the table
    says (the supplier's own steps go through the supplier's pages)."""
    return [t for t in workflow.TRANSITIONS.values() if set(t.actors) & set(ACTORS.values())]


def _note(reasons: dict, reason: str, identifier: str) -> None:
    entry = reasons[reason]
    entry[0] += 1
    if len(entry[1]) < EXAMPLES_SHOWN:
        entry[1].append(identifier)


DONE, QUEUED, WOULD, ALREADY, REFUSED, LOCKED = "done", "queued", "would", "already", "refused", "locked"


class Command(BaseCommand):
    help = (
        "Applique une transition du cycle de vie (ex. mettre_en_paiement) à des factures choisies par "
        "identifiants ou par filtres, par lots ; --dry-run pour simuler, --async pour passer par les tâches."
    )

    def add_arguments(self, parser):
        names = ", ".join(t.name for t in command_transitions())
        parser.add_argument("transition", help=f"Nom de la transition : {names}.")
        selection.add_filter_arguments(parser)
        parser.add_argument("--motif", default="", help="Code du motif (obligatoire pour suspendre, rejeter…).")
        parser.add_argument("--comment", default="", help="Commentaire enregistré dans l'historique.")
        parser.add_argument("--mandate-number", default="", help="Numéro de mandat (obligatoire pour mandater).")
        parser.add_argument("--actor", default="destinataire", help="Acteur : destinataire (défaut) ou systeme.")
        parser.add_argument(
            "--user",
            default="",
            help="E-mail de l'agent au nom duquel agir (il doit être rattaché au destinataire) ; "
            "sans lui, l'historique indique « système ».",
        )
        parser.add_argument("--dry-run", action="store_true", help="Simule : n'écrit rien.")
        parser.add_argument("--batch-size", default="500", help="Factures par lot (défaut 500, au plus 10000).")
        parser.add_argument(
            "--async",
            dest="run_async",
            action="store_true",
            help="Enregistre une demande de traitement par facture, appliquée par les workers, au lieu de la traiter ici.",
        )

    def handle(self, *args, **options):
        transition, actor = self._transition(options)
        if not selection.has_filter(options):
            raise CommandError(
                "Choisissez les factures : --ids 1,2,3 ou au moins un filtre (--status, --recipient, --supplier, "
                "--sent-after, --sent-before)."
            )
        motif = self._motif(options["motif"], transition)
        mandate_number = options["mandate_number"].strip()
        if transition.mandate_number_required and not mandate_number:
            raise CommandError("--mandate-number est obligatoire pour mandater une facture.")
        user = self._user(options["user"])
        batch_size = selection.positive_int(options["batch_size"], "--batch-size", maximum=10000)
        invoices = selection.filtered_invoices(options)
        dry_run, run_async = options["dry_run"], options["run_async"]
        params = {
            "transition": transition.name,
            "actor": actor,
            "user": user,
            "motif": motif,
            "comment": options["comment"].strip(),
            "mandate_number": mandate_number,
        }

        totals: Counter = Counter()
        # reason → [count, a few identifiers] (never every identifier: a run may refuse millions)
        reasons: dict[str, list] = defaultdict(lambda: [0, []])
        batch_no, last_pk = 0, 0
        while True:
            ids = list(invoices.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            batch_no += 1
            last_pk = ids[-1]
            counts = self._batch(ids, params, reasons, dry_run=dry_run, run_async=run_async)
            totals.update(counts)
            self.stdout.write(f"Lot {batch_no} : {len(ids)} factures — " + self._summary(counts, dry_run, run_async))
        self._report(transition, actor, totals, reasons, dry_run=dry_run, run_async=run_async)

    # --- Arguments

    def _transition(self, options):
        actor = ACTORS.get(options["actor"].strip().lower())
        if actor is None:
            raise CommandError(f"--actor : « {options['actor']} » inconnu ; choisissez destinataire ou systeme.")
        transition = workflow.TRANSITIONS.get(options["transition"].strip())
        if transition is None:
            names = ", ".join(t.name for t in workflow.transitions_for(actor))
            raise CommandError(f"Transition inconnue « {options['transition']} ». Transitions possibles : {names}.")
        if actor not in transition.actors:
            names = ", ".join(t.name for t in workflow.transitions_for(actor))
            raise CommandError(
                f"La transition « {transition.label} » n'est pas permise à l'acteur {actor.value}. "
                f"Transitions possibles pour lui : {names}."
            )
        return transition, actor

    def _motif(self, code: str, transition: workflow.Transition) -> Motif | None:
        """The motif, checked against the transition's motif rule (``lifecycle.motif_resolve``)."""
        code = code.strip()
        if not code and transition.motif_required:
            raise CommandError(f"--motif est obligatoire pour l'action « {transition.label} » (code d'un motif actif).")
        if code and not Motif.objects.filter(code=code, is_active=True).exists():
            raise CommandError(f"--motif : aucun motif actif de code « {code} ».")
        try:
            return lifecycle.motif_resolve(code or None, transition)
        except workflow.TransitionError as exc:
            raise CommandError(f"--motif : {exc}") from None

    def _user(self, email: str):
        email = email.strip()
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"--user : aucun utilisateur actif d'adresse « {email} ».")
        return user

    # --- Work

    def _batch(self, ids, params, reasons, *, dry_run: bool, run_async: bool) -> Counter:
        counts: Counter = Counter()
        motif = params["motif"]
        with transaction.atomic():
            rows = Invoice.objects.filter(pk__in=ids).order_by("pk")
            if not dry_run:
                rows = rows.select_for_update(skip_locked=True)
            rows = list(rows.values_list("pk", "identifier", "status"))
            counts[LOCKED] = len(ids) - len(rows)
            queued: list[int] = []
            for pk, identifier, status in rows:
                try:
                    workflow.check(
                        status=status,
                        transition=params["transition"],
                        actor=params["actor"],
                        motif=motif.code if motif else None,
                        mandate_number=params["mandate_number"],
                    )
                except workflow.AlreadyApplied:
                    counts[ALREADY] += 1
                    continue
                except workflow.TransitionError as exc:
                    counts[REFUSED] += 1
                    _note(reasons, str(exc), identifier or str(pk))
                    continue
                if dry_run:
                    counts[WOULD] += 1
                elif run_async:
                    queued.append(pk)
                    counts[QUEUED] += 1
                else:
                    try:
                        event = invoice_transition(invoice=pk, **params)
                    except workflow.TransitionError as exc:
                        counts[REFUSED] += 1
                        _note(reasons, str(exc), identifier or str(pk))
                        continue
                    counts[DONE if event is not None else ALREADY] += 1
            if queued:  # durable requests, committed with the batch, applied by the workers
                services.transition_requests_create(
                    invoice_ids=queued,
                    transition=workflow.TRANSITIONS[params["transition"]],
                    user=params["user"],
                    actor=params["actor"],
                    motif=motif,
                    comment=params["comment"],
                    mandate_number=params["mandate_number"],
                )
        return counts

    # --- Output

    @staticmethod
    def _summary(counts: Counter, dry_run: bool, run_async: bool) -> str:
        if dry_run:
            first = f"{counts[WOULD]} seraient traitées"
        elif run_async:
            first = f"{counts[QUEUED]} mises en file"
        else:
            first = f"{counts[DONE]} traitées"
        return (
            f"{first}, {counts[ALREADY]} déjà au statut cible, {counts[REFUSED]} refusées, "
            f"{counts[LOCKED]} verrouillées (ignorées)."
        )

    def _report(self, transition, actor, totals: Counter, reasons, *, dry_run: bool, run_async: bool) -> None:
        examined = sum(totals.values())
        if not examined:
            self.stdout.write("Aucune facture ne correspond à la sélection.")
            return
        mode = " (simulation : rien n'a été écrit)" if dry_run else ""
        self.stdout.write(f"Bilan de « {transition.label} » ({transition.name}), acteur {actor.value}{mode} :")
        self.stdout.write(f"  Factures examinées : {examined}")
        if dry_run:
            self.stdout.write(f"  Seraient traitées : {totals[WOULD]}")
        elif run_async:
            self.stdout.write(f"  Mises en file d'attente : {totals[QUEUED]}")
        else:
            self.stdout.write(self.style.SUCCESS(f"  Traitées : {totals[DONE]}"))
        self.stdout.write(f"  Déjà au statut cible : {totals[ALREADY]}")
        self.stdout.write(f"  Refusées : {totals[REFUSED]}")
        for reason, (count, examples) in sorted(reasons.items(), key=lambda item: -item[1][0]):
            more = " …" if count > len(examples) else ""
            self.stdout.write(f"    - {reason.rstrip('.')} : {count} (ex. {', '.join(examples)}{more})")
        self.stdout.write(f"  Ignorées car verrouillées par un autre traitement : {totals[LOCKED]}")
