"""Pydantic models of a ruleset: frozen, strict, exact.

These models describe the TOML format one to one (see ``docs/ruleset-format.md``).
They check the shape of each value; cross-checks that need the whole tree (sums,
unique ids, declared facts) live in :mod:`cchc_rules.ruleset._checks`, kind parameters
in :mod:`cchc_rules.ruleset._bind`. The tree's shape (areas → criteria → sub-criteria)
is walked here only: :meth:`Ruleset.tree` over the models, :func:`raw_tree` over data not
validated yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cchc_rules._diagnostics import KeyPath
from cchc_rules._names import CRITERION_ID, NAME, VERSION
from cchc_rules.kinds import FactType, Number

__all__ = [
    "Appraisal",
    "Area",
    "Band",
    "Condition",
    "Criterion",
    "DerivedFrom",
    "EvidenceRule",
    "FactCheck",
    "FactSpec",
    "Grading",
    "LegalBasis",
    "LegalReference",
    "LegalText",
    "LegalVersion",
    "LineageEntry",
    "PeerGroup",
    "Placed",
    "ProviderSpec",
    "Ranking",
    "RawNode",
    "RecordSetSpec",
    "Ruleset",
    "RulesetMeta",
    "Scoring",
    "SurveyRule",
    "Text",
    "TomlModel",
    "Transition",
    "UnitType",
    "Version",
    "first_period",
    "raw_tree",
]


Identifier = Annotated[str, Field(pattern=f"^{NAME}$")]
CriterionId = Annotated[str, Field(pattern=f"^{CRITERION_ID}$")]
Version = Annotated[str, Field(pattern=f"^{VERSION}$")]
RulesetRef = Annotated[str, Field(pattern=f"^{NAME}@{VERSION}$")]


class TomlModel(BaseModel):
    """A table of a ruleset file: frozen, no unknown keys, no conversions."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Text(TomlModel):
    """A label in Vietnamese (first) and English."""

    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class LegalBasis(TomlModel):
    """The decision that issued a ruleset version."""

    decision: Annotated[str, Field(min_length=1)]
    date: dt.date
    issuer: Text | None = None
    title: Text | None = None
    requested_by: str | None = None
    """The act that asked for this version, e.g. the inspection notice behind an amendment."""


class LegalReference(TomlModel):
    """A legal text a criterion rests on (decree, law, decision), optionally an article."""

    document: Annotated[str, Field(min_length=1)]
    article: str | None = None
    title: Text | None = None
    ref: Identifier | None = None
    """A key of ``[legal_refs]``: ``document`` and ``title`` are then those of the version
    in force for the ruleset's first period (filled in when the ruleset is resolved)."""

    def __str__(self) -> str:
        return f"{self.document}, {self.article}" if self.article else self.document


class Transition(TomlModel):
    """Periods in which this version and another one are both in force, units choosing."""

    periods: Annotated[list[int], Field(min_length=1)]
    default: bool = False
    """Whether this version applies to units that do not choose."""


class RulesetMeta(TomlModel):
    family: Identifier
    version: Version
    title: Text
    status: Literal["draft", "in_force", "superseded"]
    legal_basis: LegalBasis
    periods: Annotated[list[int], Field(min_length=1)]
    total_points: Number
    """The most a unit can reach: the sum of the areas' maxima, unless
    ``total_points_note`` says why the areas add up to less."""
    points_decimals: Annotated[int, Field(ge=0, le=4)] = 2
    note: Text | None = None
    total_points_note: Text | None = None
    """Why the areas' maxima add up to less than ``total_points`` (e.g. a criterion the
    issuing decision removed without re-weighting the rest)."""
    extends: RulesetRef | None = None
    """The version this one amends (``family@version``), recorded in the resolved ruleset."""
    transition: Transition | None = None


class DerivedFrom(TomlModel):
    """Where a derived fact comes from: an output of a ``[providers.NAME]`` table."""

    provider: Identifier
    """The name of the ``[providers.NAME]`` table (not the provider's class name)."""
    output: Identifier


FACT_DIGITS = 18
"""Digits a decimal fact's value has in all, before and after the point: its int64
fixed point holds any 18-digit number (the units reader's ``MAX_DIGITS``)."""


class FactSpec(TomlModel):
    """A declared fact: its type, unit, allowed range, and meaning.

    With ``expr`` it is a *computed* fact: not read from the units table but computed
    from other facts by an expression of the ruleset's language (``docs/expressions.md``).
    With ``derived`` it is a *derived* fact: computed from record sets by a fact
    provider before scoring (``docs/ruleset-format.md#record-sets-and-fact-providers``).
    """

    type: FactType
    description: Text
    unit: str | None = None
    decimals: Annotated[int, Field(ge=1, le=17)] | None = None
    min: Number | None = None
    max: Number | None = None
    required: bool = True
    expr: Annotated[str, Field(min_length=1)] | None = None
    derived: DerivedFrom | None = None

    @model_validator(mode="after")
    def _decimals_match_type(self) -> FactSpec:
        if self.expr is not None and self.derived is not None:
            raise ValueError("a fact is computed ('expr') or derived ('derived'), not both")
        if self.type == "decimal" and self.decimals is None:
            raise ValueError("a decimal fact needs 'decimals' (digits after the point)")
        if self.type != "decimal" and self.decimals is not None:
            raise ValueError(f"'decimals' applies to decimal facts only (type is {self.type!r})")
        if (self.min is not None or self.max is not None) and self.type not in (
            "integer",
            "decimal",
        ):
            raise ValueError(f"'min'/'max' apply to numeric facts only (type is {self.type!r})")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is greater than 'max' ({self.max})")
        if self.expr is not None and (self.min is not None or self.max is not None):
            # A range is a check on input; a computed value is what its expression says.
            raise ValueError("'min'/'max' apply to input facts, not to a computed fact ('expr')")
        for key, bound in (("min", self.min), ("max", self.max)):
            whole = len(str(int(abs(bound)))) if bound is not None else 0
            if self.decimals is not None and whole + self.decimals > FACT_DIGITS:
                raise ValueError(
                    f"'{key}' ({bound}) has {whole} digits before the point, but "
                    f"decimals = {self.decimals} leaves room for {FACT_DIGITS - self.decimals} "
                    f"({FACT_DIGITS} digits in all): lower 'decimals'"
                )
        return self

    @property
    def computed(self) -> bool:
        return self.expr is not None

    @property
    def scale(self) -> int:
        return int(10 ** (self.decimals or 0))


class UnitType(TomlModel):
    name: Text
    peer_group: Identifier


class PeerGroup(TomlModel):
    name: Text


class Band(TomlModel):
    """A grade: units whose index is at least ``min_index`` (and below the band above)."""

    grade: Identifier
    name: Text
    min_index: Annotated[Number, Field(ge=0, le=100)]


class Grading(TomlModel):
    bands: Annotated[list[Band], Field(min_length=1)]
    by_unit_type: dict[str, Annotated[list[Band], Field(min_length=1)]] = {}

    def bands_for(self, unit_type: str) -> list[Band]:
        return self.by_unit_type.get(unit_type, self.bands)


class Ranking(TomlModel):
    peer_groups: Annotated[dict[str, PeerGroup], Field(min_length=1)]
    ties: Literal["shared", "dense"] = "shared"
    """``shared``: equal index shares a rank and the next rank skips (1, 2, 2, 4);
    ``dense``: equal index shares a rank, no skip (1, 2, 2, 3)."""


DEFAULT_WORKING_DECIMALS = 6
# NOTE: 8 keeps every sum of the engine in int64 with room for the index arithmetic
# (100 points at 10^-8 are 10^10 units; × 10^6 for a 4-decimal percentage is 10^16).
MAX_WORKING_DECIMALS = 8


class Scoring(TomlModel):
    """The published arithmetic (``[scoring]``): where points are rounded, how the index
    is shown, and whether grades and ranks compare the exact or the displayed index.

    Every default is the behaviour of a ruleset without the table
    (``docs/decisions/0021-published-arithmetic.md``).
    """

    index_decimals: Annotated[int, Field(ge=0, le=4)] = 2
    """Digits after the point of the displayed index (a percentage)."""
    index_rounding: Literal["truncate", "half_up", "half_even"] = "truncate"
    """How the displayed index (and each area's component index) is rounded."""
    points_rounding: Literal["per_criterion", "per_area", "total_only"] = "per_criterion"
    """Where points are rounded to ``points_decimals``: each criterion, each area's
    subtotal, or only the unit's total."""
    working_decimals: Annotated[int, Field(ge=0, le=MAX_WORKING_DECIMALS)] | None = None
    """With ``per_area`` / ``total_only``: the digits criteria points carry (each rounded
    half-up to them) before an area or the total is rounded; default 6."""
    grade_basis: Literal["exact", "displayed"] = "exact"
    """Grade thresholds compare the exact ratio or the displayed (rounded) index."""
    rank_basis: Literal["exact", "displayed"] = "exact"
    """Ranks order the exact ratio, or the displayed index (equal displays share a rank)."""
    tie_order: Literal["unit_id", "name"] = "unit_id"
    """How ranked listings order the units that share a rank."""

    @property
    def rounds_late(self) -> bool:
        """Whether criteria carry ``working_decimals`` and areas or the total are rounded."""
        return self.points_rounding != "per_criterion"

    @property
    def criterion_decimals(self) -> int | None:
        """Digits criteria points carry; None: the ruleset's ``points_decimals``."""
        if not self.rounds_late:
            return None
        return DEFAULT_WORKING_DECIMALS if self.working_decimals is None else self.working_decimals


class Condition(TomlModel):
    """A condition on one fact in table form: ``{ fact = "x", op = ">", value = 0 }``.

    NOTE: kept beside expression conditions (``applies_when = "x > 0"``) because
    published rulesets use it and a published version never changes; it means exactly
    the expression :meth:`expression` returns.
    """

    fact: str
    op: Literal["==", "!=", ">", ">=", "<", "<="]
    value: bool | int | Decimal | str | dt.date

    def expression(self) -> str:
        value = self.value
        if isinstance(value, bool):
            literal = "true" if value else "false"
        elif isinstance(value, str):
            literal = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        elif isinstance(value, dt.date):
            literal = f"date('{value.isoformat()}')"
        else:
            literal = format(value, "f")
        return f"{self.fact} {self.op} {literal}"


class EvidenceRule(TomlModel):
    """Evidence (tài liệu kiểm chứng) a self-score needs: ``{ required = true, min_items = 1 }``.

    A self-score above 0 with fewer items is flagged in a campaign, and ``[appraisal]
    missing_evidence`` says what happens to it.
    """

    required: bool = True
    min_items: Annotated[int, Field(ge=1)] = 1


class Criterion(TomlModel):
    """A criterion: a scored leaf (``kind`` + ``params``) or a group of sub-criteria."""

    id: CriterionId
    name: Text
    max_points: Annotated[Number, Field(ge=0)]
    kind: str | None = None
    params: dict[str, Any] = {}
    applies_to: list[str] | None = None
    applies_when: Annotated[str, Field(min_length=1)] | Condition | None = None
    full_points_when: Annotated[str, Field(min_length=1)] | None = None
    """A condition giving full points without scoring (e.g. nothing arose this year)."""
    when_missing: Literal["zero", "not_applicable"] = "zero"
    legal_ref: LegalReference | None = None
    note: Text | None = None
    criteria: list[Criterion] = []
    evidence: EvidenceRule | None = None
    """The evidence a unit's self-score needs in a campaign (none asked when absent)."""

    @model_validator(mode="after")
    def _leaf_or_group(self) -> Criterion:
        if self.kind is None and not self.criteria:
            raise ValueError("a criterion needs either 'kind' (a scored leaf) or sub-criteria")
        if self.kind is not None and self.criteria:
            raise ValueError("a criterion has either 'kind' or sub-criteria, not both")
        if self.criteria and self.full_points_when is not None:
            raise ValueError("'full_points_when' belongs to scored leaves, not to a group")
        if self.criteria and self.params:
            raise ValueError("'params' belong to scored leaves, not to a group of sub-criteria")
        return self

    @property
    def is_leaf(self) -> bool:
        return self.kind is not None


class LegalVersion(TomlModel):
    """One version of a legal text, e.g. Decree 59/2019/NĐ-CP replacing 158/2007/NĐ-CP."""

    document: Annotated[str, Field(min_length=1)]
    in_force_from: dt.date
    title: Text | None = None


class LegalText(TomlModel):
    """A legal standard whose text changes over time (``[legal_refs.NAME]``)."""

    title: Text
    versions: Annotated[list[LegalVersion], Field(min_length=1)]


class LineageEntry(TomlModel):
    """How criterion ids changed in one version: renamed, split, merged, replaced, retired.

    Ids in ``old`` and not in ``new`` are retired for good: never reused.
    """

    version: str
    change: Literal["renamed", "split", "merged", "replaced", "retired"]
    old: Annotated[list[CriterionId], Field(min_length=1)]
    new: list[CriterionId] = []
    why: Text | None = None


class RecordSetSpec(TomlModel):
    """A record set the ruleset's providers read (``[record_sets.NAME]``)."""

    description: Text
    path: Annotated[str, Field(min_length=1)] | None = None
    """Default file, relative to the ruleset file that declares it; ``--records NAME=PATH``
    overrides it."""


class ProviderSpec(TomlModel):
    """A fact provider bound to record sets and parameters (``[providers.NAME]``)."""

    provider: Identifier
    """The provider's registered name, e.g. ``rotation_compliance``."""
    records: dict[Identifier, Identifier]
    """The provider's record-set roles → names of ``[record_sets]``."""
    params: dict[str, Any] = {}
    description: Text | None = None


class SurveyRule(TomlModel):
    """How raw survey answers of one criterion become its score (``[appraisal.survey.ID]``).

    ``mean``: the mean answer, on the criterion's score scale; ``share_satisfied``: the
    share of answers at or above ``satisfied_from``, times the scale's maximum.
    """

    answers: Literal["mean", "share_satisfied"]
    satisfied_from: Number | None = None

    @model_validator(mode="after")
    def _threshold(self) -> SurveyRule:
        if (self.answers == "share_satisfied") != (self.satisfied_from is not None):
            raise ValueError("'satisfied_from' goes with answers = 'share_satisfied', only there")
        return self


class Appraisal(TomlModel):
    """The rules of an assessment campaign's appraisal (``[appraisal]``)."""

    missing_evidence: Literal["warn", "zero"] = "warn"
    """A self-score above 0 without the evidence its criterion requires: kept with a
    warning, or set to 0 (reason ``no_evidence``)."""
    survey: dict[CriterionId, SurveyRule] = {}
    """Per survey criterion, how raw answers are aggregated into its score."""


class FactCheck(TomlModel):
    """A check between facts (``[[checks]]``): a condition every unit's facts must meet.

    An ``error`` refuses the input, a ``warning`` is listed with the results; a unit
    for which ``expr`` is unknown (a fact it reads is missing) meets it
    (``docs/decisions/0028-fact-checks.md``).
    """

    id: Identifier
    expr: Annotated[str, Field(min_length=1)]
    message: Text
    severity: Literal["error", "warning"]


class Area(TomlModel):
    id: CriterionId
    name: Text
    max_points: Annotated[Number, Field(ge=0)]
    criteria: Annotated[list[Criterion], Field(min_length=1)]


class Ruleset(TomlModel):
    """A complete, validated ruleset version."""

    ruleset: RulesetMeta
    unit_types: Annotated[dict[Identifier, UnitType], Field(min_length=1)]
    facts: dict[Identifier, FactSpec]
    grading: Grading
    ranking: Ranking
    areas: Annotated[list[Area], Field(min_length=1)]
    legal_refs: dict[Identifier, LegalText] | None = None
    lineage: list[LineageEntry] | None = None
    """Id changes across the versions this one descends from, oldest first."""
    record_sets: dict[Identifier, RecordSetSpec] | None = None
    providers: dict[Identifier, ProviderSpec] | None = None
    scoring: Scoring | None = None
    """The published arithmetic; absent: every default of :class:`Scoring` (and the
    content hash of a ruleset written before the table existed stays what it was)."""
    appraisal: Appraisal | None = None
    """How a campaign treats self-scores without evidence and raw survey answers."""
    checks: list[FactCheck] | None = None
    """Checks between facts, in the order they are reported; absent (not empty) when
    the ruleset declares none, so the content hash of a ruleset without them stays
    what it was."""

    @property
    def ref(self) -> str:
        return f"{self.ruleset.family}@{self.ruleset.version}"

    @property
    def scale(self) -> int:
        """Units per point of totals, areas and maxima: ``10^points_decimals``."""
        return int(10**self.ruleset.points_decimals)

    @property
    def arithmetic(self) -> Scoring:
        """``[scoring]`` as given, or its defaults."""
        return self.scoring if self.scoring is not None else Scoring()

    @property
    def criterion_scale(self) -> int:
        """Units per point of criteria: ``10^working_decimals`` when areas or the total
        are rounded (``per_area`` / ``total_only``), else :attr:`scale`."""
        decimals = self.arithmetic.criterion_decimals
        return self.scale if decimals is None else int(10**decimals)

    def tree(self) -> Iterator[Placed]:
        """Every area and criterion in its place, depth first in ruleset order."""

        def below(
            area: Area, criteria: list[Criterion], path: KeyPath, parents: tuple[Criterion, ...]
        ) -> Iterator[Placed]:
            for index, criterion in enumerate(criteria):
                here = (*path, "criteria", index)
                yield Placed(criterion, here, area, parents)
                yield from below(area, criterion.criteria, here, (*parents, criterion))

        for index, area in enumerate(self.areas):
            path: KeyPath = ("areas", index)
            yield Placed(area, path, area, ())
            yield from below(area, area.criteria, path, ())

    def leaves(self) -> list[tuple[Area, Criterion]]:
        """Scored leaves in ruleset order, each with its area."""
        return [
            (placed.area, placed.node)
            for placed in self.tree()
            if isinstance(placed.node, Criterion) and placed.node.is_leaf
        ]

    def content_hash(self) -> str:
        """sha256 of the canonical JSON form: the same content gives the same hash anywhere.

        NOTE: keys whose value is None are left out (every optional field defaults to
        None, so nothing is lost): a new optional field added to the models then leaves
        the hash of every published ruleset unchanged (docs/decisions/0006).
        """
        canonical = json.dumps(
            self.model_dump(mode="json", exclude_none=True),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    """An area or criterion where it sits in the tree."""

    node: Area | Criterion
    path: KeyPath
    """Where it is in the ruleset data: ``("areas", 0, "criteria", 2)``."""
    area: Area
    parents: tuple[Criterion, ...]
    """The enclosing criteria below the area, outermost first."""

    @property
    def depth(self) -> int:
        """0 for an area, 1 for its criteria, and so on down."""
        return len(self.path) // 2 - 1


@dataclass(frozen=True)
class RawNode:
    """An area or criterion table of raw data, and where it sits."""

    path: KeyPath
    siblings: list[Any]
    """The array it is an item of (``areas`` or a ``criteria``)."""
    position: int
    table: dict[str, Any]

    @property
    def is_criterion(self) -> bool:
        """A criterion (or group) table, not an area."""
        return self.path[-2:-1] == ("criteria",)


def raw_tree(items: Any, path: KeyPath = ("areas",)) -> Iterator[RawNode]:
    """The tables of the array ``items`` at ``path`` and every criterion table below them,
    depth first; for data not validated yet, so anything that is not a table is skipped."""
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if isinstance(item, dict):
            here = (*path, index)
            yield RawNode(here, items, index, item)
            yield from raw_tree(item.get("criteria"), (*here, "criteria"))


def first_period(data: Any) -> int | None:
    """The first period of raw ruleset data, or None when it is not readable yet (the
    schema pass reports why)."""
    meta = data.get("ruleset") if isinstance(data, dict) else None
    periods = meta.get("periods") if isinstance(meta, dict) else None
    if not isinstance(periods, list) or not periods:
        return None
    if not all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 9999 for p in periods):
        return None
    return int(min(periods))
