"""Template tags of the invoice admin: ``{% invoice_result_list cl %}``, Django's
``{% result_list cl %}`` (same template, overridable per model and app) with its rows written in
Python by ``invoices.admin.changelist``."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from invoices.admin import changelist

register = template.Library()


@register.tag(name="invoice_result_list")
def invoice_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=changelist.result_list, template_name="change_list_results.html", takes_context=False
    )
