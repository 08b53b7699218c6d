"""« Code service » and « N° d'engagement » on the invoice form follow the chosen recipient (and its
chosen service): "(facultatif)" only when it does not require them, a hint saying why otherwise;
shown as required but never enforced on a draft (the checks at sending say what is missing)."""

import re

import pytest
from django.urls import reverse

from invoices.forms.invoice import recipient_requirements
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.invoices.test_views import form_data
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

SERVICE_LABEL = "Code service du destinataire"
EJ_LABEL = "Numéro d'engagement (EJ, n° de commande)"


def label(page: str, field_id: str) -> str:
    """The text of the field's label, its hint included, tags removed."""
    found = re.search(rf'<label class="fr-label" for="{field_id}">(.*?)</label>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).split()


def words(text: str) -> list[str]:
    return text.split()


@pytest.fixture
def member():
    return MembershipFactory()


@pytest.fixture
def logged(client, member):
    client.force_login(member.user)
    return client


def edit_page(logged, member, recipient, service=None) -> str:
    invoice = InvoiceFactory(supplier=member.structure, recipient=recipient, recipient_service=service)
    return html(logged.get(reverse("invoices:edit", args=[invoice.pk])))


def test_a_recipient_without_requirement_keeps_facultatif(logged, member):
    page = edit_page(logged, member, StructureFactory(public=True))
    assert label(page, "id_recipient_service") == words(f"{SERVICE_LABEL} (facultatif)")
    assert label(page, "id_engagement_number") == words(f"{EJ_LABEL} (facultatif) 50 caractères au maximum.")


def test_required_code_service_and_ej_lose_facultatif(logged, member):
    page = edit_page(logged, member, StructureFactory(public=True, service_required=True, ej_required=True))
    assert label(page, "id_recipient_service") == words(f"{SERVICE_LABEL} Exigé par ce destinataire.")
    assert label(page, "id_engagement_number") == words(
        f"{EJ_LABEL} Exigé par ce destinataire. 50 caractères au maximum."
    )


def test_a_service_that_requires_the_ej(logged, member):
    recipient = StructureFactory(public=True)
    service = ServiceFactory(structure=recipient, ej_required=True)
    page = edit_page(logged, member, recipient, service)
    assert label(page, "id_recipient_service") == words(f"{SERVICE_LABEL} (facultatif)")
    assert label(page, "id_engagement_number") == words(
        f"{EJ_LABEL} Exigé par le service choisi. 50 caractères au maximum."
    )


def test_one_of_the_two(logged, member):
    page = edit_page(logged, member, StructureFactory(public=True, service_or_ej_required=True))
    either = "Ce destinataire exige le code service ou le numéro d'engagement (au moins l'un des deux)."
    assert label(page, "id_recipient_service") == words(f"{SERVICE_LABEL} {either}")
    assert label(page, "id_engagement_number") == words(f"{EJ_LABEL} {either} 50 caractères au maximum.")


def test_the_posted_recipient_is_followed_and_a_draft_saves_without_them(logged, member):
    invoice = InvoiceFactory(supplier=member.structure, recipient=StructureFactory(public=True))
    strict = StructureFactory(public=True, ej_required=True)
    url = reverse("invoices:edit", args=[invoice.pk])
    # Sent without the EJ: the page comes back with the error, the label after the posted recipient.
    page = html(logged.post(url, form_data(invoice, action="send", recipient=str(strict.pk))))
    assert label(page, "id_engagement_number") == words(
        f"{EJ_LABEL} Exigé par ce destinataire. 50 caractères au maximum."
    )
    response = logged.post(url, form_data(invoice, recipient=str(strict.pk)))
    assert response.status_code == 302, re.findall(r'fr-(?:error-text|message--error)">([^<]+)', html(response))
    invoice.refresh_from_db()
    assert invoice.recipient == strict and invoice.engagement_number == ""


def test_the_rules_without_recipient():
    assert recipient_requirements(None) == {"recipient_service": (False, ""), "engagement_number": (False, "")}
