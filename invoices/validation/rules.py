"""French texts of the EN 16931 business rules the shipped schematrons check (BR-*, BR-CO-*,
BR-DEC-*, BR-CL-*, the VAT category rules BR-S/Z/E/AE/K/G/O/L/M-*): for each, what is wrong and
how to fix it, written for a supplier, not an integrator. Rules without a text here fall back to
a generic French sentence (``invoices.validation.explain``).

``RULES[rule_id] = (problem, fix)``; the business terms named in ``problem`` are shown with
their French names. The schematrons of Factur-X (CII) name the rules as the CEN does (``BR-01``,
``BR-CO-15``…), the UBL one too; the VAT category families use ``BR-S-08``, ``BR-AE-10``…
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

RULES: dict[str, tuple[str, str]] = {
    "BR-01": (
        _("Le profil de la facture (BT-24) est absent."),
        _("Indiquez l'identifiant de spécification, par exemple « urn:cen.eu:en16931:2017 »."),
    ),
    "BR-02": (
        _("Le numéro de facture (BT-1) est absent."),
        _("Donnez à la facture son numéro, unique pour votre structure dans l'année."),
    ),
    "BR-03": (
        _("La date d'émission de la facture (BT-2) est absente."),
        _("Indiquez la date d'émission de la facture."),
    ),
    "BR-04": (
        _("Le code de type de facture (BT-3) est absent."),
        _("Indiquez 380 (facture), 381 (avoir), 384 (facture rectificative) ou 389 (autofacture)."),
    ),
    "BR-05": (_("Le code de devise de la facture (BT-5) est absent."), _("Indiquez la devise, « EUR ».")),
    "BR-06": (_("Le nom du vendeur (BT-27) est absent."), _("Indiquez la raison sociale de votre structure.")),
    "BR-07": (
        _("Le nom de l'acheteur (BT-44) est absent."),
        _("Indiquez le nom de la structure publique destinataire, tel qu'il figure dans l'annuaire."),
    ),
    "BR-08": (
        _("L'adresse postale du vendeur (BG-5) est absente."),
        _("Renseignez l'adresse de votre structure (au moins le code de pays BT-40)."),
    ),
    "BR-09": (
        _("Le code de pays du vendeur (BT-40) est absent de son adresse."),
        _("Indiquez le code de pays sur deux lettres, « FR » pour la France."),
    ),
    "BR-10": (
        _("L'adresse postale de l'acheteur (BG-8) est absente."),
        _("Renseignez l'adresse du destinataire (au moins le code de pays BT-55)."),
    ),
    "BR-11": (
        _("Le code de pays de l'acheteur (BT-55) est absent de son adresse."),
        _("Indiquez le code de pays sur deux lettres, « FR » pour la France."),
    ),
    "BR-12": (
        _("La somme des montants nets des lignes (BT-106) est absente."),
        _("Indiquez le total des lignes hors TVA."),
    ),
    "BR-13": (_("Le montant total hors TVA (BT-109) est absent."), _("Indiquez le total hors TVA de la facture.")),
    "BR-14": (_("Le montant total TTC (BT-112) est absent."), _("Indiquez le total toutes taxes comprises.")),
    "BR-15": (
        _("Le montant à payer (BT-115) est absent."),
        _("Indiquez le montant restant à payer (le TTC moins ce qui a déjà été payé)."),
    ),
    "BR-16": (
        _("La facture n'a aucune ligne (BG-25)."),
        _("Ajoutez au moins une ligne de facture, ou produisez la facture à un profil qui les porte (EN 16931)."),
    ),
    "BR-17": (
        _("Le bénéficiaire du paiement (BG-10) est distinct du vendeur mais son nom (BT-59) est absent."),
        _("Indiquez le nom du bénéficiaire, ou retirez le bloc bénéficiaire s'il s'agit du vendeur."),
    ),
    "BR-18": (
        _("Le représentant fiscal du vendeur (BG-11) n'a pas de nom (BT-62)."),
        _("Indiquez le nom du représentant fiscal."),
    ),
    "BR-19": (
        _("Le représentant fiscal du vendeur (BG-11) n'a pas d'adresse (BG-12)."),
        _("Indiquez l'adresse du représentant fiscal."),
    ),
    "BR-20": (
        _("L'adresse du représentant fiscal n'a pas de code de pays (BT-69)."),
        _("Indiquez le code de pays sur deux lettres."),
    ),
    "BR-21": (
        _("Une ligne de facture (BG-25) n'a pas d'identifiant (BT-126)."),
        _("Numérotez chaque ligne (1, 2, 3…)."),
    ),
    "BR-22": (
        _("Une ligne de facture (BG-25) n'a pas de quantité facturée (BT-129)."),
        _("Indiquez la quantité de chaque ligne."),
    ),
    "BR-23": (
        _("Une ligne de facture (BG-25) n'a pas d'unité de mesure (BT-130)."),
        _("Indiquez l'unité de chaque ligne, par exemple « C62 » (unité) ou « HUR » (heure)."),
    ),
    "BR-24": (
        _("Une ligne de facture (BG-25) n'a pas de montant net (BT-131)."),
        _("Indiquez le montant hors TVA de chaque ligne."),
    ),
    "BR-25": (
        _("Une ligne de facture (BG-25) n'a pas de nom d'article (BT-153)."),
        _("Donnez une désignation à chaque ligne."),
    ),
    "BR-26": (
        _("Une ligne de facture (BG-25) n'a pas de prix net unitaire (BT-146)."),
        _("Indiquez le prix unitaire hors TVA de chaque ligne."),
    ),
    "BR-27": (
        _("Le prix net unitaire (BT-146) d'une ligne est négatif."),
        _("Un prix unitaire est positif : pour déduire un montant, mettez une quantité négative ou émettez un avoir."),
    ),
    "BR-28": (
        _("Le prix brut unitaire (BT-148) d'une ligne est négatif."),
        _("Un prix unitaire est positif : corrigez le prix brut."),
    ),
    "BR-29": (
        _("La fin de la période de facturation (BT-74) précède son début (BT-73)."),
        _("Corrigez les dates de la période de facturation."),
    ),
    "BR-30": (
        _("La fin de la période d'une ligne (BT-135) précède son début (BT-134)."),
        _("Corrigez les dates de période de la ligne."),
    ),
    "BR-31": (
        _("Une remise au niveau du document (BG-20) n'a pas de montant (BT-92)."),
        _("Indiquez le montant de la remise."),
    ),
    "BR-32": (
        _("Une remise au niveau du document (BG-20) n'a pas de catégorie de TVA (BT-95)."),
        _("Indiquez la catégorie de TVA de la remise (« S » pour le taux normal)."),
    ),
    "BR-33": (
        _("Une remise au niveau du document (BG-20) n'a ni motif (BT-97) ni code de motif (BT-98)."),
        _("Indiquez le motif de la remise."),
    ),
    "BR-36": (
        _("Des frais au niveau du document (BG-21) n'ont pas de montant (BT-99)."),
        _("Indiquez le montant des frais."),
    ),
    "BR-37": (
        _("Des frais au niveau du document (BG-21) n'ont pas de catégorie de TVA (BT-102)."),
        _("Indiquez la catégorie de TVA des frais."),
    ),
    "BR-38": (
        _("Des frais au niveau du document (BG-21) n'ont ni motif (BT-104) ni code de motif (BT-105)."),
        _("Indiquez le motif des frais."),
    ),
    "BR-41": (
        _("Une remise sur une ligne (BG-27) n'a pas de montant (BT-136)."),
        _("Indiquez le montant de la remise sur la ligne."),
    ),
    "BR-42": (
        _("Une remise sur une ligne (BG-27) n'a ni motif (BT-139) ni code de motif (BT-140)."),
        _("Indiquez le motif de la remise."),
    ),
    "BR-43": (
        _("Des frais sur une ligne (BG-28) n'ont pas de montant (BT-141)."),
        _("Indiquez le montant des frais sur la ligne."),
    ),
    "BR-44": (
        _("Des frais sur une ligne (BG-28) n'ont ni motif (BT-144) ni code de motif (BT-145)."),
        _("Indiquez le motif des frais."),
    ),
    "BR-45": (
        _("Une ligne de la ventilation de la TVA (BG-23) n'a pas de base d'imposition (BT-116)."),
        _("Indiquez, pour chaque taux, la base hors TVA."),
    ),
    "BR-46": (
        _("Une ligne de la ventilation de la TVA (BG-23) n'a pas de montant de TVA (BT-117)."),
        _("Indiquez, pour chaque taux, le montant de TVA."),
    ),
    "BR-47": (
        _("Une ligne de la ventilation de la TVA (BG-23) n'a pas de catégorie de TVA (BT-118)."),
        _("Indiquez la catégorie : « S » (taux normal), « Z » (taux zéro), « E » (exonéré), « AE » (autoliquidation)…"),
    ),
    "BR-48": (
        _("Une ligne de la ventilation de la TVA (BG-23) n'a pas de taux (BT-119)."),
        _("Indiquez le taux de TVA, 0 pour une opération exonérée."),
    ),
    "BR-49": (
        _("Les instructions de paiement (BG-16) n'ont pas de code de moyen de paiement (BT-81)."),
        _("Indiquez le moyen de paiement : 30 ou 58 (virement), 49 ou 59 (prélèvement)…"),
    ),
    "BR-50": (
        _("Un virement (BG-17) est indiqué sans compte de paiement (BT-84)."),
        _("Indiquez l'IBAN du compte à créditer."),
    ),
    "BR-51": (
        _("Le numéro complet d'une carte de paiement (BT-87) figure sur la facture."),
        _("N'indiquez au plus que les 6 premiers et les 4 derniers chiffres de la carte."),
    ),
    "BR-52": (
        _("Un justificatif (BG-24) n'a pas de référence (BT-122)."),
        _("Donnez une référence à chaque justificatif joint."),
    ),
    "BR-53": (
        _(
            "La devise de comptabilisation de la TVA (BT-6) est indiquée sans le total de TVA dans cette devise (BT-111)."
        ),
        _("Indiquez le total de TVA en devise de comptabilisation, ou retirez BT-6."),
    ),
    "BR-54": (
        _("Un attribut d'article (BG-32) n'a pas de nom (BT-160) ou de valeur (BT-161)."),
        _("Complétez ou retirez l'attribut."),
    ),
    "BR-55": (
        _("Une référence à une facture antérieure (BG-3) ne donne pas le numéro de cette facture (BT-25)."),
        _("Indiquez le numéro de la facture d'origine."),
    ),
    "BR-56": (
        _("Le représentant fiscal du vendeur (BG-11) n'a pas de numéro de TVA (BT-63)."),
        _("Indiquez son numéro de TVA intracommunautaire."),
    ),
    "BR-57": (
        _("L'adresse de livraison (BG-15) n'a pas de code de pays (BT-80)."),
        _("Indiquez le code de pays sur deux lettres."),
    ),
    "BR-61": (
        _("Le moyen de paiement (BT-81) est un virement mais le compte à créditer (BT-84) est absent."),
        _("Indiquez l'IBAN du compte à créditer, ou un autre moyen de paiement."),
    ),
    "BR-62": (
        _("L'adresse électronique du vendeur (BT-34) n'a pas d'identifiant de schéma."),
        _(
            "Indiquez le schéma de l'adresse (attribut schemeID, par exemple « 0009 » pour un SIRET, « EM » pour un courriel)."
        ),
    ),
    "BR-63": (
        _("L'adresse électronique de l'acheteur (BT-49) n'a pas d'identifiant de schéma."),
        _("Indiquez le schéma de l'adresse (attribut schemeID, par exemple « 0009 » pour un SIRET)."),
    ),
    "BR-64": (
        _("L'identifiant normalisé d'un article (BT-157) n'a pas d'identifiant de schéma."),
        _("Indiquez le schéma (par exemple « 0160 » pour un GTIN)."),
    ),
    "BR-65": (
        _("Le code de classification d'un article (BT-158) n'a pas d'identifiant de liste."),
        _("Indiquez la liste de classification utilisée."),
    ),
    "BR-CO-03": (
        _("La date d'exigibilité de la TVA (BT-7) et son code (BT-8) sont tous deux indiqués."),
        _("N'indiquez que l'un des deux."),
    ),
    "BR-CO-04": (
        _("Une ligne de facture (BG-25) n'a pas de catégorie de TVA (BT-151)."),
        _("Indiquez la catégorie de TVA de chaque ligne (« S » pour le taux normal)."),
    ),
    "BR-CO-05": (
        _("Le code de motif de remise (BT-98) ne correspond pas au motif (BT-97)."),
        _("Mettez le code qui correspond au motif écrit."),
    ),
    "BR-CO-06": (
        _("Le code de motif des frais (BT-105) ne correspond pas au motif (BT-104)."),
        _("Mettez le code qui correspond au motif écrit."),
    ),
    "BR-CO-07": (
        _("Le code de motif de remise sur ligne (BT-140) ne correspond pas au motif (BT-139)."),
        _("Mettez le code qui correspond au motif écrit."),
    ),
    "BR-CO-08": (
        _("Le code de motif des frais sur ligne (BT-145) ne correspond pas au motif (BT-144)."),
        _("Mettez le code qui correspond au motif écrit."),
    ),
    "BR-CO-09": (
        _("Un numéro de TVA (BT-31, BT-48 ou BT-63) ne commence pas par le code de pays."),
        _("Un numéro de TVA commence par le code du pays qui l'a attribué, par exemple « FR » suivi de 11 caractères."),
    ),
    "BR-CO-10": (
        _("La somme des montants nets des lignes (BT-106) ne correspond pas à l'addition des lignes (BT-131)."),
        _("Recalculez le total des lignes hors TVA."),
    ),
    "BR-CO-11": (
        _("La somme des remises (BT-107) ne correspond pas à l'addition des remises du document (BT-92)."),
        _("Recalculez le total des remises."),
    ),
    "BR-CO-12": (
        _("La somme des frais (BT-108) ne correspond pas à l'addition des frais du document (BT-99)."),
        _("Recalculez le total des frais."),
    ),
    "BR-CO-13": (
        _(
            "Le montant total hors TVA (BT-109) n'est pas égal au total des lignes (BT-131) moins les remises (BT-107) plus les frais (BT-108)."
        ),
        _("Recalculez le total hors TVA."),
    ),
    "BR-CO-14": (
        _("Le montant total de la TVA (BT-110) n'est pas la somme des montants de TVA de la ventilation (BT-117)."),
        _("Recalculez le total de TVA à partir de la ventilation par taux."),
    ),
    "BR-CO-15": (
        _("Le montant total TTC (BT-112) n'est pas égal au total hors TVA (BT-109) plus le total de la TVA (BT-110)."),
        _("Recalculez le TTC : HT + TVA, au centime."),
    ),
    "BR-CO-16": (
        _(
            "Le montant à payer (BT-115) n'est pas égal au TTC (BT-112) moins le montant déjà payé (BT-113) plus l'arrondi (BT-114)."
        ),
        _("Recalculez le montant à payer."),
    ),
    "BR-CO-17": (
        _(
            "Le montant de TVA d'un taux (BT-117) n'est pas égal à sa base (BT-116) multipliée par le taux (BT-119), arrondi au centime."
        ),
        _("Recalculez la TVA de ce taux : base × taux / 100, arrondi à deux décimales."),
    ),
    "BR-CO-18": (
        _("La facture n'a pas de ventilation de la TVA (BG-23)."),
        _("Ajoutez au moins une ligne de ventilation de la TVA (une par taux)."),
    ),
    "BR-CO-19": (
        _("La période de facturation (BG-14) est indiquée sans date de début (BT-73) ni de fin (BT-74)."),
        _("Indiquez au moins l'une des deux dates, ou retirez la période."),
    ),
    "BR-CO-20": (
        _("La période d'une ligne (BG-26) est indiquée sans date de début (BT-134) ni de fin (BT-135)."),
        _("Indiquez au moins l'une des deux dates, ou retirez la période."),
    ),
    "BR-CO-21": (
        _("Une remise au niveau du document (BG-20) n'a ni motif (BT-97) ni code de motif (BT-98)."),
        _("Indiquez le motif de la remise."),
    ),
    "BR-CO-22": (
        _("Des frais au niveau du document (BG-21) n'ont ni motif (BT-104) ni code de motif (BT-105)."),
        _("Indiquez le motif des frais."),
    ),
    "BR-CO-23": (
        _("Une remise sur une ligne (BG-27) n'a ni motif (BT-139) ni code de motif (BT-140)."),
        _("Indiquez le motif de la remise."),
    ),
    "BR-CO-24": (
        _("Des frais sur une ligne (BG-28) n'ont ni motif (BT-144) ni code de motif (BT-145)."),
        _("Indiquez le motif des frais."),
    ),
    "BR-CO-25": (
        _(
            "Le montant à payer (BT-115) est positif mais ni la date d'échéance (BT-9) ni les conditions de paiement (BT-20) ne sont indiquées."
        ),
        _("Indiquez la date d'échéance ou les conditions de paiement."),
    ),
    "BR-CO-26": (
        _(
            "Le vendeur n'est identifié ni par un identifiant (BT-29), ni par son SIRET ou SIREN (BT-30), ni par son numéro de TVA (BT-31)."
        ),
        _("Indiquez le SIRET de votre structure (BT-30), que le portail utilise pour reconnaître le vendeur."),
    ),
    "BR-CL-01": (
        _("Le code de type de document (BT-3) n'est pas un code de facture ou d'avoir de la liste UNTDID 1001."),
        _("Utilisez 380 (facture), 381 (avoir), 384 (facture rectificative) ou 389 (autofacture)."),
    ),
    "BR-CL-03": (_("Un code de devise (attribut currencyID) n'est pas un code ISO 4217."), _("Utilisez « EUR ».")),
    "BR-CL-04": (_("Le code de devise de la facture (BT-5) n'est pas un code ISO 4217."), _("Utilisez « EUR ».")),
    "BR-CL-05": (
        _("Le code de devise de comptabilisation de la TVA (BT-6) n'est pas un code ISO 4217."),
        _("Utilisez « EUR »."),
    ),
    "BR-CL-14": (
        _("Un code de pays n'est pas un code ISO 3166-1 à deux lettres."),
        _("Utilisez par exemple « FR », « DE », « BE »."),
    ),
    "BR-CL-16": (
        _("Le code du moyen de paiement (BT-81) n'est pas un code de la liste UNTDID 4461."),
        _("Utilisez par exemple 30 ou 58 (virement), 49 ou 59 (prélèvement), 20 (chèque)."),
    ),
    "BR-CL-17": (
        _("Un code de catégorie de TVA n'est pas un code de la liste UNTDID 5305."),
        _(
            "Utilisez « S » (taux normal), « Z » (taux zéro), « E » (exonéré), « AE » (autoliquidation), « K » (livraison intracommunautaire), « G » (exportation) ou « O » (hors champ)."
        ),
    ),
    "BR-CL-18": (
        _("Un code de catégorie de TVA n'est pas un code de la liste UNTDID 5305."),
        _("Utilisez « S », « Z », « E », « AE », « K », « G » ou « O »."),
    ),
    "BR-CL-23": (
        _("Une unité de mesure (BT-130 ou BT-150) n'est pas un code de la recommandation UN/ECE 20."),
        _("Utilisez par exemple « C62 » (unité), « HUR » (heure), « DAY » (jour), « KGM » (kilogramme)."),
    ),
}

RULES.update(
    {
        "CII-SR-470": (
            _(
                "Le compte à créditer (BG-17) doit être donné soit par son IBAN (BT-84), soit par un autre identifiant, et pas par les deux."
            ),
            _("Indiquez l'IBAN du compte à créditer (élément IBANID)."),
        ),
        "PEPPOL-EN16931-R008": (
            _("Le XML contient des éléments vides."),
            _("Retirez les éléments sans valeur : votre logiciel de facturation ne devrait pas les produire."),
        ),
        "UBL-CR-001": (
            _("La facture UBL contient des extensions (UBLExtensions), que la norme déconseille."),
            _("Retirez les extensions si elles ne sont pas nécessaires."),
        ),
    }
)

# VAT category rules: the same ten rules for each category, numbered alike.
VAT_CATEGORIES = {
    "S": ("S", _("taux normal")),
    "Z": ("Z", _("taux zéro")),
    "E": ("E", _("exonéré de TVA")),
    "AE": ("AE", _("autoliquidation")),
    "IC": ("K", _("livraison intracommunautaire")),
    "G": ("G", _("exportation hors de l'Union")),
    "O": ("O", _("hors du champ de la TVA")),
    "AF": ("L", _("IGIC (îles Canaries)")),
    "AG": ("M", _("IPSI (Ceuta et Melilla)")),
}
_VAT_RULES = {
    "01": (
        _(
            "Une ligne, une remise ou des frais sont en catégorie de TVA « {code} » ({name}) mais la ventilation de la TVA (BG-23) n'a pas de ligne dans cette catégorie."
        ),
        _(
            "Ajoutez à la ventilation de la TVA une ligne de catégorie « {code} », ou corrigez la catégorie de la ligne."
        ),
    ),
    "02": (
        _(
            "Une ligne est en catégorie de TVA « {code} » ({name}) mais le vendeur n'a ni numéro de TVA (BT-31) ni identifiant fiscal (BT-32), ni représentant fiscal (BT-63)."
        ),
        _("Indiquez le numéro de TVA intracommunautaire de votre structure (BT-31)."),
    ),
    "03": (
        _("Une remise est en catégorie de TVA « {code} » ({name}) mais le vendeur n'a pas de numéro de TVA (BT-31)."),
        _("Indiquez le numéro de TVA intracommunautaire de votre structure (BT-31)."),
    ),
    "04": (
        _("Des frais sont en catégorie de TVA « {code} » ({name}) mais le vendeur n'a pas de numéro de TVA (BT-31)."),
        _("Indiquez le numéro de TVA intracommunautaire de votre structure (BT-31)."),
    ),
    "05": (
        _("Le taux de TVA d'une ligne (BT-152) ne convient pas à sa catégorie « {code} » ({name})."),
        "{rate_fix}",
    ),
    "06": (
        _("Le taux de TVA d'une remise (BT-96) ne convient pas à sa catégorie « {code} » ({name})."),
        "{rate_fix}",
    ),
    "07": (
        _("Le taux de TVA de frais (BT-103) ne convient pas à leur catégorie « {code} » ({name})."),
        "{rate_fix}",
    ),
    "08": (
        _(
            "La base d'imposition de la catégorie « {code} » ({name}) dans la ventilation de la TVA (BT-116) n'est pas égale au total des lignes de cette catégorie (BT-131), moins les remises, plus les frais."
        ),
        _("Recalculez la base de chaque taux à partir des lignes de la facture."),
    ),
    "09": (
        _("Le montant de TVA de la catégorie « {code} » ({name}) dans la ventilation (BT-117) est faux."),
        "{amount_fix}",
    ),
    "10": (
        _("La ventilation de la TVA en catégorie « {code} » ({name}) {exemption}."),
        "{exemption_fix}",
    ),
}
_RATE_FIX = {
    "S": _("En taux normal, le taux est supérieur à zéro (20 %, 10 %, 5,5 %…) : corrigez le taux ou la catégorie."),
    "O": _("Hors du champ de la TVA, aucun taux n'est indiqué : retirez le taux."),
    "AF": _("Le taux est nul ou positif."),
    "AG": _("Le taux est nul ou positif."),
}
_RATE_ZERO = _("Dans cette catégorie, le taux est 0 : corrigez le taux ou la catégorie.")
_AMOUNT = _("Le montant de TVA est la base × le taux / 100, arrondi au centime.")
_AMOUNT_ZERO = _("Dans cette catégorie, le montant de TVA est 0.")
_EXEMPTION_UNWANTED = _("porte un motif d'exonération (BT-120 ou BT-121), qui n'a pas lieu d'être")
_EXEMPTION_MISSING = _("n'a pas de motif d'exonération (BT-120) ni de code de motif (BT-121)")
_EXEMPTION_REMOVE = _("Retirez le motif d'exonération, ou corrigez la catégorie de TVA.")
_EXEMPTION_ADD = _(
    "Indiquez le motif d'exonération, par exemple « Exonération de TVA, article 261 du CGI » ou le code VATEX "
    "correspondant."
)
_O_VAT_NUMBER = (
    _(
        "Une ligne, une remise ou des frais sont hors du champ de la TVA (« O ») mais la facture porte un numéro de "
        "TVA (BT-31, BT-48 ou BT-63)."
    ),
    _("Une facture hors du champ de la TVA ne porte pas de numéro de TVA : retirez-le, ou corrigez la catégorie."),
)
_NO_EXEMPTION = ("S", "Z", "AF", "AG")


def _vat_rules() -> dict:
    rules = {}
    for family, (code, name) in VAT_CATEGORIES.items():
        values = {
            "code": code,
            "name": name,
            "rate_fix": _RATE_FIX.get(family, _RATE_ZERO),
            "amount_fix": _AMOUNT if family in ("S", "AF", "AG") else _AMOUNT_ZERO,
            "exemption": _EXEMPTION_UNWANTED if family in _NO_EXEMPTION else _EXEMPTION_MISSING,
            "exemption_fix": _EXEMPTION_REMOVE if family in _NO_EXEMPTION else _EXEMPTION_ADD,
        }
        for number, (problem, fix) in _VAT_RULES.items():
            if number in ("02", "03", "04") and family == "O":
                rules[f"BR-O-{number}"] = _O_VAT_NUMBER
                continue
            rules[f"BR-{family}-{number}"] = (format_lazy(problem, **values), format_lazy(fix, **values))
    rules["BR-IC-11"] = (
        _(
            "Une livraison intracommunautaire (catégorie « K ») n'a ni date de livraison (BT-72) ni période de "
            "facturation (BG-14)."
        ),
        _("Indiquez la date de livraison ou la période de facturation."),
    )
    rules["BR-IC-12"] = (
        _("Une livraison intracommunautaire (catégorie « K ») n'a pas de code de pays de livraison (BT-80)."),
        _("Indiquez le pays de livraison."),
    )
    for number in ("11", "12", "13", "14"):
        rules[f"BR-O-{number}"] = (
            _(
                "Une facture qui a une ventilation « hors du champ de la TVA » (« O ») ne peut porter d'autre "
                "catégorie de TVA (lignes, remises, frais ou ventilation)."
            ),
            _("Émettez deux factures, ou corrigez la catégorie de TVA."),
        )
    return rules


# Decimal places: BR-DEC-nn names the amount it is about.
DECIMAL_RULES = {
    "01": "BT-92", "02": "BT-93", "05": "BT-99", "06": "BT-100", "09": "BT-106", "10": "BT-107",
    "11": "BT-108", "12": "BT-109", "13": "BT-110", "14": "BT-112", "15": "BT-111", "16": "BT-113",
    "17": "BT-114", "18": "BT-115", "19": "BT-116", "20": "BT-117", "23": "BT-131", "24": "BT-136",
    "25": "BT-137", "27": "BT-141", "28": "BT-142",
}  # fmt: skip


def _decimal_rules() -> dict:
    return {
        f"BR-DEC-{number}": (
            format_lazy(_("Le montant {term} a plus de deux décimales."), term=term),
            _("Arrondissez les montants au centime (deux décimales au plus)."),
        )
        for number, term in DECIMAL_RULES.items()
    }


RULES.update(_vat_rules())
RULES.update(_decimal_rules())
