"""django-allauth adapter: account e-mails are rendered here, written to the outbox and sent by a
worker; their links are built on the portal's address (``chorus.links``), not the request's host."""

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from accounts.services import email_enqueue
from chorus.links import absolute_reverse, absolute_url


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
