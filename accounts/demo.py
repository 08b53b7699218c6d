"""Demo accounts for `make run` (see the README). Idempotent."""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import News, User

DEMO_PASSWORD = "Chorus-Demo-2026!"

DEMO_USERS = [
    # key, e-mail, first name, last name, staff, superuser
    ("gestionnaire", "gestionnaire@fournisseur.example", "Camille", "Martin", False, False),
    ("utilisateur", "utilisateur@fournisseur.example", "Louis", "Bernard", False, False),
    ("agent", "agent@ministere.example", "Nadia", "Lefèvre", True, False),
    ("admin", "admin@chorus.example", "Alex", "Durand", True, True),
]

DEMO_NEWS = [
    (
        "Bienvenue sur le portail de démonstration",
        "Connectez-vous avec l'un des comptes de démonstration indiqués dans le README pour déposer "
        "une facture et suivre son traitement.",
    ),
    (
        "Facturation électronique : le calendrier de la réforme",
        "Les entreprises doivent pouvoir recevoir des factures électroniques à partir de septembre 2026. "
        "Le portail accepte déjà les factures Factur-X.",
    ),
]


@transaction.atomic
def load() -> dict[str, User]:
    users = {}
    for key, email, first_name, last_name, is_staff, is_superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": is_staff,
                "is_superuser": is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        users[key] = user
    for title, body in DEMO_NEWS:
        News.objects.get_or_create(title=title, defaults={"body": body})
    return users
