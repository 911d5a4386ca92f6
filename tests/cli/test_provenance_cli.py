"""Every file ``cchc evaluate`` writes carries its provenance record (JSON key, XLSX sheet,
Parquet metadata, CSV comment lines when asked), the same whichever way it was scored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

import cchc_rules
from cchc_rules.api import default_registry
from tests.conftest import Invoke

RULESET = "ttcp@2018"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _units_file(tmp_path: Path) -> Path:
    """The bundled demo units, copied so the record names a file of the test's own."""
    ruleset = cchc_rules.load_ruleset(RULESET)
    source = tmp_path / "don_vi.csv"
    source.write_bytes(cchc_rules.demo_units_path(ruleset).read_bytes())
    return source


def _parquet_record(path: Path) -> dict[str, Any]:
    metadata = pq.read_schema(path).metadata
    record: dict[str, Any] = json.loads(metadata[b"cchc:provenance"])
    return record


def test_json_names_ruleset_inputs_plugins_and_versions(cli: Invoke, tmp_path: Path) -> None:
    source = _units_file(tmp_path)
    out = tmp_path / "r.json"
    result = cli("evaluate", RULESET, str(source), "-o", str(out), "--by", "Nguyễn Văn A")
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_bytes())["provenance"]
    ruleset = cchc_rules.load_ruleset(RULESET)
    assert record["ruleset"]["ref"] == RULESET
    assert record["ruleset"]["content_hash"] == ruleset.content_hash
    assert record["ruleset"]["why"] == f"{RULESET} named explicitly"
    assert record["inputs"] == [{"kind": "units", "name": source.name, "sha256": _sha(source)}]
    assert [p["distribution"] for p in record["plugins"]] == [
        p.distribution for p in default_registry().plugins
    ]
    assert record["cchc_rules"] == cchc_rules.__version__
    assert record["who"] == "Nguyễn Văn A"
    assert record["options"] == {"lang": "vi", "columns": "all", "layout": "data"}


def test_a_version_chosen_by_period_says_why(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = cli("--period", "2019", "evaluate", "ttcp", "demo", "-o", str(out))
    assert result.exit_code == 0, result.output
    ruleset = json.loads(out.read_bytes())["provenance"]["ruleset"]
    assert ruleset["ref"] == "ttcp@2019" and ruleset["period"] == 2019
    assert "the only version in force for 2019" in ruleset["why"]


def test_record_sets_are_inputs_too(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert cli("evaluate", "ttcp@2020", "demo", "-o", str(out)).exit_code == 0
    inputs = json.loads(out.read_bytes())["provenance"]["inputs"]
    kinds = [item["kind"] for item in inputs]
    assert kinds[0] == "units" and "records:roster" in kinds and "records:documents" in kinds


def test_csv_has_the_record_only_when_asked(cli: Invoke, tmp_path: Path) -> None:
    source = _units_file(tmp_path)
    plain, headed = tmp_path / "plain.csv", tmp_path / "headed.csv"
    assert cli("evaluate", RULESET, str(source), "-o", str(plain)).exit_code == 0
    asked = cli("evaluate", RULESET, str(source), "-o", str(headed), "--provenance-header")
    assert asked.exit_code == 0, asked.output
    text = plain.read_text(encoding="utf-8-sig")
    assert text.startswith('"unit_id",')
    headed_text = headed.read_text(encoding="utf-8-sig")
    comments = [line for line in headed_text.splitlines() if line.startswith("#")]
    assert f"# provenance.inputs.0.sha256: {_sha(source)}" in comments
    assert f"# provenance.ruleset.ref: {RULESET}" in comments
    # The rows below the comment block are the plain file's rows.
    rows = [line for line in headed_text.splitlines() if not line.startswith("#")]
    assert rows == text.splitlines()


def test_xlsx_has_a_provenance_sheet(cli: Invoke, tmp_path: Path) -> None:
    source = _units_file(tmp_path)
    out = tmp_path / "r.xlsx"
    assert cli("evaluate", RULESET, str(source), "-o", str(out), "--lang", "en").exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Results", "Provenance"]
    rows = dict(book["Provenance"].iter_rows(min_row=2, values_only=True))
    assert rows["Ruleset"] == RULESET
    assert rows["Input file (units)"] == source.name
    assert rows["File SHA-256"] == _sha(source)


@pytest.mark.parametrize("extra", [[], ["--workers", "2"]])
def test_parquet_metadata_is_one_record_whichever_way_units_are_scored(
    cli: Invoke, tmp_path: Path, extra: list[str]
) -> None:
    ruleset = cchc_rules.load_ruleset(RULESET)
    source = tmp_path / "units.parquet"
    pq.write_table(pacsv.read_csv(cchc_rules.demo_units_path(ruleset)), source)
    by_cli, by_api = tmp_path / "cli.parquet", tmp_path / "api.parquet"
    result = cli("evaluate", RULESET, str(source), "-o", str(by_cli), *extra)
    assert result.exit_code == 0, result.output
    record = _parquet_record(by_cli)
    assert record["inputs"] == [{"kind": "units", "name": "units.parquet", "sha256": _sha(source)}]
    # One process or two, the API or the command line: one record for the same file.
    cchc_rules.api.evaluate_to_parquet(
        ruleset,
        source,
        by_api,
        provenance=cchc_rules.api.provenance_record(
            ruleset, units=source, options={"lang": "vi", "columns": "all", "layout": "data"}
        ),
    )
    assert _parquet_record(by_api) == record


def test_an_empty_by_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = cli("evaluate", RULESET, "demo", "-o", str(out), "--by", "  ")
    assert result.exit_code == 2 and "--by" in result.output and not out.exists()


def test_a_by_with_control_characters_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    result = cli("evaluate", RULESET, "demo", "-o", str(out), "--by", "Ai\x1b[31mđó")
    assert result.exit_code == 2 and "printable" in result.output and not out.exists()
