"""Scorecards: the result of an evaluation, as a columnar table and as explanations.

Explanations are rendered from reason codes only for the units someone asks about, so
a million-unit run builds no million strings.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cchc_rules.expressions import UNIT_TYPE
from cchc_rules.inputs._derive import DEFAULT_EVIDENCE_LIMIT, Derivation
from cchc_rules.inputs._fact_checks import FactWarning
from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import FactValue, number_text
from cchc_rules.results._collation import vietnamese_key
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf
from cchc_rules.ruleset._models import Band, Criterion, Text
from cchc_rules.scoring._aggregate import NO_GRADE, NO_RANK, Aggregates, peer_group_codes
from cchc_rules.scoring._arithmetic import display_index
from cchc_rules.scoring._engine import ENGINE_REASONS, MISSING_ZERO, PointsMatrix, call_kind

__all__ = [
    "NOTHING_APPLICABLE",
    "NOTHING_APPLICABLE_LABEL",
    "NOTHING_APPLICABLE_REASON",
    "OUTPUT_COLUMNS",
    "SCORED",
    "SUMMARY_COLUMNS",
    "CriterionLine",
    "Explanation",
    "OutputColumns",
    "Scorecards",
    "render_reason",
]

ENGINE_TEXTS: dict[str, Text] = {
    "not_applicable_unit_type": Text(
        vi="Không áp dụng cho loại đơn vị này ({unit_type})",
        en="Not applicable to this unit type ({unit_type})",
    ),
    "not_applicable_condition": Text(
        vi="Không áp dụng: điều kiện {condition} không thỏa mãn",
        en="Not applicable: condition {condition} does not hold",
    ),
    "missing_zero": Text(
        vi="Thiếu số liệu ({facts}): tính 0 điểm",
        en="Data missing ({facts}): scored 0 points",
    ),
    "full_points_condition": Text(
        vi="Được tối đa điểm: điều kiện {full_points_condition} thỏa mãn",
        en="Full points: condition {full_points_condition} holds",
    ),
    "missing_not_applicable": Text(
        vi="Thiếu số liệu ({facts}): không áp dụng",
        en="Data missing ({facts}): not applicable",
    ),
}
MISSING_HINT = Text(
    vi="Cung cấp số liệu {facts} kèm tài liệu kiểm chứng",
    en="Provide {facts} with supporting evidence",
)

SCORED = "scored"
NOTHING_APPLICABLE = "nothing_applicable"
"""A unit's ``status``: scored, or no criterion applies to it (no index, grade, rank)."""
NOTHING_APPLICABLE_REASON = Text(
    vi="Không tiêu chí nào áp dụng cho đơn vị này nên đơn vị không có chỉ số, xếp loại, xếp hạng",
    en="None of the criteria applies to this unit, so it has no index, grade or rank",
)
NOTHING_APPLICABLE_LABEL = Text(vi="không có tiêu chí áp dụng", en="nothing applies")
"""The status in a table cell, where the reason does not fit."""


SUMMARY_COLUMNS = (
    "unit_id",
    "name",
    "unit_type",
    "peer_group",
    "total",
    "applicable_max",
    "index",
    "grade",
    "grade_name",
    "rank",
    "status",
)
"""The unit and result columns of :meth:`Scorecards.to_arrow`, before areas and criteria."""

OutputColumns = Literal["summary", "areas", "criteria", "all"]
OUTPUT_COLUMNS: tuple[OutputColumns, ...] = ("summary", "areas", "criteria", "all")
"""Which columns :meth:`Scorecards.to_arrow` builds, each set the one before and more:
``summary`` (:data:`SUMMARY_COLUMNS`), ``areas`` (and each area's subtotal and component
index), ``criteria`` (and each criterion's points and reason code), ``all`` (whatever
the results table holds; today the same as ``criteria``)."""


def decimal_array(
    units: npt.NDArray[np.int64], scale: int, valid: npt.NDArray[np.bool_] | None = None
) -> pa.Array:
    """Exact Arrow decimals from fixed-point integers (no float on the way).

    ``decimal64`` stores exactly our int64 fixed point, so the array wraps the integers'
    own memory instead of widening every value to 128 bits.
    """
    digits = len(str(scale)) - 1
    values = np.ascontiguousarray(units, dtype=np.int64)
    buffers = [
        None if valid is None else pa.array(valid).buffers()[1],
        pa.py_buffer(values),  # Arrow keeps the array's memory alive: no copy
    ]
    null_count = -1 if valid is not None else 0
    return pa.Array.from_buffers(pa.decimal64(18, digits), len(values), buffers, null_count)


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of one unit's scorecard, explained."""

    id: str
    name: str
    area_id: str
    depth: int
    points: Decimal | None
    """``None`` when not applicable; at the precision the ruleset adds it (finer than
    the total's with ``per_area`` / ``total_only`` rounding)."""
    max_points: Decimal
    """The declared maximum."""
    applicable_max: Decimal
    """The maximum that counts for this unit (0 when not applicable)."""
    reason_code: str
    reason: str
    hint: str
    legal_ref: str | None
    is_leaf: bool
    evidence: tuple[str, ...] = ()
    """Records behind lost points (people, documents), for facts derived from records."""


@dataclass(frozen=True)
class Explanation:
    """Why one unit got its score: every criterion with points, reason and hint."""

    unit_id: str
    name: str
    unit_type: str
    peer_group: str
    lines: tuple[CriterionLine, ...]
    total: Decimal
    applicable_max: Decimal
    index: Decimal | None
    grade: str | None
    rank: int | None
    group_size: int
    ruleset: str
    content_hash: str
    points_decimals: int
    """Digits after the point of the ruleset's points, for showing totals aligned."""
    index_decimals: int
    """Digits after the point of the index, as the ruleset displays it."""
    status: str
    """``scored``, or ``nothing_applicable`` when no criterion applies to the unit."""
    status_reason: str
    """The status in words (empty when scored)."""
    warnings: tuple[str, ...] | None = None
    """The warning checks between facts the unit breaks, each its message and the values
    read; None when the ruleset declares no checks."""


class Scorecards:
    """Per unit: points per criterion, area subtotals, total, index, grade, rank, reasons."""

    def __init__(
        self,
        ruleset: CompiledRuleset,
        units: UnitTable,
        matrix: PointsMatrix,
        aggregates: Aggregates,
        derivation: Derivation | None = None,
        evidence_limit: int = DEFAULT_EVIDENCE_LIMIT,
    ) -> None:
        self.ruleset = ruleset
        self.units = units
        self.matrix = matrix
        self.aggregates = aggregates
        self.derivation = derivation
        """Where derived facts came from, to name the evidence in explanations."""
        self.evidence_limit = evidence_limit

    def __len__(self) -> int:
        return len(self.units)

    @functools.cached_property
    def _warnings_by_unit(self) -> dict[str, list[FactWarning]]:
        """The warnings by unit, so explaining thousands of units reads each once."""
        grouped: dict[str, list[FactWarning]] = {}
        for warning in self.matrix.warnings:
            grouped.setdefault(warning.unit_id, []).append(warning)
        return grouped

    @property
    def warnings(self) -> tuple[FactWarning, ...]:
        """Units that break a ``warning`` check between facts, check by check."""
        return self.matrix.warnings

    # -- columns -------------------------------------------------------------------------

    @functools.cached_property
    def _of_type(self) -> dict[str, npt.NDArray[np.bool_]]:
        """``unit_type == t`` for each declared unit type, computed once."""
        return {t: self.units.unit_types == t for t in self.ruleset.model.unit_types}

    @functools.cached_property
    def _grade_codes(self) -> npt.NDArray[np.intp]:
        """Each unit's band as a position in the bands of every unit type in turn
        (:attr:`_bands`); one past the last for a unit without a grade."""
        grade = self.aggregates.grade
        codes = np.full(len(self), len(self._bands), dtype=np.intp)
        offset = 0
        for unit_type, mask in self._of_type.items():
            graded = mask & (grade != NO_GRADE)
            codes[graded] = offset + grade[graded]
            offset += len(self.ruleset.model.grading.bands_for(unit_type))
        return codes

    @functools.cached_property
    def _bands(self) -> list[Band]:
        model = self.ruleset.model
        return [band for t in self._of_type for band in model.grading.bands_for(t)]

    def _grade_words(self, words: list[str | None]) -> npt.NDArray[np.object_]:
        return np.asarray([*words, None], dtype=object)[self._grade_codes]

    def grade_ids(self) -> npt.NDArray[np.object_]:
        return self._grade_words([band.grade for band in self._bands])

    def grade_names(self, lang: str) -> npt.NDArray[np.object_]:
        return self._grade_words([band.name.get(lang) for band in self._bands])

    def _grade_column(self, words: list[str | None], at: Any) -> pa.Array:
        """A grade column built by Arrow from each unit's band code: a million units
        share a handful of words, and converting a million Python strings costs more."""
        return pc.take(pa.array([*words, None], pa.string()), pa.array(self._grade_codes[at]))

    @functools.cached_property
    def group_codes(self) -> npt.NDArray[np.int16]:
        """Each unit's peer group as its position among the declared groups (ranking
        and the results table both need it)."""
        return peer_group_codes(self.ruleset, self.units.peer_groups)

    @functools.cached_property
    def _type_codes(self) -> npt.NDArray[np.int16]:
        """Each unit's type as its position among the declared unit types (-1: none)."""
        codes = np.full(len(self), -1, dtype=np.int16)
        for position, mask in enumerate(self._of_type.values()):
            codes[mask] = position
        return codes

    @staticmethod
    def _word_column(words: Iterable[str], codes: npt.NDArray[np.int16], at: Any) -> pa.Array:
        """Unit types or peer groups (read against the ruleset, so each is declared) as
        Arrow strings, from each unit's position among them, like :meth:`_grade_column`."""
        chosen = codes[at]
        return pc.take(pa.array(list(words), pa.string()), pa.array(chosen, mask=chosen < 0))

    def _reason_dictionary(self, row: int) -> tuple[list[str], npt.NDArray[np.int16]]:
        """Reason names of one criterion, and each unit's position among them."""
        leaf = self.ruleset.leaves[row]
        names = [r.code for r in type(leaf.kind).reasons]
        engine_codes = sorted(ENGINE_REASONS, reverse=True)  # -1, -2, …
        names += [ENGINE_REASONS[code] for code in engine_codes]
        reasons = self.matrix.reasons[row]
        # Engine codes are negative; they map after the kind's own codes.
        kind_count = len(names) - len(engine_codes)
        positions = np.where(reasons >= 0, reasons, kind_count - reasons - 1)
        return names, positions.astype(np.int16, copy=False)

    def to_arrow(
        self,
        *,
        lang: str = "vi",
        columns: OutputColumns = "all",
        order: npt.NDArray[np.intp] | None = None,
    ) -> pa.Table:
        """The scorecards as an Arrow table, in input order or in ``order`` (positions).

        ``columns`` (see :data:`OUTPUT_COLUMNS`) says how far the table goes; the columns
        it leaves out are not built at all. Columns: unit columns, ``total``,
        ``applicable_max``, ``index`` (%), ``grade``, ``grade_name``, ``rank``, ``status``
        (``summary``); then ``area:ID`` subtotals and ``area:ID:index`` component indexes
        (%, rounded like the index; ``areas``); then per scored criterion ``ID`` (points,
        null when not applicable) and ``ID:reason`` (reason code, dictionary-encoded: a
        million units share a handful of reason names; ``criteria``).
        Decimals carry exactly the precision the ruleset computes them at: the index
        ``index_decimals``, criteria (and unrounded areas) their working precision.
        """
        at: Any = slice(None) if order is None else order
        model = self.ruleset.model
        scale = self.ruleset.scale
        agg = self.aggregates
        scoring = self.ruleset.arithmetic
        has_max = agg.applicable_max[at] > 0
        rank = agg.rank[at]
        table: dict[str, Any] = {
            "unit_id": self.units.unit_ids
            if order is None
            else self.units.unit_ids.take(pa.array(order, pa.int64())),
            "name": self.units.names
            if order is None
            else self.units.names.take(pa.array(order, pa.int64())),
            "unit_type": self._word_column(model.unit_types, self._type_codes, at),
            "peer_group": self._word_column(model.ranking.peer_groups, self.group_codes, at),
            "total": decimal_array(agg.total[at], scale),
            "applicable_max": decimal_array(agg.applicable_max[at], scale),
            "index": decimal_array(agg.index[at], agg.index_scale, has_max),
            "grade": self._grade_column([band.grade for band in self._bands], at),
            "grade_name": self._grade_column([band.name.get(lang) for band in self._bands], at),
            "rank": pa.array(np.where(rank != NO_RANK, rank, 0), pa.int64(), mask=rank == NO_RANK),
            # nothing applies exactly where there is no maximum (so no index, grade, rank)
            "status": pc.if_else(pa.array(has_max), SCORED, NOTHING_APPLICABLE),
        }
        if columns == "summary":
            return pa.table(table)
        for area in self.ruleset.model.areas:
            node = agg.nodes[area.id]
            points, maximum = node.points[at], node.maximum[at]
            table[f"area:{area.id}"] = decimal_array(points, node.scale)
            # The component index: the area's points against what applies of it.
            component = display_index(points, maximum, scoring)
            table[f"area:{area.id}:index"] = decimal_array(component, agg.index_scale, maximum > 0)
        if columns != "areas":
            for row, leaf in enumerate(self.ruleset.leaves):
                table[leaf.criterion.id] = decimal_array(
                    self.matrix.points[row][at],
                    self.ruleset.criterion_scale,
                    self.matrix.applicable[row][at],
                )
                names, positions = self._reason_dictionary(row)
                table[f"{leaf.criterion.id}:reason"] = pa.DictionaryArray.from_arrays(
                    pa.array(positions[at], pa.int16()), pa.array(names, pa.string())
                )
        return pa.table(table)

    def ranked_order(self) -> npt.NDArray[np.intp]:
        """Unit positions by peer group (ruleset order), then rank, then the ruleset's
        ``tie_order``: unit id, or name (Vietnamese alphabetical order, then unit id)."""
        rank = np.where(
            self.aggregates.rank == NO_RANK, np.iinfo(np.int64).max, self.aggregates.rank
        )
        groups = self.group_codes
        keys = pa.table({"group": groups, "rank": rank, "unit_id": self.units.unit_ids})
        order = pc.sort_indices(
            keys, [("group", "ascending"), ("rank", "ascending"), ("unit_id", "ascending")]
        )
        ranked = np.asarray(order.to_numpy(zero_copy_only=False), dtype=np.intp)
        if self.ruleset.arithmetic.tie_order == "name":
            self._names_within_ties(ranked, groups[ranked], rank[ranked])
        return ranked

    def _names_within_ties(
        self, ranked: npt.NDArray[np.intp], groups: npt.NDArray[Any], rank: npt.NDArray[Any]
    ) -> None:
        """Reorder, in place, each run of ``ranked`` sharing a group and a rank by name.

        Only tied units get a collation key: a tie is a handful of units, the table may
        be a million.
        """
        starts = np.flatnonzero(
            np.concatenate(([True], (groups[1:] != groups[:-1]) | (rank[1:] != rank[:-1])))
        )
        stops = np.append(starts[1:], len(ranked))
        for start, stop in zip(starts, stops, strict=True):
            if stop - start > 1:
                run = ranked[start:stop].tolist()
                # sorted() is stable: equal names keep the unit-id order of the sort above
                run.sort(key=lambda i: vietnamese_key(str(self.units.names[i])))
                ranked[start:stop] = run

    # -- explanations ----------------------------------------------------------------------

    def explain(self, unit_id: str, *, lang: str = "vi") -> Explanation:
        """Every criterion of one unit with its points, reason and what would raise it."""
        return next(self.explain_positions([self.units.position(unit_id)], lang=lang))

    def explain_positions(
        self, positions: Iterable[int], *, lang: str = "vi"
    ) -> Iterator[Explanation]:
        """:meth:`explain` for the units at ``positions`` (in that order), one at a time.

        NOTE: what every unit shares is computed once for the batch (grade names, the
        size of each peer group, the criterion tree), and each reason text once per
        distinct (criterion, reason code, points, unit type, the facts it reads): the
        HTML report of 10,000 units renders a few thousand reasons, not 400,000.
        """
        agg = self.aggregates
        grade_names = self.grade_names(lang)
        scored_groups = self.units.peer_groups[agg.applicable_max > 0]
        group_sizes = dict(zip(*np.unique(scored_groups, return_counts=True), strict=True))
        leaf_rows = {leaf.criterion.id: row for row, leaf in enumerate(self.ruleset.leaves)}
        placed = [
            (p.node, p.depth, p.area.id, leaf_rows.get(p.node.id))
            for p in self.ruleset.model.tree()
        ]
        reasons = _ReasonMemo(self.ruleset, lang)
        for position in positions:
            yield self._explanation(int(position), placed, grade_names, group_sizes, reasons, lang)

    def _explanation(
        self,
        position: int,
        placed: list[tuple[Any, int, str, int | None]],
        grade_names: npt.NDArray[np.object_],
        group_sizes: Mapping[Any, Any],
        reasons: _ReasonMemo,
        lang: str,
    ) -> Explanation:
        scale = self.ruleset.scale
        agg = self.aggregates
        scoring = self.ruleset.arithmetic
        facts = {name: column.value(position) for name, column in self.units.facts.items()}
        # Computed facts for this one unit, by the per-unit evaluator of the same
        # expressions the engine evaluated over columns.
        for name, expression in self.ruleset.computed.items():
            facts[name] = expression.evaluate_unit(facts)
        unit_type = str(self.units.unit_types[position])
        lines: list[CriterionLine] = []
        for node, depth, area_id, row in placed:
            if row is not None and isinstance(node, Criterion) and node.is_leaf:
                leaf = self.ruleset.leaves[row]
                lines.append(
                    self._leaf_line(leaf, row, position, facts, unit_type, depth, reasons, lang)
                )
                continue
            totals = agg.nodes[node.id]
            possible = int(totals.maximum[position])
            lines.append(
                CriterionLine(
                    id=node.id,
                    name=node.name.get(lang),
                    area_id=area_id,
                    depth=depth,
                    points=Decimal(int(totals.points[position])) / totals.scale
                    if possible
                    else None,
                    max_points=node.max_points,
                    applicable_max=Decimal(possible) / totals.scale,
                    reason_code="subtotal",
                    reason="",
                    hint="",
                    legal_ref=None,
                    is_leaf=False,
                )
            )

        applicable_max = int(agg.applicable_max[position])
        status = SCORED if applicable_max else NOTHING_APPLICABLE
        grade_id = grade_names[position]
        rank = int(agg.rank[position])
        group = self.units.peer_groups[position]
        unit_id = self.units.unit_id(position)  # as read (NFC), whatever was typed
        return Explanation(
            unit_id=unit_id,
            name=self.units.name(position, lang),
            unit_type=unit_type,
            peer_group=str(group),
            lines=tuple(lines),
            total=Decimal(int(agg.total[position])) / scale,
            applicable_max=Decimal(applicable_max) / scale,
            index=Decimal(int(agg.index[position])) / agg.index_scale if applicable_max else None,
            grade=None if grade_id is None else str(grade_id),
            rank=rank if rank != NO_RANK else None,
            group_size=int(group_sizes.get(group, 0)),
            ruleset=self.ruleset.ref,
            content_hash=self.ruleset.content_hash,
            points_decimals=self.ruleset.model.ruleset.points_decimals,
            index_decimals=scoring.index_decimals,
            status=status,
            status_reason="" if applicable_max else NOTHING_APPLICABLE_REASON.get(lang),
            warnings=tuple(w.said(lang) for w in self._warnings_by_unit.get(unit_id, ()))
            if self.ruleset.checks
            else None,
        )

    def _leaf_line(
        self,
        leaf: Leaf,
        row: int,
        position: int,
        facts: dict[str, Any],
        unit_type: str,
        depth: int,
        reasons: _ReasonMemo,
        lang: str,
    ) -> CriterionLine:
        criterion = leaf.criterion
        scale = reasons.scale
        code = int(self.matrix.reasons[row, position])
        applicable = bool(self.matrix.applicable[row, position])
        points = Decimal(int(self.matrix.points[row, position])) / scale if applicable else None
        name, reason, hint = reasons.render(row, code, points, facts, unit_type)
        evidence: tuple[str, ...] = ()
        if self.derivation is not None and points is not None and points < criterion.max_points:
            # Only for a criterion that lost points: the records that cost them.
            evidence = tuple(
                self.derivation.evidence_for(
                    self.units.unit_id(position),
                    leaf.kind.facts(),
                    lang=lang,
                    limit=self.evidence_limit,
                )
            )
        return CriterionLine(
            id=criterion.id,
            name=criterion.name.get(lang),
            area_id=leaf.area.id,
            depth=depth,
            points=points,
            max_points=criterion.max_points,
            applicable_max=criterion.max_points if applicable else Decimal(0),
            reason_code=name,
            reason=reason,
            hint=hint,
            legal_ref=str(criterion.legal_ref) if criterion.legal_ref else None,
            is_leaf=True,
            evidence=evidence,
        )


class _ReasonMemo:
    """Reason texts of a batch of explanations, each rendered once per distinct input."""

    def __init__(self, ruleset: CompiledRuleset, lang: str) -> None:
        self.ruleset = ruleset
        self.lang = lang
        self.scale = ruleset.criterion_scale
        self.reads = [_reason_inputs(leaf) for leaf in ruleset.leaves]
        self.texts: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    def render(
        self,
        row: int,
        code: int,
        points: Decimal | None,
        facts: Mapping[str, FactValue | None],
        unit_type: str,
    ) -> tuple[str, str, str]:
        key = (row, code, points, unit_type, *(facts.get(f) for f in self.reads[row]))
        found = self.texts.get(key)
        if found is None:
            leaf = self.ruleset.leaves[row]
            type_name = self.ruleset.model.unit_types[unit_type].name.get(self.lang)
            found = render_reason(leaf, code, points, facts, unit_type, type_name, self.lang)
            self.texts[key] = found
        return found


def _reason_inputs(leaf: Leaf) -> tuple[str, ...]:
    """The facts a criterion's reason texts can depend on: those its kind reads, its
    condition reads, and any its reason templates name.

    NOTE: a kind's ``explain_values`` derives its values from the facts it declares and
    its parameters (the kinds API says so); a fact none of these name cannot change the
    text, so two units that agree on these share it.
    """
    names = set(leaf.kind.facts())
    if leaf.condition is not None:
        names |= leaf.condition.names - {UNIT_TYPE}
    formatter = string.Formatter()
    for spec in type(leaf.kind).reasons:
        for lang in ("vi", "en"):
            for template in (spec.text(lang), spec.hint(lang)):
                names |= {field for _, field, _, _ in formatter.parse(template) if field}
    return tuple(sorted(names))


def render_reason(
    leaf: Leaf,
    code: int,
    points: Decimal | None,
    facts: Mapping[str, FactValue | None],
    unit_type: str,
    unit_type_name: str,
    lang: str,
) -> tuple[str, str, str]:
    """The reason name, text and hint of one scored cell, as explanations show them.

    ``code`` is the engine's reason code (a kind's reason index, or a negative engine
    code); ``points`` is ``None`` where the criterion does not apply; ``facts`` are the
    unit's facts, ``None`` where missing. Every decimal reads as :func:`number_text`
    writes it (``1.5``, never ``1.50``). A template field neither the kind's
    ``explain_values`` nor the engine gives is a :class:`KeyError`.
    """
    read = list(leaf.kind.facts())
    if leaf.condition is not None:
        read += sorted(leaf.condition.names - {UNIT_TYPE} - set(read))
    missing = [f for f in read if facts.get(f) is None]
    values: dict[str, Any] = {
        "unit_type": unit_type_name,
        "condition": leaf.condition.source if leaf.condition is not None else "",
        "full_points_condition": leaf.full_points.source if leaf.full_points else "",
        "facts": ", ".join(missing),
        "points": number_text(points if points is not None else Decimal(0)),
        "max_points": number_text(leaf.criterion.max_points),
    }
    if code < 0:
        name = ENGINE_REASONS[code]
        reason = ENGINE_TEXTS[name].get(lang).format(**values)
        hint = MISSING_HINT.get(lang).format(**values) if code == MISSING_ZERO else ""
        return name, reason, hint
    spec = type(leaf.kind).reasons[code]
    present = {f: v for f, v in facts.items() if v is not None}
    present[UNIT_TYPE] = unit_type
    own = call_kind(leaf, "explain_values", lambda: leaf.kind.explain_values(present))
    values = {**own, **values}
    values = {k: number_text(v) if isinstance(v, Decimal) else v for k, v in values.items()}
    return spec.code, spec.text(lang).format(**values), spec.hint(lang).format(**values)
