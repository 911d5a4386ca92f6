"""The benchmark keeps running: a smoke size in the suite, the real sizes on demand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(workdir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--workdir", str(workdir), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_benchmark_smoke_size_agrees_and_reports(tmp_path: Path) -> None:
    # Agreement of the engine with both baselines on every unit is checked inside.
    report = run_benchmark(tmp_path, "--sizes", "3000", "--runs", "1")
    for contender in ("| engine |", "| engine-inmemory |", "| vectorised |", "| loop |"):
        assert contender in report


@pytest.mark.slow
def test_benchmark_at_100k(tmp_path: Path) -> None:
    print(run_benchmark(tmp_path, "--sizes", "100000", "--runs", "3"))
