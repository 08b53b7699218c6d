"""The API deposit client of the benchmark (``bench/clients.py``, mode ``api``) and its setup in
``bench/run.py``: the supplier's application, token and technical user, and the CII template
whose invoice number each call replaces. The calls go through the Django test client, with the
headers and body the client sends to gunicorn."""

import base64
import json

import pytest

from bench import clients
from bench.run import api_credentials, api_template, flux_invoices
from invoices.models import ApiFlux, FluxState, Invoice
from invoices.workflow import Status
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory


class DjangoSession:
    """What ``send_api`` uses of a ``requests.Session``, answered by the Django test client."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data, headers):
        meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        content_type = meta.pop("HTTP_CONTENT_TYPE")
        return self.client.post(url, data, content_type=content_type, **meta)


@pytest.fixture
def api_client(db, tmp_path):
    supplier = StructureFactory()
    manager = MembershipFactory(structure=supplier, manager=True).user
    BankAccountFactory(structure=supplier)
    recipient = StructureFactory(public=True)
    path = tmp_path / "facture.xml"
    path.write_bytes(api_template(supplier, recipient))
    return {**api_credentials(supplier, manager), "xml": str(path), "supplier": supplier, "recipient": recipient}


def test_each_call_deposits_the_template_under_a_number_of_its_own(client, api_client):
    template = clients.api_template(api_client["xml"])
    session = DjangoSession(client)
    numbers = [clients.send_api(session, "", api_client, template) for _ in range(3)]
    assert len(set(numbers)) == 3
    fluxes = ApiFlux.objects.filter(number__in=numbers)
    assert {f.state for f in fluxes} == {FluxState.INTEGRATED}
    invoices = Invoice.objects.filter(api_flux__in=fluxes)
    assert invoices.count() == 3 and len({i.number for i in invoices}) == 3
    assert all(i.number.startswith("A") and len(i.number) == 16 for i in invoices)
    for invoice in invoices:
        assert invoice.status != Status.BROUILLON and invoice.source_syntax == "CII"
        assert (invoice.supplier, invoice.recipient) == (api_client["supplier"], api_client["recipient"])
    ids, rejected = flux_invoices(numbers)
    assert sorted(ids) == sorted(i.pk for i in invoices) and rejected == []


def test_the_body_is_the_template_with_the_number_in_base64(api_client):
    template = clients.api_template(api_client["xml"])
    body = clients.flux_body(template, "A0123456789abcde")
    assert set(body) == {"fichierFlux", "nomFichier", "syntaxeFlux"}
    assert body["syntaxeFlux"] == "IN_DP_E1_CII_16B" and body["nomFichier"] == "A0123456789abcde.xml"
    xml = base64.b64decode(body["fichierFlux"]).decode()
    assert "<ram:ID>A0123456789abcde</ram:ID>" in xml and clients.NUMBER_PLACEHOLDER not in xml
    json.dumps(body)  # what the client sends


def test_a_rejected_flux_is_counted_as_an_error(client, api_client):
    """The portal answers codeRetour 0 for a flux it rejects (as the real one: consulterCR tells):
    the benchmark reads the rejection and its reason."""
    template = clients.api_template(api_client["xml"])
    body = json.dumps(clients.flux_body(template, "A-MEME-NUMERO"))
    numbers = []
    for _ in range(2):
        answer = client.post(
            clients.FLUX_PATH,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_client['token']}",
            HTTP_CPRO_ACCOUNT=api_client["cpro_account"],
        ).json()
        assert answer["codeRetour"] == 0
        numbers.append(answer["numeroFluxDepot"])
    ids, rejected = flux_invoices(numbers)
    assert len(ids) == 1 and len(rejected) == 1
    assert rejected[0].startswith("flux IN_REJETE : ") and "Doublon" in rejected[0]


def test_a_call_the_api_refuses_raises_with_its_code(client, api_client):
    template = clients.api_template(api_client["xml"])
    with pytest.raises(RuntimeError, match="codeRetour 10001"):
        clients.send_api(DjangoSession(client), "", {**api_client, "token": "révoqué"}, template)


def test_a_template_must_hold_the_placeholder_once(tmp_path):
    path = tmp_path / "modele.xml"
    path.write_text("<Invoice><ID>F-1</ID></Invoice>")
    with pytest.raises(ValueError, match=clients.NUMBER_PLACEHOLDER):
        clients.api_template(str(path))
