"""The JSON schemas of each service's request and answer, for the OpenAPI description
(``invoices/api/openapi.py``). Loose on purpose where the clients disagree: unknown fields are
ignored, and the documented alternatives are accepted."""

S = {"type": "string"}
INT = {"type": "integer"}
N = {"type": "number", "nullable": True}
B = {"type": "boolean"}
D = {"type": "string", "format": "date", "nullable": True}
DT = {"type": "string", "format": "date-time", "nullable": True}
ID = {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]}
B64 = {"type": "string", "format": "byte"}


def obj(properties: dict, required: list | None = None) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


PAGINATION = {
    "pageResultatDemandee": INT,
    "nbResultatsParPage": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
}
PAGINATION_ENVELOPE = {"pagination": obj(PAGINATION), "parametres": obj(PAGINATION)}
PAGE = obj({"pageCourante": INT, "pages": INT, "nbResultatsParPage": INT, "total": INT, "totalPlafonne": B})
STATUS = {
    "type": "string",
    "enum": [
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
        "PRISE_EN_COMPTE_DESTINATAIRE",
        "A_RECYCLER",
        "SUSPENDUE",
        "COMPLETEE",
        "REJETEE",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_A_DISPOSITION_COMPTABLE",
        "COMPTABILISEE",
        "MISE_EN_PAIEMENT",
    ],
}
FLUX_STATE = {"type": "string", "enum": ["IN_RECU", "IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE"]}
SYNTAX = {"type": "string", "enum": ["IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B", "IN_DP_E2_CII_FACTURX"]}

INVOICE_LINE = obj(
    {
        "identifiantFactureCPP": INT,
        "numeroFacture": S,
        "typeFacture": S,
        "dateFacture": D,
        "dateDepot": D,
        "dateHeureEtatCourant": DT,
        "statut": STATUS,
        "montantHT": N,
        "montantTTC": N,
        "montantAPayer": N,
        "devise": S,
        "idDestinataire": {"type": "integer", "nullable": True},
        "codeDestinataire": S,
        "designationDestinataire": S,
        "numeroFluxDepot": S,
        "modeDepot": S,
    }
)
HISTORY_LINE = obj(
    {
        "statutFacture": STATUS,
        "statutCode": STATUS,
        "statutPrecedent": S,
        "codeReforme": S,
        "dateHeureChangementStatut": DT,
        "dateChangementStatut": D,
        "auteur": S,
        "motif": S,
        "commentaire": S,
    }
)
FLUX_REPORT = {
    "numeroFluxDepot": S,
    "nomFichier": S,
    "syntaxeFlux": SYNTAX,
    "dateDepotFlux": D,
    "dateHeureEtatCourantFlux": DT,
    "etatCourantFlux": FLUX_STATE,
    "etatCourantDepotFlux": FLUX_STATE,
}
STRUCTURE_LINE = obj(
    {
        "idStructureCPP": INT,
        "identifiantStructure": S,
        "typeIdentifiantStructure": S,
        "designationStructure": S,
        "statut": S,
    }
)
SERVICE_LINE = obj({"idService": INT, "codeService": S, "libelleService": S, "estActif": B})
STRUCTURE_ID = {"idStructureCPP": ID, "idStructure": ID}
INVOICE_ID = {"idFacture": ID, "identifiantFactureCPP": ID}
DESTINATAIRE = obj({"codeDestinataire": S, "idDestinataire": ID, "codeServiceExecutant": S, "idServiceExecutant": ID})

_SCHEMAS = {
    "flux": (
        obj(
            {
                "fichierFlux": B64,
                "nomFichier": S,
                "syntaxeFlux": SYNTAX,
                "avecSignature": B,
                "idUtilisateurCourant": INT,
            },
            ["fichierFlux", "nomFichier", "syntaxeFlux"],
        ),
        {"numeroFluxDepot": {"type": "string", "pattern": "^CPP[0-9]{22}$"}, "dateDepot": D, "syntaxeFlux": SYNTAX},
    ),
    "pdf": (
        obj(
            {"fichierFacture": B64, "nomFichier": S, "formatDepot": {"enum": ["DEPOT_PDF_API", "DEPOT_PDF_SIGNE_API"]}},
            ["fichierFacture", "nomFichier"],
        ),
        {
            "pieceJointeId": INT,
            "numeroFacture": S,
            "dateFacture": D,
            "typeFacture": S,
            "codeDestinataire": S,
            "codeServiceExecutant": S,
            "numeroEngagement": S,
            "montantHtTotal": N,
            "montantTVA": N,
            "montantTtcTotal": N,
        },
    ),
    "soumettre": (
        obj(
            {
                "pieceJointePrincipale": array(obj({"pieceJointePrincipaleId": ID})),
                "numeroFactureSaisi": S,
                "dateFacture": D,
                "destinataire": DESTINATAIRE,
                "fournisseur": obj({"idCoordonneesBancaires": ID}),
                "cadreDeFacturation": obj({"codeCadreFacturation": S}),
                "references": obj(
                    {
                        "typeFacture": S,
                        "numeroBonCommande": S,
                        "numeroMarche": S,
                        "numeroFactureOrigine": S,
                        "modePaiement": S,
                    }
                ),
                "montantTotal": obj({"montantHtTotal": N, "montantTVA": N, "montantTtcTotal": N}),
                "ligneTva": array(
                    obj(
                        {
                            "ligneTvaTauxRefValeur": N,
                            "ligneTvaMontantBaseHtParTaux": N,
                            "ligneTvaMontantTvaParTaux": N,
                            "ligneTvaMotifExonerationTva": S,
                        }
                    )
                ),
                "commentaire": S,
            },
            ["pieceJointePrincipale"],
        ),
        {"identifiantFactureCPP": INT, "numeroFacture": S, "dateDepot": D, "statutFacture": STATUS},
    ),
    "rechercher": (
        obj(
            {
                "numeroFluxDepot": S,
                "numeroFacture": S,
                "typeFacture": S,
                "statutCourant": {"oneOf": [STATUS, array(STATUS)]},
                "idDestinataire": ID,
                "dateDepotDebut": D,
                "dateDepotFin": D,
                "dateFactureDebut": D,
                "dateFactureFin": D,
                "montantTTCMin": N,
                "montantTTCMax": N,
                "montantHTMin": N,
                "montantHTMax": N,
                "rechercheFactureParFournisseur": {"type": "object", "description": "les mêmes critères, imbriqués"},
                **PAGINATION,
                **PAGINATION_ENVELOPE,
            }
        ),
        {"listeFactures": array(INVOICE_LINE), "parametresRetour": PAGE},
    ),
    "historique": (
        obj({**INVOICE_ID, **PAGINATION}),
        {
            "idFacture": INT,
            "numeroFacture": S,
            "statutCourantCode": STATUS,
            "historiquesDesStatuts": obj({"histoStatut": array(HISTORY_LINE)}),
            "parametresRetour": PAGE,
        },
    ),
    "consulter": (obj(INVOICE_ID), {"facture": INVOICE_LINE}),
    "telecharger": (
        obj({"listeFacture": array(obj({"idFacture": ID})), "format": {"enum": ["PDF", "ZIP"]}}, ["listeFacture"]),
        {"fichierResultat": B64, "nomFichier": S, "format": S},
    ),
    "completer": (
        obj({**INVOICE_ID, "commentaire": S, "listePiecesJointes": array(obj({"pieceJointeId": ID}))}),
        {"idFacture": INT, "statutFacture": STATUS},
    ),
    "recycler": (
        obj({**INVOICE_ID, "destinataire": DESTINATAIRE, "numeroEngagement": S}),
        {"idFacture": INT, "statutFacture": STATUS},
    ),
    "cr": (obj({"numeroFluxDepot": S}, ["numeroFluxDepot"]), FLUX_REPORT),
    "cr_detaille": (
        obj({"numeroFluxDepot": S}, ["numeroFluxDepot"]),
        {
            **FLUX_REPORT,
            "identifiantFactureCPP": {"type": "integer", "nullable": True},
            "listeErreurDP": array(obj({"numeroDP": S, "identifiantFournisseur": S, "libelleErreurDP": S, "champ": S})),
            "listeErreurTechnique": array(obj({"codeErreur": S, "libelleErreur": S, "natureErreur": S})),
        },
    ),
    "fichier": (
        obj(
            {"pieceJointeFichier": B64, "pieceJointeNom": S, "pieceJointeExtension": S, "pieceJointeTypeMime": S},
            ["pieceJointeFichier", "pieceJointeNom"],
        ),
        {"pieceJointeId": INT},
    ),
    "structures_actives": (obj({}), {"listeStructures": array(STRUCTURE_LINE)}),
    "health": (None, {"body": S, "statusCode": S, "statusCodeValue": INT, "environnement": S}),
    "structures_rechercher": (
        obj(
            {
                "structure": obj({"identifiantStructure": S, "typeIdentifiantStructure": S, "libelleStructure": S}),
                "identifiantStructure": S,
                "libelleStructure": S,
                **PAGINATION,
                **PAGINATION_ENVELOPE,
            }
        ),
        {"listeStructures": array(STRUCTURE_LINE), "parametresRetour": PAGE},
    ),
    "structures_consulter": (
        obj({**STRUCTURE_ID, "codeLangue": S}),
        {
            "idStructureCPP": INT,
            "informationGenerales": {"type": "object"},
            "parametres": {"type": "object"},
            "adressePostaleDuSiege": {"type": "object"},
        },
    ),
    "services_rechercher": (
        obj({**STRUCTURE_ID, **PAGINATION}),
        {"listeServices": array(SERVICE_LINE), "parametresRetour": PAGE},
    ),
    "service_consulter": (obj({**STRUCTURE_ID, "idService": ID}, ["idService"]), SERVICE_LINE["properties"]),
    "engagements": (
        obj({"numeroEngagement": S, "idStructureReceptrice": ID, **PAGINATION}),
        {
            "listeEngagementJuridique": array(
                obj({"numeroEngagement": S, "idStructureReceptrice": INT, "montant": N, "statut": S})
            ),
            "parametresRetour": PAGE,
        },
    ),
}


def schema(name: str) -> dict:
    """``request`` and ``response`` (the answer's own fields, besides codeRetour and libelle)."""
    request, response = _SCHEMAS[name]
    return {"request": request, "response": response}
