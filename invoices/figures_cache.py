"""The figures of a supplier (Tableau de bord, Liste fiscale) kept in the cache until one of its
invoices changes.

At 1,000,000 invoices a supplier owning 200,000 has about 165,000 invoices sent in a year: the
Tableau de bord aggregates all of them (an index-only scan, ~150 ms on PostgreSQL) and the Liste
fiscale of a month joins ~15,000 invoices to their VAT lines (~200 ms). Those figures only change
when one of the supplier's invoices changes status (sending included): every status change goes
through ``lifecycle.apply_transition``, which calls ``invalidate(supplier_id)`` once the
transaction is committed. Each supplier has a *version* in the cache; the figures are stored under
a key holding that version, so invalidating is replacing one small key, and the old figures are
never read again (they expire).

Two more things change figures for everyone: the ECB rates of the late-payment interest
(``LatePaymentRate``, saved by operators) and ``manage.py payment_clocks_rebuild``; both call
``invalidate_all()``, which replaces a global generation that is part of every key.

If an invalidation is lost (the process dies between the commit and the call, the cache is down),
the figures are at most ``CHORUS_FIGURES_CACHE_SECONDS`` old (5 minutes by default): every stored
value expires then. ``0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "chorus:figures:generation"
VERSION_KEY = "chorus:figures:version:{}"
VALUE_KEY = "chorus:figures:{name}:{supplier}:{generation}:{version}:{params}"
DEFAULT_SECONDS = 300


def timeout() -> int:
    return int(getattr(settings, "CHORUS_FIGURES_CACHE_SECONDS", DEFAULT_SECONDS))


def _token(key: str) -> str:
    """The value of ``key``, created if missing (``add``: of two concurrent readers, one wins)."""
    value = cache.get(key)
    if value is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        value = cache.get(key) or "none"
    return value


def _params(params: tuple) -> str:
    return hashlib.sha256(repr(params).encode()).hexdigest()[:32]


def cached(supplier_id: int, name: str, params: tuple, compute):
    """``compute()``, or its value stored for this supplier, ``name`` and ``params`` (a tuple of
    values whose ``repr`` identifies the request: dates, ids) since the supplier's last change."""
    seconds = timeout()
    if seconds <= 0:
        return compute()
    try:
        key = VALUE_KEY.format(
            name=name,
            supplier=supplier_id,
            generation=_token(GENERATION_KEY),
            version=_token(VERSION_KEY.format(supplier_id)),
            params=_params(params),
        )
        value = cache.get(key)
    except Exception:  # the cache is down: compute, as without it
        logger.warning("Cache des chiffres indisponible", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=seconds)
        except Exception:
            logger.warning("Cache des chiffres indisponible", exc_info=True)
    return value


def invalidate(supplier_id: int) -> None:
    """The supplier's figures are out of date (one of its invoices changed)."""
    try:
        cache.delete(VERSION_KEY.format(supplier_id))
    except Exception:
        logger.warning("Cache des chiffres : invalidation perdue (expiration sous %s s)", timeout(), exc_info=True)


def invalidate_all() -> None:
    """Every supplier's figures are out of date (late-payment rates, payment clocks rebuilt)."""
    try:
        cache.delete(GENERATION_KEY)
    except Exception:
        logger.warning("Cache des chiffres : invalidation perdue (expiration sous %s s)", timeout(), exc_info=True)


def rates_changed(**kwargs) -> None:
    """``post_save``/``post_delete`` of ``LatePaymentRate`` (connected in ``InvoicesConfig.ready``)."""
    transaction.on_commit(invalidate_all)
