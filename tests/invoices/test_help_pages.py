"""« Aide »: every guide renders for visitors and members, the motif and status pages follow their
tables, and the pages where questions arise link to the right guide."""

import pytest
from django.urls import reverse

from invoices import help as content
from invoices import workflow
from invoices.models import Motif, MotifCategory
from tests.conftest import html
from tests.invoices.conftest import seed_motifs
from tests.structures.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_index_lists_every_guide(client):
    page = html(client.get(reverse("aide:index")))
    for guide in content.GUIDES:
        assert reverse("aide:page", args=[guide.slug]) in page and str(guide.title) in page


@pytest.mark.parametrize("slug", [guide.slug for guide in content.GUIDES])
def test_every_guide_renders_for_a_visitor_and_a_member(client, slug):
    seed_motifs()
    page = html(client.get(reverse("aide:page", args=[slug])))
    assert 'aria-current="page"' in page and "/nous-contacter/" in page
    client.force_login(MembershipFactory().user)
    page = html(client.get(reverse("aide:page", args=[slug])))
    assert "/sollicitations/nouvelle/" in page


def test_unknown_guide_is_a_404(client):
    assert client.get("/aide/inconnu/").status_code == 404


def test_motifs_page_follows_the_motif_table(client):
    seed_motifs()
    Motif.objects.create(code="PROPRE", label="Motif propre au ministère", category=MotifCategory.AUTRES)
    Motif.objects.filter(code="SUPPRESSION_MASSE").update(is_active=False)
    page = html(client.get(reverse("aide:page", args=["motifs"])))
    for motif in Motif.objects.filter(is_active=True):
        assert motif.label in page
    assert "Suppression en masse" not in page
    assert "Motif propre au destinataire" in page  # the generic advice of a motif added later
    assert "Ce motif permet de <strong>recycler</strong> la facture." in page  # SE/EJ incorrect is recyclable
    assert all(
        code in content.MOTIF_HELP for code in Motif.objects.exclude(code="PROPRE").values_list("code", flat=True)
    )


def test_statuses_page_follows_the_workflow(client):
    page = html(client.get(reverse("aide:page", args=["statuts"])))
    for status in workflow.Status:
        code = workflow.reform_code(status)
        assert f'id="statut-{status.value.lower()}"' in page and str(status.label) in page
        if code:
            assert f"(code {code})" in page
    assert page.count("Statut final :") == len(workflow.END_STATUSES)
    assert "Complétée, par vous (« Compléter »)" in page
    assert "En cours d'acheminement, par vous (« Recycler »)" in page


def test_pages_where_questions_arise_link_to_their_guide(client):
    member = MembershipFactory()
    client.force_login(member.user)
    assert "/aide/deposer-une-facture/" in html(client.get(reverse("invoices:deposit")))
    assert "/aide/rattachement/" in html(client.get(reverse("structures:search")))
    client.logout()
    assert "/aide/creer-un-compte/" in html(client.get(reverse("account_signup")))
    footer = html(client.get(reverse("home")))
    assert 'href="/aide/"' in footer and 'href="/nous-contacter/"' in footer
