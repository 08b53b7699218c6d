"""Every /cpro/ service refuses, with its codeRetour (HTTP 200): a missing, unknown or expired
token; a missing or wrong ``cpro-account``, a revoked technical user, one of another structure;
malformed JSON; an oversized request. Ids of another structure are NOT_FOUND (no leak)."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from invoices.api import protocol
from invoices.api.endpoint import REGISTRY
from invoices.api.urls import cpro_urlpatterns  # noqa: F401  (registers every service)
from invoices.workflow import Status
from structures.models import ApiAccessToken, ApiCall
from structures.services import api_accounts
from tests.invoices.api.setup import Api, make_account
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import ServiceFactory, StructureFactory

POST_PATHS = sorted(p for p, ep in REGISTRY.items() if ep.method == "post")
ACCOUNT_PATHS = sorted(p for p, ep in REGISTRY.items() if ep.technical_user)


def call(client, path, headers, data="{}"):
    method = REGISTRY[path].method
    if method == "get":
        response = client.get(f"/cpro/{path}", **headers)
    else:
        response = client.post(f"/cpro/{path}", data=data, content_type="application/json", **headers)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(REGISTRY))
@pytest.mark.parametrize("authorization", [None, "Bearer inconnu", "Basic abc", "Bearer "])
def test_bad_token(client, api, path, authorization):
    headers = api.headers(HTTP_AUTHORIZATION=authorization)
    answer = call(client, path, headers)
    assert answer["codeRetour"] == protocol.BAD_TOKEN
    assert "Jeton" in answer["libelle"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(REGISTRY))
def test_expired_token_and_revoked_application(client, api, path):
    ApiAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(client, path, api.headers())["codeRetour"] == protocol.BAD_TOKEN
    ApiAccessToken.objects.update(expires_at=timezone.now() + timedelta(hours=1))
    api_accounts.api_application_revoke(application=api.account.application, actor=api.account.manager)
    assert call(client, path, api.headers())["codeRetour"] == protocol.BAD_TOKEN


@pytest.mark.django_db
@pytest.mark.parametrize("path", ACCOUNT_PATHS)
def test_wrong_cpro_account(client, api, path):
    login = api.account.technical_user.login
    other = make_account()
    for value in [
        None,
        "pas du base64 !",
        base64.b64encode(b"sans-deux-points").decode(),
        base64.b64encode(f"{login}:mauvais".encode()).decode(),
        # A valid technical user of another structure, with this application's token.
        other.cpro_account,
    ]:
        answer = call(client, path, api.headers(HTTP_CPRO_ACCOUNT=value))
        assert answer["codeRetour"] == protocol.BAD_ACCOUNT, value
    api_accounts.technical_user_revoke(technical_user=api.account.technical_user, actor=api.account.manager)
    assert call(client, path, api.headers())["codeRetour"] == protocol.BAD_ACCOUNT


@pytest.mark.django_db
@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("raw", ["{", "[1, 2]", '"texte"', "nul", '{"a": 1'])
def test_malformed_json(client, api, path, raw):
    answer = call(client, path, api.headers(), data=raw)
    assert answer["codeRetour"] == protocol.BAD_JSON


@pytest.mark.django_db
@pytest.mark.parametrize("path", POST_PATHS)
def test_oversized_request(client, api, path, settings):
    settings.INVOICE_MAX_PDF_SIZE = 1024
    body = json.dumps({"fichierFlux": "A" * 4096, "fichierFacture": "A" * 4096, "pieceJointeFichier": "A" * 4096})
    body = body + " " * (protocol.max_body_size() + 10 - len(body))
    answer = call(client, path, api.headers(), data=body)
    assert answer["codeRetour"] == protocol.TOO_LARGE
    assert "taille maximale" in answer["libelle"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["factures/v1/deposer/flux", "factures/v1/deposer/pdf", "transverses/v1/ajouter/fichier"]
)
def test_oversized_file(api, path, settings):
    settings.INVOICE_MAX_PDF_SIZE = 1024
    content = base64.b64encode(b"%PDF" + b"x" * 2000).decode()
    body = {
        "fichierFlux": content,
        "fichierFacture": content,
        "pieceJointeFichier": content,
        "nomFichier": "f.pdf",
        "pieceJointeNom": "f.pdf",
        "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
    }
    answer = api.post(path, body)
    assert answer["codeRetour"] == protocol.TOO_LARGE


@pytest.mark.django_db
def test_wrong_method(client, api):
    response = client.get("/cpro/factures/v1/rechercher/fournisseur", **api.headers())
    assert response.status_code == 405 and response.json()["codeRetour"] == protocol.BAD_PARAMETER


# --- Another structure's ids: NOT_FOUND, exactly like an id that does not exist -----------------


@pytest.fixture
def foreign(db):
    """Objects of another supplier: a sent invoice, its flux-less history, a service of its own."""
    other = StructureFactory()
    invoice = InvoiceFactory(supplier=other, sent=True)
    service = ServiceFactory(structure=other)
    return {"structure": other, "invoice": invoice, "service": service}


INVOICE_PATHS = [
    "factures/v1/consulter/historique",
    "factures/v1/consulter/fournisseur",
    "factures/v1/completer",
    "factures/v1/recycler",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", INVOICE_PATHS)
def test_another_structures_invoice_is_not_found(api, foreign, path):
    for pk in (foreign["invoice"].pk, 999_999_999):
        answer = api.post(path, {"idFacture": pk})
        assert answer["codeRetour"] == protocol.NOT_FOUND
        assert answer["libelle"] == f"Facture introuvable : {pk}."


@pytest.mark.django_db
def test_another_structures_invoice_is_not_downloaded_nor_found(api, foreign):
    answer = api.post("factures/v1/telecharger/groupe", {"listeFacture": [{"idFacture": foreign["invoice"].pk}]})
    assert answer["codeRetour"] == protocol.NOT_FOUND and "fichierResultat" not in answer
    answer = api.post("factures/v1/rechercher/fournisseur", {"numeroFacture": foreign["invoice"].number})
    assert answer["codeRetour"] == protocol.EMPTY and answer["listeFactures"] == []


@pytest.mark.django_db
def test_another_structures_draft_cannot_be_submitted(api, foreign):
    draft = InvoiceFactory(supplier=foreign["structure"])
    answer = api.post("factures/v1/soumettre", {"pieceJointePrincipale": [{"pieceJointePrincipaleId": draft.pk}]})
    assert answer["codeRetour"] == protocol.NOT_FOUND
    draft.refresh_from_db()
    assert draft.status == Status.BROUILLON


@pytest.mark.django_db
def test_another_structures_flux_is_not_found(api, client):
    other = make_account()
    other_api = Api(client, other)
    number = other_api.post(
        "factures/v1/deposer/flux",
        {"fichierFlux": "JVBERg==", "nomFichier": "x.pdf", "syntaxeFlux": "IN_DP_E2_CII_FACTURX"},
    )["numeroFluxDepot"]
    for path in ("transverses/v1/consulterCR", "transverses/v1/consulterCRDetaille"):
        answer = api.post(path, {"numeroFluxDepot": number})
        assert answer["codeRetour"] == protocol.NOT_FOUND and "etatCourantFlux" not in answer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["structures/v1/consulter", "structures/v1/rechercher/services", "structures/v1/consulter/service"]
)
def test_another_supplier_structure_is_not_found(api, foreign, path):
    pk = foreign["structure"].pk
    for body in ({"idStructureCPP": pk, "idService": foreign["service"].pk}, {"idStructure": pk, "idService": 1}):
        answer = api.post(path, body)
        assert answer["codeRetour"] == protocol.NOT_FOUND
        assert answer["libelle"] == f"Structure introuvable : {pk}."


@pytest.mark.django_db
def test_another_supplier_structure_is_not_searchable(api, foreign):
    answer = api.post(
        "structures/v1/rechercher", {"structure": {"identifiantStructure": foreign["structure"].identifier}}
    )
    assert answer["codeRetour"] == protocol.EMPTY


@pytest.mark.django_db
def test_another_structures_file_cannot_be_attached(api, client, foreign):
    other_api = Api(client, make_account())
    piece = other_api.post(
        "transverses/v1/ajouter/fichier", {"pieceJointeFichier": "aGVsbG8=", "pieceJointeNom": "note.txt"}
    )["pieceJointeId"]
    invoice = InvoiceFactory(supplier=api.account.supplier, sent=True, status=Status.SUSPENDUE)
    answer = api.post(
        "factures/v1/completer", {"idFacture": invoice.pk, "listePiecesJointes": [{"pieceJointeId": piece}]}
    )
    assert answer["codeRetour"] == protocol.NOT_FOUND
    invoice.refresh_from_db()
    assert invoice.status == Status.SUSPENDUE


# --- Journal, rate limit ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_call_is_recorded_with_application_and_technical_user(api):
    api.post("factures/v1/rechercher/fournisseur", {})
    api.post("factures/v1/consulter/fournisseur", {"idFacture": 123})
    calls = list(ApiCall.objects.order_by("id"))
    assert [(c.endpoint, c.code_retour, c.reference) for c in calls] == [
        ("factures/v1/rechercher/fournisseur", protocol.EMPTY, ""),
        ("factures/v1/consulter/fournisseur", protocol.NOT_FOUND, "123"),
    ]
    assert {c.application_id for c in calls} == {api.account.application.pk}
    assert {c.technical_user_id for c in calls} == {api.account.technical_user.pk}


@pytest.mark.django_db
def test_rate_limit_per_application(api, client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    codes = [api.post("transverses/v1/recuperer/structures/actives/fournisseur")["codeRetour"] for _ in range(4)]
    assert codes == [0, 0, 0, protocol.RATE_LIMITED]
    # Another application of another structure is not slowed down.
    other = Api(client, make_account())
    assert other.post("transverses/v1/recuperer/structures/actives/fournisseur")["codeRetour"] == 0
