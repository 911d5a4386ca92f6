"""Unit scorecards: one printable HTML document per unit, to send to the unit's head.

Each says who the unit is and what it got (grade, rank in its peer group, index,
points), draws its component index per area, and lists every area and criterion with
the reason and what would raise it — the same rows as the report's unit sections.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from cchc_rules.reports._assessed import AssessedResults
from cchc_rules.reports._charts import ChartRenderer
from cchc_rules.reports._html import ruleset_context, stored_provenance
from cchc_rules.reports._html_parts import (
    HTML_LABELS,
    SCORE_LEGEND,
    CardRows,
    render,
    unit_view,
)
from cchc_rules.results._scorecards import Scorecards

__all__ = ["scorecard_documents"]

_WHAT = "scorecards"


def scorecard_documents(
    results: Scorecards | AssessedResults,
    lang: str = "vi",
    unit_ids: Sequence[str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """``(unit_id, HTML document)`` for each of ``unit_ids`` (default: every unit, in
    rank order), labels in ``lang`` first with the other beside; a campaign's results
    show each line's self-score, appraisal, final points and evidence.

    Documents are made one at a time, so writing thousands keeps one in memory.
    """
    assessed = None if isinstance(results, Scorecards) else results
    cards = results if isinstance(results, Scorecards) else results.scorecards
    model = cards.ruleset.model
    charts = ChartRenderer(_WHAT)
    ruleset = ruleset_context(cards, lang)
    lang_index = 0 if lang == "vi" else 1
    axis = " / ".join(HTML_LABELS["area_index"][k] for k in (lang_index, 1 - lang_index))
    columns = cards.to_arrow(lang=lang, columns="areas").to_pydict()
    positions = (
        [cards.units.position(unit_id) for unit_id in unit_ids]
        if unit_ids is not None
        else [int(p) for p in cards.ranked_order()]
    )
    ids = list(unit_ids) if unit_ids is not None else [cards.units.unit_id(p) for p in positions]
    rows = CardRows(_WHAT)
    provenance = stored_provenance(assessed, lang)
    explained = (
        ((e, None) for e in cards.explain_positions(positions, lang=lang))
        if assessed is None
        else assessed.explain_positions(positions, lang=lang)
    )
    for unit_id, position, (explanation, lines) in zip(ids, positions, explained, strict=True):
        # The component indexes as the results table has them (input order), so the
        # chart reads exactly what the report's heatmap and table say.
        areas = [
            (f"{a.id} · {a.name.get(lang)}", _percent(columns[f"area:{a.id}:index"][position]))
            for a in model.areas
        ]
        yield (
            unit_id,
            render(
                "scorecard.html.j2",
                _WHAT,
                lang,
                ruleset=ruleset,
                u=unit_view(explanation, model, lang, lines),
                card_rows=rows,
                provenance=provenance,
                chart=charts.area_bars(areas, title=axis),
                score_legend_texts=SCORE_LEGEND,
            ),
        )


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
