"""Cross-checks over a whole validated ruleset that bind nothing.

Unique ids, points that are multiples of the ruleset's precision and add up, declared
unit types and peer groups, grading bands, table-form conditions, and the wiring of
providers to record sets and derived facts. Each adds its problems to a
:class:`~cchc_rules._diagnostics.Checker`, so every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from cchc_rules._diagnostics import Checker, KeyPath, did_you_mean, listed, shown
from cchc_rules.providers import Column, FactProvider
from cchc_rules.ruleset._models import Band, Condition, Criterion, Ruleset

__all__ = [
    "SURVEY_KIND",
    "check_appraisal",
    "check_condition",
    "check_fact_checks",
    "check_providers",
    "check_tree",
]

SURVEY_KIND = "survey_scaled"
"""The kind of a survey criterion: the one ``[appraisal.survey]`` rules may name."""


def _unique_id(checker: Checker, seen: dict[str, KeyPath], path: KeyPath, ident: str) -> None:
    """Report ``ident`` at ``path`` when an earlier table in ``seen`` has it; remember it."""
    if ident in seen:
        first_file, first = checker.locate((*seen[ident], "id"))
        where = ""
        if first is not None:
            where = f", first used on line {first}"
            if first_file != checker.locate((*path, "id"))[0]:
                where = f", first used in {first_file}:{first}"
        checker.add((*path, "id"), f"duplicate id {shown(ident)} (ids must be unique{where})")
    seen.setdefault(ident, path)


def check_fact_checks(checker: Checker, model: Ruleset) -> None:
    """``[[checks]]`` ids are unique among the checks (their own name space: a check is
    named in messages and amendments, never beside a criterion)."""
    seen: dict[str, KeyPath] = {}
    for index, check in enumerate(model.checks or []):
        _unique_id(checker, seen, ("checks", index), check.id)


def check_tree(checker: Checker, model: Ruleset) -> None:
    """Ids, points and sums of every area and criterion; unit types, peer groups, bands."""
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
    for placed in model.tree():
        node, path = placed.node, placed.path
        _unique_id(checker, seen, path, node.id)
        points_ok((*path, "max_points"), node.max_points)
        if node.criteria:
            total = sum((c.max_points for c in node.criteria), Decimal(0))
            if total != node.max_points:
                checker.add(
                    (*path, "max_points"),
                    f"expected the sum of its criteria's max_points, {total} "
                    f"(got {node.max_points})",
                )
        if isinstance(node, Criterion):
            for position, named in enumerate(node.applies_to or []):
                if named not in model.unit_types:
                    checker.add(
                        (*path, "applies_to", position),
                        f"unknown unit type {shown(named)}"
                        f"{did_you_mean(named, list(model.unit_types))}"
                        f" (declared in [unit_types]: {listed(model.unit_types)})",
                    )

    area_total = sum((area.max_points for area in model.areas), Decimal(0))
    # total_points is the most a unit can reach; a sum below it needs a stated reason.
    explained = meta.total_points_note is not None and area_total < meta.total_points
    if area_total != meta.total_points and not explained:
        message = (
            f"expected the sum of the areas' max_points, {area_total} (got {meta.total_points})"
        )
        if meta.total_points_note is not None:
            message = (
                f"expected at least the sum of the areas' max_points, {area_total}: a unit "
                f"can reach that sum, and total_points_note explains only a sum below "
                f"total_points (got {meta.total_points})"
            )
        checker.add(("ruleset", "total_points"), message)
    _check_scoring(checker, model)

    for name, unit_type in model.unit_types.items():
        if unit_type.peer_group not in model.ranking.peer_groups:
            checker.add(
                ("unit_types", name, "peer_group"),
                f"unknown peer group {shown(unit_type.peer_group)}"
                f"{did_you_mean(unit_type.peer_group, list(model.ranking.peer_groups))}"
                f" (declared in [ranking.peer_groups]: {listed(model.ranking.peer_groups)})",
            )
    _check_bands(checker, ("grading", "bands"), model.grading.bands)
    for unit_type_name, bands in model.grading.by_unit_type.items():
        if unit_type_name not in model.unit_types:
            checker.add(
                ("grading", "by_unit_type", unit_type_name),
                f"unknown unit type {shown(unit_type_name)}"
                f"{did_you_mean(unit_type_name, list(model.unit_types))}",
            )
        _check_bands(checker, ("grading", "by_unit_type", unit_type_name), bands)


# NOTE: the largest product the index arithmetic forms is a sum of points in working
# units × 100 × 10^index_decimals; below 2^62 it leaves int64 headroom for the sums.
_INT64_ROOM = 2**62


def _check_scoring(checker: Checker, model: Ruleset) -> None:
    """``working_decimals`` only where criteria carry them, no coarser than the points,
    and every product of the index arithmetic within int64."""
    scoring = model.scoring
    if scoring is None:
        return
    decimals = model.ruleset.points_decimals
    if scoring.working_decimals is not None and not scoring.rounds_late:
        checker.add(
            ("scoring", "working_decimals"),
            "expected only with points_rounding = 'per_area' or 'total_only' (got it with "
            f"{scoring.points_rounding!r}, which rounds every criterion to points_decimals)",
        )
        return
    if scoring.working_decimals is not None and scoring.working_decimals < decimals:
        checker.add(
            ("scoring", "working_decimals"),
            f"expected at least points_decimals ({decimals}): criteria carry more digits "
            f"than the areas and totals they are rounded into (got {scoring.working_decimals})",
        )
        return
    largest = int(model.ruleset.total_points * model.criterion_scale) + 1
    if largest * 100 * 10**scoring.index_decimals >= _INT64_ROOM:
        where = "working_decimals" if scoring.working_decimals is not None else "index_decimals"
        checker.add(
            ("scoring", where),
            f"too fine for exact 64-bit arithmetic with total_points = "
            f"{model.ruleset.total_points}: lower working_decimals or index_decimals",
        )


def _check_bands(checker: Checker, path: KeyPath, bands: Sequence[Band]) -> None:
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
            checker.add((*path, index, "grade"), f"duplicate grade {shown(grade)}")


def check_condition(checker: Checker, model: Ruleset, condition: Condition, path: KeyPath) -> None:
    """A table-form condition names a declared fact, a value of its type and a fitting op."""
    spec = model.facts.get(condition.fact)
    if spec is None:
        checker.add(
            (*path, "fact"),
            f"unknown fact {shown(condition.fact)}"
            f"{did_you_mean(condition.fact, list(model.facts))}",
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
            f"with fact {shown(condition.fact)} (got {shown(value)})",
        )
    if spec.type in ("boolean", "text") and condition.op not in ("==", "!="):
        checker.add(
            (*path, "op"), f"expected == or != for a {spec.type} fact (got {condition.op!r})"
        )


def check_providers(
    checker: Checker, model: Ruleset, providers: Mapping[str, FactProvider[Any]]
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
                    f"missing record set for role {role!r} of provider {shown(spec.provider)} "
                    f"(it reads {', '.join(roles)})",
                )
        for role, record_set in spec.records.items():
            if role not in roles:
                checker.add(
                    (*path, role),
                    f"unknown role {shown(role)}{did_you_mean(role, list(roles))} of provider "
                    f"{shown(spec.provider)} (it reads {', '.join(roles)})",
                )
                continue
            if record_set not in record_sets:
                checker.add(
                    (*path, role),
                    f"unknown record set {shown(record_set)}"
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
                        f"record set {shown(record_set)} is read as {first[1]} too, where column "
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
                f"unknown provider table {shown(fact.derived.provider)}"
                f"{did_you_mean(fact.derived.provider, known)} (expected a name declared "
                f"under [providers]: {listed(known) or 'none'})",
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
                f"unknown output {shown(fact.derived.output)}"
                f"{did_you_mean(fact.derived.output, list(outputs))} of provider "
                f"{shown(table.provider)} (it derives {', '.join(outputs)})",
            )
        elif output.type != fact.type:
            checker.add(
                ("facts", fact_name, "type"),
                f"expected {output.type}, the type of output {shown(fact.derived.output)} of "
                f"provider {shown(table.provider)} (got {fact.type})",
            )


def check_appraisal(checker: Checker, model: Ruleset) -> None:
    """What a campaign reads of the ruleset: ``[appraisal.survey]`` rules name survey
    criteria, ``evidence`` rules sit on scored criteria."""
    tree = list(model.tree())
    surveys = sorted(
        placed.node.id
        for placed in tree
        if isinstance(placed.node, Criterion) and placed.node.kind == SURVEY_KIND
    )
    for criterion in model.appraisal.survey if model.appraisal else {}:
        if criterion not in surveys:
            checker.add(
                ("appraisal", "survey", criterion),
                f"expected a survey criterion (kind {SURVEY_KIND}: {', '.join(surveys)})",
            )
    for placed in tree:
        node = placed.node
        if isinstance(node, Criterion) and node.evidence is not None and not node.is_leaf:
            checker.add((*placed.path, "evidence"), "expected on scored criteria only")
