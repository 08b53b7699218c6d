"""Geometry of the Tableau de bord's bar charts, drawn as SVG by the templates (no script, no
library): pure Python, numbers in, rectangles and labels out, in the SVG's own units (viewBox).

``column_chart`` draws one vertical bar per month, ``bar_chart`` one horizontal bar per item; both
scale from zero (or from the most negative value: credit notes can make a month negative) to a
"nice" maximum with 4 or 5 grid lines labelled in French.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from chorus import formats

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
