"""Reading one line of an import: the column layouts of the files and the value parsers.

Every parser raises :class:`RowRejected` with a French reason naming the column; the reason is
shown to the operator next to the line number.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from structures.validators import normalize_siret, validate_siret

DELIMITER = ";"

STRUCTURE_COLUMNS = (
    "TypeIdentifiant",
    "Identifiant",
    "RaisonSociale",
    "EmetteurEdi",
    "RecepteurEdi",
    "GestionStatutMiseEnPaiement",
    "GestionEngagement",
    "GestionService",
    "GestionServiceEngagement",
    "EstMOA",
    "EstMOAUniquement",
    "StructureActive",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
# The same file with one more column at the end, ``EstEtat`` (true/false): a recipient of the State.
# The real export has no such column; when a file has it, it sets ``Structure.is_state``, otherwise
# the flag is left as it is (support sets it in the admin).
STATE_COLUMN = "EstEtat"
STRUCTURE_STATE_COLUMNS = (*STRUCTURE_COLUMNS, STATE_COLUMN)
SERVICE_COLUMNS = (
    "Identifiant",
    "RaisonSociale",
    "Code",
    "Nom",
    "GestionEGMT",
    "ServiceActif",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
ENGAGEMENT_COLUMNS = (
    "NumeroEJ",
    "IdentifiantDestinataire",
    "IdentifiantFournisseur",
    "RaisonSocialeFournisseur",
    "Montant",
    "Statut",
    "DateDebut",
    "DateFin",
)

# Address columns shared by both directory files, with their model field.
ADDRESS_COLUMNS = (
    ("Adresse", "address_line1"),
    ("ComplementAdresse1", "address_line2"),
    ("ComplementAdresse2", "address_line3"),
    ("CodePostal", "postal_code"),
    ("Ville", "city"),
    ("NumTelephone", "phone"),
    ("Courriel", "email"),
    ("CodePays", "country_code"),
    ("LibellePays", "country_label"),
)
STRUCTURE_FLAG_COLUMNS = (
    ("EmetteurEdi", "edi_sender"),
    ("RecepteurEdi", "edi_receiver"),
    ("GestionStatutMiseEnPaiement", "reports_payment_status"),
    ("GestionEngagement", "ej_required"),
    ("GestionService", "service_required"),
    ("GestionServiceEngagement", "service_or_ej_required"),
    ("EstMOA", "is_moa"),
    ("EstMOAUniquement", "is_moa_only"),
    ("StructureActive", "is_active"),
)


class RowRejected(Exception):
    """A line that cannot be imported; ``reason`` is shown to the operator (French)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def field_max_lengths(model) -> dict[str, int]:
    return {f.name: f.max_length for f in model._meta.fields if getattr(f, "max_length", None)}


def parse_text(value: str, column: str, field_name: str, max_lengths: dict[str, int], *, required: bool = False) -> str:
    if required and not value:
        raise RowRejected(_("la colonne %(column)s est vide") % {"column": column})
    limit = max_lengths.get(field_name)
    if limit and len(value) > limit:
        raise RowRejected(_("la colonne %(column)s dépasse %(limit)s caractères") % {"column": column, "limit": limit})
    return value


def parse_flag(value: str, column: str) -> bool:
    """``true``/``false`` in any case; anything else (empty included) rejects the line."""
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise RowRejected(
        _("valeur « %(value)s » invalide pour %(column)s : « true » ou « false » attendu")
        % {"value": value, "column": column}
    )


_FLAG_VALUES = {"true": True, "false": False}


def parse_flags(values: list[str], columns: Iterable[str]) -> list[bool]:
    """:func:`parse_flag` of several columns at once (a lookup each, in C); the first invalid
    value rejects the line with the same reason."""
    flags = list(map(_FLAG_VALUES.get, map(str.lower, values)))
    if None in flags:
        for value, column in zip(values, columns, strict=True):
            parse_flag(value, column)
    return flags


def normalize_identifier(value: str) -> str:
    """A SIRET written with spaces or dots is compacted; other identifiers are kept as given."""
    compact = normalize_siret(value)
    return compact if len(compact) == 14 and compact.isdigit() else value


def parse_siret(value: str, column: str) -> str:
    number = normalize_siret(value)
    try:
        validate_siret(number)
    except ValidationError as exc:
        raise RowRejected(
            _("SIRET « %(value)s » invalide (%(column)s) : %(reason)s")
            % {"value": value, "column": column, "reason": exc.messages[0]}
        ) from None
    return number


def parse_amount(value: str, column: str) -> Decimal | None:
    """``1234,56``, ``1234.56``, ``1 234,5``; at most 2 decimals, not negative; empty → None."""
    if not value:
        return None
    compact = "".join(value.split()).replace("\u202f", "")
    if compact.count(",") + compact.count(".") > 1:
        raise RowRejected(
            _(
                "montant « %(value)s » invalide (%(column)s) : un seul séparateur décimal attendu, sans séparateur de milliers autre que l'espace"
            )
            % {"value": value, "column": column}
        )
    try:
        amount = Decimal(compact.replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise RowRejected(
            _("montant « %(value)s » invalide (%(column)s) : nombre attendu, par exemple 1234,56")
            % {"value": value, "column": column}
        )
    if amount < 0:
        raise RowRejected(_("montant « %(value)s » négatif (%(column)s)") % {"value": value, "column": column})
    if amount.as_tuple().exponent < -2:
        raise RowRejected(
            _("montant « %(value)s » invalide (%(column)s) : au plus 2 décimales") % {"value": value, "column": column}
        )
    amount = amount.quantize(Decimal("0.01"))
    if len(amount.as_tuple().digits) > 15:
        raise RowRejected(_("montant « %(value)s » trop grand (%(column)s)") % {"value": value, "column": column})
    return amount


def parse_date(value: str, column: str) -> date | None:
    """``JJ/MM/AAAA`` or ``AAAA-MM-JJ``; empty → None."""
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowRejected(
        _("date « %(value)s » invalide (%(column)s) : JJ/MM/AAAA ou AAAA-MM-JJ attendu")
        % {"value": value, "column": column}
    )
