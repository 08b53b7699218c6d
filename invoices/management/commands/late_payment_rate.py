"""The ECB rate of the late-payment interest, by semester (docs/operator-commands.md).

    manage.py late_payment_rate set 2,15 [--from 2026-07-01]
    manage.py late_payment_rate list

``set`` records the ECB main refinancing rate in force on the first day of a semester (1 January
or 1 July; the current semester by default), replacing that semester's rate if any; ``list``
shows the history, newest first, with the interest rate applied (ECB + 8 points). A rate stays in
force until the next one. The same is editable in the admin (« Taux des intérêts moratoires »).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from invoices import payment, services
from invoices.models import LatePaymentRate
from invoices.services import rates


def _day(value: str) -> date:
    for parse in (date.fromisoformat, lambda v: date(*reversed([int(p) for p in v.split("/")]))):
        try:
            return parse(value.strip())
        except (ValueError, TypeError):
            continue
    raise CommandError(f"Date invalide : {value!r} (attendu AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-07-01).")


def _messages(error: ValidationError) -> str:
    return " ".join(message for messages in error.message_dict.values() for message in messages)


class Command(BaseCommand):
    help = "Taux de la BCE des intérêts moratoires, par semestre : enregistrer (set) ou lister (list)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="set|list")
        sub.required = True
        setting = sub.add_parser("set", help="Enregistre le taux de la BCE d'un semestre.")
        setting.add_argument("rate", help="Taux de la BCE en %, par exemple 2,15 ou 2.15.")
        setting.add_argument(
            "--from",
            dest="valid_from",
            help="Premier jour du semestre (1er janvier ou 1er juillet), par défaut le semestre en cours.",
        )
        sub.add_parser("list", help="Affiche l'historique des taux, du plus récent au plus ancien.")

    def handle(self, *args, **options):
        if options["action"] == "set":
            valid_from = (
                _day(options["valid_from"])
                if options.get("valid_from")
                else payment.semester_start(timezone.localdate())
            )
            try:
                row, created = services.late_payment_rate_set(ecb_rate=options["rate"], valid_from=valid_from)
            except ValidationError as error:
                raise CommandError(_messages(error)) from None
            verb = "enregistré" if created else "mis à jour"
            self.stdout.write(self.style.SUCCESS(f"Taux {verb} : {rates.describe(row)}"))
            return
        rows = list(LatePaymentRate.objects.order_by("-valid_from"))
        if not rows:
            self.stdout.write("Aucun taux enregistré : les intérêts moratoires ne sont pas calculés.")
            return
        today = timezone.localdate()
        in_force = next((row for row in rows if row.valid_from <= today), None)
        for row in rows:
            self.stdout.write(rates.describe(row) + ("  (en vigueur)" if row is in_force else ""))
