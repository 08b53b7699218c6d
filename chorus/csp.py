"""Content-Security-Policy header on every response (Django 5.2 has none built in).

The policy is ``settings.CONTENT_SECURITY_POLICY``, a dict of directives: only the portal's own
scripts, styles, fonts and images (plus ``data:`` images, for the TOTP QR code), no inline script
or style, no plugin, no framing, forms posting to the portal only. A view may set its own header.
``CONTENT_SECURITY_POLICY_REPORT_ONLY`` sends it as Content-Security-Policy-Report-Only instead
(to try a change of policy in production without breaking pages).
"""

from django.conf import settings


def policy_header(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        name = (
            "Content-Security-Policy-Report-Only"
            if settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
            else "Content-Security-Policy"
        )
        if settings.CONTENT_SECURITY_POLICY and name not in response:
            response[name] = policy_header(settings.CONTENT_SECURITY_POLICY)
        return response
