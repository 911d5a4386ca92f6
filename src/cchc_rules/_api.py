"""The Python API, mirroring the CLI: load a ruleset, evaluate units, explain."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from cchc_rules._aggregate import aggregate
from cchc_rules._engine import DEFAULT_BATCH_SIZE, score_units
from cchc_rules._facts import UnitTable, read_units
from cchc_rules._loading import CompiledRuleset, load_ruleset_file
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules._registry import bundled_rulesets_dir, find_ruleset
from cchc_rules._scorecards import Scorecards

__all__ = [
    "default_registry",
    "demo_units_path",
    "evaluate",
    "evaluate_units",
    "load_ruleset",
]


@cache
def default_registry() -> KindRegistry:
    """Kinds from every installed plugin (entry points), loaded once per process."""
    return load_plugins()


def load_ruleset(
    ruleset: str | Path,
    *,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> CompiledRuleset:
    """Load and validate a ruleset from a TOML path or a ``family@version`` reference."""
    path = find_ruleset(str(ruleset), rulesets_dir)
    display = str(ruleset) if str(ruleset).endswith(".toml") else _display(path, rulesets_dir)
    return load_ruleset_file(path, registry=registry or default_registry(), display=display)


def _display(path: Path, rulesets_dir: Path | None) -> str:
    root = (rulesets_dir or bundled_rulesets_dir()).resolve()
    try:
        return f"rulesets/{path.resolve().relative_to(root)}"
    except ValueError:
        return str(path)


def demo_units_path(ruleset: CompiledRuleset) -> Path:
    """The bundled demo units for a bundled ruleset family and version."""
    meta = ruleset.model.ruleset
    return Path(__file__).resolve().parent / "demo" / f"{meta.family}_units_{meta.version}.csv"


def evaluate(
    ruleset: CompiledRuleset | str | Path,
    units: object,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Scorecards:
    """Score units under a ruleset.

    ``units`` is a file (CSV, Parquet, XLSX, JSON) or an Arrow-compatible table
    (pyarrow, polars, pandas) with ``unit_id``, ``name``, ``unit_type``, optionally
    ``peer_group``, and one column per fact.
    """
    compiled = ruleset if isinstance(ruleset, CompiledRuleset) else load_ruleset(ruleset)
    table = read_units(units, compiled.model)
    return evaluate_units(compiled, table, batch_size=batch_size, on_progress=on_progress)


def evaluate_units(
    ruleset: CompiledRuleset,
    units: UnitTable,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Scorecards:
    """Score an already validated unit table."""
    matrix = score_units(ruleset, units, batch_size=batch_size, on_progress=on_progress)
    return Scorecards(ruleset, units, matrix, aggregate(ruleset, units, matrix))
