"""Demo invoices for `make run`: about sixty invoices of the demo supplier, so that "Rechercher" and
"Archives" have something to search: every status a supplier sees past the routing (drafts,
received, suspended, to recycle, rejected, paid…), invoices and credit notes, the four recipients
(State and not), both supplier services, EJ, dates and amounts spread over two years.

Idempotent: nothing is written when the supplier already has its demo invoices (numbers ``LOT-…``).
The history of each invoice (deposit, routing, the recipient's step) is written with it, already
notified, so no e-mail goes out for these past events; none is left "Déposée" or "En cours
d'acheminement", which the sweeper would route.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from invoices import samples, services, workflow
from invoices.models import Cadre, DepositMode, Invoice, InvoiceEvent, InvoiceType, InvoiceVatLine, Motif
from invoices.workflow import Actor, Status
from structures.models import Service, Structure

COUNT = 60
PREFIX = "LOT-"
RECIPIENTS = ("11100000600010", "11107919000018", "11115838200015", "11123757400012")
ENGAGEMENTS = {"11100000600010": "1300012345"}
# The final step of each demo invoice: (status, transition that led there, motif code).
STEPS = [
    (Status.MISE_A_DISPOSITION, "", ""),
    (Status.PRISE_EN_COMPTE_DESTINATAIRE, "prendre_en_compte", ""),
    (Status.SERVICE_FAIT, "service_fait", ""),
    (Status.MANDATEE, "mandater", ""),
    (Status.MISE_A_DISPOSITION_COMPTABLE, "mettre_a_disposition_comptable", ""),
    (Status.COMPTABILISEE, "comptabiliser", ""),
    (Status.MISE_EN_PAIEMENT, "mettre_en_paiement", ""),
    (Status.SUSPENDUE, "suspendre", "JUSTIFICATIF_ABSENT"),
    (Status.COMPLETEE, "completer", "JUSTIFICATIF_ABSENT"),
    (Status.A_RECYCLER, "mettre_a_recycler", "SE_EJ_INCORRECT"),
    (Status.REJETEE, "rejeter", "MONTANT_ERRONE"),
    (Status.MISE_EN_PAIEMENT, "mettre_en_paiement", ""),
]
_AFTER_MANDATE = {Status.MANDATEE, Status.MISE_A_DISPOSITION_COMPTABLE, Status.COMPTABILISEE, Status.MISE_EN_PAIEMENT}


@transaction.atomic
def load(*, supplier: Structure, user) -> int:
    """Write the demo invoices of ``supplier`` (sent by ``user``) once; the number of demo invoices."""
    existing = Invoice.objects.filter(supplier=supplier, number__startswith=PREFIX).count()
    if existing:
        return existing
    recipients = {s.identifier: s for s in Structure.objects.public().filter(identifier__in=RECIPIENTS)}
    supplier_services = list(Service.objects.filter(structure=supplier).order_by("code"))
    motifs = {m.code: m for m in Motif.objects.all()}
    pdf = samples.text_pdf(["Fournitures Démo SARL", "Facture de démonstration"])
    now = timezone.now()
    for n in range(COUNT):
        recipient = recipients.get(RECIPIENTS[n % len(RECIPIENTS)])
        draft = n % 10 == 9
        status, transition, motif_code = (Status.BROUILLON, "", "") if draft else STEPS[n % len(STEPS)]
        sent_at = now - timedelta(days=700 * (COUNT - n) // COUNT, hours=n % 7)
        ht = Decimal(150 + (n * 137) % 9000).quantize(Decimal("0.01"))
        tva = (ht * Decimal("0.20")).quantize(Decimal("0.01"))
        invoice = Invoice(
            supplier=supplier,
            supplier_service=supplier_services[n % len(supplier_services)] if supplier_services and n % 3 else None,
            recipient=recipient,
            recipient_service=recipient.services.filter(is_active=True).exclude(code=Service.RESERVED_CODE).first()
            if recipient is not None
            else None,
            cadre=(Cadre.A1, Cadre.A1, Cadre.A2, Cadre.A9, Cadre.A12)[n % 5],
            invoice_type=InvoiceType.CREDIT_NOTE if n % 8 == 7 else InvoiceType.INVOICE,
            number=f"{PREFIX}{sent_at:%Y}-{n + 1:04d}",
            invoice_date=timezone.localdate(sent_at) - timedelta(days=2),
            engagement_number=ENGAGEMENTS.get(recipient.identifier, "") if recipient is not None else "",
            amount_ht=ht,
            amount_tva=tva,
            amount_ttc=ht + tva,
            deposit_mode=DepositMode.PDF,
            status=status,
            pdf_original_filename=f"facture-{n + 1:04d}.pdf",
            pdf_size=len(pdf),
            created_by=user,
        )
        if invoice.invoice_type == InvoiceType.CREDIT_NOTE:
            invoice.original_invoice_number = f"{PREFIX}{sent_at:%Y}-{max(n - 6, 1):04d}"
        invoice.invoice_year = invoice.invoice_date.year
        if not draft:
            invoice.identifier = services.identifier_allocate(year=timezone.localdate(sent_at).year)
            invoice.sent_at = sent_at
            invoice.sent_by = user
            invoice.status_changed_at = sent_at + timedelta(days=3)
            if status in _AFTER_MANDATE:
                invoice.mandate_number = f"M-{n + 1:06d}"
        invoice.pdf.save(f"demo-{n + 1:04d}.pdf", ContentFile(pdf), save=False)
        invoice.save()
        Invoice.objects.filter(pk=invoice.pk).update(created_at=sent_at - timedelta(hours=1))
        InvoiceVatLine.objects.create(invoice=invoice, rate=Decimal("20.00"), base_ht=ht, vat_amount=tva)
        if not draft:
            _history(invoice, user, sent_at, status, transition, motifs.get(motif_code))
    return COUNT


def _history(invoice, user, sent_at, status, transition, motif) -> None:
    steps = [
        ("deposer", Status.BROUILLON, Status.DEPOSEE, Actor.SUPPLIER, user, None),
        ("acheminer", Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, Actor.SYSTEM, None, None),
        ("mettre_a_disposition", Status.EN_COURS_ACHEMINEMENT, Status.MISE_A_DISPOSITION, Actor.SYSTEM, None, None),
    ]
    if status == Status.COMPLETEE:
        steps.append(("suspendre", Status.MISE_A_DISPOSITION, Status.SUSPENDUE, Actor.RECIPIENT, None, motif))
        steps.append(("completer", Status.SUSPENDUE, Status.COMPLETEE, Actor.SUPPLIER, user, None))
    elif transition:
        actor = next(iter(workflow.TRANSITIONS[transition].actors))
        steps.append((transition, Status.MISE_A_DISPOSITION, status, actor, None, motif))
    for position, (name, source, target, actor, who, reason) in enumerate(steps):
        InvoiceEvent.objects.create(
            invoice=invoice,
            supplier_id=invoice.supplier_id,
            transition=name,
            from_status=source,
            to_status=target,
            actor_kind=actor,
            user=who,
            motif=reason,
            comment="Pièce justificative attendue." if target == Status.SUSPENDUE else "",
            mandate_number=invoice.mandate_number if name == "mandater" else "",
            created_at=sent_at + timedelta(days=position),
            notified_at=sent_at + timedelta(days=position),
        )
