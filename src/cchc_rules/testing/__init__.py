"""The author's kit: golden cases and property checks for criterion kinds.

Golden cases live in one TOML file per kind::

    kind = "flag"
    points_decimals = 2                  # optional, default 2; a case may override it

    [[case]]
    name = "true is full points"
    max_points = 1
    params = { fact = "plan_issued" }
    facts = { plan_issued = true }
    fact_types = { plan_issued = "boolean" }   # optional, inferred from the values
    points = 1
    reason = "met"
    text_en = "The criterion's requirement is met"   # optional: the rendered explanation

    [[bad_params]]
    name = "unknown key"
    params = { fact = "x", good = true }
    error_path = "good"
    error_contains = "unknown"

A case either expects a score (``points`` and ``reason``, ``applicable = false`` for a
unit the kind drops) or refused input (``input_error = "substring of the message"``).
Facts the kind reads but the case leaves out are missing: the engine applies the
case's ``when_missing`` (``"zero"``, the default, or ``"not_applicable"``; reasons
``missing_zero`` / ``missing_not_applicable``) unless the fact is optional or the kind
decides the unit without it (``decided_without``). Fact types are inferred: ``true`` →
boolean, ``3`` → integer, ``2.50`` → decimal with 2 digits, ``"…"`` → text,
``2024-01-31`` → date.

A plugin's whole golden test::

    import pytest
    from cchc_rules.testing import kind_case_params, run_golden
    from my_plugin import MyKind

    @pytest.mark.parametrize(("kind_class", "case"), kind_case_params("tests/cases", [MyKind]))
    def test_golden(kind_class, case): run_golden(kind_class, case)

A case runs as a run would score its unit: the parameters bound by the ruleset
loader's own binding (conditions such as ``steps[].when`` included; the case's facts are
the facts they may read), the unit scored by the engine, the reason rendered by the
scorecards (``1.5``, never ``1.50``).

For property tests, :func:`fact_columns` and :func:`batches` draw exact fact columns
and :func:`assert_consistent` checks that the batch and unit paths agree, stay within
bounds and do not depend on the order of units.

Fact providers have golden cases too, one TOML file per provider (records in, derived
facts and evidence out; bad records in, located errors out)::

    provider = "rotation_compliance"
    period = 2020                            # the evaluation year (1 Jan – 31 Dec)

    [[case]]
    name = "due on the last day of the period"
    params = { periods = { TT = 3 } }
    units = ["U1"]
    records.roster = [
        { person_id = "P1", unit_id = "U1", position_code = "TT", position_start = 2017-12-31 },
    ]
    records.rotating_positions = [{ position_code = "TT" }]
    expect.U1 = { due = 1, rotated = 0 }
    evidence.U1 = ["P1"]                     # substrings of the English evidence lines

    [[bad_records]]
    name = "a date out of order"
    ...
    error = "deferrals:2: ends_on: expected a date on or after starts_on"

:func:`provider_case_params` and :func:`run_provider_golden` run them;
:func:`derive_records` derives from in-memory records the way a run does, and
:func:`unit_tables`, :func:`record_sets` and :func:`params_from_model` draw units,
record sets and valid parameters for property tests.

pytest and hypothesis come with the ``testing`` extra (``pip install
'cchc-rules[testing]'``). Without them the golden runners still import; the hypothesis
strategies, and the ``*_case_params`` helpers that build ``pytest.param``, raise an
ImportError naming the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cchc_rules.testing._kind_cases import (
    BadParamsCase,
    KindCase,
    assert_consistent,
    bind,
    check_bad_params,
    kind_case_params,
    load_bad_params,
    load_cases,
    run_case,
    run_golden,
)
from cchc_rules.testing._provider_cases import (
    ProviderCase,
    bind_provider,
    derive_records,
    load_provider_cases,
    provider_case_params,
    record_frame,
    run_provider_golden,
)

if TYPE_CHECKING:
    from cchc_rules.testing._strategies import (
        batches,
        criteria,
        fact_columns,
        params_from_model,
        record_sets,
        unit_tables,
    )

__all__ = [
    "BadParamsCase",
    "KindCase",
    "ProviderCase",
    "assert_consistent",
    "batches",
    "bind",
    "bind_provider",
    "check_bad_params",
    "criteria",
    "derive_records",
    "fact_columns",
    "kind_case_params",
    "load_bad_params",
    "load_cases",
    "load_provider_cases",
    "params_from_model",
    "provider_case_params",
    "record_frame",
    "record_sets",
    "run_case",
    "run_golden",
    "run_provider_golden",
    "unit_tables",
]

# NOTE: imported on first use, so the golden runners work where hypothesis is not
# installed; using a strategy there raises the ImportError naming the extra.
_STRATEGIES = frozenset(
    {"batches", "criteria", "fact_columns", "params_from_model", "record_sets", "unit_tables"}
)


def __getattr__(name: str) -> Any:
    if name in _STRATEGIES:
        return getattr(importlib.import_module("cchc_rules.testing._strategies"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
