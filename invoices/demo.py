"""Demo files for `make run`: three invoices to try the deposit, written under var/demo/.

- a Factur-X PDF from the demo supplier to the Ministère de l'Intérieur (code service SE001,
  EJ 1300012346): the form opens filled with every value of its XML;
- a text PDF to the Préfecture de la Loire, whose values are read from the text; the préfecture
  requires a code service, which the user chooses (SE011).
- a UBL 2.1 XML file to the Commune de Saint-Exemple (lines at 20 % and 5,5 %): the portal reads
  it, makes its PDF and the form shows its data read-only.
All are dated today, so they can be sent as they are (once: a second sending is a duplicate).

``load_history`` adds a year of sent invoices of the demo supplier (history, VAT lines at several
rates, payment clocks: most paid, two late, one suspended, one to recycle, one rejected, two credit
notes), two drafts, and the ECB rates of the late-payment interest, for the Synthèse, the Tableau
de bord, the Liste fiscale and the Factures en retard.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from invoices import payment, samples, services
from invoices.models import DepositMode, Invoice, InvoiceEvent, InvoiceType, InvoiceVatLine, LatePaymentRate, Motif
from invoices.workflow import Actor, Status
from structures import demo as structures_demo
from structures.models import Structure, StructureKind

PREFECTURE_SIRET = "11107919000018"
COMMUNE_SIRET = "11123757400012"


def write_files() -> list[Path]:
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    facturx = samples.facturx_pdf(
        base=samples.text_pdf(
            [
                "Fournitures Démo SARL",
                "Facture n° FX-DEMO-0001 (Factur-X)",
                f"Date : {today:%d/%m/%Y}",
                "Ramettes de papier recyclé : 100 x 8,40 € HT",
                "Total HT : 840,00 € - TVA 20 % : 168,00 € - Total TTC : 1 008,00 €",
            ]
        ),
        number="FX-DEMO-0001",
        issue_date=today,
        seller_siret=structures_demo.SUPPLIER_SIRET,
        seller_name=structures_demo.SUPPLIER["name"],
        buyer_siret=structures_demo.MINISTRY_SIRET,
        buyer_name="Ministère de l'Intérieur (démonstration)",
        buyer_reference="SE001",
        order_reference="1300012346",
        vat=[("20.00", "840.00", "168.00")],
    )
    text = samples.invoice_text_pdf(
        number="PDF-DEMO-0001",
        invoice_date=f"{today:%d/%m/%Y}",
        supplier_siret=structures_demo.SUPPLIER_SIRET,
        recipient_siret=PREFECTURE_SIRET,
        ht="1 250,00",
        tva="250,00",
        ttc="1 500,00",
    )
    ubl = samples.generated_xml(
        syntax="ubl",
        number="UBL-DEMO-0001",
        issue_date=today,
        seller={
            "name": structures_demo.SUPPLIER["name"],
            "legal_identifier": structures_demo.SUPPLIER_SIRET,
            "legal_identifier_schemeid": "0009",
            "vat_identifier": samples.french_vat_number(structures_demo.SUPPLIER_SIRET[:9]),
            "country_code": "FR",
        },
        buyer={
            "name": "Commune de Saint-Exemple",
            "legal_identifier": COMMUNE_SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        lines=[
            ("Entretien des espaces verts", "12", "85.00", "20.00"),
            ("Ouvrages pour la médiathèque", "20", "24.50", "5.50"),
        ],
    )
    paths = [
        directory / "facture-facturx-ministere.pdf",
        directory / "facture-pdf-prefecture.pdf",
        directory / "facture-ubl-commune.xml",
    ]
    for path, content in zip(paths, (facturx, text, ubl), strict=True):
        path.write_bytes(content)
    return paths


# --- A year of invoices for the Synthèse, the Tableau de bord, the Liste fiscale and the clock --

HOSPITAL_SIRET = "11131676600018"  # Centre hospitalier de Démo-sur-Mer: délai de 50 jours
HISTORY_RECIPIENTS = [structures_demo.MINISTRY_SIRET, PREFECTURE_SIRET, "11123757400012", HOSPITAL_SIRET]
# ECB main refinancing rates in force on the first day of these semesters (operators set the next).
DEMO_RATES = [(date(2025, 1, 1), "3.15"), (date(2025, 7, 1), "2.15")]
_PAID = [Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT, Status.MANDATEE, Status.MISE_EN_PAIEMENT]
_STEP = {
    Status.DEPOSEE: ("deposer", Actor.SUPPLIER),
    Status.EN_COURS_ACHEMINEMENT: ("acheminer", Actor.SYSTEM),
    Status.MISE_A_DISPOSITION: ("mettre_a_disposition", Actor.SYSTEM),
    Status.SERVICE_FAIT: ("service_fait", Actor.RECIPIENT),
    Status.MANDATEE: ("mandater", Actor.RECIPIENT),
    Status.MISE_EN_PAIEMENT: ("mettre_en_paiement", Actor.RECIPIENT),
    Status.SUSPENDUE: ("suspendre", Actor.RECIPIENT),
    Status.COMPLETEE: ("completer", Actor.SUPPLIER),
    Status.REJETEE: ("rejeter", Actor.RECIPIENT),
    Status.A_RECYCLER: ("echec_acheminement", Actor.SYSTEM),
}
_MOTIFS = {
    Status.SUSPENDUE: "JUSTIFICATIF_ABSENT",
    Status.REJETEE: "DOUBLE_FACTURATION",
    Status.A_RECYCLER: "SE_EJ_INCORRECT",
}
_COMMENTS = {
    Status.SUSPENDUE: "Merci de joindre le bon de livraison signé.",
    Status.REJETEE: "Facture déjà reçue sous le numéro précédent.",
    Status.A_RECYCLER: "Le code service indiqué n'existe pas chez le destinataire.",
    Status.COMPLETEE: "Bon de livraison joint.",
}


def _plan(today: date) -> list[dict]:
    """The demo invoices (age in days, recipient, VAT split, path after the routing), oldest first:
    28 paid over 13 months (two of them late), four in progress, two late today, one suspended,
    one completed, one to recycle, one rejected, two credit notes."""
    plan = []
    for n in range(28):
        late_payment = 25 if n in (9, 15) else 0
        plan.append(
            {
                "age": 400 - n * 12,
                "recipient": n % 4,
                "split": n % 3,
                "path": _PAID,
                "pay_after": 20 + (n * 7) % 9 + late_payment,
            }
        )
    plan += [
        {"age": 75, "recipient": 0, "split": 0, "path": [Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT]},  # late
        {"age": 48, "recipient": 2, "split": 1, "path": [Status.MISE_A_DISPOSITION]},  # late
        {"age": 200, "recipient": 0, "split": 0, "path": [Status.MISE_A_DISPOSITION], "credit_note": True},
        {"age": 40, "recipient": 2, "split": 0, "path": [Status.MISE_A_DISPOSITION], "credit_note": True},
        {"age": 30, "recipient": 3, "split": 1, "path": [Status.MISE_A_DISPOSITION, Status.REJETEE]},
        {"age": 25, "recipient": 0, "split": 2, "path": [Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT]},
        {
            "age": 20,
            "recipient": 0,
            "split": 2,
            "path": [Status.MISE_A_DISPOSITION, Status.SUSPENDUE, Status.COMPLETEE],
        },
        {"age": 18, "recipient": 3, "split": 0, "path": [Status.MISE_A_DISPOSITION]},
        {"age": 12, "recipient": 1, "split": 0, "path": [Status.MISE_A_DISPOSITION, Status.SUSPENDUE]},
        {
            "age": 9,
            "recipient": 0,
            "split": 1,
            "path": [Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT, Status.MANDATEE],
        },
        {"age": 6, "recipient": 1, "split": 0, "path": [Status.A_RECYCLER]},
        {"age": 3, "recipient": 2, "split": 2, "path": [Status.MISE_A_DISPOSITION]},
    ]
    return plan


_SPLITS = [
    [("20.00", "1800.00")],
    [("20.00", "950.00"), ("5.50", "400.00")],
    [("10.00", "2400.00"), ("20.00", "300.00")],
]


def load_history(users: dict, structures: dict) -> int:
    """A year of sent invoices of the demo supplier with their history, VAT lines and payment
    clocks, two drafts, and the demo ECB rates. Idempotent: nothing is added once they exist.
    Returns the number of invoices created."""
    supplier = structures["supplier"]
    for valid_from, rate in DEMO_RATES:
        if not LatePaymentRate.objects.filter(valid_from=valid_from).exists():
            services.late_payment_rate_set(ecb_rate=rate, valid_from=valid_from)
    Structure.objects.filter(kind=StructureKind.PUBLIC, identifier=HOSPITAL_SIRET).update(payment_delay_days=50)
    if Invoice.objects.filter(supplier=supplier, number__startswith="DEMO-").exists():
        return 0
    recipients = [Structure.objects.get(kind=StructureKind.PUBLIC, identifier=s) for s in HISTORY_RECIPIENTS]
    motifs = {m.code: m for m in Motif.objects.filter(code__in=_MOTIFS.values())}
    manager, agent = users["gestionnaire"], users["agent"]
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        for index, item in enumerate(_plan(today), 1):
            _demo_invoice(index, item, supplier, recipients, motifs, manager, agent, today)
            created += 1
        for n in (1, 2):
            Invoice.objects.create(
                supplier=supplier,
                recipient=recipients[n],
                number=f"DEMO-BR-{n}",
                invoice_date=today,
                invoice_year=today.year,
                deposit_mode=DepositMode.PDF,
                amount_ht=Decimal("500.00"),
                amount_tva=Decimal("100.00"),
                amount_ttc=Decimal("600.00"),
                created_by=manager,
            )
            created += 1
    return created


def _plain(value: Decimal) -> str:
    """1800,00: the sample PDF's core font has no narrow no-break space."""
    return f"{value:.2f}".replace(".", ",")


def _demo_invoice(index, item, supplier, recipients, motifs, manager, agent, today) -> Invoice:
    recipient = recipients[item["recipient"]]
    credit_note = item.get("credit_note", False)
    day = today - timedelta(days=item["age"])
    vat = [(Decimal(rate), Decimal(base)) for rate, base in _SPLITS[item["split"]]]
    if credit_note:
        vat = [(rate, (base / 10).quantize(Decimal("0.01"))) for rate, base in vat[:1]]
    vat = [(rate, base, (base * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for rate, base in vat]
    ht, tva = sum(v[1] for v in vat), sum(v[2] for v in vat)
    number = f"DEMO-{day:%Y}-{index:03d}" if not credit_note else f"DEMO-AV-{index:03d}"
    sent_at = timezone.make_aware(datetime.combine(day, time(9, 30)))
    pdf = samples.invoice_text_pdf(
        number=number,
        invoice_date=f"{day:%d/%m/%Y}",
        supplier_siret=supplier.identifier,
        recipient_siret=recipient.identifier,
        ht=_plain(ht),
        tva=_plain(tva),
        ttc=_plain(ht + tva),
    )
    invoice = Invoice(
        supplier=supplier,
        recipient=recipient,
        invoice_type=InvoiceType.CREDIT_NOTE if credit_note else InvoiceType.INVOICE,
        original_invoice_number=f"DEMO-{day:%Y}-001" if credit_note else "",
        number=number,
        invoice_date=day,
        invoice_year=day.year,
        engagement_number="1300012345" if recipient.identifier == structures_demo.MINISTRY_SIRET else "",
        amount_ht=ht,
        amount_tva=tva,
        amount_ttc=ht + tva,
        deposit_mode=DepositMode.PDF,
        status=Status.DEPOSEE,
        identifier=services.identifier_allocate(year=day.year),
        pdf_original_filename=f"{number}.pdf",
        pdf_size=len(pdf),
        created_by=manager,
        sent_by=manager,
        sent_at=sent_at,
    )
    invoice.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    invoice.save()
    for rate, base, amount in vat:
        InvoiceVatLine.objects.create(invoice=invoice, rate=rate, base_ht=base, vat_amount=amount)
    invoice.certificate_fingerprint = services.certificate_fingerprint(invoice)
    invoice.certificate_issued_at = sent_at

    # The history: deposit, routing, then the recipient's steps, spread over the days after.
    path = [Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, *item["path"]]
    clock, status, moment = payment.Clock(), Status.BROUILLON, sent_at
    steps = len(path)
    for position, target in enumerate(path):
        if target == Status.MISE_EN_PAIEMENT:
            moment = sent_at + timedelta(days=item.get("pay_after", 25))
        elif position >= 3:
            moment = moment + timedelta(days=max(1, min(6, (item["age"] - 1) // steps)))
        elif position:
            moment = moment + timedelta(minutes=1)
        transition, actor = _STEP[target]
        mandate = f"M-{invoice.identifier[-5:]}" if target == Status.MANDATEE else ""
        InvoiceEvent.objects.create(
            invoice=invoice,
            supplier_id=invoice.supplier_id,
            transition=transition,
            from_status=status,
            to_status=target,
            actor_kind=actor.value,
            user={Actor.SUPPLIER: manager, Actor.RECIPIENT: agent if item["recipient"] == 0 else None}.get(actor),
            motif=motifs.get(_MOTIFS.get(target, "")),
            comment=_COMMENTS.get(target, ""),
            mandate_number=mandate,
            created_at=moment,
            notified_at=moment,
        )
        clock = payment.clock_after(
            clock,
            target=target,
            today=timezone.localdate(moment),
            delay_days=recipient.payment_delay_days,
            credit_note=credit_note,
        )
        status = target
        if mandate:
            invoice.mandate_number = mandate
    invoice.status = status
    invoice.status_changed_at = moment
    invoice.payment_clock = clock
    invoice.save()
    return invoice
