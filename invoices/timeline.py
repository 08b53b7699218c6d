"""The history of an invoice on its page (« Historique de la facture »), written in Python, and the
labels of a model's choices read once per process and language.

Through the template engine each event cost two ``get_…_display`` calls (each builds the dict of
the field's choices, hashing every lazy label: one translation look-up per status, ~30 per event)
and two dozen variable look-ups: with the invoice's own status labels, a third of the invoice
page. Here an event is one string: the same markup, values escaped as the engine escapes them,
times in the portal's time zone as the ``date`` filter gives them, the comment through the
``linebreaksbr`` filter itself (``tests/invoices/test_timeline.py`` compares the two).
"""

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from invoices.rows import escape, status_label

_CHOICES: dict[tuple, str] = {}


def choice_label(model, field_name: str, value) -> str:
    """``instance.get_<field_name>_display()`` for ``value``: the label of the choice (translated
    once per process and language), the value itself when it is not a choice."""
    key = (get_language() or "", model, field_name, value)
    label = _CHOICES.get(key)
    if label is None:
        choices = dict(model._meta.get_field(field_name).flatchoices)
        if value not in choices:
            return force_str(value, strings_only=True)
        label = _CHOICES[key] = force_str(choices[value], strings_only=True)
    return label


def _when(value) -> tuple[str, str]:
    """``value|date:'c'`` and ``value|date:"d/m/Y à H:i"`` in the portal's time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat(), f"{value:%d/%m/%Y} à {value:%H:%M}"


def timeline_html(timeline: list[dict]) -> SafeString:
    """The ``<li>`` of each event of ``timeline`` (``{"event", "actor", "meaning"}``, oldest first)."""
    from invoices.models import InvoiceEvent

    parts = []
    for entry in timeline:
        event = entry["event"]
        iso, shown = _when(event.created_at)
        if event.changes_status:
            old, new = event.from_reform_code, event.to_reform_code
            what = (
                f"{escape(status_label(event.from_status))}{f' ({escape(old)})' if old else ''}"
                f" → <strong>{escape(status_label(event.to_status))}</strong>{f' ({escape(new)})' if new else ''}"
            )
        else:
            done = (
                escape(choice_label(InvoiceEvent, "transition", event.transition))
                if event.transition
                else "rejet traité"
            )
            what = f"{escape(status_label(event.to_status))} : {done}"
        motif = f"<p>Motif : {escape(event.motif.label)}</p>" if event.motif_id is not None else ""
        comment = f"<p>Commentaire : {linebreaksbr(event.comment, autoescape=True)}</p>" if event.comment else ""
        mandate = f"<p>N° de mandat : {escape(event.mandate_number)}</p>" if event.mandate_number else ""
        meaning = f'<p class="fr-text--sm">{escape(entry["meaning"])}</p>' if event.changes_status else ""
        parts.append(
            f'<li>\n    <time class="chorus-timeline__when" datetime="{iso}">Le {shown}</time>\n'
            f'    <p class="chorus-timeline__what">{what}</p>\n'
            f'    <p class="fr-text--sm">Par {escape(entry["actor"])}</p>\n'
            f"    {motif}\n    {comment}\n    {mandate}\n    {meaning}\n  </li>"
        )
    return mark_safe("".join(parts))
