"""Form plumbing shared by the apps: crispy-forms helpers producing DSFR markup.

The template pack lives in ``templates/crispy_dsfr/``; crispy's own ``Submit`` carries Bootstrap
classes, so the portal uses these buttons instead.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import BaseInput


class Submit(BaseInput):
    """Primary DSFR button."""

    input_type = "submit"
    field_classes = ""


class SecondarySubmit(BaseInput):
    """Secondary DSFR button (for instance "Enregistrer en mode brouillon")."""

    input_type = "submit"
    field_classes = "fr-btn--secondary"


def form_helper(*, submit_label: str | None = None, form_tag: bool = True, **attrs) -> FormHelper:
    """A FormHelper with the DSFR pack, an optional primary submit button and form attributes."""
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.form_method = "post"
    for key, value in attrs.items():
        setattr(helper, key, value)
    if submit_label:
        helper.add_input(Submit("submit", submit_label))
    return helper
