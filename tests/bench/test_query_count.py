"""bench/run.py's query count of a page, shown beside its rate in the report."""

import pytest
from django.test import Client

from bench import run
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_the_trivial_views_make_the_queries_the_overhead_tests_allow():
    assert run.query_count("/sante/vie/", None) == 0
    # Once the session is cached, the logged-in trivial view reads the user and nothing else.
    assert run.query_count("/mon-compte/session/", session_of(UserFactory())) == 1


def test_a_page_that_does_not_answer_200_has_no_count():
    assert run.query_count("/factures/", None) is None  # anonymous: sent to the login page
