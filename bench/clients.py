"""Deposit clients of the benchmark: N processes, each a supplier sending invoices for a fixed
time, either through the portal's pages as a person would (a browser), or through the API as a
supplier's invoicing software does (not run by the tests).

    python bench/clients.py --base http://127.0.0.1:8714 --sessions sessions.json --seconds 30 \\
        --mode pdf|typed|mixed|api --output result.json

Pages (``pdf``, ``typed``, ``mixed``): each process posts the forms it reads (CSRF token,
pre-filled fields), gives the invoice a number of its own, and records per invoice the seconds
from the first request to the answer of "Valider et envoyer", and the invoice's id.

API (``api``): each process calls ``factures/v1/deposer/flux`` with its bearer token and its
technical user, one CII XML per call, made from the supplier's template with a new invoice number
(``flux_body``); it records per call the seconds of the call and the flux number the portal
answered (the benchmark finds the flux's invoice, or its rejection, in the database).

``sessions.json`` lists one entry per client: session cookie, recipient id (and its SIRET, code
service and EJ when the recipient asks for them), the path of the PDF this supplier deposits; for
the API, the bearer token, the ``cpro-account`` header and the path of the XML template.
"""

import argparse
import base64
import json
import multiprocessing
import re
import sys
import time
import uuid
from html.parser import HTMLParser

import requests


class FormParser(HTMLParser):
    """The fields of every POST form of a page, as a browser would submit them (first values)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    fields[name] = a.get("value", "on")
                return
            fields.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select:
            if "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields.setdefault(name, "")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_with(html: str, field: str) -> dict:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if field in form["fields"]:
            return form
    raise RuntimeError(f"aucun formulaire avec le champ {field}")


DETAIL = re.compile(r"/factures/(\d+)/$")
FLUX_PATH = "/cpro/factures/v1/deposer/flux"
FLUX_SYNTAX = "IN_DP_E1_CII_16B"
# The invoice number (BT-1) of an XML template, replaced in each call by a number of its own.
NUMBER_PLACEHOLDER = "NUMERO-A-REMPLACER"


def send_pdf(session: requests.Session, base: str, client: dict, pdf: bytes) -> int:
    page = session.get(f"{base}/factures/deposer/")
    form = form_with(page.text, "cadre")
    data = {**form["fields"], "cadre": "A1", "pdf_format": form["fields"].get("pdf_format") or "PDF"}
    answer = session.post(
        f"{base}/factures/deposer/", data=data, files={"file": ("facture.pdf", pdf, "application/pdf")}
    )
    if "/modifier/" not in answer.url:
        raise RuntimeError(f"dépôt refusé ({answer.status_code}) : {answer.url}")
    return finish(session, answer, client, base)


def send_typed(session: requests.Session, base: str, client: dict) -> int:
    page = session.get(f"{base}/factures/saisir/")
    return finish(session, page, client, base, typed=True)


def finish(session, page, client: dict, base: str, typed: bool = False) -> int:
    form = form_with(page.text, "number")
    data = dict(form["fields"])
    data.update(
        {
            "number": "C" + uuid.uuid4().hex[:15],
            "invoice_date": time.strftime("%d/%m/%Y"),
            "recipient": str(client["recipient_id"]),
            "recipient_query": client["recipient_siret"],
            "recipient_service": client.get("service_code", ""),
            "engagement_number": client.get("engagement", ""),
            "action": "send",
        }
    )
    if not typed:
        # A PDF without XML: the totals and the VAT breakdown are typed, as the PDF shows them.
        data.update({"amount_ht": "1000,00", "amount_tva": "200,00", "amount_ttc": "1200,00"})
        if "vat-TOTAL_FORMS" in data:
            data.update(
                {
                    "vat-TOTAL_FORMS": "1",
                    "vat-0-rate": "20.00",
                    "vat-0-base_ht": "1000,00",
                    "vat-0-vat_amount": "200,00",
                }
            )
    if typed:
        prefix = next((k[: -len("TOTAL_FORMS")] for k in data if k.endswith("TOTAL_FORMS")), "lines-")
        data.update(
            {
                f"{prefix}TOTAL_FORMS": "1",
                f"{prefix}0-designation": "Prestation de conseil",
                f"{prefix}0-quantity": "2",
                f"{prefix}0-unit": "jour",
                f"{prefix}0-unit_price_ht": "450,00",
                f"{prefix}0-vat_rate": "20.00",
            }
        )
    url = page.url if form["action"] in ("", ".") else requests.compat.urljoin(page.url, form["action"])
    answer = session.post(url, data=data)
    match = DETAIL.search(answer.url)
    if not match:
        errors = re.findall(r'class="fr-error-text"[^>]*>\s*([^<]+)', answer.text)
        raise RuntimeError(f"envoi refusé ({answer.status_code}, {answer.url}) : {errors[:3]}")
    return int(match.group(1))


def api_template(path: str) -> str:
    """The XML template of a client: its invoice number is the placeholder, once."""
    with open(path, encoding="utf-8") as handle:
        template = handle.read()
    if template.count(NUMBER_PLACEHOLDER) != 1:
        raise ValueError(f"{path} : le modèle doit contenir {NUMBER_PLACEHOLDER} une fois (numéro de facture)")
    return template


def flux_body(template: str, number: str) -> dict:
    """The JSON body of ``deposer/flux`` for the template's invoice under ``number``."""
    xml = template.replace(NUMBER_PLACEHOLDER, number)
    return {
        "fichierFlux": base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        "nomFichier": f"{number}.xml",
        "syntaxeFlux": FLUX_SYNTAX,
    }


def api_headers(client: dict) -> dict:
    return {
        "Authorization": f"Bearer {client['token']}",
        "cpro-account": client["cpro_account"],
        "Content-Type": "application/json",
    }


def send_api(session: requests.Session, base: str, client: dict, template: str) -> str:
    """One ``deposer/flux`` call; returns the flux number (the portal answers codeRetour 0 once the
    flux is recorded, integrated or rejected: the caller reads which)."""
    number = "A" + uuid.uuid4().hex[:15]
    answer = session.post(
        f"{base}{FLUX_PATH}", data=json.dumps(flux_body(template, number)), headers=api_headers(client)
    )
    try:
        data = answer.json()
    except ValueError:
        raise RuntimeError(f"réponse de l'API illisible ({answer.status_code}) : {answer.text[:200]}") from None
    if answer.status_code != 200 or data.get("codeRetour") != 0:
        raise RuntimeError(
            f"flux refusé ({answer.status_code}, codeRetour {data.get('codeRetour')}) : {data.get('libelle')}"
        )
    return data["numeroFluxDepot"]


def client_loop(args) -> dict:
    index, base, client, seconds, mode = args
    session = requests.Session()
    if mode == "api":
        template = api_template(client["xml"])
    else:
        with open(client["pdf"], "rb") as handle:
            pdf = handle.read()
        session.cookies.set("sessionid", client["sessionid"])
    deadline = time.monotonic() + seconds
    done, errors, n = [], [], 0
    while time.monotonic() < deadline:
        typed = mode == "typed" or (mode == "mixed" and (n + index) % 2 == 1)
        n += 1
        started = time.monotonic()
        try:
            if mode == "api":
                done.append({"flux": send_api(session, base, client, template), "seconds": time.monotonic() - started})
                continue
            pk = send_typed(session, base, client) if typed else send_pdf(session, base, client, pdf)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(str(exc)[:300])
            continue
        done.append({"id": pk, "seconds": time.monotonic() - started, "typed": typed})
    return {"done": done, "errors": errors}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--sessions", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--mode", choices=["pdf", "typed", "mixed", "api"], default="mixed")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    with open(args.sessions) as handle:
        clients = json.load(handle)
    started = time.monotonic()
    with multiprocessing.Pool(len(clients)) as pool:
        results = pool.map(client_loop, [(i, args.base, c, args.seconds, args.mode) for i, c in enumerate(clients)])
    elapsed = time.monotonic() - started
    out = {
        "elapsed": elapsed,
        "done": [d for r in results for d in r["done"]],
        "errors": [e for r in results for e in r["errors"]],
    }
    with open(args.output, "w") as handle:
        json.dump(out, handle)
    print(f"{len(out['done'])} factures envoyées en {elapsed:.1f} s, {len(out['errors'])} erreurs", file=sys.stderr)


if __name__ == "__main__":
    main()
