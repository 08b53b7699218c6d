"""django-allauth adapter: account e-mails are rendered here and sent by the Celery task."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from accounts.services import email_enqueue


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        ctx.setdefault("activation_minutes", settings.ACCOUNT_ACTIVATION_MINUTES)
        email_enqueue(message=self.render_mail(template_prefix, email, ctx))
