"""Checking an import file against its campaign, into the payload of one event.

Three imports, one long format each (docs/campaigns.md):

- self-assessment: ``unit_id, criterion_id, points`` and per evidence item
  ``evidence_number, evidence_date, evidence_title, evidence_ref`` — one row per item,
  the points repeated on each; a criterion without evidence is one row with the
  evidence cells empty;
- appraisal: ``unit_id, criterion_id, points, reason``;
- survey: ``unit_id, criterion_id`` and ``score`` (one row per unit and criterion) or
  ``answer`` (one row per respondent, aggregated by the ruleset's ``[appraisal.survey]``).

Any file may carry a ``campaign`` column: each of its cells must name the campaign.
Every problem is collected, located ``file:row: column: …``; one problem and nothing is
imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from cchc_rules._diagnostics import did_you_mean
from cchc_rules.errors import InputError, Problem
from cchc_rules.kinds import number_text, round_fraction
from cchc_rules.ruleset._compiled import Leaf
from cchc_rules.store._db import sha256_hex
from cchc_rules.store._files import ImportFile, cell_date, cell_decimal
from cchc_rules.store._scoring import (
    SURVEY_KIND,
    Bound,
    CampaignScorecards,
    survey_fact,
    survey_scale,
)
from cchc_rules.store._state import (
    APPRAISED,
    SELF_ASSESSED,
    SURVEYED,
    Evidence,
    Key,
)

__all__ = ["Change", "Prepared", "prepare_appraisal", "prepare_self_assessment", "prepare_survey"]

EVIDENCE_COLUMNS = {
    "evidence_number": "number",
    "evidence_date": "date",
    "evidence_title": "title",
    "evidence_ref": "ref",
}


@dataclass(frozen=True)
class Change:
    """What an import changes for one unit and criterion."""

    unit: str
    criterion: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.unit} {self.criterion}: {self.before} → {self.after}"


@dataclass(frozen=True)
class Prepared:
    """A checked import: the event to write, what it changes, what to warn about."""

    kind: str
    payload: dict[str, Any]
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]


class _Rows:
    """The checks every import shares, collecting problems as they are found."""

    def __init__(self, file: ImportFile, bound: Bound) -> None:
        self.file = file
        self.bound = bound
        self.problems: list[Problem] = []
        units = bound.units
        self.unit_types = {units.unit_id(i): str(units.unit_types[i]) for i in range(len(units))}
        self.leaves = {leaf.criterion.id: leaf for leaf in bound.ruleset.leaves}

    def add(self, row: int | None, column: str, message: str) -> None:
        self.problems.append(self.file.problem(row, column, message))

    def campaign(self, row: int, cells: dict[str, str]) -> None:
        named = cells.get("campaign", "")
        if named and named != self.bound.state.name:
            self.add(
                row,
                "campaign",
                f"this file is for campaign {named!r}, not {self.bound.state.name!r}",
            )

    def unit(self, row: int, cells: dict[str, str]) -> str | None:
        unit = cells["unit_id"]
        if unit in self.unit_types:
            return unit
        close = did_you_mean(unit, list(self.unit_types))
        self.add(
            row,
            "unit_id",
            f"no unit {unit!r} in campaign {self.bound.state.name!r}{close}"
            if unit
            else "expected a unit id (got none)",
        )
        return None

    def leaf(self, row: int, cells: dict[str, str], unit: str | None) -> Leaf | None:
        criterion = cells["criterion_id"]
        leaf = self.leaves.get(criterion)
        if leaf is None:
            self.add(row, "criterion_id", self._unknown(criterion))
            return None
        if unit is not None and leaf.applies_to is not None:
            unit_type = self.unit_types[unit]
            if unit_type not in leaf.applies_to:
                self.add(
                    row,
                    "criterion_id",
                    f"{criterion} does not apply to unit {unit} (unit type {unit_type}; "
                    f"it applies to {', '.join(sorted(leaf.applies_to))})",
                )
                return None
        return leaf

    def _unknown(self, criterion: str) -> str:
        model = self.bound.ruleset.model
        if not criterion:
            return "expected a criterion id (got none)"
        for entry in model.lineage or ():
            if criterion in entry.old and criterion not in self.leaves:
                into = ", ".join(entry.new) or "nothing"
                return (
                    f"{criterion} was {entry.change} in {model.ruleset.family}@{entry.version} "
                    f"(now: {into}); campaign {self.bound.state.name!r} scores "
                    f"{model.ref}"
                )
        groups = {placed.node.id for placed in model.tree() if placed.node.id not in self.leaves}
        if criterion in groups:
            return f"{criterion} is an area or group: give its scored sub-criteria"
        close = did_you_mean(criterion, list(self.leaves))
        return f"no scored criterion {criterion!r} in {model.ref}{close}"

    def points(self, row: int, text: str, leaf: Leaf, column: str = "points") -> Decimal | None:
        """Points of ``leaf``: between 0 and its maximum, in the ruleset's steps."""
        maximum = leaf.criterion.max_points
        step = Decimal(1) / self.bound.ruleset.scale
        value = cell_decimal(text) if text else None
        if value is None:
            self.add(
                row, column, f"expected points from 0 to {number_text(maximum)} (got {text!r})"
            )
            return None
        if value < 0 or value > maximum:
            self.add(
                row,
                column,
                f"expected points from 0 to {number_text(maximum)}, the maximum of "
                f"{leaf.criterion.id} (got {text})",
            )
            return None
        if value % step:
            self.add(
                row,
                column,
                f"expected points in steps of {number_text(step)}, the ruleset's precision "
                f"(got {text})",
            )
            return None
        return value.normalize() if value else Decimal(0)

    def done(self) -> None:
        if self.problems:
            raise InputError(sorted(self.problems, key=lambda p: (p.line or 0, p.path)))


def _payload(file: ImportFile, bound: Bound, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "campaign": bound.state.name,
        "source": {"name": file.name, "sha256": sha256_hex(file.content)},
        "rows": sorted(rows, key=lambda r: (r["unit"], r["criterion"])),
    }


def _changes(
    rows: list[dict[str, Any]], before: Callable[[Key], str], after: Callable[[dict[str, Any]], str]
) -> tuple[Change, ...]:
    changes = []
    for row in sorted(rows, key=lambda r: (r["unit"], r["criterion"])):
        key = (row["unit"], row["criterion"])
        old, new = before(key), after(row)
        if old != new:
            changes.append(Change(key[0], key[1], old, new))
    return tuple(changes)


def _describe_self(points: Decimal | str, evidence: int) -> str:
    return f"{number_text(Decimal(points))} points, {evidence} evidence item(s)"


def prepare_self_assessment(file: ImportFile, bound: Bound) -> Prepared:
    """A self-assessment file checked against the campaign (see the module's formats)."""
    checks = _Rows(file, bound)
    problems = file.check_columns(
        ("unit_id", "criterion_id", "points"), ("campaign", *EVIDENCE_COLUMNS)
    )
    if problems:
        raise InputError(problems)
    claims: dict[Key, dict[str, Any]] = {}
    first_row: dict[Key, int] = {}
    for row, cells in file.rows:
        checks.campaign(row, cells)
        unit = checks.unit(row, cells)
        leaf = checks.leaf(row, cells, unit)
        if leaf is not None and type(leaf.kind).name == SURVEY_KIND:
            checks.add(
                row,
                "criterion_id",
                f"{leaf.criterion.id} is scored from the survey: import it with "
                "'cchc campaign survey'",
            )
            leaf = None
        points = checks.points(row, cells["points"], leaf) if leaf is not None else None
        evidence = _evidence(checks, row, cells)
        if unit is None or leaf is None or points is None:
            continue
        key = (unit, leaf.criterion.id)
        claim = claims.setdefault(
            key, {"unit": unit, "criterion": leaf.criterion.id, "points": points, "evidence": []}
        )
        first_row.setdefault(key, row)
        if claim["points"] != points:
            checks.add(
                row,
                "points",
                f"{unit} {leaf.criterion.id} has {number_text(claim['points'])} points on row "
                f"{first_row[key]} and {number_text(points)} here: repeat the same points on "
                "every evidence row",
            )
        if evidence is not None:
            claim["evidence"].append(evidence.to_json())
    checks.done()
    rows = list(claims.values())
    warnings = []
    changes = []
    for claim in sorted(rows, key=lambda c: (c["unit"], c["criterion"])):
        key = (claim["unit"], claim["criterion"])
        rule = bound.ruleset.leaf(key[1]).criterion.evidence
        count = len(claim["evidence"])
        if rule and rule.required and claim["points"] > 0 and count < rule.min_items:
            warnings.append(
                f"{key[0]} {key[1]}: {number_text(claim['points'])} points with {count} "
                f"evidence item(s); the criterion requires {rule.min_items} "
                f"({_missing_rule(bound)})"
            )
        old = bound.state.self_scores.get(key)
        after = _describe_self(claim["points"], count)
        if old is None:
            changes.append(Change(*key, "none", after))
        elif (
            old.points != claim["points"]
            or [e.to_json() for e in old.evidence] != claim["evidence"]
        ):
            before = _describe_self(old.points, len(old.evidence))
            changes.append(Change(*key, before, after if before != after else after + ", edited"))
    return Prepared(SELF_ASSESSED, _payload(file, bound, rows), tuple(changes), tuple(warnings))


def _missing_rule(bound: Bound) -> str:
    appraisal = bound.ruleset.model.appraisal
    if appraisal is not None and appraisal.missing_evidence == "zero":
        return "the ruleset scores it 0 unless appraised: no_evidence"
    return "the ruleset keeps the points with a warning"


def _evidence(checks: _Rows, row: int, cells: dict[str, str]) -> Evidence | None:
    values = {field: cells.get(column, "") for column, field in EVIDENCE_COLUMNS.items()}
    if not any(values.values()):
        return None
    if values["date"]:
        found = cell_date(values["date"])
        if found is None:
            checks.add(
                row,
                "evidence_date",
                f"expected a date as YYYY-MM-DD or DD/MM/YYYY (got {values['date']!r})",
            )
        else:
            values["date"] = found.isoformat()
    if not values["title"] and not values["ref"]:
        checks.add(
            row,
            "evidence_title",
            "expected the document's title or its file name or URL (evidence_ref) (got neither)",
        )
    return Evidence(**{k: v or None for k, v in values.items()})


def prepare_appraisal(file: ImportFile, bound: Bound, cards: CampaignScorecards) -> Prepared:
    """An appraisal file checked against the campaign: a reason wherever the appraised
    points differ from the self-score; while appealing, only units that appealed."""
    checks = _Rows(file, bound)
    problems = file.check_columns(("unit_id", "criterion_id", "points"), ("campaign", "reason"))
    if problems:
        raise InputError(problems)
    state = bound.state
    rows: dict[Key, dict[str, Any]] = {}
    for row, cells in file.rows:
        checks.campaign(row, cells)
        unit = checks.unit(row, cells)
        if unit is not None and state.state == "appealing" and unit not in state.open_appeals:
            appealed = ", ".join(sorted(state.open_appeals))
            checks.add(
                row,
                "unit_id",
                f"{unit} has not appealed: while appealing only appealed units are "
                f"re-appraised ({appealed})",
            )
            unit = None
        leaf = checks.leaf(row, cells, unit)
        points = checks.points(row, cells["points"], leaf) if leaf is not None else None
        if unit is None or leaf is None or points is None:
            continue
        key = (unit, leaf.criterion.id)
        found = cards.assessment(*key)
        reason = cells.get("reason", "")
        if found.self_points is None:
            checks.add(row, "criterion_id", f"{leaf.criterion.id} does not apply to unit {unit}")
            continue
        if points != found.self_points and not reason:
            checks.add(
                row,
                "reason",
                f"expected the reason why {unit} {leaf.criterion.id} is appraised "
                f"{number_text(points)}, not its self-score {number_text(found.self_points)} "
                "(got none)",
            )
        if key in rows:
            checks.add(row, "criterion_id", f"{unit} {leaf.criterion.id} is appraised twice")
        rows[key] = {
            "unit": unit,
            "criterion": leaf.criterion.id,
            "points": points,
            "reason": reason or None,
        }
    checks.done()

    def before(key: Key) -> str:
        old = state.appraisals.get(key)
        return "not appraised" if old is None else _describe_appraisal(old.points, old.reason)

    def after(row: dict[str, Any]) -> str:
        return _describe_appraisal(row["points"], row["reason"])

    listed = list(rows.values())
    return Prepared(APPRAISED, _payload(file, bound, listed), _changes(listed, before, after), ())


def _describe_appraisal(points: Decimal | str, reason: str | None) -> str:
    return f"{number_text(Decimal(points))}" + (f" ({reason})" if reason else "")


def prepare_survey(file: ImportFile, bound: Bound) -> Prepared:
    """A survey file checked against the campaign: a score per unit and survey criterion,
    or raw answers aggregated by the rule the ruleset declares for the criterion."""
    checks = _Rows(file, bound)
    raw = "answer" in file.columns
    value_column = "answer" if raw else "score"
    problems = file.check_columns(("unit_id", "criterion_id", value_column), ("campaign",))
    if problems:
        raise InputError(problems)
    appraisal = bound.ruleset.model.appraisal
    rules = appraisal.survey if appraisal is not None else {}
    answers: dict[Key, list[Fraction]] = defaultdict(list)
    rows: dict[Key, dict[str, Any]] = {}
    for row, cells in file.rows:
        checks.campaign(row, cells)
        unit = checks.unit(row, cells)
        leaf = checks.leaf(row, cells, unit)
        if leaf is not None and type(leaf.kind).name != SURVEY_KIND:
            surveys = [
                c for c, found in checks.leaves.items() if type(found.kind).name == SURVEY_KIND
            ]
            checks.add(
                row,
                "criterion_id",
                f"{leaf.criterion.id} is not a survey criterion (survey criteria: "
                f"{', '.join(surveys) or 'none'})",
            )
            leaf = None
        if leaf is not None and raw and leaf.criterion.id not in rules:
            checks.add(
                row,
                "answer",
                f"{leaf.criterion.id} declares no rule for raw answers: import a score, or "
                f"declare [appraisal.survey.{leaf.criterion.id}] in the ruleset",
            )
            leaf = None
        if unit is None or leaf is None:
            continue
        value = _score(checks, row, value_column, cells[value_column], leaf)
        if value is None:
            continue
        key = (unit, leaf.criterion.id)
        if raw:
            answers[key].append(value)
            continue
        if key in rows:
            checks.add(row, "criterion_id", f"{unit} {leaf.criterion.id} has two scores")
        exact = _at_fact_precision(checks, row, leaf, value, cells[value_column])
        if exact is not None:
            rows[key] = {"unit": unit, "criterion": leaf.criterion.id, "score": exact}
    for key, given in answers.items():
        leaf = bound.ruleset.leaf(key[1])
        rule = rules[key[1]]
        scale = Fraction(survey_scale(leaf))
        if rule.answers == "mean":
            score = sum(given, Fraction(0)) / len(given)
        else:
            assert rule.satisfied_from is not None
            satisfied = sum(1 for a in given if a >= Fraction(rule.satisfied_from))
            score = scale * satisfied / len(given)
        rows[key] = {
            "unit": key[0],
            "criterion": key[1],
            "score": round_fraction(score, _fact_scale(bound, leaf)),
            "respondents": len(given),
        }
    checks.done()
    state = bound.state

    def before(key: Key) -> str:
        old = state.surveys.get(key)
        return "no survey" if old is None else number_text(old.score)

    def after(row: dict[str, Any]) -> str:
        return number_text(row["score"])

    listed = list(rows.values())
    return Prepared(SURVEYED, _payload(file, bound, listed), _changes(listed, before, after), ())


def _fact_scale(bound: Bound, leaf: Leaf) -> int:
    return bound.ruleset.model.facts[survey_fact(leaf)].scale


def _score(checks: _Rows, row: int, column: str, text: str, leaf: Leaf) -> Fraction | None:
    top = survey_scale(leaf)
    value = cell_decimal(text)
    if value is None or value < 0 or value > top:
        checks.add(row, column, f"expected a number from 0 to {number_text(top)} (got {text!r})")
        return None
    return Fraction(value)


def _at_fact_precision(
    checks: _Rows, row: int, leaf: Leaf, value: Fraction, text: str
) -> Decimal | None:
    scale = _fact_scale(checks.bound, leaf)
    if (value * scale).denominator != 1:
        checks.add(
            row,
            "score",
            f"expected a score in steps of {number_text(Decimal(1) / scale)}, the precision of "
            f"the fact {survey_fact(leaf)} (got {text})",
        )
        return None
    return Decimal(int(value * scale)) / scale
