"""Tests of the evaluation_quota kind, written with the author's kit of cchc-rules.

The file name is unique on purpose: pytest imports test modules of folders without
``__init__.py`` by their base name, and the host repository collects these tests
beside its own.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cchc_plugin_example import EvaluationQuota
from hypothesis import given
from hypothesis import strategies as st

from cchc_rules.kinds import CriterionInfo, CriterionKind
from cchc_rules.testing import (
    assert_consistent,
    batches,
    criteria,
    fact_columns,
    kind_case_params,
    load_cases,
    run_golden,
)

# Relative to this file, not to the working directory: pytest may run from the
# plugin's folder or from the host repository's root.
CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize(("kind_class", "case"), kind_case_params(CASES, [EvaluationQuota]))
def test_golden(kind_class: type[CriterionKind[Any]], case: Any) -> None:
    run_golden(kind_class, case)


def test_every_reason_has_a_golden_case() -> None:
    covered = {case.reason for case in load_cases(CASES / "evaluation_quota.toml")}
    assert {reason.code for reason in EvaluationQuota.reasons} <= covered


def _counts(size: int) -> st.SearchStrategy[Any]:
    # Head counts from none to far beyond int64-safe products, so both the int64 and
    # the Python-integer comparison are exercised.
    return st.one_of(
        fact_columns("integer", size, min_value=0, max_value=40),
        fact_columns("integer", size, min_value=0, max_value=2**62),
    )


@given(
    criterion=criteria(),
    quota=st.decimals(min_value=0, max_value=100, places=2),
    policy=st.sampled_from(["not_applicable", "full_points"]),
    batch=batches({"xs": _counts, "tot": _counts}, max_size=10),
)
def test_batch_and_unit_paths_agree(
    criterion: CriterionInfo, quota: Decimal, policy: str, batch: Any
) -> None:
    params = {
        "excellent": "xs",
        "good_or_better": "tot",
        "quota_percent": quota,
        "zero_denominator": policy,
    }
    kind = EvaluationQuota(EvaluationQuota.Params.model_validate(params), criterion)
    for score in assert_consistent(kind, batch):
        assert score.points in (0, criterion.max_points)
