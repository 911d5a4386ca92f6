"""Whole evaluations against their golden outputs (``tests/evaluations``): published
arithmetic (``[scoring]``) case by case, as the command line prints it.

Outputs are written by ``tests/evaluations/regenerate.py``; a failure here means either a
regression or an intended change whose goldens need regenerating (and reviewing).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import ModuleType

import pytest

CASES = Path(__file__).resolve().parents[1] / "evaluations"
DOCS = Path(__file__).resolve().parents[2] / "docs"
HINT = "run tests/evaluations/regenerate.py and review the diff"


def _regenerate_module() -> ModuleType:
    # the script is not a package module; load it by path so test and script share
    # one definition of the golden outputs
    spec = importlib.util.spec_from_file_location("evaluation_regenerate", CASES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _regenerate_module()


def test_the_issue_cases_are_here() -> None:
    names = {case.name for case in regenerate.cases()}
    assert {
        "half_up_boundaries",
        "three_decimals",
        "rank_displayed_ties",
        "total_only_survey",
        "published_example",
    } <= names


@pytest.mark.parametrize("case", regenerate.cases(), ids=lambda p: p.name)
def test_evaluation_matches_its_golden_outputs(case: Path) -> None:
    for path, text in regenerate.outputs(case).items():
        assert path.exists(), f"no {path.relative_to(CASES)}; {HINT}"
        assert text == path.read_text(encoding="utf-8"), f"{path.relative_to(CASES)}: {HINT}"


def _lines(text: str) -> str:
    # Markdown editors strip trailing spaces (the terminal pads table titles with them).
    return "\n".join(line.rstrip() for line in text.splitlines())


def test_the_published_example_in_the_docs_is_its_golden_output() -> None:
    # The docs show the units and the table exactly as the command prints them.
    case = CASES / "published_example"
    for doc in (DOCS / "ruleset-format.md", DOCS / "decisions" / "0021-published-arithmetic.md"):
        text = _lines(doc.read_text(encoding="utf-8"))
        for name in ("units.csv", "evaluate.en.txt"):
            assert _lines((case / name).read_text(encoding="utf-8")) in text, f"{doc.name}: {name}"


def test_a_total_rounded_once_is_reproduced_from_the_points_written() -> None:
    # An auditor with only the CSV: the criteria's points as written (working precision)
    # add up, rounded half-up once, to the published total; rounding each criterion first
    # would have given another total.
    rows = list(
        csv.DictReader(
            io.StringIO((CASES / "total_only_survey" / "evaluate.csv").read_text("utf-8"))
        )
    )
    differs = False
    for row in rows:
        points = [Decimal(v) for k, v in row.items() if re.fullmatch(r"[AS][0-9.]+", k) and v]
        assert len(points) == 42
        total = sum(points, Decimal(0))
        assert total.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal(row["total"])
        each = sum((p.quantize(Decimal("0.01"), ROUND_HALF_UP) for p in points), Decimal(0))
        differs |= each != Decimal(row["total"])
    assert differs
