"""The HTML report: one self-contained page with the summary, charts, a sortable table of
every unit, and every unit's scorecard.

It opens from a USB stick: styles, the sorting script and the charts (SVG drawn when the
report is built) are in the file, and it loads nothing. The page is one template
render; the charts take aggregates, so 10,000 units cost no more charts than 19.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from importlib.resources import files
from typing import Any

from cchc_rules.reports._assessed import AssessedResults
from cchc_rules.reports._charts import ChartRenderer, Grades, HeatCell, RankedBar, short_label
from cchc_rules.reports._html_parts import (
    HTML_LABELS,
    RANKED_NOTE,
    SCORE_LEGEND,
    CardRows,
    render,
    safe_name,
    unit_view,
)
from cchc_rules.reports._labels import _fixed, _plain
from cchc_rules.reports._limits import UNIT_SECTIONS_MAX
from cchc_rules.reports._provenance import provenance_rows
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.ruleset._models import Band, Ruleset

__all__ = [
    "BIN_WIDTH",
    "CHART_UNITS",
    "UNIT_SECTIONS_MAX",
    "report_html",
    "ruleset_context",
    "stored_provenance",
]

CHART_UNITS = 30
"""Units a peer group's ranking chart and heatmap show one by one; a larger group shows
its best and worst ``CHART_UNITS // 2`` (the table and the unit sections list all)."""
BIN_WIDTH = 5
"""Width of the distribution's bins, in index points."""
_WHAT = "report.html"
_SORT_SCRIPT = (files("cchc_rules.reports") / "templates" / "sort.js").read_text("utf-8").strip()


def _pair(key: str, lang: str) -> tuple[str, str]:
    vi, en = HTML_LABELS[key]
    return (vi, en) if lang == "vi" else (en, vi)


def _both(key: str, lang: str) -> str:
    """A label in both languages on one line, for chart titles (SVG text has no styles)."""
    return " / ".join(_pair(key, lang))


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f} %" if total else "—"


@dataclass(frozen=True)
class _Results:
    """The ranked results table as Python lists, one entry per unit in rank order."""

    ids: list[str]
    names: list[str]
    groups: list[str]
    ranks: list[int | None]
    indexes: list[Decimal | None]
    grades: list[str | None]
    totals: list[Decimal]
    maxima: list[Decimal]
    areas: list[list[Decimal | None]]
    """Per area of the ruleset, each unit's component index."""

    @classmethod
    def of(cls, cards: Scorecards, lang: str) -> _Results:
        order = cards.ranked_order()
        columns = cards.to_arrow(lang=lang, columns="areas", order=order).to_pydict()
        return cls(
            ids=columns["unit_id"],
            names=[cards.units.name(int(position), lang) for position in order],
            groups=columns["peer_group"],
            ranks=columns["rank"],
            indexes=columns["index"],
            grades=columns["grade_name"],
            totals=columns["total"],
            maxima=columns["applicable_max"],
            areas=[columns[f"area:{a.id}:index"] for a in cards.ruleset.model.areas],
        )


@dataclass(frozen=True, slots=True)
class _Row:
    """A row of the table of all units, every cell as text (``""``: no value)."""

    anchor: str
    unit_id: str
    name: str
    group: str
    rank: str
    total: str
    applicable_max: str
    index: str
    index_v: str
    grade: str
    areas: tuple[str, ...]


def ruleset_context(cards: Scorecards, lang: str) -> dict[str, Any]:
    """What every document says of the ruleset: reference, title in both languages
    (``lang`` first), decision and content hash."""
    meta = cards.ruleset.model.ruleset
    basis = meta.legal_basis
    return {
        "ref": cards.ruleset.ref,
        "title": (meta.title.get(lang), meta.title.get("en" if lang == "vi" else "vi")),
        "decision": f"{basis.decision} ({basis.date:%d/%m/%Y})",
        "content_hash": cards.ruleset.content_hash,
    }


def _grades(model: Ruleset, lang: str) -> tuple[list[Band], Grades]:
    """The default bands (best first), and every grade name any unit type can get."""
    lists = [model.grading.bands, *model.grading.by_unit_type.values()]
    ordered = sorted((b for bands in lists for b in bands), key=lambda b: -b.min_index)
    names = tuple(dict.fromkeys(b.name.get(lang) for b in ordered))
    return sorted(model.grading.bands, key=lambda b: -b.min_index), Grades(names)


def _summary(results: _Results, bands: list[Band], grades: Grades, lang: str) -> dict[str, Any]:
    """Counts, mean / lowest / highest index, and units per grade."""
    count = len(results.ids)
    scored = [i for i in results.indexes if i is not None]
    per_grade = Counter(g for g in results.grades if g is not None)
    minimum = {b.name.get(lang): _plain(b.min_index) for b in reversed(bands)}
    rows = [
        {
            "name": name,
            "min_index": minimum.get(name, "—"),
            "count": per_grade[name],
            "share": _share(per_grade[name], count),
        }
        for name in grades.names
    ]
    if len(scored) < count:
        rows.append(
            {
                "name": _pair("no_index", lang)[0],
                "min_index": "—",
                "count": count - len(scored),
                "share": _share(count - len(scored), count),
            }
        )
    return {
        "units": count,
        "scored": len(scored),
        "mean": _fixed(_mean(scored)) if scored else "—",
        "min": _fixed(min(scored)) if scored else "—",
        "max": _fixed(max(scored)) if scored else "—",
        "grades": rows,
    }


def _distribution(
    charts: ChartRenderer, results: _Results, bands: list[Band], grades: Grades, lang: str
) -> str:
    """Units per 5 index points, stacked by grade, over the default bands' thresholds."""
    bins = Counter(
        (min(int(index // BIN_WIDTH) * BIN_WIDTH, 100 - BIN_WIDTH), grade or "—")
        for index, grade in zip(results.indexes, results.grades, strict=True)
        if index is not None
    )
    return charts.distribution(
        sorted((start, grade, n) for (start, grade), n in bins.items()),
        [
            (float(b.min_index), f"{b.name.get(lang)} ≥ {_plain(b.min_index)}")
            for b in bands
            if b.min_index > 0
        ],
        grades,
        bin_width=BIN_WIDTH,
        titles=(_both("index", lang), _both("units", lang), _both("grade", lang)),
    )


def _shown(count: int) -> list[int]:
    """Positions (in rank order) a chart of ``count`` ranked units shows."""
    if count <= CHART_UNITS:
        return list(range(count))
    half = CHART_UNITS // 2
    return [*range(half), *range(count - half, count)]


def _unique_labels(labels: list[str], ids: list[str]) -> list[str]:
    """Chart labels cut short, each unit's id added where two would read the same (a
    chart draws one bar per distinct label)."""
    cut = [short_label(label) for label in labels]
    seen = Counter(cut)
    return [f"{c} ({i})" if seen[c] > 1 else c for c, i in zip(cut, ids, strict=True)]


def _capped_note(count: int, lang: str) -> str:
    half = CHART_UNITS // 2
    texts = (
        f"{half} đơn vị cao nhất và {half} thấp nhất trong {count:,}; đủ trong bảng",
        f"top {half} and bottom {half} of {count:,}; all are in the table",
    )
    return " / ".join(texts if lang == "vi" else texts[::-1])


def _group_charts(
    charts: ChartRenderer,
    results: _Results,
    key: str,
    area_ids: list[str],
    grades: Grades,
    lang: str,
) -> tuple[int, str, str] | None:
    """A peer group's ranking chart and heatmap (units × areas), with its ranked units."""
    members = [
        i for i, group in enumerate(results.groups) if group == key and results.ranks[i] is not None
    ]
    if not members:
        return None
    shown = [members[k] for k in _shown(len(members))]
    labels = _unique_labels(
        [f"{results.ranks[i]}. {results.names[i]}" for i in shown],
        [results.ids[i] for i in shown],
    )
    ranking = charts.ranking(
        [
            RankedBar(label, float(results.indexes[i] or 0), results.grades[i] or "—")
            for label, i in zip(labels, shown, strict=True)
        ],
        grades,
        note=_capped_note(len(members), lang) if len(shown) < len(members) else "",
        titles=(_both("index", lang), _both("grade", lang)),
    )
    mean_label = _both("group_mean", lang)
    cells: list[HeatCell] = []
    for area, values in zip(area_ids, results.areas, strict=True):
        for label, i in zip(labels, shown, strict=True):
            value = values[i]
            cells.append(HeatCell(label, area, None if value is None else float(value)))
        # The group's mean over all its units, not only those drawn.
        present = [v for v in (values[i] for i in members) if v is not None]
        cells.append(HeatCell(mean_label, area, float(_mean(present)) if present else None))
    heatmap = charts.heatmap(
        cells,
        [*labels, mean_label],
        area_ids,
        titles=(_both("area", lang), _both("index", lang)),
    )
    return len(members), ranking, heatmap


def _rows(results: _Results, group_names: dict[str, str], decimals: int) -> list[_Row]:
    def value(number: Decimal | None) -> str:
        return "" if number is None else _fixed(number)

    return [
        _Row(
            anchor=safe_name(unit_id),
            unit_id=unit_id,
            name=results.names[i],
            group=group_names.get(results.groups[i], results.groups[i]),
            rank="" if results.ranks[i] is None else str(results.ranks[i]),
            total=f"{results.totals[i]:.{decimals}f}",
            applicable_max=f"{results.maxima[i]:.{decimals}f}",
            index=_fixed(results.indexes[i]),
            index_v=value(results.indexes[i]),
            grade=results.grades[i] or "—",
            areas=tuple(value(values[i]) for values in results.areas),
        )
        for i, unit_id in enumerate(results.ids)
    ]


def report_html(
    source: Scorecards | AssessedResults, lang: str = "vi", *, unit_sections: bool | None = None
) -> bytes:
    """The whole report for ``source``, labels in ``lang`` first with the other beside.

    ``source``: scorecards, or a campaign's (whose unit sections then show each line's
    self-score, appraisal, final points and evidence, and whose footer shows the
    published run's provenance record).
    ``unit_sections``: whether to add every unit's scorecard; by default, up to
    :data:`UNIT_SECTIONS_MAX` units. Without them the page says where they are, and the
    table links to nothing.
    """
    assessed = None if isinstance(source, Scorecards) else source
    cards = source if isinstance(source, Scorecards) else source.scorecards
    if unit_sections is None:
        unit_sections = len(cards) <= UNIT_SECTIONS_MAX
    charts = ChartRenderer(_WHAT)
    model = cards.ruleset.model
    results = _Results.of(cards, lang)
    bands, grades = _grades(model, lang)
    group_names = {key: group.name.get(lang) for key, group in model.ranking.peer_groups.items()}
    area_ids = [area.id for area in model.areas]
    groups = []
    for key, name in group_names.items():
        drawn = _group_charts(charts, results, key, area_ids, grades, lang)
        if drawn is not None:
            count, ranking, heatmap = drawn
            groups.append({"name": name, "count": count, "ranking": ranking, "heatmap": heatmap})
    positions = [int(p) for p in cards.ranked_order()] if unit_sections else []
    units = (
        [unit_view(e, model, lang) for e in cards.explain_positions(positions, lang=lang)]
        if assessed is None
        else [
            unit_view(e, model, lang, lines)
            for e, lines in assessed.explain_positions(positions, lang=lang)
        ]
    )
    return render(
        "report.html.j2",
        _WHAT,
        lang,
        script=_SORT_SCRIPT,
        ruleset=ruleset_context(cards, lang),
        summary=_summary(results, bands, grades, lang),
        distribution=_distribution(charts, results, bands, grades, lang),
        groups=groups,
        areas=[{"id": a.id, "name": a.name.get(lang)} for a in model.areas],
        rows=_rows(results, group_names, model.ruleset.points_decimals),
        ranked_note=RANKED_NOTE,
        score_legend_texts=SCORE_LEGEND,
        units=units,
        card_rows=CardRows(_WHAT),
        assessed=None if assessed is None else assessed.campaign,
        provenance=stored_provenance(assessed, lang),
        unit_sections=unit_sections,
        sections_left_out=None if unit_sections else _left_out_note(len(cards), lang),
        warnings=_warnings(cards, lang),
    )


def _warnings(cards: Scorecards, lang: str) -> list[dict[str, Any]] | None:
    """The units that break a warning check, as the report's table shows them; None
    when the ruleset declares no checks (the report has no such section)."""
    if not cards.ruleset.checks:
        return None
    units = cards.units
    return [
        {
            "row": w.row,
            "unit_id": w.unit_id,
            "name": units.name(units.position(w.unit_id), lang),
            "check": w.check,
            "message": w.said(lang),
        }
        for w in cards.warnings
    ]


def stored_provenance(assessed: AssessedResults | None, lang: str) -> list[tuple[str, str]] | None:
    """The rows of a published run's provenance record, for a document's footer."""
    record = None if assessed is None else assessed.provenance
    return None if record is None else provenance_rows(record, lang)


def _left_out_note(count: int, lang: str) -> str:
    texts = (
        f"Báo cáo này không kèm kết quả từng đơn vị ({count:,} đơn vị): "
        "cchc scorecards lập phiếu kết quả cho từng đơn vị; cchc report --unit-sections "
        "đưa tất cả vào báo cáo.",
        f"This report leaves out the unit scorecards ({count:,} units): cchc scorecards "
        "writes one document per unit; cchc report --unit-sections puts them all here.",
    )
    return " / ".join(texts if lang == "vi" else texts[::-1])
