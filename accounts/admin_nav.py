"""The admin's navigation sidebar (the applications and models the user may open), rendered once
per menu and kept in the cache (issue 9).

Every admin page writes the menu of ``admin/nav_sidebar.html`` and ``admin/app_list.html``: per
model a row, its links, whether it is the current page (``model.admin_url in request.path``) and a
few translations; for a superuser 17 models, a tenth of the invoice list's time. What those two
templates of Django read is the application list of the page (``available_apps``: names, labels
and URLs), whether each application and model is the current one, and the language: that is the
key, so that nothing needs to invalidate it (the menu is kept by ``chorus.fragments``: in the
process, then in the cache) (a permission given or taken away gives another list,
another key; the list itself is computed for each page, from the permissions read for the page).
Users with the same menu on the same page share it. A project's own copy of either template (it
might read more of the context) is rendered as Django renders it, without the cache.
"""

import hashlib
from pathlib import Path
from urllib.parse import quote

import django
import django.contrib.admin
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.safestring import SafeData
from django.utils.translation import get_language

from chorus import fragments

NAV_SECONDS = 600
TEMPLATE = "admin/nav_sidebar.html"
_DJANGOS = {
    name: str(Path(django.contrib.admin.__file__).parent / "templates" / name)
    for name in (TEMPLATE, "admin/app_list.html")
}
_DJANGOS_TEMPLATES: list[bool] = []


@receiver(setting_changed)
def _templates_changed(setting, **kwargs):
    if setting == "TEMPLATES":
        _DJANGOS_TEMPLATES.clear()


def nav_sidebar_html(context) -> str:
    """What ``{% include "admin/nav_sidebar.html" %}`` writes in this context."""
    key = cache_key(context)
    if key is None:
        return _render(context)
    return fragments.kept_html(key, lambda: _render(context), timeout=NAV_SECONDS)


def _render(context) -> str:
    template = context.template.engine.get_template(TEMPLATE)
    with context.push():
        return template.render(context)


def cache_key(context) -> str | None:
    """What the menu is made of, or None when it is not known here."""
    request, apps = context.get("request"), context.get("available_apps")
    if request is None or apps is None or not _djangos_templates(context.template.engine):
        return None
    path = quote(request.path)  # ``request.path|urlencode``

    def current(url) -> bool:  # ``{% if url in request.path|urlencode %}`` (false for no URL)
        return isinstance(url, str) and url in path

    made_of = [
        django.get_version(),
        get_language() or "",
        [
            (
                app["app_label"],
                app["app_url"],
                _text(app["name"]),
                current(app["app_url"]),
                [
                    (
                        model["object_name"],
                        model.get("admin_url"),
                        model.get("add_url"),
                        _text(model["name"]),
                        current(model.get("admin_url")),
                    )
                    for model in app["models"]
                ],
            )
            for app in apps
        ],
    ]
    return "chorus:admin-nav:" + hashlib.sha256(repr(made_of).encode()).hexdigest()


def _text(value) -> tuple[str, bool]:
    return str(value), isinstance(value, SafeData)


def _djangos_templates(engine) -> bool:
    """Whether both templates are Django's own files (checked once per process)."""
    if not _DJANGOS_TEMPLATES or settings.DEBUG:
        _DJANGOS_TEMPLATES[:] = [all(engine.get_template(name).origin.name == path for name, path in _DJANGOS.items())]
    return _DJANGOS_TEMPLATES[0]
