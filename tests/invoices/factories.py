"""Factories for invoices. ``InvoiceFactory`` makes a complete deposited-PDF draft addressed to a
public recipient (sendable by an active member of its supplier); traits: ``draft`` (the default),
``sent`` (DEPOSEE with an identifier), ``entry`` (typed on the portal, lines instead of a PDF)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from invoices.models import (
    DepositMode,
    Invoice,
    InvoiceAttachment,
    InvoiceLine,
    InvoiceType,
    InvoiceVatLine,
    MessageAuthor,
    Sollicitation,
    SollicitationCategory,
    SollicitationMessage,
)
from invoices.totals import compute_totals, line_total
from invoices.workflow import Status
from structures.models import Membership
from tests.accounts.factories import UserFactory
from tests.invoices import pdfs
from tests.structures.factories import MembershipFactory, StructureFactory

_PDF = pdfs.text_pdf(["Facture de test", "Total TTC : 1 200,00 EUR"])


def _recent_date():
    return timezone.localdate() - timedelta(days=10)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    supplier = factory.SubFactory(StructureFactory)
    recipient = factory.SubFactory(StructureFactory, public=True)
    deposit_mode = DepositMode.PDF
    invoice_type = InvoiceType.INVOICE
    number = factory.Sequence(lambda n: f"F-{n:05d}")
    invoice_date = factory.LazyFunction(_recent_date)
    invoice_year = factory.LazyAttribute(lambda o: o.invoice_date.year if o.invoice_date else None)
    amount_ht = Decimal("1000.00")
    amount_tva = Decimal("200.00")
    amount_ttc = Decimal("1200.00")
    status = Status.BROUILLON
    pdf = factory.django.FileField(data=_PDF, filename="facture.pdf")
    pdf_original_filename = "facture-test.pdf"
    pdf_size = len(_PDF)

    class Params:
        draft = factory.Trait(status=Status.BROUILLON)
        sent = factory.Trait(
            status=Status.DEPOSEE,
            identifier=factory.Sequence(lambda n: f"FAC-TEST-{n:07d}"),
            sent_at=factory.LazyFunction(timezone.now),
        )
        entry = factory.Trait(
            deposit_mode=DepositMode.ENTRY,
            pdf=None,
            pdf_original_filename="",
            pdf_size=0,
            amount_ht=None,
            amount_tva=None,
            amount_ttc=None,
        )
        with_vat_lines = True

    @factory.post_generation
    def vat(obj, create, extracted, **kwargs):
        """A VAT breakdown matching the amounts (one line at 20 %), for a deposited PDF."""
        if not create or obj.deposit_mode == DepositMode.ENTRY or extracted is False:
            return
        if obj.amount_ht is not None and obj.amount_tva is not None:
            InvoiceVatLine.objects.create(
                invoice=obj, rate=Decimal("20.00"), base_ht=obj.amount_ht, vat_amount=obj.amount_tva
            )


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory, entry=True)
    position = factory.Sequence(lambda n: n)
    designation = factory.Sequence(lambda n: f"Prestation {n}")
    quantity = Decimal("2")
    unit = "jour"
    unit_price_ht = Decimal("500.00")
    vat_rate = Decimal("20.00")
    line_total_ht = factory.LazyAttribute(lambda o: line_total(o.quantity, o.unit_price_ht))


def refresh_entry_totals(invoice: Invoice) -> Invoice:
    """Recompute a typed invoice's amounts and VAT breakdown from its lines (as the service does)."""
    computed = compute_totals(invoice.lines.all())
    invoice.vat_lines.all().delete()
    for item in computed.by_rate:
        InvoiceVatLine.objects.create(
            invoice=invoice,
            rate=item.rate,
            base_ht=item.base_ht,
            vat_amount=item.vat_amount,
            exemption_reason=item.exemption_reason,
        )
    invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc = computed.ht, computed.tva, computed.ttc
    invoice.save()
    return invoice


class InvoiceAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceAttachment

    invoice = factory.SubFactory(InvoiceFactory)
    file = factory.django.FileField(data=b"contenu de la piece jointe", filename="annexe.txt")
    original_filename = "annexe.txt"
    size = len(b"contenu de la piece jointe")
    content_type = "text/plain"


class SollicitationFactory(factory.django.DjangoModelFactory):
    """A sollicitation of a structure opened by one of its active members (created with it), with
    its first message; traits ``visitor`` (from "Nous contacter": no structure, no author) and
    ``personal`` (a user without structure)."""

    class Meta:
        model = Sollicitation
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    author = factory.SubFactory(UserFactory)
    category = SollicitationCategory.DEPOSIT
    subject = factory.Sequence(lambda n: f"Question n° {n}")

    class Params:
        visitor = factory.Trait(
            structure=None,
            author=None,
            contact_name="Jeanne Visiteuse",
            contact_email=factory.Sequence(lambda n: f"visiteur{n}@exemple.fr"),
        )
        personal = factory.Trait(structure=None)

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        """The author's active membership of the structure, unless they already have one."""
        if create and obj.structure_id and obj.author_id:
            if not Membership.objects.filter(user=obj.author, structure=obj.structure).exists():
                MembershipFactory(user=obj.author, structure=obj.structure)

    @factory.post_generation
    def first_message(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            SollicitationMessage.objects.create(
                sollicitation=obj,
                author_kind=MessageAuthor.REQUESTER,
                author=obj.author,
                body=extracted or "Bonjour, j'ai une question.",
            )
