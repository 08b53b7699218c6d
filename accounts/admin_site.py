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
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


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

    def password_change(self, request, extra_context=None):
        return redirect("account_change_password")

    def admin_view(self, view, cacheable=False):
        protected = super().admin_view(view, cacheable)

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
            return protected(request, *args, **kwargs)

        return update_wrapper(inner, protected)
