"""The one shape every file writer takes: rows, and what heads them in each format.

The ranked scorecards and a what-if comparison both become a :class:`ReportTable`,
so CSV, JSON and XLSX each have one writer for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cchc_rules.reports._labels import label
from cchc_rules.results._compare import Comparison, Sort
from cchc_rules.results._scorecards import OutputColumns, Scorecards

__all__ = ["ReportTable", "comparison_table", "scorecards_table"]


@dataclass(frozen=True)
class ReportTable:
    """Rows to write, one per unit, and what each format puts above them."""

    rows: pa.Table
    document: dict[str, Any]
    """JSON: the keys before ``units`` (which rulesets, which content hashes)."""
    sheet: str
    """XLSX: the sheet's name."""
    preamble: list[list[str]]
    """XLSX: the rows above the header row."""
    fixed_decimals: bool = False
    """XLSX: decimal columns show exactly their own digits (points and indexes as the
    ruleset computes them); False: the spreadsheet's default format."""
    provenance: Mapping[str, Any] | None = None
    """What produced the rows (``results._provenance``): a JSON key, an XLSX sheet, CSV
    comment lines when asked."""
    lang: str = "vi"
    """The language of the labels the writers add (the provenance sheet's)."""
    warnings: list[dict[str, Any]] | None = None
    """JSON: the units that break a warning check between facts, under ``warnings``;
    None when the ruleset declares no checks (the key is then left out)."""


def scorecards_table(
    cards: Scorecards,
    lang: str,
    columns: OutputColumns = "all",
    *,
    provenance: Mapping[str, Any] | None = None,
) -> ReportTable:
    """The scorecards in rank order (peer group, then rank), ``columns`` of them, and
    the ``provenance`` record the files carry."""
    ruleset = cards.ruleset
    return ReportTable(
        rows=cards.to_arrow(lang=lang, columns=columns, order=cards.ranked_order()),
        document={"ruleset": ruleset.ref, "content_hash": ruleset.content_hash},
        sheet="Kết quả" if lang == "vi" else "Results",
        preamble=[
            [f"{ruleset.ref} — {ruleset.model.ruleset.title.get(lang)}"],
            [f"sha256 {ruleset.content_hash}"],
        ],
        fixed_decimals=True,
        provenance=provenance,
        lang=lang,
        warnings=[w.to_json(lang) for w in cards.warnings] if ruleset.checks else None,
    )


def comparison_table(comparison: Comparison, lang: str, sort: Sort = "rank") -> ReportTable:
    """Each unit under both versions, sorted by ``sort``."""
    sides = (("before", comparison.before), ("after", comparison.after))
    return ReportTable(
        rows=comparison.to_arrow(lang=lang, sort=sort),
        document={
            side: {"ruleset": cards.ruleset.ref, "content_hash": cards.ruleset.content_hash}
            for side, cards in sides
        },
        sheet="So sánh" if lang == "vi" else "Comparison",
        preamble=[
            [f"{label(side, lang)}: {cards.ruleset.ref}", f"sha256 {cards.ruleset.content_hash}"]
            for side, cards in sides
        ],
    )
