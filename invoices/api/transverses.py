"""``/cpro/transverses/v1/...``: flux reports, files added for later, the caller's structures,
the health check."""

from django.conf import settings
from django.utils.translation import gettext as _

from invoices import services
from invoices.api import protocol, serializers
from invoices.api.endpoint import endpoint
from invoices.api.protocol import ApiError
from invoices.api.schemas import schema
from invoices.models import ApiFlux
from structures import access


def flux_of(call, body) -> ApiFlux:
    number = protocol.text(body, "numeroFluxDepot", required=True, max_length=25)
    call.reference = number
    flux = (
        ApiFlux.objects.select_related("application", "supplier").filter(number=number, supplier=call.structure).first()
    )
    if flux is None:
        raise ApiError(protocol.NOT_FOUND, _("Flux introuvable : %(n)s.") % {"n": number})
    return flux


@endpoint("transverses/v1/consulterCR", summary="Compte rendu d'un flux déposé", **schema("cr"))
def consulter_cr(call, body):
    return serializers.flux_report(flux_of(call, body))


@endpoint(
    "transverses/v1/consulterCRDetaille", summary="Compte rendu détaillé d'un flux déposé", **schema("cr_detaille")
)
def consulter_cr_detaille(call, body):
    flux = flux_of(call, body)
    return {
        **serializers.flux_report(flux),
        "listeErreurDP": serializers.flux_errors(flux),
        "listeErreurTechnique": [],
        "identifiantFactureCPP": flux.invoice_id,
    }


@endpoint(
    "transverses/v1/ajouter/fichier",
    summary="Ajouter une pièce jointe (pour compléter ou soumettre)",
    **schema("fichier"),
)
def ajouter_fichier(call, body):
    content = protocol.file_content(body, "pieceJointeFichier", "fichier")
    name = protocol.text(body, "pieceJointeNom", "nomFichier", required=True)
    extension = protocol.text(body, "pieceJointeExtension", max_length=10).lstrip(".").lower()
    if extension and not name.lower().endswith("." + extension):
        name = f"{name}.{extension}"
    row = services.api_file_add(supplier=call.structure, user=call.user, content=content, filename=name)
    call.reference = str(row.pk)
    return {"pieceJointeId": row.pk}


@endpoint(
    "transverses/v1/recuperer/structures/actives/fournisseur",
    summary="Structures actives auxquelles l'utilisateur technique est rattaché",
    **schema("structures_actives"),
)
def structures_actives(call, body):
    structures = access.member_structures(call.user).filter(is_active=True).order_by("name", "pk")[:100]
    return {"listeStructures": [serializers.structure_line(s) for s in structures]}


@endpoint(
    "transverses/v1/health-check",
    summary="Disponibilité de l'API",
    method="get",
    technical_user=False,
    **schema("health"),
)
def health_check(call, body):
    environment = "QUALIFICATION" if settings.QUALIFICATION else "PRODUCTION"
    return {"body": "Application is up", "statusCode": "OK", "statusCodeValue": 200, "environnement": environment}
