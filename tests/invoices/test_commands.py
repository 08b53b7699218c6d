"""Operator commands: invoices_transition, requeue_stuck_invoices, purge_drafts, export_invoices,
invoice_stats. Each: the happy path, the dry run writing nothing, the filters, French errors."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from invoices.models import Invoice, InvoiceAttachment, InvoiceEvent
from invoices.workflow import Status
from tests.accounts.factories import UserFactory
from tests.invoices.factories import InvoiceAttachmentFactory, InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

S = Status


@pytest.fixture(autouse=True)
def _motifs(motifs):
    """The seeded catalogue, even after a transactional test emptied the database."""
    return motifs


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def received(recipient, status=S.MISE_A_DISPOSITION, **kwargs) -> Invoice:
    return InvoiceFactory(sent=True, recipient=recipient, status=status, **kwargs)


def status_of(invoice) -> str:
    return Invoice.objects.values_list("status", flat=True).get(pk=invoice.pk)


@pytest.fixture
def ministry():
    return StructureFactory(public=True, name="Ministère Alpha")


@pytest.fixture
def other_ministry():
    return StructureFactory(public=True, name="Ministère Bêta")


# --- invoices_transition --------------------------------------------------------------------------


def test_transition_by_ids(ministry):
    first, second, untouched = received(ministry), received(ministry, status=S.COMPLETEE), received(ministry)
    out = run("invoices_transition", "prendre_en_compte", ids=f"{first.pk},{second.pk}")
    assert status_of(first) == status_of(second) == S.PRISE_EN_COMPTE_DESTINATAIRE
    assert status_of(untouched) == S.MISE_A_DISPOSITION
    event = InvoiceEvent.objects.get(invoice=first)
    assert (event.transition, event.actor_kind, event.user) == ("prendre_en_compte", "destinataire", None)
    assert "Lot 1 : 2 factures" in out
    assert "Traitées : 2" in out and "Refusées : 0" in out


def test_transition_by_filters_never_touches_drafts_nor_other_recipients(ministry, other_ministry):
    supplier = StructureFactory()
    mine = received(ministry, supplier=supplier)
    suspended = received(ministry, supplier=supplier, status=S.SUSPENDUE)
    elsewhere = received(other_ministry, supplier=supplier)
    draft = InvoiceFactory(recipient=ministry, supplier=supplier)
    run("invoices_transition", "service_fait", status="MISE_A_DISPOSITION", recipient=ministry.identifier)
    assert status_of(mine) == S.SERVICE_FAIT
    assert status_of(suspended) == S.SUSPENDUE and status_of(elsewhere) == S.MISE_A_DISPOSITION
    run("invoices_transition", "service_fait", supplier=supplier.identifier)
    assert status_of(elsewhere) == S.SERVICE_FAIT and status_of(draft) == S.BROUILLON


def test_transition_by_sent_dates(ministry):
    now = timezone.now()
    old = received(ministry, sent_at=now - timedelta(days=40))
    recent = received(ministry, sent_at=now - timedelta(days=2))
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    run("invoices_transition", "service_fait", sent_before=day)
    assert status_of(old) == S.SERVICE_FAIT and status_of(recent) == S.MISE_A_DISPOSITION
    run("invoices_transition", "comptabiliser", sent_after=day)
    assert status_of(recent) == S.COMPTABILISEE and status_of(old) == S.SERVICE_FAIT


def test_transition_summary_groups_refusals_and_already_applied(ministry):
    ok = received(ministry)
    rejected = [received(ministry, status=S.REJETEE) for _ in range(2)]
    paid = received(ministry, status=S.MISE_EN_PAIEMENT)
    out = run("invoices_transition", "mettre_en_paiement", recipient=ministry.identifier, batch_size="2")
    assert status_of(ok) == S.MISE_EN_PAIEMENT
    assert all(status_of(i) == S.REJETEE for i in rejected)
    assert "Lot 2 : 2 factures" in out
    assert "Traitées : 1" in out and "Déjà au statut cible : 1" in out and "Refusées : 2" in out
    assert "L'action « Mettre en paiement » est impossible au statut « Rejetée » : 2" in out
    assert rejected[0].identifier in out and rejected[1].identifier in out
    assert paid.identifier not in out  # already applied: counted, not a refusal
    assert "Ignorées car verrouillées par un autre traitement : 0" in out


def test_transition_dry_run_writes_nothing(ministry):
    invoice, paid = received(ministry), received(ministry, status=S.MISE_EN_PAIEMENT)
    out = run("invoices_transition", "service_fait", ids=f"{invoice.pk},{paid.pk}", dry_run=True)
    assert status_of(invoice) == S.MISE_A_DISPOSITION
    assert not InvoiceEvent.objects.exists()
    assert "simulation" in out and "Seraient traitées : 1" in out and "Refusées : 1" in out


def test_transition_async_enqueues_the_task(ministry, django_capture_on_commit_callbacks):
    invoice = received(ministry)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = run("invoices_transition", "service_fait", ids=str(invoice.pk), **{"async": True})
    assert len(callbacks) >= 1
    assert "Mises en file d'attente : 1" in out
    assert status_of(invoice) == S.SERVICE_FAIT  # eager in tests: the task ran after the commit


def test_transition_with_motif_comment_and_user(ministry):
    agent = UserFactory(email="agent@ministere.example")
    MembershipFactory(user=agent, structure=ministry)
    invoice = received(ministry)
    run(
        "invoices_transition",
        "suspendre",
        ids=str(invoice.pk),
        motif="JUSTIFICATIF_ABSENT",
        comment="Joindre le PV.",
        user="AGENT@ministere.example",
    )
    event = InvoiceEvent.objects.get(invoice=invoice)
    assert status_of(invoice) == S.SUSPENDUE
    assert (event.motif.code, event.comment, event.user) == ("JUSTIFICATIF_ABSENT", "Joindre le PV.", agent)


def test_transition_for_a_user_not_member_is_refused(ministry):
    stranger = UserFactory(email="autre@ministere.example")
    invoice = received(ministry)
    out = run("invoices_transition", "service_fait", ids=str(invoice.pk), user=stranger.email)
    assert status_of(invoice) == S.MISE_A_DISPOSITION
    assert "Refusées : 1" in out and "Vous n'êtes pas rattaché à la structure destinataire" in out


def test_mandate_and_recycle(ministry):
    invoice = received(ministry, status=S.SERVICE_FAIT)
    run("invoices_transition", "mandater", ids=str(invoice.pk), mandate_number="M-77")
    invoice.refresh_from_db()
    assert invoice.status == S.MANDATEE and invoice.mandate_number == "M-77"
    other = received(ministry)
    run("invoices_transition", "mettre_a_recycler", ids=str(other.pk), motif="SE_EJ_INCORRECT")
    assert status_of(other) == S.A_RECYCLER


def test_system_actor(ministry):
    routing = received(ministry, status=S.EN_COURS_ACHEMINEMENT)
    run("invoices_transition", "echec_acheminement", ids=str(routing.pk), actor="systeme", motif="SE_EJ_INCORRECT")
    assert status_of(routing) == S.A_RECYCLER
    assert InvoiceEvent.objects.get(invoice=routing).actor_kind == "systeme"


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["payer"], {"ids": "1"}, "Transition inconnue « payer »"),
        (["completer"], {"ids": "1"}, "n'est pas permise à l'acteur destinataire"),
        (["prendre_en_compte"], {"ids": "1", "actor": "systeme"}, "n'est pas permise à l'acteur systeme"),
        (["prendre_en_compte"], {"ids": "1", "actor": "fournisseur"}, "choisissez destinataire ou systeme"),
        (["prendre_en_compte"], {}, "Choisissez les factures"),
        (["prendre_en_compte"], {"ids": "1,x"}, "« x » n'est pas un identifiant de facture"),
        (["prendre_en_compte"], {"status": "PAYEE"}, "statut inconnu « PAYEE »"),
        (["prendre_en_compte"], {"status": "BROUILLON"}, "les brouillons ne sont pas concernés"),
        (["prendre_en_compte"], {"recipient": "00000000000000"}, "aucun destinataire public"),
        (["prendre_en_compte"], {"supplier": "00000000000000"}, "aucun fournisseur"),
        (["prendre_en_compte"], {"sent_after": "31/12/2026"}, "date invalide"),
        (
            ["prendre_en_compte"],
            {"sent_after": "2026-02-01", "sent_before": "2026-01-01"},
            "--sent-after est postérieure",
        ),
        (["prendre_en_compte"], {"ids": "1", "batch_size": "0"}, "--batch-size doit valoir au moins 1"),
        (["suspendre"], {"ids": "1"}, "--motif est obligatoire"),
        (["suspendre"], {"ids": "1", "motif": "INCONNU"}, "aucun motif actif de code « INCONNU »"),
        (["mettre_a_recycler"], {"ids": "1", "motif": "DOUBLE_FACTURATION"}, "ne permet pas de mettre une facture"),
        (["mandater"], {"ids": "1"}, "--mandate-number est obligatoire"),
        (["service_fait"], {"ids": "1", "user": "personne@nulle.part"}, "aucun utilisateur actif"),
    ],
)
def test_transition_bad_arguments(args, options, message):
    with pytest.raises(CommandError, match=message):
        run("invoices_transition", *args, **options)


def test_transition_without_match():
    out = run("invoices_transition", "service_fait", ids="999999")
    assert "Aucune facture ne correspond à la sélection." in out


# --- requeue_stuck_invoices --------------------------------------------------------------------------


def test_requeue_stuck_invoices(ministry):
    long_ago = timezone.now() - timedelta(minutes=30)
    stuck = received(ministry, status=S.DEPOSEE, status_changed_at=long_ago)
    fresh = received(ministry, status=S.DEPOSEE, status_changed_at=timezone.now())
    out = run("requeue_stuck_invoices", older_than="10", dry_run=True)
    assert "1 factures bloquées depuis plus de 10 minutes seraient remises en file" in out
    assert str(stuck.pk) in out and status_of(stuck) == S.DEPOSEE
    out = run("requeue_stuck_invoices", older_than="10")
    assert "1 factures remises en file d'acheminement." in out and f"Identifiants internes : {stuck.pk}" in out
    assert status_of(stuck) != S.DEPOSEE  # eager: the routing task ran
    assert status_of(fresh) == S.DEPOSEE
    assert "Aucune facture bloquée depuis plus de 60 minutes." in run("requeue_stuck_invoices", older_than="60")


@pytest.mark.parametrize("value", ["0", "-5", "dix"])
def test_requeue_bad_minutes(value):
    with pytest.raises(CommandError, match="--older-than"):
        run("requeue_stuck_invoices", older_than=value)


# --- purge_drafts -----------------------------------------------------------------------------------


def _age(invoice, days):
    Invoice.objects.filter(pk=invoice.pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_purge_drafts(ministry, django_capture_on_commit_callbacks):
    old = InvoiceFactory(recipient=ministry)
    attachment = InvoiceAttachmentFactory(invoice=old)
    recent = InvoiceFactory(recipient=ministry)
    sent = received(ministry)
    for invoice in (old, sent):
        _age(invoice, 200)
    storage = old.pdf.storage
    names = [old.pdf.name, attachment.file.name]
    assert all(storage.exists(name) for name in names)

    out = run("purge_drafts", older_than="180", dry_run=True)
    assert "1 brouillons non modifiés depuis 180 jours seraient supprimés" in out
    assert Invoice.objects.filter(pk=old.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        out = run("purge_drafts", older_than="180")
    assert "1 brouillons non modifiés depuis 180 jours supprimés (2 fichiers retirés du stockage)." in out
    assert not Invoice.objects.filter(pk=old.pk).exists()
    assert not InvoiceAttachment.objects.filter(pk=attachment.pk).exists()
    assert not any(storage.exists(name) for name in names)
    assert Invoice.objects.filter(pk__in=[recent.pk, sent.pk]).count() == 2
    assert storage.exists(sent.pdf.name)


@pytest.mark.parametrize(
    ("options", "message"),
    [({}, "--older-than est obligatoire"), ({"older_than": "0"}, "au moins 1"), ({"older_than": "x"}, "entier")],
)
def test_purge_drafts_bad_arguments(options, message):
    with pytest.raises(CommandError, match=message):
        run("purge_drafts", **options)


# --- export_invoices -------------------------------------------------------------------------------


@pytest.fixture
def exported(ministry):
    supplier = StructureFactory(name='=HYPERLINK("http://x")', identifier="73282932000074")
    service = ServiceFactory(structure=ministry, code="SE-01")
    invoice = received(
        ministry,
        supplier=supplier,
        recipient_service=service,
        number="F-2026-1",
        engagement_number="EJ-42",
        amount_ht=Decimal("1234.56"),
        amount_tva=Decimal("246.91"),
        amount_ttc=Decimal("1481.47"),
        status=S.SUSPENDUE,
    )
    paid = received(ministry, status=S.MISE_EN_PAIEMENT)
    InvoiceFactory(recipient=ministry, number="BROUILLON-X")
    return {"invoice": invoice, "paid": paid, "supplier": supplier}


def test_export_to_a_file(exported, ministry, tmp_path):
    path = tmp_path / "factures.csv"
    out = run("export_invoices", output=str(path))
    assert f"2 factures exportées dans {path}." in out
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Identifiant",
        "Numéro",
        "Date",
        "Type",
        "Cadre",
        "SIRET fournisseur",
        "Fournisseur",
        "SIRET destinataire",
        "Destinataire",
        "Code service",
        "EJ",
        "Montant HT",
        "Montant TVA",
        "Montant TTC",
        "Statut",
        "Code cycle de vie",
        "Déposée le",
    ]
    assert len(rows) == 3 and "BROUILLON-X" not in raw.decode()
    invoice = exported["invoice"]
    row = next(r for r in rows if r[0] == invoice.identifier)
    assert row[1:5] == ["F-2026-1", invoice.invoice_date.strftime("%d/%m/%Y"), "Facture", "A1"]
    assert row[5:7] == ["73282932000074", '\'=HYPERLINK("http://x")']  # never a formula in Excel
    assert row[7:11] == [ministry.identifier, "Ministère Alpha", "SE-01", "EJ-42"]
    assert row[11:16] == ["1234,56", "246,91", "1481,47", "Suspendue", "208"]
    assert row[16] == timezone.localtime(invoice.sent_at).strftime("%d/%m/%Y %H:%M:%S")
    assert b"\r\n" in raw


def test_export_to_stdout_with_filters(exported):
    out = run("export_invoices", status="MISE_EN_PAIEMENT")
    assert out.startswith("\ufeffIdentifiant;Numéro;")
    assert exported["paid"].identifier in out and exported["invoice"].identifier not in out
    assert "Mise en paiement;212" in out
    out = run("export_invoices", supplier=exported["supplier"].identifier)
    assert exported["invoice"].identifier in out and exported["paid"].identifier not in out


def test_export_streams_in_constant_queries(ministry, tmp_path, django_assert_max_num_queries):
    for _ in range(25):
        received(ministry)
    with django_assert_max_num_queries(2):
        run("export_invoices", output=str(tmp_path / "x.csv"))
    assert len((tmp_path / "x.csv").read_text(encoding="utf-8-sig").splitlines()) == 26


def test_export_bad_arguments(tmp_path):
    with pytest.raises(CommandError, match="impossible d'écrire"):
        run("export_invoices", output=str(tmp_path / "absent" / "x.csv"))
    with pytest.raises(CommandError, match="date invalide"):
        run("export_invoices", sent_before="hier")


# --- invoice_stats -------------------------------------------------------------------------------------


def test_stats_per_status_and_recipient(ministry, other_ministry, django_assert_max_num_queries):
    for _ in range(2):
        received(ministry, amount_ttc=Decimal("1200.00"))
    received(ministry, status=S.MISE_EN_PAIEMENT, amount_ttc=Decimal("500.50"))
    received(other_ministry, status=S.MISE_EN_PAIEMENT, amount_ttc=Decimal("1000000.00"))
    InvoiceFactory(recipient=ministry, amount_ttc=Decimal("999.00"))  # a draft: not counted
    with django_assert_max_num_queries(4):
        out = run("invoice_stats")
    lines = out.splitlines()
    assert lines[0] == "Factures par statut"
    assert any(
        line.split() == ["Mise", "à", "disposition", "du", "destinataire", "203", "2", "2", "400,00"] for line in lines
    )
    assert any(line.split() == ["Mise", "en", "paiement", "212", "2", "1", "000", "500,50"] for line in lines)
    assert any(line.split() == ["Total", "4", "1", "002", "900,50"] for line in lines)
    assert any(ministry.identifier in line and line.split()[-3:] == ["3", "2", "900,50"] for line in lines)
    assert any(other_ministry.identifier in line and line.split()[-4:] == ["1", "1", "000", "000,00"] for line in lines)
    # Aligned: the amounts of the status table end in the same column.
    table = lines[1 : lines.index("")]
    assert len({len(line) for line in table if line.strip() and not line.startswith("-")}) == 1

    out = run("invoice_stats", recipient=other_ministry.identifier)
    assert ministry.identifier not in out and "Total" in out
    out = run("invoice_stats", top="1")
    assert "Factures par destinataire (1 premiers sur 2, par nombre)" in out
    assert other_ministry.identifier not in out
    assert run("invoice_stats", status="SUSPENDUE").strip() == "Aucune facture ne correspond aux filtres."


def test_stats_bad_arguments():
    with pytest.raises(CommandError, match="--top doit valoir au moins 1"):
        run("invoice_stats", top="0")
    with pytest.raises(CommandError, match="statut inconnu"):
        run("invoice_stats", status="X")


@pytest.mark.services
def test_transition_skips_rows_locked_by_another_process(requires_postgres, transactional_db, ministry):
    """SELECT … FOR UPDATE SKIP LOCKED: an invoice another transaction holds is counted, not waited for."""
    import threading

    from django.db import connection, transaction

    locked, free = received(ministry), received(ministry)
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        out = run("invoices_transition", "service_fait", ids=f"{locked.pk},{free.pk}")
    finally:
        release.set()
        thread.join()
    assert status_of(free) == S.SERVICE_FAIT and status_of(locked) == S.MISE_A_DISPOSITION
    assert "1 traitées, 0 déjà au statut cible, 0 refusées, 1 verrouillées (ignorées)." in out
    assert "Ignorées car verrouillées par un autre traitement : 1" in out
