"""The admin site: one limited, audited login (the portal's) and a second factor for superusers.

``/admin/login/`` no longer checks passwords: it sends visitors to the portal's allauth login,
keeping ``next``, so staff and superusers go through the same login limits, logs and second
factor as everyone (accounts/login_throttle.py, allauth.mfa). The admin's password change leads to
the portal's. With ``MFA_REQUIRED_FOR_SUPERUSERS``, a superuser without an authenticator app is
sent to its activation page before any admin page.
"""

from functools import update_wrapper
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import permissions
from chorus.ids import MAX_ID, parse_id

INTEGER_LOOKUPS = {"exact", "in", "gt", "gte", "lt", "lte"}


def _integer_field(model, path: str) -> bool:
    """Whether the lookup ``path`` (``structure``, ``structure__id__exact``) compares an integer
    column (an integer field, or a relation whose key is one)."""
    parts = path.split("__")
    if parts[-1] in INTEGER_LOOKUPS:
        parts = parts[:-1]
    try:
        field = get_fields_from_path(model, "__".join(parts))[-1]
    except (FieldDoesNotExist, AttributeError, IndexError):
        return False
    if field.is_relation:
        field = getattr(field, "target_field", None)
    return isinstance(field, models.IntegerField | models.AutoField)


def _integer_out_of_range(raw: str) -> bool:
    """A value Python reads as an integer but no 64-bit column holds (``in`` takes a list)."""
    for part in raw.split(","):
        text = part.strip().removeprefix("-")
        if text.isascii() and text.isdigit() and int(text) > MAX_ID:
            return True
    return False


def bad_ids(model_admin, request) -> str:
    """What, in this list request, is not a valid id: ``selection`` (a checked row), ``filter``
    (an integer filter of the address), or ``""``."""
    if model_admin is None or not isinstance(model_admin.model._meta.pk, models.IntegerField | models.AutoField):
        return ""
    if request.method == "POST":
        if any(parse_id(v) is None for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            return "selection"
    for key, values in request.GET.lists():
        if _integer_field(model_admin.model, key) and any(_integer_out_of_range(v) for v in values):
            return "filter"
    return ""


def needs_totp(user) -> bool:
    """Whether this user must activate an authenticator app before using the admin."""
    return bool(
        settings.MFA_REQUIRED_FOR_SUPERUSERS
        and user.is_authenticated
        and user.is_superuser
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


class ChorusAdminSite(admin.AdminSite):
    site_header = "Chorus Pro — services financiers"
    site_title = "Chorus Pro"
    index_title = "Administration"

    def _next_url(self, request) -> str:
        url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
            return url
        return reverse("admin:index", current_app=self.name)

    def login(self, request, extra_context=None):
        next_url = self._next_url(request)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(next_url)
            raise PermissionDenied(_("Votre compte n'a pas accès à l'administration."))
        return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")

    def each_context(self, request):
        # The user's permissions in one query rather than ModelBackend's two (the menu asks).
        permissions.read_permissions(request.user)
        return super().each_context(request)

    def password_change(self, request, extra_context=None):
        return redirect("account_change_password")

    def admin_view(self, view, cacheable=False):
        protected = super().admin_view(view, cacheable)

        model_admin = getattr(view, "__self__", None) if getattr(view, "__name__", "") == "changelist_view" else None

        def inner(request, *args, **kwargs):
            if view != self.logout and self.has_permission(request) and needs_totp(request.user):
                messages.warning(
                    request,
                    _(
                        "Les super-administrateurs doivent activer la double authentification (application "
                        "d'authentification) avant d'accéder à l'administration."
                    ),
                )
                return redirect("mfa_activate_totp")
            problem = bad_ids(model_admin, request) if self.has_permission(request) else ""
            if problem == "selection":
                messages.error(
                    request, _("La sélection contient un identifiant invalide : cochez à nouveau les lignes.")
                )
                return redirect(request.get_full_path())
            if problem == "filter":
                messages.warning(request, _("Filtre ignoré : l'identifiant demandé n'existe pas."))
                return redirect(f"{request.path}?{ERROR_FLAG}=1")
            return protected(request, *args, **kwargs)

        return update_wrapper(inner, protected)
