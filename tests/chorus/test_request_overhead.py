"""Per-request overhead (issue 14): no transaction around reads, the session from the cache, and
the two trivial views of the benchmark."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import News
from chorus.transactions import AtomicUnsafeRequestsMiddleware
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_liveness_probe_touches_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("alive"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_session_view_reads_only_the_user(client, django_assert_max_num_queries):
    client.force_login(UserFactory())
    client.get(reverse("accounts:session_status"))  # session cached
    # The session comes from the cache and no SAVEPOINT/RELEASE wraps the read: the user only.
    with django_assert_max_num_queries(1):
        response = client.get(reverse("accounts:session_status"))
    assert response.status_code == 200
    assert response.json()["connecte"] is True and response.json()["expire_dans"] > 0


def test_the_session_view_wants_a_login(client):
    response = client.get(reverse("accounts:session_status"))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


def _depth_view(seen):
    def view(request):
        seen.append(len(connection.savepoint_ids))
        return HttpResponse("ok")

    return view


def test_reads_run_outside_a_transaction_and_writes_inside_one():
    middleware = AtomicUnsafeRequestsMiddleware(lambda request: HttpResponse())
    seen = []
    view = _depth_view(seen)
    assert middleware.process_view(RequestFactory().get("/"), view, (), {}) is None  # called by Django, unwrapped
    view(RequestFactory().get("/"))
    middleware.process_view(RequestFactory().post("/"), view, (), {})
    assert seen[1] == seen[0] + 1  # the POST ran in one more (nested) transaction


def test_a_failing_write_request_is_rolled_back():
    middleware = AtomicUnsafeRequestsMiddleware(lambda request: HttpResponse())

    def view(request):
        News.objects.create(title="Écrite puis annulée", body="…")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        middleware.process_view(RequestFactory().post("/"), view, (), {})
    assert not News.objects.filter(title="Écrite puis annulée").exists()
