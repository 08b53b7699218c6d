import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal import auth as totp_auth
from django.utils import timezone

from accounts.models import News, OutboxEmail, OutboxState, User

PASSWORD = "Un-mot-de-passe-solide-42"


class UserFactory(factory.django.DjangoModelFactory):
    """An activated user (verified e-mail) with the password ``PASSWORD``."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"utilisateur{n}@entreprise.example")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password(PASSWORD)

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)
        unverified = factory.Trait(email_address__verified=False)

    @factory.post_generation
    def email_address(obj, create, extracted, **kwargs):
        if create:
            verified = kwargs.get("verified", True)
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=verified)


class NewsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = News

    title = factory.Sequence(lambda n: f"Actualité {n}")
    body = "Texte de l'actualité."


class OutboxEmailFactory(factory.django.DjangoModelFactory):
    """A pending outbox row, due now (as if its task had been lost)."""

    class Meta:
        model = OutboxEmail

    to = factory.Sequence(lambda n: [f"destinataire{n}@entreprise.example"])
    subject = factory.Sequence(lambda n: f"[Chorus Pro] Message {n}")
    body = "Bonjour,\n\nUn message du portail.\n"

    class Params:
        sent = factory.Trait(state=OutboxState.SENT, attempts=1, sent_at=factory.LazyFunction(timezone.now))
        failed = factory.Trait(state=OutboxState.FAILED, attempts=8, last_error="ConnectionRefusedError: refusé")


def activate_totp(user) -> str:
    """Give ``user`` an authenticator app (allauth.mfa); returns its secret."""
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code the authenticator app shows right now."""
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, totp_counter()))


def totp_counter(offset: int = 0) -> int:
    """The TOTP period now (``offset`` periods before or after): allauth's own counters start at
    ``-MFA_TOTP_TOLERANCE``."""
    import time

    from allauth.mfa import app_settings

    return int(time.time()) // app_settings.TOTP_PERIOD + offset
