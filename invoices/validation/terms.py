"""The EN 16931 business terms in French (BT-1 « Numéro de facture »…, names of NF EN 16931-1),
and the way from an XML element (CII or UBL) to its business term, built from the XPaths the
factur-x library reads each term with (``facturx.generate_xml``), so an XSD error or a schematron
location names "BT-1 Numéro de facture" rather than ``ram:ID``."""

import importlib
import re

# ``facturx.generate_xml`` is also a function of the package: the module, by its name.
generate_xml = importlib.import_module("facturx.generate_xml")

TERMS = {
    "BT-1": "Numéro de facture",
    "BT-2": "Date d'émission de la facture",
    "BT-3": "Code de type de facture",
    "BT-5": "Code de devise de la facture",
    "BT-6": "Code de devise de comptabilisation de la TVA",
    "BT-7": "Date d'exigibilité de la TVA",
    "BT-8": "Code de date d'exigibilité de la TVA",
    "BT-9": "Date d'échéance du paiement",
    "BT-10": "Référence de l'acheteur (code service)",
    "BT-11": "Référence du projet",
    "BT-12": "Référence du contrat (numéro de marché)",
    "BT-13": "Référence de la commande (engagement juridique)",
    "BT-14": "Référence de la commande client",
    "BT-15": "Référence de l'avis de réception",
    "BT-16": "Référence de l'avis d'expédition",
    "BT-17": "Référence de l'appel d'offres ou du lot",
    "BT-18": "Identifiant de l'objet facturé",
    "BT-19": "Référence comptable de l'acheteur",
    "BT-20": "Conditions de paiement",
    "BT-21": "Code du sujet de la note",
    "BT-22": "Note de facture",
    "BT-23": "Type de processus métier (cadre de facturation)",
    "BT-24": "Identifiant de spécification (profil)",
    "BT-25": "Référence de la facture antérieure",
    "BT-26": "Date d'émission de la facture antérieure",
    "BT-27": "Nom du vendeur",
    "BT-28": "Nom commercial du vendeur",
    "BT-29": "Identifiant du vendeur",
    "BT-30": "Identifiant légal du vendeur (SIRET ou SIREN)",
    "BT-31": "Numéro de TVA du vendeur",
    "BT-32": "Identifiant fiscal du vendeur",
    "BT-33": "Informations juridiques complémentaires du vendeur",
    "BT-34": "Adresse électronique du vendeur",
    "BT-35": "Ligne 1 de l'adresse du vendeur",
    "BT-36": "Ligne 2 de l'adresse du vendeur",
    "BT-37": "Ville du vendeur",
    "BT-38": "Code postal du vendeur",
    "BT-39": "Subdivision du pays du vendeur",
    "BT-40": "Code de pays du vendeur",
    "BT-41": "Contact du vendeur",
    "BT-42": "Téléphone du contact du vendeur",
    "BT-43": "Courriel du contact du vendeur",
    "BT-44": "Nom de l'acheteur",
    "BT-45": "Nom commercial de l'acheteur",
    "BT-46": "Identifiant de l'acheteur",
    "BT-47": "Identifiant légal de l'acheteur (SIRET)",
    "BT-48": "Numéro de TVA de l'acheteur",
    "BT-49": "Adresse électronique de l'acheteur",
    "BT-50": "Ligne 1 de l'adresse de l'acheteur",
    "BT-51": "Ligne 2 de l'adresse de l'acheteur",
    "BT-52": "Ville de l'acheteur",
    "BT-53": "Code postal de l'acheteur",
    "BT-54": "Subdivision du pays de l'acheteur",
    "BT-55": "Code de pays de l'acheteur",
    "BT-56": "Contact de l'acheteur",
    "BT-57": "Téléphone du contact de l'acheteur",
    "BT-58": "Courriel du contact de l'acheteur",
    "BT-59": "Nom du bénéficiaire",
    "BT-60": "Identifiant du bénéficiaire",
    "BT-61": "Identifiant légal du bénéficiaire",
    "BT-62": "Nom du représentant fiscal du vendeur",
    "BT-63": "Numéro de TVA du représentant fiscal du vendeur",
    "BT-64": "Ligne 1 de l'adresse du représentant fiscal",
    "BT-65": "Ligne 2 de l'adresse du représentant fiscal",
    "BT-66": "Ville du représentant fiscal",
    "BT-67": "Code postal du représentant fiscal",
    "BT-68": "Subdivision du pays du représentant fiscal",
    "BT-69": "Code de pays du représentant fiscal",
    "BT-70": "Nom du destinataire de la livraison",
    "BT-71": "Identifiant du lieu de livraison",
    "BT-72": "Date de livraison effective",
    "BT-73": "Date de début de la période de facturation",
    "BT-74": "Date de fin de la période de facturation",
    "BT-75": "Ligne 1 de l'adresse de livraison",
    "BT-76": "Ligne 2 de l'adresse de livraison",
    "BT-77": "Ville de livraison",
    "BT-78": "Code postal de livraison",
    "BT-79": "Subdivision du pays de livraison",
    "BT-80": "Code de pays de livraison",
    "BT-81": "Code du moyen de paiement",
    "BT-82": "Libellé du moyen de paiement",
    "BT-83": "Référence du paiement",
    "BT-84": "Identifiant du compte de paiement (IBAN)",
    "BT-85": "Nom du compte de paiement",
    "BT-86": "Identifiant du prestataire de paiement (BIC)",
    "BT-87": "Numéro de la carte de paiement",
    "BT-88": "Nom du titulaire de la carte",
    "BT-89": "Référence du mandat de prélèvement",
    "BT-90": "Identifiant du créancier du prélèvement",
    "BT-91": "Identifiant du compte débité",
    "BT-92": "Montant de la remise au niveau du document",
    "BT-93": "Montant de base de la remise au niveau du document",
    "BT-94": "Pourcentage de la remise au niveau du document",
    "BT-95": "Code de catégorie de TVA de la remise",
    "BT-96": "Taux de TVA de la remise",
    "BT-97": "Motif de la remise",
    "BT-98": "Code du motif de la remise",
    "BT-99": "Montant des frais au niveau du document",
    "BT-100": "Montant de base des frais au niveau du document",
    "BT-101": "Pourcentage des frais au niveau du document",
    "BT-102": "Code de catégorie de TVA des frais",
    "BT-103": "Taux de TVA des frais",
    "BT-104": "Motif des frais",
    "BT-105": "Code du motif des frais",
    "BT-106": "Somme des montants nets des lignes",
    "BT-107": "Somme des remises au niveau du document",
    "BT-108": "Somme des frais au niveau du document",
    "BT-109": "Montant total hors TVA",
    "BT-110": "Montant total de la TVA",
    "BT-111": "Montant total de la TVA en devise de comptabilisation",
    "BT-112": "Montant total TTC",
    "BT-113": "Montant déjà payé",
    "BT-114": "Montant de l'arrondi",
    "BT-115": "Montant à payer",
    "BT-116": "Base d'imposition de la catégorie de TVA",
    "BT-117": "Montant de TVA de la catégorie",
    "BT-118": "Code de catégorie de TVA",
    "BT-119": "Taux de TVA de la catégorie",
    "BT-120": "Motif d'exonération de TVA",
    "BT-121": "Code du motif d'exonération de TVA",
    "BT-122": "Référence du justificatif",
    "BT-123": "Description du justificatif",
    "BT-124": "Adresse du document externe",
    "BT-125": "Document joint",
    "BT-126": "Identifiant de la ligne de facture",
    "BT-127": "Note de la ligne de facture",
    "BT-128": "Identifiant d'objet de la ligne",
    "BT-129": "Quantité facturée",
    "BT-130": "Unité de mesure de la quantité facturée",
    "BT-131": "Montant net de la ligne",
    "BT-132": "Référence de la ligne de commande",
    "BT-133": "Référence comptable de la ligne",
    "BT-134": "Date de début de la période de la ligne",
    "BT-135": "Date de fin de la période de la ligne",
    "BT-136": "Montant de la remise sur la ligne",
    "BT-137": "Montant de base de la remise sur la ligne",
    "BT-138": "Pourcentage de la remise sur la ligne",
    "BT-139": "Motif de la remise sur la ligne",
    "BT-140": "Code du motif de la remise sur la ligne",
    "BT-141": "Montant des frais sur la ligne",
    "BT-142": "Montant de base des frais sur la ligne",
    "BT-143": "Pourcentage des frais sur la ligne",
    "BT-144": "Motif des frais sur la ligne",
    "BT-145": "Code du motif des frais sur la ligne",
    "BT-146": "Prix net unitaire",
    "BT-147": "Rabais sur le prix unitaire",
    "BT-148": "Prix brut unitaire",
    "BT-149": "Quantité de base du prix",
    "BT-150": "Unité de la quantité de base du prix",
    "BT-151": "Code de catégorie de TVA de la ligne",
    "BT-152": "Taux de TVA de la ligne",
    "BT-153": "Nom de l'article",
    "BT-154": "Description de l'article",
    "BT-155": "Référence vendeur de l'article",
    "BT-156": "Référence acheteur de l'article",
    "BT-157": "Identifiant normalisé de l'article",
    "BT-158": "Code de classification de l'article",
    "BT-159": "Pays d'origine de l'article",
    "BT-160": "Nom de l'attribut de l'article",
    "BT-161": "Valeur de l'attribut de l'article",
    "BT-162": "Ligne 3 de l'adresse du vendeur",
    "BT-163": "Ligne 3 de l'adresse de l'acheteur",
    "BT-164": "Ligne 3 de l'adresse du représentant fiscal",
    "BT-165": "Ligne 3 de l'adresse de livraison",
    "BG-1": "Note de facture",
    "BG-2": "Contrôle du processus",
    "BG-3": "Référence à une facture antérieure",
    "BG-4": "Vendeur",
    "BG-5": "Adresse postale du vendeur",
    "BG-6": "Contact du vendeur",
    "BG-7": "Acheteur",
    "BG-8": "Adresse postale de l'acheteur",
    "BG-9": "Contact de l'acheteur",
    "BG-10": "Bénéficiaire",
    "BG-11": "Représentant fiscal du vendeur",
    "BG-12": "Adresse postale du représentant fiscal",
    "BG-13": "Informations de livraison",
    "BG-14": "Période de facturation",
    "BG-15": "Adresse de livraison",
    "BG-16": "Instructions de paiement",
    "BG-17": "Virement",
    "BG-18": "Carte de paiement",
    "BG-19": "Prélèvement",
    "BG-20": "Remise au niveau du document",
    "BG-21": "Frais au niveau du document",
    "BG-22": "Totaux du document",
    "BG-23": "Ventilation de la TVA",
    "BG-24": "Justificatif",
    "BG-25": "Ligne de facture",
    "BG-26": "Période de facturation de la ligne",
    "BG-27": "Remise sur la ligne",
    "BG-28": "Frais sur la ligne",
    "BG-29": "Prix de l'article",
    "BG-30": "TVA de la ligne",
    "BG-31": "Informations sur l'article",
    "BG-32": "Attributs de l'article",
}

# The sub-keys of the factur-x library's party blocks → the term, for each party.
PARTY_TERMS = {
    "BG-4": {
        "name": "BT-27",
        "biz_name": "BT-28",
        "identifiers": "BT-29",
        "legal_identifier": "BT-30",
        "vat_identifier": "BT-31",
        "tax_identifier": "BT-32",
        "legal_info": "BT-33",
        "einvoicing_addr": "BT-34",
        "addr_l1": "BT-35",
        "addr_l2": "BT-36",
        "addr_l3": "BT-162",
        "city": "BT-37",
        "postcode": "BT-38",
        "country_subdivision": "BT-39",
        "country_code": "BT-40",
    },
    "BG-7": {
        "name": "BT-44",
        "biz_name": "BT-45",
        "identifiers": "BT-46",
        "legal_identifier": "BT-47",
        "vat_identifier": "BT-48",
        "einvoicing_addr": "BT-49",
        "addr_l1": "BT-50",
        "addr_l2": "BT-51",
        "addr_l3": "BT-163",
        "city": "BT-52",
        "postcode": "BT-53",
        "country_subdivision": "BT-54",
        "country_code": "BT-55",
    },
}
_PREDICATE = re.compile(r"\[[^\[\]]*\]")


def normalise(path: str) -> str:
    """``/rsm:CrossIndustryInvoice/rsm:ExchangedDocument[1]/ram:ID`` or a schematron location
    ``/*:Invoice[namespace-uri()='…'][1]/*:ID[…][1]`` → ``CrossIndustryInvoice/ExchangedDocument/ID``."""
    previous = None
    while previous != path:
        previous, path = path, _PREDICATE.sub("", path)
    steps = []
    for step in path.split("/"):
        step = step.strip()
        if not step or step in (".", "*"):
            continue
        if step.startswith("@"):
            steps.append(step)
            continue
        steps.append(step.split(":")[-1])
    return "/".join(steps)


def _paths(xpath, base: str = "") -> list[str]:
    xpaths = xpath if isinstance(xpath, list) else [xpath]
    found = []
    for one in xpaths:
        one = normalise(one)
        if base and not one.startswith(("CrossIndustryInvoice", "Invoice", "CreditNote")):
            one = f"{base}/{one}" if one else base
        found.append(one)
    return found


def _walk(fields: dict, base_cii: str, base_ubl: str, table: dict) -> None:
    for key, props in fields.items():
        if not isinstance(props, dict):
            continue
        cii = _paths(props.get("cii_xpath") or [], base_cii)
        ubl = _paths(props.get("ubl_xpath") or [], base_ubl)
        ubl += _paths(props.get("ubl_creditnote_xpath") or [], base_ubl)
        term = key if re.fullmatch(r"B[TG]-\d+", key) else None
        if term:
            for path in cii + ubl:
                table.setdefault(path, term)
        if props.get("format") == "party_dict" and key in PARTY_TERMS:
            for sub, sub_props in generate_xml.EN16931_PARTY_FIELDS.items():
                sub_term = PARTY_TERMS[key].get(sub)
                if not sub_term:
                    continue
                for path in _paths(sub_props.get("cii_xpath") or [], cii[0] if cii else ""):
                    table.setdefault(path, sub_term)
                for path in _paths(sub_props.get("ubl_xpath") or [], ubl[0] if ubl else ""):
                    table.setdefault(path, sub_term)
        if isinstance(props.get("fields"), dict):
            _walk(props["fields"], cii[0] if cii else base_cii, ubl[0] if ubl else base_ubl, table)


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    _walk(generate_xml.EN16931_FIELDS, "", "", table)
    # CreditNote documents use the Invoice paths of the library with another root.
    for path, term in list(table.items()):
        if path.startswith("Invoice/"):
            table.setdefault("CreditNote/" + path[len("Invoice/") :].replace("InvoiceLine", "CreditNoteLine"), term)
    # Blocks the library reads field by field.
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/SellerTradeParty/PostalTradeAddress",
        "BG-5",
    )
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/PostalTradeAddress",
        "BG-8",
    )
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation",
        "BG-22",
    )
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementPaymentMeans",
        "BG-16",
    )
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount",
        "BG-17",
    )
    table.setdefault(
        "CrossIndustryInvoice/SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID",
        "BT-84",
    )
    for root in ("Invoice", "CreditNote"):
        table.setdefault(f"{root}/AccountingSupplierParty/Party/PostalAddress", "BG-5")
        table.setdefault(f"{root}/AccountingCustomerParty/Party/PostalAddress", "BG-8")
        table.setdefault(f"{root}/LegalMonetaryTotal", "BG-22")
        table.setdefault(f"{root}/PaymentMeans", "BG-16")
        table.setdefault(f"{root}/PaymentMeans/PayeeFinancialAccount", "BG-17")
        table.setdefault(f"{root}/PaymentMeans/PayeeFinancialAccount/ID", "BT-84")
        table.setdefault(f"{root}/TaxTotal/TaxAmount", "BT-110")
    return {path: term for path, term in table.items() if term in TERMS}


ELEMENT_TERMS = _build()


def label(term: str) -> str:
    """« BT-1 Numéro de facture »."""
    name = TERMS.get(term)
    return f"{term} {name}" if name else term


def term_of_path(path: str, *, exact: bool = False) -> str:
    """The business term of an element, from its path (XSD error path or schematron location):
    the term of the element itself, else (unless ``exact``) of its nearest ancestor that has
    one; "" if none."""
    steps = normalise(path).split("/")
    if exact:
        return ELEMENT_TERMS.get("/".join(steps), "")
    while steps:
        term = ELEMENT_TERMS.get("/".join(steps))
        if term:
            return term
        steps.pop()
    return ""


def terms_in(text: str) -> list[str]:
    """The business terms a text names (« BT-112 », « BG-23 »), in order, without repeats."""
    found = []
    for term in re.findall(r"\bB[TG]-\d+\b", text or ""):
        if term not in found:
            found.append(term)
    return found
