"""« Vérifier ma facture »: the whole check of an invoice file before deposit, keeping nothing (no
file stored, no row written). The XSD and EN 16931 checks and the portal's rules on the XML
(``invoices.validation.check_xml``), then the rules the deposit and the sending apply against the
portal's data, reused from where they live: the seller is the current structure
(``deposit.check_seller``), the buyer a public structure of the directory, the avoir's original
invoice (BT-25, ``checks.original_invoice_errors``). A user may check so many files per window
(``INVOICE_CHECK_LIMIT``)."""

import math
import time
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoices import pdf, selectors, structured, validation
from invoices.models import Invoice
from invoices.services.checks import original_invoice_errors, original_invoice_warning
from invoices.services.deposit import check_seller, is_xml_upload
from invoices.validation.explain import portal_finding
from structures.models import Structure


def invoice_check(*, file, supplier: Structure | None = None) -> validation.Report:
    """Check an uploaded Factur-X PDF or XML file; ``supplier`` (the current structure, if any)
    is the expected seller. Never raises for a bad file."""
    xml_file = is_xml_upload(file)
    try:
        data = pdf.read_upload(file, limit=settings.INVOICE_MAX_PDF_SIZE)
    except ValidationError as exc:
        return _refused(exc.messages)
    if xml_file:
        xml, container = data, "xml"
    else:
        try:
            info = pdf.check_pdf(data, signed=False)
        except ValidationError as exc:
            return _refused(exc.messages)
        xml, broken = structured.pick_embedded_xml(info.embedded_xml)
        if broken:
            return _refused(
                [
                    _(
                        "Ce PDF contient un fichier XML de facture que le portail ne peut pas lire (XML mal formé, ou qui "
                        "n'est pas une facture CII ou UBL)."
                    )
                ]
            )
        if not xml:
            report = validation.Report(container=_("PDF"))
            report.notice = _(
                "Ce PDF ne contient pas de facture structurée (pas de XML Factur-X intégré) : il n'y a pas de données "
                "à vérifier. Vous pouvez le déposer : le portail vous proposera les valeurs lues dans son texte, à "
                "vérifier et compléter."
            )
            return report
        container = "facturx"
    report, found = validation.check_xml(xml, container=container)
    if found is not None:
        _portal_rules(report, found, supplier)
    report.findings.sort(key=lambda finding: finding.severity != validation.ERROR)
    return report


def _refused(messages: list[str]) -> validation.Report:
    report = validation.Report()
    report.findings = [portal_finding(message) for message in messages]
    return report


def _portal_rules(report: validation.Report, found, supplier: Structure | None) -> None:
    if supplier is not None:
        try:
            check_seller(found, supplier)
        except ValidationError as exc:
            report.findings += [portal_finding(message) for message in exc.messages]
    recipient = selectors.public_recipient(found.recipient_siret) if found.recipient_siret else None
    if found.recipient_siret and recipient is None:
        report.findings.append(
            portal_finding(
                _(
                    "L'acheteur du XML (BT-47 : le SIRET %(siret)s, « %(name)s ») n'est pas une structure publique de "
                    "l'annuaire : la facture ne pourra pas lui être envoyée. Corrigez le SIRET de l'acheteur."
                )
                % {"siret": found.recipient_siret, "name": found.buyer_name or "—"}
            )
        )
    elif not found.recipient_siret:
        report.findings.append(
            portal_finding(
                _(
                    "Le XML ne donne pas le SIRET de l'acheteur (BT-47) : au dépôt, vous choisirez le destinataire dans "
                    "l'annuaire."
                ),
                severity=validation.WARNING,
            )
        )
    if supplier is None:
        return
    invoice = Invoice(
        supplier=supplier,
        recipient=recipient,
        invoice_type=found.invoice_type,
        type_code=found.type_code,
        original_invoice_number=found.original_invoice_number or "",
    )
    errors = defaultdict(list)
    original_invoice_errors(invoice, errors)
    report.findings += [portal_finding(message) for messages in errors.values() for message in messages]
    warning = original_invoice_warning(invoice)
    if warning:
        report.findings.append(portal_finding(warning, severity=validation.WARNING))


def invoice_check_allowed(user) -> str:
    """Count one check for ``user``: "" when allowed, else the French message saying when to retry
    (the refused attempt is not counted)."""
    rule = settings.INVOICE_CHECK_LIMIT
    count_key, start_key = f"invoice-check:{user.pk}:count", f"invoice-check:{user.pk}:start"
    now = time.time()
    if cache.add(start_key, now, rule["seconds"]):
        cache.set(count_key, 0, rule["seconds"])
    cache.add(count_key, 0, rule["seconds"])
    try:
        count = cache.incr(count_key)
    except ValueError:
        cache.set(count_key, 1, rule["seconds"])
        count = 1
    if count <= rule["count"]:
        return ""
    try:
        cache.decr(count_key)
    except ValueError:
        pass
    minutes = max(1, math.ceil(((cache.get(start_key) or now) + rule["seconds"] - now) / 60))
    return ngettext(
        "Vous avez vérifié beaucoup de factures en peu de temps : réessayez dans %(n)d minute.",
        "Vous avez vérifié beaucoup de factures en peu de temps : réessayez dans %(n)d minutes.",
        minutes,
    ) % {"n": minutes}
