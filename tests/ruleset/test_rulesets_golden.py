"""Whole rulesets against their golden files (``tests/rulesets``).

Outputs are written by ``tests/rulesets/regenerate.py``; a failure here means either a
regression or an intended change whose goldens need regenerating (and reviewing).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from cchc_rules import KindRegistry

CASES = Path(__file__).resolve().parents[1] / "rulesets"


def _regenerate_module() -> ModuleType:
    # the script is not a package module; load it by path so test and script share
    # one definition of the golden formats
    spec = importlib.util.spec_from_file_location("rulesets_regenerate", CASES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _regenerate_module()
VALID = sorted((CASES / "valid").glob("*.toml"))
INVALID = sorted((CASES / "invalid").glob("*.toml"))
HINT = "run tests/rulesets/regenerate.py and review the diff"


@pytest.fixture(scope="module")
def registry() -> KindRegistry:
    return regenerate.builtin_registry()


def test_there_are_cases() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_ruleset_matches_resolved_json(path: Path, registry: KindRegistry) -> None:
    golden = path.with_suffix(".resolved.json")
    assert golden.exists(), f"no {golden.name}; {HINT}"
    actual = regenerate.resolved_text(path, registry)
    assert actual == golden.read_text(encoding="utf-8"), HINT


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_resolved_hash_is_the_hash_of_the_resolved_content(path: Path) -> None:
    # an auditor holding only the resolved JSON can recompute the published hash
    golden = json.loads(path.with_suffix(".resolved.json").read_text(encoding="utf-8"))
    canonical = json.dumps(
        golden["ruleset"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == golden["content_hash"]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_ruleset_gives_exact_error(path: Path, registry: KindRegistry) -> None:
    golden = path.with_suffix(".error.txt")
    assert golden.exists(), f"no {golden.name}; {HINT}"
    actual = regenerate.error_text(path, registry)
    assert actual == golden.read_text(encoding="utf-8"), HINT


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_every_problem_is_located_and_sorted(path: Path) -> None:
    lines = path.with_suffix(".error.txt").read_text(encoding="utf-8").splitlines()
    assert lines
    numbers = []
    for line in lines:
        where = line.split(": ", 1)[0]
        if where == f"invalid/{path.name}":
            # only a table missing from the whole file has no line to point at
            assert line.endswith(": missing required table"), f"problem without a line: {line}"
            numbers.append(0)
            continue
        assert where.startswith(f"invalid/{path.name}:"), line
        numbers.append(int(where.split(":")[1]))
    # problems come sorted by line so a user can work top to bottom
    assert numbers == sorted(numbers)
