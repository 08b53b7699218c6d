"""The two invoices written by `load_demo` for people to try the deposit really work with the
demo data: the Factur-X one is sent as it is, the text one once its code service is chosen."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from invoices import demo as invoices_demo
from invoices.services import invoice_deposit, invoice_save_draft, invoice_send
from invoices.workflow import Status
from structures.models import Service, Structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("load_demo", stdout=out)
    return {
        "out": out.getvalue(),
        "user": User.objects.get(email="gestionnaire@fournisseur.example"),
        "supplier": Structure.objects.get(identifier="84215687900012"),
    }


def deposit(demo, name):
    path = demo["out"].split(name)[0].split()[-1] + name
    with open(path, "rb") as handle:
        upload = SimpleUploadedFile(name, handle.read(), content_type="application/pdf")
    return invoice_deposit(supplier=demo["supplier"], user=demo["user"], file=upload)


def test_load_demo_lists_the_files(demo, tmp_path):
    assert str(tmp_path / "demo" / "facture-facturx-ministere.pdf") in demo["out"]
    assert [p.name for p in invoices_demo.write_files()] == [
        "facture-facturx-ministere.pdf",
        "facture-pdf-prefecture.pdf",
        "facture-ubl-commune.xml",
    ]


def test_ubl_demo_invoice_is_read_and_sends(demo, django_capture_on_commit_callbacks):
    invoice = deposit(demo, "facture-ubl-commune.xml")
    assert (invoice.number, invoice.source_syntax, invoice.deposit_mode) == (
        "UBL-DEMO-0001",
        "UBL",
        "DEPOT_XML_PORTAIL",
    )
    assert invoice.recipient.identifier == "11123757400012"
    assert str(invoice.amount_ttc) == "1740.95"
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=invoice, user=demo["user"])
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION


def test_facturx_demo_invoice_is_prefilled_and_sends(demo, django_capture_on_commit_callbacks):
    invoice = deposit(demo, "facture-facturx-ministere.pdf")
    assert invoice.number == "FX-DEMO-0001"
    assert invoice.recipient.identifier == "11100000600010"
    assert invoice.recipient_service.code == "SE001"
    assert invoice.engagement_number == "1300012346"
    assert str(invoice.amount_ttc) == "1008.00"
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=invoice, user=demo["user"])
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION  # routed in process in the tests


def test_text_demo_invoice_needs_its_code_service(demo, django_capture_on_commit_callbacks):
    invoice = deposit(demo, "facture-pdf-prefecture.pdf")
    assert invoice.number == "PDF-DEMO-0001"
    assert str(invoice.amount_ttc) == "1500.00"
    with pytest.raises(ValidationError, match="code service"):
        invoice_send(invoice=invoice, user=demo["user"])
    service = Service.objects.get(structure__identifier="11107919000018", code="SE011")
    invoice_save_draft(invoice=invoice, user=demo["user"], recipient=service.structure, recipient_service=service)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=invoice, user=demo["user"])
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
