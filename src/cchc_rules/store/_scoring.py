"""Scoring a campaign: the engine on the units' facts, then the final points per criterion.

NOTE (docs/decisions/0024-campaign-scoring.md): the engine scores every criterion from
the units' facts as it always does (survey scores enter as the facts their criteria
read); that is a unit's self-score wherever it did not self-assess the criterion. Then
for each unit and criterion **final = appraised where given, else self-score** (a
self-score the evidence rule sets to 0 counts as 0) replaces the engine's points,
applicability unchanged. Totals, grades and ranks are aggregated from the final points
by the same code as any evaluation.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import Problem
from cchc_rules.inputs._derive import derive_facts
from cchc_rules.inputs._sheets import cell_text
from cchc_rules.inputs._units import UnitTable, read_units, read_units_file
from cchc_rules.kinds import FactColumn, number_text
from cchc_rules.reports._assessed import LineAssessment
from cchc_rules.results._scorecards import CriterionLine, Explanation, Scorecards
from cchc_rules.ruleset._checks import SURVEY_KIND
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf
from cchc_rules.ruleset._loading import load_ruleset_text
from cchc_rules.ruleset._models import Text
from cchc_rules.scoring._aggregate import aggregate
from cchc_rules.scoring._engine import PointsMatrix, score_units
from cchc_rules.store._db import Store, StoreError, sha256_hex
from cchc_rules.store._state import CampaignState, Evidence, FactsSource, Key

__all__ = [
    "SURVEY_KIND",
    "Assessment",
    "Bound",
    "CampaignExplanation",
    "CampaignScorecards",
    "SelfFacts",
    "bind",
    "forget",
    "read_self_facts",
    "score_campaign",
    "survey_fact",
    "with_self_facts",
]


@dataclass(frozen=True)
class Bound:
    """A campaign's ruleset and units, read back from the store."""

    state: CampaignState
    ruleset: CompiledRuleset
    units: UnitTable
    """The opening units file's, with each unit's self-assessed facts in place."""
    opening: UnitTable
    """The units as the opening file gave them."""


@dataclass(frozen=True)
class SelfFacts:
    """A units file a unit self-assessed its facts with, read by the units reader."""

    units: UnitTable
    facts: tuple[str, ...]
    """The fact columns the file gives."""
    campaigns: tuple[str, ...]
    """Per row, what its ``campaign`` cell names ("" for none; empty without the column)."""


_COMPILED: dict[tuple[str, int], tuple[KindRegistry, CompiledRuleset]] = {}
"""Stored ruleset texts compiled in this process, by text hash and registry."""
_UNITS: dict[tuple[str, str], UnitTable] = {}
"""Stored units files read in this process, by file hash (and its record sets') and
ruleset content hash (a
unit table is never changed in place: survey scores go into a copy)."""
_SELF_FACTS: dict[tuple[str, str], SelfFacts] = {}
"""Stored self-assessed facts files read in this process, keyed as ``_UNITS``."""


def _compiled(store: Store, state: CampaignState, registry: KindRegistry) -> CompiledRuleset:
    # NOTE: a cache, because every import and publish binds the campaign and compiling a
    # ruleset costs more than scoring it; the registry is kept with the entry so its id
    # cannot be reused by another registry while the entry lives.
    key = (state.ruleset_sha256, id(registry))
    if key not in _COMPILED:
        text = store.blob(state.ruleset_sha256)
        if sha256_hex(text) != state.ruleset_sha256:
            raise StoreError(
                [Problem(store.display, None, state.name, "the stored ruleset text was edited")]
            )
        if len(_COMPILED) >= 8:
            _COMPILED.clear()
        _COMPILED[key] = (
            registry,
            load_ruleset_text(
                text.decode(),
                Path(f"{state.ruleset_ref}.toml"),
                registry=registry,
                display=f"{store.display}: {state.ruleset_ref}",
            ),
        )
    return _COMPILED[key][1]


def forget() -> None:
    """Drop what was compiled and read in this process: verification reads the store anew."""
    _COMPILED.clear()
    _UNITS.clear()
    _SELF_FACTS.clear()


def bind(store: Store, state: CampaignState, registry: KindRegistry) -> Bound:
    """The campaign's ruleset (its resolved text as stored) and units (the file as
    imported), each checked against the hash recorded when the campaign was opened."""
    ruleset = _compiled(store, state, registry)
    if ruleset.content_hash != state.content_hash:
        raise StoreError(
            [
                Problem(
                    store.display,
                    None,
                    state.name,
                    f"the stored ruleset {state.ruleset_ref} now hashes to "
                    f"{ruleset.content_hash[:12]}, not {state.content_hash[:12]} as recorded",
                )
            ]
        )
    inputs = "+".join([state.units_sha256, *(r.sha256 for r in state.records)])
    key = (inputs, ruleset.content_hash)
    if key not in _UNITS:
        content = _blob(store, state, state.units_name, state.units_sha256)
        records = {r.kind: (r.name, _blob(store, state, r.name, r.sha256)) for r in state.records}
        if len(_UNITS) >= 8:
            _UNITS.clear()
        _UNITS[key] = units_from_bytes(content, state.units_name, ruleset, records)
    given = {
        unit: _self_facts(store, state, source, ruleset)
        for unit, source in state.self_facts.items()
    }
    return Bound(state, ruleset, with_self_facts(_UNITS[key], given), _UNITS[key])


def _blob(store: Store, state: CampaignState, name: str, sha256: str) -> bytes:
    content = store.blob(sha256)
    if sha256_hex(content) != sha256:
        problem = f"the stored {name} was edited"
        raise StoreError([Problem(store.display, None, state.name, problem)])
    return content


def _self_facts(
    store: Store, state: CampaignState, source: FactsSource, ruleset: CompiledRuleset
) -> SelfFacts:
    key = (source.sha256, ruleset.content_hash)
    if key not in _SELF_FACTS:
        if len(_SELF_FACTS) >= 64:
            _SELF_FACTS.clear()
        content = _blob(store, state, source.name, source.sha256)
        _SELF_FACTS[key] = read_self_facts(content, source.name, ruleset)
    return _SELF_FACTS[key]


def _read_file(content: bytes, name: str, ruleset: CompiledRuleset) -> tuple[pa.Table, int]:
    """The file as the units reader reads it (its suffix says how, the ruleset's labels
    name its columns), and its first row."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / Path(name).name
        path.write_bytes(content)
        return read_units_file(path, name, ruleset.model)


def units_from_bytes(
    content: bytes,
    name: str,
    ruleset: CompiledRuleset,
    records: Mapping[str, tuple[str, bytes]] | None = None,
) -> UnitTable:
    """Units as imported, read as the file they were; with the facts the ruleset derives
    from ``records`` (record set → its file's name and content, as imported)."""
    if not ruleset.providers:
        # Read as a file, not a table: an office file's skipped rows (title, labels,
        # totals) keep every unit's row number in messages.
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / Path(name).name
            path.write_bytes(content)
            return read_units(path, ruleset.model, name=name)
    table, first = _read_file(content, name, ruleset)
    with tempfile.TemporaryDirectory() as directory:
        paths = {}
        for record_set, (file, data) in (records or {}).items():
            # One folder per set: two sets may come from files of the same name.
            path = Path(directory) / record_set / Path(file).name
            path.parent.mkdir()
            path.write_bytes(data)
            paths[record_set] = path
        derivation = derive_facts(ruleset, table, paths, source=name, first_row=first)
        return read_units(
            derivation.table, ruleset.model, name=derivation.source, first_row=derivation.first_row
        )


def read_self_facts(content: bytes, name: str, ruleset: CompiledRuleset) -> SelfFacts:
    """A units file of self-assessed facts; it may carry a ``campaign`` column (checked by
    the import, then set aside: the units reader knows no such column)."""
    table, first = _read_file(content, name, ruleset)
    campaigns: tuple[str, ...] = ()
    if "campaign" in table.column_names:
        campaigns = tuple(
            (cell_text(cell) or "").strip() for cell in table.column("campaign").to_pylist()
        )
        table = table.drop_columns(["campaign"])
    units = read_units(table, ruleset.model, name=name, first_row=first)
    given = tuple(fact for fact in ruleset.model.facts if fact in table.column_names)
    return SelfFacts(units, given, campaigns)


def with_self_facts(opening: UnitTable, given: Mapping[str, SelfFacts]) -> UnitTable:
    """``opening`` with each unit's facts from the file it self-assessed with (``given``,
    by unit id), for the facts that file gives; its other facts stay the opening's."""
    if not given:
        return opening
    touched = sorted({fact for source in given.values() for fact in source.facts})
    facts = dict(opening.facts)
    for fact in touched:
        column = opening.facts[fact]
        facts[fact] = FactColumn(
            column.type, np.array(column.values, copy=True), column.missing.copy(), column.scale
        )
    positions = {unit: i for i, unit in enumerate(opening.unit_ids.to_pylist())}
    for unit, source in sorted(given.items()):
        at = positions[unit]
        there = source.units.position(unit)
        for fact in source.facts:
            # Exact: both files were read by the same ruleset's schema, so scales agree.
            facts[fact].values[at] = source.units.facts[fact].values[there]
            facts[fact].missing[at] = source.units.facts[fact].missing[there]
    return dataclasses.replace(opening, facts=facts)


def survey_fact(leaf: Leaf) -> str:
    """The fact a survey criterion reads its score from."""
    fact: str = leaf.kind.params.score
    return fact


def survey_scale(leaf: Leaf) -> Decimal:
    scale: Decimal = leaf.kind.params.scale_max
    return scale


@dataclass(frozen=True)
class Assessment:
    """One criterion of one unit: self-score, appraisal, and the points that count."""

    self_points: Decimal | None
    """The unit's self-score; ``None`` where the criterion does not apply."""
    self_source: str
    """``self_assessment`` (imported), ``facts`` (scored from the opening units file's
    facts), ``self_facts`` (scored from facts the unit self-assessed, in place of the
    opening file's) or ``survey`` (scored from an imported survey score)."""
    evidence: tuple[Evidence, ...]
    evidence_missing: bool
    """The criterion requires evidence and the self-score above 0 has too little."""
    appraised_points: Decimal | None
    appraisal_reason: str | None
    final_points: Decimal | None
    """The points that count; ``None`` where the criterion does not apply."""
    final_source: str
    """``appraised``, ``no_evidence`` (set to 0 by the evidence rule), or the self-score's
    source."""

    def to_json(self) -> dict[str, Any]:
        return {
            "self": self.self_points,
            "self_source": self.self_source,
            "evidence": [e.to_json() for e in self.evidence],
            "evidence_missing": self.evidence_missing,
            "appraised": self.appraised_points,
            "appraisal_reason": self.appraisal_reason,
            "final": self.final_points,
            "final_source": self.final_source,
        }


@dataclass(frozen=True)
class CampaignExplanation:
    """One unit's explanation, each scored line with its assessment (by criterion id)."""

    explanation: Explanation
    assessments: Mapping[str, Assessment]
    campaign: str


class CampaignScorecards:
    """The scorecards of a campaign's final points, and how each point came about.

    The documents (``reports/``) read it as their ``AssessedResults``.
    """

    def __init__(
        self,
        bound: Bound,
        cards: Scorecards,
        assessments: dict[Key, Assessment],
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.bound = bound
        self.scorecards = cards
        self.assessments = assessments
        self.provenance = provenance
        """The published run's provenance record as stored; ``None`` for an open campaign."""
        self._by_unit: dict[str, dict[str, Assessment]] | None = None

    @property
    def campaign(self) -> str:
        return self.bound.state.name

    def published(self, provenance: Mapping[str, Any]) -> CampaignScorecards:
        """These scorecards as the run published with ``provenance``."""
        return CampaignScorecards(self.bound, self.scorecards, self.assessments, provenance)

    def assessment(self, unit_id: str, criterion_id: str) -> Assessment:
        return self.assessments[unit_id, criterion_id]

    def _of_unit(self, unit_id: str) -> dict[str, Assessment]:
        if self._by_unit is None:
            by_unit: dict[str, dict[str, Assessment]] = {}
            for (unit, criterion), found in self.assessments.items():
                by_unit.setdefault(unit, {})[criterion] = found
            self._by_unit = by_unit
        return self._by_unit.get(unit_id, {})

    def explain(self, unit_id: str, *, lang: str = "vi") -> CampaignExplanation:
        """The engine's explanation of the final points, every scored line's reason
        replaced where the final points are not the engine's (self-assessed, appraised)."""
        base = self.scorecards.explain(unit_id, lang=lang)
        return self._campaign_explanation(base, lang)

    def _campaign_explanation(self, base: Explanation, lang: str) -> CampaignExplanation:
        mine = self._of_unit(base.unit_id)
        given = self.bound.state.self_facts.get(base.unit_id)
        lines = []
        for line in base.lines:
            found = mine.get(line.id)
            lines.append(line if found is None else _assessed_line(line, found, lang, given))
        return CampaignExplanation(
            dataclasses.replace(base, lines=tuple(lines)), mine, self.bound.state.name
        )

    def explain_positions(
        self, positions: Iterable[int], *, lang: str = "vi"
    ) -> Iterator[tuple[Explanation, Mapping[str, LineAssessment]]]:
        """Each unit's explanation (as :meth:`explain`) with its lines' self-score,
        appraisal, final points and evidence, for the documents."""
        for base in self.scorecards.explain_positions(positions, lang=lang):
            found = self._campaign_explanation(base, lang)
            yield (
                found.explanation,
                {
                    criterion: LineAssessment(
                        self_points=a.self_points,
                        appraised_points=a.appraised_points,
                        final_points=a.final_points,
                        evidence=tuple(str(e) for e in a.evidence),
                    )
                    for criterion, a in found.assessments.items()
                },
            )


_SOURCES = {
    "self_assessment": Text(vi="tự đánh giá", en="self-assessed"),
    "facts": Text(vi="theo số liệu", en="from the facts"),
    "self_facts": Text(vi="theo số liệu tự đánh giá", en="from the self-assessed facts"),
    "survey": Text(vi="theo điều tra", en="from the survey"),
}
_REASONS = {
    "appraised": Text(
        vi="Thẩm định {appraised} điểm (tự chấm {self}, {source})",
        en="Appraised {appraised} points (self-score {self}, {source})",
    ),
    "no_evidence": Text(
        vi="Tự chấm {self} điểm nhưng thiếu tài liệu kiểm chứng: tính 0 điểm",
        en="Self-score {self} without the required evidence: scored 0 points",
    ),
    "self_assessed": Text(vi="Đơn vị tự chấm {self} điểm", en="Self-assessed {self} points"),
}
_FACTS_FILE = Text(
    vi=" (số liệu đơn vị tự đánh giá: {file}, sự kiện #{event})",
    en=" (the unit's self-assessed facts: {file}, event #{event})",
)
_EVIDENCE_WARNING = Text(
    vi=" (cảnh báo: thiếu tài liệu kiểm chứng)",
    en=" (warning: the required evidence is missing)",
)


def _number(value: Decimal | None) -> str:
    return "—" if value is None else number_text(value)


def _assessed_line(
    line: CriterionLine, found: Assessment, lang: str, facts: FactsSource | None
) -> CriterionLine:
    if found.final_source in ("appraised", "no_evidence"):
        code = found.final_source
    elif found.self_source == "self_assessment":
        code = "self_assessed"
    else:
        # The engine's own reason: the final points are its points.
        code = ""
    reason = line.reason
    if code:
        reason = (
            _REASONS[code]
            .get(lang)
            .format(
                appraised=_number(found.appraised_points),
                self=_number(found.self_points),
                source=_SOURCES[found.self_source].get(lang),
            )
        )
        if found.appraisal_reason and code == "appraised":
            reason += f": {found.appraisal_reason}"
    elif found.self_source == "self_facts" and facts is not None:
        reason += _FACTS_FILE.get(lang).format(file=facts.name, event=facts.event)
    if found.evidence_missing and code != "no_evidence":
        reason += _EVIDENCE_WARNING.get(lang)
    return dataclasses.replace(line, reason_code=code or line.reason_code, reason=reason)


def _with_surveys(ruleset: CompiledRuleset, units: UnitTable, state: CampaignState) -> UnitTable:
    """``units`` with each imported survey score in the fact its criterion reads."""
    if not state.surveys:
        return units
    facts = dict(units.facts)
    positions = {units.unit_id(i): i for i in range(len(units))}
    for (unit_id, criterion_id), survey in sorted(state.surveys.items()):
        fact = survey_fact(ruleset.leaf(criterion_id))
        column = facts[fact]
        values, missing = column.values.copy(), column.missing.copy()
        position = positions[unit_id]
        # Exact: the import checked the score against the fact's precision.
        values[position] = int(Fraction(survey.score) * column.scale)
        missing[position] = False
        facts[fact] = FactColumn(column.type, values, missing, column.scale)
    return dataclasses.replace(units, facts=facts)


def score_campaign(bound: Bound) -> CampaignScorecards:
    """The campaign's scorecards as its state now says (see the module's note)."""
    state, ruleset = bound.state, bound.ruleset
    units = _with_surveys(ruleset, bound.units, state)
    engine = score_units(ruleset, units)
    points = engine.points.copy()
    scale = ruleset.scale
    missing_rule = ruleset.model.appraisal.missing_evidence if ruleset.model.appraisal else "warn"
    assessments: dict[Key, Assessment] = {}
    for row, leaf in enumerate(ruleset.leaves):
        criterion = leaf.criterion
        survey = type(leaf.kind).name == SURVEY_KIND
        for position in range(len(units)):
            unit_id = units.unit_id(position)
            key = (unit_id, criterion.id)
            applicable = bool(engine.applicable[row, position])
            computed = Decimal(int(engine.points[row, position])) / scale
            claimed = state.self_scores.get(key)
            # A unit's own evidence for the criterion, else what was carried over.
            evidence = (claimed.evidence if claimed else ()) or state.carried.get(key, ())
            if claimed is not None:
                self_points: Decimal | None = claimed.points
                source = "self_assessment"
            else:
                self_points = computed
                source = (
                    "survey"
                    if survey and key in state.surveys
                    else "self_facts"
                    if unit_id in state.self_facts
                    else "facts"
                )
            rule = criterion.evidence
            missing = (
                rule is not None
                and rule.required
                and self_points is not None
                and self_points > 0
                and len(evidence) < rule.min_items
            )
            appraisal = state.appraisals.get(key)
            if appraisal is not None:
                final: Decimal | None = appraisal.points
                final_source = "appraised"
            elif missing and missing_rule == "zero":
                final, final_source = Decimal(0), "no_evidence"
            else:
                final, final_source = self_points, source
            if not applicable:
                # Applicability is the engine's: a criterion that does not apply counts
                # nothing, whatever was claimed for it.
                self_points = final = None
            else:
                assert final is not None
                points[row, position] = int(final * scale)
            assessments[key] = Assessment(
                self_points=self_points,
                self_source=source,
                evidence=evidence,
                evidence_missing=missing,
                appraised_points=appraisal.points if appraisal else None,
                appraisal_reason=appraisal.reason if appraisal else None,
                final_points=final,
                final_source=final_source,
            )
    matrix = PointsMatrix(points, engine.reasons, engine.applicable, engine.warnings)
    cards = Scorecards(ruleset, units, matrix, aggregate(ruleset, units, matrix))
    return CampaignScorecards(Bound(state, ruleset, units, bound.opening), cards, assessments)
