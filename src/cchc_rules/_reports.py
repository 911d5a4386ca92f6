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
import pyarrow.csv as pacsv
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text as RichText

from cchc_rules._scorecards import Explanation, Scorecards
from cchc_rules.errors import CchcError, Problem

__all__ = [
    "FORMATS",
    "LABELS",
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
    id_width = max((len(str(u)) for u in cards.units.unit_ids), default=0)
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
            name = cards.units.names[i]
            if lang == "en":
                name = cards.units.names_en[i] or name
            table.add_row(
                str(agg.rank[i]) if agg.rank[i] else "—",
                RichText(str(cards.units.unit_ids[i])),
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
                "legal_ref": line.legal_ref,
            }
            for line in explanation.lines
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def format_from_suffix(path: Path, choices: Sequence[str] = FORMATS) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in choices else None
