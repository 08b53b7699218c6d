"""Template tags of the admin site: ``{% chorus_nav_sidebar %}``, the navigation sidebar
(``{% include "admin/nav_sidebar.html" %}``) from the cache (``accounts.admin_nav``)."""

from django import template

from accounts import admin_nav

register = template.Library()


@register.simple_tag(takes_context=True)
def chorus_nav_sidebar(context):
    return admin_nav.nav_sidebar_html(context)
