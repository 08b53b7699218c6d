"""The API's protocol: every answer is HTTP 200 with ``codeRetour`` (0 = OK) and ``libelle``;
the return codes; reading the JSON body and base64 files within limits; dates (``YYYY-MM-DD``),
amounts and pages."""

import base64
import binascii
import json
import math
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from chorus import formats
from chorus.ids import parse_id

OK = 0
OK_LABEL = "TRA_MSG_00.000"
EMPTY = 20000
EMPTY_LABEL = "TRA_MSG_00.015"

# Errors, with the French label sent when the caller gives no better one. Documented in the
# OpenAPI description and the README.
BAD_TOKEN = 10001
BAD_ACCOUNT = 10002
RATE_LIMITED = 10003
BAD_JSON = 10004
TOO_LARGE = 10005
BAD_PARAMETER = 20001
NOT_FOUND = 20002
REFUSED = 20003

CODES = {
    OK: "Succès.",
    EMPTY: "Aucun résultat ne correspond à la recherche.",
    BAD_TOKEN: "Jeton d'accès absent, invalide ou expiré (en-tête Authorization: Bearer).",
    BAD_ACCOUNT: "Compte technique absent ou invalide (en-tête cpro-account : base64 de « login:mot de passe »).",
    RATE_LIMITED: "Trop de requêtes pour cette application : réessayez dans une minute.",
    BAD_JSON: "Le corps de la requête n'est pas un objet JSON valide.",
    TOO_LARGE: "La requête ou le fichier dépasse la taille maximale.",
    BAD_PARAMETER: "Paramètre obligatoire absent ou invalide.",
    NOT_FOUND: "Objet introuvable.",
    REFUSED: "Demande refusée par les contrôles du portail.",
}


class ApiError(Exception):
    """An answer with a non-zero ``codeRetour``; ``libelle`` is French."""

    def __init__(self, code: int, libelle: str = "", **extra):
        super().__init__(libelle or CODES[code])
        self.code = code
        self.libelle = libelle or CODES[code]
        self.extra = extra


def answer(code: int = OK, libelle: str = "", **data) -> JsonResponse:
    label = libelle or (OK_LABEL if code == OK else EMPTY_LABEL if code == EMPTY else CODES.get(code, ""))
    return JsonResponse({"codeRetour": code, "libelle": label, **data}, json_dumps_params={"ensure_ascii": False})


def max_body_size() -> int:
    """The largest JSON body: a file of INVOICE_MAX_PDF_SIZE in base64, and room for the rest."""
    return math.ceil(settings.INVOICE_MAX_PDF_SIZE / 3) * 4 + 64 * 1024


def read_json(request) -> dict:
    """The JSON object of the body (an empty body is ``{}``), read within ``max_body_size``
    (Django's DATA_UPLOAD_MAX_MEMORY_SIZE is for forms: the API's files travel in the JSON)."""
    limit = max_body_size()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ApiError(TOO_LARGE, too_large_label())
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(TOO_LARGE, too_large_label())
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(BAD_JSON) from None
    if not isinstance(body, dict):
        raise ApiError(BAD_JSON)
    return body


def too_large_label() -> str:
    return f"Le fichier dépasse la taille maximale de {formats.filesize(settings.INVOICE_MAX_PDF_SIZE)}."


def get(body: dict, *names, nested: tuple[str, ...] = ()):
    """The first value given under one of ``names``, at the top level or in one of the ``nested``
    objects (clients disagree on the envelope: both are accepted)."""
    places = [body] + [body.get(key) for key in nested if isinstance(body.get(key), dict)]
    for place in places:
        for name in names:
            value = place.get(name)
            if value not in (None, ""):
                return value
    return None


def text(body: dict, *names, nested=(), required=False, max_length=255) -> str:
    value = get(body, *names, nested=nested)
    if value is None:
        if required:
            raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} est obligatoire.")
        return ""
    if isinstance(value, (dict, list, bool)):
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit être une chaîne de caractères.")
    value = str(value).strip()
    if len(value) > max_length:
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} comporte au plus {max_length} caractères.")
    return value


def identifier(body: dict, *names, nested=(), required=True) -> int | None:
    """An id (an integer, or its digits as a string) within 64 bits; else BAD_PARAMETER."""
    value = get(body, *names, nested=nested)
    if value is None:
        if required:
            raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} est obligatoire.")
        return None
    if isinstance(value, bool):
        value = None
    parsed = parse_id(str(value).strip()) if value is not None else None
    if parsed is None:
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit être un identifiant numérique.")
    return parsed


def boolean(body: dict, *names, default=False) -> bool:
    value = get(body, *names)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in {"true", "1", "oui"}:
        return True
    if str(value).strip().lower() in {"false", "0", "non"}:
        return False
    raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit valoir true ou false.")


def a_date(body: dict, *names, nested=()) -> date | None:
    value = get(body, *names, nested=nested)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit être une date AAAA-MM-JJ.") from None


def amount(body: dict, *names, nested=()) -> Decimal | None:
    value = get(body, *names, nested=nested)
    if value is None:
        return None
    try:
        parsed = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        parsed = None
    if parsed is None or not parsed.is_finite() or abs(parsed) >= Decimal("1e13"):
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit être un montant.")
    return parsed


def file_content(body: dict, *names, required=True) -> bytes:
    """A base64 file within INVOICE_MAX_PDF_SIZE (TOO_LARGE), decoded strictly (BAD_PARAMETER)."""
    value = get(body, *names)
    if value is None:
        if required:
            raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} (fichier en base64) est obligatoire.")
        return b""
    if not isinstance(value, str):
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} doit être le fichier encodé en base64.")
    compact = "".join(value.split())
    if len(compact) > math.ceil(settings.INVOICE_MAX_PDF_SIZE / 3) * 4:
        raise ApiError(TOO_LARGE, too_large_label())
    try:
        content = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(BAD_PARAMETER, f"Le paramètre {names[0]} n'est pas un base64 valide.") from None
    if not content:
        raise ApiError(BAD_PARAMETER, f"Le fichier {names[0]} est vide.")
    return content


def day(value) -> str | None:
    """``YYYY-MM-DD`` of a date or datetime (local date for a datetime)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def moment(value) -> str | None:
    """A date and time as ``YYYY-MM-DDTHH:MM:SS`` (local time)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0, tzinfo=None).isoformat()


def money(value) -> float | None:
    return None if value is None else float(value)


PAGE_SIZE_DEFAULT = 10
PAGE_SIZE_MAX = 100
# Counting stops here: a page never counts a whole supplier's 200,000 invoices.
COUNT_CAP = 10_000


def pagination(body: dict) -> tuple[int, int]:
    """(page, page size) from ``pageResultatDemandee`` / ``nbResultatsParPage``, at the top level
    or in ``pagination`` / ``parametres``."""
    nested = ("pagination", "parametres", "parametresRecherche")
    page = identifier(body, "pageResultatDemandee", nested=nested, required=False) or 1
    size = identifier(body, "nbResultatsParPage", nested=nested, required=False) or PAGE_SIZE_DEFAULT
    if size > PAGE_SIZE_MAX:
        raise ApiError(BAD_PARAMETER, f"nbResultatsParPage vaut au plus {PAGE_SIZE_MAX}.")
    if (page - 1) * size >= COUNT_CAP:
        raise ApiError(BAD_PARAMETER, f"Affinez la recherche : seuls les {COUNT_CAP} premiers résultats se consultent.")
    return page, size


def paginate(queryset, body: dict) -> tuple[list, dict]:
    """One page of ``queryset`` and its ``parametresRetour``; the total is counted up to COUNT_CAP."""
    page, size = pagination(body)
    rows = list(queryset[(page - 1) * size : page * size])
    total = queryset[:COUNT_CAP].count() if (page > 1 or len(rows) == size) else (page - 1) * size + len(rows)
    return rows, {
        "pageCourante": page,
        "pages": max(1, math.ceil(total / size)),
        "nbResultatsParPage": size,
        "total": total,
        "totalPlafonne": total >= COUNT_CAP,
    }
