"""The third-party ``chorus-api`` client (PyPI, pinned) against a live portal, only its base URLs
changed: it gets a token, deposits a Factur-X, polls the flux report and reads the invoice's
status at each step of the lifecycle, which the recipient moves on through the same services as
the admin."""

import pytest
from chorusapi.client import ChorusAPI
from chorusapi.constants.syntax_flux_constant import SyntaxFlux
from chorusapi.exceptions.exception import ChorusApiException

from invoices import services
from invoices.models import Invoice
from invoices.workflow import Actor, Status
from tests.accounts.factories import UserFactory
from tests.invoices.api.setup import b64, facturx_for, make_account
from tests.structures.factories import MembershipFactory


def client_for(live_server, account) -> ChorusAPI:
    client = ChorusAPI(
        account.application.client_id,
        account.secret,
        tech_username=account.technical_user.login,
        tech_password=account.password,
        sandbox=True,
    )
    client.auth_url = f"{live_server.url}/api/oauth/token"
    client.api_url = live_server.url
    return client


@pytest.mark.django_db(transaction=True)
def test_chorus_api_client_deposits_polls_and_follows_the_lifecycle(live_server, motifs):
    account = make_account()
    agent = UserFactory(staff=True)
    MembershipFactory(user=agent, structure=account.recipient)
    client = client_for(live_server, account).auth()
    assert client.get_token()

    health = client.health_check()
    assert (health.status_code, health.status_code_value) == ("OK", 200)

    deposit = client.deposer_flux(
        b64(facturx_for(account)), "facture.pdf", syntaxe_flux=SyntaxFlux.IN_DP_E2_CII_FACTURX
    )
    assert deposit.code_retour == 0 and deposit.libelle == "TRA_MSG_00.000"
    assert deposit.numero_flux_depot.startswith("CPP") and len(deposit.numero_flux_depot) == 25
    assert deposit.numero_flux_depot[3:].isdigit()
    assert deposit.syntaxe_flux == "IN_DP_E2_CII_FACTURX" and len(deposit.date_depot) == 10

    report = client.consulter_cr(deposit.numero_flux_depot)
    assert (report.code_retour, report.etat_courant_flux) == (0, "IN_INTEGRE")
    detailed = client.consulter_cr_detaille(deposit.numero_flux_depot)
    assert detailed.etat_courant_depot_flux == "IN_INTEGRE" and detailed.liste_erreur_dp == []

    found = client.rechercher_facture(deposit.numero_flux_depot)
    assert found.code_retour == 0 and len(found.liste_factures) == 1
    line = found.liste_factures[0]
    assert line.numero_facture == "FX-API-0001" and line.numero_flux_depot == deposit.numero_flux_depot
    # Routed in process (eager tasks) once the deposit committed: the recipient has it.
    assert line.statut == "MISE_A_DISPOSITION"

    # The invoice is the portal's own: the supplier's pages and the recipient's services see it.
    invoice = Invoice.objects.get(pk=line.identifiant_facture_cpp)
    assert invoice.supplier == account.supplier and invoice.sent_by == account.technical_user.user
    assert invoice.status == Status.MISE_A_DISPOSITION

    for transition, status, extra in [
        ("prendre_en_compte", "PRISE_EN_COMPTE_DESTINATAIRE", {}),
        ("service_fait", "SERVICE_FAIT", {}),
        ("mandater", "MANDATEE", {"mandate_number": "M-42"}),
        ("mettre_en_paiement", "MISE_EN_PAIEMENT", {}),
    ]:
        services.invoice_transition(invoice=invoice, transition=transition, actor=Actor.RECIPIENT, user=agent, **extra)
        assert client.rechercher_facture(deposit.numero_flux_depot).liste_factures[0].statut == status


@pytest.mark.django_db(transaction=True)
def test_chorus_api_client_sees_a_rejected_flux_and_bad_credentials(live_server):
    account = make_account()
    client = client_for(live_server, account).auth()
    # A Factur-X issued by another SIRET: refused by the deposit's own check, nothing created.
    other = facturx_for(account, seller_siret="73282932000074")
    deposit = client.deposer_flux(b64(other), "autre.pdf")
    assert deposit.code_retour == 0
    detailed = client.consulter_cr_detaille(deposit.numero_flux_depot)
    assert detailed.etat_courant_depot_flux == "IN_REJETE"
    assert "73282932000074" in detailed.liste_erreur_dp[0].libelle_erreur_dP
    assert not Invoice.objects.filter(supplier=account.supplier).exists()
    assert client.rechercher_facture(deposit.numero_flux_depot).code_retour == 20000

    wrong = client_for(live_server, account)
    wrong.client_secret = "faux"
    with pytest.raises(ChorusApiException):
        wrong.auth()
