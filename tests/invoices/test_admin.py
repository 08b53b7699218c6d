"""Admin of the ministries' financial services: scope (a staff member of ministry A never sees,
downloads nor acts on ministry B's invoices; drafts are shown to nobody), read-only invoices, the
actions (pre-checked, queued after the commit, run eagerly here: the status really changes and the
history records the agent), their intermediate form, and the motif catalogue."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from chorus.queue import broker_pause
from invoices import services
from invoices.admin import actions as admin_actions
from invoices.models import Invoice, InvoiceEvent, Motif
from invoices.tasks import process_transition_requests
from invoices.workflow import Status
from structures.models import MembershipStatus
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.invoices.factories import InvoiceAttachmentFactory, InvoiceFactory
from tests.structures.factories import MembershipFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

S = Status
CHANGELIST = "admin:invoices_invoice_changelist"


@pytest.fixture(autouse=True)
def _motifs(motifs):
    """The seeded catalogue, even after a transactional test emptied the database."""
    return motifs


def received(recipient, status=S.MISE_A_DISPOSITION, **kwargs) -> Invoice:
    """A sent invoice addressed to ``recipient``, at ``status``."""
    return InvoiceFactory(sent=True, recipient=recipient, status=status, **kwargs)


@pytest.fixture
def ministry_a():
    return StructureFactory(public=True, name="Ministère Alpha")


@pytest.fixture
def ministry_b():
    return StructureFactory(public=True, name="Ministère Bêta")


@pytest.fixture
def staff_a(ministry_a):
    user = UserFactory(staff=True, email="agent.a@ministere.example")
    MembershipFactory(user=user, structure=ministry_a)
    return user


@pytest.fixture
def client_a(client, staff_a):
    client.force_login(staff_a)
    return client


@pytest.fixture
def superuser_client():
    client = Client()  # its own session: tests use it beside client_a
    client.force_login(UserFactory(superuser=True, email="support@chorus.example"))
    return client


@pytest.fixture
def invoices(ministry_a, ministry_b):
    supplier = StructureFactory(name="Fournitures Générales SARL")
    return {
        "a": received(ministry_a, supplier=supplier, number="A-001"),
        "b": received(ministry_b, supplier=supplier, number="B-001"),
        "draft": InvoiceFactory(recipient=ministry_a, supplier=supplier, number="BROUILLON-A"),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client, action, invoices, capture, **extra):
    data = {
        "action": action,
        "_selected_action": [str(i.pk) for i in invoices],
        "index": "0",
        "select_across": "0",
        **extra,
    }
    with capture(execute=True):
        return client.post(reverse(CHANGELIST), data)


def status_of(invoice) -> str:
    return Invoice.objects.values_list("status", flat=True).get(pk=invoice.pk)


# --- Scope ---------------------------------------------------------------------------------------


def test_staff_sees_only_their_ministry_invoices_and_never_drafts(client_a, invoices):
    response = client_a.get(reverse(CHANGELIST))
    content = html(response)
    assert response.status_code == 200
    assert invoices["a"].identifier in content
    assert invoices["b"].identifier not in content
    assert "BROUILLON-A" not in content
    assert "Mise à disposition du destinataire (203)" in content  # status label with reform code


def test_superuser_sees_every_recipient_but_no_draft(superuser_client, invoices):
    content = html(superuser_client.get(reverse(CHANGELIST)))
    assert invoices["a"].identifier in content and invoices["b"].identifier in content
    assert "BROUILLON-A" not in content


def test_change_view_of_another_ministry_invoice_is_out_of_reach(client_a, invoices):
    response = client_a.get(reverse("admin:invoices_invoice_change", args=[invoices["b"].pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    response = client_a.get(reverse("admin:invoices_invoice_history", args=[invoices["b"].pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    response = client_a.get(reverse("admin:invoices_invoice_change", args=[invoices["draft"].pk]))
    assert response.status_code == 302
    response = client_a.get(reverse("admin:invoices_invoice_change", args=[invoices["a"].pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "membership_status", [MembershipStatus.PENDING, MembershipStatus.REVOKED, MembershipStatus.REFUSED]
)
def test_staff_without_active_membership_has_no_access(client, ministry_a, invoices, membership_status):
    user = UserFactory(staff=True)
    MembershipFactory(user=user, structure=ministry_a, status=membership_status)
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:invoices_invoice_pdf", args=[invoices["a"].pk])).status_code == 403
    assert "Factures" not in html(client.get(reverse("admin:index")))


def test_membership_of_a_supplier_gives_no_access(client, invoices):
    user = UserFactory(staff=True)
    MembershipFactory(user=user, structure=invoices["a"].supplier)
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_files_are_downloaded_through_the_scoped_view(client_a, invoices):
    mine = InvoiceAttachmentFactory(invoice=invoices["a"], original_filename="bon-de-livraison.txt")
    theirs = InvoiceAttachmentFactory(invoice=invoices["b"])
    response = client_a.get(reverse("admin:invoices_invoice_pdf", args=[invoices["a"].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    response = client_a.get(reverse("admin:invoices_invoice_attachment", args=[invoices["a"].pk, mine.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"contenu de la piece jointe"
    assert "bon-de-livraison.txt" in response["Content-Disposition"]
    # Another ministry's invoice, or its attachment under one's own invoice id: not found.
    assert client_a.get(reverse("admin:invoices_invoice_pdf", args=[invoices["b"].pk])).status_code == 404
    url = reverse("admin:invoices_invoice_attachment", args=[invoices["b"].pk, theirs.pk])
    assert client_a.get(url).status_code == 404
    url = reverse("admin:invoices_invoice_attachment", args=[invoices["a"].pk, theirs.pk])
    assert client_a.get(url).status_code == 404
    assert client_a.get(reverse("admin:invoices_invoice_pdf", args=[invoices["draft"].pk])).status_code == 404


def test_download_needs_an_admin_login(client, invoices):
    response = client.get(reverse("admin:invoices_invoice_pdf", args=[invoices["a"].pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_detail_is_read_only_with_files_history_and_actions(client_a, invoices, staff_a):
    invoice = invoices["a"]
    attachment = InvoiceAttachmentFactory(invoice=invoice, original_filename="pv-de-reception.pdf")
    InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="acheminer",
        from_status=S.DEPOSEE,
        to_status=S.EN_COURS_ACHEMINEMENT,
        actor_kind="systeme",
    )
    InvoiceEvent.objects.create(
        invoice=invoice,
        supplier_id=invoice.supplier_id,
        transition="suspendre",
        from_status=S.MISE_A_DISPOSITION,
        to_status=S.SUSPENDUE,
        actor_kind="destinataire",
        user=staff_a,
        motif=Motif.objects.get(code="JUSTIFICATIF_ABSENT"),
        comment="Il manque le PV de réception.",
    )
    content = html(client_a.get(reverse("admin:invoices_invoice_change", args=[invoice.pk])))
    assert reverse("admin:invoices_invoice_pdf", args=[invoice.pk]) in content
    assert reverse("admin:invoices_invoice_attachment", args=[invoice.pk, attachment.pk]) in content
    assert "/media/" not in content and invoice.pdf.name not in content
    # History: dates, from → to with French labels, who or "système", motif, comment.
    assert "Déposée (200) → En cours d'acheminement (201)" in content
    assert "système" in content
    assert "Mise à disposition du destinataire (203) → Suspendue (208)" in content
    assert str(staff_a) in content
    assert "Justificatif absent ou insuffisant" in content and "Il manque le PV de réception." in content
    # Read-only: no input for the content, no save button; the actions of the status as links.
    assert 'name="number"' not in content and 'name="_save"' not in content
    for name in ["prendre_en_compte", "service_fait", "mandater", "suspendre", "rejeter", "mettre_a_recycler"]:
        assert reverse("admin:invoices_invoice_transition", args=[invoice.pk, name]) in content
    assert reverse("admin:invoices_invoice_transition", args=[invoice.pk, "completer"]) not in content


def test_nothing_can_be_added_changed_or_deleted(client_a, superuser_client, invoices):
    invoice = invoices["a"]
    for client in (client_a, superuser_client):
        assert client.get(reverse("admin:invoices_invoice_add")).status_code == 403
        assert client.get(reverse("admin:invoices_invoice_delete", args=[invoice.pk])).status_code == 403
        response = client.post(reverse("admin:invoices_invoice_change", args=[invoice.pk]), {"number": "CHANGE"})
        assert response.status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).number == "A-001"
    assert "delete_selected" not in html(client_a.get(reverse(CHANGELIST)))


# --- List: filters, search, cost ----------------------------------------------------------------


def test_filters_and_search(client_a, ministry_a, ministry_b, staff_a, invoices):
    ministry_c = StructureFactory(public=True, name="Ministère Gamma")
    MembershipFactory(user=staff_a, structure=ministry_c)
    service = ServiceFactory(structure=ministry_a, code="SE-COMPTA", name="Comptabilité")
    other_supplier = StructureFactory(name="Autre Fournisseur SAS")
    suspended = received(ministry_a, status=S.SUSPENDUE, recipient_service=service, supplier=other_supplier)
    in_c = received(ministry_c, status=S.MISE_A_DISPOSITION, cadre="A2", engagement_number="EJ-777")
    old = received(ministry_a, sent_at=timezone.now() - timedelta(days=40))
    url = reverse(CHANGELIST)

    content = html(client_a.get(url))
    assert "Ministère Alpha" in content and "Ministère Gamma" in content
    assert "Ministère Bêta" not in content  # the recipient filter offers only the user's recipients

    def shown(params):
        response = client_a.get(url, params)
        assert response.status_code == 200
        content = html(response)
        return {i.identifier for i in [invoices["a"], suspended, in_c, old] if i.identifier in content}

    assert shown({"statut": "SUSPENDUE"}) == {suspended.identifier}
    assert shown({"destinataire": ministry_c.pk}) == {in_c.identifier}
    assert shown({"destinataire": ministry_b.pk}) == set()  # another ministry's id: nothing
    assert shown({"service": service.pk}) == {suspended.identifier}
    assert shown({"fournisseur": other_supplier.identifier}) == {suspended.identifier}
    assert shown({"cadre__exact": "A2"}) == {in_c.identifier}
    since = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert old.identifier not in shown({"envoyee_du": since})
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert shown({"envoyee_au": until}) == {old.identifier}
    assert shown({"q": in_c.identifier}) == {in_c.identifier}
    assert shown({"q": "EJ-777"}) == {in_c.identifier}
    assert shown({"q": other_supplier.identifier[:9]}) == {suspended.identifier}
    assert shown({"q": "Autre Fournisseur"}) == {suspended.identifier}
    assert shown({"q": invoices["b"].identifier}) == set()
    assert client_a.get(url, {"envoyee_du": "hier"}).status_code == 302  # invalid date: ?e=1


def test_changelist_does_not_query_per_row(client_a, ministry_a, django_assert_max_num_queries):
    for _n in range(30):
        received(ministry_a, recipient_service=ServiceFactory(structure=ministry_a))
    with django_assert_max_num_queries(14):
        response = client_a.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert html(response).count("Mise à disposition du destinataire (203)") >= 30


# --- Actions ------------------------------------------------------------------------------------


def test_simple_bulk_action_queues_allowed_and_reports_refused(
    client_a, ministry_a, staff_a, django_capture_on_commit_callbacks
):
    available = received(ministry_a)
    completed = received(ministry_a, status=S.COMPLETEE)
    paid = received(ministry_a, status=S.MISE_EN_PAIEMENT)
    already = received(ministry_a, status=S.PRISE_EN_COMPTE_DESTINATAIRE)
    response = post_action(
        client_a,
        "transition_prendre_en_compte",
        [available, completed, paid, already],
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert status_of(available) == status_of(completed) == S.PRISE_EN_COMPTE_DESTINATAIRE
    assert status_of(paid) == S.MISE_EN_PAIEMENT
    event = InvoiceEvent.objects.get(invoice=available)
    assert (event.transition, event.from_status, event.user, event.actor_kind) == (
        "prendre_en_compte",
        S.MISE_A_DISPOSITION,
        staff_a,
        "destinataire",
    )
    msgs = messages_of(response)
    assert any(m.startswith("2 factures envoyées au traitement") for m in msgs)
    assert any(
        paid.identifier in m and "L'action « Prendre en compte » est impossible au statut « Mise en paiement »" in m
        for m in msgs
    )
    assert any(already.identifier in m and "déjà au statut « Prise en compte »" in m for m in msgs)
    assert not InvoiceEvent.objects.filter(invoice__in=[paid, already]).exists()


def test_bulk_on_a_mix_of_statuses(client_a, ministry_a, django_capture_on_commit_callbacks):
    ok = [
        received(ministry_a),
        received(ministry_a, status=S.SERVICE_FAIT),
        received(ministry_a, status=S.COMPTABILISEE),
    ]
    rejected = received(ministry_a, status=S.REJETEE)
    suspended = received(ministry_a, status=S.SUSPENDUE)
    response = post_action(
        client_a, "transition_mettre_en_paiement", [*ok, rejected, suspended], django_capture_on_commit_callbacks
    )
    assert [status_of(i) for i in ok] == [S.MISE_EN_PAIEMENT] * 3
    assert status_of(rejected) == S.REJETEE and status_of(suspended) == S.SUSPENDUE
    msgs = messages_of(response)
    assert any(m.startswith("3 factures envoyées au traitement") for m in msgs)
    # One message per reason, each naming its invoices.
    assert any(rejected.identifier in m and "« Rejetée »" in m for m in msgs)
    assert any(suspended.identifier in m and "« Suspendue »" in m for m in msgs)


def test_actions_on_another_ministry_invoices_are_impossible(client_a, invoices, django_capture_on_commit_callbacks):
    response = post_action(
        client_a, "transition_prendre_en_compte", [invoices["b"], invoices["draft"]], django_capture_on_commit_callbacks
    )
    assert status_of(invoices["b"]) == S.MISE_A_DISPOSITION and status_of(invoices["draft"]) == S.BROUILLON
    assert any("2 factures introuvables ou hors de vos structures" in m for m in messages_of(response))
    assert not InvoiceEvent.objects.exists()
    # Nor through the page of one invoice.
    url = reverse("admin:invoices_invoice_transition", args=[invoices["b"].pk, "service_fait"])
    assert client_a.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client_a.post(url, {"post": "yes"}).status_code == 404
    assert status_of(invoices["b"]) == S.MISE_A_DISPOSITION


def test_superuser_acts_on_any_recipient(superuser_client, invoices, django_capture_on_commit_callbacks):
    post_action(superuser_client, "transition_service_fait", [invoices["b"]], django_capture_on_commit_callbacks)
    assert status_of(invoices["b"]) == S.SERVICE_FAIT


def test_suspend_needs_a_motif_on_the_intermediate_page(
    client_a, ministry_a, staff_a, django_capture_on_commit_callbacks
):
    invoice, paid = received(ministry_a), received(ministry_a, status=S.MISE_EN_PAIEMENT)
    response = post_action(client_a, "transition_suspendre", [invoice, paid], django_capture_on_commit_callbacks)
    content = html(response)
    assert response.status_code == 200  # the intermediate page, nothing done yet
    assert 'name="motif"' in content and 'name="comment"' in content and 'name="mandate_number"' not in content
    assert "Justificatif absent ou insuffisant" in content and "Problèmes d'achats / comptables" in content
    assert invoice.identifier in content and paid.identifier in content
    assert status_of(invoice) == S.MISE_A_DISPOSITION

    response = post_action(
        client_a, "transition_suspendre", [invoice, paid], django_capture_on_commit_callbacks, post="yes", motif=""
    )
    assert response.status_code == 200 and "Choisissez un motif." in html(response)
    assert status_of(invoice) == S.MISE_A_DISPOSITION

    response = post_action(
        client_a,
        "transition_suspendre",
        [invoice, paid],
        django_capture_on_commit_callbacks,
        post="yes",
        motif="JUSTIFICATIF_ABSENT",
        comment="  Joindre le bon de livraison.  ",
    )
    assert response.status_code == 302
    assert status_of(invoice) == S.SUSPENDUE and status_of(paid) == S.MISE_EN_PAIEMENT
    event = InvoiceEvent.objects.get(invoice=invoice)
    assert (event.motif.code, event.comment, event.user) == (
        "JUSTIFICATIF_ABSENT",
        "Joindre le bon de livraison.",
        staff_a,
    )
    msgs = messages_of(response)
    assert any(m.startswith("1 facture envoyée au traitement") for m in msgs)
    assert any(paid.identifier in m and "impossible au statut « Mise en paiement »" in m for m in msgs)


def test_reject_with_motif_and_comment(client_a, ministry_a, django_capture_on_commit_callbacks):
    invoice = received(ministry_a, status=S.SERVICE_FAIT)
    response = post_action(client_a, "transition_rejeter", [invoice], django_capture_on_commit_callbacks)
    assert response.status_code == 200 and 'name="motif"' in html(response)
    post_action(
        client_a,
        "transition_rejeter",
        [invoice],
        django_capture_on_commit_callbacks,
        post="yes",
        motif="DOUBLE_FACTURATION",
        comment="Déjà payée sous le n° A-000.",
    )
    assert status_of(invoice) == S.REJETEE
    event = InvoiceEvent.objects.get(invoice=invoice)
    assert event.motif.code == "DOUBLE_FACTURATION" and event.comment == "Déjà payée sous le n° A-000."


def test_recycle_offers_only_recyclable_motifs(client_a, ministry_a, django_capture_on_commit_callbacks):
    invoice = received(ministry_a)
    content = html(post_action(client_a, "transition_mettre_a_recycler", [invoice], django_capture_on_commit_callbacks))
    recyclable = Motif.objects.filter(recyclable=True, is_active=True)
    assert recyclable.exists()
    for motif in recyclable:
        assert f'value="{motif.code}"' in content
    assert 'value="DOUBLE_FACTURATION"' not in content
    response = post_action(
        client_a,
        "transition_mettre_a_recycler",
        [invoice],
        django_capture_on_commit_callbacks,
        post="yes",
        motif="DOUBLE_FACTURATION",
    )
    assert response.status_code == 200 and status_of(invoice) == S.MISE_A_DISPOSITION
    post_action(
        client_a,
        "transition_mettre_a_recycler",
        [invoice],
        django_capture_on_commit_callbacks,
        post="yes",
        motif=recyclable.first().code,
    )
    assert status_of(invoice) == S.A_RECYCLER


def test_inactive_motif_is_not_offered(client_a, ministry_a, django_capture_on_commit_callbacks):
    Motif.objects.filter(code="ERREUR_RIB").update(is_active=False)
    invoice = received(ministry_a)
    content = html(post_action(client_a, "transition_suspendre", [invoice], django_capture_on_commit_callbacks))
    assert 'value="ERREUR_RIB"' not in content
    response = post_action(
        client_a, "transition_suspendre", [invoice], django_capture_on_commit_callbacks, post="yes", motif="ERREUR_RIB"
    )
    assert response.status_code == 200 and status_of(invoice) == S.MISE_A_DISPOSITION


def test_mandate_needs_a_mandate_number(client_a, ministry_a, django_capture_on_commit_callbacks):
    invoice = received(ministry_a, status=S.SERVICE_FAIT)
    content = html(post_action(client_a, "transition_mandater", [invoice], django_capture_on_commit_callbacks))
    assert 'name="mandate_number"' in content and 'name="motif"' not in content
    response = post_action(
        client_a, "transition_mandater", [invoice], django_capture_on_commit_callbacks, post="yes", mandate_number=" "
    )
    assert response.status_code == 200
    assert "Le numéro de mandat est obligatoire pour mandater une facture." in html(response)
    assert status_of(invoice) == S.SERVICE_FAIT
    post_action(
        client_a,
        "transition_mandater",
        [invoice],
        django_capture_on_commit_callbacks,
        post="yes",
        mandate_number="M-2026-42",
    )
    invoice.refresh_from_db()
    assert invoice.status == S.MANDATEE and invoice.mandate_number == "M-2026-42"
    assert InvoiceEvent.objects.get(invoice=invoice).mandate_number == "M-2026-42"


def test_bulk_action_is_capped(client_a, ministry_a, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(admin_actions, "MAX_ACTION_INVOICES", 1)
    first, second = received(ministry_a), received(ministry_a)
    response = post_action(client_a, "transition_service_fait", [first, second], django_capture_on_commit_callbacks)
    assert any("invoices_transition" in m for m in messages_of(response))
    assert status_of(first) == status_of(second) == S.MISE_A_DISPOSITION


def test_single_invoice_action_page(client_a, ministry_a, staff_a, django_capture_on_commit_callbacks):
    invoice = received(ministry_a)
    url = reverse("admin:invoices_invoice_transition", args=[invoice.pk, "mandater"])
    response = client_a.get(url)
    content = html(response)
    assert response.status_code == 200
    assert 'name="mandate_number"' in content and invoice.identifier in content
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url, {"post": "yes", "mandate_number": "", "comment": ""})
    assert response.status_code == 200 and status_of(invoice) == S.MISE_A_DISPOSITION
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url, {"post": "yes", "mandate_number": "M-1", "comment": "Mandaté."})
    assert response.status_code == 302
    assert response.url == reverse("admin:invoices_invoice_change", args=[invoice.pk])
    assert status_of(invoice) == S.MANDATEE
    assert InvoiceEvent.objects.get(invoice=invoice).comment == "Mandaté."
    # An action the status no longer allows: back to the invoice with the reason, nothing queued.
    response = client_a.get(reverse("admin:invoices_invoice_transition", args=[invoice.pk, "prendre_en_compte"]))
    assert response.status_code == 302
    assert any("impossible au statut « Mandatée »" in m for m in messages_of(response))
    assert client_a.get(reverse("admin:invoices_invoice_transition", args=[invoice.pk, "completer"])).status_code == 404
    assert client_a.get(reverse("admin:invoices_invoice_transition", args=[invoice.pk, "inconnue"])).status_code == 404


def test_transition_refused_by_the_service_is_not_applied(
    client_a, ministry_a, staff_a, django_capture_on_commit_callbacks
):
    """The task re-checks the membership: revoked between the page and the commit, nothing changes."""
    invoice = received(ministry_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_a.post(
            reverse(CHANGELIST),
            {"action": "transition_service_fait", "_selected_action": [invoice.pk], "index": "0"},
        )
    staff_a.memberships.update(status=MembershipStatus.REVOKED)
    for callback in callbacks:
        callback()
    assert status_of(invoice) == S.MISE_A_DISPOSITION


# --- Motifs ---------------------------------------------------------------------------------------


def test_motif_admin(superuser_client, client_a):
    url = reverse("admin:invoices_motif_changelist")
    content = html(superuser_client.get(url))
    assert "SE_EJ_INCORRECT" in content and "Double facturation" in content
    content = html(superuser_client.get(url, {"recyclable__exact": "1"}))
    assert "SE_EJ_INCORRECT" in content and "DOUBLE_FACTURATION" not in content
    assert superuser_client.get(url, {"category__exact": "AUTRES", "is_active__exact": "1"}).status_code == 200

    motif = Motif.objects.get(code="ERREUR_RIB")
    change = reverse("admin:invoices_motif_change", args=[motif.pk])
    response = superuser_client.post(
        change,
        {
            "code": "CHANGE",
            "label": "Coordonnées bancaires erronées",
            "category": motif.category,
            "reform_code": motif.reform_code,
            "is_active": "",
            "position": "5",
        },
    )
    assert response.status_code == 302
    motif.refresh_from_db()
    assert (motif.code, motif.label, motif.is_active, motif.position) == (
        "ERREUR_RIB",
        "Coordonnées bancaires erronées",
        False,
        5,
    )
    assert superuser_client.get(reverse("admin:invoices_motif_delete", args=[motif.pk])).status_code == 403
    response = superuser_client.post(
        reverse("admin:invoices_motif_add"),
        {"code": "NOUVEAU", "label": "Nouveau motif", "category": "AUTRES", "reform_code": "AUTRE", "position": "1"},
    )
    assert response.status_code == 302 and Motif.objects.filter(code="NOUVEAU", is_active=False).exists()
    # The financial services read the catalogue but do not change it.
    assert client_a.get(url).status_code == 200
    assert client_a.post(change, {"label": "x"}).status_code == 403


def test_staff_action_during_a_broker_outage_is_kept_and_applied_by_the_sweeper(
    client_a, ministry_a, monkeypatch, django_capture_on_commit_callbacks
):
    """The agent's action is not lost when the broker is down: it is recorded as a request with the
    page's answer (nothing runs in the web process) and the sweeper applies it once the broker is back."""

    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(process_transition_requests, "apply_async", refuse)
    invoice = received(ministry_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            reverse("admin:invoices_invoice_changelist"),
            {"action": "transition_prendre_en_compte", "_selected_action": [invoice.pk], "index": "0"},
        )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.transition_requests.get().state == "EN_ATTENTE"
    monkeypatch.undo()
    broker_pause.reset()
    services.transition_requests_requeue(older_than_minutes=0)
    invoice.refresh_from_db()
    assert invoice.status == Status.PRISE_EN_COMPTE_DESTINATAIRE


def test_the_xml_of_a_structured_invoice_is_downloaded_by_its_recipients_staff_only(client_a, invoices):
    from django.core.files.base import ContentFile

    for key in ("a", "b"):
        invoices[key].source_syntax = "UBL"
        invoices[key].source_xml.save("f.xml", ContentFile(b"<?xml version='1.0'?><Invoice/>"), save=True)
    page = html(client_a.get(reverse("admin:invoices_invoice_change", args=[invoices["a"].pk])))
    assert "Télécharger le XML (XML UBL 2.1)" in page
    response = client_a.get(reverse("admin:invoices_invoice_xml", args=[invoices["a"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert b"".join(response.streaming_content).startswith(b"<?xml")
    assert client_a.get(reverse("admin:invoices_invoice_xml", args=[invoices["b"].pk])).status_code == 404
