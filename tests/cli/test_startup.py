"""The command line starts light: its help, and a run that needs no record set, import
only what they use (issue 14). Checked by what is imported, not by timing."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

HEAVY = (
    "numpy",
    "pyarrow",
    "pydantic",
    "polars",
    "sqlalchemy",
    "alembic",
    "altair",
    "jinja2",
    "vl_convert",
    "weasyprint",
    "dask",
    "openpyxl",
    "pluggy",
)
"""What ``cchc --help`` does without: the engine, its readers and writers, the store."""

RUN = """
import gc, json, runpy, sys
sys.argv = ["cchc", *{args!r}]
try:
    runpy.run_module("cchc_rules", run_name="__main__")
except SystemExit as exit:
    code = exit.code
state = {{
    "exit": code,
    "modules": sorted(sys.modules),
    "collecting": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}}
print(json.dumps(state), file=sys.stderr)
"""


def run_in_fresh_interpreter(*args: str) -> dict[str, Any]:
    """``cchc ARGS`` as the console script runs it, in a fresh interpreter: its exit code,
    every module it imported, and the garbage collector's state at the end."""
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(args=list(args))],
        capture_output=True,
        text=True,
        check=False,
    )
    state: dict[str, Any] = json.loads(result.stderr.strip().splitlines()[-1])
    return state


def imported_by(*args: str) -> set[str]:
    """The top-level packages imported by ``cchc ARGS`` (run in a fresh interpreter)."""
    return {name.split(".")[0] for name in run_in_fresh_interpreter(*args)["modules"]}


def test_help_imports_no_heavy_package() -> None:
    assert imported_by("--help") & set(HEAVY) == set()


@pytest.mark.parametrize(
    "args", [("evaluate", "--help"), ("campaign", "--help"), ("rulesets", "show", "--help")]
)
def test_a_commands_help_imports_no_heavy_package(args: tuple[str, ...]) -> None:
    # typer's own parameter adapters import pydantic to build a command's parameters.
    assert imported_by(*args) & (set(HEAVY) - {"pydantic"}) == set()


def test_scoring_without_record_sets_imports_no_polars_store_or_report_packages() -> None:
    found = imported_by("evaluate", "ttcp@2018", "demo", "--format", "csv")
    assert {"numpy", "pyarrow", "pydantic", "pluggy"} <= found  # it did score
    unused = {"polars", "sqlalchemy", "alembic", "altair", "jinja2", "dask", "openpyxl"}
    assert found & unused == set()


TERMINAL_UNUSED = (
    # Readers of other inputs: XLSX (python-calamine), record sets (polars), Parquet
    # (pyarrow.parquet, which loads pyarrow's file systems and OpenSSL).
    "python_calamine",
    "polars",
    "pyarrow.parquet",
    "pyarrow.fs",
    "ssl",
    # Writers of files: workbooks, the HTML report and its charts, PDF.
    "openpyxl",
    "xlsxwriter",
    "jinja2",
    "altair",
    "vl_convert",
    "weasyprint",
    # The progress bar, for 20,000 units or more on a terminal.
    "rich.progress",
    # Datasets in pieces, on processes or Dask; the campaign store.
    "dask",
    "distributed",
    "sqlalchemy",
    "alembic",
    # The package's own modules that only other commands, inputs or outputs use.
    "cchc_rules.evaluation",
    "cchc_rules.inputs._csv_stream",
    "cchc_rules.inputs._form",
    "cchc_rules.inputs._records",
    "cchc_rules.reports._annex",
    "cchc_rules.reports._catalogue",
    "cchc_rules.reports._csv",
    "cchc_rules.reports._formats",
    "cchc_rules.reports._html",
    "cchc_rules.reports._json",
    "cchc_rules.reports._parquet",
    "cchc_rules.reports._scorecard_docs",
    "cchc_rules.reports._xlsx",
    "cchc_rules.results._provenance",
    "cchc_rules.ruleset._diff",
    "cchc_rules.store._ops",
)
"""What ``cchc evaluate ttcp@2018 demo`` to the terminal does without (issue 14)."""


def test_evaluating_the_demo_to_the_terminal_imports_only_what_it_uses() -> None:
    state = run_in_fresh_interpreter("evaluate", "ttcp@2018", "demo")
    assert state["exit"] in (None, 0)
    modules = set(state["modules"])
    assert {"numpy", "pyarrow.compute", "pydantic", "cchc_rules.reports._terminal"} <= modules
    # A package counts as imported when any module of it is.
    found = {
        name for name in TERMINAL_UNUSED for m in modules if m == name or m.startswith(f"{name}.")
    }
    assert found == set()


@pytest.mark.parametrize(
    "args", [("evaluate", "ttcp@2018", "demo", "--format", "csv"), ("rulesets", "list")]
)
def test_the_console_script_collects_garbage_again_once_started(args: tuple[str, ...]) -> None:
    # Start-up runs without the cyclic collector (cli._app.defer_collection); the command
    # turns it back on, with start-up's objects frozen, before it does its work.
    state = run_in_fresh_interpreter(*args)
    assert state["exit"] in (None, 0)
    assert state["collecting"] is True
    assert state["frozen"] > 10_000


def test_every_public_name_of_the_package_is_found_on_first_use() -> None:
    # The package imports its public names lazily (PEP 562): each must still resolve.
    import cchc_rules

    for name in cchc_rules.__all__:
        assert getattr(cchc_rules, name) is not None, name
    with pytest.raises(AttributeError):
        _ = cchc_rules.no_such_name  # type: ignore[attr-defined]  # the point of the test


def test_the_progress_bar_is_drawn_only_for_a_large_run_on_a_terminal() -> None:
    # rich.progress is imported only when a bar is drawn (see TERMINAL_UNUSED).
    from rich.console import Console

    from cchc_rules.cli._evaluate import PROGRESS_THRESHOLD, _progress_bar

    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=80)
    with _progress_bar(terminal)(PROGRESS_THRESHOLD) as advance:
        assert advance is not None
        advance(PROGRESS_THRESHOLD)
    assert "chấm điểm" in out.getvalue()
    with _progress_bar(terminal)(PROGRESS_THRESHOLD - 1) as advance:
        assert advance is None
    pipe = Console(file=io.StringIO(), force_terminal=False)
    with _progress_bar(pipe)(PROGRESS_THRESHOLD) as advance:
        assert advance is None
