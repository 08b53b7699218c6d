"""The batch deposit pages: upload, progress (page and JSON), per-file report and its CSV, the
structure's list of batches, and the access rule (another structure gets a 404)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices import services
from invoices.models import DepositBatch, Invoice
from invoices.samples import generated_xml, invoice_text_pdf
from tests.conftest import html
from tests.invoices.zips import make_zip
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

SELLER = "73282932000074"
BUYER = "11000201100044"


@pytest.fixture
def member(db):
    membership = MembershipFactory(structure=StructureFactory(identifier=SELLER, name="Entreprise Exemple SAS"))
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, identifier=BUYER, name="Ministère de l'exemple")
    return membership


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def zip_upload(entries, name="factures-janvier.zip"):
    return SimpleUploadedFile(name, make_zip(entries), content_type="application/zip")


ENTRIES = [
    ("ubl.xml", generated_xml(number="UBL-1", syntax="ubl")),
    ("texte.pdf", invoice_text_pdf(number="PDF-1")),
    ("notes.txt", b"="),
]


def test_the_page_states_the_limits_and_links_the_single_deposit(logged):
    page = html(logged.get(reverse("invoices:batch_deposit")))
    assert "Un fichier .zip de 120\u00a0Mo au plus, contenant jusqu'à 500 factures" in page
    assert "10\u00a0Mo au plus chacune" in page and "(500\u00a0Mo une fois décompressée), 500 factures au plus" in page
    assert "Aucun dépôt par lot pour le moment." in page
    assert reverse("invoices:batch_deposit") in html(logged.get(reverse("invoices:deposit")))


def test_upload_then_report(logged, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post(reverse("invoices:batch_deposit"), {"file": zip_upload(ENTRIES), "cadre": "A1"})
    batch = DepositBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("invoices:batch_detail", args=[batch.pk])
    assert (batch.supplier, batch.created_by, batch.original_filename) == (
        member.structure,
        member.user,
        "factures-janvier.zip",
    )
    page = html(logged.get(response.url))
    sent = Invoice.objects.get(number="UBL-1")
    draft = Invoice.objects.get(number="PDF-1")
    assert "Traitement terminé : 1 déposée(s), 1 brouillon(s) à compléter, 1 refusé(s)." in page
    assert 'value="3"' in page and 'max="3"' in page
    assert f'href="{reverse("invoices:detail", args=[sent.pk])}">{sent.identifier}</a>' in page
    assert f'href="{reverse("invoices:edit", args=[draft.pk])}">Brouillon n° {draft.pk}</a>' in page
    assert "Type de fichier non accepté (.txt)" in page
    assert "Actualiser" not in page  # nothing left to wait for

    listing = html(logged.get(reverse("invoices:batch_deposit")))
    assert f"Lot n° {batch.pk}" in listing and "factures-janvier.zip" in listing and "3 / 3" in listing


def test_a_pending_batch_shows_its_progress(logged, member):
    batch = services.deposit_batch_create(
        supplier=member.structure, user=member.user, file=zip_upload(ENTRIES)
    )  # the task runs after a commit that never comes in this test
    page = html(logged.get(reverse("invoices:batch_detail", args=[batch.pk])))
    assert "En attente de traitement : 3 fichier(s) à déposer." in page
    assert 'role="status"' in page and "batch_progress.js" in page and "Actualiser" in page
    data = logged.get(reverse("invoices:batch_progress", args=[batch.pk])).json()
    assert data == {
        "state": "EN_ATTENTE",
        "state_label": "En attente",
        "done": False,
        "processed": 0,
        "total": 3,
        "percent": 0,
        "sent": 0,
        "drafts": 0,
        "refused": 0,
        "ignored": 0,
        "status": "En attente de traitement : 3 fichier(s) à déposer.",
    }
    services.deposit_batch_process(batch_id=batch.pk)
    data = logged.get(reverse("invoices:batch_progress", args=[batch.pk])).json()
    assert (data["done"], data["processed"], data["percent"]) == (True, 3, 100)


def test_a_refused_archive_is_explained_next_to_the_field(logged):
    response = logged.post(
        reverse("invoices:batch_deposit"),
        {"file": SimpleUploadedFile("factures.zip", invoice_text_pdf()), "cadre": "A1"},
    )
    assert response.status_code == 200
    page = html(response)
    assert (
        '<div class="fr-messages-group" id="id_file-messages" aria-live="assertive">\n      <p class="fr-message '
        "fr-message--error\">Ce fichier n'est pas une archive zip lisible : déposez un fichier .zip (dossier "
        "compressé).</p>"
    ) in page
    assert DepositBatch.objects.count() == 0


def test_the_report_downloads_as_csv(logged, member):
    batch = services.deposit_batch_create(supplier=member.structure, user=member.user, file=zip_upload(ENTRIES))
    services.deposit_batch_process(batch_id=batch.pk)
    response = logged.get(reverse("invoices:batch_report", args=[batch.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="depot-lot-{batch.pk}-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffPosition;Fichier;Résultat;Identifiant ou brouillon;N° de facture;Message;Lien\r\n")
    rows = text.splitlines()[1:]
    sent = Invoice.objects.get(number="UBL-1")
    draft = Invoice.objects.get(number="PDF-1")
    assert rows[0] == (
        f"1;ubl.xml;Déposée;{sent.identifier};UBL-1;Facture n° UBL-1 déposée sous l'identifiant {sent.identifier}.;"
        f"http://127.0.0.1:8000/factures/{sent.pk}/"
    )
    assert rows[1].startswith(f'2;texte.pdf;Brouillon à compléter;Brouillon n° {draft.pk};PDF-1;"Brouillon n° ')
    assert rows[1].endswith(f";http://127.0.0.1:8000/factures/{draft.pk}/modifier/")
    assert rows[2].startswith("3;notes.txt;Refusé;;;Type de fichier non accepté (.txt)")


@pytest.mark.parametrize("name", ["invoices:batch_detail", "invoices:batch_progress", "invoices:batch_report"])
def test_another_structure_gets_a_404(client, member, name):
    batch = services.deposit_batch_create(supplier=member.structure, user=member.user, file=zip_upload(ENTRIES))
    other = MembershipFactory()
    client.force_login(other.user)
    assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    assert f"Lot n° {batch.pk}" not in html(client.get(reverse("invoices:batch_deposit")))
    client.force_login(member.user)
    assert client.get(reverse(name, args=[batch.pk])).status_code == 200


def test_a_detached_member_gets_a_404(client, member):
    batch = services.deposit_batch_create(supplier=member.structure, user=member.user, file=zip_upload(ENTRIES))
    member.status = "REVOQUE"
    member.save()
    client.force_login(member.user)
    assert client.get(reverse("invoices:batch_detail", args=[batch.pk])).status_code == 404


def test_a_user_without_structure_is_sent_to_attach_one(client, db):
    user = MembershipFactory(pending=True).user
    client.force_login(user)
    response = client.get(reverse("invoices:batch_deposit"))
    assert response.status_code == 302 and response.url == reverse("structures:home")
