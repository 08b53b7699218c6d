"""Template tags of the invoice admin: ``{% invoice_result_list cl %}``, Django's
``{% result_list cl %}`` (same template, overridable per model and app) with its rows written in
Python by ``invoices.admin.changelist`` and joined there (``result_list_html``);
``{% invoice_list_filters cl %}``, the filters of the list (``invoices.admin.sidebar``)."""

from pathlib import Path

import django.contrib.admin
from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from invoices.admin import changelist, sidebar

register = template.Library()


DJANGOS_RESULTS_TEMPLATE = str(Path(django.contrib.admin.__file__).parent / "templates/admin/change_list_results.html")


class ResultListNode(InclusionAdminNode):
    """``InclusionAdminNode`` (the template chosen per model, app or site), whose output is
    ``changelist.result_list_html``: its rows joined in Python when the template is Django's own
    file."""

    def render(self, context):
        opts = context["opts"]
        template_ = context.template.engine.select_template(
            [
                f"admin/{opts.app_label.lower()}/{opts.model_name}/{self.template_name}",
                f"admin/{opts.app_label.lower()}/{self.template_name}",
                f"admin/{self.template_name}",
            ]
        )
        resolved_args, _resolved_kwargs = self.get_resolved_arguments(context)
        csrf_token = context.get("csrf_token")

        def render(values):
            new_context = context.new(values)
            if csrf_token is not None:
                new_context["csrf_token"] = csrf_token
            return template_.render(new_context)

        djangos = template_.origin.name if template_.origin.name == DJANGOS_RESULTS_TEMPLATE else None
        return changelist.result_list_html(resolved_args[0], render, djangos_template=djangos)


@register.tag(name="invoice_result_list")
def invoice_result_list_tag(parser, token):
    return ResultListNode(
        parser, token, func=changelist.result_list, template_name="change_list_results.html", takes_context=False
    )


@register.simple_tag
def invoice_list_filters(cl):
    return sidebar.filters_html(cl)
