"""The author's kit itself: it binds, scores and explains a case as a run would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cchc_rules.scoring._builtin import DeadlineSteps
from cchc_rules.testing import load_bad_params, load_cases, run_golden

STEPS = (
    'params = { days_late = "days", done = "done", steps = ['
    '{ max_days_late = 15, points = 1, when = "rescheduled_formally" }, '
    "{ max_days_late = 30, points = 0.5 }] }"
)


def _case_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deadline_steps.toml"
    path.write_text('kind = "deadline_steps"\n' + textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_conditional_step_is_bound_and_decides_the_case(tmp_path: Path) -> None:
    # The kit once bound kinds without their conditions: KeyError 'steps.0.when'.
    path = _case_file(
        tmp_path,
        f"""
        [[case]]
        name = "rescheduled formally: the first step counts"
        max_points = 1.5
        {STEPS}
        facts = {{ days = 10, done = true, rescheduled_formally = true }}
        points = 1
        reason = "late_step"

        [[case]]
        name = "not rescheduled: the unit falls to the next step"
        max_points = 1.5
        {STEPS}
        facts = {{ days = 10, done = true, rescheduled_formally = false }}
        points = 0.5
        reason = "late_step"
        """,
    )
    cases = load_cases(path)
    assert len(cases) == 2
    for case in cases:
        run_golden(DeadlineSteps, case)


def test_a_condition_naming_no_fact_of_the_case_is_refused_where_it_is_written(
    tmp_path: Path,
) -> None:
    path = _case_file(
        tmp_path,
        """
        [[bad_params]]
        name = "a condition on an unknown fact"
        max_points = 1.5
        params = { days_late = "days", steps = [{ max_days_late = 15, points = 1, when = "nope" }] }
        error_path = "steps.0.when"
        error_contains = "nope"
        """,
    )
    [case] = load_bad_params(path)
    run_golden(DeadlineSteps, case)


def test_points_render_as_users_read_them(tmp_path: Path) -> None:
    # max_points = 1.50 once rendered "1.50" in the kit where explanations show 1.5.
    path = _case_file(
        tmp_path,
        """
        [[case]]
        name = "written with a trailing zero"
        max_points = 1.50
        params = { days_late = "days", steps = [{ max_days_late = 15, points = 1.00 }] }
        facts = { days = 1 }
        points = 1
        reason = "late_step"
        text_en = "Done 1 day(s) late (up to 15 days late earns 1 of 1.5 points)"
        hint_en = "Finish on time to get the full 1.5 points"
        """,
    )
    [case] = load_cases(path)
    run_golden(DeadlineSteps, case)


def test_a_wrong_expected_text_still_fails(tmp_path: Path) -> None:
    path = _case_file(
        tmp_path,
        """
        [[case]]
        name = "the zero the kit must not show"
        max_points = 1.50
        params = { days_late = "days", steps = [{ max_days_late = 15, points = 1 }] }
        facts = { days = 1 }
        points = 1
        reason = "late_step"
        hint_en = "Finish on time to get the full 1.50 points"
        """,
    )
    [case] = load_cases(path)
    with pytest.raises(AssertionError, match=r"1\.5 points"):
        run_golden(DeadlineSteps, case)


def _without(module: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing ``module`` fails."""
    script = f"import sys\nsys.modules[{module!r}] = None\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )


def test_without_hypothesis_the_golden_runners_work_and_strategies_name_the_extra() -> None:
    result = _without(
        "hypothesis",
        """
        from cchc_rules.testing import run_golden, load_cases
        try:
            from cchc_rules.testing import fact_columns
        except ImportError as exc:
            print(exc)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'cchc-rules[testing]'" in result.stdout
    assert "hypothesis" in result.stdout


def test_without_pytest_case_params_name_the_extra(tmp_path: Path) -> None:
    result = _without(
        "pytest",
        f"""
        from cchc_rules.testing import kind_case_params
        try:
            kind_case_params({str(tmp_path)!r}, [])
        except ImportError as exc:
            print(exc)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'cchc-rules[testing]'" in result.stdout
    assert "pytest" in result.stdout
