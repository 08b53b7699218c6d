"""``/cpro/structures/v1/...`` and ``/cpro/engagementsJuridiques/v1/rechercher``: the
directory as a supplier sees it. Public structures (recipients) and the caller's own structure
are visible; any other supplier's structure is NOT_FOUND, like an id that does not exist."""

from django.db.models import Q
from django.utils.translation import gettext as _

from invoices.api import protocol, serializers
from invoices.api.endpoint import endpoint
from invoices.api.protocol import ApiError
from invoices.api.schemas import schema
from structures import access
from structures.models import EngagementJuridique, IdentifierType, Service, Structure, StructureKind

_NESTED = ("structure", "rechercheStructure", "criteres")


def visible_structures(call):
    """Public structures and the caller's own (rule: what a supplier may see of the directory)."""
    return Structure.objects.filter(Q(kind=StructureKind.PUBLIC) | Q(pk__in=access.active_structure_ids(call.user)))


def structure_of(call, body) -> Structure:
    pk = protocol.identifier(body, "idStructureCPP", "idStructure", nested=("structure",))
    call.reference = str(pk)
    structure = visible_structures(call).filter(pk=pk).first()
    if structure is None:
        raise ApiError(protocol.NOT_FOUND, _("Structure introuvable : %(id)s.") % {"id": pk})
    return structure


@endpoint(
    "structures/v1/rechercher", summary="Rechercher des structures de l'annuaire", **schema("structures_rechercher")
)
def rechercher(call, body):
    structures = visible_structures(call).filter(is_active=True)
    identifier = protocol.text(body, "identifiantStructure", nested=_NESTED, max_length=80)
    if identifier:
        structures = structures.filter(identifier=identifier.replace(" ", ""))
    kind = protocol.text(body, "typeIdentifiantStructure", nested=_NESTED)
    if kind:
        if kind not in IdentifierType.values:
            raise ApiError(protocol.BAD_PARAMETER, _("typeIdentifiantStructure inconnu : %(v)s.") % {"v": kind})
        structures = structures.filter(identifier_type=kind)
    name = protocol.text(body, "libelleStructure", "raisonSocialeStructure", "designationStructure", nested=_NESTED)
    if name:
        if len(name) < 2:
            raise ApiError(protocol.BAD_PARAMETER, _("libelleStructure : au moins 2 caractères."))
        structures = structures.filter(name__icontains=name)
    if not (identifier or name):
        raise ApiError(protocol.BAD_PARAMETER, _("Donnez identifiantStructure ou libelleStructure."))
    rows, page = protocol.paginate(structures.order_by("name", "pk"), body)
    if not rows:
        return {"codeRetour": protocol.EMPTY, "listeStructures": [], "parametresRetour": page}
    return {"listeStructures": [serializers.structure_line(s) for s in rows], "parametresRetour": page}


@endpoint("structures/v1/consulter", summary="Consulter une structure", **schema("structures_consulter"))
def consulter(call, body):
    return serializers.structure_detail(structure_of(call, body))


@endpoint("structures/v1/rechercher/services", summary="Services d'une structure", **schema("services_rechercher"))
def rechercher_services(call, body):
    structure = structure_of(call, body)
    services = Service.objects.filter(structure=structure).order_by("code", "pk")
    if protocol.boolean(body, "actifsUniquement", default=False):
        services = services.filter(is_active=True)
    rows, page = protocol.paginate(services, body)
    if not rows:
        return {"codeRetour": protocol.EMPTY, "listeServices": [], "parametresRetour": page}
    return {"listeServices": [serializers.service_line(s) for s in rows], "parametresRetour": page}


@endpoint(
    "structures/v1/consulter/service", summary="Consulter un service d'une structure", **schema("service_consulter")
)
def consulter_service(call, body):
    structure = structure_of(call, body)
    pk = protocol.identifier(body, "idService")
    service = Service.objects.filter(structure=structure, pk=pk).first()
    if service is None:
        raise ApiError(protocol.NOT_FOUND, _("Service introuvable : %(id)s.") % {"id": pk})
    return serializers.service_detail(service)


@endpoint(
    "engagementsJuridiques/v1/rechercher",
    summary="Rechercher les engagements juridiques du fournisseur",
    **schema("engagements"),
)
def rechercher_engagements(call, body):
    nested = ("rechercheEngagementJuridique", "criteres")
    engagements = EngagementJuridique.objects.filter(supplier_identifier=call.structure.identifier).select_related(
        "recipient"
    )
    number = protocol.text(body, "numeroEngagement", nested=nested, max_length=50)
    if number:
        engagements = engagements.filter(number=number)
    recipient = protocol.identifier(
        body, "idStructureReceptrice", "structureReceptriceEngagementJuridique", nested=nested, required=False
    )
    if recipient:
        engagements = engagements.filter(recipient_id=recipient)
    rows, page = protocol.paginate(engagements.order_by("-created_at", "-pk"), body)
    if not rows:
        return {"codeRetour": protocol.EMPTY, "listeEngagementJuridique": [], "parametresRetour": page}
    return {"listeEngagementJuridique": [serializers.engagement_line(e) for e in rows], "parametresRetour": page}
