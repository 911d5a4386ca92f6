"""Binding a ruleset: each leaf to its kind, each provider table to its provider, each
condition and computed fact to a compiled expression.

Parameters are validated by the kind's (or provider's) own ``Params`` model on the raw
data, beside the schema, so a typo in a parameter is reported with a typo in a name;
the bound kinds and providers then check their own consistency and the facts they read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from cchc_rules._diagnostics import Checker, KeyPath, did_you_mean, shown
from cchc_rules._plugins import KindRegistry
from cchc_rules.expressions import (
    BOOLEAN,
    UNIT_TYPE,
    Expression,
    ExpressionError,
    ExprType,
    all_true,
    compile_expression,
    declared_type,
)
from cchc_rules.kinds import CriterionInfo, condition_fields
from cchc_rules.providers import DeriveContext, FactProvider
from cchc_rules.ruleset._checks import check_condition
from cchc_rules.ruleset._compiled import Leaf
from cchc_rules.ruleset._models import Condition, Criterion, Placed, Ruleset, first_period, raw_tree

__all__ = ["bind_kind_params", "bind_leaves", "bind_providers", "compile_computed"]


def bind_kind_params(checker: Checker, registry: KindRegistry) -> dict[KeyPath, BaseModel]:
    """Each leaf's ``params`` validated by its kind's model, by the leaf's data path."""
    validated: dict[KeyPath, BaseModel] = {}
    data = checker.data if isinstance(checker.data, dict) else {}
    for node in raw_tree(data.get("areas")):
        path, item = node.path, node.table
        kind_name = item.get("kind")
        if not node.is_criterion or not isinstance(kind_name, str):
            continue
        if kind_name not in registry:
            checker.add(
                (*path, "kind"),
                f"unknown criterion kind {shown(kind_name)}"
                f"{did_you_mean(kind_name, registry.names())} "
                f"(installed kinds: {', '.join(registry.names())})",
            )
            continue
        params_model = registry.get(kind_name).Params
        try:
            validated[path] = params_model.model_validate(item.get("params", {}))
        except ValidationError as exc:
            checker.add_validation(exc, params_model, (*path, "params"))
    return validated


def bind_providers(checker: Checker, registry: KindRegistry) -> dict[str, FactProvider[Any]]:
    """Each ``[providers.NAME]`` with a known provider and valid parameters, bound.

    The context is the ruleset's first period when it is readable (the schema pass
    reports it otherwise, and nothing is bound then).
    """
    tables = checker.data.get("providers") if isinstance(checker.data, dict) else None
    if not isinstance(tables, dict):
        return {}
    year = first_period(checker.data)
    bound: dict[str, FactProvider[Any]] = {}
    for table_name, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("provider"), str):
            continue
        provider_name = table["provider"]
        path: KeyPath = ("providers", table_name)
        if provider_name not in registry.providers:
            installed = registry.provider_names()
            checker.add(
                (*path, "provider"),
                f"unknown fact provider {shown(provider_name)}"
                f"{did_you_mean(provider_name, installed)} "
                f"(installed providers: {', '.join(installed) or 'none'})",
            )
            continue
        provider_class = registry.providers[provider_name].provider
        try:
            params = provider_class.Params.model_validate(table.get("params", {}))
        except ValidationError as exc:
            checker.add_validation(exc, provider_class.Params, (*path, "params"))
            continue
        if year is None:
            continue
        provider = provider_class(params, DeriveContext.for_year(year))
        _add_own_problems(checker, (*path, "params"), provider.check())
        bound[table_name] = provider
    return bound


def _add_own_problems(
    checker: Checker, params_path: KeyPath, problems: Sequence[tuple[str, str]]
) -> None:
    """A kind's or provider's own problems, whose paths are dotted inside its params."""
    for param_path, message in problems:
        # "bands.1.points": the 1 is a list index, as in the data and key_lines
        parts = [int(p) if p.isdigit() else p for p in param_path.split(".") if p]
        checker.add((*params_path, *parts), message)


def compile_computed(checker: Checker, model: Ruleset) -> dict[str, Expression]:
    """Computed facts in declaration order; each reads input facts and earlier ones."""
    names = {n: t for n, t in _fact_types(model).items() if not model.facts[n].computed}
    computed: dict[str, Expression] = {}
    for name, spec in model.facts.items():
        if spec.expr is None:
            continue
        try:
            computed[name] = compile_expression(spec.expr, names, expected=declared_type(spec))
        except ExpressionError as exc:
            for problem in exc.problems:
                later = [n for n in model.facts if model.facts[n].computed and n not in names]
                hint = ""
                if any(f"'{n}'" in problem.message for n in later):
                    hint = " (a computed fact may read only facts declared before it)"
                checker.add(("facts", name, "expr"), f"{problem}{hint}")
        names[name] = declared_type(spec)
    return computed


def _fact_types(model: Ruleset) -> dict[str, ExprType]:
    return {name: declared_type(spec) for name, spec in model.facts.items()}


class _Conditions:
    """Compiles conditions (booleans over every fact and ``unit_type``), each once."""

    def __init__(self, model: Ruleset) -> None:
        self.names: dict[str, ExprType] = {**_fact_types(model), UNIT_TYPE: ExprType("text")}
        self.choices = {UNIT_TYPE: list(model.unit_types)}
        self.compiled: dict[KeyPath, Expression] = {}

    def _compile(self, source: str) -> Expression:
        return compile_expression(source, self.names, expected=BOOLEAN, choices=self.choices)

    def compile(self, checker: Checker, path: KeyPath, source: str) -> Expression | None:
        try:
            expression = self._compile(source)
        except ExpressionError as exc:
            for problem in exc.problems:
                checker.add(path, str(problem))
            return None
        self.compiled[path] = expression
        return expression

    def all_of(self, paths: Sequence[KeyPath]) -> Expression | None:
        """The conditions compiled at ``paths``, joined by ``and`` (None for none)."""
        parts = [self.compiled[path] for path in paths]
        # NOTE: joined compiled, not recompiled from the joined text, which may be over
        # the length or size limits each part is within (a traceback before)
        return all_true(parts) if parts else None


def bind_leaves(
    checker: Checker, model: Ruleset, params: Mapping[KeyPath, BaseModel], registry: KindRegistry
) -> list[Leaf]:
    """Every scored leaf bound to its kind, with the conditions of it and its groups.

    ``params`` are the leaves' validated parameters (:func:`bind_kind_params`).
    """
    conditions = _Conditions(model)
    bound: list[tuple[Leaf, Placed]] = []
    for placed in model.tree():
        criterion = placed.node
        if not isinstance(criterion, Criterion):
            continue
        _bind_conditions(checker, model, conditions, criterion, placed.path)
        kind_params = params.get(placed.path)
        if kind_params is not None and criterion.kind is not None:
            leaf = _bind_leaf(checker, model, conditions, registry, placed, kind_params)
            bound.append((leaf, placed))
    if checker.problems:
        # a condition that did not compile cannot be folded in; the caller raises
        return [leaf for leaf, _ in bound]
    return [_inherit_applicability(leaf, placed, conditions) for leaf, placed in bound]


def _bind_conditions(
    checker: Checker,
    model: Ruleset,
    conditions: _Conditions,
    criterion: Criterion,
    path: KeyPath,
) -> None:
    if criterion.applies_when is not None:
        where = (*path, "applies_when")
        before = len(checker.problems)
        if isinstance(criterion.applies_when, Condition):
            # The table form has its own, more precise messages (key by key).
            check_condition(checker, model, criterion.applies_when, where)
        if len(checker.problems) == before:
            conditions.compile(checker, where, _condition_source(criterion.applies_when))
    if criterion.full_points_when is not None:
        conditions.compile(checker, (*path, "full_points_when"), criterion.full_points_when)


def _condition_source(condition: str | Condition) -> str:
    return condition if isinstance(condition, str) else condition.expression()


def _bind_leaf(
    checker: Checker,
    model: Ruleset,
    conditions: _Conditions,
    registry: KindRegistry,
    placed: Placed,
    params: BaseModel,
) -> Leaf:
    criterion, path = placed.node, placed.path
    assert isinstance(criterion, Criterion) and criterion.kind is not None
    kind_class = registry.get(criterion.kind)
    kind = kind_class(params, CriterionInfo(criterion.id, criterion.max_points, model.scale))
    bound_conditions: dict[str, Expression] = {}
    for param_path, source in condition_fields(params):
        where = (*path, "params", *(int(p) if p.isdigit() else p for p in param_path.split(".")))
        expression = conditions.compile(checker, where, source)
        if expression is not None:
            bound_conditions[param_path] = expression
    kind.bind_conditions(bound_conditions)
    _add_own_problems(checker, (*path, "params"), kind.check())
    allowed_types = kind.fact_types()
    for fact in kind.facts():
        spec = model.facts.get(fact)
        where = (*path, "params", *_param_naming(criterion.params, fact))
        if spec is None:
            checker.add(
                where,
                f"unknown fact {shown(fact)}{did_you_mean(fact, list(model.facts))} "
                f"(expected a fact declared under [facts])",
            )
        elif spec.type not in allowed_types.get(fact, (spec.type,)):
            checker.add(
                where,
                f"expected a {' or '.join(allowed_types[fact])} fact for kind "
                f"{shown(criterion.kind)} (got {shown(fact)}, declared as {spec.type} "
                f"in [facts.{fact}])",
            )
    return Leaf(placed.area, criterion, kind, tuple(parent.id for parent in placed.parents))


def _param_naming(params: Any, fact: str) -> KeyPath:
    """Path inside ``params`` of the first value equal to ``fact`` (empty if none)."""
    if params == fact:
        return ()
    items: Iterator[tuple[str | int, Any]] = iter(())
    if isinstance(params, Mapping):
        items = iter(params.items())
    elif isinstance(params, list):
        items = enumerate(params)
    for key, value in items:
        found = _param_naming(value, fact)
        if found or value == fact:
            return (key, *found)
    return ()


def _inherit_applicability(leaf: Leaf, placed: Placed, conditions: _Conditions) -> Leaf:
    """The leaf with its enclosing criteria's ``applies_to`` and ``applies_when`` folded in.

    A group's applicability is its sub-criteria's: a group that does not apply to a
    unit type cannot have a sub-criterion that does.
    """
    applies_to: frozenset[str] | None = None
    condition_paths: list[KeyPath] = []
    for depth, node in enumerate((*placed.parents, leaf.criterion)):
        if node.applies_to is not None:
            own = frozenset(node.applies_to)
            applies_to = own if applies_to is None else applies_to & own
        if node.applies_when is not None:
            # the criterion's own path is the leaf's up to its depth
            condition_paths.append((*placed.path[: 4 + 2 * depth], "applies_when"))
    return replace(
        leaf,
        applies_to=applies_to,
        condition=conditions.all_of(condition_paths),
        full_points=conditions.compiled.get((*placed.path, "full_points_when")),
    )
