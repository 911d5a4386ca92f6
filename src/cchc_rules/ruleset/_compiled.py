"""The compiled ruleset: a validated ruleset with every leaf bound to its kind.

This is the one ruleset module that scoring, results and reports read; how it was
loaded, amended and checked stays behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cchc_rules.expressions import Expression
from cchc_rules.kinds import CriterionKind
from cchc_rules.providers import FactProvider
from cchc_rules.ruleset._models import Area, Criterion, FactCheck, Ruleset, Scoring

__all__ = ["CompiledCheck", "CompiledRuleset", "Leaf"]


@dataclass(frozen=True)
class Leaf:
    """A scored criterion bound to its kind."""

    area: Area
    criterion: Criterion
    kind: CriterionKind[Any]
    parents: tuple[str, ...]
    """Ids of the enclosing criteria (outermost first), below the area."""
    applies_to: frozenset[str] | None = None
    """Unit types the leaf applies to: its own ``applies_to`` and every enclosing one's."""
    condition: Expression | None = None
    """Its own ``applies_when`` and every enclosing one's, joined by ``and``."""
    full_points: Expression | None = None
    """Its ``full_points_when``: units where it holds get the maximum without scoring."""
    plugin: str = ""
    """The plugin that registered the kind (distribution and version, or its file), named
    when the kind fails."""


@dataclass(frozen=True)
class CompiledCheck:
    """A check between facts (``[[checks]]``) with its condition compiled."""

    check: FactCheck
    condition: Expression
    facts: tuple[str, ...]
    """The facts the condition reads, in the order its text names them (for messages)."""


@dataclass(frozen=True)
class CompiledRuleset:
    """A validated ruleset with every leaf bound to its kind, ready to score."""

    model: Ruleset
    leaves: tuple[Leaf, ...]
    source: str
    content_hash: str
    computed: Mapping[str, Expression] = field(default_factory=dict)
    """Computed facts in declaration order (each may read the ones before it)."""
    providers: Mapping[str, FactProvider[Any]] = field(default_factory=dict)
    """Each ``[providers.NAME]`` table's provider, bound to its parameters."""
    record_paths: Mapping[str, Path] = field(default_factory=dict)
    """Default files of the record sets that declare a ``path``, resolved against the
    ruleset file that declared them."""
    checks: tuple[CompiledCheck, ...] = ()
    """Checks between facts, in ruleset order."""

    @property
    def ref(self) -> str:
        return self.model.ref

    @property
    def scale(self) -> int:
        """Units per point of totals, areas and maxima."""
        return self.model.scale

    @property
    def criterion_scale(self) -> int:
        """Units per point of the criteria's points (the points matrix): finer than
        :attr:`scale` when areas or the total are rounded (``[scoring]``)."""
        return self.model.criterion_scale

    @property
    def arithmetic(self) -> Scoring:
        return self.model.arithmetic

    def leaf(self, criterion_id: str) -> Leaf:
        for leaf in self.leaves:
            if leaf.criterion.id == criterion_id:
                return leaf
        raise KeyError(criterion_id)
