"""The API that Chorus Pro clients speak (PISTE's JSON): ``POST /api/oauth/token`` and the
``/cpro/...`` services. Another door into the same services, selectors and lifecycle as the
portal's pages: nothing here writes a rule again.

Modules: ``protocol`` (answers, return codes, reading the JSON, dates, amounts, pages),
``endpoint`` (the decorator every service goes through: rate limit, bearer token,
``cpro-account``, JSON, journal, errors), ``oauth`` (token endpoint), ``serializers`` (plain
functions: model → JSON), ``factures``, ``transverses``, ``annuaire`` (structures, services, EJ),
``openapi`` (the description served at ``/api/openapi.json``, built from the registered
services), ``urls``.
"""
