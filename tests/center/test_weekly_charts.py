"""The report's server-side SVG charts and Russian number formats."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tsur.workspace.center import weekly_charts as charts
from tsur.workspace.center import weekly_format as fmt

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_it_draws_a_bar_per_day_and_week_with_whole_ticks():
    bars = [charts.Bar(f"д{i}", value=i + 1, previous=7 - i) for i in range(7)]
    root = _parse(charts.columns(bars, title="Поступило <по дням>"))
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("height") and float(r.get("height")) > 0 and r.get("width") != "10"]
    assert len(rects) == 14  # this week and last, every day
    assert root.find(f"{SVG}title").text == "Поступило <по дням>"  # escaped in the markup, intact when read
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8"]


def test_it_draws_rows_with_notes_and_long_labels_cut():
    long_name = "Очень длинное название организации, которое не помещается в строку"
    root = _parse(charts.rows([charts.Bar(long_name, 80, note="80 баллов")], title="t", top_value=100))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "80 баллов" in texts
    assert any(t.endswith("…") and len(t) == charts.LABEL_CHARS for t in texts)


def test_it_writes_figures_the_russian_way():
    assert fmt.number(123456) == "123\u00a0456"
    assert fmt.number(2.75) == "2,8"
    assert fmt.percent(0.783) == "78\u00a0%"
    assert fmt.percent(None) == "—"
    assert fmt.duration(5.5) == "5,5\u00a0ч"
    assert fmt.duration(77) == "3,2\u00a0дн."
    assert fmt.change(112, 100) == ("+12\u00a0% к прошлой неделе", 1)
    assert fmt.change(50, 100) == ("−50\u00a0% к прошлой неделе", -1)
    assert fmt.change(3, 0) == ("на прошлой неделе — 0", 1)
    assert fmt.change(0, 0) == ("без изменений", 0)
    assert fmt.share_change(0.8, 0.75) == ("+5\u00a0п.\u00a0п. к прошлой неделе", 1)
