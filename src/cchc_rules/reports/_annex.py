"""The annex (phụ lục): the scorecards as the secretariat attaches them to its report.

One workbook, written with XlsxWriter (row by row, so 10,000 units take seconds):

- the annex sheet: a title, then STT, unit, points per area, total, index, grade, rank,
  units grouped by peer group under a group row, in rank order within each group; set
  up to print on A4 landscape, one page wide, the header repeated on every page;
- one sheet per area: each criterion's points, its id, name and maximum in the header;
- with a ruleset that declares checks between facts, a warnings sheet: each unit that
  breaks a warning check, its row, the check and its message with the values read;
- a provenance sheet: what produced the numbers (the record every output carries:
  ruleset and content hash, period and why that version, input files and their SHA-256,
  tool and plugin versions; or a published run's record). No time of writing: the same
  inputs give the same file, byte for byte.

Text cells are written as strings (never formulas) and made safe like every other
spreadsheet cell (``reports._cells``).

NOTE: it reads :class:`Scorecards`, not a ``ReportTable``, as the HTML report does: the
annex needs the ruleset's areas, criteria and peer groups, which a flat table has lost.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cchc_rules.kinds import number_text
from cchc_rules.reports._cells import safe_text
from cchc_rules.reports._labels import both, label
from cchc_rules.reports._provenance import provenance_rows
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.ruleset._models import Area

__all__ = ["annex_xlsx"]

# Annex-only wording, Vietnamese then English (the shared ones are in _labels.LABELS).
_TEXT: dict[str, tuple[str, str]] = {
    "annex": ("Phụ lục", "Annex"),
    "provenance": ("Nguồn gốc", "Provenance"),
    "stt": ("STT", "No."),
    "period": ("Kỳ đánh giá", "Period"),
    "ruleset": ("Bộ tiêu chí", "Ruleset"),
    "version": ("Phiên bản", "Version"),
    "units": ("Số đơn vị", "Units"),
    "max": ("tối đa", "max"),
    "area_total": ("Cộng lĩnh vực", "Area total"),
    "item": ("Mục", "Item"),
    "value": ("Giá trị", "Value"),
    "no_warnings": ("Không có cảnh báo", "No warnings"),
}

# NOTE: a fixed creation date instead of "now": the file is reproducible, and the
# provenance sheet, not the document properties, says what produced it.
_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_A4 = 9  # XlsxWriter's paper code for A4
_SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def _t(key: str, lang: str) -> str:
    vi, en = _TEXT[key]
    return vi if lang == "vi" else en


def _digits_format(digits: int) -> str:
    return f"0.{'0' * digits}" if digits else "0"


def _floats(column: pa.ChunkedArray) -> list[float | None]:
    """A decimal column as floats (spreadsheet cells are binary; CSV/JSON are exact)."""
    result: list[float | None] = pc.cast(column, pa.float64()).to_pylist()
    return result


def _sheet_name(text: str, taken: set[str]) -> str:
    """``text`` as a valid, unused sheet name (31 characters, no ``[]:*?/\\``)."""
    base = _NOT_IN_SHEET_NAMES.sub(" ", text)
    if len(base) > _SHEET_NAME_MAX:
        # Cut at a word boundary: "A Công tác chỉ đạo, điều hành", not "… điều hành c".
        base = base[: _SHEET_NAME_MAX + 1].rsplit(" ", 1)[0].rstrip(" ,;.-")
    base = base[:_SHEET_NAME_MAX].strip()
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: _SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


@dataclass(frozen=True)
class _Column:
    """One column after STT and unit: a value per unit in row order (None: "—"), and
    the cell format (a number format for numbers)."""

    values: Sequence[float | int | str | None]
    style: Any


class _Writer:
    """The workbook, its formats, and the rows shared by the annex and area sheets."""

    def __init__(self, cards: Scorecards, lang: str, sink: io.BytesIO) -> None:
        from xlsxwriter import Workbook

        self.cards = cards
        self.lang = lang
        model = cards.ruleset.model
        self.model = model
        self.book = Workbook(sink, {"in_memory": True})
        self.book.set_properties({"title": model.ruleset.title.get(lang), "created": _CREATED})
        rows = cards.to_arrow(lang=lang, order=cards.ranked_order())
        self.rows = rows
        border = {"border": 1, "valign": "vcenter"}
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.subtitle = self.book.add_format({"italic": True})
        self.header = self.book.add_format(
            {**border, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#D9E1F2"}
        )
        self.group = self.book.add_format({**border, "bold": True, "bg_color": "#F2F2F2"})
        self.text = self.book.add_format(border)
        self.count = self.book.add_format({**border, "num_format": "0", "align": "center"})
        self.missing = self.book.add_format({**border, "align": "center"})
        self.points = self.book.add_format(
            {**border, "num_format": _digits_format(model.ruleset.points_decimals)}
        )
        index_digits = rows.schema.field("index").type.scale
        self.index = self.book.add_format({**border, "num_format": _digits_format(index_digits)})
        self.criterion_points = self.book.add_format(
            {**border, "num_format": self._criterion_format()}
        )
        self.plain = self.book.add_format({"valign": "top", "text_wrap": True})
        self.bold = self.book.add_format({"bold": True, "valign": "top"})
        # Each unit's row, grouped: (peer group name, [positions in rows]) in rank order.
        groups = rows.column("peer_group").to_pylist()
        self.groups: list[tuple[str, list[int]]] = []
        for position, group in enumerate(groups):
            if not self.groups or self.groups[-1][0] != group:
                self.groups.append((group, []))
            self.groups[-1][1].append(position)
        self.names: list[str] = rows.column("name").to_pylist()
        self.taken: set[str] = set()
        """Sheet names used so far, casefolded (Excel compares them so)."""

    def _criterion_format(self) -> str:
        """Criteria show the digits they are scored at (finer than ``points_decimals``
        when the ruleset rounds only areas or the total)."""
        scale = self.cards.ruleset.criterion_scale
        return _digits_format(len(str(scale)) - 1)

    def string(self, sheet: Any, row: int, col: int, text: str, style: Any) -> None:
        # write_string, never write(): XlsxWriter's write() turns "=…" into a formula.
        sheet.write_string(row, col, safe_text(text), style)

    def group_name(self, group: str) -> str:
        found = self.model.ranking.peer_groups.get(group)
        if found is None:
            return group
        return both(found.name.vi, found.name.en, self.lang)

    def heading(self, sheet: Any, width: int, title: str) -> None:
        """Rows 0 and 1: the title, then the ruleset, its period and version."""
        meta = self.model.ruleset
        periods = ", ".join(str(p) for p in meta.periods)
        subtitle = (
            f"{_t('ruleset', self.lang)} {self.model.ref} · {_t('period', self.lang)} {periods}"
            f" · {_t('version', self.lang)} {meta.version}"
        )
        sheet.merge_range(0, 0, 0, width - 1, "", self.title)
        self.string(sheet, 0, 0, title, self.title)
        sheet.merge_range(1, 0, 1, width - 1, "", self.subtitle)
        self.string(sheet, 1, 0, subtitle, self.subtitle)

    def table(self, sheet: Any, headers: list[str], columns: list[_Column]) -> None:
        """The header row (row 2) and the units by group under it; STT and unit first,
        then ``columns``."""
        width = 2 + len(columns)
        for col, text in enumerate(headers):
            self.string(sheet, 2, col, text, self.header)
        row = 3
        for group, positions in self.groups:
            sheet.merge_range(row, 0, row, width - 1, "", self.group)
            self.string(sheet, row, 0, self.group_name(group), self.group)
            row += 1
            for number, position in enumerate(positions, start=1):
                sheet.write_number(row, 0, number, self.count)
                self.string(sheet, row, 1, self.names[position], self.text)
                for col, column in enumerate(columns, start=2):
                    value = column.values[position]
                    if value is None:
                        sheet.write_string(row, col, "—", self.missing)
                    elif isinstance(value, str):
                        self.string(sheet, row, col, value, column.style)
                    else:
                        sheet.write_number(row, col, value, column.style)
                row += 1
        sheet.freeze_panes(3, 2)
        sheet.autofilter(2, 0, max(row - 1, 2), width - 1)
        sheet.set_landscape()
        sheet.set_paper(_A4)
        sheet.repeat_rows(0, 2)
        sheet.fit_to_pages(1, 0)
        sheet.set_column(0, 0, 6)
        sheet.set_column(1, 1, 40)
        sheet.set_column(2, width - 1, 12)

    def annex(self) -> None:
        lang = self.lang
        sheet = self.book.add_worksheet(_t("annex", lang))
        self.taken.add(sheet.name.casefold())
        areas = self.model.areas
        headers = [_t("stt", lang), label("unit", lang, both=False)]
        headers += [f"{area.id}. {area.name.get(lang)}" for area in areas]
        headers += [
            label("total", lang, both=False),
            label("index", lang, both=False),
            label("grade", lang, both=False),
            label("rank", lang, both=False),
        ]
        self.heading(
            sheet, len(headers), f"{_t('annex', lang)}: {self.model.ruleset.title.get(lang)}"
        )
        columns = [_Column(_floats(self.rows.column(f"area:{a.id}")), self.points) for a in areas]
        columns += [
            _Column(_floats(self.rows.column("total")), self.points),
            _Column(_floats(self.rows.column("index")), self.index),
            _Column(self.rows.column("grade_name").to_pylist(), self.text),
            _Column(self.rows.column("rank").to_pylist(), self.count),
        ]
        self.table(sheet, headers, columns)
        sheet.set_row(2, 60)
        sheet.set_column(len(headers) - 2, len(headers) - 2, 16)

    def area(self, area: Area) -> None:
        lang = self.lang
        name = _sheet_name(f"{area.id} {area.name.get(lang)}", self.taken)
        sheet = self.book.add_worksheet(name)
        leaves = [leaf for leaf in self.cards.ruleset.leaves if leaf.area.id == area.id]
        maximum = _t("max", lang)
        headers = [_t("stt", lang), label("unit", lang, both=False)]
        headers += [
            f"{leaf.criterion.id}. {leaf.criterion.name.get(lang)}\n"
            f"({maximum} {number_text(leaf.criterion.max_points)})"
            for leaf in leaves
        ]
        headers.append(f"{_t('area_total', lang)}\n({maximum} {number_text(area.max_points)})")
        self.heading(sheet, len(headers), f"{area.id}. {area.name.get(lang)}")
        columns = [
            _Column(_floats(self.rows.column(leaf.criterion.id)), self.criterion_points)
            for leaf in leaves
        ]
        columns.append(_Column(_floats(self.rows.column(f"area:{area.id}")), self.points))
        self.table(sheet, headers, columns)
        sheet.set_row(2, 90)
        sheet.set_column(2, len(headers) - 1, 16)

    def warnings(self) -> None:
        """The units that break a warning check; the sheet says so when none does."""
        lang = self.lang
        # NOTE: a sheet name cannot hold "/": the sheet is named in the chosen language,
        # its title in both
        sheet = self.book.add_worksheet(
            _sheet_name(label("warnings", lang, both=False), self.taken)
        )
        self.string(sheet, 0, 0, label("warnings", lang), self.title)
        headers = ["row", "unit_id", "unit", "check", "message"]
        for col, key in enumerate(headers):
            self.string(sheet, 2, col, label(key, lang, both=False), self.header)
        units = self.cards.units
        for row, warning in enumerate(self.cards.warnings, start=3):
            sheet.write_number(row, 0, warning.row, self.count)
            self.string(sheet, row, 1, warning.unit_id, self.text)
            self.string(sheet, row, 2, units.name(units.position(warning.unit_id), lang), self.text)
            self.string(sheet, row, 3, warning.check, self.text)
            self.string(sheet, row, 4, warning.said(lang), self.text)
        if not self.cards.warnings:
            self.string(sheet, 3, 0, _t("no_warnings", lang), self.plain)
        sheet.freeze_panes(3, 0)
        sheet.set_column(0, 0, 8)
        sheet.set_column(1, 1, 14)
        sheet.set_column(2, 2, 36)
        sheet.set_column(3, 3, 24)
        sheet.set_column(4, 4, 80)

    def provenance(self, record: Mapping[str, Any]) -> None:
        lang = self.lang
        sheet = self.book.add_worksheet(_sheet_name(_t("provenance", lang), self.taken))
        lines = provenance_rows(record, lang)
        lines.append((_t("units", lang), str(len(self.cards))))
        self.string(sheet, 0, 0, both("Nguồn gốc", "Provenance", lang), self.title)
        self.string(sheet, 2, 0, _t("item", lang), self.header)
        self.string(sheet, 2, 1, _t("value", lang), self.header)
        for row, (key, value) in enumerate(lines, start=3):
            self.string(sheet, row, 0, key, self.bold)
            self.string(sheet, row, 1, value, self.plain)
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, 1, 80)


def annex_xlsx(cards: Scorecards, lang: str, *, provenance: Mapping[str, Any]) -> bytes:
    """The annex workbook: the annex sheet, a sheet per area, the warnings sheet when
    the ruleset declares checks between facts, the provenance sheet showing
    ``provenance`` (``results._provenance``, or a published run's record)."""
    sink = io.BytesIO()
    writer = _Writer(cards, lang, sink)
    writer.annex()
    for area in writer.model.areas:
        writer.area(area)
    if cards.ruleset.checks:
        writer.warnings()
    writer.provenance(provenance)
    writer.book.close()
    return sink.getvalue()
