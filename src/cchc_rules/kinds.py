"""The criterion-kind API: what a plugin author subclasses.

A *criterion kind* is a scoring behaviour (``flag``, ``deadline_steps``, …). A ruleset
line names a kind and gives its parameters; the engine binds the kind's class to those
parameters once per criterion (``Kind(params, criterion)``) and then calls it with
whole columns of facts.

A kind defines:

* ``name`` — the identifier rulesets use (``kind = "flag"``);
* ``Params`` — a pydantic model of its parameters (frozen, ``extra="forbid"``); fields
  annotated :data:`FactName` name the facts the kind reads, so the loader can check they
  are declared;
* ``reasons`` — every outcome it can report, each a :class:`Reason` with bilingual
  templates (``str.format`` placeholders filled from :meth:`CriterionKind.explain_values`);
* ``score_batch`` (fast path, columns in and out) **or** ``score_unit`` (one unit in,
  simple Python) — the engine adapts ``score_unit`` when ``score_batch`` is absent — or
  ``stacked`` (fastest: all of a ruleset's criteria of the kind over a batch in one
  call, into the engine's buffers);
* optionally ``check`` — consistency of parameters with the criterion's max points.

The engine owns applicability, missing values, bounds checks and aggregation; a kind
only turns present facts into points and a reason, and may say which units it decides
without a missing fact (``decided_without``: a zero denominator needs no numerator).
Points are exact: the batch path returns integers in units of the ruleset's point
precision (``criterion.scale``, e.g. 100 for hundredths) and the unit path returns
:class:`~decimal.Decimal`.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.fields import FieldInfo

from cchc_rules._diagnostics import shown

__all__ = [
    "UNIT_TYPE",
    "Batch",
    "BatchScore",
    "BoundCondition",
    "ConditionText",
    "CriterionInfo",
    "CriterionKind",
    "FactColumn",
    "FactName",
    "FactType",
    "FactValue",
    "KindParams",
    "Number",
    "ParamField",
    "Reason",
    "StackScorer",
    "StrictParams",
    "UnitScore",
    "WideArray",
    "condition_fields",
    "div_half_up",
    "fact_fields",
    "fact_fraction",
    "fact_int",
    "number_text",
    "param_fields",
    "round_fraction",
    "round_half_up_div",
    "times",
    "type_constraints",
]

FactType = Literal["integer", "decimal", "boolean", "date", "text"]
FactValue = int | Decimal | bool | dt.date | str | None
"""A single fact value as the per-unit path sees it; ``None`` (missing) reaches a kind
only for a fact of :meth:`CriterionKind.optional_facts` or where
:meth:`CriterionKind.decided_without` says the unit is decided without it."""

EPOCH = dt.date(1970, 1, 1)


class _FactNameMarker:
    """Marks a parameter field whose value is the name of a fact the kind reads."""


FactName = Annotated[str, _FactNameMarker()]
"""Annotate a parameter field with this to declare that it names a fact."""


class _ConditionMarker:
    """Marks a parameter field holding a condition of the ruleset's expression language."""


ConditionText = Annotated[str, _ConditionMarker()]
"""Annotate a parameter field with this to take a per-unit condition (``"x > 0"``).

The loader compiles it against the ruleset's facts (``docs/expressions.md``) and binds
it to the kind; the kind asks :meth:`CriterionKind.condition_holds` (batch) or
:meth:`CriterionKind.condition_holds_unit` (one unit) for the answer. A condition whose
answer is missing (a missing input) does not hold.
"""

UNIT_TYPE = "unit_type"
"""The name conditions use for a unit's type."""


class BoundCondition(Protocol):
    """A compiled condition, as the loader binds it to a kind."""

    @property
    def source(self) -> str: ...

    @property
    def names(self) -> frozenset[str]: ...

    def evaluate(self, columns: Mapping[str, FactColumn], size: int) -> FactColumn: ...

    def evaluate_unit(self, values: Mapping[str, FactValue]) -> FactValue: ...


def _exact_number(value: object) -> object:
    # NOTE: TOML floats arrive as Decimal (the loader reads them with parse_float=Decimal);
    # strings, bools and binary floats are refused rather than converted.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"expected a number such as 2 or 0.25 (got {shown(value)})")
    return Decimal(value)


Number = Annotated[Decimal, BeforeValidator(_exact_number)]
"""An exact number parameter: a TOML integer or decimal, kept as :class:`~decimal.Decimal`.

Text (``"3"``), booleans and binary floats are refused with "expected a number such as
2 or 0.25". Add bounds with ``Annotated[Number, Field(ge=0)]``.
"""


class KindParams(BaseModel):
    """Base for parameter models: frozen, unknown keys rejected, numbers kept exact."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StrictParams(KindParams):
    """:class:`KindParams` that also refuses conversions: TOML ``true`` is never read as
    1, nor ``"3"`` as 3. The built-in kinds' parameters derive from it."""

    model_config = ConfigDict(strict=True)


# -- introspecting a parameter model ------------------------------------------------------


@dataclass(frozen=True)
class ParamField:
    """One field of a parameter model, as the docs, ``cchc plugins list``, the loader and
    the author's kit read it."""

    name: str
    annotation: Any
    """The field's type, as pydantic keeps it (``Annotated`` layers of the field itself
    moved into ``constraints``)."""
    constraints: tuple[Any, ...]
    """The field's own metadata (bounds such as ``Ge(0)``, markers)."""
    required: bool
    default: Any
    """The default value (``None`` for a required field); a default factory is called."""
    description: str | None
    fact: bool
    """Annotated :data:`FactName` (or ``FactName | None``)."""
    condition: bool
    """Annotated :data:`ConditionText` (or ``ConditionText | None``)."""


def type_constraints(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``annotation`` without its ``Annotated`` layers, and their metadata, flattened.

    A ``Field(ge=0)`` inside ``Annotated[...]`` carries its bounds in its own metadata;
    they are returned one by one (``Ge(0)``), as pydantic stores a field's own.
    """
    metadata: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        metadata += _flat(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    return annotation, tuple(metadata)


def _flat(metadata: Sequence[Any]) -> list[Any]:
    return [
        inner
        for item in metadata
        for inner in (item.metadata if isinstance(item, FieldInfo) else [item])
    ]


def _marked(constraints: Sequence[object], annotation: object, marker: type) -> bool:
    """Whether the field carries ``marker``, itself or in one member of a union
    (``FactName | None``)."""
    if any(isinstance(m, marker) for m in constraints):
        return True
    return any(
        any(isinstance(m, marker) for m in type_constraints(arg)[1])
        for arg in typing.get_args(annotation)
    )


def param_fields(params_model: type[BaseModel]) -> list[ParamField]:
    """Every field of ``params_model``, in declaration order."""
    found: list[ParamField] = []
    for name, info in params_model.model_fields.items():
        required = info.is_required()
        constraints = tuple(_flat(info.metadata))
        found.append(
            ParamField(
                name=name,
                annotation=info.annotation,
                constraints=constraints,
                required=required,
                default=None if required else info.get_default(call_default_factory=True),
                description=info.description,
                fact=_marked(constraints, info.annotation, _FactNameMarker),
                condition=_marked(constraints, info.annotation, _ConditionMarker),
            )
        )
    return found


def fact_fields(params_model: type[BaseModel]) -> list[str]:
    """Names of the fields of ``params_model`` annotated as :data:`FactName`.

    Both ``FactName`` and ``FactName | None`` fields count.
    """
    return list(_fact_fields(params_model))


@cache
def _fact_fields(params_model: type[BaseModel]) -> tuple[str, ...]:
    # NOTE: cached per class: a model's fields are fixed once it is defined, and every
    # explanation asks for each of its criteria (a report of 2,000 units asks 80,000
    # times; walking the fields' annotations was half of an explanation's time).
    return tuple(field.name for field in param_fields(params_model) if field.fact)


def condition_fields(params: BaseModel, prefix: str = "") -> list[tuple[str, str]]:
    """``(dotted path, source)`` of every :data:`ConditionText` in ``params``, nested
    models and lists of models included (``"steps.1.when"``)."""
    found: list[tuple[str, str]] = []
    for field in param_fields(type(params)):
        value = getattr(params, field.name)
        path = f"{prefix}{field.name}"
        if field.condition:
            if isinstance(value, str):
                found.append((path, value))
        elif isinstance(value, BaseModel):
            found += condition_fields(value, f"{path}.")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += condition_fields(item, f"{path}.{index}.")
    return found


@dataclass(frozen=True)
class Reason:
    """An outcome of a kind, explained in Vietnamese and English.

    ``vi`` / ``en`` say why the points were given; ``hint_vi`` / ``hint_en`` say what
    would raise them (empty when nothing would: full points). Templates use
    ``str.format`` fields from :meth:`CriterionKind.explain_values`, plus ``points`` and
    ``max_points``.
    """

    code: str
    vi: str
    en: str
    hint_vi: str = ""
    hint_en: str = ""

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en

    def hint(self, lang: str) -> str:
        return self.hint_vi if lang == "vi" else self.hint_en


@dataclass(frozen=True)
class CriterionInfo:
    """What a bound kind knows about the criterion it scores."""

    id: str
    max_points: Decimal
    scale: int
    """Points are integers of ``1/scale``; e.g. 100 means hundredths of a point."""

    @property
    def max_units(self) -> int:
        """The maximum in units of ``1/scale`` (exact: the loader checks it)."""
        return int(self.max_points * self.scale)


@dataclass(frozen=True)
class FactColumn:
    """One fact over a batch of units, exact.

    ``values`` by fact type: ``integer`` → int64; ``decimal`` → int64 in units of
    ``1/scale``; ``boolean`` → bool; ``date`` → int64 days since 1970-01-01;
    ``text`` → object array of ``str``. Where ``missing`` is true the value is a
    placeholder (0, False, "") and must not be read.
    """

    type: FactType
    values: npt.NDArray[Any]
    missing: npt.NDArray[np.bool_]
    scale: int = 1

    def __len__(self) -> int:
        return len(self.missing)

    def take(self, index: npt.NDArray[np.intp]) -> FactColumn:
        return FactColumn(self.type, self.values[index], self.missing[index], self.scale)

    def window(self, start: int, stop: int) -> FactColumn:
        """Rows ``start:stop`` as views (no copy)."""
        return FactColumn(self.type, self.values[start:stop], self.missing[start:stop], self.scale)

    def blank(self) -> npt.NDArray[np.bool_]:
        """Rows with no value: missing, or (text) nothing but whitespace."""
        if self.type != "text":
            return self.missing.copy()
        stripped = np.frompyfunc(lambda text: str(text).strip(), 1, 1)(self.values)
        return self.missing | np.asarray(stripped == "", dtype=np.bool_)

    def value(self, row: int) -> FactValue:
        """The value at ``row`` as a Python object (``None`` when missing)."""
        if self.missing[row]:
            return None
        raw = self.values[row]
        if self.type == "integer":
            return int(raw)
        if self.type == "decimal":
            return Decimal(int(raw)) / self.scale
        if self.type == "boolean":
            return bool(raw)
        if self.type == "date":
            return EPOCH + dt.timedelta(days=int(raw))
        return str(raw)


@dataclass(frozen=True)
class Batch:
    """Facts of a batch of units, by fact name, plus each unit's type.

    A kind's batch holds exactly the facts its ``facts()`` declares: reading any other
    fact is a ``KeyError``, which keeps the declaration (checked against the ruleset's
    facts schema) honest.
    """

    unit_types: npt.NDArray[np.object_]
    columns: Mapping[str, FactColumn]

    @property
    def size(self) -> int:
        return len(self.unit_types)

    def __getitem__(self, fact: str) -> FactColumn:
        return self.columns[fact]

    def take(self, index: npt.NDArray[np.intp]) -> Batch:
        return Batch(
            self.unit_types[index], {name: col.take(index) for name, col in self.columns.items()}
        )

    def row(self, index: int) -> dict[str, FactValue]:
        """One unit's facts by name, and its ``unit_type``, as ``score_unit`` gets them."""
        values = {name: col.value(index) for name, col in self.columns.items()}
        values[UNIT_TYPE] = str(self.unit_types[index])
        return values


@dataclass
class BatchScore:
    """What ``score_batch`` returns, one entry per unit of the batch.

    ``points``: int64 in units of ``1/criterion.scale``; ``reasons``: int indexes into
    the kind's ``reasons``; ``applicable``: ``None`` when every unit is applicable,
    else a bool mask (a kind may decide "not applicable", e.g. a zero denominator).
    """

    points: npt.NDArray[np.int64]
    reasons: npt.NDArray[np.int16]
    applicable: npt.NDArray[np.bool_] | None = None


class StackScorer(Protocol):
    """Scores several criteria of one kind over a batch in one call (what
    :meth:`CriterionKind.stacked` returns)."""

    def score(
        self,
        batch: Batch,
        points: npt.NDArray[np.int64],
        reasons: npt.NDArray[np.int16],
    ) -> npt.NDArray[np.bool_] | None:
        """Score every unit of ``batch`` for every criterion of the stack.

        Row ``i`` of ``points`` and ``reasons`` (both of shape ``(criteria, batch.size)``,
        owned by the engine and possibly holding an earlier batch's values) is written
        for the stack's ``i``-th criterion: every cell, points in units of
        ``1/criterion.scale`` and reason codes as :meth:`CriterionKind.reason_code` gives
        them. Returns ``None`` when every cell is applicable, else a bool array of the
        same shape (false where the kind itself drops the unit, e.g. a zero denominator).
        """
        ...


@dataclass(frozen=True)
class UnitScore:
    """What ``score_unit`` returns for one unit."""

    points: Decimal
    reason: str
    applicable: bool = True


P = TypeVar("P", bound=BaseModel)


class CriterionKind(Generic[P]):
    """Base class of every criterion kind, built-in or from a plugin.

    Subclasses set ``name``, ``Params`` and ``reasons`` and implement ``score_batch``
    or ``score_unit``. Instances are bound to one criterion: ``self.params`` (validated
    ``Params``) and ``self.criterion`` (:class:`CriterionInfo`).
    """

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    reasons: ClassVar[Sequence[Reason]]
    summary: ClassVar[Mapping[str, str]] = {}
    """Optional one-line bilingual summary ``{"vi": …, "en": …}``; defaults to the docstring."""

    _reason_index: ClassVar[dict[str, int]]

    def __init__(self, params: P, criterion: CriterionInfo) -> None:
        self.params = params
        self.criterion = criterion
        self._conditions: dict[str, BoundCondition] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._reason_index = {r.code: i for i, r in enumerate(getattr(cls, "reasons", ()))}

    # -- declared by the kind -------------------------------------------------------

    def facts(self) -> list[str]:
        """Names of the facts this criterion reads.

        Default: the ``FactName`` fields, then the facts its bound conditions read.
        """
        names = self._param_facts()
        names += [name for name in self.condition_facts() if name not in names]
        return names

    def _param_facts(self) -> list[str]:
        fields = fact_fields(type(self.params))
        return [v for v in (getattr(self.params, f) for f in fields) if v is not None]

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        """Fact types each ``FactName`` field's fact may have; default: any numeric type.

        Facts read only by conditions are typed by the conditions themselves.
        """
        return {name: ("integer", "decimal") for name in self._param_facts()}

    def optional_facts(self) -> list[str]:
        """Read facts that may be missing without triggering ``when_missing``.

        The engine applies the criterion's missing-value policy (``when_missing``) to
        every other read fact before the kind sees a unit; these ones reach the kind
        with their ``missing`` mask (e.g. an appraisal note).
        """
        return []

    def required_facts(self) -> list[str]:
        """Read facts the engine's ``when_missing`` applies to: all but the optional ones
        and those only a condition reads (an undecidable condition does not hold)."""
        skipped = set(self.optional_facts()) | (
            set(self.condition_facts()) - set(self._param_facts())
        )
        return [f for f in self.facts() if f not in skipped]

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        """Units this kind decides without a required fact: ``fact → mask`` over ``batch``.

        The kind's own "nothing to score" rules come before ``when_missing``
        (``docs/decisions/0023-order-of-missing-value-rules.md``): a zero denominator
        decides a ratio without its numerator, work not done is decided without its
        delay. Where the mask is true a missing fact does not trigger ``when_missing``;
        the unit reaches ``score_batch`` with the fact's ``missing`` set (``None`` in
        ``score_unit``), and the kind must decide it without reading the value.

        Called with every unit of a batch that lacks some required fact, and only the
        read facts; decide from present facts only (check their ``missing``). A fact
        not in the mapping is needed by every unit. Default: every fact is needed.
        """
        return {}

    # -- conditions ------------------------------------------------------------------

    def bind_conditions(self, conditions: Mapping[str, BoundCondition]) -> None:
        """Called by the loader with the compiled :data:`ConditionText` parameters."""
        self._conditions = dict(conditions)

    def condition_facts(self) -> list[str]:
        names: list[str] = []
        for condition in self._conditions.values():
            names += sorted(n for n in condition.names if n != UNIT_TYPE and n not in names)
        return names

    def condition_holds(self, path: str, batch: Batch) -> npt.NDArray[np.bool_]:
        """Where the condition at ``path`` (``"steps.0.when"``) holds; missing → false."""
        condition = self._conditions[path]
        unit_type = FactColumn("text", batch.unit_types, np.zeros(batch.size, dtype=np.bool_))
        answer = condition.evaluate({**batch.columns, UNIT_TYPE: unit_type}, batch.size)
        return np.asarray(answer.values.astype(np.bool_) & ~answer.missing, dtype=np.bool_)

    def condition_holds_unit(self, path: str, facts: Mapping[str, FactValue]) -> bool:
        """The per-unit twin of :meth:`condition_holds` (``facts`` as ``score_unit`` gets
        them, ``unit_type`` included)."""
        return self._conditions[path].evaluate_unit(facts) is True

    def check(self) -> list[tuple[str, str]]:
        """Problems of the parameters against the criterion: ``(param path, message)``.

        ``param path`` is dotted inside ``params`` (``"bands.1.points"``); the loader
        prefixes the criterion's location.
        """
        return []

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        """Facts this kind refuses, before any scoring: ``(bad rows mask, fact, message)``.

        Called with every unit (not only applicable ones) so the user fixes bad input
        once; the message says what was expected, e.g. "expected a note explaining
        the appraised points". The engine reports each bad row with file, row, column.
        """
        return []

    # -- scoring --------------------------------------------------------------------

    def score_batch(self, batch: Batch) -> BatchScore:
        """Score a batch of units whose read facts are present, but for optional ones
        and those :meth:`decided_without` spares.

        The default scores the one criterion through :meth:`stacked` when the kind has
        it, else adapts :meth:`score_unit`, one unit at a time; fast kinds override.
        """
        scorer = type(self).stacked([self])
        if scorer is None:
            return self._score_by_unit(batch)
        points = np.zeros((1, batch.size), dtype=np.int64)
        reasons = np.zeros((1, batch.size), dtype=np.int16)
        applicable = scorer.score(batch, points, reasons)
        return BatchScore(points[0], reasons[0], None if applicable is None else applicable[0])

    @classmethod
    def stacked(cls, kinds: Sequence[Any]) -> StackScorer | None:
        """A scorer of several criteria of this kind at once, or ``None`` (the default).

        ``kinds`` are instances of this class, each bound to one criterion of a ruleset,
        in ruleset order. The engine asks once per ruleset, for all of the ruleset's
        criteria of the kind, and keeps the scorer for every batch it scores, possibly
        from several threads at once: the scorer keeps no state between calls. A kind
        with ``stacked`` needs no ``score_batch`` (the default scores one criterion
        through it); a subclass that overrides ``score_batch`` is scored criterion by
        criterion through its own.

        The stacked scorer is called with **every** unit of a batch and every fact the
        stack reads, not only the units the engine lets each criterion score: where the
        engine decides a unit itself (another unit type, an ``applies_when`` that does not
        hold, a missing fact under ``when_missing``) the facts hold placeholders (0,
        False, "") and whatever the scorer writes there is discarded. So it must not
        fail on placeholders, and must give points within ``0 … max_points`` and a
        declared reason for every cell; the engine checks both over the whole stack.

        Scoring whole columns of several criteria into the engine's buffers spares each
        criterion the engine's per-criterion selection of units and copies (decision
        0037). Without it, each criterion is scored by itself.
        """
        return None

    @classmethod
    def stacks(cls) -> bool:
        """Whether the engine scores this kind's criteria together, through
        :meth:`stacked` (and not a ``score_batch`` of the class's own)."""
        own_stack = getattr(cls.stacked, "__func__", None) is not _BASE_STACKED
        return own_stack and cls.score_batch is CriterionKind.score_batch

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        """Score one unit from its facts (``None`` only for an optional fact or one
        :meth:`decided_without` spares)."""
        raise NotImplementedError(
            f"kind {self.name!r} implements neither score_batch nor score_unit"
        )

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        """Values for the reason templates of one unit: its facts and the parameters."""
        values: dict[str, Any] = dict(self.params)
        values.update(facts)
        return values

    # -- helpers for subclasses -----------------------------------------------------

    @classmethod
    def reason_code(cls, code: str) -> int:
        """Index of a reason code, for ``BatchScore.reasons``."""
        return cls._reason_index[code]

    def round_points(self, points: Decimal | Fraction) -> Decimal:
        """Round exact points half-up (away from zero) to the ruleset's precision.

        Pass a :class:`~fractions.Fraction` for anything divided: ``Decimal(5) / 24``
        is already rounded to 28 digits, and ``× 3`` of it lands just below the half
        that ``Fraction(5, 24) × 3 = 0.625`` exactly is, so the two round differently.
        """
        if isinstance(points, Fraction):
            return round_fraction(points, self.criterion.scale)
        return points.quantize(Decimal(1) / self.criterion.scale, rounding=ROUND_HALF_UP)

    @classmethod
    def has_batch_path(cls) -> bool:
        return cls.score_batch is not CriterionKind.score_batch or cls.stacks()

    def _score_by_unit(self, batch: Batch) -> BatchScore:
        scale = self.criterion.scale
        points = np.zeros(batch.size, dtype=np.int64)
        reasons = np.zeros(batch.size, dtype=np.int16)
        applicable = np.ones(batch.size, dtype=np.bool_)
        for row in range(batch.size):
            result = self.score_unit(batch.row(row))
            if not isinstance(result, UnitScore):
                raise TypeError(f"returned {type(result).__name__} (expected a UnitScore)")
            given = result.points
            # A float is never exact, and a bool is no number of points.
            if isinstance(given, bool) or not isinstance(given, Decimal | int):
                raise TypeError(
                    f"returned points {given!r} as {type(given).__name__}; points must be "
                    f"exact (a Decimal or an int)"
                )
            if isinstance(given, Decimal) and not given.is_finite():
                raise ValueError(f"returned non-finite points ({given})")
            scaled = Decimal(given) * scale
            if scaled != scaled.to_integral_value():
                raise ValueError(f"points {given} are finer than the ruleset's precision 1/{scale}")
            if result.reason not in self._reason_index:
                raise ValueError(
                    f"returned the reason {result.reason!r}, which it does not declare"
                )
            points[row] = int(scaled)
            reasons[row] = self.reason_code(result.reason)
            applicable[row] = bool(result.applicable)
        return BatchScore(points, reasons, None if applicable.all() else applicable)


_BASE_STACKED = vars(CriterionKind)["stacked"].__func__


# -- exact numbers ---------------------------------------------------------------------------

WideArray = npt.NDArray[Any]
"""Integers as int64 when every value fits with headroom, else an object array of Python
ints (what :func:`times` and :func:`div_half_up` return)."""

# NOTE: products stay below 2**60 in int64 so that ``2 * num + den`` inside the half-up
# division (at most 3 * 2**60) cannot overflow; larger products switch to Python
# integers rather than wrapping around silently.
_INT64_SAFE = 2**60


def _largest(values: WideArray) -> int:
    if values.size == 0:
        return 0
    return max(abs(int(values.max())), abs(int(values.min())))


def times(values: WideArray, factor: int) -> WideArray:
    """``values * factor`` exactly: int64 when it safely fits, else Python integers.

    Use it before cross-multiplying fact columns: two int64 head counts times a percent
    can overflow int64, and numpy would wrap around without a word.
    """
    if values.dtype != np.object_ and _largest(values) * abs(factor) < _INT64_SAFE:
        return np.asarray(values * np.int64(factor), dtype=np.int64)
    return np.asarray(np.asarray(values, dtype=np.object_) * factor, dtype=np.object_)


def _half_up(numerator: Any, denominator: Any) -> Any:
    return (2 * numerator + denominator) // (2 * denominator)


def round_half_up_div(
    numerator: npt.NDArray[np.int64], denominator: npt.NDArray[np.int64] | int
) -> npt.NDArray[np.int64]:
    """``numerator / denominator`` rounded half-up, exactly, for non-negative integers.

    The batch twin of :meth:`CriterionKind.round_points`: the same rounding, done in
    integers so no binary float ever decides a point.
    """
    num = np.asarray(numerator, dtype=np.int64)
    den = np.asarray(denominator, dtype=np.int64)
    return np.asarray(_half_up(num, den), dtype=np.int64)


def div_half_up(numerator: WideArray, denominator: WideArray | int) -> WideArray:
    """:func:`round_half_up_div` for the results of :func:`times`: int64 stays int64,
    Python integers stay exact."""
    if isinstance(denominator, int):
        denominator = times(np.ones(1, dtype=np.int64), denominator)
    if numerator.dtype == np.int64 and denominator.dtype == np.int64:
        return round_half_up_div(numerator, denominator)
    return np.asarray(_half_up(numerator, denominator), dtype=np.object_)


def round_fraction(value: Fraction, scale: int) -> Decimal:
    """``value`` rounded half-up (away from zero) to ``1/scale``, in integers: the unit
    path's twin of :func:`div_half_up`, so both paths agree to the last unit."""
    units = _half_up(abs(value.numerator) * scale, value.denominator)
    return Decimal(units if value >= 0 else -units) / scale


def fact_fraction(value: FactValue) -> Fraction:
    """A numeric fact of the unit path (``int`` or ``Decimal``) as an exact fraction;
    anything else is a :class:`TypeError`."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected a numeric fact (got {value!r})")
    return Fraction(value)


def fact_int(value: FactValue) -> int:
    """An integer fact of the unit path; anything else is a :class:`TypeError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer fact (got {value!r})")
    return value


def number_text(value: Decimal | Fraction | int) -> str:
    """A number as people read it in explanations: exact, no trailing zeros, no exponent
    (``90``, ``1.5``, ``0.25``; never ``1.50`` nor ``9E+1``).

    Scorecards render every decimal of a reason with it; use it in
    :meth:`CriterionKind.explain_values` for a value computed from exact fractions.
    """
    number = value if isinstance(value, Decimal) else Decimal(value.numerator) / value.denominator
    return format(number.normalize(), "f")
