"""Loading a ruleset file into validated models and bound criterion kinds.

Three passes, each collecting every problem it finds:

1. TOML syntax (``tomllib``: line and column);
2. the schema (pydantic models) and each leaf's kind parameters (the kind's own
   ``Params`` model), so a typo in a parameter is reported beside a typo in a name;
3. cross-checks over the whole tree: unique ids, sums of maxima, declared facts and
   unit types, grading bands, kinds' own consistency checks.

Every problem reads ``file:line: key.path: what was expected (got what)``, with
criterion ids in the path instead of list indexes.

An amendment (``extends``, see :mod:`cchc_rules.ruleset._resolve`) is resolved against its
parent before these passes, and its problems point at the file and line that caused
them: the amendment's change, or the inherited text of the parent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cchc_rules._diagnostics import did_you_mean
from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.expressions import (
    BOOLEAN,
    UNIT_TYPE,
    Expression,
    ExpressionError,
    ExprType,
    compile_expression,
    declared_type,
)
from cchc_rules.kinds import CriterionInfo, CriterionKind, condition_fields
from cchc_rules.providers import Column, DeriveContext, FactProvider
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf
from cchc_rules.ruleset._lock import check_published
from cchc_rules.ruleset._models import Area, Condition, Criterion, Ruleset
from cchc_rules.ruleset._registry import registry_file, rulesets_root
from cchc_rules.ruleset._resolve import (
    Amendment,
    Located,
    apply_amendment,
    fill_legal_refs,
    find_parent,
    is_amendment,
)
from cchc_rules.ruleset._toml import KeyPath, key_lines, line_of, read_toml

__all__ = [
    "Locate",
    "bind_criterion",
    "compile_ruleset",
    "load_ruleset_file",
    "load_ruleset_text",
]

P = TypeVar("P", bound=BaseModel)

Locate = Callable[[KeyPath], tuple[str, int | None]]
"""Where a key path of the data was written: its file and line."""


# -- locating problems ------------------------------------------------------------------


def _readable_path(data: Any, loc: Sequence[str | int]) -> tuple[KeyPath, str]:
    """The data path of a pydantic ``loc`` (union branch names dropped), and its text.

    List items that carry an ``id`` are named by it: ``areas.A.criteria.A1.max_points``.
    """
    concrete: list[str | int] = []
    text: list[str] = []
    node = data
    for step in loc:
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            item = node[step]
            ident = item.get("id") if isinstance(item, dict) else None
            text.append(ident if isinstance(ident, str) else f"[{step}]")
        elif isinstance(node, dict) and isinstance(step, str) and step in node:
            text.append(step)
        elif isinstance(node, dict) and isinstance(step, str) and concrete[-1:] != [step]:
            # a key pydantic expected but did not find: still part of the path
            text.append(step)
            concrete.append(step)
            node = None
            continue
        else:
            continue  # union member or validator names inside pydantic's loc
        concrete.append(step)
        node = node[step]
    joined = ""
    for part in text:
        joined += part if part.startswith("[") or not joined else f".{part}"
    return tuple(concrete), joined


def _known_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the model found at ``loc`` below ``model`` (for "did you mean")."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(step)
        if field is None:
            return []
        current = _innermost_model(field.annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _innermost_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _innermost_model(arg)
        if found is not None:
            return found
    return None


def _misspelt_keys(errors: Sequence[Mapping[str, Any]], model: type[BaseModel]) -> set[KeyPath]:
    """``loc``s of missing keys that an unknown sibling key is a misspelling of.

    NOTE: ``max_pionts = 1`` is one mistake; the "did you mean 'max_points'?" of the
    unknown key says it all, so the "missing required key" it causes is not repeated.
    """
    found: set[KeyPath] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        parent = tuple(error["loc"][:-1])
        close = difflib.get_close_matches(
            str(error["loc"][-1]), _known_fields(model, parent), n=1, cutoff=0.6
        )
        if close:
            found.add((*parent, close[0]))
    return found


def _message(error: Mapping[str, Any], known: list[str]) -> str:
    kind = error["type"]
    message: str = error["msg"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        expected = f"expected one of {', '.join(known)}" if known else "expected no such key"
        return f"unknown key {key!r}{did_you_mean(key, known)} ({expected})"
    if kind == "missing":
        if len(error["loc"]) == 1:
            # every top-level key of a ruleset is a table
            return "missing required table"
        return "missing required key"
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        if message.startswith("expected a number") and _looks_numeric(error["input"]):
            message += "; write numbers without quotes"
        return message
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        described = _PATTERNS.get(pattern, f"text matching {pattern!r}")
        return f"expected {described} (got {_shown(error['input'])})"
    if message.startswith("Input should be "):
        expected = message.removeprefix("Input should be ")
        for pydantic_words, ours in _EXPECTED_WORDS:
            if expected.startswith(pydantic_words):
                expected = ours + expected.removeprefix(pydantic_words)
                break
        message = "expected " + expected
        if kind == "date_type" and isinstance(error["input"], str):
            return f"{message} (got {_shown(error['input'])}); write dates without quotes"
    return f"{message} (got {_shown(error['input'])})"


def _shown(value: object) -> str:
    """A value as the user wrote it in TOML: ``0.5`` not ``Decimal('0.5')``, ``true`` not
    ``True``; text keeps its quotes so ``'1'`` is visibly not ``1``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value)


# NOTE: pydantic's words name Python types; a ruleset author writes TOML, so the
# message names what to write instead.
_EXPECTED_WORDS = (
    ("a valid string", "text in quotes"),
    ("a valid integer", "a whole number"),
    ("a valid boolean", "true or false"),
    ("a valid list", "an array [...]"),
    ("a valid dictionary or instance of Text", 'a table { vi = "…", en = "…" }'),
    ("a valid dictionary or instance of", "a table"),
    ("a valid dictionary", "a table"),
    ("a valid date", "a date such as 2024-12-31"),
    ("greater than or equal to ", "a number ≥ "),
    ("greater than ", "a number > "),
    ("less than or equal to ", "a number ≤ "),
    ("less than ", "a number < "),
)
_PATTERNS = {
    "^[a-z][a-z0-9_]*$": "a name of lowercase letters, digits and _, starting with a letter",
    "^[A-Z][A-Za-z0-9]*(\\.[A-Za-z0-9]+)*$": (
        "an id such as A, A1 or B2.1 (a capital letter first, parts joined by dots)"
    ),
    "^[A-Za-z0-9][A-Za-z0-9._-]*$": "a version of letters, digits, '.', '_' and '-'",
}


def _looks_numeric(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        Decimal(value.strip())
    except ArithmeticError:
        return False
    return value.strip().lower() not in ("nan", "inf", "infinity", "-inf", "+inf")


def validation_problems(
    file: str,
    lines: dict[KeyPath, int],
    data: Any,
    exc: ValidationError,
    model: type[BaseModel],
    prefix: KeyPath = (),
    locate: Locate | None = None,
) -> list[Problem]:
    """Turn a pydantic error into located problems; union branches merged per path."""
    where = locate or (lambda path: (file, line_of(lines, path)))
    merged: dict[tuple[KeyPath, str], list[str]] = {}
    errors = exc.errors()
    explained = _misspelt_keys(errors, model)
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) in explained:
            continue
        loc = (*prefix, *error["loc"])
        concrete, text = _readable_path(data, loc)
        known = (
            _known_fields(model, error["loc"][:-1]) if error["type"] == "extra_forbidden" else []
        )
        messages = merged.setdefault((concrete, text), [])
        message = _message(error, known)
        if message not in messages:
            messages.append(message)
    return [
        Problem(*where(concrete), text, " or ".join(messages))
        for (concrete, text), messages in merged.items()
    ]


# -- walking raw data --------------------------------------------------------------------


def _raw_leaves(data: Any) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """Leaf criterion tables of possibly invalid raw data, with their data paths."""

    def walk(path: KeyPath, criteria: Any) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        if not isinstance(criteria, list):
            return
        for index, item in enumerate(criteria):
            if not isinstance(item, dict):
                continue
            here = (*path, index)
            if "kind" in item:
                yield here, item
            yield from walk((*here, "criteria"), item.get("criteria"))

    areas = data.get("areas") if isinstance(data, dict) else None
    if isinstance(areas, list):
        for index, area in enumerate(areas):
            if isinstance(area, dict):
                yield from walk(("areas", index, "criteria"), area.get("criteria"))


class _Checker:
    """Collects located problems for one file."""

    def __init__(
        self, file: str, lines: dict[KeyPath, int], data: Any, locate: Locate | None = None
    ) -> None:
        self.file = file
        self.lines = lines
        self.data = data
        self.problems: list[Problem] = []
        self.locate: Locate = locate or (lambda path: (file, line_of(lines, path)))

    def add(self, path: KeyPath, message: str) -> None:
        concrete, text = _readable_path(self.data, path)
        self.problems.append(Problem(*self.locate(concrete), text, message))


def _check_kind_params(checker: _Checker, registry: KindRegistry) -> dict[KeyPath, BaseModel]:
    validated: dict[KeyPath, BaseModel] = {}
    for path, item in _raw_leaves(checker.data):
        kind_name = item.get("kind")
        if not isinstance(kind_name, str):
            continue
        if kind_name not in registry:
            checker.add(
                (*path, "kind"),
                f"unknown criterion kind {kind_name!r}{did_you_mean(kind_name, registry.names())} "
                f"(installed kinds: {', '.join(registry.names())})",
            )
            continue
        params = _validate_params(
            checker, (*path, "params"), registry.get(kind_name).Params, item.get("params", {})
        )
        if params is not None:
            validated[path] = params
    return validated


def _validate_params(checker: _Checker, path: KeyPath, model: type[P], params: Any) -> P | None:
    """``params`` (written at ``path``) validated by a kind's or provider's ``Params``;
    ``None``, with the problems added, when refused."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        checker.problems.extend(
            validation_problems(
                checker.file, checker.lines, checker.data, exc, model, path, locate=checker.locate
            )
        )
        return None


def _key_path(param_path: str) -> KeyPath:
    """A dotted path inside params (``"bands.1.points"``) as a key path: the 1 is a list
    index, as in the data and ``key_lines``."""
    return tuple(int(p) if p.isdigit() else p for p in param_path.split(".") if p)


def _bind_kind(
    checker: _Checker,
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
    for param_path, message in kind.check():
        checker.add((*path, *_key_path(param_path)), message)
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
    checker = _Checker("<params>", {}, data)
    validated = _validate_params(checker, (), kind_class.Params, data)
    if validated is None:
        return None, checker.problems
    kind = _bind_kind(checker, (), kind_class, validated, criterion, _Conditions(facts, {}))
    return (None if checker.problems else kind), checker.problems


def _check_provider_params(
    checker: _Checker, registry: KindRegistry
) -> dict[str, FactProvider[Any]]:
    """Each ``[providers.NAME]`` with a known provider and valid parameters, bound.

    The context is the ruleset's first period when it is readable (the schema pass
    reports it otherwise, and nothing is bound then).
    """
    tables = checker.data.get("providers") if isinstance(checker.data, dict) else None
    if not isinstance(tables, dict):
        return {}
    meta = checker.data.get("ruleset")
    periods = meta.get("periods") if isinstance(meta, dict) else None
    year = None
    if (
        isinstance(periods, list)
        and periods
        and all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 9999 for p in periods)
    ):
        year = min(periods)
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
                f"unknown fact provider {provider_name!r}{did_you_mean(provider_name, installed)} "
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
        for param_path, message in provider.check():
            checker.add((*path, "params", *_key_path(param_path)), message)
        bound[table_name] = provider
    return bound


def _check_providers(
    checker: _Checker, model: Ruleset, providers: Mapping[str, FactProvider[Any]]
) -> None:
    """Roles bound to declared record sets, one column type per record set, and derived
    facts naming a provider's output of their own type."""
    record_sets = model.record_sets or {}
    columns: dict[str, dict[str, tuple[Column, str]]] = {}
    for table_name, spec in (model.providers or {}).items():
        provider = providers.get(table_name)
        if provider is None:
            continue
        roles = type(provider).record_sets
        path: KeyPath = ("providers", table_name, "records")
        for role in roles:
            if role not in spec.records:
                checker.add(
                    path,
                    f"missing record set for role {role!r} of provider {spec.provider!r} "
                    f"(it reads {', '.join(roles)})",
                )
        for role, record_set in spec.records.items():
            if role not in roles:
                checker.add(
                    (*path, role),
                    f"unknown role {role!r}{did_you_mean(role, list(roles))} of provider "
                    f"{spec.provider!r} (it reads {', '.join(roles)})",
                )
                continue
            if record_set not in record_sets:
                checker.add(
                    (*path, role),
                    f"unknown record set {record_set!r}"
                    f"{did_you_mean(record_set, list(record_sets))} (expected a record set "
                    f"declared under [record_sets])",
                )
                continue
            seen = columns.setdefault(record_set, {})
            for column_name, column in roles[role].columns.items():
                first = seen.get(column_name)
                if first is None:
                    seen[column_name] = (column, f"{table_name}.{role}")
                elif (first[0].type, first[0].decimals) != (column.type, column.decimals):
                    checker.add(
                        (*path, role),
                        f"record set {record_set!r} is read as {first[1]} too, where column "
                        f"{column_name!r} is {first[0].type} (here it is {column.type}); "
                        "bind each role to a record set of its own",
                    )
    for fact_name, fact in model.facts.items():
        if fact.derived is None:
            continue
        where: KeyPath = ("facts", fact_name, "derived")
        table = (model.providers or {}).get(fact.derived.provider)
        if table is None:
            known = list(model.providers or {})
            checker.add(
                (*where, "provider"),
                f"unknown provider table {fact.derived.provider!r}"
                f"{did_you_mean(fact.derived.provider, known)} (expected a name declared "
                f"under [providers]: {', '.join(known) or 'none'})",
            )
            continue
        provider = providers.get(fact.derived.provider)
        if provider is None:
            continue
        outputs = provider.outputs()
        output = outputs.get(fact.derived.output)
        if output is None:
            checker.add(
                (*where, "output"),
                f"unknown output {fact.derived.output!r}"
                f"{did_you_mean(fact.derived.output, list(outputs))} of provider "
                f"{table.provider!r} (it derives {', '.join(outputs)})",
            )
        elif output.type != fact.type:
            checker.add(
                ("facts", fact_name, "type"),
                f"expected {output.type}, the type of output {fact.derived.output!r} of "
                f"provider {table.provider!r} (got {fact.type})",
            )


# -- cross-checks ------------------------------------------------------------------------


def _cross_check(
    checker: _Checker,
    model: Ruleset,
    params: dict[KeyPath, BaseModel],
    registry: KindRegistry,
) -> list[Leaf]:
    scale = model.scale
    meta = model.ruleset

    def points_ok(path: KeyPath, value: Decimal) -> None:
        if (value * scale) != (value * scale).to_integral_value():
            checker.add(
                path,
                f"expected a multiple of {Decimal(1) / scale} "
                f"(points_decimals = {meta.points_decimals}) (got {value})",
            )

    points_ok(("ruleset", "total_points"), meta.total_points)
    seen: dict[str, KeyPath] = {}
    leaves: list[Leaf] = []
    leaf_paths: list[KeyPath] = []
    conditions = _Conditions(_fact_types(model), {UNIT_TYPE: list(model.unit_types)})

    def check_node(node: Area | Criterion, path: KeyPath) -> None:
        if node.id in seen:
            first_file, first = checker.locate((*seen[node.id], "id"))
            where = ""
            if first is not None:
                where = f", first used on line {first}"
                if first_file != checker.locate((*path, "id"))[0]:
                    where = f", first used in {first_file}:{first}"
            checker.add((*path, "id"), f"duplicate id {node.id!r} (ids must be unique{where})")
        seen.setdefault(node.id, path)
        points_ok((*path, "max_points"), node.max_points)

    def check_children(
        area: Area, node: Area | Criterion, path: KeyPath, parents: tuple[str, ...]
    ) -> None:
        total = sum((c.max_points for c in node.criteria), Decimal(0))
        if total != node.max_points:
            checker.add(
                (*path, "max_points"),
                f"expected the sum of its criteria's max_points, {total} (got {node.max_points})",
            )
        for index, child in enumerate(node.criteria):
            child_path = (*path, "criteria", index)
            check_node(child, child_path)
            check_criterion(area, child, child_path, parents)

    def check_criterion(
        area: Area, criterion: Criterion, path: KeyPath, parents: tuple[str, ...]
    ) -> None:
        for position, unit_type in enumerate(criterion.applies_to or []):
            if unit_type not in model.unit_types:
                checker.add(
                    (*path, "applies_to", position),
                    f"unknown unit type {unit_type!r}"
                    f"{did_you_mean(unit_type, list(model.unit_types))}"
                    f" (declared in [unit_types]: {', '.join(model.unit_types)})",
                )
        if criterion.applies_when is not None:
            where = (*path, "applies_when")
            before = len(checker.problems)
            if isinstance(criterion.applies_when, Condition):
                # The table form has its own, more precise messages (key by key).
                _check_condition(checker, model, criterion.applies_when, where)
            if len(checker.problems) == before:
                conditions.compile(checker, where, _condition_source(criterion.applies_when))
        if criterion.full_points_when is not None:
            conditions.compile(checker, (*path, "full_points_when"), criterion.full_points_when)
        if criterion.criteria:
            check_children(area, criterion, path, (*parents, criterion.id))
            return
        bound = params.get(path)
        if bound is None or criterion.kind is None:
            return
        kind = _bind_kind(
            checker,
            (*path, "params"),
            registry.get(criterion.kind),
            bound,
            CriterionInfo(criterion.id, criterion.max_points, scale),
            conditions,
        )
        allowed_types = kind.fact_types()
        for fact in kind.facts():
            spec = model.facts.get(fact)
            where = (*path, "params", *_param_naming(criterion.params, fact))
            if spec is None:
                checker.add(
                    where,
                    f"unknown fact {fact!r}{did_you_mean(fact, list(model.facts))} "
                    f"(expected a fact declared under [facts])",
                )
            elif spec.type not in allowed_types.get(fact, (spec.type,)):
                checker.add(
                    where,
                    f"expected a {' or '.join(allowed_types[fact])} fact for kind "
                    f"{criterion.kind!r} (got {fact!r}, declared as {spec.type} "
                    f"in [facts.{fact}])",
                )
        leaves.append(Leaf(area, criterion, kind, parents))
        leaf_paths.append(path)

    area_total = Decimal(0)
    for index, area in enumerate(model.areas):
        path: KeyPath = ("areas", index)
        check_node(area, path)
        check_children(area, area, path, ())
        area_total += area.max_points
    if area_total != meta.total_points:
        checker.add(
            ("ruleset", "total_points"),
            f"expected the sum of the areas' max_points, {area_total} (got {meta.total_points})",
        )

    for name, unit_type in model.unit_types.items():
        if unit_type.peer_group not in model.ranking.peer_groups:
            checker.add(
                ("unit_types", name, "peer_group"),
                f"unknown peer group {unit_type.peer_group!r}"
                f"{did_you_mean(unit_type.peer_group, list(model.ranking.peer_groups))}"
                f" (declared in [ranking.peer_groups]: {', '.join(model.ranking.peer_groups)})",
            )
    _check_bands(checker, ("grading", "bands"), model.grading.bands)
    for unit_type_name, bands in model.grading.by_unit_type.items():
        if unit_type_name not in model.unit_types:
            checker.add(
                ("grading", "by_unit_type", unit_type_name),
                f"unknown unit type {unit_type_name!r}"
                f"{did_you_mean(unit_type_name, list(model.unit_types))}",
            )
        _check_bands(checker, ("grading", "by_unit_type", unit_type_name), bands)
    if checker.problems:
        return leaves
    return [
        _inherit_applicability(model, leaf, path, conditions)
        for leaf, path in zip(leaves, leaf_paths, strict=True)
    ]


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


def _check_condition(
    checker: _Checker, model: Ruleset, condition: Condition, path: KeyPath
) -> None:
    spec = model.facts.get(condition.fact)
    if spec is None:
        checker.add(
            (*path, "fact"),
            f"unknown fact {condition.fact!r}{did_you_mean(condition.fact, list(model.facts))}",
        )
        return
    value = condition.value
    is_number = isinstance(value, int | Decimal) and not isinstance(value, bool)
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "decimal": is_number,
        "boolean": isinstance(value, bool),
        "text": isinstance(value, str),
        "date": not is_number and not isinstance(value, bool | str),
    }[spec.type]
    if not ok:
        checker.add(
            (*path, "value"),
            f"expected {'an' if spec.type == 'integer' else 'a'} {spec.type} value to compare "
            f"with fact {condition.fact!r} (got {_shown(value)})",
        )
    if spec.type in ("boolean", "text") and condition.op not in ("==", "!="):
        checker.add(
            (*path, "op"), f"expected == or != for a {spec.type} fact (got {condition.op!r})"
        )


def _condition_source(condition: str | Condition) -> str:
    return condition if isinstance(condition, str) else condition.expression()


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

    def compile(self, checker: _Checker, path: KeyPath, source: str) -> Expression | None:
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
        if len(parts) <= 1:
            return parts[0] if parts else None
        # Each part compiled on its own already; joined by "and" they compile as well.
        return self._compile(" and ".join(f"({part.source})" for part in parts))


def _inherit_applicability(
    model: Ruleset, leaf: Leaf, path: KeyPath, conditions: _Conditions
) -> Leaf:
    """The leaf with its enclosing criteria's ``applies_to`` and ``applies_when`` folded in.

    A group's applicability is its sub-criteria's: a group that does not apply to a
    unit type cannot have a sub-criterion that does.
    """
    applies_to: frozenset[str] | None = None
    condition_paths: list[KeyPath] = []
    node: Any = model.areas[int(path[1])]
    for depth in range(2, len(path), 2):
        node = node.criteria[int(path[depth + 1])]
        if node.applies_to is not None:
            own = frozenset(node.applies_to)
            applies_to = own if applies_to is None else applies_to & own
        if node.applies_when is not None:
            condition_paths.append((*path[: depth + 2], "applies_when"))
    return replace(
        leaf,
        applies_to=applies_to,
        condition=conditions.all_of(condition_paths),
        full_points=conditions.compiled.get((*path, "full_points_when")),
    )


def _compile_computed(checker: _Checker, model: Ruleset) -> dict[str, Expression]:
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


def _check_bands(checker: _Checker, path: KeyPath, bands: Sequence[Any]) -> None:
    for index in range(1, len(bands)):
        if bands[index].min_index >= bands[index - 1].min_index:
            checker.add(
                (*path, index, "min_index"),
                f"expected less than {bands[index - 1].min_index}, the min_index of the band "
                f"before it (bands run from the highest min_index down) "
                f"(got {bands[index].min_index})",
            )
    if bands and bands[-1].min_index != 0:
        checker.add(
            (*path, len(bands) - 1, "min_index"),
            f"expected the last band to start at 0 so every unit gets a grade "
            f"(got {bands[-1].min_index})",
        )
    grades = [band.grade for band in bands]
    for index, grade in enumerate(grades):
        if grades.index(grade) != index:
            checker.add((*path, index, "grade"), f"duplicate grade {grade!r}")


# -- entry points ------------------------------------------------------------------------


def compile_ruleset(
    data: dict[str, Any],
    source: str,
    *,
    file: str,
    registry: KindRegistry,
    locate: Locate | None = None,
) -> CompiledRuleset:
    """Validate parsed ruleset data and bind its leaves; raise every problem at once.

    ``locate`` says where each key path was written, for data not read from ``source``
    alone (a resolved amendment); ``source`` is then not consulted.
    """
    checker = _Checker(file, {} if locate else key_lines(source), data, locate)
    model: Ruleset | None = None
    try:
        model = Ruleset.model_validate(data)
    except ValidationError as exc:
        checker.problems.extend(
            validation_problems(file, checker.lines, data, exc, Ruleset, locate=checker.locate)
        )
    params = _check_kind_params(checker, registry)
    providers = _check_provider_params(checker, registry)
    if checker.problems or model is None:
        raise RulesetError(sorted(checker.problems, key=_problem_order))
    computed = _compile_computed(checker, model)
    leaves = _cross_check(checker, model, params, registry)
    _check_providers(checker, model, providers)
    if checker.problems:
        raise RulesetError(sorted(checker.problems, key=_problem_order))
    return CompiledRuleset(
        model, tuple(leaves), file, model.content_hash(), computed, providers=providers
    )


def _problem_order(problem: Problem) -> tuple[str, int, str, str]:
    return (problem.file, problem.line or 0, problem.path, problem.message)


def load_ruleset_file(
    path: Path,
    *,
    registry: KindRegistry,
    display: str | None = None,
    rulesets_dir: Path | None = None,
    verify_lock: bool = True,
) -> CompiledRuleset:
    """Read, resolve (``extends``), validate and bind a ruleset TOML file.

    ``rulesets_dir`` (default: the bundled rulesets) is where ``extends = "family@version"``
    is looked up, what ``extends`` paths may not leave, and whose ``lock.toml`` holds the
    hashes of published versions (checked unless ``verify_lock`` is false, which only
    ``cchc rulesets lock`` needs, to record them).
    """
    resolver = _Resolver(rulesets_root(rulesets_dir), registry, verify_lock)
    return resolver.load(path, display or str(path), ())[1]


def load_ruleset_text(
    text: str,
    path: Path,
    *,
    registry: KindRegistry,
    display: str | None = None,
    rulesets_dir: Path | None = None,
) -> CompiledRuleset:
    """Like :func:`load_ruleset_file` for a file not written yet: ``text`` as if at ``path``."""
    resolver = _Resolver(rulesets_root(rulesets_dir), registry, True)
    return resolver.load(path, display or str(path), (), text)[1]


class _Resolver:
    """Loads a file and, first, the chain of versions it extends."""

    def __init__(self, root: Path, registry: KindRegistry, verify_lock: bool) -> None:
        self.root = root
        self.registry = registry
        self.verify_lock = verify_lock

    def load(
        self, path: Path, file: str, chain: tuple[Path, ...], text: str | None = None
    ) -> tuple[Located, CompiledRuleset]:
        """The resolved data (with origins) and the validated ruleset of one file.

        ``chain`` holds the files that extend this one, to catch cycles.
        """
        root, registry = self.root, self.registry
        if text is None:
            data, source = read_toml(path, file)
        else:
            data, source = tomllib.loads(text, parse_float=Decimal), text
        lines = key_lines(source)
        located = Located(data, file, lines)
        inherited: Mapping[str, Path] = {}
        if is_amendment(data):
            try:
                amendment = Amendment.model_validate(data)
            except ValidationError as exc:
                raise RulesetError(
                    sorted(
                        validation_problems(file, lines, data, exc, Amendment), key=_problem_order
                    )
                ) from exc
            extends_line = line_of(lines, ("ruleset", "extends"))
            parent_path, parent_file = find_parent(
                amendment.ruleset.extends, path, file, extends_line, root, chain
            )
            parent, parent_compiled = self.load(parent_path, parent_file, (*chain, path.resolve()))
            parent_family = parent_compiled.model.ruleset.family
            if parent_family != amendment.ruleset.family:
                raise RulesetError(
                    [
                        Problem(
                            file,
                            extends_line,
                            "ruleset.extends",
                            f"expected a version of family {amendment.ruleset.family!r} "
                            f"(got {parent_compiled.ref}, of family {parent_family!r})",
                        )
                    ]
                )
            located = apply_amendment(parent, parent_compiled.ref, data, amendment, file, lines)
            inherited = parent_compiled.record_paths
        fill_legal_refs(located)
        compiled = compile_ruleset(
            located.data, source, file=file, registry=registry, locate=located.locate
        )
        compiled = replace(compiled, record_paths=_record_paths(compiled, data, path, inherited))
        entry = registry_file(path, root)
        meta = compiled.model.ruleset
        if entry is not None and entry.family == meta.family:
            if meta.version != entry.version:
                # family@version finds files by path: the path must not lie about the content
                raise RulesetError(
                    [
                        Problem(
                            *located.locate(("ruleset", "version")),
                            "ruleset.version",
                            f"expected {entry.ref}, as the file's place in the rulesets "
                            f"directory says (got {compiled.ref})",
                        )
                    ]
                )
            if self.verify_lock:
                status_line = located.locate(("ruleset", "status"))[1]
                check_published(entry, meta.status, compiled.content_hash, root, file, status_line)
        return located, compiled


def _record_paths(
    compiled: CompiledRuleset, raw: Mapping[str, Any], path: Path, inherited: Mapping[str, Path]
) -> dict[str, Path]:
    """Default record-set files: a path is relative to the file that declares the set.

    NOTE: resolved here, not stored in the model: the content hash must not depend on
    where the rulesets directory happens to be.
    """
    own = raw.get("record_sets")
    own = own if isinstance(own, dict) else {}
    found: dict[str, Path] = {}
    for name, spec in (compiled.model.record_sets or {}).items():
        if name in own:
            if spec.path is not None:
                found[name] = (path.parent / spec.path).resolve()
        elif name in inherited:
            found[name] = inherited[name]
    return found
