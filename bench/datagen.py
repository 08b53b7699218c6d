"""Realistic volumes for the benchmark, loaded with PostgreSQL's COPY (not run by the tests).

``generate(size)`` writes, into an empty migrated database:
- ``size // 500`` suppliers (at least 40), one of which owns ``BIG_SHARE`` of the invoices (at
  1,000,000 invoices: 200,000); each has a gestionnaire principal, a bank account, an accepted
  billing mandate;
- 200 public recipients (the first receiving ``BIG_RECIPIENT_SHARE``) with 5 services each (some demanding a code service or an EJ), one agent
  each, and 20 legal commitments (EJ) per recipient spread over the suppliers;
- ``size`` invoices in every status (most of them paid, as in the real portal), each with its
  history (one ``InvoiceEvent`` per transition of its path, motifs where the table wants one) and
  its VAT lines (lines too for the invoices typed on the portal).

Structures, users and memberships (a few thousand rows) go through ``bulk_create``; invoices,
lines, VAT lines and events (millions of rows) through ``copy_expert``, with explicit ids, then
the id sequences are moved past them, the yearly identifier counters too, and the tables vacuumed
and analysed, as a production database would be.
"""

import io
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

PASSWORD = "Chorus-Bench-2026!"
BIG_SHARE = 0.20
# The first recipient (a ministry) receives this share of the invoices (its agent's admin list).
BIG_RECIPIENT_SHARE = 0.10
RECIPIENTS = 200
SERVICES_PER_RECIPIENT = 5
EJ_PER_RECIPIENT = 20
# Final statuses of the generated invoices and their weights (most invoices end up paid).
STATUS_WEIGHTS = {
    "MISE_EN_PAIEMENT": 40,
    "MISE_A_DISPOSITION": 10,
    "PRISE_EN_COMPTE_DESTINATAIRE": 8,
    "SERVICE_FAIT": 8,
    "MANDATEE": 5,
    "MISE_A_DISPOSITION_COMPTABLE": 3,
    "COMPTABILISEE": 5,
    "SUSPENDUE": 3,
    "COMPLETEE": 1,
    "REJETEE": 4,
    "A_RECYCLER": 3,
    "BROUILLON": 10,
}
_ROUTED = [
    ("deposer", "BROUILLON", "DEPOSEE", "fournisseur"),
    ("acheminer", "DEPOSEE", "EN_COURS_ACHEMINEMENT", "systeme"),
    ("mettre_a_disposition", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "systeme"),
]
_TAKEN = [*_ROUTED, ("prendre_en_compte", "MISE_A_DISPOSITION", "PRISE_EN_COMPTE_DESTINATAIRE", "destinataire")]
_CHAIN = [
    ("service_fait", "SERVICE_FAIT"),
    ("mandater", "MANDATEE"),
    ("mettre_a_disposition_comptable", "MISE_A_DISPOSITION_COMPTABLE"),
    ("comptabiliser", "COMPTABILISEE"),
    ("mettre_en_paiement", "MISE_EN_PAIEMENT"),
]


def _chain_until(status: str) -> list[tuple]:
    path, previous = list(_TAKEN), "PRISE_EN_COMPTE_DESTINATAIRE"
    for name, target in _CHAIN:
        path.append((name, previous, target, "destinataire"))
        previous = target
        if target == status:
            return path
    raise ValueError(status)


_SUSPENDED = [*_TAKEN, ("suspendre", "PRISE_EN_COMPTE_DESTINATAIRE", "SUSPENDUE", "destinataire")]
# The history of an invoice by its final status: (transition, from, to, actor).
PATHS: dict[str, list[tuple]] = {
    "BROUILLON": [],
    "MISE_A_DISPOSITION": _ROUTED,
    "PRISE_EN_COMPTE_DESTINATAIRE": _TAKEN,
    **{target: _chain_until(target) for _name, target in _CHAIN},
    "SUSPENDUE": _SUSPENDED,
    "COMPLETEE": [*_SUSPENDED, ("completer", "SUSPENDUE", "COMPLETEE", "fournisseur")],
    "REJETEE": [*_ROUTED, ("rejeter", "MISE_A_DISPOSITION", "REJETEE", "destinataire")],
    "A_RECYCLER": [*_ROUTED[:2], ("echec_acheminement", "EN_COURS_ACHEMINEMENT", "A_RECYCLER", "systeme")],
}
MOTIF_TRANSITIONS = {"suspendre", "rejeter", "echec_acheminement"}
VAT_RATES = [Decimal("20.00"), Decimal("10.00"), Decimal("5.50")]


def siret(n: int, base: int) -> str:
    from stdnum import luhn

    siren = f"{base + n:08d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + f"{1 + n % 9:04d}"
    return body + luhn.calc_check_digit(body)


def _text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class Copier:
    """Streams rows (dicts by field attname) of one model into its table with COPY, in chunks;
    a field a row does not give gets the model's default (``auto_now`` fields get ``now``)."""

    CHUNK = 20_000

    def __init__(self, model, now, parent=None):
        self.model = model
        self.parent = parent
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif f.has_default():
                default = f.get_default()
                self.defaults[f.attname] = default if not isinstance(default, (dict, list)) else "{}"
            elif f.null:
                self.defaults[f.attname] = None
            else:
                self.defaults[f.attname] = ""
        self.buffer = io.StringIO()
        self.pending = 0
        self.count = 0

    def add(self, row: dict):
        values = [row[f.attname] if f.attname in row else self.defaults[f.attname] for f in self.fields]
        self.buffer.write("\t".join(map(_text, values)))
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= self.CHUNK:
            self.flush()

    def flush(self):
        if self.parent is not None:
            self.parent.flush()  # the foreign keys are checked at the end of each COPY
        if not self.pending:
            return
        self.buffer.seek(0)
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", self.buffer)
        self.count += self.pending
        self.buffer = io.StringIO()
        self.pending = 0


def _reset_sequences(models):
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _base(size: int, rng: random.Random, now):
    """Structures, services, users, memberships, bank accounts, EJ (small tables, ORM)."""
    from accounts.models import User
    from structures.models import (
        BankAccount,
        EngagementJuridique,
        IdentifierType,
        Membership,
        MembershipRole,
        MembershipStatus,
        Service,
        Structure,
        StructureKind,
    )

    n_suppliers = max(40, size // 500)
    password = make_password(PASSWORD)
    suppliers = Structure.objects.bulk_create(
        Structure(
            kind=StructureKind.PRIVATE,
            identifier_type=IdentifierType.SIRET,
            identifier=siret(i, 30_000_000),
            name=f"Fournisseur du banc n° {i}" if i else "Grand Fournisseur du banc SA",
            city="LYON",
            postal_code="69002",
            mandate_accepted_at=now,
        )
        for i in range(n_suppliers)
    )
    recipients = Structure.objects.bulk_create(
        Structure(
            kind=StructureKind.PUBLIC,
            identifier_type=IdentifierType.SIRET,
            identifier=siret(i, 11_000_000),
            name=f"Destinataire public du banc n° {i}",
            city="PARIS",
            postal_code="75007",
            ej_required=i % 10 == 1,
            service_required=i % 10 == 2,
        )
        for i in range(RECIPIENTS)
    )
    services = Service.objects.bulk_create(
        Service(structure=r, code=f"SE{j:03d}", name=f"Service {j} de {r.name}")
        for r in recipients
        for j in range(SERVICES_PER_RECIPIENT)
    )
    users = User.objects.bulk_create(
        [
            *(
                User(
                    email=f"fournisseur{i}@bench.example",
                    first_name="Gestionnaire",
                    last_name=f"N° {i}",
                    password=password,
                    is_active=True,
                )
                for i in range(n_suppliers)
            ),
            *(
                User(
                    email=f"agent{i}@bench.example",
                    first_name="Agent",
                    last_name=f"N° {i}",
                    password=password,
                    is_active=True,
                    is_staff=True,
                )
                for i in range(RECIPIENTS)
            ),
        ]
    )
    supplier_users, agent_users = users[:n_suppliers], users[n_suppliers:]
    User.objects.create(
        email="admin@bench.example", password=password, is_active=True, is_staff=True, is_superuser=True
    )
    _verify_emails(users)
    Membership.objects.bulk_create(
        [
            *(
                Membership(
                    user=u,
                    structure=s,
                    role=MembershipRole.MAIN_MANAGER,
                    status=MembershipStatus.ACTIVE,
                    decided_at=now,
                    notify_invoice_events=True,
                )
                for u, s in zip(supplier_users, suppliers, strict=True)
            ),
            *(
                Membership(user=u, structure=r, status=MembershipStatus.ACTIVE, decided_at=now)
                for u, r in zip(agent_users, recipients, strict=True)
            ),
        ]
    )
    BankAccount.objects.bulk_create(
        BankAccount(structure=s, label="Compte principal", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX")
        for s in suppliers
    )
    engagements = EngagementJuridique.objects.bulk_create(
        EngagementJuridique(
            number=f"13{r_index:04d}{k:04d}",
            recipient=r,
            supplier_identifier=suppliers[(r_index * EJ_PER_RECIPIENT + k) % n_suppliers].identifier,
            supplier_name=suppliers[(r_index * EJ_PER_RECIPIENT + k) % n_suppliers].name,
            start_date=(now - timedelta(days=400)).date(),
        )
        for r_index, r in enumerate(recipients)
        for k in range(EJ_PER_RECIPIENT)
    )
    return suppliers, recipients, services, supplier_users, agent_users, engagements


def _verify_emails(users):
    """allauth's verified addresses, so the accounts can log in."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.bulk_create(EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users)


def _reserve_in_row(*, year: int, last_value: int) -> None:
    from django.conf import settings

    from invoices.models import Sequence

    Sequence.objects.update_or_create(
        key=f"{settings.INVOICE_IDENTIFIER_PREFIX}-{year}", defaults={"last_value": last_value}
    )


def generate(size: int = 200_000, *, seed: int = 14, log=print) -> dict:
    """Fill an empty migrated PostgreSQL database; returns what the scenarios need."""
    from invoices.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceVatLine, Motif

    try:
        from invoices.services import identifier_reserve
    except ImportError:  # the code before issue 14 (a "before" run): the counter row only
        identifier_reserve = _reserve_in_row
    from structures.models import EngagementJuridique

    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    suppliers, recipients, services, supplier_users, agent_users, engagements = _base(size, rng, now)
    log(f"  structures et comptes : {len(suppliers)} fournisseurs, {len(recipients)} destinataires")
    services_of = {}
    for s in services:
        services_of.setdefault(s.structure_id, []).append(s)
    ej_of = {}
    for e in EngagementJuridique.objects.all():
        ej_of.setdefault(e.recipient_id, []).append(e.number)
    motifs = list(Motif.objects.values_list("pk", flat=True))
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    others = suppliers[1:]

    invoices = Copier(Invoice, now)
    events = Copier(InvoiceEvent, now, parent=invoices)
    vat_lines = Copier(InvoiceVatLine, now, parent=invoices)
    lines = Copier(InvoiceLine, now, parent=invoices)
    counters: dict[int, int] = {}
    event_id = line_id = vat_id = 0
    for pk in range(1, size + 1):
        supplier_index = 0 if rng.random() < BIG_SHARE else 1 + rng.randrange(len(others))
        supplier = suppliers[supplier_index]
        user = supplier_users[supplier_index]
        recipient = recipients[0 if rng.random() < BIG_RECIPIENT_SHARE else rng.randrange(len(recipients))]
        status = rng.choices(statuses, weights)[0]
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        ht = Decimal(rng.randrange(1_000, 5_000_000)) / 100
        rate = VAT_RATES[pk % len(VAT_RATES)]
        tva = (ht * rate / 100).quantize(Decimal("0.01"))
        entry = pk % 5 == 0
        row = {
            "id": pk,
            "supplier_id": supplier.pk,
            "recipient_id": recipient.pk,
            "recipient_service_id": services_of[recipient.pk][pk % SERVICES_PER_RECIPIENT].pk
            if recipient.service_required or pk % 2
            else None,
            "engagement_number": ej_of[recipient.pk][pk % EJ_PER_RECIPIENT]
            if recipient.ej_required or pk % 3 == 0
            else "",
            "cadre": "A1",
            "invoice_type": "FACTURE",
            "number": f"B{pk:09d}",
            "invoice_date": created.date(),
            "invoice_year": created.year,
            "amount_ht": ht,
            "amount_tva": tva,
            "amount_ttc": ht + tva,
            "payment_mode": "VIREMENT",
            "deposit_mode": "SAISIE_PORTAIL" if entry else "DEPOT_PDF_PORTAIL",
            "status": status,
            "pdf_original_filename": "" if status == "BROUILLON" else f"facture-B{pk:09d}.pdf",
            "pdf_size": 0,
            "extracted_data": "{}",
            "created_by_id": user.pk,
            "created_at": created,
            "updated_at": created,
        }
        when = created + timedelta(minutes=5)
        history = []
        for transition, from_status, to_status, actor in PATHS[status]:
            event_id += 1
            history.append(
                {
                    "id": event_id,
                    "invoice_id": pk,
                    "supplier_id": supplier.pk,
                    "transition": transition,
                    "from_status": from_status,
                    "to_status": to_status,
                    "actor_kind": actor,
                    "user_id": user.pk if actor == "fournisseur" else None,
                    "motif_id": motifs[pk % len(motifs)] if transition in MOTIF_TRANSITIONS else None,
                    "mandate_number": f"M{pk:08d}" if transition == "mandater" else "",
                    "created_at": when,
                    "notified_at": when,
                }
            )
            if transition == "deposer":
                year = when.year
                counters[year] = counters.get(year, 0) + 1
                row.update(
                    identifier=f"FAC-{year}-{counters[year]:07d}",
                    sent_by_id=user.pk,
                    sent_at=when,
                    certificate_issued_at=when,
                    certificate_fingerprint=f"{pk:064x}",
                )
            if transition == "mandater":
                row["mandate_number"] = f"M{pk:08d}"
            row["status_changed_at"] = when
            when += timedelta(hours=rng.randrange(1, 72))
        invoices.add(row)  # before its children: a child's flush flushes the invoices first
        for event in history:
            events.add(event)
        vat_id += 1
        vat_lines.add({"id": vat_id, "invoice_id": pk, "rate": rate, "base_ht": ht, "vat_amount": tva})
        if entry:
            line_id += 1
            lines.add(
                {
                    "id": line_id,
                    "invoice_id": pk,
                    "position": 1,
                    "designation": "Prestation de service",
                    "quantity": Decimal("1.0000"),
                    "unit": "forfait",
                    "unit_price_ht": ht,
                    "vat_rate": rate,
                    "line_total_ht": ht,
                }
            )
        if pk % 100_000 == 0:
            log(f"  {pk:,} factures ({time.perf_counter() - started:.0f} s)")
    for copier in (invoices, events, vat_lines, lines):
        copier.flush()
    _reset_sequences([Invoice, InvoiceEvent, InvoiceVatLine, InvoiceLine])
    for year, last in counters.items():
        identifier_reserve(year=year, last_value=last)
    with connection.cursor() as cursor:
        # Every table, the small ones too: without statistics, PostgreSQL estimates one row for
        # "public structures" and the agents' scope query turns into a 20 ms nested loop.
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    log(
        f"  {invoices.count:,} factures, {events.count:,} événements, {vat_lines.count:,} lignes de TVA, "
        f"{lines.count:,} lignes en {seconds:.0f} s"
    )
    return {
        "invoices": invoices.count,
        "events": events.count,
        "seconds": seconds,
        "suppliers": len(suppliers),
        "recipients": len(recipients),
    }
