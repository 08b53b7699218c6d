"""The e-mail outbox for operators (docs/operator-commands.md).

    manage.py outbox list [--state pending|sent|failed] [--limit N]
    manage.py outbox retry ID [ID ...] | --failed

``list`` counts the rows by state and shows the latest ones (oldest pending first with
``--state pending``); ``retry`` gives e-mails another chance through ``outbox_retry``, as the
admin's "Renvoyer" does: a sent e-mail is never sent again.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OutboxEmail, OutboxState
from accounts.services import outbox_retry

STATES = {state.value: state for state in OutboxState}
MAX_LIMIT = 10_000


def _positive_int(value: str, option: str, *, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CommandError(
            _("%(option)s attend un nombre entier, pas « %(value)s ».") % {"option": option, "value": value}
        ) from None
    if not 1 <= number <= maximum:
        raise CommandError(_("%(option)s doit être compris entre 1 et %(max)s.") % {"option": option, "max": maximum})
    return number


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = _("Boîte d'envoi des e-mails : lister les messages, renvoyer ceux en échec ou en attente.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="list|retry")
        sub.required = True
        listing = sub.add_parser("list", help=_("Compte les e-mails par état et affiche les derniers."))
        listing.add_argument("--state", help=_("pending (en attente), sent (envoyés) ou failed (en échec)."))
        listing.add_argument("--limit", default="50", help=_("Nombre de lignes affichées (défaut 50)."))
        retry = sub.add_parser("retry", help=_("Remet en file d'envoi des e-mails en échec ou en attente."))
        retry.add_argument("ids", nargs="*", help=_("Identifiants des e-mails (colonne ID de « list »)."))
        retry.add_argument("--failed", action="store_true", help=_("Tous les e-mails en échec."))

    def handle(self, *args, **options):
        if options["action"] == "list":
            self._list(options)
        else:
            self._retry(options)

    def _list(self, options):
        state = options["state"]
        if state is not None and state not in STATES:
            raise CommandError(
                _("État inconnu « %(state)s » : choisissez parmi %(states)s.")
                % {"state": state, "states": ", ".join(STATES)}
            )
        limit = _positive_int(options["limit"], "--limit", maximum=MAX_LIMIT)
        counts = dict(OutboxEmail.objects.values_list("state").annotate(n=Count("pk")).order_by())
        self.stdout.write(
            _("E-mails : %(pending)s en attente, %(sent)s envoyés, %(failed)s en échec.")
            % {key: counts.get(key, 0) for key in STATES}
        )
        rows = OutboxEmail.objects.only(
            "pk", "state", "attempts", "created_at", "next_attempt_at", "sent_at", "subject", "to", "last_error"
        )
        if state is not None:
            rows = rows.filter(state=state)
        # Pending: the oldest first (those waiting longest); otherwise the latest first.
        rows = (
            rows.order_by("created_at", "pk") if state == OutboxState.PENDING else rows.order_by("-created_at", "-pk")
        )
        rows = list(rows[:limit])
        if not rows:
            self.stdout.write(_("Aucun e-mail à afficher."))
            return
        header = [
            _("ID"),
            _("État"),
            _("Essais"),
            _("Créé le"),
            _("Envoyé le / prochain essai"),
            _("Destinataires"),
            _("Objet"),
        ]
        lines = [header]
        for row in rows:
            when = row.sent_at if row.state == OutboxState.SENT else row.next_attempt_at
            if row.state == OutboxState.FAILED:
                when = None
            lines.append(
                [
                    str(row.pk),
                    STATES[row.state].label,
                    str(row.attempts),
                    _when(row.created_at),
                    _when(when),
                    ", ".join(row.to),
                    row.subject,
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        for index, line in enumerate(lines):
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1]
            )
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths) + "  " + "-" * len(line[-1]))
        for row in rows:
            if row.last_error and row.state != OutboxState.SENT:
                self.stdout.write(_("Dernière erreur de %(id)s : %(error)s") % {"id": row.pk, "error": row.last_error})

    def _retry(self, options):
        ids = []
        for value in options["ids"]:
            ids.append(_positive_int(value, _("l'identifiant"), maximum=2**63 - 1))
        if not ids and not options["failed"]:
            raise CommandError(_("Indiquez des identifiants d'e-mails ou --failed."))
        report = outbox_retry(ids=ids, failed=options["failed"])
        if report.requeued:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(count)s e-mails remis en file d'envoi : %(ids)s")
                    % {"count": len(report.requeued), "ids": _preview(report.requeued)}
                )
            )
        else:
            self.stdout.write(_("Aucun e-mail remis en file d'envoi."))
        if report.already_sent:
            self.stdout.write(_("Déjà envoyés, non renvoyés : %(ids)s") % {"ids": _preview(report.already_sent)})
        if report.in_progress:
            self.stdout.write(
                _("En cours d'envoi par un worker, laissés à celui-ci : %(ids)s")
                % {"ids": _preview(report.in_progress)}
            )
        if report.unknown:
            self.stdout.write(
                self.style.WARNING(_("Identifiants inconnus : %(ids)s") % {"ids": _preview(report.unknown)})
            )


def _preview(ids: list[int], shown: int = 50) -> str:
    text = ", ".join(str(pk) for pk in ids[:shown])
    return text + (" …" if len(ids) > shown else "")
