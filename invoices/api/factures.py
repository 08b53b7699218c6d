"""``/cpro/factures/v1/...``: deposit (flux, PDF then submission), search, consultation,
history, download, and the supplier's actions (compléter, recycler). Each service reads through
the selectors (the technical user's structure only: another structure's invoice is NOT_FOUND)
and writes through ``invoices.services``."""

import base64
import io
import zipfile

from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices import selectors, services
from invoices.api import protocol, serializers
from invoices.api.endpoint import endpoint
from invoices.api.protocol import ApiError
from invoices.api.schemas import schema
from invoices.models import ApiFile, Cadre, FluxSyntax, Invoice, InvoiceType, PaymentMode
from invoices.workflow import Status
from structures.models import BankAccount, Structure

TELECHARGER_MAX_INVOICES = 50


def supplier_invoices(call):
    """The sent invoices of the caller's structure, with their flux number (one query, no per-row)."""
    return (
        selectors.invoices_for_user(call.user)
        .filter(supplier=call.structure)
        .exclude(status=Status.BROUILLON)
        .select_related("supplier", "recipient", "recipient_service")
        .annotate(api_flux_number=F("api_flux__number"))
    )


def invoice_of(call, body, *, name="idFacture", drafts=False) -> Invoice:
    pk = protocol.identifier(body, name, "identifiantFactureCPP", nested=("facture",))
    call.reference = str(pk)
    invoices = (
        selectors.invoices_for_user(call.user)
        .filter(supplier=call.structure)
        .select_related("supplier", "recipient", "recipient_service")
        .annotate(api_flux_number=F("api_flux__number"))
    )
    if not drafts:
        invoices = invoices.exclude(status=Status.BROUILLON)
    invoice = invoices.filter(pk=pk).first()
    if invoice is None:
        raise ApiError(protocol.NOT_FOUND, _("Facture introuvable : %(id)s.") % {"id": pk})
    return invoice


# --- Deposit --------------------------------------------------------------------------------------


@endpoint("factures/v1/deposer/flux", summary="Déposer un flux de facture (Factur-X, UBL, CII)", **schema("flux"))
def deposer_flux(call, body):
    syntax = protocol.text(body, "syntaxeFlux", required=True)
    if syntax not in FluxSyntax.values:
        raise ApiError(
            protocol.BAD_PARAMETER,
            _("syntaxeFlux doit être l'une des valeurs %(values)s.") % {"values": ", ".join(FluxSyntax.values)},
        )
    filename = protocol.text(body, "nomFichier", required=True)
    content = protocol.file_content(body, "fichierFlux")
    flux = services.flux_deposit(
        supplier=call.structure,
        user=call.user,
        content=content,
        filename=filename,
        syntax=syntax,
        signed=protocol.boolean(body, "avecSignature"),
        application=call.application,
        technical_user=call.technical_user,
    )
    call.reference = flux.number
    return {"numeroFluxDepot": flux.number, "dateDepot": protocol.day(flux.created_at), "syntaxeFlux": flux.syntax}


@endpoint("factures/v1/deposer/pdf", summary="Déposer le PDF d'une facture (lu et pré-rempli)", **schema("pdf"))
def deposer_pdf(call, body):
    content = protocol.file_content(body, "fichierFacture", "fichier")
    filename = protocol.text(body, "nomFichier", required=True)
    fmt = protocol.text(body, "formatDepot") or "DEPOT_PDF_API"
    if fmt not in ("DEPOT_PDF_API", "DEPOT_PDF_SIGNE_API"):
        raise ApiError(protocol.BAD_PARAMETER, _("formatDepot vaut DEPOT_PDF_API ou DEPOT_PDF_SIGNE_API."))
    draft = services.invoice_deposit(
        supplier=call.structure,
        user=call.user,
        file=ContentFile(content, name=filename),
        signed=fmt == "DEPOT_PDF_SIGNE_API",
    )
    call.reference = str(draft.pk)
    return {
        "pieceJointeId": draft.pk,
        "numeroFacture": draft.number,
        "dateFacture": protocol.day(draft.invoice_date),
        "typeFacture": draft.invoice_type,
        "codeDestinataire": draft.recipient.identifier if draft.recipient_id else "",
        "codeServiceExecutant": draft.recipient_service.code if draft.recipient_service_id else "",
        "numeroEngagement": draft.engagement_number,
        "montantHtTotal": protocol.money(draft.amount_ht),
        "montantTVA": protocol.money(draft.amount_tva),
        "montantTtcTotal": protocol.money(draft.amount_ttc),
    }


def _cadre(value: str) -> str:
    code = (value or "").split("_", 1)[0].upper()
    if code not in Cadre.values:
        raise ApiError(protocol.BAD_PARAMETER, _("codeCadreFacturation inconnu : %(v)s.") % {"v": value})
    return code


def _draft_fields(call, body, draft: Invoice) -> tuple[dict, list | None]:
    """The submitted values, as ``invoice_save_draft`` takes them (what is not given is kept)."""
    fields: dict = {}
    number = protocol.text(body, "numeroFactureSaisi", "numeroFacture", max_length=40)
    if number:
        fields["number"] = number
    invoice_date = protocol.a_date(body, "dateFacture")
    if invoice_date:
        fields["invoice_date"] = invoice_date
    cadre = protocol.text(body, "codeCadreFacturation", nested=("cadreDeFacturation",))
    if cadre:
        fields["cadre"] = _cadre(cadre)
    refs = ("references",)
    invoice_type = protocol.text(body, "typeFacture", nested=refs)
    if invoice_type:
        if invoice_type not in InvoiceType.values:
            raise ApiError(protocol.BAD_PARAMETER, _("typeFacture vaut FACTURE ou AVOIR."))
        fields["invoice_type"] = invoice_type
    for name, keys, limit in (
        ("engagement_number", ("numeroBonCommande", "numeroEngagement"), 50),
        ("market_number", ("numeroMarche",), 50),
        ("original_invoice_number", ("numeroFactureOrigine",), 20),
    ):
        value = protocol.text(body, *keys, nested=refs, max_length=limit)
        if value:
            fields[name] = value
    payment = protocol.text(body, "modePaiement", nested=refs)
    if payment:
        if payment not in PaymentMode.values:
            raise ApiError(protocol.BAD_PARAMETER, _("modePaiement inconnu : %(v)s.") % {"v": payment})
        fields["payment_mode"] = payment
    comment = protocol.text(body, "commentaire", max_length=2000)
    if comment:
        fields["comment"] = comment
    recipient_code = protocol.text(body, "codeDestinataire", nested=("destinataire",))
    if recipient_code:
        recipient = selectors.public_recipient(recipient_code)
        if recipient is None:
            raise ApiError(protocol.NOT_FOUND, _("Destinataire inconnu de l'annuaire : %(v)s.") % {"v": recipient_code})
        fields["recipient"] = recipient
    service_code = protocol.text(body, "codeServiceExecutant", nested=("destinataire",))
    if service_code:
        recipient = fields.get("recipient") or draft.recipient
        service = selectors.recipient_services(recipient).filter(code__iexact=service_code).first()
        if service is None:
            raise ApiError(
                protocol.NOT_FOUND, _("Code service inconnu pour ce destinataire : %(v)s.") % {"v": service_code}
            )
        fields["recipient_service"] = service
    bank = protocol.identifier(
        body, "idCoordonneesBancaires", "codeCoordonneesBancairesFournisseur", nested=("fournisseur",), required=False
    )
    if bank:
        account = BankAccount.objects.filter(pk=bank, structure=call.structure, is_active=True).first()
        if account is None:
            raise ApiError(protocol.NOT_FOUND, _("Coordonnées bancaires introuvables : %(v)s.") % {"v": bank})
        fields["bank_account"] = account
    totals = ("montantTotal",)
    for name, keys in (
        ("amount_ht", ("montantHtTotal", "montantHT")),
        ("amount_tva", ("montantTVA", "montantTva")),
        ("amount_ttc", ("montantTtcTotal", "montantTTC")),
    ):
        value = protocol.amount(body, *keys, nested=totals)
        if value is not None:
            fields[name] = value
    vat_lines = None
    if isinstance(body.get("ligneTva"), list):
        vat_lines = []
        for line in body["ligneTva"]:
            if not isinstance(line, dict):
                raise ApiError(protocol.BAD_PARAMETER, _("ligneTva est une liste d'objets."))
            rate = protocol.amount(line, "ligneTvaTauxRefValeur", "tauxTva")
            base = protocol.amount(line, "ligneTvaMontantBaseHtParTaux", "montantBaseHtParTaux")
            vat = protocol.amount(line, "ligneTvaMontantTvaParTaux", "montantTvaParTaux")
            if rate is None or base is None or vat is None:
                raise ApiError(protocol.BAD_PARAMETER, _("Chaque ligneTva donne le taux, la base HT et la TVA."))
            vat_lines.append(
                {
                    "rate": rate,
                    "base_ht": base,
                    "vat_amount": vat,
                    "exemption_reason": protocol.text(line, "ligneTvaMotifExonerationTva", "motifExonerationTva"),
                }
            )
    return fields, vat_lines


@endpoint("factures/v1/soumettre", summary="Soumettre une facture déposée par deposer/pdf", **schema("soumettre"))
def soumettre(call, body):
    pieces = body.get("pieceJointePrincipale")
    piece_id = None
    if isinstance(pieces, list) and pieces and isinstance(pieces[0], dict):
        piece_id = protocol.identifier(pieces[0], "pieceJointePrincipaleId", "pieceJointeId")
    piece_id = piece_id or protocol.identifier(body, "pieceJointeId", "idFacture")
    call.reference = str(piece_id)
    draft = (
        selectors.invoices_for_user(call.user)
        .filter(supplier=call.structure, status=Status.BROUILLON, pk=piece_id)
        .select_related("recipient")
        .first()
    )
    if draft is None:
        raise ApiError(protocol.NOT_FOUND, _("PDF déposé introuvable : %(id)s.") % {"id": piece_id})
    fields, vat_lines = _draft_fields(call, body, draft)
    draft = services.invoice_save_draft(invoice=draft, user=call.user, vat_lines=vat_lines, **fields)
    sent = services.invoice_send(invoice=draft, user=call.user)
    return {
        "identifiantFactureCPP": sent.pk,
        "numeroFacture": sent.number,
        "dateDepot": protocol.day(sent.sent_at),
        "statutFacture": serializers.status_code(sent.status),
        "identifiantPortail": sent.identifier,
    }


# --- Search and consultation ----------------------------------------------------------------------


def _statuses(body) -> list[Status]:
    value = protocol.get(body, "statutCourant", "statutFacture", "listeStatutFacture", nested=_CRITERIA)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values:
        code = item.get("statutFacture") or item.get("statut") if isinstance(item, dict) else item
        status = serializers.STATUS_FROM_API.get(str(code or "").strip())
        if status is None:
            raise ApiError(protocol.BAD_PARAMETER, _("Statut inconnu : %(v)s.") % {"v": code})
        found.append(status)
    return found


_CRITERIA = ("rechercheFactureParFournisseur", "criteres")


def _range(body, field: str, low_names, high_names, parse) -> Q:
    q = Q()
    low = parse(body, *low_names, nested=_CRITERIA)
    high = parse(body, *high_names, nested=_CRITERIA)
    if low is not None:
        q &= Q(**{f"{field}__gte": low})
    if high is not None:
        q &= Q(**{f"{field}__lte": high})
    return q


@endpoint("factures/v1/rechercher/fournisseur", summary="Rechercher les factures émises", **schema("rechercher"))
def rechercher_fournisseur(call, body):
    invoices = supplier_invoices(call)
    flux_number = protocol.text(body, "numeroFluxDepot", nested=_CRITERIA, max_length=25)
    if flux_number:
        invoices = invoices.filter(api_flux__number=flux_number)
        call.reference = flux_number
    number = protocol.text(body, "numeroFacture", nested=_CRITERIA, max_length=40)
    if number:
        invoices = invoices.filter(number=number)
    invoice_type = protocol.text(body, "typeFacture", nested=_CRITERIA)
    if invoice_type and invoice_type in InvoiceType.values:
        invoices = invoices.filter(invoice_type=invoice_type)
    statuses = _statuses(body)
    if statuses:
        invoices = invoices.filter(status__in=statuses)
    recipient = protocol.identifier(body, "idDestinataire", nested=_CRITERIA, required=False)
    if recipient:
        invoices = invoices.filter(recipient_id=recipient)
    invoices = invoices.filter(
        _range(
            body, "sent_at__date", ("dateDepotDebut", "dateDepotDu"), ("dateDepotFin", "dateDepotAu"), protocol.a_date
        )
        & _range(
            body,
            "invoice_date",
            ("dateFactureDebut", "dateFactureDu"),
            ("dateFactureFin", "dateFactureAu"),
            protocol.a_date,
        )
        & _range(
            body,
            "amount_ttc",
            ("montantTTCMin", "montantTtcMin", "montantAPayerMin"),
            ("montantTTCMax", "montantTtcMax", "montantAPayerMax"),
            protocol.amount,
        )
        & _range(body, "amount_ht", ("montantHTMin", "montantHtMin"), ("montantHTMax", "montantHtMax"), protocol.amount)
    )
    rows, page = protocol.paginate(invoices.order_by("-created_at", "-id"), body)
    if not rows:
        return {"codeRetour": protocol.EMPTY, "listeFactures": [], "parametresRetour": page}
    return {"listeFactures": [serializers.invoice_summary(i) for i in rows], "parametresRetour": page}


@endpoint("factures/v1/consulter/historique", summary="Historique des statuts d'une facture", **schema("historique"))
def consulter_historique(call, body):
    invoice = invoice_of(call, body)
    events = selectors.invoice_history(invoice)
    page_rows, page = protocol.paginate(serializers.history(events), body)
    return {
        "idFacture": invoice.pk,
        "numeroFacture": invoice.number,
        "statutCourantCode": serializers.status_code(invoice.status),
        "historiquesDesStatuts": {"histoStatut": page_rows},
        "parametresRetour": page,
    }


@endpoint("factures/v1/consulter/fournisseur", summary="Consulter une facture émise", **schema("consulter"))
def consulter_fournisseur(call, body):
    invoice = invoice_of(call, body)
    return {"facture": serializers.invoice_detail(invoice, selectors.invoice_history(invoice))}


@endpoint(
    "factures/v1/telecharger/groupe", summary="Télécharger le PDF d'une ou plusieurs factures", **schema("telecharger")
)
def telecharger_groupe(call, body):
    items = body.get("listeFacture") or body.get("listeFactures") or []
    if not isinstance(items, list) or not items:
        raise ApiError(protocol.BAD_PARAMETER, _('listeFacture donne au moins une facture ({"idFacture": …}).'))
    if len(items) > TELECHARGER_MAX_INVOICES:
        raise ApiError(
            protocol.BAD_PARAMETER, _("Au plus %(n)s factures par téléchargement.") % {"n": TELECHARGER_MAX_INVOICES}
        )
    ids = []
    for item in items:
        ids.append(protocol.identifier(item if isinstance(item, dict) else {"idFacture": item}, "idFacture"))
    invoices = {i.pk: i for i in supplier_invoices(call).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in invoices]
    if missing:
        raise ApiError(
            protocol.NOT_FOUND, _("Factures introuvables : %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )
    call.reference = ",".join(map(str, ids))[:100]
    fmt = (protocol.text(body, "format") or "").upper()
    if len(ids) == 1 and fmt != "ZIP":
        invoice = invoices[ids[0]]
        with invoice.pdf.open("rb") as handle:
            content = handle.read()
        return {"fichierResultat": protocol_b64(content), "nomFichier": f"{invoice.identifier}.pdf", "format": "PDF"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for pk in ids:
            invoice = invoices[pk]
            with invoice.pdf.open("rb") as handle:
                archive.writestr(f"{invoice.identifier}.pdf", handle.read())
    return {"fichierResultat": protocol_b64(buffer.getvalue()), "nomFichier": "factures.zip", "format": "ZIP"}


def protocol_b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


# --- Supplier actions -----------------------------------------------------------------------------


def _api_files(call, body) -> list:
    items = body.get("listePiecesJointes") or body.get("pieceJointeComplementaire") or []
    if not isinstance(items, list):
        raise ApiError(protocol.BAD_PARAMETER, _("listePiecesJointes est une liste."))
    ids = [protocol.identifier(i if isinstance(i, dict) else {"pieceJointeId": i}, "pieceJointeId") for i in items]
    rows = {f.pk: f for f in ApiFile.objects.filter(supplier=call.structure, used_at__isnull=True, pk__in=ids)}
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        raise ApiError(
            protocol.NOT_FOUND, _("Pièces jointes introuvables : %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )
    return [rows[pk] for pk in ids]


@endpoint("factures/v1/completer", summary="Compléter une facture suspendue", **schema("completer"))
def completer(call, body):
    invoice = invoice_of(call, body)
    rows = _api_files(call, body)
    files = []
    for row in rows:
        with row.file.open("rb") as handle:
            files.append(ContentFile(handle.read(), name=row.original_filename))
    services.invoice_complete(
        invoice=invoice, user=call.user, files=files, comment=protocol.text(body, "commentaire", max_length=2000)
    )
    ApiFile.objects.filter(pk__in=[r.pk for r in rows]).update(used_at=timezone.now())
    invoice.refresh_from_db(fields=["status"])
    return {"idFacture": invoice.pk, "statutFacture": serializers.status_code(invoice.status)}


@endpoint("factures/v1/recycler", summary="Recycler une facture à recycler", **schema("recycler"))
def recycler(call, body):
    invoice = invoice_of(call, body)
    recipient = invoice.recipient
    code = protocol.text(body, "codeDestinataire", "identifiantDestinataire", nested=("destinataire",))
    recipient_id = protocol.identifier(body, "idDestinataire", nested=("destinataire",), required=False)
    if recipient_id or code:
        recipient = (
            Structure.objects.public().filter(pk=recipient_id, is_active=True).first()
            if recipient_id
            else selectors.public_recipient(code)
        )
        if recipient is None:
            raise ApiError(protocol.NOT_FOUND, _("Destinataire inconnu de l'annuaire."))
    service = invoice.recipient_service if recipient == invoice.recipient else None
    service_id = protocol.identifier(body, "idServiceExecutant", nested=("destinataire",), required=False)
    service_code = protocol.text(body, "codeServiceExecutant", nested=("destinataire",))
    if service_id or service_code:
        services_ = selectors.recipient_services(recipient)
        service = (
            services_.filter(pk=service_id).first()
            if service_id
            else services_.filter(code__iexact=service_code).first()
        )
        if service is None:
            raise ApiError(protocol.NOT_FOUND, _("Service inconnu pour ce destinataire."))
    engagement = protocol.text(body, "numeroEngagement", "numeroBonCommande", max_length=50)
    services.invoice_recycle(
        invoice=invoice,
        user=call.user,
        recipient=recipient,
        recipient_service=service,
        engagement_number=engagement if engagement else invoice.engagement_number,
    )
    invoice.refresh_from_db(fields=["status"])
    return {"idFacture": invoice.pk, "statutFacture": serializers.status_code(invoice.status)}
