"""Admin for support staff: pages load cheaply, membership actions go through the services."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import NoReverseMatch, reverse

from structures import forms as structure_forms
from structures.admin.structure_pages import BankAccountAdmin
from structures.models import BankAccount, MembershipEvent, MembershipRole, MembershipStatus, Service, Structure
from tests.accounts.factories import UserFactory
from tests.conftest import html
from tests.structures.factories import (
    BankAccountFactory,
    EngagementFactory,
    MembershipFactory,
    ServiceFactory,
    StructureFactory,
    SupportUserFactory,
    make_agent,
)

pytestmark = pytest.mark.django_db

MODELS = ["structure", "service", "bankaccount", "engagementjuridique", "membership"]


@pytest.fixture
def admin_user():
    return UserFactory(superuser=True, email="support@chorus.example")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def data():
    public = StructureFactory(public=True, identifier="11100000600010", name="Ministère de l'Intérieur")
    supplier = StructureFactory(name="Fournitures SARL")
    ServiceFactory(structure=public, code="SE001", name="Service financier")
    BankAccountFactory(structure=supplier)
    EngagementFactory(recipient=public, number="EJ0001", supplier_identifier=supplier.identifier)
    manager = MembershipFactory(structure=supplier, manager=True)
    MembershipEvent.objects.create(
        membership=manager, action=MembershipEvent.Action.CREATED_STRUCTURE, actor=manager.user
    )
    return {"public": public, "supplier": supplier, "manager": manager}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", MODELS)
def test_changelists_and_search_load(admin_client, data, model):
    url = reverse(f"admin:structures_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "1110000"}).status_code == 200
    assert admin_client.get(url, {"q": "Ministère"}).status_code == 200


def test_structure_search_and_filters(admin_client, data):
    url = reverse("admin:structures_structure_changelist")
    content = html(admin_client.get(url, {"q": "11100000"}))
    assert "Ministère de l'Intérieur" in content and "Fournitures SARL" not in content
    content = html(admin_client.get(url, {"kind__exact": "PRIVEE"}))
    assert "Fournitures SARL" in content and "Ministère de l'Intérieur" not in content
    for flag in ["ej_required", "service_required", "service_or_ej_required", "reports_payment_status", "is_active"]:
        assert admin_client.get(url, {f"{flag}__exact": "1"}).status_code == 200


def test_service_and_engagement_search(admin_client, data):
    content = html(admin_client.get(reverse("admin:structures_service_changelist"), {"q": "11100000600010"}))
    assert "SE001" in content
    content = html(admin_client.get(reverse("admin:structures_engagementjuridique_changelist"), {"q": "EJ0001"}))
    assert "EJ0001" in content
    content = html(
        admin_client.get(reverse("admin:structures_engagementjuridique_changelist"), {"status__exact": "CLOTURE"})
    )
    assert "EJ0001" not in content


def test_change_pages_load_with_their_inlines(admin_client, data):
    response = admin_client.get(reverse("admin:structures_structure_change", args=[data["public"].pk]))
    content = html(response)
    assert response.status_code == 200
    assert "SE001" in content  # services inline
    response = admin_client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk]))
    content = html(response)
    assert "FR7630006000011234567890189" in content  # bank accounts inline
    assert data["manager"].user.email in content  # memberships inline (read-only)
    response = admin_client.get(reverse("admin:structures_membership_change", args=[data["manager"].pk]))
    content = html(response)
    assert response.status_code == 200
    assert "Création de la structure" in content  # history inline
    assert 'name="events-TOTAL_FORMS"' in content
    assert 'name="status"' not in content  # decisions only through the actions


def test_support_group_opens_the_structures_admin(client, data):
    client.force_login(SupportUserFactory())
    for model in MODELS:
        assert client.get(reverse(f"admin:structures_{model}_changelist")).status_code == 200
    response = client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk]))
    assert response.status_code == 200
    assert 'name="name"' in html(response)  # editable
    assert "Structures" in html(client.get(reverse("admin:index")))


def test_a_ministry_agent_gets_a_french_refusal_even_with_model_permissions(client, data):
    agent = make_agent(data["public"])
    agent.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="structures", codename__in=["view_structure", "change_structure"]
        )
    )
    client.force_login(agent)
    response = client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk]))
    assert response.status_code == 403
    assert "Accès refusé" in html(response)
    assert client.get(reverse("admin:structures_structure_changelist")).status_code == 403
    response = client.post(reverse("admin:structures_structure_change", args=[data["supplier"].pk]), {"name": "Prise"})
    assert response.status_code == 403
    data["supplier"].refresh_from_db()
    assert data["supplier"].name == "Fournitures SARL"


def test_memberships_cannot_be_added_and_events_not_edited(admin_client, data):
    assert admin_client.get(reverse("admin:structures_membership_add")).status_code == 403
    with pytest.raises(NoReverseMatch):  # no admin page of their own: only the read-only inline
        reverse("admin:structures_membershipevent_changelist")


def test_changelists_do_not_query_per_row(admin_client, django_assert_max_num_queries):
    for n in range(30):
        structure = StructureFactory(public=n % 2 == 0)
        ServiceFactory(structure=structure)
        MembershipFactory(structure=structure, pending=True)
        EngagementFactory(recipient=StructureFactory(public=True))
        BankAccountFactory(structure=structure, iban="FR7630006000011234567890189")
    for model in MODELS:
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse(f"admin:structures_{model}_changelist")).status_code == 200


def test_bank_account_admin_normalises_iban(admin_client, data):
    response = admin_client.post(
        reverse("admin:structures_bankaccount_add"),
        {
            "structure": data["supplier"].pk,
            "label": "Second compte",
            "iban": "fr76 3000 4000 0312 3456 7890 143",
            "bic": "bnpafrpp",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, html(response)
    account = data["supplier"].bank_accounts.get(label="Second compte")
    assert (account.iban, account.bic) == ("FR7630004000031234567890143", "BNPAFRPP")


# --- Membership actions -----------------------------------------------------------------------


def post_action(client, action, memberships, capture):
    with capture(execute=True):
        return client.post(
            reverse("admin:structures_membership_changelist"),
            {"action": action, "_selected_action": [m.pk for m in memberships]},
            follow=True,
        )


def test_approve_action_calls_the_service(admin_client, admin_user, data, django_capture_on_commit_callbacks):
    pending = [MembershipFactory(structure=data["supplier"], pending=True) for _ in range(2)]
    response = post_action(admin_client, "approve_selected", pending, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "2 demandes validées." in messages_of(response)
    for membership in pending:
        membership.refresh_from_db()
        assert membership.status == MembershipStatus.ACTIVE
        assert membership.decided_by == admin_user
        event = membership.events.get()
        assert (event.action, event.actor) == (MembershipEvent.Action.APPROVED, admin_user)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(m.user.email for m in pending)


def test_refuse_action_reports_what_was_not_pending(admin_client, admin_user, data, django_capture_on_commit_callbacks):
    pending = MembershipFactory(structure=data["supplier"], pending=True)
    active = MembershipFactory(structure=data["supplier"])
    response = post_action(admin_client, "refuse_selected", [pending, active], django_capture_on_commit_callbacks)
    messages = messages_of(response)
    assert "1 demande refusée." in messages
    assert "1 rattachement n'a pas été traité :" in messages
    assert any(str(active.user) in m and "n'est plus en attente" in m for m in messages), messages
    pending.refresh_from_db()
    active.refresh_from_db()
    assert pending.status == MembershipStatus.REFUSED
    assert pending.events.get().action == MembershipEvent.Action.REFUSED
    assert active.status == MembershipStatus.ACTIVE and not active.events.exists()
    assert [message.to for message in mail.outbox] == [[pending.user.email]]


def test_refusing_only_processed_requests_sends_nothing(admin_client, data, django_capture_on_commit_callbacks):
    refused = MembershipFactory(structure=data["supplier"], refused=True)
    response = post_action(admin_client, "refuse_selected", [refused], django_capture_on_commit_callbacks)
    messages = messages_of(response)
    assert not any("refusée." in m for m in messages)
    assert any("n'est plus en attente" in m for m in messages)
    assert mail.outbox == []
    assert not refused.events.exists()


def test_set_main_manager_action(admin_client, admin_user, data, django_capture_on_commit_callbacks):
    member = MembershipFactory(structure=data["supplier"])
    pending = MembershipFactory(structure=StructureFactory(), pending=True)
    response = post_action(admin_client, "set_main_manager", [member, pending], django_capture_on_commit_callbacks)
    messages = messages_of(response)
    assert "1 gestionnaire principal nommé." in messages
    assert any("Seul un membre actif peut devenir gestionnaire principal" in m for m in messages), messages
    member.refresh_from_db()
    data["manager"].refresh_from_db()
    assert member.role == MembershipRole.MAIN_MANAGER
    assert data["manager"].role == MembershipRole.USER
    assert member.events.get().action == MembershipEvent.Action.ROLE_CHANGED
    assert data["manager"].events.filter(action=MembershipEvent.Action.ROLE_CHANGED, actor=admin_user).exists()
    assert [message.to for message in mail.outbox] == [[member.user.email]]


def test_set_main_manager_one_per_structure(admin_client, data, django_capture_on_commit_callbacks):
    first = MembershipFactory(structure=data["supplier"])
    second = MembershipFactory(structure=data["supplier"])
    response = post_action(admin_client, "set_main_manager", [first, second], django_capture_on_commit_callbacks)
    messages = messages_of(response)
    assert "1 gestionnaire principal nommé." in messages
    assert any("une seule personne par structure" in m for m in messages), messages
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.role, second.role} == {MembershipRole.MAIN_MANAGER, MembershipRole.USER}


def test_admin_is_in_french(admin_client, data):
    content = html(admin_client.get(reverse("admin:structures_structure_changelist")))
    assert "Par type de structure" in content and "Par n° d'engagement obligatoire" in content
    content = html(admin_client.get(reverse("admin:structures_membership_changelist")))
    for label in [
        "Valider les demandes sélectionnées",
        "Refuser les demandes sélectionnées",
        "Nommer gestionnaire principal",
    ]:
        assert label in content


def test_a_structure_with_many_services_links_to_them_instead_of_an_inline(admin_client, data, monkeypatch):
    from structures.admin import structure_pages as structures_admin

    url = reverse("admin:structures_structure_change", args=[data["public"].pk])
    content = html(admin_client.get(url))
    assert 'name="services-TOTAL_FORMS"' in content
    assert f"?structure__id__exact={data['public'].pk}" in content and "1 service" in content

    monkeypatch.setattr(structures_admin, "SERVICE_INLINE_MAX", 0)
    content = html(admin_client.get(url))
    assert 'name="services-TOTAL_FORMS"' not in content
    listing = html(
        admin_client.get(reverse("admin:structures_service_changelist"), {"structure__id__exact": data["public"].pk})
    )
    assert "SE001" in listing


# --- Agents of a public structure (support) ---------------------------------------------------


def attach_url(structure):
    return reverse("admin:structures_structure_attach_agent", args=[structure.pk])


def field_errors(response, field="email") -> str:
    """The error list shown in the row of ``field`` (next to the field)."""
    content = html(response)
    row = content.split(f"field-{field}", 1)[1].split("</div>", 1)[0]
    return row


@pytest.fixture
def support_client(client):
    client.force_login(SupportUserFactory())
    return client


def test_public_structure_page_offers_to_attach_an_agent(support_client, data):
    content = html(support_client.get(reverse("admin:structures_structure_change", args=[data["public"].pk])))
    assert attach_url(data["public"]) in content and "Rattacher un agent" in content
    content = html(support_client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk])))
    assert "Rattacher un agent" not in content


def test_support_attaches_an_agent_from_the_admin(client, support_client, data, django_capture_on_commit_callbacks):
    agent = UserFactory(email="agnes@culture.example")
    assert support_client.get(attach_url(data["public"])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(attach_url(data["public"]), {"email": " AGNES@culture.example "}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:structures_structure_change", args=[data["public"].pk])
    assert any("est rattaché à Ministère de l'Intérieur" in m for m in messages_of(response))
    membership = agent.memberships.get(structure=data["public"])
    agent.refresh_from_db()
    assert membership.is_active and agent.is_staff
    assert membership.events.get().action == MembershipEvent.Action.ATTACHED
    assert [m.to for m in mail.outbox] == [[agent.email]]
    # The agent now opens the invoices of the ministry in the admin.
    client.force_login(agent)
    assert client.get(reverse("admin:invoices_invoice_changelist")).status_code == 200


@pytest.mark.parametrize(
    "case, expected",
    [
        ("unknown", "Aucun compte n'utilise l'adresse inconnu@culture.example"),
        ("already", "est déjà rattaché à Ministère de l'Intérieur"),
        ("private", "n'est pas une structure publique"),
    ],
)
def test_attach_page_shows_refusals_next_to_the_field(support_client, data, case, expected):
    if case == "unknown":
        structure, email = data["public"], "inconnu@culture.example"
    elif case == "already":
        structure, email = data["public"], make_agent(data["public"]).email
    else:
        structure, email = data["supplier"], UserFactory().email
    before = MembershipEvent.objects.count()
    response = support_client.post(attach_url(structure), {"email": email})
    assert response.status_code == 200
    assert expected in field_errors(response)
    assert MembershipEvent.objects.count() == before
    assert mail.outbox == []


def test_a_plain_agent_cannot_attach_nor_detach(client, data):
    agent = make_agent(data["public"])
    other = make_agent(data["public"])
    client.force_login(agent)
    response = client.get(attach_url(data["public"]))
    assert response.status_code == 403
    assert "Seul le support peut rattacher un agent" in html(response)
    newcomer = UserFactory()
    assert client.post(attach_url(data["public"]), {"email": newcomer.email}).status_code == 403
    membership = other.memberships.get()
    detach = reverse("admin:structures_structure_detach_agent", args=[data["public"].pk, membership.pk])
    response = client.post(detach)
    assert response.status_code == 403
    assert "Seul le support peut détacher un agent" in html(response)
    membership.refresh_from_db()
    assert membership.is_active and not newcomer.memberships.exists()


def test_support_detaches_an_agent_from_the_structure_page(support_client, data, django_capture_on_commit_callbacks):
    agent = make_agent(data["public"])
    membership = agent.memberships.get()
    detach = reverse("admin:structures_structure_detach_agent", args=[data["public"].pk, membership.pk])
    content = html(support_client.get(reverse("admin:structures_structure_change", args=[data["public"].pk])))
    assert detach in content and "Détacher" in content
    supplier_content = html(
        support_client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk]))
    )
    assert "detacher-agent" not in supplier_content  # supplier members are not agents
    assert "Détacher" in html(support_client.get(detach))  # confirmation page
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(detach, follow=True)
    assert any("est détaché de Ministère de l'Intérieur" in m for m in messages_of(response))
    membership.refresh_from_db()
    agent.refresh_from_db()
    assert membership.status == MembershipStatus.REVOKED and not agent.is_staff
    assert membership.events.get().action == MembershipEvent.Action.REVOKED
    assert [m.to for m in mail.outbox] == [[agent.email]]


def test_detach_agents_action_calls_the_service(support_client, data, django_capture_on_commit_callbacks):
    agent = make_agent(data["public"])
    membership = agent.memberships.get()
    response = post_action(
        support_client, "detach_agents", [membership, data["manager"]], django_capture_on_commit_callbacks
    )
    messages = messages_of(response)
    assert "1 agent détaché." in messages
    assert any("n'est pas une structure publique" in m for m in messages), messages
    membership.refresh_from_db()
    data["manager"].refresh_from_db()
    assert membership.status == MembershipStatus.REVOKED
    assert data["manager"].status == MembershipStatus.ACTIVE
    assert [m.to for m in mail.outbox] == [[agent.email]]


# --- Saves go through the services ------------------------------------------------------------


class FormValues(HTMLParser):
    """The values a browser would post from the admin's main form (``<form id="…_form">``)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._in_form = False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = (attrs.get("id") or "").endswith("_form")
        if not self._in_form:
            return
        if tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value") or "")
        name = attrs.get("name")
        if not name:
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values.setdefault(name, []).append(attrs.get("value") or "on")
            else:
                self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += data


def form_values(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    parser = FormValues()
    parser.feed(response.content.decode())
    return {name: values if len(values) != 1 else values[0] for name, values in parser.values.items()}


def row_errors(response, field) -> str:
    """The text of the admin form row of ``field`` (where its errors are shown)."""
    content = html(response)
    assert f"field-{field}" in content, content
    return content.split(f"field-{field}", 1)[1].split('class="form-row', 1)[0]


def vat_of(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def test_structure_change_goes_through_the_service(support_client, data):
    supplier = data["supplier"]
    url = reverse("admin:structures_structure_change", args=[supplier.pk])
    values = form_values(support_client, url)
    assert "identifier" not in values  # the identity is read-only once created
    values["vat_number"] = "FR40303265045"  # another SIREN
    response = support_client.post(url, values)
    assert response.status_code == 200
    assert f"ne correspond pas au SIREN de la structure ({supplier.identifier[:9]})" in row_errors(
        response, "vat_number"
    )
    supplier.refresh_from_db()
    assert supplier.vat_number == ""
    values["vat_number"] = vat_of(supplier.identifier[:9]).lower()
    assert support_client.post(url, values).status_code == 302
    supplier.refresh_from_db()
    assert supplier.vat_number == vat_of(supplier.identifier[:9])  # normalised by the service


def test_structure_add_registers_it_through_the_service(support_client):
    url = reverse("admin:structures_structure_add")
    values = form_values(support_client, url)
    values.update(
        kind="PRIVEE",
        identifier_type="SIRET",
        identifier="732 829 320 00074",
        name="Dupont",
        vat_number="FR40303265045",
    )
    response = support_client.post(url, values)
    assert "ne correspond pas au SIREN de la structure (732829320)" in row_errors(response, "vat_number")
    assert not Structure.objects.filter(identifier="73282932000074").exists()
    values["vat_number"] = "fr 44 732 829 320"
    assert support_client.post(url, values).status_code == 302
    structure = Structure.objects.get(identifier="73282932000074")
    assert (structure.vat_number, structure.memberships.count()) == ("FR44732829320", 0)


def test_structure_inlines_are_read_only_and_link_to_pages_using_the_services(support_client, data):
    account = data["supplier"].bank_accounts.get()
    content = html(support_client.get(reverse("admin:structures_structure_change", args=[data["supplier"].pk])))
    assert "FR7630006000011234567890189" in content
    assert 'name="bank_accounts-0-iban"' not in content
    assert reverse("admin:structures_bankaccount_change", args=[account.pk]) in content
    assert reverse("admin:structures_bankaccount_add") + f"?structure={data['supplier'].pk}" in content
    service = data["public"].services.get()
    content = html(support_client.get(reverse("admin:structures_structure_change", args=[data["public"].pk])))
    assert "SE001" in content and 'name="services-0-code"' not in content
    assert reverse("admin:structures_service_change", args=[service.pk]) in content
    assert reverse("admin:structures_service_add") + f"?structure={data['public'].pk}" in content


def test_service_admin_goes_through_the_service(support_client, data):
    supplier = data["supplier"]
    url = reverse("admin:structures_service_add") + f"?structure={supplier.pk}"
    values = form_values(support_client, url)
    assert values["structure"] == str(supplier.pk)
    values.update(code="FACTURES_PUBLIQUES", name="Interdit")
    response = support_client.post(url, values)
    assert "réservé aux factures entre entités publiques" in row_errors(response, "code")
    assert not Service.objects.filter(structure=supplier).exists()
    values.update(code=" compta ", name="Comptabilité")
    assert support_client.post(url, values).status_code == 302
    service = Service.objects.get(structure=supplier)
    assert service.code == "COMPTA"  # upper-cased by the service

    change = reverse("admin:structures_service_change", args=[service.pk])
    ServiceFactory(structure=supplier, code="ACHATS")
    values = form_values(support_client, change)
    values["code"] = "achats"
    response = support_client.post(change, values)
    assert "utilise déjà le code ACHATS" in row_errors(response, "code")
    service.refresh_from_db()
    assert service.code == "COMPTA"


def test_bank_account_admin_uses_the_portal_form_and_the_service(support_client, data):
    assert BankAccountAdmin.form is structure_forms.BankAccountForm  # one BankAccountForm
    url = reverse("admin:structures_bankaccount_add")
    content = html(support_client.get(url))
    assert "Les espaces sont acceptés" in content  # the portal form's help
    values = form_values(support_client, url)
    values.update(
        structure=str(data["public"].pk),
        label="Compte du ministère",
        iban="FR7630004000031234567890143",
        bic="BNPAFRPP",
    )
    response = support_client.post(url, values)
    assert response.status_code == 200
    assert "Seule une structure privée (fournisseur) enregistre des coordonnées bancaires." in row_errors(
        response, "structure"
    )
    values.update(structure=str(data["supplier"].pk), iban="FR76 3000 6000 0112 3456 7890 189")  # already there
    response = support_client.post(url, values)
    assert "Cet IBAN est déjà enregistré pour cette structure." in row_errors(response, "iban")
    assert BankAccount.objects.count() == 1
