"""The record-set benchmark runs end to end at a tiny size, and both sides agree."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str) -> ModuleType:
    # benchmarks/ is not a package: load the scripts the way `python benchmarks/…` runs them.
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_records_benchmark_derives_what_the_baseline_computes(tmp_path: Path) -> None:
    generator = _script("generate_records")
    bench = _script("records_bench")
    generator.generate(tmp_path, roster=500, documents=5_000, units=7, chunk=2_000, seed=1)
    assert bench.rows(tmp_path) > 5_000
    ours, baseline = bench.run_cchc(tmp_path), bench.run_baseline(tmp_path)
    assert ours["facts"] == baseline["facts"]
    assert len(ours["facts"]) == 7 and all(sent > 0 for _, sent, _, _ in ours["facts"])
