"""Attach a ministry agent to a public structure, or detach them (docs/operator-commands.md).

    manage.py attach_agent EMAIL SIRET            # rattacher
    manage.py attach_agent EMAIL SIRET --detach   # détacher

The account (EMAIL, its login address) must exist and be active; SIRET names a public structure
(recipient) of the directory. The work is done by ``structures.services.recipient_staff_attach``
and ``recipient_staff_detach``, as from the admin: membership, ``is_staff``, history (the actor is
empty and the comment names the command) and e-mail to the agent. Bad input exits non-zero with a
French message and changes nothing.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from structures import selectors, services
from structures.models import Structure
from structures.services.common import absolute_url
from structures.validators import normalize_siret


class Command(BaseCommand):
    help = (
        "Rattache un agent (compte existant, par son adresse e-mail) à une structure publique destinataire "
        "(par son SIRET), ou l'en détache avec --detach."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", metavar="EMAIL", help=_("Adresse e-mail de connexion de l'agent."))
        parser.add_argument("siret", metavar="SIRET", help=_("SIRET de la structure publique (espaces acceptés)."))
        parser.add_argument(
            "--detach", action="store_true", help=_("Détacher l'agent de la structure au lieu de l'y rattacher.")
        )

    def _structure(self, raw: str) -> Structure:
        raw = raw.strip()
        found = list(Structure.objects.filter(identifier__in={normalize_siret(raw), raw}).order_by("kind", "pk"))
        if not found:
            raise CommandError(_("Aucune structure n'a le SIRET « %(siret)s ».") % {"siret": raw})
        # A public structure first (the service refuses any other, with its reason).
        return next((structure for structure in found if structure.is_public), found[0])

    def handle(self, *args, email, siret, detach, **options):
        user = selectors.user_by_email(email)
        if user is None:
            raise CommandError(_("Aucun compte n'utilise l'adresse « %(email)s ».") % {"email": email.strip()})
        structure = self._structure(siret)
        comment = _("Commande d'exploitation : manage.py attach_agent")
        try:
            if detach:
                membership = services.recipient_staff_detach(
                    actor=None, user=user, structure=structure, comment=comment
                )
            else:
                membership = services.recipient_staff_attach(
                    actor=None, user=user, structure=structure, comment=comment
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        names = {"user": membership.user, "structure": structure.name, "siret": structure.identifier}
        if detach:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(user)s est détaché de %(structure)s (%(siret)s) ; un e-mail l'en prévient.") % names
                )
            )
            if not membership.user.is_staff:
                self.stdout.write(_("Son compte n'ouvre plus l'administration."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "%(user)s est rattaché à %(structure)s (%(siret)s) : il traite ses factures dans "
                        "l'administration (%(url)s) ; un e-mail l'en prévient."
                    )
                    % {**names, "url": absolute_url(reverse("admin:index"))}
                )
            )
