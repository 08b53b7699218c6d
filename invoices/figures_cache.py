"""The figures of a supplier (Tableau de bord, Liste fiscale) kept in the cache until one of its
invoices changes.

At 1,000,000 invoices a supplier owning 200,000 has about 165,000 invoices sent in a year: the
Tableau de bord aggregates all of them (an index-only scan, ~150 ms on PostgreSQL) and the Liste
fiscale of a month joins ~15,000 invoices to their VAT lines (~200 ms). Those figures only change
when one of the supplier's invoices changes status (sending included): every status change goes
through ``lifecycle`` (``apply_transition``, ``invoice_transitions``), which calls
``invalidate_many`` with the suppliers of the transaction's transitions once it is committed. Each supplier has a *version* in the cache; the figures are stored with
the version they were computed under, so invalidating is replacing one small key, and figures of
an older version are never used again (they are computed anew, then replaced). The versions and
the figures are read in one call to the cache (one round trip to Redis per page).

The Tableau de bord keeps its whole body (figures, charts, tables, the period's form) the same way,
under the same tokens (``views.figures.invoice_dashboard``): written again only when its figures
would be computed again.

Two more things change figures for everyone: the ECB rates of the late-payment interest
(``LatePaymentRate``, saved by operators) and ``manage.py payment_clocks_rebuild``; both call
``invalidate_all()``, which replaces a global generation that is part of every key.

If an invalidation is lost (the process dies between the commit and the call, Redis is down and
``chorus.cache.FallbackRedisCache`` serves each process from its own memory),
the figures are at most ``CHORUS_FIGURES_CACHE_SECONDS`` old (5 minutes by default): every stored
value expires then. ``0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "chorus:figures:generation"
VERSION_KEY = "chorus:figures:version:{}"
VALUE_KEY = "chorus:figures:{name}:{supplier}:{params}"
DEFAULT_SECONDS = 300


def timeout() -> int:
    return int(getattr(settings, "CHORUS_FIGURES_CACHE_SECONDS", DEFAULT_SECONDS))


def _tokens(*keys: str) -> list[str]:
    """The values of ``keys``, read at once, each created if missing (``add``: of two concurrent
    readers, one wins)."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(8), timeout=None)
            found[key] = cache.get(key) or "none"
    return [found[key] for key in keys]


def _params(params: tuple) -> str:
    return hashlib.sha256(repr(params).encode()).hexdigest()[:32]


def cached(supplier_id: int, name: str, params: tuple, compute):
    """``compute()``, or its value stored for this supplier, ``name`` and ``params`` (a tuple of
    values whose ``repr`` identifies the request: dates, ids) since the supplier's last change.

    The generation, the supplier's version and the stored value ``(tokens, value)`` are read at
    once; the value is used only if it was computed under the current tokens.

    A Redis outage needs no care here: ``chorus.cache.FallbackRedisCache`` serves the calls from
    the process's memory meanwhile (figures then at most ``timeout()`` old)."""
    seconds = timeout()
    if seconds <= 0:
        return compute()
    version_key = VERSION_KEY.format(supplier_id)
    key = VALUE_KEY.format(name=name, supplier=supplier_id, params=_params(params))
    found = cache.get_many([GENERATION_KEY, version_key, key])
    if GENERATION_KEY in found and version_key in found:
        tokens = (found[GENERATION_KEY], found[version_key])
    else:
        tokens = tuple(_tokens(GENERATION_KEY, version_key))
    stored = found.get(key)
    if stored is not None and stored[0] == tokens:
        return stored[1]
    value = compute()
    cache.set(key, (tokens, value), timeout=seconds)
    return value


def invalidate(supplier_id: int) -> None:
    """The supplier's figures are out of date (one of its invoices changed)."""
    invalidate_many([supplier_id])


def invalidate_many(supplier_ids) -> None:
    """The figures of these suppliers are out of date: one version replaced per supplier, in one
    call to the cache (a chunk of staff transitions, ``lifecycle.invoice_transitions``)."""
    keys = [VERSION_KEY.format(pk) for pk in dict.fromkeys(supplier_ids)]
    if keys:
        cache.delete_many(keys)


def invalidate_all() -> None:
    """Every supplier's figures are out of date (late-payment rates, payment clocks rebuilt)."""
    cache.delete(GENERATION_KEY)


def rates_changed(**kwargs) -> None:
    """``post_save``/``post_delete`` of ``LatePaymentRate`` (connected in ``InvoicesConfig.ready``)."""
    transaction.on_commit(invalidate_all)
