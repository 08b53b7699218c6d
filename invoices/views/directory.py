"""Directory look-ups for the invoice form (progressive enhancement): recipients and their services."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from invoices import selectors
from structures.models import Structure


@login_required
@require_GET
def recipient_search(request):
    results = selectors.recipient_search(request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {"id": s.pk, "siret": s.identifier, "name": s.name, "label": f"{s.name} — SIRET {s.identifier}"}
                for s in results
            ]
        }
    )


@login_required
@require_GET
def recipient_services(request, recipient_id):
    recipient = Structure.objects.public().filter(pk=recipient_id).first()
    if recipient is None:
        raise Http404
    return JsonResponse(
        {
            "recipient": {
                "id": recipient.pk,
                "service_required": recipient.service_required,
                "ej_required": recipient.ej_required,
                "service_or_ej_required": recipient.service_or_ej_required,
            },
            "results": [
                {"id": s.pk, "code": s.code, "name": s.name, "ej_required": s.ej_required}
                for s in selectors.recipient_services(recipient)
            ],
        }
    )
