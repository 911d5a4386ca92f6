"""Rendering scorecards and explanations: terminal tables, CSV, JSON, XLSX.

Files are written atomically (a temporary file in the same directory, then
``os.replace``) and an existing file is never replaced unless asked.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text as RichText

from cchc_rules.errors import CchcError, Problem
from cchc_rules.results._compare import Comparison, Sort
from cchc_rules.results._scorecards import Explanation, Scorecards
from cchc_rules.ruleset._diff import FieldChange, RulesetDiff

__all__ = [
    "FORMATS",
    "LABELS",
    "comparison_csv",
    "comparison_json",
    "comparison_tables",
    "comparison_xlsx",
    "diff_json",
    "diff_tables",
    "explanation_json",
    "explanation_table",
    "label",
    "ranked_tables",
    "scorecards_csv",
    "scorecards_json",
    "scorecards_xlsx",
    "write_atomic",
]

FORMATS = ("table", "csv", "json", "xlsx")

# Labels, Vietnamese first with English beside: both languages show in the terminal
# so a mixed audience reads the same table; --lang picks which comes first.
LABELS: dict[str, tuple[str, str]] = {
    "rank": ("Hạng", "Rank"),
    "unit_id": ("Mã", "ID"),
    "unit": ("Đơn vị", "Unit"),
    "unit_type": ("Loại", "Type"),
    "points": ("Điểm", "Points"),
    "max": ("Tối đa", "Max"),
    "index": ("Chỉ số %", "Index %"),
    "grade": ("Xếp loại", "Grade"),
    "criterion": ("Tiêu chí", "Criterion"),
    "reason": ("Lý do", "Reason"),
    "hint": ("Để tăng điểm", "To raise it"),
    "peer_group": ("Nhóm", "Group"),
    "not_applicable": ("không áp dụng", "not applicable"),
    "total": ("Tổng", "Total"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "movement": ("Thay đổi hạng", "Movement"),
    "index_change": ("Δ Chỉ số", "Δ Index"),
    "field": ("Trường", "Field"),
    "change": ("Thay đổi", "Change"),
    "area": ("Lĩnh vực", "Area"),
    "why": ("Lý do", "Why"),
}


def label(key: str, lang: str, *, both: bool = True, sep: str = " / ") -> str:
    vi, en = LABELS[key]
    if not both:
        return vi if lang == "vi" else en
    return f"{vi}{sep}{en}" if lang == "vi" else f"{en}{sep}{vi}"


def header(key: str, lang: str) -> str:
    """A column header on two lines: the chosen language above, the other below."""
    return label(key, lang, sep="\n")


def _plain(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format(value.normalize(), "f")


def _fixed(value: Decimal | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# -- files ---------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` all at once; refuse to replace a file unless ``force``."""
    if path.exists() and not force:
        raise CchcError([Problem(str(path), None, "", "file exists; pass --force to replace it")])
    directory = path.parent
    if not directory.is_dir():
        raise CchcError([Problem(str(path), None, "", f"directory {directory} does not exist")])
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        # mkstemp makes the file private (0600); a report gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise CchcError([Problem(str(path), None, "", f"cannot write: {exc.strerror}")]) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if force:
            os.replace(temporary, path)
        else:
            _publish_new(temporary, path)
    except FileExistsError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CchcError(
            [Problem(str(path), None, "", "file exists; pass --force to replace it")]
        ) from exc
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CchcError([Problem(str(path), None, "", f"cannot write: {exc.strerror}")]) from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _publish_new(temporary: str, path: Path) -> None:
    """Move ``temporary`` to ``path`` unless ``path`` exists, even if it appeared just now."""
    try:
        # link() fails if the name was taken since the caller's check, where replace()
        # would silently overwrite the file that appeared meanwhile.
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A filesystem without hard links: the earlier existence check has to do.
        os.replace(temporary, path)
    else:
        os.unlink(temporary)


def _ranked_table(cards: Scorecards, lang: str) -> pa.Table:
    return cards.to_arrow(lang=lang, order=cards.ranked_order())


def scorecards_csv(cards: Scorecards, lang: str) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(_ranked_table(cards, lang), sink)
    return sink.getvalue()


def _json_value(value: Any) -> Any:
    # NOTE: points and indexes are written as decimal strings ("7.25"): a JSON number
    # would be read back as a binary float by most tools, losing the exactness we keep.
    if isinstance(value, Decimal):
        return _plain(value)
    return value


def scorecards_json(cards: Scorecards, lang: str) -> bytes:
    rows = _ranked_table(cards, lang).to_pylist()
    document = {
        "ruleset": cards.ruleset.ref,
        "content_hash": cards.ruleset.content_hash,
        "units": [{k: _json_value(v) for k, v in row.items()} for row in rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def scorecards_xlsx(cards: Scorecards, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table = _ranked_table(cards, lang)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kết quả" if lang == "vi" else "Results"
    sheet.append([f"{cards.ruleset.ref} — {cards.ruleset.model.ruleset.title.get(lang)}"])
    sheet.append([f"sha256 {cards.ruleset.content_hash}"])
    sheet.append(table.column_names)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    decimal_columns = {i for i, field in enumerate(table.schema) if pa.types.is_decimal(field.type)}
    for row in table.to_pylist():
        values = list(row.values())
        # Spreadsheet cells are binary floats; the exact values are in CSV/JSON.
        sheet.append(
            [
                float(v) if i in decimal_columns and v is not None else v
                for i, v in enumerate(values)
            ]
        )
    for index in decimal_columns:
        for cell in sheet[get_column_letter(index + 1)][3:]:
            cell.number_format = "0.00"
    sheet.freeze_panes = "C4"
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()


# -- terminal --------------------------------------------------------------------------------


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


def ranked_tables(cards: Scorecards, lang: str) -> Group:
    """One table per peer group, ranked, with bilingual headers and a legend."""
    model = cards.ruleset.model
    agg = cards.aggregates
    scale = cards.ruleset.scale
    decimals = model.ruleset.points_decimals
    grade_names = cards.grade_names(lang)
    order = cards.ranked_order()
    id_width = pc.max(pc.utf8_length(cards.units.unit_ids)).as_py() or 0
    tables: list[Table] = []
    for group_id, group in model.ranking.peer_groups.items():
        rows = [i for i in order if cards.units.peer_groups[i] == group_id]
        if not rows:
            continue
        table = Table(
            title=RichText(f"{group.name.get(lang)} ({len(rows)})", style="bold"),
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
            table.add_row(
                str(agg.rank[i]) if agg.rank[i] else "—",
                RichText(cards.units.unit_id(int(i))),
                RichText(str(name)),
                _points(Decimal(int(agg.total[i])) / scale, decimals),
                _points(Decimal(int(agg.applicable_max[i])) / scale, decimals),
                _fixed(Decimal(int(agg.index_bp[i])) / 100) if has_max else "—",
                RichText(str(grade_names[i] or "—")),
            )
        tables.append(table)
    return Group(_SameWidth(tables), RichText(_legend(lang, RANKED_LEGEND), style="dim"))


# Shown under the tables: "why is the maximum 90 and not 100?" is the first question
# a reader asks, because criteria that do not apply to a unit leave its maximum.
RANKED_LEGEND = (
    "Tối đa: tổng điểm các tiêu chí áp dụng cho đơn vị; Chỉ số % = Điểm / Tối đa × 100; "
    "xếp loại theo Chỉ số, xếp hạng trong từng nhóm.",
    "Max: the points of the criteria that apply to the unit; Index % = Points / Max × 100; "
    "grades follow the index, ranks are within each group.",
)
EXPLAIN_LEGEND = (
    "Điểm A / B (C): B là điểm tối đa của các tiêu chí áp dụng, C là điểm tối đa theo "
    "bộ chỉ số; → cách tăng điểm.",
    "Points A / B (C): B is the maximum of the criteria that apply, C the ruleset's "
    "maximum; → how to raise it.",
)


def _legend(lang: str, texts: tuple[str, str]) -> str:
    vi, en = texts
    return f"{vi}\n{en}" if lang == "vi" else f"{en}\n{vi}"


def _summary(explanation: Explanation, lang: str) -> Table:
    """The unit's result in one row, with the same bilingual headers as the ranking."""
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("points", "max", "index", "grade", "rank"):
        table.add_column(header(key, lang), justify="left", no_wrap=True)
    table.add_row(
        _points(explanation.total, explanation.points_decimals),
        _points(explanation.applicable_max, explanation.points_decimals),
        _fixed(explanation.index),
        RichText(explanation.grade or "—"),
        f"{explanation.rank}/{explanation.group_size}" if explanation.rank else "—",
    )
    return table


def explanation_table(explanation: Explanation, lang: str) -> Group:
    heading = RichText()
    heading.append(f"{explanation.name} ({explanation.unit_id})", style="bold")
    heading.append(f" — {explanation.ruleset}")
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
        _legend(lang, (f"{reason_vi} → {hint_vi}", f"{reason_en} → {hint_en}")), ratio=3
    )
    not_applicable = label("not_applicable", lang, both=False)
    for line in explanation.lines:
        ident = RichText(f"{'  ' * line.depth}{line.id}")
        name = RichText(line.name)
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
            subtotal = RichText(score, style="bold" if line.points is not None else "dim")
            table.add_row(ident, name, subtotal, "")
            continue
        reason = RichText(line.reason)
        if line.legal_ref:
            reason.append(f" [{line.legal_ref}]", style="dim")
        for evidence in line.evidence:
            reason.append(f"\n  • {evidence}", style="magenta")
        if line.hint:
            reason.append(f"\n→ {line.hint}", style="cyan")
        style = (
            "dim"
            if line.points is None
            else ("green" if line.points == line.max_points else "yellow")
        )
        table.add_row(ident, name, RichText(score, style=style), reason)
    legend = RichText(_legend(lang, EXPLAIN_LEGEND), style="dim")
    return Group(heading, _summary(explanation, lang), table, legend)


def explanation_json(explanation: Explanation) -> bytes:
    document = {
        "unit_id": explanation.unit_id,
        "name": explanation.name,
        "unit_type": explanation.unit_type,
        "peer_group": explanation.peer_group,
        "ruleset": explanation.ruleset,
        "content_hash": explanation.content_hash,
        "total": _plain(explanation.total),
        "applicable_max": _plain(explanation.applicable_max),
        "index": _fixed(explanation.index) if explanation.index is not None else None,
        "grade": explanation.grade,
        "rank": explanation.rank,
        "group_size": explanation.group_size,
        "criteria": [
            {
                "id": line.id,
                "name": line.name,
                "area": line.area_id,
                "scored": line.is_leaf,
                "points": _plain(line.points) if line.points is not None else None,
                "max_points": _plain(line.max_points),
                "applicable_max": _plain(line.applicable_max),
                "reason_code": line.reason_code,
                "reason": line.reason,
                "hint": line.hint,
                "evidence": list(line.evidence),
                "legal_ref": line.legal_ref,
            }
            for line in explanation.lines
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def format_from_suffix(path: Path, choices: Sequence[str] = FORMATS) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in choices else None


# -- ruleset diff ------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _changes_text(changes: Sequence[FieldChange]) -> RichText:
    text = RichText()
    for position, change in enumerate(changes):
        if position:
            text.append("\n")
        text.append(f"{change.field}: ", style="bold")
        text.append(_value_text(change.before), style="red")
        text.append(" → ")
        text.append(_value_text(change.after), style="green")
    return text


def diff_tables(diff: RulesetDiff, lang: str) -> Group:
    """The diff of two versions for the terminal: what changed, area totals, lineage."""
    parts: list[RenderableType] = [
        RichText(f"{diff.before} → {diff.after}", style="bold"),
        RichText(f"sha256 {diff.before_hash[:12]} → {diff.after_hash[:12]}", style="dim"),
    ]
    if diff.empty and not diff.meta:
        parts.append(RichText("no differences / không có khác biệt"))
        return Group(*parts)
    if diff.meta:
        parts.append(_titled("Bộ chỉ số", "Ruleset", lang, _changes_text(diff.meta)))
    criteria = Table(header_style="bold", show_lines=True, title_justify="left")
    criteria.title = RichText(_both("Tiêu chí", "Criteria", lang), style="bold")
    criteria.add_column(header("change", lang), no_wrap=True)
    criteria.add_column(header("unit_id", lang), no_wrap=True)
    criteria.add_column(header("criterion", lang), ratio=1)
    criteria.add_column(header("field", lang), ratio=2)
    for node in diff.added:
        criteria.add_row(
            RichText("+ added", style="green"),
            node.id,
            RichText(node.name.get(lang)),
            RichText(f"max_points {node.max_points}; in {node.parent or '(top level)'}"),
        )
    for node in diff.removed:
        criteria.add_row(
            RichText("− removed", style="red"),
            node.id,
            RichText(node.name.get(lang)),
            RichText(f"max_points {node.max_points}; was in {node.parent or '(top level)'}"),
        )
    for changed in diff.changed:
        ident = changed.id if changed.id == changed.old_id else f"{changed.old_id} → {changed.id}"
        criteria.add_row(
            RichText("~ changed", style="yellow"),
            ident,
            RichText(changed.name.get(lang)),
            _changes_text(changed.changes),
        )
    if criteria.row_count:
        parts.append(criteria)
    areas = Table(header_style="bold", title_justify="left")
    areas.title = RichText(_both("Điểm tối đa theo lĩnh vực", "Area totals", lang), style="bold")
    areas.add_column(header("area", lang))
    areas.add_column(header("before", lang), justify="right", no_wrap=True)
    areas.add_column(header("after", lang), justify="right", no_wrap=True)
    for area in diff.areas:
        style = "" if area.before == area.after else "yellow"
        areas.add_row(
            RichText(f"{area.id} {area.name.get(lang)}"),
            _plain(area.before),
            RichText(_plain(area.after), style=style),
        )
    parts.append(areas)
    if diff.lineage:
        lineage = Table(header_style="bold", title_justify="left")
        lineage.title = RichText(_both("Kế thừa mã tiêu chí", "Lineage", lang), style="bold")
        lineage.add_column(header("change", lang), no_wrap=True)
        lineage.add_column(header("unit_id", lang), no_wrap=True)
        lineage.add_column(header("why", lang), ratio=1)
        for entry in diff.lineage:
            lineage.add_row(
                f"{entry.change} ({entry.version})",
                f"{', '.join(entry.old)} → {', '.join(entry.new) or '—'}",
                RichText(entry.why.get(lang) if entry.why else ""),
            )
        parts.append(lineage)
    if diff.facts:
        facts = RichText()
        for position, change in enumerate(diff.facts):
            sign = "+" if change.before is None else "−" if change.after is None else "~"
            facts.append(("\n" if position else "") + f"{sign} {change.field}")
        parts.append(_titled("Dữ liệu đầu vào (facts)", "Facts", lang, facts))
    if diff.settings:
        parts.append(
            _titled(
                "Xếp loại, xếp hạng, văn bản",
                "Grading, ranking, legal texts",
                lang,
                _changes_text(diff.settings),
            )
        )
    return Group(*parts)


def _both(vi: str, en: str, lang: str) -> str:
    return f"{vi} / {en}" if lang == "vi" else f"{en} / {vi}"


def _titled(vi: str, en: str, lang: str, body: RichText) -> Table:
    table = Table(header_style="bold", show_header=False, title_justify="left")
    table.title = RichText(_both(vi, en, lang), style="bold")
    table.add_column(ratio=1)
    table.add_row(body)
    return table


def diff_json(diff: RulesetDiff) -> bytes:
    return (json.dumps(diff.to_json(), ensure_ascii=False, indent=2) + "\n").encode()


# -- what-if comparison ----------------------------------------------------------------------


def _comparison_header(comparison: Comparison) -> dict[str, Any]:
    return {
        side: {"ruleset": cards.ruleset.ref, "content_hash": cards.ruleset.content_hash}
        for side, cards in (("before", comparison.before), ("after", comparison.after))
    }


def comparison_csv(comparison: Comparison, lang: str, sort: Sort = "rank") -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(comparison.to_arrow(lang=lang, sort=sort), sink)
    return sink.getvalue()


def comparison_json(comparison: Comparison, lang: str, sort: Sort = "rank") -> bytes:
    rows = comparison.to_arrow(lang=lang, sort=sort).to_pylist()
    document = {
        **_comparison_header(comparison),
        "units": [{k: _json_value(v) for k, v in row.items()} for row in rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def comparison_xlsx(comparison: Comparison, lang: str, sort: Sort = "rank") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    table = comparison.to_arrow(lang=lang, sort=sort)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "So sánh" if lang == "vi" else "Comparison"
    for side, cards in (("before", comparison.before), ("after", comparison.after)):
        sheet.append(
            [f"{label(side, lang)}: {cards.ruleset.ref}", f"sha256 {cards.ruleset.content_hash}"]
        )
    sheet.append(table.column_names)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    decimal_columns = {i for i, field in enumerate(table.schema) if pa.types.is_decimal(field.type)}
    for row in table.to_pylist():
        # Spreadsheet cells are binary floats; the exact values are in CSV/JSON.
        sheet.append(
            [
                float(v) if i in decimal_columns and v is not None else v
                for i, v in enumerate(row.values())
            ]
        )
    sheet.freeze_panes = "C4"
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()


def _movement_text(value: int | None) -> RichText:
    if value is None:
        return RichText("—", style="dim")
    if value > 0:
        return RichText(f"▲ {value}", style="green")
    if value < 0:
        return RichText(f"▼ {-value}", style="red")
    return RichText("=", style="dim")


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
    tables: list[Table] = []
    for title, section in sections:
        if not section:
            continue
        out = Table(
            header_style="bold",
            title=RichText(f"{title} ({len(section)})", style="bold") if title else None,
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
                RichText(str(row["unit_id"])),
                RichText(str(name)),
                f"{_fixed(row['index_before'])} → {_fixed(row['index_after'])}",
                "—" if change is None else f"{change:+.2f}",
                RichText(f"{row['grade_before'] or '—'} → {row['grade_after'] or '—'}"),
            )
        tables.append(out)
    legend = (
        "Thay đổi hạng: số bậc tăng (▲) hoặc giảm (▼) trong nhóm; Δ Chỉ số: điểm phần trăm.",
        "Movement: places gained (▲) or lost (▼) within the group; Δ Index: percentage points.",
    )
    return Group(_SameWidth(tables), RichText(_legend(lang, legend), style="dim"))
