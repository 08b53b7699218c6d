"""Demo API accounts for `make run` and a qualification space: one application and one technical
user of the demo supplier, with fixed, published secrets (demo only: real secrets are random and
shown once). Idempotent."""

from django.db import transaction

from structures.models import ApiApplication, TechnicalUser
from structures.services import api_accounts

CLIENT_ID = "demo-fournitures-logiciel"
CLIENT_SECRET = "Demo-Secret-API-2026"
TECHNICAL_PASSWORD = "Demo-Technique-2026"


@transaction.atomic
def load(*, supplier, manager) -> dict:
    application = ApiApplication.objects.filter(client_id=CLIENT_ID).first()
    if application is None:
        application, _secret = api_accounts.api_application_create(
            structure=supplier, actor=manager, name="Logiciel de démonstration"
        )
        application.client_id = CLIENT_ID
    application.secret_hash = api_accounts.secret_hash(CLIENT_SECRET)
    application.save(update_fields=["client_id", "secret_hash"])
    technical = TechnicalUser.objects.filter(structure=supplier, created_by=manager).order_by("pk").first()
    if technical is None:
        technical, _password = api_accounts.technical_user_create(structure=supplier, actor=manager)
    technical.password_hash = api_accounts.secret_hash(TECHNICAL_PASSWORD)
    technical.save(update_fields=["password_hash"])
    return {"application": application, "technical_user": technical}
