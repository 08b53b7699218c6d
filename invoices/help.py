"""The content of "Aide" that comes from the portal's own tables: the guides' list, what each
motif means (the motifs of the ``Motif`` table, with the advice of the supplier kit), what each
status means and what can follow it (``invoices/workflow.py``). The guides' text is in
``templates/pages/aide/``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from invoices import workflow
from invoices.models import Motif, MotifCategory
from invoices.workflow import Actor, Status


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str


GUIDES = [
    Guide("creer-un-compte", _("Créer son compte"), _("Inscription, lien d'activation, première connexion.")),
    Guide(
        "rattachement",
        _("Se rattacher à sa structure"),
        _("Rejoindre la fiche de son entreprise ou la créer ; le rôle du gestionnaire principal."),
    ),
    Guide("deposer-une-facture", _("Déposer une facture PDF"), _("Le dépôt, le formulaire pré-rempli, l'envoi.")),
    Guide(
        "verifier-une-facture",
        _("Vérifier une facture structurée"),
        _("« Vérifier ma facture » : la norme EN 16931, les erreurs expliquées, ce qui bloque le dépôt."),
    ),
    Guide("saisir-une-facture", _("Saisir une facture"), _("Le mandat de facturation, les lignes, les totaux.")),
    Guide(
        "suivre-une-facture",
        _("Suivre ses factures"),
        _("Rechercher, Archives, l'historique, les e-mails, le certificat de dépôt."),
    ),
    Guide(
        "completer-une-facture",
        _("Répondre à une suspension"),
        _("Compléter une facture suspendue avec des pièces jointes ou un commentaire."),
    ),
    Guide(
        "recycler-une-facture",
        _("Recycler une facture"),
        _("Corriger le destinataire, le code service ou l'engagement d'une facture « À recycler »."),
    ),
    Guide(
        "facture-rejetee",
        _("Après un rejet"),
        _("Traiter le rejet et envoyer une nouvelle facture avec un nouveau numéro."),
    ),
    Guide("motifs", _("Les motifs de rejet et de suspension"), _("Ce que veut dire chaque motif, et que faire.")),
    Guide("statuts", _("Les statuts d'une facture"), _("Chaque statut, son code et ce qui peut suivre.")),
    Guide(
        "contacter-le-support",
        _("Contacter le support"),
        _("Sollicitations, « Nous contacter », ce que le support peut faire."),
    ),
]
GUIDES_BY_SLUG = {guide.slug: guide for guide in GUIDES}


# What each motif of the supplier kit means and what to do (a motif staff add later gets the
# generic advice of its use: suspension, rejection or À recycler).
MOTIF_HELP = {
    "SE_EJ_INCORRECT": (
        _(
            "Le code service ou le numéro d'engagement juridique (EJ, n° de commande) ne correspond pas au "
            "destinataire : absent alors qu'il est exigé, inconnu, fermé, ou appartenant à une autre structure."
        ),
        _(
            "Demandez à votre acheteur le bon code service et le bon EJ, puis « Recycler » la facture : "
            "elle garde son numéro."
        ),
    ),
    "CREANCIER_INCONNU": (
        _("L'engagement juridique cité a été passé avec un autre fournisseur que votre structure."),
        _(
            "Vérifiez le numéro d'engagement sur le bon de commande reçu ; si votre SIRET n'est pas celui de "
            "l'engagement, contactez votre acheteur."
        ),
    ),
    "MARCHE_TERMINE": (
        _("Le marché au titre duquel vous facturez est échu ou soldé."),
        _("Rapprochez-vous de votre acheteur pour savoir sur quel marché ou engagement facturer."),
    ),
    "SOUS_TRAITANT_NON_DECLARE": (
        _(
            "La facture est déposée par un sous-traitant ou un cotraitant que le marché ne déclare pas, ou "
            "avec un cadre de facturation qui ne correspond pas."
        ),
        _(
            "Vérifiez le cadre de facturation (A9 sous-traitant, A12 cotraitant) et la déclaration de "
            "sous-traitance auprès de l'acheteur."
        ),
    ),
    "COMPENSATION_AVOIRS": (
        _("La facture est annulée pour être compensée par un ou plusieurs avoirs."),
        _("Aucune nouvelle facture n'est attendue pour ce montant, sauf indication contraire du commentaire."),
    ),
    "JUSTIFICATIF_ABSENT": (
        _("Une pièce justificative manque ou ne suffit pas : bon de livraison, attestation, détail des prestations…"),
        _(
            "Pour une suspension : « Compléter » la facture avec le justificatif demandé dans le commentaire. "
            "Pour un rejet : envoyez une nouvelle facture accompagnée du justificatif."
        ),
    ),
    "MONTANT_ERRONE": (
        _("Le montant facturé ne correspond pas à la commande ou au service fait."),
        _("Envoyez une facture au bon montant, avec un nouveau numéro (ou un avoir si le commentaire le demande)."),
    ),
    "TAUX_TVA_ERRONE": (
        _("Le taux de TVA appliqué n'est pas celui qui convient à la prestation ou au lieu."),
        _("Envoyez une nouvelle facture avec le bon taux de TVA (et un nouveau numéro)."),
    ),
    "RETRAITEMENT_MANUEL": (
        _("Le service traite la facture hors du portail, manuellement."),
        _("Vous n'avez rien à envoyer ; le commentaire précise la suite."),
    ),
    "PAIEMENT_REGIE": (
        _("La dépense est payée par une régie, pas par le circuit des factures du portail."),
        _("Suivez les indications du commentaire ou de votre acheteur pour le paiement en régie."),
    ),
    "ERREUR_RIB": (
        _("Les coordonnées bancaires de la facture sont fausses ou ne sont pas celles connues du destinataire."),
        _(
            "Le gestionnaire principal vérifie les coordonnées bancaires de la structure (« Activités du "
            "gestionnaire »), puis envoyez une nouvelle facture."
        ),
    ),
    "LIVRAISON_INCOMPLETE": (
        _("La livraison ou la prestation n'est pas (entièrement) faite au moment du traitement."),
        _("Facturez ce qui est livré, ou attendez la fin de la livraison, et envoyez une nouvelle facture."),
    ),
    "NON_CONFORME_COMMANDE": (
        _("La facture ne correspond pas à la commande : articles, quantités, prix ou références."),
        _("Reprenez la commande et envoyez une facture conforme, avec un nouveau numéro."),
    ),
    "DOUBLE_FACTURATION": (
        _("La même prestation est déjà facturée par une autre facture."),
        _("N'envoyez pas de nouvelle facture : la première suit son cours."),
    ),
    "CONTACTER_ACHETEUR": (
        _("Le service vous demande de prendre contact avec l'acheteur qui a passé la commande."),
        _("Appelez ou écrivez à votre acheteur : le commentaire donne souvent son nom."),
    ),
    "SUPPRESSION_MASSE": (
        _("La facture fait partie d'un lot retiré par le destinataire (erreur de dépôt en nombre, doublons…)."),
        _("Vérifiez avec votre acheteur quelles factures renvoyer."),
    ),
}
GENERIC_MOTIF_HELP = (
    _("Motif propre au destinataire : le commentaire qui l'accompagne en dit plus."),
    _("Suivez le commentaire ; en cas de doute, contactez votre acheteur."),
)


def motif_groups() -> list[dict]:
    """The active motifs by category (kit order), each with its meaning and what to do."""
    motifs = list(Motif.objects.filter(is_active=True).order_by("position", "code"))
    groups = []
    for value, label in MotifCategory.choices:
        rows = []
        for motif in motifs:
            if motif.category != value:
                continue
            meaning, advice = MOTIF_HELP.get(motif.code, GENERIC_MOTIF_HELP)
            rows.append({"motif": motif, "meaning": meaning, "advice": advice})
        if rows:
            groups.append({"label": label, "rows": rows})
    return groups


# What each status means for the supplier.
STATUS_HELP = {
    Status.BROUILLON: _("Enregistrée, pas envoyée : vous pouvez la modifier, l'envoyer ou la supprimer."),
    Status.DEPOSEE: _("Envoyée et intégrée au portail ; son certificat de dépôt est disponible. Rien à faire."),
    Status.EN_COURS_ACHEMINEMENT: _(
        "Le portail contrôle le destinataire, le code service et l'engagement avant de la transmettre."
    ),
    Status.MISE_A_DISPOSITION: _("Le destinataire peut la traiter ; le délai de paiement court à partir de là."),
    Status.PRISE_EN_COMPTE_DESTINATAIRE: _("Le service destinataire a commencé à la traiter."),
    Status.A_RECYCLER: _(
        "Elle n'a pas pu être acheminée ou le destinataire la renvoie : corrigez le destinataire, le code "
        "service ou l'engagement (« Recycler »)."
    ),
    Status.SUSPENDUE: _("Le destinataire attend un complément (motif et commentaire) : « Compléter »."),
    Status.COMPLETEE: _("Vous avez répondu à la suspension ; elle est de nouveau chez le destinataire."),
    Status.REJETEE: _(
        "Refusée, définitivement : elle ne sera pas payée. Traitez le rejet et envoyez une nouvelle facture."
    ),
    Status.SERVICE_FAIT: _("Le destinataire a constaté la livraison ou la prestation."),
    Status.MANDATEE: _("La dépense est ordonnancée ; le numéro de mandat s'affiche sur la facture."),
    Status.MISE_A_DISPOSITION_COMPTABLE: _("La facture est transmise au comptable public qui va la payer."),
    Status.COMPTABILISEE: _("Le comptable public l'a enregistrée."),
    Status.MISE_EN_PAIEMENT: _(
        "Le paiement est ordonné : la facture est terminée. Certains destinataires ne publient pas ce statut."
    ),
}
ACTOR_LABELS = {
    Actor.SYSTEM: _("le portail"),
    Actor.SUPPLIER: _("vous"),
    Actor.RECIPIENT: _("le destinataire"),
}


def status_rows() -> list[dict]:
    """Every status in lifecycle order: label, reform code, meaning, and what may follow (from the
    transition table): the next statuses with who moves the invoice there."""
    rows = []
    for status in Status:
        following = []
        for transition in workflow.TRANSITIONS.values():
            if status in transition.sources:
                actors = ", ".join(str(ACTOR_LABELS[a]) for a in sorted(transition.actors))
                following.append(
                    {"label": workflow.status_label(transition.target), "actor": actors, "name": transition.label}
                )
        rows.append(
            {
                "status": status,
                "label": status.label,
                "code": workflow.reform_code(status),
                "meaning": STATUS_HELP[status],
                "following": following,
                "final": status in workflow.END_STATUSES,
            }
        )
    return rows
