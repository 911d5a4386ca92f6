"""What the HTML report and the unit scorecard documents share: the template environment,
bilingual labels, anchors and file names made from unit ids, and one unit's scorecard
as rows ready for a template."""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from cchc_rules.reports._assessed import LineAssessment, UnitAssessments
from cchc_rules.reports._extras import require
from cchc_rules.reports._labels import LABELS, _fixed, _plain
from cchc_rules.results._provenance import tool_version
from cchc_rules.results._scorecards import CriterionLine, Explanation
from cchc_rules.ruleset._models import Ruleset

__all__ = [
    "HTML_LABELS",
    "RANKED_NOTE",
    "SCORE_LEGEND",
    "CardRows",
    "LineRow",
    "UnitView",
    "render",
    "safe_name",
    "unit_view",
]

# Labels of the HTML documents beyond the terminal's (reports/_labels.py), Vietnamese first.
HTML_LABELS: dict[str, tuple[str, str]] = {
    **LABELS,
    "report": ("Báo cáo kết quả Chỉ số CCHC", "PAR Index results report"),
    "scorecard": ("Phiếu kết quả Chỉ số CCHC", "PAR Index scorecard"),
    "summary": ("Tổng quan", "Summary"),
    "ruleset": ("Bộ chỉ số", "Ruleset"),
    "legal_basis": ("Căn cứ", "Legal basis"),
    "content_hash": ("Mã băm nội dung", "Content hash"),
    "units": ("Số đơn vị", "Units"),
    "units_short": ("đơn vị", "units"),
    "scored": ("Có chỉ số", "With an index"),
    "mean_index": ("Chỉ số trung bình", "Mean index"),
    "min_index": ("Thấp nhất", "Lowest"),
    "max_index": ("Cao nhất", "Highest"),
    "min_grade_index": ("Chỉ số từ", "Index from"),
    "share": ("Tỷ lệ", "Share"),
    "no_index": ("Không có chỉ số", "No index"),
    "distribution": ("Phân bố chỉ số theo xếp loại", "Distribution of the index by grade"),
    "ranking": ("Xếp hạng theo nhóm", "Ranking by peer group"),
    "heatmap": ("Chỉ số thành phần theo lĩnh vực (%)", "Component index by area (%)"),
    "group_mean": ("Trung bình nhóm", "Group mean"),
    "all_units": ("Tất cả đơn vị", "All units"),
    "sort_hint": ("Bấm vào tiêu đề cột để sắp xếp.", "Click a column heading to sort."),
    "unit_sections": ("Kết quả từng đơn vị", "Unit scorecards"),
    "back": ("Về bảng", "Back to the table"),
    "areas": ("Lĩnh vực", "Areas"),
    "area_index": ("Chỉ số thành phần %", "Component index %"),
    "rank_in_group": ("Hạng trong nhóm", "Rank in group"),
    "made_by": ("Lập bằng", "Made with"),
    "no_warnings": (
        "Không đơn vị nào vi phạm kiểm tra cảnh báo.",
        "No unit breaks a warning check.",
    ),
    "self_score": ("Tự chấm", "Self-score"),
    "appraised": ("Thẩm định", "Appraised"),
    "final": ("Điểm cuối cùng", "Final"),
    "campaign": ("Đợt đánh giá", "Campaign"),
    "provenance": ("Nguồn gốc kết quả", "Provenance"),
}

# Shown under a scorecard: the same reading as the terminal's explanation legend.
SCORE_LEGEND = (
    "Điểm A / B (C): B là điểm tối đa của các tiêu chí áp dụng cho đơn vị, C là điểm tối "
    "đa theo bộ chỉ số; → cách tăng điểm.",
    "Points A / B (C): B is the maximum of the criteria that apply to the unit, C the "
    "ruleset's maximum; → how to raise it.",
)
RANKED_NOTE = (
    "Chỉ số % = Điểm / Tối đa × 100 (tối đa: tổng điểm các tiêu chí áp dụng); xếp hạng "
    "trong từng nhóm.",
    "Index % = Points / Max × 100 (max: the points of the criteria that apply); ranks are "
    "within each peer group.",
)

_SAFE = re.compile(r"[A-Za-z0-9_-]")


def safe_name(unit_id: str) -> str:
    """A name for ``unit_id`` usable as an HTML id, a URL fragment and a file name.

    Letters, digits, ``-`` and ``_`` stay; every other character becomes ``~`` and the
    hex of its UTF-8 bytes (``~`` itself too), so two ids never share a name and none
    holds a path separator, a dot or a space: ``TTCP-VPC`` stays ``TTCP-VPC``.
    """
    return "".join(
        ch if _SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode()) for ch in unit_id
    )


@dataclass(frozen=True, slots=True)
class LineRow:
    """One row of a scorecard table: an area, a group of criteria, or a scored criterion."""

    id: str
    name: str
    depth: int
    kind: str
    """``area``, ``group`` or ``leaf``."""
    state: str
    """``full``, ``partial``, ``zero`` or ``na`` (not applicable)."""
    score: str
    reason: str
    legal_ref: str
    hint: str
    evidence: tuple[str, ...]
    assessed: tuple[str, str, tuple[str, ...]] | None = None
    """In a campaign: the self-score and appraised score as text (``""``: none) and the
    unit's evidence references."""


@dataclass(frozen=True, slots=True)
class UnitView:
    """One unit's scorecard as the templates show it."""

    anchor: str
    unit_id: str
    name: str
    unit_type: str
    peer_group: str
    total: str
    applicable_max: str
    index: str
    grade: str
    rank: str
    lines: tuple[LineRow, ...]
    assessed: bool
    """Whether the lines carry self / appraised / final (results of a campaign)."""
    warnings: tuple[str, ...] = ()
    """The warning checks between facts the unit breaks, each with the values read."""


def _state(points: Decimal | None, maximum: Decimal) -> str:
    if points is None:
        return "na"
    if points >= maximum:
        return "full"
    return "zero" if points == 0 else "partial"


def _assessed(found: LineAssessment | None) -> tuple[str, str, tuple[str, ...]]:
    if found is None:
        return "", "", ()
    return (
        "" if found.self_points is None else _plain(found.self_points),
        "" if found.appraised_points is None else _plain(found.appraised_points),
        found.evidence,
    )


def _line_row(
    line: CriterionLine, not_applicable: str, assessments: UnitAssessments | None
) -> LineRow:
    if line.points is None:
        score = not_applicable
    elif not line.is_leaf and line.applicable_max != line.max_points:
        # Some criteria do not apply: the subtotal counts against what does.
        score = f"{_plain(line.points)} / {_plain(line.applicable_max)} ({_plain(line.max_points)})"
    else:
        score = f"{_plain(line.points)} / {_plain(line.max_points)}"
    return LineRow(
        id=line.id,
        name=line.name,
        depth=line.depth,
        kind="leaf" if line.is_leaf else ("area" if line.depth == 0 else "group"),
        state=_state(line.points, line.applicable_max),
        score=score,
        reason=line.reason,
        legal_ref=line.legal_ref or "",
        hint=line.hint,
        evidence=line.evidence,
        assessed=None if assessments is None else _assessed(assessments.get(line.id)),
    )


def unit_view(
    explanation: Explanation,
    model: Ruleset,
    lang: str,
    assessments: UnitAssessments | None = None,
) -> UnitView:
    """One unit's explanation as rows: scores as text, each line's state for its colour;
    with ``assessments`` (a campaign's), each line's self-score, appraisal and evidence."""
    decimals = explanation.points_decimals
    not_applicable = HTML_LABELS["not_applicable"][0 if lang == "vi" else 1]
    unit_type = model.unit_types.get(explanation.unit_type)
    group = model.ranking.peer_groups.get(explanation.peer_group)
    return UnitView(
        anchor=safe_name(explanation.unit_id),
        unit_id=explanation.unit_id,
        name=explanation.name,
        unit_type=unit_type.name.get(lang) if unit_type else explanation.unit_type,
        peer_group=group.name.get(lang) if group else explanation.peer_group,
        total=f"{explanation.total:.{decimals}f}",
        applicable_max=f"{explanation.applicable_max:.{decimals}f}",
        index=_fixed(explanation.index),
        grade=explanation.grade or "—",
        rank=f"{explanation.rank} / {explanation.group_size}" if explanation.rank else "—",
        lines=tuple(_line_row(line, not_applicable, assessments) for line in explanation.lines),
        assessed=assessments is not None,
        warnings=explanation.warnings or (),
    )


class CardRows:
    """The rows of scorecard tables as HTML, each distinct row escaped and built once.

    NOTE: a report of 10,000 units has 500,000 rows but far fewer distinct ones (units
    with full points on a criterion share its row), and escaping every cell through the
    template was most of the render; the row's markup lives here, in one place, for the
    report and the scorecard documents alike.
    """

    def __init__(self, what: str) -> None:
        self._escape: Callable[[str], str] = require("markupsafe", what).escape
        self._markup: Callable[[str], Any] = require("markupsafe", what).Markup
        self._rows: dict[LineRow, str] = {}

    def __call__(self, unit: UnitView) -> Any:
        """The ``<tr>`` elements of ``unit``'s lines, as markup."""
        rows = self._rows
        html = []
        for line in unit.lines:
            row = rows.get(line)
            if row is None:
                row = rows[line] = self._row(line)
            html.append(row)
        return self._markup("\n".join(html))

    def _row(self, line: LineRow) -> str:
        e = self._escape
        cells = [
            f'<tr class="{line.kind} {line.state}" data-criterion="{e(line.id)}">'
            f'<td class="id d{line.depth}">{e(line.id)}</td><td>{e(line.name)}</td>'
        ]
        if line.assessed is not None:
            own, appraised, _ = line.assessed
            cells.append(f'<td class="num self">{e(own)}</td>')
            cells.append(f'<td class="num appraised">{e(appraised)}</td>')
        cells.append(f'<td class="num">{e(line.score)}</td><td>')
        if line.kind == "leaf":
            cells.append(str(e(line.reason)))
            if line.legal_ref:
                cells.append(f' <span class="ref">[{e(line.legal_ref)}]</span>')
            cells.extend(f'<span class="ev">• {e(item)}</span>' for item in line.evidence)
            # NOTE: a reference is text, never a link: a file name or URL a unit typed
            # must not make the page load or open anything.
            documents = line.assessed[2] if line.assessed is not None else ()
            cells.extend(f'<span class="doc">▸ {e(item)}</span>' for item in documents)
            if line.hint:
                cells.append(f'<span class="hint">→ {e(line.hint)}</span>')
        cells.append("</td></tr>")
        return "".join(cells)


def _script_hash(script: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script."""
    return "'sha256-" + b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@cache
def _environment(what: str) -> Any:
    jinja2 = require("jinja2", what)
    return jinja2.Environment(
        loader=jinja2.PackageLoader("cchc_rules.reports", "templates"),
        # NOTE: every value is escaped unless a template marks it safe; only the charts'
        # SVG (neutralised by _charts) and the fixed script and style are.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    template: str, what: str, lang: str, *, script: str | None = None, **context: Any
) -> bytes:
    """``template`` rendered with ``context``, labels in ``lang`` first, as UTF-8.

    Templates get ``bi(key)``: the label in both languages, ``lang`` first, the other
    marked to show beside it; ``one(key)``: the label in ``lang`` only; ``pair(texts)``:
    a (vi, en) pair ``lang`` first; ``script``: the page's one script, which the page's
    Content-Security-Policy allows by its hash (no other script runs).
    """
    env = _environment(what)
    markup: Callable[[str], Any] = require("markupsafe", what).Markup
    first, second = (0, 1) if lang == "vi" else (1, 0)
    other = "en" if lang == "vi" else "vi"

    labels: dict[str, Any] = {}

    def bi(key: str) -> Any:
        # Made once per label: a report of thousands of units asks for each thousands
        # of times.
        if key not in labels:
            pair = HTML_LABELS[key]
            labels[key] = markup('{}<span class="other" lang="{}"> / {}</span>').format(
                pair[first], other, pair[second]
            )
        return labels[key]

    def one(key: str) -> str:
        return HTML_LABELS[key][first]

    def pair(texts: tuple[str, str]) -> tuple[str, str]:
        return texts[first], texts[second]

    page: str = env.get_template(template).render(
        lang=lang,
        other_lang=other,
        bi=bi,
        one=one,
        pair=pair,
        version=tool_version(),
        script=None if script is None else markup(script),
        script_source="'none'" if script is None else _script_hash(script),
        **context,
    )
    return page.encode()
