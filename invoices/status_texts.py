"""What each status means and what the supplier should do next, in plain French: a sibling of the
lifecycle table (``workflow.py``), keyed by ``Status``; tests/invoices/test_status_texts.py checks
that every status has both sentences. Shown on the invoice page, in its timeline and in the
Synthèse."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from invoices.workflow import Status


@dataclass(frozen=True)
class StatusText:
    meaning: str
    next_step: str


STATUS_TEXTS: dict[Status, StatusText] = {
    Status.BROUILLON: StatusText(
        _("La facture est enregistrée sur le portail mais n'a pas été envoyée : le destinataire ne la voit pas."),
        _("Complétez-la puis cliquez sur « Valider et envoyer », ou supprimez le brouillon."),
    ),
    Status.DEPOSEE: StatusText(
        _("La facture est reçue par Chorus Pro et son certificat de dépôt est disponible."),
        _("Rien à faire : elle va être acheminée automatiquement vers le destinataire."),
    ),
    Status.EN_COURS_ACHEMINEMENT: StatusText(
        _("Chorus Pro vérifie le destinataire, le code service et le numéro d'engagement avant de la transmettre."),
        _("Rien à faire : en cas d'erreur, la facture vous reviendra au statut « À recycler »."),
    ),
    Status.MISE_A_DISPOSITION: StatusText(
        _("Le destinataire a reçu la facture : le délai global de paiement court à partir de ce jour."),
        _("Rien à faire : attendez son traitement ; vous serez averti par e-mail de chaque étape."),
    ),
    Status.PRISE_EN_COMPTE_DESTINATAIRE: StatusText(
        _("Le service financier du destinataire a commencé à traiter la facture."),
        _("Rien à faire : attendez la suite de son traitement."),
    ),
    Status.A_RECYCLER: StatusText(
        _(
            "La facture n'a pas pu être remise au bon destinataire : le SIRET, le code service ou le "
            "numéro d'engagement est incorrect."
        ),
        _(
            "Cliquez sur « Recycler » pour corriger le destinataire, le code service ou le numéro "
            "d'engagement : la facture garde son numéro et repart."
        ),
    ),
    Status.SUSPENDUE: StatusText(
        _("Le destinataire a suspendu la facture : une pièce justificative ou une information manque."),
        _("Cliquez sur « Compléter » et ajoutez les pièces demandées et/ou un commentaire."),
    ),
    Status.COMPLETEE: StatusText(
        _("Vous avez complété la facture suspendue : elle est de nouveau chez le destinataire."),
        _("Rien à faire : un nouveau délai de paiement court depuis votre réponse."),
    ),
    Status.REJETEE: StatusText(
        _("Le destinataire a rejeté la facture : elle ne sera pas payée. Le rejet est définitif."),
        _(
            "Lisez le motif, cliquez sur « Traiter le rejet » puis envoyez une nouvelle facture "
            "corrigée avec un nouveau numéro."
        ),
    ),
    Status.SERVICE_FAIT: StatusText(
        _("Le destinataire atteste que la prestation ou la livraison a bien été faite."),
        _("Rien à faire : la facture avance vers le paiement."),
    ),
    Status.MANDATEE: StatusText(
        _("Le destinataire a ordonné le paiement (mandat) et l'a transmis à son comptable."),
        _("Rien à faire : le numéro de mandat vous permet de suivre le paiement auprès du comptable."),
    ),
    Status.MISE_A_DISPOSITION_COMPTABLE: StatusText(
        _("La facture est chez le comptable public, qui contrôle la dépense avant de payer."),
        _("Rien à faire : attendez la mise en paiement."),
    ),
    Status.COMPTABILISEE: StatusText(
        _("Le comptable a enregistré la dépense dans ses comptes."),
        _("Rien à faire : le paiement est imminent."),
    ),
    Status.MISE_EN_PAIEMENT: StatusText(
        _("Le paiement est ordonné : le virement arrive sur votre compte dans les jours qui suivent."),
        _("Rien à faire : vérifiez la réception du virement. Si le paiement est en retard, des intérêts sont dus."),
    ),
}


def status_text(status: str) -> StatusText:
    return STATUS_TEXTS[Status(status)]
