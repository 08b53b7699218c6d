""" "Aide": the guides (``templates/pages/aide/<slug>.html``), open to everyone; the pages on the
motifs and the statuses are generated from the motif table and ``invoices/workflow.py``."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from invoices import help as content

GENERATED = {
    "motifs": lambda: {"motif_groups": content.motif_groups()},
    "statuts": lambda: {"status_rows": content.status_rows()},
}


def help_index(request):
    return render(request, "pages/aide/index.html", {"page_title": _("Aide"), "guides": content.GUIDES})


def help_page(request, slug):
    guide = content.GUIDES_BY_SLUG.get(slug)
    if guide is None:
        raise Http404
    position = content.GUIDES.index(guide)
    context = {
        "page_title": guide.title,
        "guide": guide,
        "guides_menu": content.GUIDES,
        "previous_guide": content.GUIDES[position - 1] if position else None,
        "next_guide": content.GUIDES[position + 1] if position + 1 < len(content.GUIDES) else None,
        "max_attachment_size": settings.INVOICE_MAX_ATTACHMENT_SIZE,
        "max_total_size": settings.INVOICE_MAX_TOTAL_SIZE,
        "max_pdf_size": settings.INVOICE_MAX_PDF_SIZE,
        "activation_minutes": settings.ACCOUNT_ACTIVATION_MINUTES,
    }
    if slug in GENERATED:
        context.update(GENERATED[slug]())
    return render(request, f"pages/aide/{slug}.html", context)
