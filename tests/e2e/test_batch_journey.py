"""A supplier deposits a zip of invoices: the upload page, the batch page with its progress bar and
status (refreshed by the page's script while a worker processes the batch), the per-file report
with its links, and the CSV download."""

import re

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError
from playwright.sync_api import expect

from invoices import tasks
from invoices.models import DepositBatch, Invoice
from invoices.samples import generated_facturx_pdf, generated_xml, invoice_text_pdf
from tests.e2e.test_invoice_journeys import login
from tests.invoices.zips import make_zip
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELLER = "73282932000074"


@pytest.fixture
def supplier():
    membership = MembershipFactory(
        manager=True, structure=StructureFactory(name="Librairie Exemple SAS", identifier=SELLER)
    )
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, name="Ministère de l'exemple", identifier="11000201100044")
    return membership


def archive(tmp_path, name="factures-janvier.zip", prefix="J"):
    path = tmp_path / name
    path.write_bytes(
        make_zip(
            [
                ("janvier/", None),
                ("janvier/facturx.pdf", generated_facturx_pdf(number=f"{prefix}-FX-1")),
                ("janvier/commune.xml", generated_xml(number=f"{prefix}-UBL-1", syntax="ubl")),
                ("janvier/scan.pdf", invoice_text_pdf(number=f"{prefix}-PDF-1")),
                ("janvier/lisez-moi.txt", b"Factures de janvier"),
                ("__MACOSX/janvier/._facturx.pdf", b"\0\5\26\7"),
            ]
        )
    )
    return path


def test_deposit_a_zip_and_read_its_report(page, supplier, tmp_path, check_page):
    login(page, supplier.user)
    page.goto("/factures/deposer/")
    page.get_by_role("link", name="Déposer une archive zip (dépôt par lot)").click()
    expect(page.get_by_role("heading", name="Déposer des factures par lot")).to_be_visible()
    check_page(page, "depot-lot-formulaire")

    page.get_by_label("Archive zip des factures").set_input_files(str(archive(tmp_path)))
    page.get_by_role("button", name="Déposer l'archive").click()  # processed in process here

    expect(page.get_by_role("heading", name=re.compile(r"Dépôt par lot n° \d+"))).to_be_visible()
    expect(page.locator("#batch-status")).to_have_text(
        "Traitement terminé : 2 déposée(s), 1 brouillon(s) à compléter, 1 refusé(s)."
    )
    expect(page.locator("#batch-progress")).to_have_attribute("value", "4")
    report = page.get_by_role("table", name="Résultat de chaque fichier de l'archive, dans son ordre")
    sent = Invoice.objects.get(number="J-FX-1")
    draft = Invoice.objects.get(number="J-PDF-1")
    expect(report.get_by_role("row")).to_have_count(6)  # header, 4 files, the ignored one
    expect(report.get_by_role("link", name=sent.identifier)).to_be_visible()
    expect(report).to_contain_text("Type de fichier non accepté (.txt)")
    expect(report).to_contain_text("Ignoré : métadonnées ajoutées par macOS")
    check_page(page, "depot-lot-rapport")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le rapport (CSV)").click()
    assert download.value.suggested_filename.startswith("depot-lot-")
    assert "J-UBL-1" in download.value.path().read_text(encoding="utf-8-sig")

    report.get_by_role("link", name=f"Brouillon n° {draft.pk}").click()
    expect(page).to_have_url(re.compile(rf"/factures/{draft.pk}/modifier/$"))


def test_the_batch_page_follows_the_worker(page, supplier, tmp_path, check_page, monkeypatch):
    """The broker is down when the zip is uploaded: the batch is kept, waiting (0 / 4); once a
    worker processes it (here the test, as the sweeper would hand it over), the page's script moves
    the bar, says it is done and swaps in the report, without reloading the page."""

    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_deposit_batch, "apply_async", broker_down)
    login(page, supplier.user)
    page.goto("/factures/deposer/lot/")
    page.get_by_label("Archive zip des factures").set_input_files(str(archive(tmp_path, prefix="W")))
    page.get_by_role("button", name="Déposer l'archive").click()
    expect(page.locator("#batch-status")).to_have_text("En attente de traitement : 4 fichier(s) à déposer.")
    expect(page.locator("#batch-count")).to_have_text("0 / 4")
    expect(page.get_by_role("link", name="Actualiser")).to_be_visible()
    page.evaluate("() => { window.notReloaded = true; }")
    check_page(page, "depot-lot-en-attente")

    monkeypatch.undo()
    batch = DepositBatch.objects.get()
    assert batch.state == "EN_ATTENTE"
    tasks.process_deposit_batch(batch.pk)  # the worker
    expect(page.locator("#batch-status")).to_have_text(
        "Traitement terminé : 2 déposée(s), 1 brouillon(s) à compléter, 1 refusé(s).", timeout=20_000
    )
    expect(page.locator("#batch-count")).to_have_text("4 / 4")
    expect(page.get_by_role("link", name="Actualiser")).to_have_count(0)
    report = page.get_by_role("table", name="Résultat de chaque fichier de l'archive, dans son ordre")
    expect(report.get_by_role("link", name=Invoice.objects.get(number="W-UBL-1").identifier)).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is True
