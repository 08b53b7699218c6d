"""From the raw findings of the worker (XSD errors of lxml, failed assertions of the schematron)
to ``Finding``s in French: the business term (BT/BG), what is wrong, how to fix it. A rule of
``rules.RULES`` has its own text; any other falls back to a French sentence built from the
pattern of its message (« Element 'X' must occur exactly 1 times. »…) or naming the business
terms found in its message and location; the raw text is kept for the « Détail technique »."""

import re

from django.utils.translation import gettext as _

from invoices.validation import terms
from invoices.validation.report import ERROR, PORTAL, SCHEMATRON, WARNING, XSD, Finding
from invoices.validation.rules import RULES

_BRACKET_ID = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*-?\s*")
FIX_GENERIC = _("Corrigez cette donnée dans votre logiciel de facturation, puis produisez de nouveau le fichier.")


def _element(name: str) -> str:
    """``{urn:…}ID`` or ``ram:ID`` → ``ID``."""
    return name.split("}")[-1].split(":")[-1]


def _named(term: str, element: str) -> str:
    """« BT-1 Numéro de facture » when the element has a term, else « l'élément ID »."""
    return terms.label(term) if term else _("l'élément %(name)s") % {"name": element}


def rule_id(item: dict) -> str:
    match = _BRACKET_ID.match(item.get("text") or "")
    return match.group(1) if match else (item.get("id") or "")


def severity_of(item: dict) -> str:
    flag = (item.get("flag") or "").lower()
    if flag in ("warning", "information", "info"):
        return WARNING
    if item.get("report") and not flag:
        return WARNING
    return ERROR


def explain_assertion(item: dict, *, profile: str = "") -> Finding:
    """One failed assertion (or successful report) of the schematron."""
    rule = rule_id(item)
    text = item.get("text") or ""
    location = item.get("location") or ""
    location_term = terms.term_of_path(location)
    found = RULES.get(rule)
    if found:
        problem, fix = str(found[0]), str(found[1])
        named = terms.terms_in(problem) or terms.terms_in(text)
    else:
        problem, fix, named = _pattern(text, location, location_term, profile)
        named = named or terms.terms_in(text)
    if not named and location_term:
        named = [location_term]
    return Finding(
        severity=severity_of(item),
        source=SCHEMATRON,
        problem=problem,
        fix=fix,
        rule=rule,
        terms=named,
        message=text,
        location=location,
        test=item.get("test") or "",
    )


def _pattern(text: str, location: str, location_term: str, profile: str) -> tuple[str, str, list[str]]:
    """The French sentence of a rule without its own text."""
    body = _BRACKET_ID.sub("", text)
    match = re.match(
        r"Element (?:variant )?'([^']+)' (must occur exactly|may occur at maximum|must occur at least) (\d+) times?",
        body,
    )
    if match:
        element = _element(match.group(1))
        term = terms.term_of_path(f"{terms.normalise(location)}/{element}")
        count = int(match.group(3))
        if match.group(2) == "must occur exactly":
            problem = _("%(what)s doit figurer exactement %(count)d fois à cet endroit du XML.")
        elif match.group(2) == "may occur at maximum":
            problem = _("%(what)s figure plus de %(count)d fois à cet endroit du XML.")
        else:
            problem = _("%(what)s doit figurer au moins %(count)d fois à cet endroit du XML.")
        what = _named(term, element)
        return problem % {"what": what[:1].upper() + what[1:], "count": count}, FIX_GENERIC, [term] if term else []
    match = re.match(r"Element (?:variant )?'([^']+)' is marked as not used in the given context", body)
    if match:
        element = _element(match.group(1))
        term = terms.term_of_path(f"{terms.normalise(location)}/{element}") or terms.term_of_path(location)
        what = _named(term, element)
        return (
            _("%(what)s n'est pas prévu à cet endroit par le profil %(profile)s.")
            % {"what": what[:1].upper() + what[1:], "profile": profile or _("déclaré")},
            _("Retirez-le du XML, ou produisez la facture à un profil qui le prévoit (EN 16931, EXTENDED)."),
            [term] if term else [],
        )
    match = re.match(r"Attribute @?'?([A-Za-z:]+)'? ?(?:is )?marked as not used in the given context", body)
    if match:
        return (
            _("L'attribut %(attribute)s n'est pas prévu à cet endroit par le profil %(profile)s.")
            % {"attribute": match.group(1), "profile": profile or _("déclaré")},
            _("Retirez cet attribut dans votre logiciel de facturation."),
            [location_term] if location_term else [],
        )
    match = re.match(r"Attribute '@?([^']+)' is required in this context", body)
    if match:
        return (
            _("L'attribut %(attribute)s est obligatoire sur %(what)s.")
            % {"attribute": match.group(1), "what": _named(location_term, _element(location.split("/")[-1] or "?"))},
            FIX_GENERIC,
            [location_term] if location_term else [],
        )
    match = re.match(r"Value of '([^']+)' is not allowed", body)
    if match:
        element = _element(match.group(1))
        term = terms.term_of_path(f"{terms.normalise(location)}/{element}") or location_term
        return (
            _("La valeur de %(what)s n'est pas une valeur admise (code hors de la liste de la norme).")
            % {"what": _named(term, element)},
            _("Choisissez un code de la liste de la norme EN 16931 dans votre logiciel de facturation."),
            [term] if term else [],
        )
    named = terms.terms_in(text) or ([location_term] if location_term else [])
    if named:
        problem = _("La règle %(rule)s de la norme EN 16931 n'est pas respectée ; elle porte sur %(terms)s.") % {
            "rule": _rule_label(text),
            "terms": ", ".join(terms.label(term) for term in named),
        }
    else:
        problem = _("La règle %(rule)s de la norme EN 16931 n'est pas respectée.") % {"rule": _rule_label(text)}
    return problem, _("Vérifiez ces données dans votre logiciel de facturation (voir le détail technique)."), named


def _rule_label(text: str) -> str:
    match = _BRACKET_ID.match(text or "")
    return match.group(1) if match else _("du schematron")


# --- XSD ---------------------------------------------------------------------------------------

_XSD = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<rest>.*)$", re.S)


def explain_xsd(item: dict) -> Finding:
    """One XSD error of lxml (libxml2's message, the element's path and line)."""
    message = item.get("message") or ""
    path = item.get("path") or ""
    match = _XSD.match(message)
    problem, fix, named = "", FIX_GENERIC, []
    if match:
        element = _element(match.group("element"))
        attribute = match.group("attribute")
        rest = match.group("rest")
        term = terms.term_of_path(path)
        expected = re.findall(r"\{[^}]*\}([A-Za-z0-9_]+)", rest)
        if rest.startswith("Missing child element"):
            parent = terms.normalise(path)
            children = [(name, terms.term_of_path(f"{parent}/{name}", exact=True)) for name in expected]
            wanted = ", ".join(_named(child_term, name) for name, child_term in children) or _("un élément")
            problem = _("Il manque %(wanted)s dans %(what)s.") % {"wanted": wanted, "what": _named(term, element)}
            fix = _("Ajoutez cette donnée dans votre logiciel de facturation, puis produisez de nouveau le fichier.")
            named = [child_term for _name, child_term in children if child_term] + ([term] if term else [])
        elif "This element is not expected" in rest:
            if expected:
                parent = "/".join(terms.normalise(path).split("/")[:-1])
                wanted = [(name, terms.term_of_path(f"{parent}/{name}", exact=True)) for name in expected]
                problem = _(
                    "%(what)s n'est pas attendu à cet endroit du XML ; le schéma attend ici : %(expected)s."
                ) % {
                    "what": _capital(_named(term, element)),
                    "expected": ", ".join(_named(wanted_term, name) for name, wanted_term in wanted),
                }
                term = next((wanted_term for _name, wanted_term in wanted if wanted_term), term)
            else:
                problem = _("%(what)s n'est pas attendu à cet endroit du XML.") % {
                    "what": _capital(_named(term, element))
                }
            fix = _(
                "Vérifiez l'ordre et le nom des éléments : le fichier n'a pas été produit selon le schéma de la "
                "norme. Corrigez-le dans votre logiciel de facturation."
            )
            named = [term] if term else []
        elif "is not a valid value" in rest or "[facet" in rest:
            value = re.search(r"(?:The value |^)'([^']*)'", rest)
            kind = _kind(rest)
            what = _named(term, element)
            if attribute:
                what = _("l'attribut %(attribute)s de %(what)s") % {"attribute": attribute, "what": what}
            problem = _("La valeur « %(value)s » de %(what)s n'est pas valide%(kind)s.") % {
                "value": value.group(1) if value else "",
                "what": what,
                "kind": kind,
            }
            named = [term] if term else []
        elif "attribute" in rest and "is required but missing" in rest:
            required = re.search(r"The attribute '([^']+)'", rest)
            problem = _("L'attribut %(attribute)s est obligatoire sur %(what)s.") % {
                "attribute": required.group(1) if required else "",
                "what": _named(term, element),
            }
            named = [term] if term else []
        elif "No matching global declaration" in rest:
            problem = _("L'élément racine %(element)s n'est pas celui d'une facture de cette syntaxe.") % {
                "element": element
            }
        else:
            problem = _("%(what)s ne respecte pas le schéma de la norme.") % {"what": _capital(_named(term, element))}
            named = [term] if term else []
    if not problem:
        problem = _("Le fichier ne respecte pas le schéma XSD de la norme.")
    return Finding(
        severity=ERROR,
        source=XSD,
        problem=problem,
        fix=fix,
        rule="XSD",
        terms=named,
        message=message,
        location=path,
        line=item.get("line"),
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _kind(rest: str) -> str:
    if "decimal" in rest or "AmountType" in rest or "QuantityType" in rest or "PercentType" in rest:
        return _(" : un nombre est attendu, avec un point comme séparateur décimal (1234.56)")
    if "date" in rest.lower():
        return _(" : une date est attendue (AAAA-MM-JJ en UBL, AAAAMMJJ en CII)")
    if "enumeration" in rest:
        return _(" : ce code n'est pas dans la liste admise")
    if "pattern" in rest:
        return _(" : la valeur n'a pas la forme attendue")
    if "minLength" in rest:
        return _(" : elle est vide ou trop courte")
    if "maxLength" in rest:
        return _(" : elle est trop longue")
    return ""


def portal_finding(message: str, *, severity: str = ERROR) -> Finding:
    """A rule of the portal (``structured.parse_structured``, the seller check…), whose French
    message already says what is wrong and usually how to fix it."""
    return Finding(
        severity=severity,
        source=PORTAL,
        problem=str(message),
        fix=""
        if severity == WARNING
        else _("Corrigez le fichier dans votre logiciel de facturation, puis déposez le fichier corrigé."),
        terms=terms.terms_in(str(message)),
    )
