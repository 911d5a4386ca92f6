"""The scoring plan: what scoring a ruleset asks of its kinds, worked out once per
ruleset and kept for every batch and every piece it scores.

Each leaf's plan holds the facts its kind reads and needs, its unit types and the path
its kind takes. Leaves whose kind scores criteria together (:meth:`CriterionKind.stacked`)
are gathered into one *stack* per kind, and the engine scores a batch of a stack in one
call into adjacent rows of its buffers (decision 0037); every other leaf is a stack of
one, scored by itself.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cchc_rules.kinds import StackScorer
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf
from cchc_rules.scoring._kind_calls import call_kind, kind_failed

__all__ = ["LeafPlan", "ScoringPlan", "Stack", "scoring_plan"]


@dataclass(frozen=True)
class LeafPlan:
    """What scoring a leaf asks of its kind and its criterion."""

    leaf: Leaf
    read: tuple[str, ...]
    required: tuple[str, ...]
    unit_types: tuple[str, ...] | None
    method: str

    @classmethod
    def of(cls, leaf: Leaf) -> LeafPlan:
        kind = leaf.kind
        return cls(
            leaf,
            tuple(call_kind(leaf, "facts", kind.facts)),
            tuple(call_kind(leaf, "required_facts", kind.required_facts)),
            None if leaf.applies_to is None else tuple(sorted(leaf.applies_to)),
            "score_batch" if kind.has_batch_path() else "score_unit",
        )


@dataclass(frozen=True)
class Stack:
    """Leaves scored in one call (``scorer``), or one leaf scored by itself (no scorer).

    Their rows in the engine's batch buffers are ``start … start + len(leaves)``.
    """

    leaves: tuple[LeafPlan, ...]
    start: int
    scorer: StackScorer | None = None
    reads: tuple[str, ...] = ()
    """Every fact a leaf of the stack reads, each once."""
    maxima: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Each leaf's maximum, in units of ``1/scale``."""

    @property
    def rows(self) -> slice:
        return slice(self.start, self.start + len(self.leaves))

    @functools.cached_property
    def criteria(self) -> str:
        """The stack's criteria, for a message about the stack as a whole (named on
        every call of its scorer, so worked out once)."""
        ids = [plan.leaf.criterion.id for plan in self.leaves]
        return f"criterion {ids[0]}" if len(ids) == 1 else "criteria " + ", ".join(ids)


@dataclass(frozen=True)
class ScoringPlan:
    """Every leaf of a ruleset in its stack, and where each stack's rows are."""

    stacks: tuple[Stack, ...]
    buffer_rows: npt.NDArray[np.intp]
    """The row of the batch buffers that holds each leaf, in ruleset order."""

    @classmethod
    def of(cls, leaves: Sequence[Leaf]) -> ScoringPlan:
        plans = [LeafPlan.of(leaf) for leaf in leaves]
        by_kind: dict[object, list[int]] = {}
        for index, plan in enumerate(plans):
            kind = type(plan.leaf.kind)
            # The leaves of a stacking kind share their class as key; any other leaf
            # has a key of its own.
            key = kind if kind.stacks() else object()
            by_kind.setdefault(key, []).append(index)
        stacks: list[Stack] = []
        order: list[int] = []
        for members in by_kind.values():
            stacks += _stacks([plans[i] for i in members], len(order))
            order += members
        buffer_rows = np.empty(len(plans), dtype=np.intp)
        buffer_rows[order] = np.arange(len(plans), dtype=np.intp)
        return cls(tuple(stacks), buffer_rows)


def _stacks(plans: list[LeafPlan], start: int) -> list[Stack]:
    """One stack for ``plans`` (leaves of one kind) when the kind scores them together,
    else a stack of one for each."""
    kind = type(plans[0].leaf.kind)
    scorer = None
    if kind.stacks():
        first = plans[0].leaf
        kinds = [plan.leaf.kind for plan in plans]
        criteria = Stack(tuple(plans), start).criteria
        scorer = call_kind(first, "stacked", lambda: kind.stacked(kinds), criteria=criteria)
        if scorer is not None and not callable(getattr(scorer, "score", None)):
            raise kind_failed(
                first,
                f"returned {type(scorer).__name__} from stacked "
                "(expected None or an object with a score method)",
                criteria=criteria,
            )
    if scorer is None:
        return [Stack((plan,), start + offset) for offset, plan in enumerate(plans)]
    reads = tuple(dict.fromkeys(fact for plan in plans for fact in plan.read))
    maxima = np.array([plan.leaf.kind.criterion.max_units for plan in plans], dtype=np.int64)
    return [Stack(tuple(plans), start, scorer, reads, maxima)]


_PLANS: dict[int, tuple[weakref.ref[CompiledRuleset], ScoringPlan]] = {}


def scoring_plan(ruleset: CompiledRuleset) -> ScoringPlan:
    """The ruleset's plan, worked out on first use and kept while the ruleset lives.

    A streamed dataset scores each piece with the same ruleset: its kinds are asked
    for their facts and their stacked scorers once, not once per piece.
    """
    key = id(ruleset)
    kept = _PLANS.get(key)
    if kept is not None and kept[0]() is ruleset:
        return kept[1]
    plan = ScoringPlan.of(ruleset.leaves)
    # The entry goes with the ruleset, so a later ruleset at the same address is new.
    _PLANS[key] = (weakref.ref(ruleset, lambda _: _PLANS.pop(key, None)), plan)
    return plan
