"""What a validation finds, as the pages show it: each finding with its severity, the business
terms it is about (« BT-1 Numéro de facture »), what is wrong and how to fix it in French, and the
raw rule, message and XPath for integrators (« Détail technique »). Plain Python."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invoices.validation import terms

ERROR, WARNING = "error", "warning"
XSD, SCHEMATRON, PORTAL = "xsd", "schematron", "portal"
SOURCE_LABELS = {XSD: _("Schéma XSD"), SCHEMATRON: _("Règles EN 16931 (schematron)"), PORTAL: _("Règles du portail")}


@dataclass
class Finding:
    severity: str
    source: str
    problem: str
    fix: str
    rule: str = ""
    terms: list[str] = field(default_factory=list)
    message: str = ""  # the raw text (XSD or schematron), often English
    location: str = ""  # XPath of the element
    test: str = ""  # the schematron assertion
    line: int | None = None

    @property
    def title(self) -> str:
        return terms.label(self.terms[0]) if self.terms else str(SOURCE_LABELS.get(self.source, ""))

    @property
    def term_labels(self) -> list[str]:
        return [terms.label(term) for term in self.terms]

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))

    @property
    def technical(self) -> bool:
        return bool(self.rule or self.message or self.location or self.test)

    def as_json(self) -> dict:
        return {
            "severity": self.severity,
            "source": self.source,
            "problem": str(self.problem),
            "fix": str(self.fix),
            "rule": self.rule,
            "terms": self.terms,
            "message": self.message,
            "location": self.location,
            "test": self.test,
            "line": self.line,
        }


@dataclass
class Report:
    """The outcome of a check. ``failure`` is set (in French) when the check could not run to its
    end (worker timeout or crash): the file is then neither accepted nor declared wrong."""

    container: str = ""  # "Factur-X (PDF)", "XML"
    syntax: str = ""  # "UN/CEFACT CII", "UBL 2.1 Invoice"…
    profile: str = ""  # "EN 16931"…
    type_code: str = ""
    type_label: str = ""
    number: str = ""
    findings: list[Finding] = field(default_factory=list)
    failure: str = ""
    notice: str = ""  # nothing to check (a PDF without XML), in French
    schematron: str = ""  # the stylesheet used, for the technical detail

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.failure and not self.errors

    def summary(self) -> str:
        """One French sentence for a form's error next to the file field."""
        if self.failure:
            return self.failure
        count = len(self.errors)
        if not count:
            return ""
        return ngettext(
            "La facture ne respecte pas une règle de la facture électronique : l'erreur est expliquée ci-dessous.",
            "La facture ne respecte pas %(count)d règles de la facture électronique : les erreurs sont expliquées "
            "ci-dessous.",
            count,
        ) % {"count": count}


class InvoiceNotValid(ValidationError):
    """A structured file refused for its XSD or EN 16931 errors (or because the check could not
    run): ``{"file": [one line per error]}`` for any caller (API, batch), and the ``report`` for
    the pages that show it in full."""

    MAX_LINES = 10

    def __init__(self, report: Report):
        lines = [report.failure] if report.failure else []
        for finding in report.errors[: self.MAX_LINES]:
            lines.append(f"{finding.title} : {finding.problem} {finding.fix}".strip())
        if len(report.errors) > self.MAX_LINES:
            lines.append(
                ngettext(
                    "… et %(count)d autre erreur.",
                    "… et %(count)d autres erreurs.",
                    len(report.errors) - self.MAX_LINES,
                )
                % {"count": len(report.errors) - self.MAX_LINES}
            )
        super().__init__({"file": lines})
        self.report = report
