"""The command line starts light: its help, and a run that needs no record set, import
only what they use (issue 14). Checked by what is imported, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

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
import json, runpy, sys
sys.argv = ["cchc", *{args!r}]
try:
    runpy.run_module("cchc_rules", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})), file=sys.stderr)
"""


def imported_by(*args: str) -> set[str]:
    """The top-level packages imported by ``cchc ARGS`` (run in a fresh interpreter)."""
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(args=list(args))],
        capture_output=True,
        text=True,
        check=False,
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


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


def test_every_public_name_of_the_package_is_found_on_first_use() -> None:
    # The package imports its public names lazily (PEP 562): each must still resolve.
    import cchc_rules

    for name in cchc_rules.__all__:
        assert getattr(cchc_rules, name) is not None, name
    with pytest.raises(AttributeError):
        _ = cchc_rules.no_such_name  # type: ignore[attr-defined]  # the point of the test
