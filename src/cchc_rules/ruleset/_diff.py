"""What changed between two ruleset versions: criteria, areas, facts, grading, lineage.

Criteria are matched by id; a criterion renamed through its lineage (``old → new``) is
matched to its new id, so a rename shows as one changed criterion, not a removal and an
addition. Fields are compared on the JSON form of the models, flattened to dotted
names (``params.bands``, ``legal_ref.document``, ``name.en``); lists compare whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cchc_rules.ruleset._models import Area, Criterion, LineageEntry, Ruleset, Text

__all__ = ["CriterionDiff", "FieldChange", "RulesetDiff", "diff_rulesets"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    """JSON value (decimals as strings); None when the field was absent."""
    after: Any


@dataclass(frozen=True)
class CriterionDiff:
    """A criterion or area present in both versions (under its old and new id)."""

    id: str
    old_id: str
    name: Text
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class NodeSummary:
    id: str
    name: Text
    max_points: Decimal
    parent: str | None
    """Enclosing area or group id; None for an area."""


@dataclass(frozen=True)
class AreaTotal:
    id: str
    name: Text
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class RulesetDiff:
    before: str
    after: str
    before_hash: str
    after_hash: str
    meta: tuple[FieldChange, ...]
    added: tuple[NodeSummary, ...]
    removed: tuple[NodeSummary, ...]
    changed: tuple[CriterionDiff, ...]
    areas: tuple[AreaTotal, ...]
    lineage: tuple[LineageEntry, ...]
    """Id changes made after ``before`` (entries ``after`` has and ``before`` does not)."""
    facts: tuple[FieldChange, ...]
    """One entry per fact added (before None), removed (after None) or changed."""
    settings: tuple[FieldChange, ...]
    """Grading, ranking, scoring (the arithmetic), unit types and legal standards,
    flattened."""
    checks: tuple[FieldChange, ...] = ()
    """One entry per check between facts added, removed or changed, by id."""

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.lineage or self.facts
        ) and not (self.settings or self.checks)

    def to_json(self) -> dict[str, Any]:
        def change(c: FieldChange) -> dict[str, Any]:
            return {"field": c.field, "before": c.before, "after": c.after}

        def node(n: NodeSummary) -> dict[str, Any]:
            return {
                "id": n.id,
                "name": n.name.model_dump(),
                "max_points": str(n.max_points),
                "parent": n.parent,
            }

        return {
            "before": {"ruleset": self.before, "content_hash": self.before_hash},
            "after": {"ruleset": self.after, "content_hash": self.after_hash},
            "ruleset": [change(c) for c in self.meta],
            "added": [node(n) for n in self.added],
            "removed": [node(n) for n in self.removed],
            "changed": [
                {
                    "id": d.id,
                    **({"old_id": d.old_id} if d.old_id != d.id else {}),
                    "name": d.name.model_dump(),
                    "changes": [change(c) for c in d.changes],
                }
                for d in self.changed
            ],
            "areas": [
                {
                    "id": a.id,
                    "name": a.name.model_dump(),
                    "before": None if a.before is None else str(a.before),
                    "after": None if a.after is None else str(a.after),
                }
                for a in self.areas
            ],
            "lineage": [e.model_dump(mode="json", exclude_none=True) for e in self.lineage],
            "facts": [change(c) for c in self.facts],
            "settings": [change(c) for c in self.settings],
            "checks": [change(c) for c in self.checks],
        }


def _nodes(model: Ruleset) -> dict[str, tuple[Area | Criterion, str | None]]:
    """Every area and criterion by id, with the id of the area or group it sits in."""
    found: dict[str, tuple[Area | Criterion, str | None]] = {}
    for placed in model.tree():
        if placed.node is placed.area:
            found[placed.node.id] = (placed.node, None)
        else:
            parent = placed.parents[-1].id if placed.parents else placed.area.id
            found[placed.node.id] = (placed.node, parent)
    return found


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flat(item, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, value


def _field_changes(before: Any, after: Any, prefix: str = "") -> tuple[FieldChange, ...]:
    old = dict(_flat(before, prefix))
    new = dict(_flat(after, prefix))
    fields = [*old, *(f for f in new if f not in old)]
    return tuple(FieldChange(f, old.get(f), new.get(f)) for f in fields if old.get(f) != new.get(f))


def _own_fields(node: Area | Criterion, parent: str | None) -> dict[str, Any]:
    data = node.model_dump(mode="json", exclude_none=True, exclude={"id", "criteria"})
    data["parent"] = parent
    return data


def _dump(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value.model_dump(mode="json", exclude_none=True)


def _by_name(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """One change per name added (before None), removed (after None) or changed."""
    return tuple(
        FieldChange(name, _dump(before.get(name)), _dump(after.get(name)))
        for name in [*before, *(n for n in after if n not in before)]
        if _dump(before.get(name)) != _dump(after.get(name))
    )


def diff_rulesets(
    before: Ruleset, after: Ruleset, before_hash: str = "", after_hash: str = ""
) -> RulesetDiff:
    """Every difference between two resolved rulesets, in ``after``'s order."""
    old_nodes, new_nodes = _nodes(before), _nodes(after)
    known = {(e.version, e.change, tuple(e.old), tuple(e.new)) for e in before.lineage or []}
    lineage = tuple(
        e
        for e in after.lineage or []
        if (e.version, e.change, tuple(e.old), tuple(e.new)) not in known
    )
    # A rename made since ``before`` pairs the old id with the new one.
    renamed = {
        e.new[0]: e.old[0]
        for e in lineage
        if e.change == "renamed" and len(e.old) == 1 and len(e.new) == 1
    }
    old_of = {new_id: renamed.get(new_id, new_id) for new_id in new_nodes}
    new_of = {old: new for new, old in renamed.items()}
    changed: list[CriterionDiff] = []
    added: list[NodeSummary] = []
    for new_id, (node, parent) in new_nodes.items():
        old_id = old_of[new_id]
        if old_id not in old_nodes:
            added.append(NodeSummary(new_id, node.name, node.max_points, parent))
            continue
        old_node, old_parent = old_nodes[old_id]
        # under a renamed parent is not a move: compare the parent by its new id
        old_parent = new_of.get(old_parent or "", old_parent)
        changes = _field_changes(
            {**({"id": old_id} if old_id != new_id else {}), **_own_fields(old_node, old_parent)},
            {**({"id": new_id} if old_id != new_id else {}), **_own_fields(node, parent)},
        )
        if changes:
            changed.append(CriterionDiff(new_id, old_id, node.name, changes))
    matched = set(old_of.values())
    removed = tuple(
        NodeSummary(i, n.name, n.max_points, p)
        for i, (n, p) in old_nodes.items()
        if i not in matched
    )
    old_areas = {a.id: a for a in before.areas}
    areas = [
        AreaTotal(
            a.id,
            a.name,
            old_areas[old_of[a.id]].max_points if old_of[a.id] in old_areas else None,
            a.max_points,
        )
        for a in after.areas
    ]
    areas += [
        AreaTotal(a.id, a.name, a.max_points, None) for a in before.areas if a.id not in matched
    ]
    meta = _field_changes(
        before.ruleset.model_dump(mode="json", exclude_none=True),
        after.ruleset.model_dump(mode="json", exclude_none=True),
    )
    facts = _by_name(before.facts, after.facts)
    checks = _by_name({c.id: c for c in before.checks or []}, {c.id: c for c in after.checks or []})
    settings = (
        _field_changes(_dump(before.grading), _dump(after.grading), "grading")
        + _field_changes(_dump(before.ranking), _dump(after.ranking), "ranking")
        # NOTE: the arithmetic in effect, defaults filled in: a version that adds
        # [scoring] with today's defaults changes nothing a user would see.
        + _field_changes(
            before.arithmetic.model_dump(mode="json"),
            after.arithmetic.model_dump(mode="json"),
            "scoring",
        )
        + _field_changes(_dump(before.unit_types), _dump(after.unit_types), "unit_types")
        + _field_changes(
            _dump(before.legal_refs or {}), _dump(after.legal_refs or {}), "legal_refs"
        )
    )
    return RulesetDiff(
        before.ref,
        after.ref,
        before_hash,
        after_hash,
        meta,
        tuple(added),
        removed,
        tuple(changed),
        tuple(areas),
        lineage,
        facts,
        settings,
        checks,
    )
