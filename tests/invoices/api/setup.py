"""What the API tests share: a supplier with its gestionnaire, bank details, an application and a
technical user (created by the services, as the gestionnaire's page does), a public recipient,
a Factur-X of that supplier to that recipient, and a client that speaks the API's JSON."""

import base64
import json
from dataclasses import dataclass

from invoices.samples import CiiData, cii_xml, facturx_pdf
from structures.services import api_accounts
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory


@dataclass
class ApiAccount:
    supplier: object
    manager: object
    application: object
    secret: str
    technical_user: object
    password: str
    recipient: object

    @property
    def cpro_account(self) -> str:
        return base64.b64encode(f"{self.technical_user.login}:{self.password}".encode()).decode()


def make_account(recipient=None) -> ApiAccount:
    supplier = StructureFactory()
    manager = MembershipFactory(structure=supplier, manager=True).user
    BankAccountFactory(structure=supplier)
    application, secret = api_accounts.api_application_create(structure=supplier, actor=manager, name="Logiciel")
    technical, password = api_accounts.technical_user_create(structure=supplier, actor=manager)
    recipient = recipient or StructureFactory(public=True)
    return ApiAccount(supplier, manager, application, secret, technical, password, recipient)


def facturx_for(account: ApiAccount, number: str = "FX-API-0001", **overrides) -> bytes:
    values = {
        "number": number,
        "seller_siret": account.supplier.identifier,
        "seller_name": account.supplier.name,
        "buyer_siret": account.recipient.identifier,
        "buyer_name": account.recipient.name,
        **overrides,
    }
    data = CiiData(**values)
    return facturx_pdf(cii_xml(data))


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


class Api:
    """Calls the API through the Django test client, as a Chorus Pro client does."""

    def __init__(self, client, account: ApiAccount):
        self.client = client
        self.account = account
        response = client.post(
            "/api/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": account.application.client_id,
                "client_secret": account.secret,
                "scope": "openid",
            },
        )
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]

    def headers(self, **overrides) -> dict:
        headers = {
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_CPRO_ACCOUNT": self.account.cpro_account,
        }
        headers.update(overrides)
        return {k: v for k, v in headers.items() if v is not None}

    def post(self, path: str, body=None, *, raw: bytes | None = None, **headers) -> dict:
        data = raw if raw is not None else json.dumps(body or {})
        response = self.client.post(
            f"/cpro/{path}", data=data, content_type="application/json", **self.headers(**headers)
        )
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response.json()
