"""Charts as server-rendered SVG (pygal): pure functions from counts to a `Chart`.

A `Chart` carries its numbers as a text table (the page shows it in `<details class="chart-data">`,
templates/_chart.html) and one pygal drawing, cleaned for the Content-Security-Policy: pygal's
`<style>` and `<script>` are taken out (the CSP allows neither inline), and so are its tooltip layer
(which carries a `style=""`) and the hover titles only its script used. Its look is written onto the
elements as presentation attributes instead (fill, stroke, text-anchor: allowed by the CSP, drawn by
WeasyPrint), and on pages eventkit/static/charts.css themes pygal's classes (CSS wins over
attributes). The root gets `role="img"` and `aria-labelledby` its own `<title>` and `<desc>`.

* `svg` is the drawing for inline use in a page;
* `document_svg` the same bytes for WeasyPrint, served to the PDF as `generated:<name>`.

The drawing is `VIEW_WIDTH` user units wide and scales to its box, so its text is laid out for a
phone: 14-unit labels render at about 12 px in a 390 px wide page's card. Renders are cached by
their numbers (the functions are pure), so a page shown again with the same counts draws nothing.
"""
from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal adds a finder for its map plugins to sys.meta_path that only has the old find_module API:
# every import that reaches it (any failed import, e.g. dateutil probing for winreg) then warns, and
# warnings are errors in the tests. eventkit draws no maps, so the finder goes.
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

#: width of every chart's viewBox, in user units (the CSS scales it to the column's width)
VIEW_WIDTH = 360
#: font sizes in user units; pygal lays the chart out with them and charts.css repeats them
LABEL_SIZE = 14
VALUE_SIZE = 15
BAR_HEIGHT = 34
#: the colours of eventkit/static/app.css (charts.css uses the custom properties themselves)
ACCENT, GOOD, WARN, BAD, INK, MUTED, LINE = "#2f6f5e", "#1e7b34", "#b4541a", "#b3261e", "#1f2430", "#5c6070", "#dedbd2"
STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground=INK, foreground_strong=INK,
    foreground_subtle=LINE, opacity=".9", opacity_hover=".9", colors=(ACCENT, MUTED, WARN, BAD, GOOD),
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif", label_font_size=LABEL_SIZE,
    major_label_font_size=LABEL_SIZE, value_font_size=VALUE_SIZE, legend_font_size=LABEL_SIZE,
    title_font_size=LABEL_SIZE + 2, no_data_font_size=VALUE_SIZE,
)
COMMON = {
    "style": STYLE, "js": [], "no_prefix": True, "width": VIEW_WIDTH, "disable_xml_declaration": True, "margin": 8,
    "show_y_guides": True, "truncate_label": -1, "truncate_legend": -1, "print_zeroes": True,
}
STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.S)
#: arrival intervals the chart may use, shortest first (about a dozen points across the span)
STEPS = [timedelta(minutes=m) for m in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)]
MAX_POINTS = 12
#: the arrivals chart's reference lines (expected, holding a place), by pygal's series class
SERIES_DASH = {"serie-1": "6,4", "serie-2": "2,4"}


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows in words, its numbers as a table and its SVG in both forms."""

    key: str
    title: str
    #: one sentence that says what the chart shows (the SVG's <desc> and the figure's caption)
    summary: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    svg: Markup
    document_svg: bytes

    @property
    def dom_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def document_name(self) -> str:
        """The name the PDF's `<img src="generated:...">` asks for."""
        return f"chart-{self.key}.svg"


def percent(part: int, whole: int) -> str:
    """"40%" (rounded), or "–" of nothing."""
    return f"{round(100 * part / whole)}%" if whole else "–"


def things(count: int, word: str) -> str:
    """"1 guest", "3 guests"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def bar_chart(key: str, title: str, summary: str, bars: Sequence[tuple[str, int]],
              of: int | None = None, of_label: str = "", label_column: str = "") -> Chart:
    """Horizontal bars, top to bottom in the order given; with `of`, each bar's share of it too."""
    if of is None:
        columns, rows = (label_column, "Number"), tuple((label, str(value)) for label, value in bars)
    else:
        columns = (label_column, "Number", f"Share of {of_label}")
        rows = tuple((label, str(value), percent(value, of)) for label, value in bars)
    svg = _bars(key, title, summary, tuple(bars), of)
    return _chart(key, title, summary, columns, rows, svg)


def replies_chart(counts: Mapping[str, int]) -> Chart:
    """Guests by their answer: registered, approved, invited without a reply yet, waiting, declined, cancelled."""
    bars = [("Registered", counts.get("registered", 0)), ("Approved", counts.get("approved", 0)),
            ("Invited, no reply", counts.get("invited", 0)), ("Waitlisted", counts.get("waitlisted", 0)),
            ("Declined", counts.get("declined", 0)), ("Cancelled", counts.get("cancelled", 0))]
    total = sum(value for _label, value in bars)
    summary = f"Of {things(total, 'guest')}: " + "; ".join(
        f"{value} {label.lower()}" for label, value in bars if value or label == "Registered") + "."
    return bar_chart("replies", "Replies", summary, bars, of=total, of_label="all guests", label_column="Answer")


def readiness_chart(total: int, complete: int, with_offers: int, with_seeks: int, ready: int) -> Chart:
    """Guests still coming with a complete profile, with offers, with seeks, and ready (all of it)."""
    bars = [("Complete profile", complete), ("With offers", with_offers), ("With seeks", with_seeks),
            ("Ready", ready)]
    summary = f"Ready: {ready} of {things(total, 'guest')} still coming; {complete} with a complete profile, " \
              f"{with_offers} offering something, {with_seeks} seeking something."
    return bar_chart("readiness", "Guest readiness", summary, bars, of=total, of_label="guests coming", label_column="Guests")


def delivery_chart(counts: Mapping[str, int]) -> Chart:
    """The gathering's emails by outbox status: sent, waiting (incl. being sent), failed."""
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    bars = [("Sent", counts.get("sent", 0)), ("Waiting", waiting), ("Failed", counts.get("failed", 0))]
    total = sum(value for _label, value in bars)
    summary = f"{bars[0][1]} of {things(total, 'email')} sent, {waiting} waiting, {bars[2][1]} failed."
    return bar_chart("delivery", "Email delivery", summary, bars, of=total, of_label="all emails", label_column="Status")


def funnel_chart(funnel: Sequence[tuple[str, str, int]]) -> Chart:
    """Connections that reached each stage (met, followed up, reciprocated, deepened), as a share of met."""
    bars = [(label, count) for _key, label, count in funnel]
    met = bars[0][1] if bars else 0
    summary = "; ".join(f"{label} {count}" for label, count in bars) + "."
    return bar_chart("funnel", "Follow-up funnel", summary, bars, of=met, of_label=bars[0][0].lower() if bars else "",
                     label_column="Stage")


def arrivals_chart(times: Sequence[datetime], expected: int, holding: int, zone: str) -> Chart:
    """Guests checked in so far over time (`times`, aware) against those `expected` (and `holding` a place).

    The times are grouped in intervals of 5 minutes to a week, whichever gives at most a dozen
    points, labelled in the gathering's time zone.
    """
    tz = ZoneInfo(zone)
    ends, counts = arrival_intervals(sorted(times))
    fmt = "%H:%M" if not ends or ends[-1] - ends[0] < timedelta(hours=20) else "%d %b %H:%M"
    labels = tuple(end.astimezone(tz).strftime(fmt) for end in ends)
    so_far = tuple(_running(counts))
    arrived = so_far[-1] if so_far else 0
    summary = f"{arrived} of {things(expected, 'expected guest')} arrived"
    summary += f" ({holding} hold a place)." if holding != expected else "."
    columns = ("By", "Arrived in the interval", "Arrived so far", "Expected")
    rows = tuple((label, str(n), str(total), str(expected)) for label, n, total in zip(labels, counts, so_far))
    svg = _arrivals(summary, labels, so_far, expected, holding)
    return _chart("arrivals", "Arrivals", summary, columns, rows, svg)


def arrival_intervals(times: Sequence[datetime]) -> tuple[list[datetime], list[int]]:
    """The end of each interval from the first arrival's to the last's, and how many arrived in it."""
    if not times:
        return [], []
    first, last = times[0], times[-1]
    step = next((s for s in STEPS if (last - first) / s < MAX_POINTS), STEPS[-1])
    epoch = datetime(2000, 1, 1, tzinfo=first.tzinfo)
    start = epoch + step * math.floor((first - epoch) / step)
    points = math.floor((last - start) / step) + 1
    counts = [0] * points
    for moment in times:
        counts[min(int((moment - start) / step), points - 1)] += 1
    return [start + step * (index + 1) for index in range(points)], counts


def ticks(top: int) -> list[int]:
    """At most five whole-number ticks from 0 to at least `top`, at a round step (1, 2, 5, 10, 20, 25, 50...)."""
    step = next(s * 10 ** e for e in range(12) for s in (1, 2, 2.5, 5) if (s * 10 ** e) % 1 == 0
                and top / (s * 10 ** e) <= 4)
    step = int(step)
    return list(range(0, step * max(1, math.ceil(top / step)) + 1, step))


def _value_axis(top: int) -> dict:
    marks = ticks(top)
    return {"range": (0, marks[-1]), "y_labels": marks}


def _running(counts: Sequence[int]):
    total = 0
    for count in counts:
        total += count
        yield total


def _chart(key: str, title: str, summary: str, columns, rows, svg: str) -> Chart:
    drawing = _titled(STYLE_BLOCK.sub("", svg, count=1), key, title, summary)
    return Chart(key=key, title=title, summary=summary, columns=columns, rows=rows,
                 svg=Markup(drawing), document_svg=drawing.encode())


@lru_cache(maxsize=256)
def _bars(key: str, title: str, summary: str, bars: tuple[tuple[str, int], ...], of: int | None) -> str:
    chart = pygal.HorizontalBar(
        **COMMON, height=BAR_HEIGHT * len(bars) + 56, show_legend=False, print_values=True,
        print_values_position="top", **_value_axis(max([of or 0] + [v for _l, v in bars])),
        classes=["pygal-chart", "chart-svg", f"chart-{key}-svg"], value_formatter=str,
    )
    chart.add_xml_filter(_clean)
    # pygal draws a horizontal chart's first label at the bottom; reverse to read top to bottom
    chart.x_labels = [label for label, _value in reversed(bars)]
    chart.add(title, [value for _label, value in reversed(bars)])
    return chart.render()


@lru_cache(maxsize=64)
def _arrivals(summary: str, labels: tuple[str, ...], so_far: tuple[int, ...], expected: int, holding: int) -> str:
    every = max(1, math.ceil(len(labels) / 4))
    chart = pygal.Line(
        **COMMON, height=240, margin_right=24, show_legend=True, legend_at_bottom=True, legend_at_bottom_columns=1,
        show_minor_x_labels=False, x_labels_major_every=every, fill=False,
        **_value_axis(max([expected, holding] + list(so_far))), classes=["pygal-chart", "chart-svg", "chart-arrivals-svg"],
        value_formatter=str, dots_size=3,
    )
    chart.add_xml_filter(_clean)
    chart.x_labels = list(labels) if len(labels) > 1 else list(labels) * 2
    points = list(so_far) if len(so_far) > 1 else list(so_far) * 2
    chart.add("Arrived", points)
    chart.add("Expected", [expected] * len(points), show_dots=False)
    if holding != expected:
        chart.add("Holding a place", [holding] * len(points), show_dots=False)
    return chart.render()


def _clean(root):
    """pygal's SVG without its script, tooltip layer, hover titles, value descriptions and comments,
    its look as presentation attributes (see `_paint`)."""
    for parent in root.iter():
        for child in list(parent):
            if _is_scripting(child):
                parent.remove(child)
    root.set("font-family", STYLE.font_family)
    root.set("font-size", str(LABEL_SIZE))
    graph = next((node for node in root if "graph" in (node.get("class") or "").split()), None)
    if graph is not None:
        category_axis = "y" if "horizontal" in graph.get("class", "").split() else "x"
        _paint(graph, [], category_axis)
    return root


def _paint(node, outer: list[str], category_axis: str) -> None:
    """pygal's stylesheet as presentation attributes, so the drawing needs no <style>: WeasyPrint
    draws it as it is, and on a page charts.css (whose rules win over attributes) themes it."""
    classes = (node.get("class") or "").split()
    if node.tag == "rect" and "background" in classes:
        node.set("fill", "#ffffff" if "plot" in outer else "none")
    elif node.tag == "text":
        node.set("stroke", "none")
        node.set("fill", INK)
        if "axis" in outer:
            node.set("text-anchor", "end" if "y" in outer else "middle")
        if "value" in classes:
            node.set("font-size", str(VALUE_SIZE))
            node.set("font-weight", "bold")
    elif node.tag == "path" and "line" in classes:
        if "guide" in classes:
            hidden = category_axis in outer and "always_show" not in outer
            node.set("stroke", "none" if hidden else LINE)
            node.set("stroke-dasharray", "4,4")
        elif "reactive" not in classes:  # an axis
            node.set("stroke", MUTED)
        else:  # a series' line: the first solid, reference lines dashed
            dash = next((SERIES_DASH[name] for name in outer if name in SERIES_DASH), None)
            node.set("stroke-width", "2" if dash else "3")
            if dash:
                node.set("stroke-dasharray", dash)
        node.set("fill", "none")
    for name in classes:
        if name.startswith("color-") and name[6:].isdigit():
            colour = STYLE.colors[int(name[6:]) % len(STYLE.colors)]
            node.set("fill", colour)
            node.set("stroke", colour)
    for child in node:
        if isinstance(child.tag, str):
            _paint(child, outer + classes, category_axis)


def _is_scripting(node) -> bool:
    if not isinstance(node.tag, str):  # pygal's comments (one carries the date)
        return True
    tag = node.tag
    classes = (node.get("class") or "").split()
    return (tag == "script" or "tooltip-overlay" in classes or (tag == "desc" and node.text is not None)
            or (tag == "title" and node.text is not None and node.text.replace(".", "").isdigit()))


def _titled(svg: str, key: str, title: str, summary: str) -> str:
    """Give the SVG its accessible name: role="img", our ids and a <title> + <desc> (escaped)."""
    dom_id = f"chart-{key}"
    head, _, rest = svg.partition(">")
    head = re.sub(r'\sid="[^"]*"', "", head)
    name = Markup('<title id="{0}-title">{1}</title><desc id="{0}-desc">{2}</desc>').format(dom_id, title, summary)
    rest = re.sub(r"<title>.*?</title>", lambda _m: str(name), rest, count=1, flags=re.S)
    return f'{head} id="{dom_id}-svg" role="img" aria-labelledby="{dom_id}-title {dom_id}-desc">{rest}'
