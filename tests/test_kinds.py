"""The built-in kinds: golden cases, then properties over random facts and parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cchc_rules._kinds import BUILTIN_KINDS
from cchc_rules.kinds import CriterionKind
from cchc_rules.testing import BadParamsCase, KindCase, kind_case_params, run_golden

CASES = Path(__file__).parent / "cases" / "kinds"


@pytest.mark.parametrize(("kind_class", "case"), kind_case_params(CASES, BUILTIN_KINDS))
def test_golden(kind_class: type[CriterionKind[Any]], case: KindCase | BadParamsCase) -> None:
    run_golden(kind_class, case)
