"""Plain functions from the portal's models to the API's JSON (PISTE's field names)."""

from invoices import workflow
from invoices.api.protocol import day, moment, money
from invoices.models import ApiFlux, Invoice, InvoiceEvent
from invoices.workflow import Status
from structures.models import EngagementJuridique, Service, Structure, StructureKind

# The API's status codes: the portal's statuses are the official codes; a draft is never shown.
API_STATUS: dict[Status, str] = {status: status.value for status in Status if status != Status.BROUILLON}
STATUS_FROM_API: dict[str, Status] = {code: status for status, code in API_STATUS.items()}

DEPOSIT_MODES = {
    "SAISIE_PORTAIL": "SAISIE_API",
    "DEPOT_PDF_PORTAIL": "DEPOT_PDF_API",
    "DEPOT_PDF_SIGNE_PORTAIL": "DEPOT_PDF_SIGNE_API",
}


def status_code(status: str) -> str:
    return API_STATUS.get(Status(status), "")


def deposit_mode(invoice: Invoice) -> str:
    if getattr(invoice, "api_flux_number", None):
        return "DEPOT_API_FLUX"
    return DEPOSIT_MODES.get(invoice.deposit_mode, invoice.deposit_mode)


def invoice_summary(invoice: Invoice) -> dict:
    """A line of ``listeFactures`` (rechercher/fournisseur)."""
    recipient = invoice.recipient
    return {
        "identifiantFactureCPP": invoice.pk,
        "numeroFacture": invoice.number,
        "typeFacture": invoice.invoice_type,
        "typeDemandePaiement": "FACTURE",
        "dateFacture": day(invoice.invoice_date),
        "dateDepot": day(invoice.sent_at),
        "dateHeureEtatCourant": moment(invoice.status_changed_at or invoice.sent_at),
        "statut": status_code(invoice.status),
        "montantHT": money(invoice.amount_ht),
        "montantTTC": money(invoice.amount_ttc),
        "montantAPayer": money(invoice.amount_ttc),
        "devise": invoice.currency,
        "idFournisseur": invoice.supplier_id,
        "codeFournisseur": invoice.supplier.identifier,
        "typeIdentifiantFournisseur": invoice.supplier.identifier_type,
        "designationFournisseur": invoice.supplier.name,
        "idDestinataire": recipient.pk if recipient else None,
        "codeDestinataire": recipient.identifier if recipient else "",
        "designationDestinataire": recipient.name if recipient else "",
        "codeServiceExecutant": invoice.recipient_service.code if invoice.recipient_service_id else "",
        "numeroFluxDepot": getattr(invoice, "api_flux_number", None) or "",
        "modeDepot": deposit_mode(invoice),
        "identifiantPortail": invoice.identifier,
        "rejetTraite": invoice.rejection_acknowledged_at is not None,
    }


def invoice_detail(invoice: Invoice, events: list[InvoiceEvent]) -> dict:
    """consulter/fournisseur: the invoice, its VAT breakdown, its attachments, its history."""
    summary = invoice_summary(invoice)
    return {
        **summary,
        "idFacture": invoice.pk,
        "statutCourantCode": summary["statut"],
        "cadreDeFacturation": {"codeCadreFacturation": invoice.cadre},
        "references": {
            "numeroEngagement": invoice.engagement_number,
            "numeroMarche": invoice.market_number,
            "numeroFactureOrigine": invoice.original_invoice_number,
            "modePaiement": invoice.payment_mode,
            "deviseFacture": invoice.currency,
            "typeFacture": invoice.invoice_type,
        },
        "montantTotal": {
            "montantHtTotal": money(invoice.amount_ht),
            "montantTVA": money(invoice.amount_tva),
            "montantTtcTotal": money(invoice.amount_ttc),
            "montantAPayer": money(invoice.amount_ttc),
        },
        "ligneTva": [
            {
                "tauxTva": money(line.rate),
                "montantBaseHtParTaux": money(line.base_ht),
                "montantTvaParTaux": money(line.vat_amount),
                "motifExonerationTva": line.exemption_reason,
            }
            for line in invoice.vat_lines.all()
        ],
        "listePiecesJointes": [
            {"pieceJointeId": a.pk, "pieceJointeNom": a.original_filename, "pieceJointeTaille": a.size}
            for a in invoice.attachments.all()
        ],
        "numeroMandat": invoice.mandate_number,
        "commentaire": invoice.comment,
        "historiqueStatuts": history(events),
    }


def history_line(event: InvoiceEvent) -> dict:
    return {
        "idHistorique": event.pk,
        "statutFacture": status_code(event.to_status),
        "statutCode": status_code(event.to_status),
        "statutPrecedent": status_code(event.from_status),
        "codeReforme": workflow.reform_code(event.to_status),
        "dateHeureChangementStatut": moment(event.created_at),
        "dateChangementStatut": day(event.created_at),
        "auteur": "SYSTEME" if event.user_id is None else event.get_actor_kind_display(),
        "motif": event.motif.label if event.motif_id else "",
        "codeMotif": event.motif.code if event.motif_id else "",
        "commentaire": event.comment,
    }


def history(events: list[InvoiceEvent]) -> list[dict]:
    """Status changes, newest first (as the real API lists them)."""
    return [history_line(e) for e in reversed(events) if e.to_status != Status.BROUILLON]


def flux_report(flux: ApiFlux) -> dict:
    return {
        "numeroFluxDepot": flux.number,
        "nomFichier": flux.filename,
        "nomFichierFlux": flux.filename,
        "syntaxeFlux": flux.syntax,
        "codeInterfaceFlux": flux.syntax,
        "codeInterfaceDepotFlux": flux.syntax,
        "dateDepotFlux": day(flux.created_at),
        "dateHeureEtatCourantFlux": moment(flux.state_changed_at),
        "etatCourantFlux": flux.state,
        "etatCourantDepotFlux": flux.state,
        "designationPartenaire": flux.application.name if flux.application_id else "",
        "codeAppliPartenaire": flux.application.client_id if flux.application_id else "",
    }


def flux_errors(flux: ApiFlux) -> list[dict]:
    supplier = flux.supplier.identifier
    return [
        {
            "numeroDP": "",
            "identifiantFournisseur": supplier,
            "identifiantDestinataire": "",
            "libelleErreurDP": error.get("message", ""),
            "champ": error.get("champ", ""),
        }
        for error in flux.errors
    ]


def structure_line(structure: Structure) -> dict:
    return {
        "idStructureCPP": structure.pk,
        "identifiantStructure": structure.identifier,
        "typeIdentifiantStructure": structure.identifier_type,
        "designationStructure": structure.name,
        "raisonSociale": structure.name,
        "statut": "ACTIF" if structure.is_active else "INACTIF",
        "structurePriveePublique": "PUBLIQUE" if structure.kind == StructureKind.PUBLIC else "PRIVEE",
    }


def structure_detail(structure: Structure) -> dict:
    return {
        "idStructureCPP": structure.pk,
        "informationGenerales": {
            "idStructureCPP": structure.pk,
            "identifiantStructure": structure.identifier,
            "typeIdentifiantStructure": structure.identifier_type,
            "libelleStructure": structure.name,
            "raisonSocialeStructure": structure.name,
            "numeroTVA": structure.vat_number,
            "emailStructure": structure.email,
            "structurePriveePublique": "PUBLIQUE" if structure.kind == StructureKind.PUBLIC else "PRIVEE",
            "statut": "ACTIF" if structure.is_active else "INACTIF",
        },
        "parametres": {
            "codeServiceDoitEtreRenseigne": structure.service_required,
            "numeroEJDoitEtreRenseigne": structure.ej_required,
            "gestionNumeroEJOuCodeService": structure.service_or_ej_required,
            "statutMiseEnPaiementNestPasRemonte": not structure.reports_payment_status,
            "connexionEDI": structure.edi_sender,
            "recevoirDonneesViaEDI": structure.edi_receiver,
            "estMoaUniquement": structure.is_moa_only,
            "aMoa": structure.is_moa,
        },
        "adressePostaleDuSiege": {
            "adresse": structure.address_line1,
            "complementAdresse1": structure.address_line2,
            "complementAdresse2": structure.address_line3,
            "codePostal": structure.postal_code,
            "ville": structure.city,
            "pays": structure.country_code,
            "telephone": structure.phone,
        },
    }


def service_line(service: Service) -> dict:
    return {
        "idService": service.pk,
        "codeService": service.code,
        "libelleService": service.name,
        "estActif": service.is_active,
        "statutService": "ACTIF" if service.is_active else "INACTIF",
    }


def service_detail(service: Service) -> dict:
    return {
        **service_line(service),
        "idStructure": service.structure_id,
        "parametres": {"engagementJuridiqueDoitEtreRenseigne": service.ej_required},
        "adressePostale": {
            "adresse": service.address_line1,
            "codePostal": service.postal_code,
            "ville": service.city,
            "pays": service.country_code,
        },
    }


def engagement_line(engagement: EngagementJuridique) -> dict:
    return {
        "idEngagementJuridique": engagement.pk,
        "numeroEngagement": engagement.number,
        "idStructureReceptrice": engagement.recipient_id,
        "identifiantStructureReceptrice": engagement.recipient.identifier,
        "designationStructureReceptrice": engagement.recipient.name,
        "identifiantFournisseur": engagement.supplier_identifier,
        "montant": money(engagement.amount),
        "statut": engagement.status,
        "dateDebut": day(engagement.start_date),
        "dateFin": day(engagement.end_date),
    }
