"""The command line on hostile data and awkward requests: text that looks like rich
markup, emoji codes or terminal escapes is printed as it is (escapes taken out), in
tables and in errors; a units file with no rows is refused; ``compare`` reads record
sets and finds demo units for a new draft.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from typer.testing import Result

import cchc_rules

RULESET = "ttcp@2018"
DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"

# The fixtures of tests/conftest.py.
Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]
DemoRows = Callable[[], tuple[list[str], list[list[str]]]]
WriteCsv = Callable[[Path, list[str], list[list[str]]], Path]

HOSTILE = ":fire: [bold]x[/bold] \x1b[31mred\x1b[0m\x07 \x9b2J:100:"
SHOWN = ":fire: [bold]x[/bold] red :100:"


def assert_literal(text: str) -> None:
    assert "🔥" not in text and "💯" not in text
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text


def test_a_unit_name_is_printed_literally_in_the_ranking(
    cli: Invoke, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[0][header.index("name")] = HOSTILE
    units = write_csv(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 0, result.output
    assert SHOWN in result.stdout
    assert_literal(result.stdout)


def test_explain_prints_names_and_quoted_facts_literally(
    cli: Invoke, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[2][header.index("name")] = HOSTILE
    rows[2][header.index("innovation_note")] = f"note {HOSTILE}"
    units = write_csv(tmp_path / "units.csv", header, rows)
    result = cli("explain", RULESET, str(units), rows[2][0])
    assert result.exit_code == 0, result.output
    assert f"{SHOWN} ({rows[2][0]})" in result.stdout
    assert_literal(result.stdout)


def test_an_error_at_line_100_quoting_emoji_codes_is_printed_literally(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    many = [[f"U{n}", *row[1:]] for n, row in enumerate(rows * 6)]
    many[98][header.index("plan_targets")] = HOSTILE  # row 100, counting the header
    units = write_csv(tmp_path / "units.csv", header, many)
    problems = refused("evaluate", RULESET, str(units))
    # The quoted value is its repr: escapes show as the text \\x1b, never act.
    assert problems == [f"{units}:100: plan_targets: expected a whole number (got {HOSTILE!r})"]
    assert_literal("\n".join(problems))


# -- a units file with no units -------------------------------------------------------------


def test_a_units_file_with_a_header_and_no_rows_is_refused(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, _ = demo_rows()
    units = write_csv(tmp_path / "units.csv", header, [])
    expected = [f"{units}: no units to score (expected at least one row)"]
    output = tmp_path / "results.csv"
    assert refused("evaluate", RULESET, str(units), "-o", str(output)) == expected
    assert refused("explain", RULESET, str(units), "TTCP-VPC") == expected
    assert refused("compare", RULESET, RULESET, str(units), "-o", str(output)) == expected
    assert not output.exists()


def test_an_empty_parquet_dataset_is_refused_before_anything_is_written(
    refused: Refused, tmp_path: Path
) -> None:
    units = tmp_path / "units.parquet"
    pq.write_table(pacsv.read_csv(DEMO_CSV).slice(0, 0), units)
    output = tmp_path / "results.parquet"
    assert refused("evaluate", RULESET, str(units), "-o", str(output)) == [
        f"{units}: no units to score (expected at least one row)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["units.parquet"]


# -- compare: record sets, and demo units of the version a draft extends ----------------------


RECORDS_2020 = Path(cchc_rules.__file__).parent / "demo" / "records" / "ttcp_2020"


def test_compare_reads_record_sets_for_a_version_that_derives_facts(
    cli: Invoke, tmp_path: Path
) -> None:
    # The 2019 units carry as columns the facts 2020 derives from its record sets.
    units = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2019.csv"
    given = [f"{f.stem}={f}" for f in sorted(RECORDS_2020.glob("*.csv"))]
    options = [arg for name_path in given for arg in ("--records", name_path)]
    result = cli("compare", "ttcp@2019", "ttcp@2020", str(units), "-f", "csv", *options)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    records = {f.stem: f for f in RECORDS_2020.glob("*.csv")}
    comparison = cchc_rules.api.compare("ttcp@2019", "ttcp@2020", units, records=records)
    assert len(rows) == len(comparison.after.units) == 19
    # The 2020 side scored from the records: as evaluate does with the same records.
    evaluated = cchc_rules.evaluate("ttcp@2020", units_2020(tmp_path), records=records)
    assert comparison.after.to_arrow().column("total") == evaluated.to_arrow().column("total")


def units_2020(tmp_path: Path) -> Path:
    """The 2020 demo units under another name: scored from the records given only."""
    path = tmp_path / "units_2020.csv"
    path.write_bytes((DEMO_CSV.parent / "ttcp_units_2020.csv").read_bytes())
    return path


def test_compare_with_demo_units_derives_the_facts_the_other_version_reads(cli: Invoke) -> None:
    result = cli("compare", "ttcp@2019", "ttcp@2020", "demo", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 19


def test_compare_a_new_draft_against_demo_uses_the_units_of_the_version_it_extends(
    cli: Invoke, tmp_path: Path
) -> None:
    rulesets = tmp_path / "rulesets"
    shutil.copytree(Path(cchc_rules.__file__).parents[2] / "rulesets", rulesets)
    common = ("--rulesets-dir", str(rulesets))
    amended = cli(*common, "rulesets", "amend", "ttcp@2020", "--new-version", "2021-draft",
                  "--legal-basis", "Dự thảo 2021", "--why", "thử")  # fmt: skip
    assert amended.exit_code == 0, amended.output
    result = cli(*common, "compare", "ttcp@2020", "ttcp@2021-draft", "demo", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "demo: no demo units are bundled for ttcp@2021-draft; using those of ttcp@2020" in (
        result.stderr
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 19 and all(row["index_change"] == "0.00" for row in rows)


def test_demo_for_a_family_without_demo_units_names_what_to_pass(refused: Refused) -> None:
    minimal = Path(__file__).parents[1] / "rulesets" / "valid" / "minimal.toml"
    assert refused("evaluate", str(minimal), "demo") == [
        "demo: no demo units are bundled for mini@1; pass a units file "
        "(.csv, .parquet, .xlsx or .json) instead of 'demo'"
    ]


def test_scorecards_into_a_file_or_under_one_is_refused_without_a_traceback(
    cli: Invoke, refused: Refused, tmp_path: Path
) -> None:
    a_file = tmp_path / "scorecards"
    a_file.write_text("not a directory")
    usage = cli("scorecards", "ttcp@2018", "demo", "-o", str(a_file))
    assert usage.exit_code == 2 and "is a file" in usage.output
    lines = refused("scorecards", "ttcp@2018", "demo", "-o", "/dev/null")
    assert lines == ["/dev/null: not a directory: name a directory for the documents"]
    lines = refused("scorecards", "ttcp@2018", "demo", "-o", str(a_file / "under"))
    assert lines == [f"{a_file / 'under'}: cannot create the directory (Not a directory)"]
    assert a_file.read_text() == "not a directory"
