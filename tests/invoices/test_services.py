"""invoices.services: drafts, attachments and every check of "Valider et envoyer"."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader

from chorus.formats import money
from invoices import selectors, services, totals
from invoices.models import Invoice, InvoiceType, PaymentMode, Sequence
from invoices.workflow import Status
from structures.models import Service
from tests.invoices import pdfs
from tests.invoices.factories import (
    InvoiceAttachmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    refresh_entry_totals,
)
from tests.structures.factories import (
    BankAccountFactory,
    EngagementFactory,
    MembershipFactory,
    ServiceFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def draft(member):
    return InvoiceFactory(supplier=member.structure)


def send_errors(invoice, user) -> dict:
    """The errors of a refused sending, checking the draft is left untouched."""
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    sequences = list(Sequence.objects.values_list("key", "last_value"))
    with pytest.raises(ValidationError) as info:
        services.invoice_send(invoice=invoice, user=user)
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before
    assert list(Sequence.objects.values_list("key", "last_value")) == sequences
    return info.value.message_dict


def assert_sends(invoice, user):
    sent = services.invoice_send(invoice=invoice, user=user)
    assert sent.status == Status.DEPOSEE
    return sent


# --- Success, identifier, certificate ---------------------------------------------------------


def test_a_complete_draft_is_sent(draft, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = services.invoice_send(invoice=draft, user=member.user)
    sent.refresh_from_db()
    year = timezone.localdate().year
    assert sent.status == Status.DEPOSEE
    assert sent.sent_by == member.user
    assert sent.sent_at is not None
    assert sent.status_changed_at == sent.sent_at
    # The number comes from a per-year sequence (a PostgreSQL sequence outlives test transactions).
    assert re.fullmatch(rf"FAC-{year}-\d{{7}}", sent.identifier)
    assert re.fullmatch(r"[0-9a-f]{64}", sent.certificate_fingerprint)
    assert sent.certificate_issued_at == sent.sent_at
    assert services.certificate_fingerprint(sent) == sent.certificate_fingerprint
    # The sending is in the history, written by the same code as every transition.
    event = sent.events.get()
    assert (event.transition, event.from_status, event.to_status) == ("deposer", "BROUILLON", "DEPOSEE")
    assert (event.actor_kind, event.user) == ("fournisseur", member.user)
    # After the commit: the supplier's cached figures are invalidated and, as "deposer" re-routes,
    # the routing task is enqueued (tasks run eagerly here).
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    sent.refresh_from_db()
    assert sent.status == Status.MISE_A_DISPOSITION


def test_the_certificate_covers_the_file_and_the_data(draft, member):
    sent = services.invoice_send(invoice=draft, user=member.user)
    sent.refresh_from_db()
    fingerprint = sent.certificate_fingerprint
    with default_storage.open(sent.pdf.name, "rb") as handle:
        data = handle.read()
    import hashlib

    expected = hashlib.sha256(data + services.canonical_json(services.certificate_data(sent))).hexdigest()
    assert fingerprint == expected
    Invoice.objects.filter(pk=sent.pk).update(amount_ttc=Decimal("1.00"))
    sent.refresh_from_db()
    assert services.certificate_fingerprint(sent) != sent.certificate_fingerprint


def test_identifiers_are_sequential_per_year(member):
    year = timezone.localdate().year
    identifiers = [
        services.invoice_send(invoice=InvoiceFactory(supplier=member.structure), user=member.user).identifier
        for _ in range(3)
    ]
    other = MembershipFactory()
    identifiers.append(
        services.invoice_send(invoice=InvoiceFactory(supplier=other.structure), user=other.user).identifier
    )
    # Consecutive (from 1 on a fresh database; PostgreSQL's sequence outlives a flushed test).
    first = int(identifiers[0].rsplit("-", 1)[1])
    assert identifiers == [f"FAC-{year}-{n:07d}" for n in range(first, first + 4)]


def test_a_refused_sending_does_not_consume_an_identifier(draft, member):
    year = timezone.localdate().year
    before = int(services.identifier_allocate(year=year).rsplit("-", 1)[1])
    draft.number = ""
    draft.save()
    send_errors(draft, member.user)
    ok = InvoiceFactory(supplier=member.structure)
    assert services.invoice_send(invoice=ok, user=member.user).identifier == f"FAC-{year}-{before + 1:07d}"


def test_an_invoice_is_sent_once(draft, member):
    assert_sends(draft, member.user)
    errors = send_errors(draft, member.user)
    assert "déjà été envoyée" in errors[NON_FIELD_ERRORS][0]


# --- Who sends -------------------------------------------------------------------------------


@pytest.mark.parametrize("trait", ["pending", "refused", "revoked"])
def test_only_an_active_member_sends(draft, trait):
    other = MembershipFactory(structure=draft.supplier, **{trait: True})
    errors = send_errors(draft, other.user)
    assert "rattaché à la structure" in errors[NON_FIELD_ERRORS][0]


def test_a_member_of_another_structure_cannot_send(draft):
    errors = send_errors(draft, MembershipFactory().user)
    assert "rattaché" in errors[NON_FIELD_ERRORS][0]


# --- References -----------------------------------------------------------------------------


def test_number_and_date_are_required(draft, member):
    draft.number = ""
    draft.invoice_date = None
    draft.save()
    errors = send_errors(draft, member.user)
    assert errors["number"] == ["Saisissez le numéro de la facture."]
    assert errors["invoice_date"] == ["Saisissez la date de la facture."]


def test_the_date_cannot_be_in_the_future(draft, member):
    draft.invoice_date = timezone.localdate() + timedelta(days=1)
    draft.invoice_year = draft.invoice_date.year
    draft.save()
    assert "ne peut pas être dans le futur" in send_errors(draft, member.user)["invoice_date"][0]
    draft.invoice_date = timezone.localdate()
    draft.save()
    assert_sends(draft, member.user)


def test_duplicate_number_same_year_is_refused(member):
    first = InvoiceFactory(supplier=member.structure, number="F-1", invoice_date=date(2025, 3, 1))
    sent = assert_sends(first, member.user)
    second = InvoiceFactory(supplier=member.structure, number="F-1", invoice_date=date(2025, 11, 30))
    errors = send_errors(second, member.user)
    assert "Doublon" in errors["number"][0]
    assert sent.identifier in errors["number"][0]


def test_drafts_do_not_count_as_duplicates(member):
    InvoiceFactory(supplier=member.structure, number="F-2", invoice_date=date(2025, 3, 1))
    assert_sends(InvoiceFactory(supplier=member.structure, number="F-2", invoice_date=date(2025, 4, 1)), member.user)


def test_same_number_another_year_is_fine(member):
    assert_sends(InvoiceFactory(supplier=member.structure, number="F-3", invoice_date=date(2024, 12, 31)), member.user)
    assert_sends(InvoiceFactory(supplier=member.structure, number="F-3", invoice_date=date(2025, 1, 1)), member.user)


def test_same_number_another_supplier_is_fine(member):
    assert_sends(InvoiceFactory(supplier=member.structure, number="F-4"), member.user)
    other = MembershipFactory()
    assert_sends(InvoiceFactory(supplier=other.structure, number="F-4"), other.user)


def test_the_database_backs_the_duplicate_rule(member):
    InvoiceFactory(supplier=member.structure, number="F-5", sent=True)
    with pytest.raises(IntegrityError):
        InvoiceFactory(supplier=member.structure, number="F-5", sent=True)


def test_a_credit_note_references_an_invoice_and_has_no_payment_mode(draft, member):
    draft.invoice_type = InvoiceType.CREDIT_NOTE
    draft.payment_mode = PaymentMode.CHEQUE
    draft.save()
    errors = send_errors(draft, member.user)
    assert "n'a pas de mode de paiement" in errors["payment_mode"][0]
    assert "numéro de la facture d'origine" in errors["original_invoice_number"][0]
    draft.payment_mode = ""
    draft.original_invoice_number = "F-0001"
    draft.save()
    assert_sends(draft, member.user)


def test_a_transfer_needs_bank_details_of_the_supplier(draft, member):
    draft.payment_mode = PaymentMode.TRANSFER
    draft.save()
    assert "coordonnées bancaires" in send_errors(draft, member.user)["bank_account"][0]
    draft.bank_account = BankAccountFactory(structure=member.structure, is_active=False)
    draft.save()
    assert "plus actives" in send_errors(draft, member.user)["bank_account"][0]
    draft.bank_account = BankAccountFactory(structure=member.structure, iban="FR7630001007941234567890185")
    draft.save()
    assert_sends(draft, member.user)


# --- Recipient, service, EJ -----------------------------------------------------------------


def test_a_recipient_is_required(draft, member):
    draft.recipient = None
    draft.save()
    assert "Choisissez le destinataire" in send_errors(draft, member.user)["recipient"][0]


def test_the_recipient_must_be_active_and_public(draft, member):
    draft.recipient.is_active = False
    draft.recipient.save()
    assert "n'est plus actif" in send_errors(draft, member.user)["recipient"][0]
    draft.recipient = StructureFactory()  # a private structure
    draft.save()
    assert "structure publique" in send_errors(draft, member.user)["recipient"][0]


def test_service_required_by_the_recipient(draft, member):
    draft.recipient.service_required = True
    draft.recipient.save()
    assert "exige un code service" in send_errors(draft, member.user)["recipient_service"][0]
    draft.recipient_service = ServiceFactory(structure=draft.recipient)
    draft.save()
    assert_sends(draft, member.user)


def test_service_or_ej(draft, member):
    draft.recipient.service_or_ej_required = True
    draft.recipient.save()
    assert "au moins l'un des deux" in send_errors(draft, member.user)["recipient_service"][0]
    draft.engagement_number = "EJ-HORS-ANNUAIRE"
    draft.save()
    assert_sends(draft, member.user)


def test_service_of_another_recipient_is_refused(draft, member):
    draft.recipient_service = ServiceFactory()
    draft.save()
    assert "SE/EJ incorrect" in send_errors(draft, member.user)["recipient_service"][0]


def test_reserved_service_is_refused(draft, member):
    draft.recipient_service = ServiceFactory(structure=draft.recipient, code=Service.RESERVED_CODE)
    draft.save()
    assert "réservé aux factures entre entités publiques" in send_errors(draft, member.user)["recipient_service"][0]


def test_inactive_service_is_refused(draft, member):
    draft.recipient_service = ServiceFactory(structure=draft.recipient, is_active=False)
    draft.save()
    assert "n'est plus actif" in send_errors(draft, member.user)["recipient_service"][0]


def test_ej_required_by_the_recipient(draft, member):
    draft.recipient.ej_required = True
    draft.recipient.save()
    assert "exige un numéro d'engagement" in send_errors(draft, member.user)["engagement_number"][0]


def test_ej_required_by_the_service(draft, member):
    draft.recipient_service = ServiceFactory(structure=draft.recipient, ej_required=True, code="SE-EJ")
    draft.save()
    assert "Le service SE-EJ du destinataire exige" in send_errors(draft, member.user)["engagement_number"][0]
    EngagementFactory(number="EJ777", recipient=draft.recipient, supplier_identifier=member.structure.identifier)
    draft.engagement_number = "EJ777"
    draft.save()
    assert_sends(draft, member.user)


def test_ej_of_another_recipient_is_refused(draft, member):
    EngagementFactory(number="EJ888", supplier_identifier=member.structure.identifier)
    draft.engagement_number = "EJ888"
    draft.save()
    message = send_errors(draft, member.user)["engagement_number"][0]
    assert "SE/EJ incorrect" in message and "n'appartient pas au destinataire" in message


def test_ej_of_another_supplier_is_refused(draft, member):
    EngagementFactory(number="EJ999", recipient=draft.recipient, supplier_identifier="35600000000048")
    draft.engagement_number = "EJ999"
    draft.save()
    assert "Créancier inconnu ou différent" in send_errors(draft, member.user)["engagement_number"][0]


# --- Amounts --------------------------------------------------------------------------------


def test_ttc_must_be_ht_plus_tva(draft, member):
    draft.amount_ttc = Decimal("1200.01")
    draft.save()
    assert "doit être égal au montant HT plus la TVA" in send_errors(draft, member.user)["amount_ttc"][0]


def test_amounts_are_required_for_a_deposited_pdf(draft, member):
    draft.amount_ht = None
    draft.save()
    assert send_errors(draft, member.user)["amount_ht"] == ["Saisissez le montant HT."]


def test_the_vat_breakdown_must_add_up(draft, member):
    line = draft.vat_lines.get()
    line.base_ht = Decimal("999.00")
    line.vat_amount = Decimal("199.00")
    line.save()
    errors = send_errors(draft, member.user)["vat_lines"]
    assert any("somme des bases HT" in e for e in errors)
    assert any("somme des montants de TVA" in e for e in errors)


def test_a_vat_breakdown_is_required(draft, member):
    draft.vat_lines.all().delete()
    assert "récapitulatif de TVA" in send_errors(draft, member.user)["vat_lines"][0]


def test_zero_rate_needs_an_exemption_reason(draft, member):
    draft.amount_tva = Decimal("0.00")
    draft.amount_ttc = Decimal("1000.00")
    draft.save()
    draft.vat_lines.update(rate=Decimal("0.00"), vat_amount=Decimal("0.00"))
    assert "motif d'exonération" in send_errors(draft, member.user)["vat_lines"][0]
    draft.vat_lines.update(exemption_reason="Article 261 du CGI")
    assert_sends(draft, member.user)


def test_a_rate_outside_the_french_list_is_kept_with_a_warning_not_an_error(draft, member):
    """A deposited invoice keeps its rates as invoiced (issue 12: 7 % and 19 % became 20 %)."""
    line = draft.vat_lines.get()
    line.rate, line.vat_amount = Decimal("19.00"), (line.base_ht * Decimal("0.19")).quantize(Decimal("0.01"))
    line.save()
    draft.amount_tva = line.vat_amount
    draft.amount_ttc = draft.amount_ht + line.vat_amount
    draft.save()
    assert "vat_lines" not in services.send_errors(draft, member.user)
    assert services.foreign_rate_warnings(draft.vat_lines.all()) == [
        "Le taux de TVA de 19\u00a0% n'est pas un taux en vigueur en France : il est conservé tel que facturé. "
        "Vérifiez qu'il s'applique bien à cette facture."
    ]


def test_each_vat_line_is_checked_base_times_rate(draft, member):
    line = draft.vat_lines.get()
    line.rate = Decimal("19.60")
    line.save()
    assert send_errors(draft, member.user)["vat_lines"] == [
        f"TVA au taux de 19,6\u00a0% : le montant de TVA ({money(line.vat_amount)}) ne correspond pas à la base "
        f"({money(line.base_ht)}) × le taux, soit {money((line.base_ht * Decimal('0.196')).quantize(Decimal('0.01')))} "
        "(écart admis : 0,01\u00a0€)."
    ]


def test_a_deposited_invoice_needs_its_pdf(draft, member):
    draft.pdf = None
    draft.save()
    assert "PDF de la facture est manquant" in send_errors(draft, member.user)["pdf"][0]


# --- Totals and manual entry ----------------------------------------------------------------


def test_totals_round_half_up_per_line_and_vat_per_rate():
    lines = [
        {"quantity": Decimal("3"), "unit_price_ht": Decimal("33.335"), "vat_rate": "20", "exemption_reason": ""},
        {"quantity": Decimal("1"), "unit_price_ht": Decimal("0.125"), "vat_rate": "20", "exemption_reason": ""},
        {"quantity": Decimal("2"), "unit_price_ht": Decimal("10.05"), "vat_rate": "5.5", "exemption_reason": ""},
        {"quantity": Decimal("1"), "unit_price_ht": Decimal("50"), "vat_rate": "0", "exemption_reason": "Art. 261"},
    ]
    result = totals.compute_totals(lines)
    # 100.005 → 100.01 ; 0.125 → 0.13 ; base 20 % = 100.14 → VAT 20.028 → 20.03
    # 20.10 at 5.5 % → 1.1055 → 1.11 ; 50.00 at 0 %
    assert [(r.rate, r.base_ht, r.vat_amount) for r in result.by_rate] == [
        (Decimal("20.00"), Decimal("100.14"), Decimal("20.03")),
        (Decimal("5.50"), Decimal("20.10"), Decimal("1.11")),
        (Decimal("0.00"), Decimal("50.00"), Decimal("0.00")),
    ]
    assert result.by_rate[2].exemption_reason == "Art. 261"
    assert (result.ht, result.tva, result.ttc) == (Decimal("170.24"), Decimal("21.14"), Decimal("191.38"))


@pytest.fixture
def mandated(member):
    member.structure.mandate_accepted_at = timezone.now()
    member.structure.mandate_accepted_by = member.user
    member.structure.save()
    return member


def line(**kwargs):
    return {
        "designation": "Conseil",
        "quantity": Decimal("2"),
        "unit": "jour",
        "unit_price_ht": Decimal("450.00"),
        "vat_rate": Decimal("20"),
        "exemption_reason": "",
        **kwargs,
    }


def test_manual_entry_needs_the_mandate(member):
    with pytest.raises(ValidationError, match="mandat de facturation"):
        services.invoice_create(supplier=member.structure, user=member.user)


def test_manual_entry_computes_totals_on_the_server(mandated):
    recipient = StructureFactory(public=True)
    invoice = services.invoice_create(
        supplier=mandated.structure,
        user=mandated.user,
        recipient=recipient,
        number="S-1",
        invoice_date=timezone.localdate(),
        amount_ttc=Decimal("1.00"),  # ignored: typed invoices compute their amounts
        lines=[
            line(),
            line(
                designation="Déplacement", quantity=Decimal("1"), unit_price_ht=Decimal("99.99"), vat_rate=Decimal("10")
            ),
        ],
    )
    assert invoice.lines.count() == 2
    assert (invoice.amount_ht, invoice.amount_tva, invoice.amount_ttc) == (
        Decimal("999.99"),
        Decimal("190.00"),
        Decimal("1189.99"),
    )
    assert sorted(invoice.vat_lines.values_list("rate", "base_ht", "vat_amount")) == [
        (Decimal("10.00"), Decimal("99.99"), Decimal("10.00")),
        (Decimal("20.00"), Decimal("900.00"), Decimal("180.00")),
    ]
    sent = services.invoice_send(invoice=invoice, user=mandated.user)
    assert sent.pdf and sent.pdf_original_filename == "facture-S-1.pdf"
    with default_storage.open(sent.pdf.name, "rb") as handle:
        text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert "S-1" in text and "1 189,99" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert sent.identifier in text


def test_a_typed_invoice_needs_lines(mandated):
    invoice = services.invoice_create(
        supplier=mandated.structure,
        user=mandated.user,
        recipient=StructureFactory(public=True),
        number="S-2",
        invoice_date=timezone.localdate(),
    )
    assert "au moins une ligne" in send_errors(invoice, mandated.user)["lines"][0]


def test_a_zero_rate_line_needs_a_reason_at_sending(mandated):
    invoice = InvoiceFactory(supplier=mandated.structure, entry=True)
    InvoiceLineFactory(invoice=invoice, vat_rate=Decimal("0"))
    refresh_entry_totals(invoice)
    assert "motif d'exonération" in send_errors(invoice, mandated.user)["vat_lines"][0]


def test_invalid_lines_are_refused_at_saving(mandated):
    with pytest.raises(ValidationError) as info:
        services.invoice_create(supplier=mandated.structure, user=mandated.user, lines=[line(vat_rate=Decimal("19"))])
    assert "taux de TVA" in info.value.message_dict["lines"][0]


# --- Drafts ---------------------------------------------------------------------------------


def test_a_draft_keeps_whatever_is_there(draft, member):
    saved = services.invoice_save_draft(invoice=draft, user=member.user, number="", recipient=None, amount_ht=None)
    assert saved.number == "" and saved.recipient is None and saved.amount_ht is None


def test_a_draft_cannot_use_another_structures_bank_details(draft, member):
    with pytest.raises(ValidationError) as info:
        services.invoice_save_draft(invoice=draft, user=member.user, bank_account=BankAccountFactory())
    assert "bank_account" in info.value.message_dict


def test_changing_the_recipient_drops_the_previous_service(draft, member):
    draft.recipient_service = ServiceFactory(structure=draft.recipient)
    draft.save()
    saved = services.invoice_save_draft(invoice=draft, user=member.user, recipient=StructureFactory(public=True))
    assert saved.recipient_service is None


def test_a_sent_invoice_is_not_editable_nor_deletable(draft, member):
    assert_sends(draft, member.user)
    with pytest.raises(ValidationError, match="n'est plus modifiable"):
        services.invoice_save_draft(invoice=draft, user=member.user, number="X")
    with pytest.raises(ValidationError, match="n'est plus modifiable"):
        services.invoice_delete(invoice=draft, user=member.user)


def test_deleting_a_draft_deletes_its_files(draft, member, django_capture_on_commit_callbacks):
    attachment = InvoiceAttachmentFactory(invoice=draft)
    names = [draft.pdf.name, attachment.file.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_delete(invoice=draft, user=member.user)
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert not any(default_storage.exists(n) for n in names)


def test_a_stranger_cannot_edit_a_draft(draft):
    with pytest.raises(PermissionDenied):
        services.invoice_save_draft(invoice=draft, user=MembershipFactory().user, number="X")


# --- Deposit --------------------------------------------------------------------------------


def upload(data: bytes, name="facture.pdf"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_deposit_creates_a_prefilled_draft_from_the_text(member):
    recipient = StructureFactory(public=True)
    invoice = services.invoice_deposit(
        supplier=member.structure,
        user=member.user,
        file=upload(
            pdfs.invoice_text_pdf(supplier_siret=member.structure.identifier, recipient_siret=recipient.identifier),
            name="../../ma facture été\n.pdf",
        ),
    )
    assert invoice.status == Status.BROUILLON
    assert invoice.deposit_mode == "DEPOT_PDF_PORTAIL"
    assert invoice.recipient == recipient
    assert invoice.number == "F-2026-001"
    assert invoice.amount_ttc == Decimal("1200.00")
    assert invoice.pdf_original_filename == "ma facture été.pdf"
    assert invoice.pdf.name.startswith("factures/") and "facture" not in invoice.pdf.name.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("data", "signed", "words"),
    [
        (b"pas un pdf", False, "n'est pas un PDF"),
        (pdfs.PNG_BYTES, False, "n'est pas un PDF"),
        (pdfs.truncated_pdf(), False, "endommagé"),
        (pdfs.encrypted_pdf(), False, "mot de passe"),
        (b"", False, "vide"),
        (pdfs.text_pdf(), True, "aucune signature"),
    ],
)
def test_deposit_refuses_bad_files(member, data, signed, words):
    with pytest.raises(ValidationError) as info:
        services.invoice_deposit(supplier=member.structure, user=member.user, file=upload(data), signed=signed)
    assert words in info.value.message_dict["file"][0]
    assert not Invoice.objects.exists()


def test_deposit_of_a_signed_pdf(member):
    invoice = services.invoice_deposit(
        supplier=member.structure, user=member.user, file=upload(pdfs.signed_pdf()), signed=True
    )
    assert invoice.deposit_mode == "DEPOT_PDF_SIGNE_PORTAIL"


def test_deposit_over_the_size_limit(member, settings):
    settings.INVOICE_MAX_PDF_SIZE = 500
    with pytest.raises(ValidationError, match="taille maximale"):
        services.invoice_deposit(supplier=member.structure, user=member.user, file=upload(pdfs.text_pdf()))


@pytest.mark.django_db(transaction=True)
def test_the_deposit_checks_reads_and_writes_in_one_transaction(monkeypatch):
    """Called outside any transaction (a command, the API), the deposit still runs its checks, the
    directory reads of the pre-fill and the writing of the draft in one transaction."""
    member = MembershipFactory()
    recipient = StructureFactory(public=True)
    in_transaction = []
    public_recipient = selectors.public_recipient

    def spy(siret):
        in_transaction.append(transaction.get_connection().in_atomic_block)
        return public_recipient(siret)

    monkeypatch.setattr(selectors, "public_recipient", spy)
    invoice = services.invoice_deposit(
        supplier=member.structure,
        user=member.user,
        file=upload(
            pdfs.invoice_text_pdf(supplier_siret=member.structure.identifier, recipient_siret=recipient.identifier)
        ),
    )
    assert invoice.recipient == recipient
    assert in_transaction and all(in_transaction)


# --- Attachments ----------------------------------------------------------------------------


def test_attachments_are_checked(draft, member, settings):
    def add(*files):
        return services.invoice_add_attachments(invoice=draft, user=member.user, files=list(files))

    with pytest.raises(ValidationError) as info:
        add(SimpleUploadedFile("script.exe", b"MZ"))
    assert "n'est pas accepté" in info.value.message_dict["attachments"][0]
    with pytest.raises(ValidationError, match="est vide"):
        add(SimpleUploadedFile("vide.txt", b""))
    settings.INVOICE_MAX_ATTACHMENT_SIZE = 10
    with pytest.raises(ValidationError, match="au plus"):
        add(SimpleUploadedFile("gros.txt", b"x" * 11))
    settings.INVOICE_MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
    settings.INVOICE_MAX_TOTAL_SIZE = draft.pdf_size + 15
    with pytest.raises(ValidationError, match="total est limité"):
        add(SimpleUploadedFile("a.txt", b"x" * 10), SimpleUploadedFile("b.txt", b"x" * 10))
    assert not draft.attachments.exists()
    [attachment] = add(SimpleUploadedFile("Bon de livraison n°1 très long nom de fichier accepté.PDF", b"%PDF-1.4"))
    assert attachment.original_filename == "Bon de livraison n°1 très long nom de fichier accepté.PDF"
    assert attachment.size == 8
    assert attachment.file.name.startswith("pieces-jointes/") and attachment.file.name.endswith(".pdf")
