"""The server-side SVG charts: well-formed, escaped, scaled."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.web import charts as C

NS = "{http://www.w3.org/2000/svg}"


def test_bar_chart_escapes_labels_and_scales_to_the_largest_value() -> None:
    svg = C.bar_chart([("<b>漏水</b>", 10), ("停电", 5)], title="热词 & 类别")
    root = ET.fromstring(svg)                 # would raise on an unescaped label
    labels = [t.text for t in root.iter(NS + "text")]
    assert "<b>漏水</b>" in labels and "10" in labels and "5" in labels
    widths = [float(r.get("width")) for r in root.iter(NS + "rect")]
    assert widths[0] == 2 * widths[1]
    assert "暂无数据" in C.bar_chart([], title="x")


def test_line_chart_breaks_at_missing_values_and_clamps() -> None:
    svg = C.line_chart(["1/5", "1/12", "1/19"], [("响应率", [0.5, None, 1.2]), ("解决率", [0.1, 0.2, 0.3])],
                       title="三率")
    root = ET.fromstring(svg)
    lines = list(root.iter(NS + "polyline"))
    assert len(lines) == 1                    # 响应率 has no two consecutive values; 解决率 is one line
    ys = [float(c.get("cy")) for c in root.iter(NS + "circle")]
    assert min(ys) >= 28                       # 1.2 is drawn at 100 %, not above the plot
    assert "暂无数据" in C.line_chart(["a"], [("x", [None])], title="t")


def test_heat_map_marks_closed_hours_and_shades_by_value() -> None:
    svg = C.heat_map(["钢琴房", "自习室"], ["8", "9"], [[None, 1.0], [0.0, 0.5]], title="使用率")
    rects = list(ET.fromstring(svg).iter(NS + "rect"))
    fills = [r.get("fill") for r in rects]
    assert fills[0] == "#f0f0f0" and fills[1] != fills[3] != fills[2]
    assert [r.find(NS + "title").text for r in rects][0] == "钢琴房 8: 不开放"
