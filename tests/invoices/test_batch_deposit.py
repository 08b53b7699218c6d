"""Batch deposit of a zip (services.batch): each file through the single deposit's services, one
report line per file with its outcome and French message, nothing half-imported, a resumable and
idempotent processing, the archive refused as a whole when it breaks a limit."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from chorus import formats
from invoices import services, tasks
from invoices.models import BatchItemState, DepositBatch, DepositBatchState, Invoice
from invoices.samples import generated_facturx_pdf, generated_xml, invoice_text_pdf, structured_data
from invoices.services import batch as batch_service
from invoices.workflow import Status
from tests.invoices.zips import make_zip
from tests.structures.factories import (
    BankAccountFactory,
    MembershipFactory,
    ServiceFactory,
    StructureFactory,
    make_siret,
)

SELLER = "73282932000074"
BUYER = "11000201100044"
NEEDS_SERVICE = make_siret(4242)
S = BatchItemState


@pytest.fixture
def member(db):
    membership = MembershipFactory(structure=StructureFactory(identifier=SELLER, name="Entreprise Exemple SAS"))
    BankAccountFactory(structure=membership.structure)
    return membership


@pytest.fixture
def recipients(db):
    ministry = StructureFactory(public=True, identifier=BUYER, name="Ministère de l'exemple")
    prefecture = StructureFactory(public=True, identifier=NEEDS_SERVICE, name="Préfecture", service_required=True)
    ServiceFactory(structure=prefecture, code="SE011")
    return ministry, prefecture


@pytest.fixture
def small_limits(settings):
    settings.INVOICE_MAX_PDF_SIZE = 512 * 1024


def upload(data: bytes, name="factures.zip"):
    return SimpleUploadedFile(name, data, content_type="application/zip")


def create(member, data: bytes, **kwargs) -> DepositBatch:
    return services.deposit_batch_create(supplier=member.structure, user=member.user, file=upload(data), **kwargs)


def prefecture_xml(number: str) -> bytes:
    buyer = {"name": "Préfecture", "legal_identifier": NEEDS_SERVICE, "legal_identifier_schemeid": "0009"}
    return generated_xml(structured_data(number=number, buyer={**buyer, "country_code": "FR"}))


def mixed_zip() -> bytes:
    return make_zip(
        [
            ("factures/", None),
            ("factures/pdf-texte.pdf", invoice_text_pdf(number="PDF-1", supplier_siret=SELLER, recipient_siret=BUYER)),
            ("factures/facturx.pdf", generated_facturx_pdf(number="FX-1")),
            ("factures/ubl.xml", generated_xml(number="UBL-1", syntax="ubl")),
            ("factures/cii.xml", generated_xml(number="CII-1")),
            ("factures/casse.xml", b"<?xml version='1.0'?><Invoice><pas fini"),
            ("factures/notes.txt", b"A relire avant envoi"),
            ("factures/2026/janvier/cii-2.xml", generated_xml(number="CII-2")),
            ("factures/doublon.xml", generated_xml(number="CII-1", lines=[("Autre", "2", "10.00", "20.00")])),
            ("factures/prefecture.xml", prefecture_xml("PREF-1")),
            ("../../etc/evasion.xml", generated_xml(number="EVASION-1")),
            ("bombe.pdf", b"\0" * (5 * 1024 * 1024)),
            ("bombe-cachee.pdf", b"%PDF-" + b"\0" * (5 * 1024 * 1024)),
            ("__MACOSX/factures/._facturx.pdf", b"\0\5\26\7 metadata"),
            ("factures/.DS_Store", b"\0\0\0\1Bud1"),
        ],
        lying={"bombe-cachee.pdf": 2000},
    )


def test_a_zip_with_mixed_files_gives_one_line_per_file(member, recipients, small_limits):
    batch = create(member, mixed_zip())
    assert (batch.state, batch.total, batch.ignored_count) == (DepositBatchState.PENDING, 12, 2)
    result = services.deposit_batch_process(batch_id=batch.pk)
    batch.refresh_from_db()
    assert result == {
        "ok": True,
        "state": "TERMINE",
        "processed": 12,
        "total": 12,
        "sent": 4,
        "drafts": 2,
        "refused": 6,
    }
    lines = {item.name: item for item in batch.items.select_related("invoice")}
    assert list(lines) == [
        "factures/pdf-texte.pdf",
        "factures/facturx.pdf",
        "factures/ubl.xml",
        "factures/cii.xml",
        "factures/casse.xml",
        "factures/notes.txt",
        "factures/2026/janvier/cii-2.xml",
        "factures/doublon.xml",
        "factures/prefecture.xml",
        "../../etc/evasion.xml",
        "bombe.pdf",
        "bombe-cachee.pdf",
        "__MACOSX/factures/._facturx.pdf",
        "factures/.DS_Store",
    ]

    def line(name):
        item = lines[name]
        return item.state, item.message

    # A text PDF: a draft to complete, pre-filled (as a single PDF deposit).
    pdf = lines["factures/pdf-texte.pdf"]
    assert pdf.state == S.DRAFT and pdf.invoice.status == Status.BROUILLON and pdf.invoice.number == "PDF-1"
    assert pdf.message == (
        f"Brouillon n° {pdf.invoice.pk} : des valeurs lues dans le PDF sont proposées ; vérifiez-les, complétez la "
        "facture et envoyez-la."
    )
    # Complete structured invoices: sent, with their identifier.
    for name, number in [
        ("factures/facturx.pdf", "FX-1"),
        ("factures/ubl.xml", "UBL-1"),
        ("factures/cii.xml", "CII-1"),
        ("factures/2026/janvier/cii-2.xml", "CII-2"),
    ]:
        item = lines[name]
        assert item.state == S.SENT, (name, item.message)
        assert item.invoice.number == number and item.invoice.status != Status.BROUILLON
        assert item.message == f"Facture n° {number} déposée sous l'identifiant {item.invoice.identifier}."
    assert lines["factures/ubl.xml"].invoice.source_syntax == "UBL"
    assert lines["factures/facturx.pdf"].invoice.source_syntax == "FACTURX"
    # A structured invoice whose recipient needs a code service the XML lacks: a draft, with why.
    prefecture = lines["factures/prefecture.xml"]
    assert prefecture.state == S.DRAFT and prefecture.invoice.status == Status.BROUILLON
    assert prefecture.message == (
        f"Brouillon n° {prefecture.invoice.pk} à compléter avant l'envoi : Le destinataire Préfecture exige un code "
        "service : choisissez le service destinataire."
    )
    # Refused files, each with its French reason.
    assert line("factures/casse.xml") == (
        S.REFUSED,
        "Le fichier XML de la facture n'est pas un XML bien formé : le portail ne peut pas le lire.",
    )
    assert line("factures/notes.txt") == (
        S.REFUSED,
        "Type de fichier non accepté (.txt) : une archive de factures contient des PDF (Factur-X ou non) et des "
        "fichiers XML (UBL 2.1, UN/CEFACT CII).",
    )
    state, message = line("factures/doublon.xml")
    assert state == S.REFUSED
    assert message.startswith("Doublon : votre structure a déjà envoyé une facture n° CII-1 datée de 2026")
    assert line("../../etc/evasion.xml") == (
        S.REFUSED,
        "Chemin refusé : « ../../etc/evasion.xml » sort de l'archive (chemin absolu ou « .. »). Le fichier n'est "
        "pas lu ; refaites l'archive à partir d'un dossier.",
    )
    assert line("bombe.pdf") == (
        S.REFUSED,
        "Le fichier pèse 5\u00a0Mo une fois décompressé : la taille maximale d'une facture est de 512\u00a0Ko.",
    )
    assert line("bombe-cachee.pdf") == (
        S.REFUSED,
        "Fichier illisible dans l'archive (données abîmées, taille annoncée fausse ou compression non prise en "
        "charge) : il n'est pas lu.",
    )
    assert line("__MACOSX/factures/._facturx.pdf") == (
        S.IGNORED,
        "Ignoré : métadonnées ajoutées par macOS (dossier __MACOSX).",
    )
    assert line("factures/.DS_Store") == (S.IGNORED, "Ignoré : fichier ou dossier caché.")
    # Nothing half-imported: the invoices are exactly those of the accepted lines.
    accepted = {item.invoice_id for item in lines.values() if item.state in (S.SENT, S.DRAFT)}
    assert set(Invoice.objects.values_list("pk", flat=True)) == accepted
    assert Invoice.objects.filter(number="CII-1").count() == 1
    assert not any(item.invoice_id for item in lines.values() if item.state in (S.REFUSED, S.IGNORED))


def test_a_refused_structured_file_leaves_no_stored_file(member, recipients, django_capture_on_commit_callbacks):
    batch = create(member, make_zip([("a.xml", generated_xml(number="A-1")), ("b.xml", generated_xml(number="A-1"))]))
    storage = Invoice._meta.get_field("pdf").storage
    before = _all_stored(storage)
    with django_capture_on_commit_callbacks(execute=True):
        services.deposit_batch_process(batch_id=batch.pk)
    sent = Invoice.objects.get()
    assert [i.state for i in batch.items.order_by("position")] == [S.SENT, S.REFUSED]
    assert _all_stored(storage) - before == {sent.pdf.name, sent.source_xml.name}


def _all_stored(storage) -> set[str]:
    return {name for folder in ("factures", "factures-xml") for name in _stored(storage, folder)}


def _stored(storage, folder):
    if not storage.exists(folder):
        return
    directories, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored(storage, f"{folder}/{directory}")


def test_processing_resumes_after_an_interruption_without_duplicating(member, recipients, monkeypatch):
    """The database fails in the middle of the third file (as when the worker's connection dies):
    the first two files are done with their invoices, the third rolls back and stays pending; the
    next run goes on from there and deposits each file once."""
    batch = create(member, make_zip([(f"f{n}.xml", generated_xml(number=f"R-{n}")) for n in range(1, 6)]))
    real = batch_service.invoice_deposit
    calls = []

    def failing_on_the_third(**kwargs):
        calls.append(kwargs["file"].name)
        if len(calls) == 3:
            real(**kwargs)  # its writes are rolled back with the failure
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(batch_service, "invoice_deposit", failing_on_the_third)
    with pytest.raises(OperationalError):
        services.deposit_batch_process(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.processed_count, batch.sent_count) == (DepositBatchState.RUNNING, 2, 2)
    assert [i.state for i in batch.items.order_by("position")] == [S.SENT, S.SENT] + [S.PENDING] * 3
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["R-1", "R-2"]

    result = services.deposit_batch_process(batch_id=batch.pk)  # the retry
    assert calls == ["f1.xml", "f2.xml", "f3.xml", "f3.xml", "f4.xml", "f5.xml"]
    assert (result["state"], result["processed"], result["sent"]) == ("TERMINE", 5, 5)
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["R-1", "R-2", "R-3", "R-4", "R-5"]
    batch.refresh_from_db()
    assert batch.attempts == 2
    # A third delivery of the same task does nothing.
    assert services.deposit_batch_process(batch_id=batch.pk)["processed"] == 5
    assert Invoice.objects.count() == 5


def test_a_file_that_breaks_a_reader_is_refused_and_the_batch_goes_on(member, recipients, monkeypatch):
    batch = create(member, make_zip([("a.xml", generated_xml(number="E-1")), ("b.xml", generated_xml(number="E-2"))]))
    real = batch_service.invoice_deposit

    def broken_on_a(**kwargs):
        if kwargs["file"].name == "a.xml":
            raise KeyError("BT-1")
        return real(**kwargs)

    monkeypatch.setattr(batch_service, "invoice_deposit", broken_on_a)
    services.deposit_batch_process(batch_id=batch.pk)
    items = list(batch.items.order_by("position"))
    assert [(i.state, i.message) for i in items] == [
        (S.REFUSED, "Le portail n'a pas pu lire ce fichier (erreur inattendue, signalée à l'exploitation)."),
        (S.SENT, f"Facture n° E-2 déposée sous l'identifiant {items[1].invoice.identifier}."),
    ]


def test_the_task_runs_once_the_upload_commits(member, recipients, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = create(member, make_zip([("a.xml", generated_xml(number="T-1"))]), cadre="A2")
    assert callbacks  # the processing is enqueued after the commit (run in process here)
    batch.refresh_from_db()
    assert (batch.state, batch.sent_count) == (DepositBatchState.DONE, 1)
    assert batch.started_at and batch.finished_at
    assert Invoice.objects.get().cadre == "A1"  # the XML's (BT-23 absent: A1), not the batch's


def test_the_zip_is_deleted_once_the_batch_is_done(member, recipients, django_capture_on_commit_callbacks):
    batch = create(member, make_zip([("a.xml", generated_xml(number="Z-1")), ("b.pdf", invoice_text_pdf())]))
    stored, storage = batch.archive.name, batch.archive.storage
    assert storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.process_deposit_batch(batch.pk)
    assert storage.exists(stored)  # not before the commit
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.state == DepositBatchState.DONE and not batch.archive and not storage.exists(stored)
    # The report stands without it; processing the batch again changes nothing.
    assert batch.items.count() == 2 and Invoice.objects.count() == 2
    assert services.deposit_batch_process(batch_id=batch.pk)["state"] == "TERMINE"
    assert Invoice.objects.count() == 2


def test_the_batch_cadre_applies_to_pdfs(member, recipients):
    batch = create(member, make_zip([("a.pdf", invoice_text_pdf())]), cadre="A9")
    tasks.process_deposit_batch(batch.pk)
    assert Invoice.objects.get().cadre == "A9"


def test_the_sweeper_hands_an_idle_batch_to_a_worker_again(member, recipients, settings):
    batch = create(member, make_zip([("a.xml", generated_xml(number="S-1")), ("b.pdf", invoice_text_pdf())]))
    fresh = create(member, make_zip([("c.xml", generated_xml(number="S-2"))]))
    long_ago = timezone.now() - timedelta(minutes=settings.INVOICE_BATCH_SWEEP_AFTER_MINUTES + 1)
    DepositBatch.objects.filter(pk=batch.pk).update(state=DepositBatchState.RUNNING, updated_at=long_ago)
    assert list(services.deposit_batches_stuck(older_than_minutes=5)) == [batch]
    assert tasks.sweep_deposit_batches() == {"requeued": 1}  # run in process here
    batch.refresh_from_db()
    fresh.refresh_from_db()
    assert (batch.state, batch.sent_count, batch.draft_count) == (DepositBatchState.DONE, 1, 1)
    assert fresh.state == DepositBatchState.PENDING  # not idle: left to its own task
    assert tasks.sweep_deposit_batches() == {"requeued": 0}


# --- The archive as a whole --------------------------------------------------------------------


def refusal(member, data: bytes, name="factures.zip") -> str:
    with pytest.raises(ValidationError) as info:
        services.deposit_batch_create(supplier=member.structure, user=member.user, file=upload(data, name))
    assert DepositBatch.objects.count() == 0
    return info.value.message_dict["file"][0]


def test_an_archive_that_is_not_a_zip_is_refused(member):
    assert refusal(member, invoice_text_pdf(), "facture.pdf") == (
        "Ce fichier n'est pas une archive zip lisible : déposez un fichier .zip (dossier compressé)."
    )


def test_an_archive_without_invoice_files_is_refused(member):
    data = make_zip([("__MACOSX/._a.pdf", b"x"), ("vide/", None)])
    assert refusal(member, data) == (
        "L'archive ne contient aucun fichier de facture : ajoutez-y vos PDF ou fichiers XML."
    )


def test_too_many_files_are_refused(member, settings):
    settings.INVOICE_BATCH_MAX_FILES = 3
    data = make_zip([(f"f{n}.pdf", b"%PDF-") for n in range(4)] + [("__MACOSX/._f1.pdf", b"x")])
    assert refusal(member, data) == (
        "L'archive contient 4 fichiers : 3 au plus par dépôt. Déposez-la en plusieurs archives."
    )
    settings.INVOICE_BATCH_MAX_FILES = 4  # the ignored files do not count
    assert create(member, data).total == 4


def test_too_many_entries_are_refused(member, settings):
    settings.INVOICE_BATCH_MAX_ENTRIES = 3
    data = make_zip([("a/", None), ("a/b/", None), ("a/b/c/", None), ("a/b/c/f.pdf", b"%PDF-")])
    assert refusal(member, data) == "L'archive contient 4 éléments : 3 au plus (fichiers et dossiers)."


def test_a_zip_bomb_is_refused_on_its_declared_size(member, settings):
    settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE = 8 * 1024 * 1024
    data = make_zip([("a.pdf", b"\0" * (5 * 1024 * 1024)), ("b.pdf", b"\0" * (5 * 1024 * 1024))])
    assert len(data) < 50_000
    assert refusal(member, data) == (
        "Une fois décompressée, l'archive ferait 10\u00a0Mo : la taille maximale est de 8\u00a0Mo. Déposez-la en "
        "plusieurs archives."
    )


def test_the_real_uncompressed_total_is_bounded_too(member, recipients, settings):
    """Headers that understate the sizes pass the upload's check; the reads stop at the budget."""
    first, second = generated_xml(number="B-1"), generated_xml(number="B-2")
    settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE = len(first) + len(second) + 100
    data = make_zip(
        [("a.xml", first), ("b.xml", second), ("c.xml", b"<x/>" * 20_000), ("d.xml", generated_xml(number="B-4"))],
        lying={"c.xml": 10, "d.xml": 10},
    )
    batch = create(member, data)
    services.deposit_batch_process(batch_id=batch.pk)
    items = list(batch.items.order_by("position"))
    assert [i.state for i in items] == [S.SENT, S.SENT, S.REFUSED, S.REFUSED]
    assert items[2].message.startswith("Fichier illisible dans l'archive")
    limit = formats.filesize(settings.INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE)
    assert items[3].message == f"L'archive dépasse {limit} une fois décompressée : ce fichier n'est pas lu."


def test_an_archive_over_the_upload_limit_is_refused(member, settings):
    settings.INVOICE_BATCH_MAX_ZIP_SIZE = 1024
    data = make_zip([("a.pdf", invoice_text_pdf()), ("b.xml", generated_xml())])
    assert len(data) > 1024
    assert refusal(member, data).startswith("L'archive pèse ")
    assert "la taille maximale est de 1\u00a0Ko" in refusal(member, data)


def test_an_encrypted_entry_is_refused(member, recipients):
    data = bytearray(make_zip([("a.pdf", invoice_text_pdf())]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.infolist()[0].flag_bits & 1 == 0
    # Set the "encrypted" flag bit in the local and central headers.
    data[6] |= 1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1
    batch = create(member, bytes(data))
    services.deposit_batch_process(batch_id=batch.pk)
    assert batch.items.get().message == (
        "Fichier chiffré (protégé par un mot de passe) : déposez une archive sans mot de passe."
    )


def test_a_lost_archive_refuses_its_pending_files_instead_of_looping(member, recipients):
    batch = create(member, make_zip([("a.xml", generated_xml(number="L-1")), ("b.pdf", invoice_text_pdf())]))
    batch.archive.storage.delete(batch.archive.name)
    result = services.deposit_batch_process(batch_id=batch.pk)
    assert (result["state"], result["processed"], result["refused"]) == ("TERMINE", 2, 2)
    assert set(batch.items.values_list("message", flat=True)) == {
        "L'archive enregistrée est introuvable : déposez-la de nouveau."
    }
