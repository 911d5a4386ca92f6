"""Binding a ruleset: each leaf to its kind, each provider table to its provider, each
condition and computed fact to a compiled expression.

Parameters are validated by the kind's (or provider's) own ``Params`` model on the raw
data, beside the schema, so a typo in a parameter is reported with a typo in a name;
the bound kinds and providers then check their own consistency and the facts they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cchc_rules._diagnostics import Checker, KeyPath, did_you_mean, shown
from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import Problem
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
from cchc_rules.kinds import CriterionInfo, CriterionKind, condition_fields
from cchc_rules.providers import DeriveContext, FactProvider
from cchc_rules.ruleset._checks import check_condition
from cchc_rules.ruleset._compiled import CompiledCheck, Leaf
from cchc_rules.ruleset._models import Condition, Criterion, Placed, Ruleset, first_period, raw_tree

__all__ = [
    "bind_criterion",
    "bind_kind_params",
    "bind_leaves",
    "bind_providers",
    "compile_checks",
    "compile_computed",
]

P = TypeVar("P", bound=BaseModel)


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
        params = _validate_params(
            checker, (*path, "params"), registry.get(kind_name).Params, item.get("params", {})
        )
        if params is not None:
            validated[path] = params
    return validated


def _validate_params(checker: Checker, path: KeyPath, model: type[P], params: Any) -> P | None:
    """``params`` (written at ``path``) validated by a kind's or provider's ``Params``;
    ``None``, with the problems added, when refused."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        checker.add_validation(exc, model, path)
        return None


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
        params = _validate_params(
            checker, (*path, "params"), provider_class.Params, table.get("params", {})
        )
        if params is None or year is None:
            continue
        provider = provider_class(params, DeriveContext.for_year(year))
        _add_own_problems(checker, (*path, "params"), provider.check())
        bound[table_name] = provider
    return bound


def _key_path(param_path: str) -> KeyPath:
    """A dotted path inside params (``"bands.1.points"``) as a key path: the 1 is a list
    index, as in the data and ``key_lines``."""
    return tuple(int(p) if p.isdigit() else p for p in param_path.split(".") if p)


def _add_own_problems(
    checker: Checker, params_path: KeyPath, problems: Sequence[tuple[str, str]]
) -> None:
    """A kind's or provider's own problems, whose paths are dotted inside its params."""
    for param_path, message in problems:
        checker.add((*params_path, *_key_path(param_path)), message)


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


def compile_checks(checker: Checker, model: Ruleset) -> tuple[CompiledCheck, ...]:
    """Each ``[[checks]]`` condition compiled: a boolean over every fact and ``unit_type``
    (a check may hold for some unit types only)."""
    conditions = _Conditions(_fact_types(model), {UNIT_TYPE: list(model.unit_types)})
    compiled: list[CompiledCheck] = []
    for index, check in enumerate(model.checks or []):
        condition = conditions.compile(checker, ("checks", index, "expr"), check.expr)
        if condition is not None:
            # NOTE: in the order the text names them, so a message lists the values the
            # way the secretariat wrote the check (a frozenset has no order)
            named = sorted(condition.names - {UNIT_TYPE}, key=lambda n: _first_use(check.expr, n))
            compiled.append(CompiledCheck(check, condition, tuple(named)))
    return tuple(compiled)


def _first_use(source: str, name: str) -> int:
    """Where ``name`` first appears as a whole word in ``source``."""
    found = re.search(rf"\b{re.escape(name)}\b", source)
    return found.start() if found else len(source)


def _fact_types(model: Ruleset) -> dict[str, ExprType]:
    return {name: declared_type(spec) for name, spec in model.facts.items()}


class _Conditions:
    """Compiles conditions (booleans over every fact and ``unit_type``), each once."""

    def __init__(self, facts: Mapping[str, ExprType], choices: Mapping[str, Sequence[str]]) -> None:
        self.names: dict[str, ExprType] = {**facts, UNIT_TYPE: ExprType("text")}
        self.choices = choices
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
    conditions = _Conditions(_fact_types(model), {UNIT_TYPE: list(model.unit_types)})
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
    # With per_area / total_only rounding the kind scores at the working precision.
    kind = _bind_kind(
        checker,
        (*path, "params"),
        registry.get(criterion.kind),
        params,
        CriterionInfo(criterion.id, criterion.max_points, model.criterion_scale),
        conditions,
    )
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
    return Leaf(
        placed.area,
        criterion,
        kind,
        tuple(parent.id for parent in placed.parents),
        plugin=registry.kinds[criterion.kind].plugin.label,
    )


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


def _bind_kind(
    checker: Checker,
    path: KeyPath,
    kind_class: type[CriterionKind[Any]],
    params: BaseModel,
    criterion: CriterionInfo,
    conditions: _Conditions,
) -> CriterionKind[Any]:
    """The kind bound to validated ``params`` (written at ``path``): its conditions
    compiled and bound, its own ``check`` run, every problem added."""
    kind = kind_class(params, criterion)
    bound_conditions: dict[str, Expression] = {}
    for param_path, source in condition_fields(params):
        expression = conditions.compile(checker, (*path, *_key_path(param_path)), source)
        if expression is not None:
            bound_conditions[param_path] = expression
    kind.bind_conditions(bound_conditions)
    _add_own_problems(checker, path, kind.check())
    return kind


def bind_criterion(
    kind_class: type[CriterionKind[Any]],
    params: Mapping[str, Any],
    criterion: CriterionInfo,
    facts: Mapping[str, ExprType],
) -> tuple[CriterionKind[Any] | None, list[Problem]]:
    """One criterion's ``params`` validated and its kind bound, as a ruleset's leaf is.

    ``facts`` are the facts its conditions may read (``unit_type`` is always there, any
    unit type allowed). Problems are located inside ``params``: their ``path`` reads
    ``steps[1].points``, in the loader's words. The kind is ``None`` when there are any.
    """
    data = dict(params)
    checker = Checker("<params>", {}, data)
    validated = _validate_params(checker, (), kind_class.Params, data)
    if validated is None:
        return None, checker.problems
    kind = _bind_kind(checker, (), kind_class, validated, criterion, _Conditions(facts, {}))
    return (None if checker.problems else kind), checker.problems
