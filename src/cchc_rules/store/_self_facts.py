"""Self-assessed facts: a units file checked against its campaign, into one event's payload.

A unit may self-assess with facts instead of points (docs/decisions/0033): a units file
(CSV, XLSX, JSON, Parquet; read by the units reader, so the units file's formats and
checks apply) whose rows replace, for the facts it gives, the opening units file's
facts of the units in it. The engine scores them into the unit's self-points wherever
the unit did not self-assess a criterion in points. The file may carry a ``campaign``
column: each of its cells must name the campaign.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cchc_rules._diagnostics import did_you_mean
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._fact_checks import check_facts
from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import FactValue
from cchc_rules.scoring._engine import with_computed_facts
from cchc_rules.store._db import sha256_hex
from cchc_rules.store._imports import Change, Prepared
from cchc_rules.store._scoring import Bound, SelfFacts, read_self_facts, with_self_facts
from cchc_rules.store._state import SELF_FACTS

__all__ = ["prepare_self_facts"]


def _shown(value: FactValue) -> str:
    return "missing" if value is None else str(value)


def _identity_problems(read: SelfFacts, name: str, bound: Bound) -> list[Problem]:
    """The file's campaign cells, unit ids, unit types and names against the campaign's."""
    table, opening, campaign = read.units, bound.opening, bound.state.name
    problems = [
        Problem(
            name,
            int(table.rows[i]),
            "campaign",
            f"this file is for campaign {named!r}, not {campaign!r}",
        )
        for i, named in enumerate(read.campaigns)
        if named and named != campaign
    ]
    known = {unit: i for i, unit in enumerate(opening.unit_ids.to_pylist())}
    for index in range(len(table)):
        unit, row = table.unit_id(index), int(table.rows[index])
        at = known.get(unit)
        if at is None:
            close = did_you_mean(unit, list(known))
            problems.append(
                Problem(name, row, "unit_id", f"no unit {unit!r} in campaign {campaign!r}{close}")
            )
            continue
        # The campaign's units are fixed when it opens: a facts file names them as they are.
        for column, given, held in (
            ("unit_type", str(table.unit_types[index]), str(opening.unit_types[at])),
            ("name", table.name(index), opening.name(at)),
        ):
            if given != held:
                problems.append(
                    Problem(
                        name,
                        row,
                        column,
                        f"expected {held!r}, the {column} of {unit} in campaign "
                        f"{campaign!r} (got {given!r})",
                    )
                )
    return problems


def _checked(after: UnitTable, read: SelfFacts, name: str, bound: Bound) -> tuple[str, ...]:
    """The ruleset's checks between facts on the file's units as they would score; an
    ``error`` check refuses the file, located at its rows; warnings are returned."""
    positions = {unit: i for i, unit in enumerate(after.unit_ids.to_pylist())}
    index = np.array([positions[read.units.unit_id(i)] for i in range(len(read.units))], np.intp)
    mine = dataclasses.replace(after.take(index), source=name, rows=read.units.rows)
    batch = with_computed_facts(bound.ruleset, mine.batch(), mine)
    return tuple(w.located() for w in check_facts(bound.ruleset, mine, batch))


def prepare_self_facts(content: bytes, name: str, bound: Bound) -> Prepared:
    """A units file of self-assessed facts checked against the campaign (see the module)."""
    if bound.ruleset.providers:
        # Its derived facts come from the record sets stored at the opening; a units file
        # cannot give them, and the units reader would ask for their columns.
        message = (
            f"self-assessed facts are not supported yet for {bound.ruleset.ref}, whose "
            "facts are partly derived from record sets: self-assess in points"
        )
        raise InputError([Problem(name, None, "", message)])
    read = read_self_facts(content, name, bound.ruleset)
    problems = _identity_problems(read, name, bound)
    if problems:
        raise InputError(problems)
    units = [read.units.unit_id(i) for i in range(len(read.units))]
    # A unit's new file replaces its earlier one whole: facts the earlier file gave and
    # this one does not go back to the opening file's.
    # Only the file's units are read from ``after``.
    after = with_self_facts(bound.opening, dict.fromkeys(units, read))
    warnings = _checked(after, read, name, bound)
    positions = {unit: i for i, unit in enumerate(after.unit_ids.to_pylist())}
    changes = []
    for unit in sorted(units):
        at = positions[unit]
        for fact, spec in bound.ruleset.model.facts.items():
            if spec.computed:
                continue
            old, new = bound.units.facts[fact].value(at), after.facts[fact].value(at)
            if old != new:
                changes.append(Change(unit, fact, _shown(old), _shown(new)))
    payload = {
        "campaign": bound.state.name,
        "source": {"name": name, "sha256": sha256_hex(content)},
        "units": sorted(units),
        "facts": list(read.facts),
    }
    return Prepared(SELF_FACTS, payload, tuple(changes), warnings)
