"""The Python API does everything the command line does (the CLI only calls it)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cchc_rules
from cchc_rules import api
from cchc_rules.cli import app
from cchc_rules.errors import CchcError
from cchc_rules.ruleset._registry import bundled_rulesets_dir


@pytest.fixture
def rulesets(tmp_path: Path) -> Path:
    """A copy of the bundled rulesets directory, lock file included."""
    root = tmp_path / "rulesets"
    shutil.copytree(bundled_rulesets_dir(), root)
    return root


def test_amend_ruleset_writes_a_valid_draft_and_never_an_existing_version(
    rulesets: Path,
) -> None:
    amendment = api.amend_ruleset(
        "ttcp@2019",
        "2020-draft",
        "Dự thảo 2020",
        set_values=["E2.max_points=2", "E6.max_points=0.5", "B4.max_points=3"],
        remove=["B6"],
        why="trial",
        date=dt.date(2020, 6, 1),
        rulesets_dir=rulesets,
    )
    assert amendment.ref == "ttcp@2020-draft" and amendment.changes == 4
    assert amendment.path == rulesets / "ttcp" / "2020-draft.toml"
    draft = api.load_ruleset("ttcp@2020-draft", rulesets_dir=rulesets)
    assert draft.model.ruleset.status == "draft"
    assert draft.model.ruleset.extends == "ttcp@2019"
    changes = api.diff("ttcp@2019", draft, rulesets_dir=rulesets)
    assert [node.id for node in changes.removed] == ["B6"]
    assert {c.id for c in changes.changed} == {"E2", "E6", "B4"}
    before = amendment.path.read_bytes()
    with pytest.raises(CchcError, match="ttcp@2020-draft already exists"):
        api.amend_ruleset("ttcp@2019", "2020-draft", "x", rulesets_dir=rulesets)
    assert amendment.path.read_bytes() == before


@pytest.mark.parametrize(
    ("assignment", "message"),
    [("E2.max_points", "expected ID.field=VALUE"), ("Z9.max_points=1", "names no criterion")],
)
def test_amend_ruleset_refuses_an_assignment_it_cannot_place(
    rulesets: Path, assignment: str, message: str
) -> None:
    with pytest.raises(api.AssignmentError, match=message):
        api.amend_ruleset("ttcp@2019", "x", "x", set_values=[assignment], rulesets_dir=rulesets)
    assert not (rulesets / "ttcp" / "x.toml").exists()


def test_lock_rulesets_records_only_what_is_missing(rulesets: Path) -> None:
    lock = rulesets / "lock.toml"
    full = lock.read_text("utf-8")
    lock.write_text(full.split('"2019"')[0], encoding="utf-8")
    update = api.lock_rulesets(rulesets_dir=rulesets)
    assert update.added == ["ttcp@2019"] and not update.problems
    assert lock.read_text("utf-8") == full
    assert api.lock_rulesets(rulesets_dir=rulesets).added == []


def test_list_rulesets_gives_each_version_its_state(rulesets: Path) -> None:
    (rulesets / "ttcp" / "broken.toml").write_text("[ruleset]\n", encoding="utf-8")
    states = {state.ref: state for state in api.list_rulesets(rulesets_dir=rulesets)}
    assert states["ttcp@2018"].locked and states["ttcp@2018"].ruleset is not None
    broken = states["ttcp@broken"]
    assert broken.ruleset is None and isinstance(broken.error, CchcError)


def test_resolved_text_loads_back_with_the_same_hash(tmp_path: Path) -> None:
    amended = api.load_ruleset("ttcp@2019")
    target = tmp_path / "resolved.toml"
    target.write_text(api.resolved_text(amended), encoding="utf-8")
    assert api.load_ruleset(target).content_hash == amended.content_hash
    document = json.loads(api.resolved_text(amended, "json"))
    assert document["ruleset"]["version"] == "2019"


def test_evaluate_to_parquet_from_csv_in_memory(tmp_path: Path) -> None:
    ruleset = api.load_ruleset("ttcp@2018")
    output = tmp_path / "out.parquet"
    totals: list[int] = []
    api.evaluate_to_parquet(
        ruleset,
        api.demo_units_path(ruleset),
        output,
        progress=lambda total: _record(totals, total),
    )
    expected = api.evaluate(ruleset, api.demo_units_path(ruleset)).to_arrow()
    assert pq.read_table(output).equals(expected)
    assert totals == [expected.num_rows]
    with pytest.raises(ValueError, match="read a Parquet dataset"):
        api.evaluate_to_parquet(
            ruleset, api.demo_units_path(ruleset), tmp_path / "x.parquet", workers=2
        )


def test_evaluate_to_parquet_streams_a_parquet_dataset(tmp_path: Path) -> None:
    ruleset = api.load_ruleset("ttcp@2018")
    expected = api.evaluate(ruleset, api.demo_units_path(ruleset)).to_arrow()
    source = tmp_path / "units.parquet"
    pq.write_table(pacsv.read_csv(api.demo_units_path(ruleset)), source, row_group_size=7)
    output = tmp_path / "out.parquet"
    api.evaluate_to_parquet(ruleset, source, output, workers=2)
    assert pq.read_table(output).equals(expected)


def _record(totals: list[int], total: int) -> AbstractContextManager[None]:
    totals.append(total)
    return nullcontext(None)


def test_plugin_catalogue_is_what_the_cli_lists_as_json() -> None:
    result = CliRunner().invoke(app, ["plugins", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api.plugin_catalogue()


def test_importing_the_api_loads_no_dask() -> None:
    # The Dask module is imported only by a run on Dask (see the import contracts).
    code = (
        "import sys, cchc_rules, cchc_rules.api, cchc_rules.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


def test_the_main_entry_points_are_in_the_package_namespace() -> None:
    for name in ("evaluate", "load_ruleset", "evaluate_to_parquet", "amend_ruleset"):
        assert name in cchc_rules.__all__ and callable(getattr(cchc_rules, name))
