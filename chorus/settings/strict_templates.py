"""For the test settings: an invalid variable in one of our templates fails the test that renders it.

``StrictInvalidVariable`` is the engine's ``string_if_invalid``. When ``{{ typo }}``,
``{{ invoice.nmber|default:"—" }}``, ``{% url "x" missing %}``, ``{% include … with a=missing %}``
or ``{% blocktranslate %}…{{ missing }}…`` cannot be resolved, Django asks it for the text to show;
it looks up which template the failing node was written in and

* in our templates (``templates/`` of the project, or a template compiled from a string in our
  code or tests) raises ``InvalidTemplateVariableError`` and records the failure in ``FAILURES``,
  which ``tests/conftest.py`` checks after every test, so that a failure swallowed on the way (an
  e-mail rendered inside a task, a broad ``except``) still fails the test;
* in third-party templates (the admin, allauth, django-dsfr, crispy-forms), which rely on missing
  variables by design, behaves exactly as Django's default ``""``: it is falsy and renders empty,
  and filters such as ``default`` apply to it.

The scope is decided per node, so a block of ours inside an admin page is strict and the admin's
own markup around it is not, and a third-party template included by one of ours is not. Tags that
ignore failures by design (``{% if %}``, ``{% for %}``, ``{% firstof %}``…) are not checked: Django
never asks ``string_if_invalid`` for them.
"""

import sys
from pathlib import Path

from django.template.base import UNKNOWN_SOURCE, Node

FAILURES: list[str] = []


class InvalidTemplateVariableError(Exception):
    """A variable of one of our templates could not be resolved."""


class StrictInvalidVariable(str):
    def __new__(cls, template_dirs):
        value = super().__new__(cls, "")
        value.template_dirs = tuple(str(Path(d)) + "/" for d in template_dirs)
        return value

    def _strict_origin(self) -> str | None:
        """The name of the template being rendered when it is one of ours, else None."""
        frame = sys._getframe(2)
        while frame is not None:
            node = frame.f_locals.get("self")
            if isinstance(node, Node) and getattr(node, "origin", None) is not None:
                name = node.origin.name
                if name == UNKNOWN_SOURCE or name.startswith(self.template_dirs):
                    return name
                return None
            frame = frame.f_back
        return None

    def __bool__(self) -> bool:
        return self._strict_origin() is not None

    def __contains__(self, item) -> bool:
        return item == "%s" and self._strict_origin() is not None

    def __mod__(self, variable):
        message = f"Invalid template variable {str(variable)!r} in {self._strict_origin()}"
        FAILURES.append(message)
        raise InvalidTemplateVariableError(message)

    def __reduce__(self):
        return (StrictInvalidVariable, (tuple(d.rstrip("/") for d in self.template_dirs),))
