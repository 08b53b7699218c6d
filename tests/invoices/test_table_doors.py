"""Every door into the lifecycle offers exactly what the transition table allows.

The table (invoices/workflow.py) is walked: for each status and each transition, the admin's
actions and invoice page, its action form (motif field, motif choices, n° de mandat), the operator
command and the supplier's invoice page must agree with it, and the task refuses what the table's
motif rule refuses. A door that hard-codes a status or a motif list makes one of these fail.
"""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import reverse

from invoices import admin as invoice_admin
from invoices import lifecycle, views, workflow
from invoices.management.commands import invoices_transition
from invoices.models import Invoice, Motif
from invoices.tasks import transition_invoice
from invoices.workflow import TRANSITIONS, Actor, MotifRule, Status
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.invoices.factories import InvoiceFactory
from tests.structures.factories import MembershipFactory, StructureFactory

pytestmark = pytest.mark.django_db

SENT_STATUSES = [s for s in Status if s != Status.BROUILLON]


@pytest.fixture
def parties(motifs):
    ministry = StructureFactory(public=True)
    agent = UserFactory(staff=True)
    MembershipFactory(user=agent, structure=ministry)
    supplier = MembershipFactory()
    return {"ministry": ministry, "agent": agent, "supplier": supplier}


def invoice_at(parties, status) -> Invoice:
    return InvoiceFactory(
        sent=True, status=status, supplier=parties["supplier"].structure, recipient=parties["ministry"]
    )


def test_every_transition_says_whom_motifs_notification_and_routing():
    for t in TRANSITIONS.values():
        assert t.actors and t.sources and isinstance(t.target, Status)
        assert isinstance(t.motifs, MotifRule)
        assert isinstance(t.notifies, bool) and isinstance(t.reroutes, bool)
        assert t.motif_required == (t.motifs != MotifRule.NONE)
    # What the supplier did is not e-mailed to the supplier; what the recipient does is.
    for t in workflow.transitions_for(Actor.RECIPIENT):
        assert t.notifies, t.name
    for t in workflow.transitions_for(Actor.SUPPLIER):
        assert not t.notifies, t.name
    assert {t.name for t in TRANSITIONS.values() if t.reroutes} == {"deposer", "recycler"}


def test_the_statuses_the_supplier_acts_on_come_from_the_table():
    assert workflow.SUPPLIER_ACTION_STATUSES == {Status.SUSPENDUE, Status.A_RECYCLER, Status.REJETEE}


def test_end_statuses_are_those_no_transition_leaves():
    assert workflow.END_STATUSES == {Status.REJETEE, Status.MISE_EN_PAIEMENT}


# --- The admin ---------------------------------------------------------------------------------


def test_admin_actions_are_the_recipient_transitions_of_the_table():
    site_admin = invoice_admin.InvoiceAdmin(Invoice, admin.site)
    names = [getattr(a, "__name__", "") for a in site_admin.actions]
    assert names == [f"transition_{t.name}" for t in TRANSITIONS.values() if Actor.RECIPIENT in t.actors]


@pytest.mark.parametrize("status", SENT_STATUSES)
def test_admin_invoice_page_offers_exactly_the_allowed_transitions(client, parties, status):
    client.force_login(parties["agent"])
    invoice = invoice_at(parties, status)
    content = html(client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk])))
    for t in workflow.transitions_for(Actor.RECIPIENT):
        url = reverse("admin:invoices_invoice_transition", args=[invoice.pk, t.name])
        assert (url in content) == (status in t.sources), (status, t.name)


@pytest.mark.parametrize("name", [t.name for t in workflow.transitions_for(Actor.RECIPIENT)])
def test_admin_action_form_asks_what_the_table_requires(parties, name):
    t = TRANSITIONS[name]
    form = invoice_admin.TransitionForm(transition=t)
    assert ("motif" in form.fields) == t.motif_required
    assert ("mandate_number" in form.fields) == t.mandate_number_required
    assert form.needed == t.needs_input
    if t.motif_required:
        offered = {code for _group, choices in form.fields["motif"].choices[1:] for code, _label in choices}
        expected = set(Motif.objects.filter(is_active=True).values_list("code", flat=True))
        if t.motifs == MotifRule.RECYCLABLE:
            expected = set(Motif.objects.filter(is_active=True, recyclable=True).values_list("code", flat=True))
        assert offered == expected
        assert offered == set(lifecycle.motifs_for(t).values_list("code", flat=True))


@pytest.mark.parametrize("name", [t.name for t in workflow.transitions_for(Actor.RECIPIENT) if t.motif_required])
def test_admin_action_form_refuses_a_motif_the_rule_refuses(parties, name):
    t = TRANSITIONS[name]
    allowed = set(lifecycle.motifs_for(t).values_list("code", flat=True))
    for motif in Motif.objects.filter(is_active=True):
        form = invoice_admin.TransitionForm({"motif": motif.code, "mandate_number": "M-1", "comment": ""}, transition=t)
        assert form.is_valid() == (motif.code in allowed), (name, motif.code)


# --- The operator command ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_command_fires_the_recipient_and_system_transitions_only(parties, name):
    t = TRANSITIONS[name]
    offered = {x.name for x in invoices_transition.command_transitions()}
    assert (name in offered) == bool({Actor.RECIPIENT, Actor.SYSTEM} & t.actors)
    actor = "destinataire" if Actor.RECIPIENT in t.actors else "systeme"
    invoice = invoice_at(parties, sorted(t.sources)[0]) if Status.BROUILLON not in t.sources else InvoiceFactory()
    options = {"ids": str(invoice.pk), "actor": actor, "dry_run": True, "stdout": StringIO()}
    if t.motif_required:
        options["motif"] = lifecycle.motifs_for(t).first().code
    if t.mandate_number_required:
        options["mandate_number"] = "M-1"
    if name in offered:
        call_command("invoices_transition", name, **options)
    else:
        with pytest.raises(CommandError, match="n'est pas permise"):
            call_command("invoices_transition", name, **options)


@pytest.mark.parametrize("name", [t.name for t in invoices_transition.command_transitions()])
def test_command_motif_follows_the_rule(parties, name):
    t = TRANSITIONS[name]
    actor = "destinataire" if Actor.RECIPIENT in t.actors else "systeme"
    allowed = set(lifecycle.motifs_for(t).values_list("code", flat=True))
    for motif in Motif.objects.filter(is_active=True):
        options = {"ids": "1", "actor": actor, "motif": motif.code, "mandate_number": "M-1", "dry_run": True}
        if motif.code in allowed:
            call_command("invoices_transition", name, stdout=StringIO(), **options)
        else:
            with pytest.raises(CommandError, match="--motif"):
                call_command("invoices_transition", name, stdout=StringIO(), **options)


# --- The task (what staff actions and --async go through) ---------------------------------------


def test_task_refuses_a_non_recyclable_motif_for_mettre_a_recycler(parties):
    invoice = invoice_at(parties, Status.MISE_A_DISPOSITION)
    result = transition_invoice.apply(
        args=[invoice.pk, "mettre_a_recycler"],
        kwargs={"user_id": parties["agent"].pk, "motif_code": "JUSTIFICATIF_ABSENT"},
    ).get()
    assert result["ok"] is False and "recyclable" in result["error"]
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION and not invoice.events.exists()


def test_task_refuses_a_motif_for_a_transition_without_one(parties):
    invoice = invoice_at(parties, Status.MISE_A_DISPOSITION)
    result = transition_invoice.apply(
        args=[invoice.pk, "service_fait"], kwargs={"user_id": parties["agent"].pk, "motif_code": "ERREUR_RIB"}
    ).get()
    assert result["ok"] is False and "ne prend pas de motif" in result["error"]
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MISE_A_DISPOSITION


# --- The supplier's pages ----------------------------------------------------------------------


@pytest.mark.parametrize("status", SENT_STATUSES)
def test_supplier_invoice_page_offers_exactly_the_allowed_actions(client, parties, status):
    client.force_login(parties["supplier"].user)
    invoice = invoice_at(parties, status)
    content = html(client.get(reverse("invoices:detail", args=[invoice.pk])))
    for name, url_name in {"recycler": "invoices:recycle", "completer": "invoices:complete"}.items():
        allowed = workflow.allows(status=status, transition=name, actor=Actor.SUPPLIER)
        assert (reverse(url_name, args=[invoice.pk]) in content) == allowed, (status, name)
    rejection = reverse("invoices:rejection", args=[invoice.pk])
    assert (rejection in content) == (status == workflow.REJECTED)


def test_every_supplier_transition_has_a_door():
    doors = set(views.SUPPLIER_PAGES) | {lifecycle.SEND_TRANSITION}
    assert doors == {t.name for t in workflow.transitions_for(Actor.SUPPLIER)}


@pytest.mark.parametrize("status", SENT_STATUSES)
@pytest.mark.parametrize("url_name, name", [("invoices:recycle", "recycler"), ("invoices:complete", "completer")])
def test_supplier_action_pages_open_only_where_the_table_allows(client, parties, status, url_name, name):
    client.force_login(parties["supplier"].user)
    invoice = invoice_at(parties, status)
    response = client.get(reverse(url_name, args=[invoice.pk]))
    allowed = workflow.allows(status=status, transition=name, actor=Actor.SUPPLIER)
    assert response.status_code == (200 if allowed else 302), (status, name)
