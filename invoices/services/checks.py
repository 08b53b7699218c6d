"""Every check of "Valider et envoyer" (``send_errors``) and the directory and amount rules it runs."""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus import formats
from invoices import binding, totals, workflow
from invoices.models import (
    MAX_NUMBER_LENGTH,
    MOTIF_CREANCIER_INCONNU,
    MOTIF_SE_EJ_INCORRECT,
    NEGATIVE_TYPE_CODE,
    VAT_RATES,
    Cadre,
    Invoice,
    InvoiceType,
    PaymentMode,
)
from invoices.services._common import is_member
from invoices.workflow import Status
from structures.models import EngagementJuridique, Service, StructureKind


def _fr_date(value) -> str:
    return value.strftime("%d/%m/%Y")


def send_errors(invoice: Invoice, user) -> dict[str, list[str]]:
    """Every check of "Valider et envoyer", as {field: [French messages]} (empty when sendable)."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        workflow.check(status=invoice.status, transition="deposer", actor=workflow.Actor.SUPPLIER)
    except workflow.TransitionError:
        errors[NON_FIELD_ERRORS].append(_("Cette facture a déjà été envoyée."))
        return dict(errors)
    supplier = invoice.supplier
    if not is_member(user, supplier):
        errors[NON_FIELD_ERRORS].append(
            _("Vous n'êtes pas (ou plus) rattaché à la structure %(name)s : vous ne pouvez pas envoyer ses factures.")
            % {"name": supplier.name}
        )
    if not supplier.is_active or supplier.kind != StructureKind.PRIVATE:
        errors[NON_FIELD_ERRORS].append(
            _("La structure %(name)s n'est pas un fournisseur actif.") % {"name": supplier.name}
        )
    if invoice.is_entry and supplier.mandate_accepted_at is None:
        errors[NON_FIELD_ERRORS].append(
            _("La saisie de factures nécessite d'accepter d'abord le mandat de facturation de la structure.")
        )

    # References.
    number = invoice.number.strip()
    if not number:
        errors["number"].append(_("Saisissez le numéro de la facture."))
    elif len(number) > MAX_NUMBER_LENGTH:
        errors["number"].append(_("Le numéro de facture comporte au plus 20 caractères."))
    today = timezone.localdate()
    if invoice.invoice_date is None:
        errors["invoice_date"].append(_("Saisissez la date de la facture."))
    elif invoice.invoice_date > today:
        errors["invoice_date"].append(
            _("La date de facture (%(date)s) ne peut pas être dans le futur : nous sommes le %(today)s.")
            % {"date": _fr_date(invoice.invoice_date), "today": _fr_date(today)}
        )
    if number and invoice.invoice_date:
        duplicate = (
            Invoice.objects.filter(supplier=supplier, number=number, invoice_year=invoice.invoice_date.year)
            .exclude(status=Status.BROUILLON)
            .exclude(pk=invoice.pk)
            .first()
        )
        if duplicate:
            errors["number"].append(
                _(
                    "Doublon : votre structure a déjà envoyé une facture n° %(number)s datée de %(year)s "
                    "(%(identifier)s). Une nouvelle facture doit porter un nouveau numéro."
                )
                % {"number": number, "year": invoice.invoice_date.year, "identifier": duplicate.identifier}
            )
    if invoice.cadre not in Cadre.values:
        errors["cadre"].append(_("Choisissez un cadre de facturation de la liste."))
    if invoice.invoice_type == InvoiceType.CREDIT_NOTE and invoice.payment_mode:
        errors["payment_mode"].append(_("Un avoir n'a pas de mode de paiement : laissez ce champ vide."))
    original_invoice_errors(invoice, errors)

    # Supplier side.
    if invoice.supplier_service and (
        invoice.supplier_service.structure_id != supplier.pk or not invoice.supplier_service.is_active
    ):
        errors["supplier_service"].append(_("Ce service de votre structure n'est plus actif : choisissez-en un autre."))
    if invoice.bank_account and (
        invoice.bank_account.structure_id != supplier.pk or not invoice.bank_account.is_active
    ):
        errors["bank_account"].append(_("Ces coordonnées bancaires ne sont plus actives : choisissez-en d'autres."))
    elif invoice.payment_mode == PaymentMode.TRANSFER and not invoice.bank_account:
        errors["bank_account"].append(_("Pour un paiement par virement, choisissez les coordonnées bancaires."))

    # Recipient, code service and engagement juridique (directory rules, reference §3); the
    # buyer of a structured invoice that the directory does not know is ``structured_errors``'.
    if not (invoice.recipient is None and invoice.is_structured and binding.recipient_bound(invoice.extracted_data)):
        recipient_errors(invoice, errors)

    # Amounts.
    _amount_errors(invoice, errors)

    # A structured invoice: what is sent is its XML's data.
    if invoice.is_structured:
        structured_errors(invoice, errors)

    # Files.
    if invoice.is_entry:
        if not invoice.lines.exists():
            errors["lines"].append(_("Ajoutez au moins une ligne à la facture."))
    elif not invoice.pdf:
        errors["pdf"].append(_("Le fichier PDF de la facture est manquant : déposez-le."))
    return dict(errors)


def recipient_errors(invoice: Invoice, errors) -> str | None:
    """The directory checks of the recipient, its code service and the EJ (reference §3), added
    to ``errors``; used at sending, at recycling and again by the routing task.

    Returns the code of the technical motif that describes the failure (``SE_EJ_INCORRECT``, or
    ``CREANCIER_INCONNU`` when the EJ names another supplier), ``None`` when all is right.
    """
    before = sum(len(v) for v in errors.values())
    creditor = _recipient_checks(invoice, errors)
    if sum(len(v) for v in errors.values()) == before:
        return None
    return MOTIF_CREANCIER_INCONNU if creditor else MOTIF_SE_EJ_INCORRECT


def _recipient_checks(invoice: Invoice, errors) -> bool:
    """The checks themselves; returns True when the EJ designates another creditor."""
    recipient = invoice.recipient
    ej = invoice.engagement_number.strip()
    if recipient is None:
        errors["recipient"].append(_("Choisissez le destinataire de la facture (SIRET ou raison sociale)."))
        return False
    if recipient.kind != StructureKind.PUBLIC:
        errors["recipient"].append(_("Le destinataire doit être une structure publique de l'annuaire."))
        return False
    if not recipient.is_active:
        errors["recipient"].append(
            _("Le destinataire %(name)s n'est plus actif dans l'annuaire : la facture ne peut pas lui être adressée.")
            % {"name": recipient.name}
        )
        return False
    service = invoice.recipient_service
    if service is not None:
        if service.structure_id != recipient.pk:
            errors["recipient_service"].append(
                _("SE/EJ incorrect : le code service %(code)s n'appartient pas au destinataire %(name)s.")
                % {"code": service.code, "name": recipient.name}
            )
        elif service.code == Service.RESERVED_CODE:
            errors["recipient_service"].append(
                _(
                    "Le code service %(code)s est réservé aux factures entre entités publiques : "
                    "choisissez un autre service du destinataire."
                )
                % {"code": service.code}
            )
        elif not service.is_active:
            errors["recipient_service"].append(
                _("SE/EJ incorrect : le service %(code)s du destinataire n'est plus actif.") % {"code": service.code}
            )
    elif recipient.service_required:
        errors["recipient_service"].append(
            _("Le destinataire %(name)s exige un code service : choisissez le service destinataire.")
            % {"name": recipient.name}
        )
    elif recipient.service_or_ej_required and not ej:
        errors["recipient_service"].append(
            _(
                "Le destinataire %(name)s exige un code service ou un numéro d'engagement : "
                "renseignez au moins l'un des deux."
            )
            % {"name": recipient.name}
        )
    if not ej:
        if recipient.ej_required:
            errors["engagement_number"].append(
                _("Le destinataire %(name)s exige un numéro d'engagement (EJ, n° de commande).")
                % {"name": recipient.name}
            )
        elif service is not None and service.structure_id == recipient.pk and service.ej_required:
            errors["engagement_number"].append(
                _("Le service %(code)s du destinataire exige un numéro d'engagement (EJ, n° de commande).")
                % {"code": service.code}
            )
        return False
    known = list(EngagementJuridique.objects.filter(number=ej).values_list("recipient_id", "supplier_identifier"))
    if not known:
        return False  # Not in the directory: the recipient's own checks decide later.
    of_recipient = [supplier_id for recipient_id, supplier_id in known if recipient_id == recipient.pk]
    if not of_recipient:
        errors["engagement_number"].append(
            _("SE/EJ incorrect : l'engagement %(ej)s n'appartient pas au destinataire %(name)s.")
            % {"ej": ej, "name": recipient.name}
        )
    elif invoice.supplier.identifier not in of_recipient:
        errors["engagement_number"].append(
            _(
                "Créancier inconnu ou différent de celui de l'EJ : l'engagement %(ej)s ne désigne pas votre "
                "structure (SIRET %(siret)s)."
            )
            % {"ej": ej, "siret": invoice.supplier.identifier}
        )
        return True
    return False


def _amount_errors(invoice: Invoice, errors) -> None:
    ht, tva, ttc = invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc
    if invoice.is_entry:
        if ht is None:
            return  # No line: reported with the lines.
    else:
        for name, value, label in (
            ("amount_ht", ht, _("le montant HT")),
            ("amount_tva", tva, _("le montant de TVA")),
            ("amount_ttc", ttc, _("le montant TTC")),
        ):
            if value is None:
                errors[name].append(_("Saisissez %(label)s.") % {"label": label})
        if None in (ht, tva, ttc):
            return
    if ht + tva != ttc:
        errors["amount_ttc"].append(
            _("Le montant TTC (%(ttc)s) doit être égal au montant HT plus la TVA (%(sum)s).")
            % {"ttc": formats.money(ttc), "sum": formats.money(ht + tva)}
        )
    vat_lines = list(invoice.vat_lines.all())
    if not vat_lines:
        errors["vat_lines"].append(_("Renseignez le récapitulatif de TVA (au moins un taux)."))
        return
    line_counts = invoice.extracted_data.get("line_counts", {}) if invoice.is_structured else {}
    for line in vat_lines:
        if (line.base_ht < 0 or line.vat_amount < 0) and invoice.type_code != NEGATIVE_TYPE_CODE:
            errors["vat_lines"].append(_("Les montants du récapitulatif de TVA ne peuvent pas être négatifs."))
        if line.rate == 0:
            if not line.exemption_reason.strip():
                errors["vat_lines"].append(_("Indiquez le motif d'exonération pour le taux de TVA de 0 %."))
            if line.vat_amount != 0:
                errors["vat_lines"].append(_("Le montant de TVA au taux de 0 % est nul."))
            continue
        expected = totals.vat_amount(line.base_ht, line.rate)
        tolerance = totals.CENT * max(1, line_counts.get(f"{line.rate:.2f}", 0))
        if abs(expected - line.vat_amount) > tolerance:
            errors["vat_lines"].append(
                _(
                    "TVA au taux de %(rate)s : le montant de TVA (%(amount)s) ne correspond pas à la base "
                    "(%(base)s) × le taux, soit %(expected)s (écart admis : %(tolerance)s)."
                )
                % {
                    "rate": formats.percent(line.rate),
                    "amount": formats.money(line.vat_amount),
                    "base": formats.money(line.base_ht),
                    "expected": formats.money(expected),
                    "tolerance": formats.money(tolerance),
                }
            )
    bases = sum((line.base_ht for line in vat_lines), Decimal("0"))
    amounts = sum((line.vat_amount for line in vat_lines), Decimal("0"))
    if bases != ht:
        errors["vat_lines"].append(
            _("La somme des bases HT du récapitulatif de TVA (%(bases)s) doit être égale au montant HT (%(ht)s).")
            % {"bases": formats.money(bases), "ht": formats.money(ht)}
        )
    if amounts != tva:
        errors["vat_lines"].append(
            _(
                "La somme des montants de TVA du récapitulatif (%(amounts)s) doit être égale au montant de TVA (%(tva)s)."
            )
            % {"amounts": formats.money(amounts), "tva": formats.money(tva)}
        )


def foreign_rate_warnings(vat_lines) -> list[str]:
    """A warning for each VAT rate outside the French list (kept as invoiced, never changed)."""
    return [
        _(
            "Le taux de TVA de %(rate)s n'est pas un taux en vigueur en France : il est conservé tel que "
            "facturé. Vérifiez qu'il s'applique bien à cette facture."
        )
        % {"rate": formats.percent(line.rate)}
        for line in vat_lines
        if line.rate not in VAT_RATES
    ]


def original_invoice_for(invoice: Invoice) -> Invoice | None:
    """The supplier's sent invoice that an avoir or a corrective invoice (384) refers to (BT-25):
    the latest sent document with that number, other than this one. One indexed lookup (the
    unique index on supplier, number and year of sent invoices)."""
    number = invoice.original_invoice_number.strip()
    if not number:
        return None
    return (
        Invoice.objects.filter(supplier_id=invoice.supplier_id, number=number)
        .exclude(status=Status.BROUILLON)
        .exclude(pk=invoice.pk)
        .select_related("recipient")
        .order_by("-invoice_year", "-id")
        .first()
    )


def refers_to_original(invoice: Invoice) -> bool:
    """An avoir, or a corrective invoice (384): it names the invoice it corrects (BT-25)."""
    return invoice.invoice_type == InvoiceType.CREDIT_NOTE or invoice.type_code == NEGATIVE_TYPE_CODE


def original_invoice_errors(invoice: Invoice, errors) -> None:
    """BT-25 of an avoir or a corrective invoice: required; when the supplier sent that invoice on
    the portal, it must be an invoice (not an avoir) to the same recipient. A number the portal
    does not know is accepted (the original may predate the portal or have been sent on paper,
    and Chorus Pro does not check it either): ``original_invoice_warning`` says so on the form."""
    if not refers_to_original(invoice):
        return
    number = invoice.original_invoice_number.strip()
    if not number:
        errors["original_invoice_number"].append(
            _("%(label)s fait référence à une facture : indiquez le numéro de la facture d'origine (BT-25).")
            % {"label": _("Un avoir") if invoice.is_credit_note else _("Une facture rectificative")}
        )
        return
    original = original_invoice_for(invoice)
    if original is None:
        return
    if original.invoice_type == InvoiceType.CREDIT_NOTE:
        errors["original_invoice_number"].append(
            _("Le document n° %(number)s (%(identifier)s) est un avoir : indiquez le numéro de la facture d'origine.")
            % {"number": number, "identifier": original.identifier}
        )
    elif invoice.recipient_id and original.recipient_id != invoice.recipient_id:
        errors["original_invoice_number"].append(
            _(
                "La facture d'origine n° %(number)s (%(identifier)s) a été adressée à %(name)s : "
                "%(label)s est adressé au même destinataire que la facture qu'il corrige."
            )
            % {
                "number": number,
                "identifier": original.identifier,
                "name": original.recipient.name if original.recipient else "—",
                "label": _("un avoir") if invoice.is_credit_note else _("un document rectificatif"),
            }
        )


def original_invoice_warning(invoice: Invoice) -> str:
    """The form's notice when BT-25 names no invoice the supplier sent on the portal."""
    if not refers_to_original(invoice) or not invoice.original_invoice_number.strip():
        return ""
    if original_invoice_for(invoice) is not None:
        return ""
    return _(
        "La facture d'origine n° %(number)s n'a pas été trouvée parmi les factures envoyées par votre structure "
        "sur le portail : le document sera envoyé avec ce numéro, sans lien vers elle. Vérifiez le numéro."
    ) % {"number": invoice.original_invoice_number.strip()}


def structured_errors(invoice: Invoice, errors) -> None:
    """The draft of a structured invoice still carries its XML's data (``invoices.binding``):
    bound fields, VAT breakdown, recipient (buyer's SIRET) and code service (BT-10)."""
    extracted = invoice.extracted_data
    for name, value in binding.bound_values(extracted).items():
        if getattr(invoice, name) != value:
            errors[name].append(binding.changed_message(name))
    stored = sorted(
        ((line.rate, line.base_ht, line.vat_amount) for line in invoice.vat_lines.all()),
        key=lambda row: (-row[0], row[1], row[2]),
    )
    if stored != binding.vat_rows(extracted):
        errors["vat_lines"].append(binding.changed_message("vat_lines"))
    siret = extracted.get("recipient_siret", "")
    if siret:
        if invoice.recipient is None:
            errors["recipient"].append(
                _(
                    "Le destinataire du XML (BT-47 : le SIRET %(siret)s, « %(name)s ») n'est pas une structure "
                    "publique de l'annuaire : la facture ne peut pas lui être adressée. Corrigez le SIRET de "
                    "l'acheteur dans votre logiciel et déposez le fichier corrigé."
                )
                % {"siret": siret, "name": extracted.get("buyer_name", "—")}
            )
        elif invoice.recipient.identifier != siret:
            errors["recipient"].append(binding.changed_message("recipient"))
    code = extracted.get("service_code", "")
    if code and invoice.recipient is not None:
        service = invoice.recipient_service
        if service is None:
            errors["recipient_service"].append(
                _(
                    "Le code service du XML (BT-10 : « %(code)s ») n'est pas un service du destinataire "
                    "%(name)s : corrigez-le dans votre logiciel et déposez le fichier corrigé."
                )
                % {"code": code, "name": invoice.recipient.name}
            )
        elif service.code.upper() != code.upper():
            errors["recipient_service"].append(binding.changed_message("recipient_service"))
