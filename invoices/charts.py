"""The Tableau de bord's bar charts, drawn as SVG (no script, no library): the geometry, pure
Python, numbers in, rectangles and labels out, in the SVG's own units (viewBox); then the markup.

``column_chart`` draws one vertical bar per month, ``bar_chart`` one horizontal bar per item; both
scale from zero (or from the most negative value: credit notes can make a month negative) to a
"nice" maximum with 4 or 5 grid lines labelled in French.

``column_svg`` and ``bar_svg`` write a chart's accessible figure (``role="img"``, named by its
title and described by its ``desc``; the table beside it gives every value). Through the template
engine (an ``{% include %}`` a chart, a dozen lookups per bar and per grid line, numbers through
``{% localize off %}``) the four charts were a third of the page; here they are strings, numbers
written as ``{% localize off %}`` writes them (``str``), texts escaped as the engine escapes them
(``tests/invoices/test_figures_html.py`` compares them with the former templates).
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

from chorus import formats
from invoices.rows import escape

WIDTH = 640
COLUMN_HEIGHT = 260
BAR_ROW = 30
LEFT_AXIS = 78  # room for the value labels of the column chart
TOP = 12
BOTTOM_AXIS = 44
LABEL_WIDTH = 230  # room for the item labels of the bar chart
RIGHT = 16
MAX_LABEL = 30  # bar chart: longer item labels are cut (the table beside has them in full)
VALUE_ROOM = 120  # bar chart: room for the value written after the longest bar


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    label: str  # the item (month, status, recipient)
    value_text: str
    negative: bool = False
    cx: float = 0.0  # middle of the bar (column chart: where its label goes)
    label_shown: bool = True  # one label in ``every`` on a crowded axis
    cy: float = 0.0  # middle of the bar (bar chart: where its label goes)
    value_x: float = 0.0  # bar chart: where the value is written, after the bar
    sublabel: str = ""  # column chart: a second line under the label (the year)
    title: str = ""  # the tooltip's name of the item (the label in full)


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    ticks: list[Tick]
    baseline: float
    empty: bool
    plot_left: float = LEFT_AXIS
    plot_right: float = WIDTH - RIGHT
    plot_top: float = TOP
    plot_bottom: float = COLUMN_HEIGHT - BOTTOM_AXIS

    @property
    def label_y(self) -> float:
        return self.plot_bottom + 18

    @property
    def sublabel_y(self) -> float:
        return self.plot_bottom + 34


def nice_step(span: float, target: int = 4) -> float:
    """A step of 1, 2, 2.5 or 5 × 10^n giving about ``target`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _scale(values: list[float], *, whole: bool = False):
    """Low and high ends and the grid values; ``whole`` keeps whole steps (counts of invoices)."""
    low, high = min([0.0, *values]), max([0.0, *values])
    step = nice_step(high - low)
    if whole:
        step = float(max(1, math.ceil(step)))
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step or step
    ticks, value = [], low
    while value <= high + step / 2:
        ticks.append(value)
        value += step
    return low, high, ticks


def compact(value: float, money: bool) -> str:
    """A tick label: 12 k€, 1,5 M€, 250 (no decimals below a thousand)."""
    unit = f"{formats.UNIT_SEPARATOR}€" if money else ""
    size = abs(value)
    if size >= 1_000_000:
        return f"{formats.number(Decimal(str(round(value / 1_000_000, 1))))}{formats.UNIT_SEPARATOR}M{unit.strip()}"
    if size >= 1_000:
        return f"{formats.number(Decimal(str(round(value / 1_000, 1))))}{formats.UNIT_SEPARATOR}k{unit.strip()}"
    return f"{formats.integer(Decimal(str(value)))}{unit}"


def column_chart(items: list[tuple], *, money: bool) -> Chart:
    """One vertical bar per (label, value[, sublabel[, title]]), left to right."""
    items = [(*item, "", "")[:4] for item in items]
    values = [float(item[1]) for item in items]
    low, high, tick_values = _scale(values, whole=not money)
    plot_top, plot_bottom = TOP, COLUMN_HEIGHT - BOTTOM_AXIS
    plot_left, plot_right = LEFT_AXIS, WIDTH - RIGHT

    def y(value: float) -> float:
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - plot_top)

    slot = (plot_right - plot_left) / max(1, len(items))
    bar = slot * 0.68
    zero = y(0.0)
    every = max(1, math.ceil(len(items) / 12))
    rects = []
    for index, (label, value, sublabel, title) in enumerate(items):
        top, bottom = sorted((y(float(value)), zero))
        rects.append(
            Rect(
                sublabel=sublabel,
                title=title or label,
                cx=round(plot_left + (index + 0.5) * slot, 2),
                label_shown=index % every == 0,
                x=round(plot_left + index * slot + (slot - bar) / 2, 2),
                y=round(top, 2),
                width=round(bar, 2),
                height=round(max(bottom - top, 0.0), 2),
                label=label,
                value_text=formats.money(value) if money else formats.integer(value),
                negative=float(value) < 0,
            )
        )
    ticks = [Tick(round(y(v), 2), compact(v, money)) for v in tick_values]
    return Chart(WIDTH, COLUMN_HEIGHT, rects, ticks, round(zero, 2), not any(values))


def bar_chart(items: list[tuple[str, Decimal | int]], *, money: bool) -> Chart:
    """One horizontal bar per (label, value), top to bottom."""
    values = [float(v) for _label, v in items]
    low, high, tick_values = _scale(values, whole=not money)
    plot_left, plot_right = LABEL_WIDTH, WIDTH - VALUE_ROOM
    height = TOP + BAR_ROW * max(1, len(items)) + BOTTOM_AXIS - 10

    def x(value: float) -> float:
        return plot_left + (value - low) / (high - low) * (plot_right - plot_left)

    zero = x(0.0)
    rects = []
    for index, (label, value) in enumerate(items):
        left, right = sorted((x(float(value)), zero))
        rects.append(
            Rect(
                x=round(left, 2),
                cy=TOP + index * BAR_ROW + BAR_ROW / 2 + 4,
                value_x=round(max(left, right) + 6, 2),
                y=TOP + index * BAR_ROW + 5,
                width=round(max(right - left, 0.0), 2),
                height=BAR_ROW - 10,
                label=label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…",
                title=label,
                value_text=formats.money(value) if money else formats.integer(value),
                negative=float(value) < 0,
            )
        )
    ticks = [Tick(round(x(v), 2), compact(v, money)) for v in tick_values]
    return Chart(
        WIDTH,
        height,
        rects,
        ticks,
        round(zero, 2),
        not any(values),
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=TOP + BAR_ROW * max(1, len(items)),
    )


def _n(value) -> str:
    """A number as ``{% localize off %}`` writes it."""
    return str(value)


def _bar_class(rect: Rect, alt: bool) -> str:
    if rect.negative:
        return "chorus-chart__bar chorus-chart__bar--negative"
    return "chorus-chart__bar chorus-chart__bar--alt" if alt else "chorus-chart__bar"


def _figure(chart: Chart, id: str, title: str, desc: str, body: str) -> SafeString:
    id, title = escape(id), escape(title)
    return mark_safe(
        f'\n<figure class="chorus-chart" aria-labelledby="{id}-caption">\n'
        f'  <svg class="chorus-chart__svg" viewBox="0 0 {_n(chart.width)} {_n(chart.height)}" role="img" '
        f'aria-labelledby="{id}-title" aria-describedby="{id}-desc" focusable="false">\n'
        f'    <title id="{id}-title">{title}</title>\n'
        f'    <desc id="{id}-desc">{escape(desc)}</desc>\n'
        f"{body}\n  </svg>\n"
        f'  <figcaption id="{id}-caption" class="fr-text--sm">{title}'
        f"{' : aucune facture sur la période.' if chart.empty else ''}</figcaption>\n</figure>\n"
    )


def column_svg(chart: Chart, *, id: str, title: str, desc: str, alt: bool = False) -> SafeString:
    """The figure of a ``column_chart``: ``id`` names its parts, ``alt`` the second colour."""
    left, right = _n(chart.plot_left), _n(chart.plot_right)
    label_x = _n(int(chart.plot_left) - 6)
    ticks = "".join(
        f'<line class="chorus-chart__grid" x1="{left}" x2="{right}" y1="{_n(t.position)}" y2="{_n(t.position)}"/>'
        f'<text x="{label_x}" y="{_n(t.position)}" dy="4" text-anchor="end">{escape(t.text)}</text>'
        for t in chart.ticks
    )
    label_y, sublabel_y = _n(chart.label_y), _n(chart.sublabel_y)
    rects = []
    for r in chart.rects:
        rects.append(
            f'<rect class="{_bar_class(r, alt)}" x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.width)}" '
            f'height="{_n(r.height)}"><title>{escape(r.title)} : {escape(r.value_text)}</title></rect>'
        )
        if r.label_shown:
            rects.append(f'<text x="{_n(r.cx)}" y="{label_y}" text-anchor="middle">{escape(r.label)}</text>')
            if r.sublabel:
                rects.append(f'<text x="{_n(r.cx)}" y="{sublabel_y}" text-anchor="middle">{escape(r.sublabel)}</text>')
    baseline = _n(chart.baseline)
    body = (
        f"    {ticks}\n    {''.join(rects)}\n"
        f'    <line class="chorus-chart__axis" x1="{left}" x2="{right}" y1="{baseline}" y2="{baseline}"/>'
    )
    return _figure(chart, id, title, desc, body)


def bar_svg(chart: Chart, *, id: str, title: str, desc: str, alt: bool = False) -> SafeString:
    """The figure of a ``bar_chart``: ``id`` names its parts, ``alt`` the second colour."""
    top, bottom, label_y = _n(chart.plot_top), _n(chart.plot_bottom), _n(chart.label_y)
    ticks = "".join(
        f'<line class="chorus-chart__grid" x1="{_n(t.position)}" x2="{_n(t.position)}" y1="{top}" y2="{bottom}"/>'
        f'<text x="{_n(t.position)}" y="{label_y}" text-anchor="middle">{escape(t.text)}</text>'
        for t in chart.ticks
    )
    label_x = _n(int(chart.plot_left) - 8)
    rects = "".join(
        f'<text x="{label_x}" y="{_n(r.cy)}" text-anchor="end">{escape(r.label)}</text>'
        f'<rect class="{_bar_class(r, alt)}" x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.width)}" '
        f'height="{_n(r.height)}"><title>{escape(r.title)} : {escape(r.value_text)}</title></rect>'
        f'<text x="{_n(r.value_x)}" y="{_n(r.cy)}">{escape(r.value_text)}</text>'
        for r in chart.rects
    )
    baseline = _n(chart.baseline)
    body = (
        f"    {ticks}\n    {rects}\n"
        f'    <line class="chorus-chart__axis" x1="{baseline}" x2="{baseline}" y1="{top}" y2="{bottom}"/>'
    )
    return _figure(chart, id, title, desc, body)
