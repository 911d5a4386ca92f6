"""The terminal: ranked scorecards, one unit's explanation, a what-if comparison."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pyarrow.compute as pc
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text as RichText

from cchc_rules.reports._labels import LABELS, _fixed, _plain, header, label, legend
from cchc_rules.reports._literal import literal, printable
from cchc_rules.results._compare import Comparison, Sort
from cchc_rules.results._scorecards import (
    NOTHING_APPLICABLE_LABEL,
    NOTHING_APPLICABLE_REASON,
    Explanation,
    Scorecards,
)
from cchc_rules.ruleset._models import Scoring

__all__ = [
    "comparison_heading",
    "comparison_tables",
    "explanation_table",
    "ranked_tables",
    "scorecards_heading",
    "warnings_table",
]


def _points(value: Decimal, decimals: int) -> str:
    """Points with the ruleset's fixed number of decimals, so a column lines up."""
    return f"{value:.{decimals}f}"


class _SameWidth:
    """Tables drawn one under the other at one width, so their columns line up."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self.tables = tables

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[RenderableType]:
        natural = max(
            (Measurement.get(console, options, table).maximum for table in self.tables),
            default=0,
        )
        for table in self.tables:
            table.width = min(natural, options.max_width)
            yield table


def scorecards_heading(cards: Scorecards, lang: str) -> Group:
    """The ruleset's title, then its reference, legal basis and content hash."""
    compiled = cards.ruleset
    meta = compiled.model.ruleset
    return Group(
        literal(meta.title.get(lang), style="bold"),
        literal(
            f"{compiled.ref} · {meta.legal_basis.decision} "
            f"({meta.legal_basis.date:%d/%m/%Y}) · sha256 {compiled.content_hash[:12]}",
            style="dim",
        ),
    )


def ranked_tables(cards: Scorecards, lang: str) -> Group:
    """One table per peer group, ranked, with bilingual headers and a legend."""
    model = cards.ruleset.model
    agg = cards.aggregates
    scale = cards.ruleset.scale
    decimals = model.ruleset.points_decimals
    grade_names = cards.grade_names(lang)
    index_decimals = model.arithmetic.index_decimals
    order = cards.ranked_order()
    nothing_applies = False
    id_width = pc.max(pc.utf8_length(cards.units.unit_ids)).as_py() or 0
    tables: list[Table] = []
    for group_id, group in model.ranking.peer_groups.items():
        rows = [i for i in order if cards.units.peer_groups[i] == group_id]
        if not rows:
            continue
        table = Table(
            title=literal(f"{group.name.get(lang)} ({len(rows)})", style="bold"),
            title_justify="left",
            header_style="bold",
        )
        table.add_column(header("rank", lang), justify="right", no_wrap=True)
        table.add_column(header("unit_id", lang), no_wrap=True, min_width=id_width)
        table.add_column(header("unit", lang), ratio=1)
        table.add_column(header("points", lang), justify="right", no_wrap=True)
        table.add_column(header("max", lang), justify="right", no_wrap=True)
        table.add_column(header("index", lang), justify="right", no_wrap=True)
        table.add_column(header("grade", lang), no_wrap=True)
        for i in rows:
            has_max = agg.applicable_max[i] > 0
            name = cards.units.name(int(i), lang)
            index = Decimal(int(agg.index[i])) / agg.index_scale
            grade = literal(str(grade_names[i] or "—"))
            if not has_max:
                # Not a bare dash: say why this unit has no index, grade or rank (the
                # legend below the tables says it in full).
                grade = RichText(NOTHING_APPLICABLE_LABEL.get(lang), style="dim")
                nothing_applies = True
            table.add_row(
                str(agg.rank[i]) if agg.rank[i] else "—",
                literal(cards.units.unit_id(int(i))),
                literal(str(name)),
                _points(Decimal(int(agg.total[i])) / scale, decimals),
                _points(Decimal(int(agg.applicable_max[i])) / scale, decimals),
                _fixed(index, index_decimals) if has_max else "—",
                grade,
            )
        tables.append(table)
    notes = [legend(lang, RANKED_LEGEND), legend(lang, arithmetic_legend(model.arithmetic))]
    if nothing_applies:
        label, reason = NOTHING_APPLICABLE_LABEL, NOTHING_APPLICABLE_REASON
        notes.append(legend(lang, (f"{label.vi} — {reason.vi}.", f"{label.en} — {reason.en}.")))
    return Group(_SameWidth(tables), literal("\n".join(notes), style="dim"))


# Shown under the tables: "why is the maximum 90 and not 100?" is the first question
# a reader asks, because criteria that do not apply to a unit leave its maximum.
RANKED_LEGEND = (
    "Tối đa: tổng điểm các tiêu chí áp dụng cho đơn vị; Chỉ số % = Điểm / Tối đa × 100; "
    "xếp loại theo Chỉ số, xếp hạng trong từng nhóm.",
    "Max: the points of the criteria that apply to the unit; Index % = Points / Max × 100; "
    "grades follow the index, ranks are within each group.",
)
# The arithmetic of [scoring] in words, each choice as (vi, en); a default that goes
# without saying (points rounded per criterion, ties listed by unit id) says nothing.
_ROUNDING = {
    "truncate": ("cắt bớt", "truncated"),
    "half_up": ("làm tròn nửa lên", "rounded half-up"),
    "half_even": ("làm tròn nửa về số chẵn", "rounded half to even"),
}
_SAID: dict[str, dict[str, tuple[str, str]]] = {
    "points_rounding": {
        "per_area": ("điểm làm tròn theo từng lĩnh vực", "points rounded per area"),
        "total_only": ("điểm chỉ làm tròn ở tổng điểm", "points rounded only in the total"),
    },
    "grade_basis": {
        "exact": ("xếp loại theo tỷ lệ chính xác", "grades on the exact ratio"),
        "displayed": ("xếp loại theo chỉ số đã làm tròn", "grades on the index as shown"),
    },
    "rank_basis": {
        "exact": (
            "xếp hạng theo tỷ lệ chính xác: chỉ số hiển thị bằng nhau vẫn có thể khác hạng",
            "ranks on the exact ratio: units shown alike may still rank apart",
        ),
        "displayed": (
            "xếp hạng theo chỉ số đã làm tròn: chỉ số bằng nhau thì cùng hạng",
            "ranks on the index as shown: units shown alike share a rank",
        ),
    },
    "tie_order": {
        "name": ("đơn vị cùng hạng xếp theo tên", "units sharing a rank are listed by name"),
    },
}


def arithmetic_legend(scoring: Scoring) -> tuple[str, str]:
    """The ruleset's arithmetic in words: how the index is shown, and what grades and
    ranks compare, so two units shown alike and ranked apart are explained on the page."""
    vi_mode, en_mode = _ROUNDING[scoring.index_rounding]
    k = scoring.index_decimals
    vi = [f"Chỉ số % {vi_mode} đến {k} chữ số thập phân"]
    en = [f"Index % {en_mode} to {k} decimals"]
    for key, choices in _SAID.items():
        said = choices.get(getattr(scoring, key))
        if said is not None:
            vi.append(said[0])
            en.append(said[1])
    return "; ".join(vi) + ".", "; ".join(en) + "."


EXPLAIN_LEGEND = (
    "Điểm A / B (C): B là điểm tối đa của các tiêu chí áp dụng, C là điểm tối đa theo "
    "bộ chỉ số; → cách tăng điểm.",
    "Points A / B (C): B is the maximum of the criteria that apply, C the ruleset's "
    "maximum; → how to raise it.",
)


def _summary(explanation: Explanation, lang: str) -> Table:
    """The unit's result in one row, with the same bilingual headers as the ranking."""
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("points", "max", "index", "grade", "rank"):
        table.add_column(header(key, lang), justify="left", no_wrap=True)
    table.add_row(
        _points(explanation.total, explanation.points_decimals),
        _points(explanation.applicable_max, explanation.points_decimals),
        _fixed(explanation.index, explanation.index_decimals),
        literal(explanation.grade or explanation.status_reason or "—"),
        f"{explanation.rank}/{explanation.group_size}" if explanation.rank else "—",
    )
    return table


def explanation_table(explanation: Explanation, lang: str) -> Group:
    heading = RichText()
    heading.append(printable(f"{explanation.name} ({explanation.unit_id})"), style="bold")
    heading.append(printable(f" — {explanation.ruleset}"))
    table = Table(header_style="bold", show_lines=False)
    # The id has its own column so a wrapped criterion name stays under its name, and
    # the nesting (A4 → A4.1) reads from the indented ids.
    table.add_column(header("unit_id", lang), no_wrap=True)
    table.add_column(header("criterion", lang), ratio=2)
    table.add_column(header("points", lang), justify="right", no_wrap=True)
    # The hint sits under the reason: most criteria have none, and a column of its own
    # would mostly be empty while squeezing every other column.
    reason_vi, reason_en = LABELS["reason"]
    hint_vi, hint_en = LABELS["hint"]
    table.add_column(
        legend(lang, (f"{reason_vi} → {hint_vi}", f"{reason_en} → {hint_en}")), ratio=3
    )
    not_applicable = label("not_applicable", lang, both=False)
    for line in explanation.lines:
        ident = literal(f"{'  ' * line.depth}{line.id}")
        name = literal(line.name)
        if line.points is None:
            score = not_applicable
        else:
            score = f"{_plain(line.points)} / {_plain(line.max_points)}"
        if not line.is_leaf:
            if line.points is not None and line.applicable_max != line.max_points:
                # Some criteria do not apply: the subtotal counts against what does.
                score = (
                    f"{_plain(line.points)} / {_plain(line.applicable_max)} "
                    f"({_plain(line.max_points)})"
                )
            ident.stylize("bold")
            name.stylize("bold")
            subtotal = literal(score, style="bold" if line.points is not None else "dim")
            table.add_row(ident, name, subtotal, "")
            continue
        reason = literal(line.reason)
        if line.legal_ref:
            reason.append(printable(f" [{line.legal_ref}]"), style="dim")
        for evidence in line.evidence:
            reason.append(printable(f"\n  • {evidence}"), style="magenta")
        if line.hint:
            reason.append(printable(f"\n→ {line.hint}"), style="cyan")
        style = (
            "dim"
            if line.points is None
            else ("green" if line.points == line.max_points else "yellow")
        )
        table.add_row(ident, name, literal(score, style=style), reason)
    notes = literal(legend(lang, EXPLAIN_LEGEND), style="dim")
    parts: list[RenderableType] = [heading, _summary(explanation, lang), table, notes]
    for warning in explanation.warnings or ():
        parts.append(literal(f"{label('warning', lang)}: {warning}", style="yellow"))
    return Group(*parts)


def warnings_table(cards: Scorecards, lang: str) -> Table | None:
    """The units that break a warning check between facts (None: no unit does)."""
    if not cards.warnings:
        return None
    table = Table(header_style="bold", title_justify="left")
    table.title = literal(label("warnings", lang), style="bold yellow")
    table.add_column(header("row", lang), justify="right", no_wrap=True)
    table.add_column(header("unit_id", lang), no_wrap=True)
    table.add_column(header("check", lang), no_wrap=True)
    table.add_column(header("message", lang), ratio=1)
    for warning in cards.warnings:
        table.add_row(
            str(warning.row), literal(warning.unit_id), warning.check, literal(warning.said(lang))
        )
    return table


def _movement_text(value: int | None) -> RichText:
    if value is None:
        return literal("—", style="dim")
    if value > 0:
        return literal(f"▲ {value}", style="green")
    if value < 0:
        return literal(f"▼ {-value}", style="red")
    return literal("=", style="dim")


def comparison_heading(comparison: Comparison) -> RichText:
    """The two versions compared, with their content hashes."""
    first, second = comparison.before.ruleset, comparison.after.ruleset
    return literal(
        f"{first.ref} (sha256 {first.content_hash[:12]}) → "
        f"{second.ref} (sha256 {second.content_hash[:12]})",
        style="bold",
    )


def comparison_tables(comparison: Comparison, lang: str, sort: Sort = "rank") -> Group:
    """Per unit: index, grade and rank before and after, and the movement; one table per
    peer group (of the ``after`` version) unless sorted by movement or unit."""
    table = comparison.to_arrow(lang=lang, sort=sort)
    rows = table.to_pylist()
    names_en = dict(
        zip(
            comparison.after.units.unit_ids.to_pylist(),
            comparison.after.units.names_en.to_pylist(),
            strict=True,
        )
    )
    groups = comparison.after.ruleset.model.ranking.peer_groups
    sections: list[tuple[str, list[dict[str, Any]]]]
    if sort == "rank":
        sections = [
            (f"{group.name.get(lang)}", [r for r in rows if r["peer_group"] == group_id])
            for group_id, group in groups.items()
        ]
    else:
        sections = [("", rows)]
    before, after = comparison.before.ruleset.ref, comparison.after.ruleset.ref
    digits_before = comparison.before.ruleset.arithmetic.index_decimals
    digits_after = comparison.after.ruleset.arithmetic.index_decimals
    tables: list[Table] = []
    for title, section in sections:
        if not section:
            continue
        out = Table(
            header_style="bold",
            title=literal(f"{title} ({len(section)})", style="bold") if title else None,
            title_justify="left",
        )
        out.add_column(f"{header('rank', lang)}\n{before} → {after}", justify="right", no_wrap=True)
        out.add_column(header("movement", lang), justify="right", no_wrap=True)
        out.add_column(header("unit_id", lang), no_wrap=True)
        out.add_column(header("unit", lang), ratio=1)
        out.add_column(
            f"{header('index', lang)}\n{before} → {after}", justify="right", no_wrap=True
        )
        out.add_column(header("index_change", lang), justify="right", no_wrap=True)
        out.add_column(f"{header('grade', lang)}\n{before} → {after}", no_wrap=True)
        for row in section:
            name = row["name"]
            if lang == "en":
                name = names_en.get(row["unit_id"]) or name
            change = row["index_change"]
            out.add_row(
                f"{row['rank_before'] or '—'} → {row['rank_after'] or '—'}",
                _movement_text(row["movement"]),
                literal(str(row["unit_id"])),
                literal(str(name)),
                f"{_fixed(row['index_before'], digits_before)} → "
                f"{_fixed(row['index_after'], digits_after)}",
                "—" if change is None else f"{change:+}",
                literal(f"{row['grade_before'] or '—'} → {row['grade_after'] or '—'}"),
            )
        tables.append(out)
    texts = (
        "Thay đổi hạng: số bậc tăng (▲) hoặc giảm (▼) trong nhóm; Δ Chỉ số: điểm phần trăm.",
        "Movement: places gained (▲) or lost (▼) within the group; Δ Index: percentage points.",
    )
    return Group(_SameWidth(tables), literal(legend(lang, texts), style="dim"))
