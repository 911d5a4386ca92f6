"""Charts drawn at build time as inline SVG, so a report shows them with no script and
no network: Vega-Lite specifications built with Altair, rendered by vl-convert.

Every chart takes data already aggregated to what it shows (a few hundred marks at most),
whatever the number of units: Altair validates the specification, data included, and a
chart of ten thousand bars is neither fast to draw nor readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cchc_rules.reports._extras import require

__all__ = ["ChartRenderer", "Grades", "HeatCell", "RankedBar", "short_label"]

# Best grade first: green through yellow to red, spaced over however many grades there are.
_GRADE_PALETTE = ("#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#d73027")
_FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
_WIDTH = 560

_LABEL_CHARS = 42
"""Longest axis label, in characters: cut in Python, because Vega's own cut to a width
measures the text again and again and made one chart of long names take a second."""

_DECLARATIONS = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", re.IGNORECASE)
_ACTIVE = re.compile(r"<\s*(script|foreignObject|iframe|object|embed)\b|\son\w+\s*=", re.I)
_EXTERNAL_HREF = re.compile(r"""\s(?:xlink:)?href\s*=\s*(["'])(?!#).*?\1""", re.IGNORECASE)
_EXTERNAL_URL = re.compile(r"""url\(\s*(?!["']?#)[^)]*\)""", re.IGNORECASE)
_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_ID = re.compile(r"""\bid=(["'])(.*?)\1""")
_FRAGMENT = re.compile(r"""(url\(\s*["']?#|href=["']#)([^"')\s]*)""")


@dataclass(frozen=True)
class Grades:
    """The grade names a chart colours by, best first."""

    names: tuple[str, ...]

    def colors(self) -> list[str]:
        if len(self.names) <= 1:
            return list(_GRADE_PALETTE[:1])
        last = len(_GRADE_PALETTE) - 1
        steps = len(self.names) - 1
        return [_GRADE_PALETTE[round(i * last / steps)] for i in range(len(self.names))]


@dataclass(frozen=True)
class RankedBar:
    """One bar of a ranking chart: a unit's label, its index and grade."""

    label: str
    index: float
    grade: str


@dataclass(frozen=True)
class HeatCell:
    """One cell of a heatmap: a row (unit or summary), an area, the component index."""

    row: str
    area: str
    value: float | None
    """``None`` where no criterion of the area applies."""


def neutralise_svg(svg: str, prefix: str) -> str:
    """An SVG made safe and unique to inline in an HTML page.

    References to anything outside the document (``href``, ``url(…)``, ``@import``) are
    removed, so the page loads nothing; ids, and the references to them, become
    ``prefix`` and a number, because several inline SVGs share one page's ids (two
    charts' ``clip0`` would clip with the first one's path). Anything active (a script,
    an event handler) is refused: a chart library that starts emitting one must not slip
    it into a report.
    """
    svg = _DECLARATIONS.sub("", svg).strip()
    active = _ACTIVE.search(svg)
    if active:
        raise ValueError(f"the chart renderer produced active content ({active.group(0)!r})")
    svg = _EXTERNAL_HREF.sub("", svg)
    svg = _EXTERNAL_URL.sub("none", svg)
    svg = _IMPORT.sub("", svg)
    # Renumbered in order of appearance, not only prefixed: the renderer numbers some
    # ids (gradients) by a counter that runs across charts, and the same report must
    # come out byte for byte the same.
    ids: dict[str, str] = {}
    for match in _ID.finditer(svg):
        ids.setdefault(match.group(2), f"{prefix}{len(ids)}")
    svg = _ID.sub(lambda m: f"id={m.group(1)}{ids[m.group(2)]}{m.group(1)}", svg)
    return _FRAGMENT.sub(lambda m: f"{m.group(1)}{ids.get(m.group(2), prefix + m.group(2))}", svg)


def short_label(label: str) -> str:
    """``label`` cut to what an axis shows (:data:`_LABEL_CHARS`)."""
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1].rstrip() + "…"


class ChartRenderer:
    """Draws the charts of one document, each as an inline ``<svg>`` with its own ids."""

    def __init__(self, what: str) -> None:
        # Imported here: the ``report`` extra; ``what`` names the output in the error.
        self._alt: Any = require("altair", what)
        self._vl: Any = require("vl_convert", what)
        self._count = 0

    def _svg(self, chart: Any) -> str:
        self._count += 1
        spec = chart.configure(font=_FONT).configure_view(stroke=None).to_dict()
        return neutralise_svg(self._vl.vegalite_to_svg(spec), f"c{self._count}-")

    def _grade_color(self, grades: Grades, title: str) -> Any:
        alt = self._alt
        return alt.Color(
            "grade:N",
            scale=alt.Scale(domain=list(grades.names), range=grades.colors()),
            legend=alt.Legend(title=title, orient="bottom"),
        )

    def distribution(
        self,
        counts: Sequence[tuple[int, str, int]],
        thresholds: Sequence[tuple[float, str]],
        grades: Grades,
        *,
        bin_width: int,
        titles: tuple[str, str, str],
    ) -> str:
        """Units per bin of the index, stacked by grade, over the grade bands' thresholds.

        ``counts``: (bin start, grade name, units); ``thresholds``: (minimum index, label);
        ``titles``: the index axis, the units axis, the grade legend.
        """
        alt = self._alt
        index_title, units_title, grade_title = titles
        bars = (
            alt.Chart(
                alt.Data(
                    values=[
                        {"from": start, "to": start + bin_width, "grade": grade, "units": n}
                        for start, grade, n in counts
                    ]
                )
            )
            .mark_bar(stroke="white", strokeWidth=0.5)
            .encode(
                x=alt.X(
                    "from:Q",
                    bin=alt.Bin(binned=True, step=bin_width),
                    scale=alt.Scale(domain=[0, 100]),
                    title=index_title,
                ),
                x2="to:Q",
                y=alt.Y("sum(units):Q", title=units_title),
                color=self._grade_color(grades, grade_title),
            )
        )
        # Labels on two alternating lines: thresholds 10 points apart would overlap.
        marks = alt.Data(
            values=[
                {"at": at, "label": label, "y": 2 + 12 * (k % 2)}
                for k, (at, label) in enumerate(thresholds)
            ]
        )
        rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#555").encode(x="at:Q")
        labels = (
            alt.Chart(marks)
            .mark_text(align="left", baseline="top", dx=3, fontSize=10, color="#333")
            .encode(x="at:Q", y=alt.Y("y:Q", scale=None), text="label:N")
        )
        chart = alt.layer(bars, rules, labels).properties(width=_WIDTH, height=200)
        return self._svg(chart)

    def ranking(
        self,
        bars: Sequence[RankedBar],
        grades: Grades,
        *,
        note: str,
        titles: tuple[str, str],
    ) -> str:
        """Horizontal bars of the index, in the order given (best first), ``note`` above.

        Labels are shown as given: make them short (:func:`short_label`) and unique.
        """
        alt = self._alt
        index_title, grade_title = titles
        base = alt.Chart(
            alt.Data(values=[{"label": b.label, "index": b.index, "grade": b.grade} for b in bars]),
            # A note above the bars when not every unit is drawn.
            **({"title": alt.TitleParams(note, anchor="start", fontSize=11)} if note else {}),
        ).encode(
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X("index:Q", scale=alt.Scale(domain=[0, 100]), title=index_title),
        )
        chart = alt.layer(
            base.mark_bar().encode(color=self._grade_color(grades, grade_title)),
            base.mark_text(align="left", dx=3, fontSize=9).encode(
                text=alt.Text("index:Q", format=".2f")
            ),
        ).properties(width=_WIDTH - 200, height=alt.Step(14))
        return self._svg(chart)

    def heatmap(
        self,
        cells: Sequence[HeatCell],
        rows: Sequence[str],
        areas: Sequence[str],
        *,
        titles: tuple[str, str],
    ) -> str:
        """Rows × areas, each cell the component index (0–100), its value written in it.

        Row labels are shown as given: make them short (:func:`short_label`) and unique.
        """
        alt = self._alt
        area_title, index_title = titles
        base = alt.Chart(
            alt.Data(
                values=[
                    {
                        "row": c.row,
                        "area": c.area,
                        "value": c.value,
                        "text": "—" if c.value is None else f"{c.value:.0f}",
                    }
                    for c in cells
                ]
            ),
        ).encode(
            x=alt.X(
                "area:N",
                sort=list(areas),
                title=area_title,
                axis=alt.Axis(labelAngle=0, orient="top"),
            ),
            y=alt.Y("row:N", sort=list(rows), title=None, axis=alt.Axis(labelLimit=0)),
        )
        chart = alt.layer(
            base.mark_rect().encode(
                color=alt.Color(
                    "value:Q",
                    scale=alt.Scale(domain=[0, 100], scheme="redyellowgreen"),
                    legend=alt.Legend(title=index_title, orient="bottom"),
                )
            ),
            base.mark_text(fontSize=9).encode(
                text="text:N",
                # White on the darkest cells at both ends of the scale.
                color=alt.condition(
                    "datum.value != null && (datum.value >= 85 || datum.value < 15)",
                    alt.value("white"),
                    alt.value("black"),
                ),
            ),
        ).properties(width=alt.Step(34), height=alt.Step(16))
        return self._svg(chart)

    def area_bars(self, values: Sequence[tuple[str, float | None]], *, title: str) -> str:
        """One unit's component index per area (label, %), in ruleset order."""
        alt = self._alt
        base = alt.Chart(
            alt.Data(
                values=[
                    {
                        "area": short_label(label),
                        "value": value,
                        "at": value or 0,
                        "text": "—" if value is None else f"{value:.2f}",
                    }
                    for label, value in values
                ]
            )
        ).encode(
            # An explicit order: the bars' layer drops areas with no value, and the
            # layers' union would then put those last.
            y=alt.Y(
                "area:N",
                sort=[short_label(label) for label, _ in values],
                title=None,
                axis=alt.Axis(labelLimit=0),
            ),
            x=alt.X("value:Q", scale=alt.Scale(domain=[0, 100]), title=title),
        )
        chart = alt.layer(
            base.mark_bar().encode(
                color=alt.Color(
                    "value:Q",
                    scale=alt.Scale(domain=[0, 100], scheme="redyellowgreen"),
                    legend=None,
                )
            ),
            # At 0 where nothing applies, so "—" shows where a bar would be.
            base.mark_text(align="left", dx=3, fontSize=9).encode(x="at:Q", text="text:N"),
        ).properties(width=_WIDTH - 260, height=alt.Step(16))
        return self._svg(chart)
