"""``{% url %}`` with its reversals kept: a template builtin (settings ``TEMPLATES``) that replaces
Django's tag by the same one reading ``chorus.links.cached_reverse``.

Django reverses the view name on every render (30 to 50 µs each, measured on the benchmark's
machine: the breadcrumb, the logout form and the links of each page, issue 9). The URL of a view
name and its arguments is fixed for the process, so it is reversed once. Everything else is
Django's tag: the same syntax, ``as var``, the ``current_app`` of the request, NoReverseMatch.
"""

from django import template
from django.template import defaulttags
from django.utils.html import conditional_escape

from chorus.links import cached_reverse

register = template.Library()


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        from django.urls import NoReverseMatch

        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        if context.autoescape:
            url = conditional_escape(url)
        return url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
