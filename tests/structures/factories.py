"""Factories for structures. SIRETs are generated valid (Luhn on SIREN and SIRET)."""

import factory
from django.contrib.auth.models import Group
from stdnum import luhn

from structures.access import SUPPORT_GROUP
from structures.models import (
    BankAccount,
    EngagementJuridique,
    Membership,
    MembershipRole,
    MembershipStatus,
    Service,
    Structure,
    StructureKind,
)
from tests.accounts.factories import UserFactory


def make_siret(n: int) -> str:
    """A valid SIRET derived from ``n`` (unique for each n below 10**7)."""
    siren_body = f"{(732829320 // 10 + n) % 10**8:08d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    nic_body = "0001"
    siret_body = siren + nic_body
    return siret_body + luhn.calc_check_digit(siret_body)


class StructureFactory(factory.django.DjangoModelFactory):
    """A supplier company by default; ``public=True`` for a recipient of the directory."""

    class Meta:
        model = Structure

    kind = StructureKind.PRIVATE
    identifier = factory.Sequence(lambda n: make_siret(n))
    name = factory.Sequence(lambda n: f"Entreprise {n} SAS")
    address_line1 = "1 rue de la République"
    postal_code = "75001"
    city = "PARIS"
    email = factory.Sequence(lambda n: f"contact{n}@entreprise.example")

    class Params:
        public = factory.Trait(
            kind=StructureKind.PUBLIC,
            name=factory.Sequence(lambda n: f"Ministère {n}"),
            reports_payment_status=True,
        )
        inactive = factory.Trait(is_active=False)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    structure = factory.SubFactory(StructureFactory, public=True)
    code = factory.Sequence(lambda n: f"SE{n:04d}")
    name = factory.Sequence(lambda n: f"Service {n}")


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    structure = factory.SubFactory(StructureFactory)
    label = "Compte principal"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPPXXX"


class MembershipFactory(factory.django.DjangoModelFactory):
    """An active utilisateur by default; traits: ``manager``, ``pending``, ``refused``, ``revoked``."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    structure = factory.SubFactory(StructureFactory)
    role = MembershipRole.USER
    status = MembershipStatus.ACTIVE

    class Params:
        manager = factory.Trait(role=MembershipRole.MAIN_MANAGER)
        pending = factory.Trait(status=MembershipStatus.PENDING)
        refused = factory.Trait(status=MembershipStatus.REFUSED)
        revoked = factory.Trait(status=MembershipStatus.REVOKED)


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementJuridique

    number = factory.Sequence(lambda n: f"EJ{n:010d}")
    recipient = factory.SubFactory(StructureFactory, public=True)
    supplier_identifier = factory.LazyFunction(lambda: make_siret(999999))
    amount = "10000.00"


class SupportUserFactory(UserFactory):
    """A support agent: a staff user in the « Support » group (created by a migration)."""

    email = factory.Sequence(lambda n: f"support{n}@chorus.example")
    is_staff = True

    @factory.post_generation
    def support_group(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name=SUPPORT_GROUP))


def make_agent(structure=None, **user_fields):
    """A ministry agent: a staff user with an active membership of a public structure."""
    structure = structure or StructureFactory(public=True)
    user = UserFactory(staff=True, **user_fields)
    MembershipFactory(user=user, structure=structure)
    return user
