"""The charts' geometry (invoices/charts.py), without a database."""

from decimal import Decimal

from invoices import charts


def test_columns_scale_from_zero_to_a_nice_maximum():
    chart = charts.column_chart([("janv.", Decimal("1200")), ("févr.", Decimal("3700")), ("mars", 0)], money=True)
    assert [t.text for t in chart.ticks] == ["0\u00a0€", "1\u00a0k€", "2\u00a0k€", "3\u00a0k€", "4\u00a0k€"]
    tallest = chart.rects[1]
    assert tallest.y > chart.plot_top and tallest.y + tallest.height == chart.baseline == chart.plot_bottom
    assert chart.rects[2].height == 0 and not chart.empty
    assert chart.rects[0].value_text == "1\u202f200,00\u00a0€"


def test_counts_have_whole_grid_lines():
    chart = charts.column_chart([("a", 1), ("b", 2)], money=False)
    assert [t.text for t in chart.ticks] == ["0", "1", "2"]


def test_a_negative_month_goes_below_the_baseline():
    chart = charts.column_chart([("janv.", Decimal("-500")), ("févr.", Decimal("1000"))], money=True)
    negative = chart.rects[0]
    assert negative.negative and negative.y == chart.baseline and negative.height > 0
    assert chart.ticks[0].text == "-500\u00a0€"


def test_crowded_axes_show_one_label_in_n():
    chart = charts.column_chart([(f"m{i}", i) for i in range(36)], money=False)
    assert sum(r.label_shown for r in chart.rects) == 12


def test_bars_cut_long_labels_and_keep_them_whole_in_the_title():
    name = "Centre hospitalier universitaire de Démo-sur-Mer (démonstration)"
    chart = charts.bar_chart([(name, Decimal("10")), ("Commune", Decimal("5"))], money=True)
    assert chart.rects[0].label.endswith("…") and len(chart.rects[0].label) == charts.MAX_LABEL
    assert chart.rects[0].title == name
    assert chart.rects[0].width == 2 * chart.rects[1].width
    assert chart.height == charts.TOP + 2 * charts.BAR_ROW + charts.BOTTOM_AXIS - 10


def test_nothing_to_draw():
    chart = charts.bar_chart([], money=False)
    assert chart.empty and chart.rects == []
