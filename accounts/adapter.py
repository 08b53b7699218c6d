"""django-allauth adapter: account e-mails are rendered here, written to the outbox and sent by a
worker; their links are built on the portal's address (``chorus.links``), not the request's host;
the login limits (``accounts.login_throttle``) and the client's address behind trusted proxies."""

import logging
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal.httpkit import clean_client_ip
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import ngettext

from accounts import login_throttle
from accounts.services import email_enqueue
from chorus.links import absolute_reverse, absolute_url

logger = logging.getLogger("accounts.security")


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        ctx.setdefault("activation_minutes", settings.ACCOUNT_ACTIVATION_MINUTES)
        email_enqueue(message=self.render_mail(template_prefix, email, ctx))

    def get_email_confirmation_url(self, request, emailconfirmation):
        return absolute_reverse("account_confirm_email", emailconfirmation.key)

    def get_reset_password_from_key_url(self, key):
        # As allauth builds it: the opaque "<uid>-<token>" key takes the place of both URL parts.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    # --- Password attempts: accounts.login_throttle instead of allauth's hard "login_failed" limit.
    # Every password check goes through here: the portal's login (the admin's login page leads to
    # it) and the re-authentication asked before sensitive changes.

    def pre_authenticate(self, request, **credentials):
        wait = login_throttle.reserve_attempt(request, credentials.get("email", ""))
        if wait:
            seconds = max(1, round(wait))
            raise ValidationError(
                ngettext(
                    "Trop de tentatives de connexion échouées : réessayez dans %(seconds)d seconde.",
                    "Trop de tentatives de connexion échouées : réessayez dans %(seconds)d secondes.",
                    seconds,
                )
                % {"seconds": seconds},
                code="too_many_login_attempts",
            )

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            login_throttle.record_success(request, credentials.get("email", ""))
        return user

    def authentication_failed(self, request, **credentials):
        login_throttle.record_failure(request, credentials.get("email", ""))

    def _delete_login_attempts_cached_email(self, request, **credentials):
        super()._delete_login_attempts_cached_email(request, **credentials)
        login_throttle.clear_address(credentials.get("email", ""))

    def get_client_ip(self, request):
        """The client's address: REMOTE_ADDR, or the one our TRUSTED_PROXY_COUNT proxies saw.

        Every limit (ours and allauth's) asks here. With N trusted proxies, the N-th entry from the
        end of X-Forwarded-For is the address the outermost one received the request from; what
        comes before it is the client's say-so. TRUSTED_CLIENT_IP_HEADER names a header the proxy
        sets instead (X-Real-IP). A request that did not cross all the proxies is logged and
        counted by its leftmost entry rather than failing.
        """
        header = settings.TRUSTED_CLIENT_IP_HEADER
        proxies = settings.TRUSTED_PROXY_COUNT
        ip = None
        if header:
            ip = request.headers.get(header)
        elif proxies > 0 and request.headers.get("X-Forwarded-For"):
            entries = [entry.strip() for entry in request.headers["X-Forwarded-For"].split(",")]
            if len(entries) < proxies:
                logger.warning(
                    "X-Forwarded-For has %d entries for %d trusted proxies: %r", len(entries), proxies, entries
                )
            ip = entries[-proxies] if len(entries) >= proxies else entries[0]
        ip = clean_client_ip(ip) if ip else None
        return ip or super().get_client_ip(request)

    def login(self, request, user):
        super().login(request, user)
        logger.info("login succeeded for user %s from %s", user.pk, login_throttle.client_ip(request))
