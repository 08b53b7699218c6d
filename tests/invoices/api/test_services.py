"""What each /cpro/ service answers, through the same services as the portal's pages: the token
endpoint's two ways of giving credentials, the deposits (flux, PDF then submission), the search
and its criteria, the history, the consultation, the download, compléter and recycler, the
directory, the EJ and the caller's structures."""

import base64
import io
import json
import zipfile
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoices import services
from invoices.api import protocol
from invoices.models import ApiFlux, FluxState, Invoice
from invoices.samples import text_pdf
from invoices.workflow import Status
from tests.invoices.api.setup import b64, facturx_for
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import EngagementFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


# --- Token endpoint --------------------------------------------------------------------------------


def test_token_from_form_body_or_basic(client, account):
    app = account.application
    form = client.post(
        "/api/oauth/token",
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": account.secret},
    )
    basic = client.post(
        "/api/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{app.client_id}:{account.secret}".encode()).decode(),
    )
    for response in (form, basic):
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        body = response.json()
        assert body.keys() == {"access_token", "token_type", "expires_in", "scope"}
        assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "openid")
        assert isinstance(body["expires_in"], int)


@pytest.mark.parametrize(
    "data, status, error",
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
    ],
)
def test_token_errors(client, account, data, status, error):
    response = client.post("/api/oauth/token", data)
    assert response.status_code == status and response.json()["error"] == error
    assert response.json()["error_description"]


def test_token_requests_are_throttled(client, account, settings):
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 2
    data = {"grant_type": "client_credentials", "client_id": account.application.client_id, "client_secret": "faux"}
    statuses = [client.post("/api/oauth/token", data).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


# --- Deposit ---------------------------------------------------------------------------------------


def deposit(api, content: bytes, syntax="IN_DP_E2_CII_FACTURX", **extra):
    return api.post(
        "factures/v1/deposer/flux", {"fichierFlux": b64(content), "nomFichier": "f.pdf", "syntaxeFlux": syntax, **extra}
    )


def test_deposit_flux_creates_the_portal_invoice(api, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = deposit(api, facturx_for(account))
    assert answer["codeRetour"] == 0 and answer["libelle"] == "TRA_MSG_00.000"
    flux = ApiFlux.objects.get(number=answer["numeroFluxDepot"])
    assert flux.state == FluxState.INTEGRATED and flux.application == account.application
    invoice = flux.invoice
    assert invoice.number == "FX-API-0001" and invoice.recipient == account.recipient
    assert invoice.status == Status.MISE_A_DISPOSITION  # routed in process after the commit (eager tasks)
    assert invoice.events.filter(to_status=Status.DEPOSEE, user=account.technical_user.user).exists()


def test_the_same_invoice_twice_is_a_duplicate(api, account):
    deposit(api, facturx_for(account))
    second = deposit(api, facturx_for(account))
    report = api.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": second["numeroFluxDepot"]})
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    assert "Doublon" in report["listeErreurDP"][0]["libelleErreurDP"]
    assert Invoice.objects.filter(supplier=account.supplier).count() == 1


def test_a_text_pdf_is_not_a_facturx_flux(api, account):
    answer = deposit(api, text_pdf(["Facture"]))
    report = api.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": answer["numeroFluxDepot"]})
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    assert "Factur-X" in report["listeErreurDP"][0]["libelleErreurDP"]
    assert not Invoice.objects.exists()  # no draft left behind


@pytest.mark.parametrize("syntax", ["IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B"])
def test_xml_flux_goes_through_the_deposit_service(api, account, syntax):
    xml = b"<?xml version='1.0'?><Invoice/>"
    with mock.patch(
        "invoices.services.flux.invoice_deposit", wraps=__import__("invoices").services.invoice_deposit
    ) as spy:
        answer = deposit(api, xml, syntax=syntax)
    assert answer["codeRetour"] == 0 and answer["syntaxeFlux"] == syntax
    spy.call_args.kwargs["file"].seek(0)
    assert spy.call_args.kwargs["file"].read() == xml and spy.call_args.kwargs["supplier"] == account.supplier
    report = api.post("transverses/v1/consulterCR", {"numeroFluxDepot": answer["numeroFluxDepot"]})
    assert report["etatCourantFlux"] in ("IN_INTEGRE", "IN_REJETE")


@pytest.mark.parametrize(
    "body, message",
    [
        ({"nomFichier": "f.pdf", "syntaxeFlux": "IN_DP_E2_CII_FACTURX"}, "fichierFlux"),
        ({"fichierFlux": "%%%", "nomFichier": "f.pdf", "syntaxeFlux": "IN_DP_E2_CII_FACTURX"}, "base64"),
        ({"fichierFlux": "JVBERg==", "nomFichier": "f.pdf", "syntaxeFlux": "IN_DP_E2_XCBL"}, "syntaxeFlux"),
        ({"fichierFlux": "JVBERg==", "syntaxeFlux": "IN_DP_E2_CII_FACTURX"}, "nomFichier"),
        (
            {"fichierFlux": "JVBERg==", "nomFichier": "f", "syntaxeFlux": "IN_DP_E2_CII_FACTURX", "avecSignature": "?"},
            "avecSignature",
        ),
    ],
)
def test_deposit_bad_parameters(api, body, message):
    answer = api.post("factures/v1/deposer/flux", body)
    assert answer["codeRetour"] == protocol.BAD_PARAMETER and message in answer["libelle"]
    assert not ApiFlux.objects.exists()


def test_deposit_pdf_then_submit(api, account, django_capture_on_commit_callbacks):
    service = ServiceFactory(structure=account.recipient, code="SE-API")
    pdf = text_pdf(["Facture"])
    draft = api.post("factures/v1/deposer/pdf", {"fichierFacture": b64(pdf), "nomFichier": "facture.pdf"})
    assert draft["codeRetour"] == 0
    body = {
        "pieceJointePrincipale": [{"pieceJointePrincipaleId": draft["pieceJointeId"]}],
        "numeroFactureSaisi": "PDF-API-1",
        "dateFacture": "2026-01-15",
        "destinataire": {"codeDestinataire": account.recipient.identifier, "codeServiceExecutant": "se-api"},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {"typeFacture": "FACTURE", "modePaiement": "VIREMENT"},
        "montantTotal": {"montantHtTotal": 100, "montantTVA": 20, "montantTtcTotal": 120},
        "ligneTva": [
            {"ligneTvaTauxRefValeur": 20, "ligneTvaMontantBaseHtParTaux": 100, "ligneTvaMontantTvaParTaux": 20}
        ],
    }
    incomplete = api.post(
        "factures/v1/soumettre",
        {**body, "montantTotal": {"montantHtTotal": 100, "montantTVA": 20, "montantTtcTotal": 121}},
    )
    assert incomplete["codeRetour"] == protocol.REFUSED and incomplete["listeErreurs"]
    sent = api.post("factures/v1/soumettre", body)
    assert sent["codeRetour"] == 0 and sent["numeroFacture"] == "PDF-API-1" and sent["statutFacture"] == "DEPOSEE"
    invoice = Invoice.objects.get(pk=sent["identifiantFactureCPP"])
    assert invoice.recipient_service == service and invoice.amount_ttc == 120
    again = api.post("factures/v1/soumettre", body)
    assert again["codeRetour"] == protocol.NOT_FOUND


# --- Search, history, consultation, download -------------------------------------------------------


@pytest.fixture
def invoices(account):
    make = lambda **kw: InvoiceFactory(supplier=account.supplier, recipient=account.recipient, sent=True, **kw)  # noqa: E731
    return [
        make(number="A-1", status=Status.MISE_A_DISPOSITION, amount_ht=100, amount_tva=20, amount_ttc=120),
        make(number="A-2", status=Status.SUSPENDUE, amount_ht=1000, amount_tva=200, amount_ttc=1200),
        make(number="A-3", status=Status.MISE_EN_PAIEMENT, amount_ht=10, amount_tva=2, amount_ttc=12),
        InvoiceFactory(supplier=account.supplier, number="BROUILLON-1"),
    ]


@pytest.mark.parametrize(
    "criteria, numbers",
    [
        ({}, ["A-3", "A-2", "A-1"]),
        ({"statutCourant": "SUSPENDUE"}, ["A-2"]),
        ({"statutCourant": ["SUSPENDUE", "MISE_EN_PAIEMENT"]}, ["A-3", "A-2"]),
        ({"numeroFacture": "A-1"}, ["A-1"]),
        ({"montantTTCMin": 100, "montantTTCMax": 500}, ["A-1"]),
        ({"rechercheFactureParFournisseur": {"montantTTCMin": 1000}}, ["A-2"]),
        ({"numeroFacture": "BROUILLON-1"}, []),
        ({"dateDepotDebut": "2000-01-01", "dateDepotFin": "2000-12-31"}, []),
    ],
)
def test_search_criteria(api, invoices, criteria, numbers):
    answer = api.post("factures/v1/rechercher/fournisseur", criteria)
    assert [line["numeroFacture"] for line in answer["listeFactures"]] == numbers
    assert answer["codeRetour"] == (0 if numbers else protocol.EMPTY)
    assert answer["libelle"] == ("TRA_MSG_00.000" if numbers else "TRA_MSG_00.015")


def test_search_pages_and_line(api, invoices, account):
    answer = api.post(
        "factures/v1/rechercher/fournisseur", {"pagination": {"nbResultatsParPage": 2, "pageResultatDemandee": 2}}
    )
    assert [line["numeroFacture"] for line in answer["listeFactures"]] == ["A-1"]
    assert answer["parametresRetour"] == {
        "pageCourante": 2,
        "pages": 2,
        "nbResultatsParPage": 2,
        "total": 3,
        "totalPlafonne": False,
    }
    line = answer["listeFactures"][0]
    assert line["identifiantFactureCPP"] == invoices[0].pk and line["statut"] == "MISE_A_DISPOSITION"
    assert line["montantTTC"] == 120.0 and line["idDestinataire"] == account.recipient.pk
    assert len(line["dateDepot"]) == 10 and line["dateFacture"] == invoices[0].invoice_date.isoformat()
    assert (
        api.post("factures/v1/rechercher/fournisseur", {"statutCourant": "INCONNU"})["codeRetour"]
        == protocol.BAD_PARAMETER
    )
    assert (
        api.post("factures/v1/rechercher/fournisseur", {"nbResultatsParPage": 1000})["codeRetour"]
        == protocol.BAD_PARAMETER
    )


def test_search_query_count_does_not_grow_with_rows(api, invoices, account):
    for n in range(15):
        InvoiceFactory(supplier=account.supplier, recipient=account.recipient, sent=True, number=f"B-{n}")
    with CaptureQueriesContext(connection) as queries:
        api.post("factures/v1/rechercher/fournisseur", {"nbResultatsParPage": 10})
    with CaptureQueriesContext(connection) as more:
        api.post("factures/v1/rechercher/fournisseur", {"nbResultatsParPage": 18})
    assert len(queries) == len(more) <= 12


def test_history_and_consultation(api, invoices, motifs):
    invoice = InvoiceFactory(supplier=api.account.supplier, recipient=api.account.recipient, number="H-1")
    services.invoice_send(invoice=invoice, user=api.account.technical_user.user)
    invoice.refresh_from_db()
    history = api.post("factures/v1/consulter/historique", {"idFacture": str(invoice.pk)})
    assert history["idFacture"] == invoice.pk and history["statutCourantCode"] == invoice.status
    statuses = [h["statutFacture"] for h in history["historiquesDesStatuts"]["histoStatut"]]
    assert statuses[-1] == "DEPOSEE" and statuses[0] == invoice.status
    detail = api.post("factures/v1/consulter/fournisseur", {"idFacture": invoice.pk})["facture"]
    assert detail["numeroFacture"] == "H-1" and detail["ligneTva"][0]["tauxTva"] == 20.0
    assert detail["statutCourantCode"] == invoice.status and detail["historiqueStatuts"]


def test_download_one_pdf_or_a_zip(api, invoices):
    one = api.post("factures/v1/telecharger/groupe", {"listeFacture": [{"idFacture": invoices[0].pk}]})
    assert one["format"] == "PDF" and base64.b64decode(one["fichierResultat"]).startswith(b"%PDF")
    both = api.post("factures/v1/telecharger/groupe", {"listeFacture": [{"idFacture": i.pk} for i in invoices[:2]]})
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(both["fichierResultat"]))) as archive:
        assert sorted(archive.namelist()) == sorted(f"{i.identifier}.pdf" for i in invoices[:2])
    draft = api.post("factures/v1/telecharger/groupe", {"listeFacture": [{"idFacture": invoices[3].pk}]})
    assert draft["codeRetour"] == protocol.NOT_FOUND


# --- Supplier actions -----------------------------------------------------------------------------


def test_add_a_file_then_complete(api, invoices):
    piece = api.post(
        "transverses/v1/ajouter/fichier",
        {"pieceJointeFichier": b64(b"bon de livraison"), "pieceJointeNom": "bl", "pieceJointeExtension": "txt"},
    )
    assert piece["codeRetour"] == 0
    suspended = invoices[1]
    answer = api.post(
        "factures/v1/completer",
        {
            "idFacture": suspended.pk,
            "commentaire": "BL joint",
            "listePiecesJointes": [{"pieceJointeId": piece["pieceJointeId"]}],
        },
    )
    assert answer == {
        "codeRetour": 0,
        "libelle": "TRA_MSG_00.000",
        "idFacture": suspended.pk,
        "statutFacture": "COMPLETEE",
    }
    assert [a.original_filename for a in suspended.attachments.all()] == ["bl.txt"]
    # The file is used: it cannot be attached twice.
    again = api.post(
        "factures/v1/completer",
        {"idFacture": suspended.pk, "listePiecesJointes": [{"pieceJointeId": piece["pieceJointeId"]}]},
    )
    assert again["codeRetour"] == protocol.NOT_FOUND


def test_complete_refused_by_the_lifecycle(api, invoices):
    answer = api.post("factures/v1/completer", {"idFacture": invoices[0].pk, "commentaire": "x"})
    assert answer["codeRetour"] == protocol.REFUSED and "Compléter" in answer["libelle"]


def test_recycle(api, invoices, account):
    invoice = invoices[0]
    Invoice.objects.filter(pk=invoice.pk).update(status=Status.A_RECYCLER)
    other = StructureFactory(public=True)
    answer = api.post(
        "factures/v1/recycler", {"idFacture": invoice.pk, "destinataire": {"codeDestinataire": other.identifier}}
    )
    assert answer["codeRetour"] == 0
    invoice.refresh_from_db()
    assert invoice.recipient == other and invoice.status != Status.A_RECYCLER
    unknown = api.post(
        "factures/v1/recycler", {"idFacture": invoice.pk, "destinataire": {"codeDestinataire": "00000000000000"}}
    )
    assert unknown["codeRetour"] == protocol.NOT_FOUND


# --- Directory, EJ, caller's structures ---------------------------------------------------------------


def test_structures(api, account):
    service = ServiceFactory(structure=account.recipient)
    found = api.post(
        "structures/v1/rechercher",
        {"structure": {"identifiantStructure": account.recipient.identifier, "typeIdentifiantStructure": "SIRET"}},
    )
    assert [s["idStructureCPP"] for s in found["listeStructures"]] == [account.recipient.pk]
    assert api.post("structures/v1/rechercher", {})["codeRetour"] == protocol.BAD_PARAMETER
    for key in ("idStructureCPP", "idStructure"):
        detail = api.post("structures/v1/consulter", {key: account.recipient.pk, "codeLangue": "fr"})
        assert detail["informationGenerales"]["identifiantStructure"] == account.recipient.identifier
    own = api.post("structures/v1/consulter", {"idStructureCPP": account.supplier.pk})
    assert own["codeRetour"] == 0
    services_ = api.post("structures/v1/rechercher/services", {"idStructure": account.recipient.pk})
    assert [s["codeService"] for s in services_["listeServices"]] == [service.code]
    one = api.post("structures/v1/consulter/service", {"idStructure": account.recipient.pk, "idService": service.pk})
    assert one["codeService"] == service.code
    assert (
        api.post("structures/v1/rechercher/services", {"idStructure": account.supplier.pk})["codeRetour"]
        == protocol.EMPTY
    )
    actives = api.post("transverses/v1/recuperer/structures/actives/fournisseur", {})
    assert [s["idStructureCPP"] for s in actives["listeStructures"]] == [account.supplier.pk]


def test_engagements_of_the_supplier_only(api, account):
    mine = EngagementFactory(recipient=account.recipient, supplier_identifier=account.supplier.identifier)
    EngagementFactory(recipient=account.recipient)
    answer = api.post("engagementsJuridiques/v1/rechercher", {})
    assert [e["numeroEngagement"] for e in answer["listeEngagementJuridique"]] == [mine.number]
    assert api.post("engagementsJuridiques/v1/rechercher", {"numeroEngagement": "NOPE"})["codeRetour"] == protocol.EMPTY


def test_health_check_needs_a_token_only(client, api):
    response = client.get("/cpro/transverses/v1/health-check", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    body = response.json()
    assert (body["codeRetour"], body["statusCode"], body["statusCodeValue"]) == (0, "OK", 200)
    assert body["environnement"] == "PRODUCTION"
    assert json.loads(client.get("/cpro/transverses/v1/health-check").content)["codeRetour"] == protocol.BAD_TOKEN
