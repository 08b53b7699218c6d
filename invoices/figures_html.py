"""Small pieces of markup of the figures' pages (Synthèse, Tableau de bord, Liste fiscale, Accueil
connecté) written in Python: a capped count, a field of a period form, the period kinds of the
Liste fiscale, the rows of the Tableau de bord's tables.

Through the template engine each was an ``{% include %}`` (a context pushed, a template looked up,
a dozen variable lookups, a loop over the choices with two filters per option): ~0.5 ms a field,
a fifth of the Liste fiscale. Here each is a few string operations on the values the form holds,
escaped as the engine escapes them; ``tests/invoices/test_figures_html.py`` compares each one byte
for byte with the template it replaces.
"""

from django.utils.safestring import SafeString, mark_safe

from chorus import formats
from invoices.rows import escape


def count(value) -> str:
    """A capped count (``figures.CappedCount``): « plus de 1 000 », « 12 »."""
    text = formats.integer(value.value)
    return "plus de " + text if value.capped else text


def _text(value) -> str:
    """``{{ value }}``: escaped unless already safe (``rows.escape``: ``conditional_escape``
    without its lazy-string wrapper)."""
    return escape(value)


def _value(field) -> str:
    """``field.value|default_if_none:""|stringformat:"s"``."""
    value = field.value()
    return "" if value is None else str(value)


def period_field(field) -> SafeString:
    """One field of a period form (text, date, month or select) in the DSFR markup, its errors next
    to it (the former ``invoices/figures/field.html``)."""
    fid = field.auto_id
    msgid = f"{fid}-messages"
    errors = field.errors
    widget = field.field.widget
    select = widget.input_type == "select"
    if select:
        group = "fr-select-group fr-select-group--error" if errors else "fr-select-group"
    else:
        group = "fr-input-group fr-input-group--error" if errors else "fr-input-group"
    hint = f'<span class="fr-hint-text">{_text(field.help_text)}</span>' if field.help_text else ""
    described = f' aria-describedby="{_text(msgid)}" aria-invalid="true"' if errors else ""
    parts = [
        f'\n\n<div class="{group}">\n  <label class="fr-label" for="{_text(fid)}">{_text(field.label)}{hint}</label>\n  '
    ]
    if select:
        current = _value(field)
        options = "".join(
            f'<option value="{_text(value)}"{" selected" if str(value) == current else ""}>{_text(label)}</option>'
            for value, label in field.field.choices
        )
        parts.append(
            f'\n  <select class="fr-select{" fr-select--error" if errors else ""}" id="{_text(fid)}" '
            f'name="{_text(field.html_name)}"{described}>\n    {options}\n  </select>\n  '
        )
    else:
        inputmode = widget.attrs.get("inputmode")
        inputmode = f' inputmode="{_text(inputmode)}"' if inputmode else ""
        parts.append(
            f'\n  <input class="fr-input{" fr-input--error" if errors else ""}" id="{_text(fid)}" '
            f'name="{_text(field.html_name)}" type="{_text(widget.input_type)}" value="{_text(_value(field))}"'
            f"{inputmode}{described}>\n  "
        )
    parts.append("\n  ")
    if errors:
        messages = "".join(f'<p class="fr-error-text">{_text(error)}</p>' for error in errors)
        parts.append(f'<div id="{_text(msgid)}">{messages}</div>')
    parts.append("\n</div>\n\n")
    return mark_safe("".join(parts))


def period_choices(field, checked) -> SafeString:
    """The radio buttons of a choice of period kind (Liste fiscale), ``checked`` the chosen one."""
    name = _text(field.html_name)
    return mark_safe(
        "".join(
            f'\n    <div class="fr-fieldset__element fr-fieldset__element--inline">\n      <div class="fr-radio-group">\n'
            f'        <input type="radio" id="{_text(field.auto_id)}_{index}" name="{name}" value="{_text(value)}"'
            f"{' checked' if value == checked else ''}>\n"
            f'        <label class="fr-label" for="{_text(field.auto_id)}_{index}">{_text(label)}</label>\n'
            "      </div>\n    </div>\n    "
            for index, (value, label) in enumerate(field.field.choices)
        )
    )


def bucket_rows(buckets, *, capfirst: bool = False, link_query: str | None = None) -> SafeString:
    """The rows of a table of the Tableau de bord (``figures.Bucket``: label, count, amount TTC):
    the label capitalised when ``capfirst`` (months); with ``link_query`` (the period's query
    string) each recipient but « Autres » links to its own board."""
    parts = []
    for b in buckets:
        label = _text(b.label[:1].upper() + b.label[1:] if capfirst else b.label)
        if link_query is not None and b.key != "autres":
            label = (
                f'<a class="fr-link" href="?{_text(link_query)}&amp;destinataire={_text(str(b.key))}">{label}'
                '<span class="fr-sr-only"> : ses factures mois par mois</span></a>'
            )
        parts.append(
            f'<tr><th scope="row">{label}</th><td class="chorus-amount">{formats.integer(b.count)}</td>'
            f'<td class="chorus-amount">{formats.money(b.amount)}</td></tr>'
        )
    return mark_safe("".join(parts))
