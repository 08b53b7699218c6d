"""Account tasks. Thin: they take plain data and call Django's mail machinery."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection


@shared_task(
    name="accounts.send_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email(*, subject, body, to, from_email=None, html=None, headers=None):
    """Send one e-mail; network errors are retried with backoff."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email,
        to=to,
        headers=headers or {},
        connection=get_connection(),
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
