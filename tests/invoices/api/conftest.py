"""Fixtures of the API tests: an account (supplier, application, technical user, recipient) and a
client holding its token."""

import pytest

from tests.invoices.api.setup import Api, make_account


@pytest.fixture
def account(db):
    return make_account()


@pytest.fixture
def api(client, account):
    return Api(client, account)
