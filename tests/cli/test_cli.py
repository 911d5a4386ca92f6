"""The ``cchc`` command line, end to end.

A few runs go through a real process (``python -m cchc_rules``); the rest use typer's
in-process runner for speed. Every run's output is read back and compared with the
Python API, so the CLI cannot drift from the numbers it claims to show.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import Result

import cchc_rules
from cchc_rules.results._scorecards import SUMMARY_COLUMNS

RULESET = "ttcp@2018"
DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"
BUILTIN_KINDS = (
    "appraised",
    "deadline_steps",
    "deduction",
    "flag",
    "proportional",
    "ratio_bands",
    "survey_scaled",
)
WIDE = 1000
"""Terminal width for runs whose text is compared: no cell wraps."""

Invoke = Callable[..., Result]


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> cchc_rules.CompiledRuleset:
    return cchc_rules.load_ruleset(RULESET)


@pytest.fixture(scope="module")
def cards(compiled: cchc_rules.CompiledRuleset) -> cchc_rules.Scorecards:
    return cchc_rules.evaluate(compiled, DEMO_CSV)


@pytest.fixture(scope="module")
def api_rows(cards: cchc_rules.Scorecards) -> dict[str, dict[str, Any]]:
    return {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}


def run_module(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(WIDE), "PYTHONIOENCODING": "utf-8"}
    env.pop("CCHC_LANG", None)
    env.pop("CCHC_RULESETS_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "cchc_rules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=60,
    )


def demo_rows() -> tuple[list[str], list[list[str]]]:
    with DEMO_CSV.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    return header, rows


def write_units(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([header, *rows])
    return path


def set_cell(header: list[str], rows: list[list[str]], row: int, column: str, value: str) -> None:
    """Change the cell of spreadsheet row ``row`` (the header is row 1, units from 2)."""
    rows[row - 2][header.index(column)] = value


def unit_ids() -> list[str]:
    return [row[0] for row in demo_rows()[1]]


def all_criterion_ids(compiled: cchc_rules.CompiledRuleset) -> list[str]:
    ids: list[str] = []

    def walk(criteria: Any) -> None:
        for criterion in criteria:
            ids.append(criterion.id)
            walk(criterion.criteria)

    for area in compiled.model.areas:
        ids.append(area.id)
        walk(area.criteria)
    return ids


def exact_json(data: str) -> Any:
    """Parse JSON refusing any float: exact values must arrive as strings."""

    def no_float(text: str) -> Any:
        raise AssertionError(f"a JSON float {text} where an exact decimal string belongs")

    return json.loads(data, parse_float=no_float)


# -- evaluate: the terminal table ----------------------------------------------------------


def test_demo_run_shows_every_unit_ranked_in_both_peer_groups(
    compiled: cchc_rules.CompiledRuleset, api_rows: dict[str, dict[str, Any]]
) -> None:
    done = run_module("evaluate", RULESET, "demo")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = done.stdout
    assert compiled.model.ruleset.title.vi in text
    assert compiled.content_hash[:12] in text
    for group_id, group in compiled.model.ranking.peer_groups.items():
        size = sum(1 for row in api_rows.values() if row["peer_group"] == group_id)
        assert f"{group.name.vi} ({size})" in text
    decimals = compiled.model.ruleset.points_decimals
    for unit_id, row in api_rows.items():
        line = next(line for line in text.splitlines() if f" {unit_id} " in line)
        cells = [cell.strip() for cell in line.strip()[1:-1].split("│")]
        assert cells[0] == str(row["rank"]), line
        assert cells[1] == unit_id
        assert cells[3] == f"{row['total']:.{decimals}f}"
        assert cells[4] == f"{row['applicable_max']:.{decimals}f}"
        assert cells[5] == f"{row['index']:.2f}"
        assert cells[6] == row["grade_name"]
    # Ranked within each group: the first table lists rank 1 … 14 top to bottom.
    order = [line.split("│")[2].strip() for line in text.splitlines() if "│ TTCP-" in line]
    expected = sorted(api_rows, key=lambda u: (api_rows[u]["peer_group"], api_rows[u]["rank"], u))
    assert order == expected


def test_demo_in_english(cli: Invoke, compiled: cchc_rules.CompiledRuleset) -> None:
    result = cli("evaluate", RULESET, "demo", "--lang", "en")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert compiled.model.ruleset.title.en in text
    for group in compiled.model.ranking.peer_groups.values():
        assert group.name.en in text
        assert group.name.vi not in text
    header, rows = demo_rows()
    for row in rows:
        assert row[header.index("name_en")] in text
    # English first, Vietnamese under it, in every header.
    assert re.search(r"Rank .*Points .*\n.*Hạng .*Điểm", text)
    assert "Excellent" in text and "Xuất sắc" not in text


def test_terminal_output_fits_a_100_column_terminal(cli: Invoke) -> None:
    for args in (
        ("evaluate", RULESET, "demo"),
        ("explain", RULESET, "demo", "TTCP-VPC"),
        ("rulesets", "list"),
        ("plugins", "list"),
    ):
        result = cli(*args, width=100)
        assert result.exit_code == 0, result.output
        too_wide = [line for line in result.stdout.splitlines() if len(line) > 100]
        assert not too_wide, args
        # Ids are never cut short to make a table fit.
        assert "TTCP-…" not in result.stdout


def test_markup_like_text_in_the_data_is_shown_as_written(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo_rows()
    set_cell(header, rows, 2, "name", "Văn phòng [thí điểm]")
    units = write_units(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 0, result.output
    assert "Văn phòng [thí điểm]" in result.stdout


# -- evaluate: files -----------------------------------------------------------------------


def test_csv_output_has_the_api_totals(cli: Invoke, api_rows: dict[str, dict[str, Any]]) -> None:
    result = cli("evaluate", RULESET, "demo", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["unit_id"] for r in rows) == sorted(api_rows)
    for row in rows:
        expected = api_rows[row["unit_id"]]
        for column in ("total", "applicable_max", "index", "area:A", "A1", "B1"):
            if expected[column] is None:
                assert row[column] == ""
            else:
                assert Decimal(row[column]) == expected[column], (row["unit_id"], column)
        assert int(row["rank"]) == expected["rank"]
        assert row["grade"] == expected["grade"]


@pytest.mark.parametrize("columns", ["summary", "areas", "criteria", "all"])
def test_columns_select_what_csv_and_json_write(
    cli: Invoke,
    compiled: cchc_rules.CompiledRuleset,
    api_rows: dict[str, dict[str, Any]],
    columns: str,
) -> None:
    areas = [n for a in compiled.model.areas for n in (f"area:{a.id}", f"area:{a.id}:index")]
    ids = [leaf.criterion.id for leaf in compiled.leaves]
    leaves = [n for i in ids for n in (i, f"{i}:reason")]
    wanted = {
        "summary": list(SUMMARY_COLUMNS),
        "areas": [*SUMMARY_COLUMNS, *areas],
        "criteria": [*SUMMARY_COLUMNS, *areas, *leaves],
        "all": [*SUMMARY_COLUMNS, *areas, *leaves],
    }[columns]
    result = cli("evaluate", RULESET, "demo", "--format", "csv", "--columns", columns)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == wanted
    document = cli("evaluate", RULESET, "demo", "--format", "json", "--columns", columns)
    units = exact_json(document.stdout)["units"]
    assert list(units[0]) == wanted
    # Reason codes are dictionary-encoded in Arrow, written as their names in text formats.
    if columns in ("criteria", "all"):
        for row, unit in zip(rows, units, strict=True):
            expected = api_rows[row["unit_id"]]["A1:reason"]
            assert isinstance(expected, str) and expected
            assert row["A1:reason"] == unit["A1:reason"] == expected


def test_columns_default_to_all_and_leave_the_terminal_alone(cli: Invoke) -> None:
    default = cli("evaluate", RULESET, "demo", "--format", "csv")
    every = cli("evaluate", RULESET, "demo", "--format", "csv", "--columns", "all")
    assert default.stdout == every.stdout
    refused = cli("evaluate", RULESET, "demo", "--columns", "summary")
    assert refused.exit_code == 2
    assert "--columns" in refused.output


def test_json_output_has_exact_decimal_strings_equal_to_the_api(
    cli: Invoke, compiled: cchc_rules.CompiledRuleset, api_rows: dict[str, dict[str, Any]]
) -> None:
    result = cli("evaluate", RULESET, "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    document = exact_json(result.stdout)
    assert document["ruleset"] == RULESET
    assert document["content_hash"] == compiled.content_hash
    assert len(document["units"]) == len(api_rows)
    leaf_ids = [leaf.criterion.id for leaf in compiled.leaves]
    for unit in document["units"]:
        expected = api_rows[unit["unit_id"]]
        for column in ("total", "applicable_max", "index", *leaf_ids):
            value = unit[column]
            if expected[column] is None:
                assert value is None
                continue
            assert isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value), value
            assert Decimal(value) == expected[column], (unit["unit_id"], column)
        assert unit["rank"] == expected["rank"]
    # Ranked order: peer group, then rank.
    keys = [(api_rows[u["unit_id"]]["peer_group"], u["rank"]) for u in document["units"]]
    assert keys == sorted(keys)


def test_xlsx_output_reads_back(
    cli: Invoke, tmp_path: Path, api_rows: dict[str, dict[str, Any]]
) -> None:
    target = tmp_path / "results.xlsx"
    result = cli("evaluate", RULESET, "demo", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    workbook = openpyxl.load_workbook(target, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert str(rows[0][0]).startswith(RULESET)
    header = list(rows[2])
    body = [dict(zip(header, row, strict=True)) for row in rows[3:]]
    assert sorted(r["unit_id"] for r in body) == sorted(api_rows)
    for row in body:
        expected = api_rows[row["unit_id"]]
        assert row["total"] == pytest.approx(float(expected["total"]))
        assert row["rank"] == expected["rank"]


def test_output_suffix_picks_the_format_and_matches_stdout(cli: Invoke, tmp_path: Path) -> None:
    to_stdout = cli("evaluate", RULESET, "demo", "--format", "json").stdout
    target = tmp_path / "results.json"
    result = cli("evaluate", RULESET, "demo", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == to_stdout


def test_output_is_never_clobbered_without_force(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "results.csv"
    target.write_text("the secretariat's own file\n", encoding="utf-8")

    refused = cli("evaluate", RULESET, "demo", "--output", "results.csv")
    assert refused.exit_code == 1
    assert "results.csv: file exists; pass --force to replace it" in refused.stderr
    assert target.read_text(encoding="utf-8") == "the secretariat's own file\n"

    replaced = cli("evaluate", RULESET, "demo", "--output", "results.csv", "--force")
    assert replaced.exit_code == 0, replaced.output
    assert target.read_text(encoding="utf-8-sig").startswith('"unit_id","name"')
    # The temporary file was renamed into place, not left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_new_output_file_gets_the_usual_permissions(cli: Invoke, tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        result = cli("evaluate", RULESET, "demo", "-o", str(tmp_path / "r.json"))
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_output_into_a_missing_directory_is_invalid_input(cli: Invoke, tmp_path: Path) -> None:
    result = cli("evaluate", RULESET, "demo", "-o", str(tmp_path / "no" / "r.csv"))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- explain -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_explain_shows_every_criterion_with_points_reasons_and_hints(
    cli: Invoke, compiled: cchc_rules.CompiledRuleset, cards: cchc_rules.Scorecards, lang: str
) -> None:
    unit = "TTCP-VPC"
    result = cli("explain", RULESET, "demo", unit, "--lang", lang)
    assert result.exit_code == 0, result.output
    text = result.stdout
    explanation = cards.explain(unit, lang=lang)
    assert f"({unit})" in text
    rows = {}
    for row in text.splitlines():
        cells = [cell.strip() for cell in row.strip()[1:-1].split("│")]
        if len(cells) == 4 and cells[0]:
            rows[cells[0]] = cells
    assert list(rows) == all_criterion_ids(compiled)
    not_applicable = {"vi": "không áp dụng", "en": "not applicable"}[lang]
    for line in explanation.lines:
        _, name, points, _ = rows[line.id]
        assert name == line.name
        if line.points is None:
            assert points == not_applicable
        else:
            assert points.startswith(f"{line.points.normalize():f} / "), points
        if line.is_leaf:
            assert line.reason in text
            if line.hint:
                assert f"→ {line.hint}" in text
    assert any(line.hint for line in explanation.lines)
    first = {"vi": "Tiêu chí", "en": "Criterion"}[lang]
    second = {"vi": "Criterion", "en": "Tiêu chí"}[lang]
    assert re.search(rf"{first}.*\n.*{second}", text)
    assert f"{explanation.total.normalize():f}" in text
    assert f"{explanation.rank}/{explanation.group_size}" in text


def test_explain_json_has_every_criterion_as_exact_strings(
    cli: Invoke, compiled: cchc_rules.CompiledRuleset, cards: cchc_rules.Scorecards
) -> None:
    result = cli("explain", RULESET, "demo", "TTCP-VPC", "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    document = exact_json(result.stdout)
    explanation = cards.explain("TTCP-VPC", lang="en")
    assert document["unit_id"] == "TTCP-VPC"
    assert document["content_hash"] == compiled.content_hash
    assert Decimal(document["total"]) == explanation.total
    assert document["rank"] == explanation.rank
    assert [c["id"] for c in document["criteria"]] == all_criterion_ids(compiled)
    for item, line in zip(document["criteria"], explanation.lines, strict=True):
        assert item["reason"] == line.reason and item["hint"] == line.hint
        assert Decimal(item["max_points"]) == line.max_points
        if line.points is None:
            assert item["points"] is None
        else:
            assert Decimal(item["points"]) == line.points


def test_explain_unknown_unit_suggests_the_closest(cli: Invoke) -> None:
    result = cli("explain", RULESET, "demo", "TTCP-VPX")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no unit 'TTCP-VPX'; did you mean 'TTCP-VPC'?" in result.stderr


# -- bad units files -----------------------------------------------------------------------

Mutation = Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]


def _cell(row: int, column: str, value: str) -> Mutation:
    def mutate(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        set_cell(header, rows, row, column, value)
        return header, rows

    return mutate


def _drop_column(column: str) -> Mutation:
    def mutate(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        index = header.index(column)
        return header[:index] + header[index + 1 :], [r[:index] + r[index + 1 :] for r in rows]

    return mutate


def _add_column(column: str, value: str) -> Mutation:
    def mutate(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        return [*header, column], [[*r, value] for r in rows]

    return mutate


BAD_UNITS: dict[str, tuple[Mutation, str]] = {
    "wrong type": (
        _cell(3, "plan_targets", "twelve"),
        "{file}:3: plan_targets: expected a whole number (got 'twelve')",
    ),
    "out of range": (
        _cell(4, "par_quiz_score", "150"),
        "{file}:4: par_quiz_score: expected a value ≤ 100",
    ),
    "duplicate unit id": (
        _cell(5, "unit_id", "TTCP-VPTT"),
        "{file}:5: unit_id: duplicate unit id (got 'TTCP-VPTT')",
    ),
    "unknown unit type": (
        _cell(6, "unit_type", "bo"),
        "{file}:6: unit_type: expected one of the unit types hanh_chinh, su_nghiep (got 'bo')",
    ),
    "empty required cell": (
        _cell(7, "plan_targets_done", ""),
        "{file}:7: plan_targets_done: expected a value (the fact is required)",
    ),
    "missing required fact column": (
        _drop_column("reports_due"),
        "{file}: reports_due: missing column for a required fact",
    ),
    "unknown column": (
        _add_column("remarks", "ok"),
        "{file}: remarks: unknown column",
    ),
}


@pytest.mark.parametrize("case", list(BAD_UNITS))
def test_bad_units_file_gives_a_located_error(cli: Invoke, tmp_path: Path, case: str) -> None:
    mutate, message = BAD_UNITS[case]
    units = write_units(tmp_path / "units.csv", *mutate(*demo_rows()))
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert message.format(file=units) in result.stderr


def test_every_row_problem_of_a_file_is_reported_at_once(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo_rows()
    row_cases = [c for c in BAD_UNITS.values() if re.match(r"\{file\}:\d", c[1])]
    for mutate, _ in row_cases:
        header, rows = mutate(header, rows)
    units = write_units(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 1
    for _, message in row_cases:
        assert message.format(file=units) in result.stderr
    count = int(re.search(r"error: (\d+) problem", result.stderr)[1])  # type: ignore[index]
    assert count == len(re.findall(rf"^{re.escape(str(units))}:\d+: ", result.stderr, re.M))
    assert count >= len(row_cases)


def test_every_column_problem_of_a_file_is_reported_at_once(cli: Invoke, tmp_path: Path) -> None:
    header, rows = _add_column("remarks", "ok")(*_drop_column("reports_due")(*demo_rows()))
    units = write_units(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 1
    assert f"{units}: reports_due: missing column for a required fact" in result.stderr
    assert f"{units}: remarks: unknown column" in result.stderr


def test_column_and_row_problems_are_reported_together(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo_rows()
    for mutate, _ in BAD_UNITS.values():
        header, rows = mutate(header, rows)
    units = write_units(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 1
    for _, message in BAD_UNITS.values():
        assert message.format(file=units) in result.stderr


def test_missing_units_file_is_invalid_input(cli: Invoke, tmp_path: Path) -> None:
    result = cli("evaluate", RULESET, str(tmp_path / "nothing.csv"))
    assert result.exit_code == 1
    assert "nothing.csv: file does not exist" in result.stderr


# -- bad rulesets --------------------------------------------------------------------------


@pytest.fixture
def bad_rulesets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two broken copies of the bundled ruleset, and the message each must give."""
    monkeypatch.chdir(tmp_path)
    source = (Path(cchc_rules.__file__).parent / "rulesets" / "ttcp" / "2018.toml").read_text(
        encoding="utf-8"
    )
    lines = source.splitlines(keepends=True)
    table = next(i for i, line in enumerate(lines) if line.startswith("[ruleset.legal_basis]"))
    syntax = [*lines]
    syntax[table] = "[ruleset.legal_basis\n"
    Path("syntax.toml").write_text("".join(syntax), encoding="utf-8")
    total = next(i for i, line in enumerate(lines) if line.startswith("total_points ="))
    schema = [*lines]
    schema[total] = 'total_points = "one hundred"\n'
    Path("schema.toml").write_text("".join(schema), encoding="utf-8")
    return {
        "syntax.toml": f"syntax.toml:{table + 1}:{len('[ruleset.legal_basis') + 1}: TOML syntax:",
        "schema.toml": f"schema.toml:{total + 1}: ruleset.total_points: expected a number",
    }


@pytest.mark.parametrize("name", ["syntax.toml", "schema.toml"])
def test_invalid_ruleset_gives_a_located_error(
    cli: Invoke, bad_rulesets: dict[str, str], name: str
) -> None:
    evaluated = cli("evaluate", name, "demo")
    assert evaluated.exit_code == 1
    assert evaluated.stdout == ""
    assert bad_rulesets[name] in evaluated.stderr

    validated = cli("rulesets", "validate", name)
    assert validated.exit_code == 1
    assert f"✗ {name}" in validated.stderr
    assert bad_rulesets[name] in validated.stderr


def test_validate_good_rulesets(cli: Invoke, compiled: cchc_rules.CompiledRuleset) -> None:
    valid = Path(__file__).resolve().parents[1] / "rulesets" / "valid"
    files = sorted(str(p) for p in valid.glob("*.toml"))
    result = cli("rulesets", "validate", RULESET, *files)
    assert result.exit_code == 0, result.output
    assert f"✓ {RULESET}: {RULESET}, {len(compiled.leaves)} criteria, sha256 " in result.stdout
    assert compiled.content_hash in result.stdout  # whole, on one line
    for file in files:
        assert f"✓ {file}: " in result.stdout


def test_validate_reports_every_file_and_fails_if_any_is_bad(
    cli: Invoke, bad_rulesets: dict[str, str]
) -> None:
    result = cli("rulesets", "validate", "syntax.toml", RULESET, "schema.toml")
    assert result.exit_code == 1
    assert f"✓ {RULESET}" in result.stdout
    for message in bad_rulesets.values():
        assert message in result.stderr


def test_unknown_ruleset_reference_lists_the_available_ones(cli: Invoke) -> None:
    result = cli("evaluate", "ttcp@1999", "demo")
    assert result.exit_code == 1
    assert "no ruleset ttcp@1999" in result.stderr
    assert RULESET in result.stderr


# -- usage errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("evaluate", RULESET, "demo", "--colour"), "No such option: --colour"),
        (("evaluate", RULESET), "Missing argument"),
        (("explain", RULESET, "demo"), "Missing argument"),
        (("evaluate", RULESET, "demo", "--format", "xlsx"), "xlsx needs --output"),
        (("evaluate", RULESET, "demo", "--format", "pdf"), "--format"),
        (("evaluate", RULESET, "demo", "-o", "results.txt"), "cannot tell the format"),
        (("evaluate", RULESET, "demo", "-f", "table", "-o", "r.csv"), "for the terminal"),
        (("explain", RULESET, "demo", "TTCP-VPC", "--format", "csv"), "--format"),
        (("rulesets", "show", RULESET, "--format", "yaml"), "--format"),
        (("--plugins-dir", "."), "Missing command"),
    ],
)
def test_usage_errors_exit_2(
    cli: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_usage_error_in_a_real_process() -> None:
    done = run_module("evaluate", RULESET, "demo", "--format", "xlsx")
    assert done.returncode == 2
    assert "xlsx needs --output" in done.stderr


# -- rulesets and plugins ------------------------------------------------------------------


def test_rulesets_list(cli: Invoke, compiled: cchc_rules.CompiledRuleset) -> None:
    result = cli("rulesets", "list")
    assert result.exit_code == 0, result.output
    meta = compiled.model.ruleset
    line = next(line for line in result.stdout.splitlines() if RULESET in line)
    for expected in (meta.status, meta.legal_basis.decision, compiled.content_hash[:12]):
        assert expected in line
    assert meta.title.vi in result.stdout


def test_rulesets_list_flags_an_invalid_ruleset(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "ttcp").mkdir()
    (tmp_path / "ttcp" / "2099.toml").write_text("[ruleset\n", encoding="utf-8")
    result = cli("--rulesets-dir", str(tmp_path), "rulesets", "list")
    assert result.exit_code == 1
    assert "ttcp@2099" in result.stdout and "invalid" in result.stdout


def test_rulesets_show_tree(cli: Invoke, compiled: cchc_rules.CompiledRuleset) -> None:
    result = cli("rulesets", "show", RULESET)
    assert result.exit_code == 0, result.output
    for area in compiled.model.areas:
        assert f"{area.id} {area.name.vi} [{area.max_points}]" in result.stdout
    for leaf in compiled.leaves:
        criterion = leaf.criterion
        assert f"{criterion.id} {criterion.name.vi} [{criterion.max_points}]" in result.stdout


def test_rulesets_show_toml_loads_back_with_the_same_content_hash(
    cli: Invoke, compiled: cchc_rules.CompiledRuleset, tmp_path: Path
) -> None:
    result = cli("rulesets", "show", RULESET, "--format", "toml")
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.stdout)
    assert data["ruleset"]["family"] == "ttcp"
    target = tmp_path / "resolved.toml"
    target.write_text(result.stdout, encoding="utf-8")
    assert cchc_rules.load_ruleset(target).content_hash == compiled.content_hash


def test_rulesets_show_json(cli: Invoke, compiled: cchc_rules.CompiledRuleset) -> None:
    result = cli("rulesets", "show", RULESET, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == compiled.model.model_dump(mode="json", exclude_none=True)


def test_plugins_list_shows_the_builtin_kinds(cli: Invoke) -> None:
    result = cli("plugins", "list")
    assert result.exit_code == 0, result.output
    label = f"cchc-rules {cchc_rules.__version__} [builtin]"
    for kind in BUILTIN_KINDS:
        line = next(line for line in result.stdout.splitlines() if f"│ {kind} " in line)
        assert label in line, line
    assert "PydanticUndefined" not in result.stdout


def test_version_in_a_real_process() -> None:
    done = run_module("--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"cchc-rules {cchc_rules.__version__}"
    assert f"  plugin cchc-rules {cchc_rules.__version__} [builtin]" in lines


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ((), "cchc evaluate ttcp@2018 demo"),
        (("evaluate",), "cchc evaluate ttcp@2018 demo"),
        (("explain",), "cchc explain ttcp@2018 demo TTCP-VPTT"),
        (("rulesets",), "cchc rulesets show ttcp@2018"),
        (("rulesets", "list"), "cchc rulesets list"),
        (("rulesets", "show"), "cchc rulesets show ttcp@2018 --format toml"),
        (("rulesets", "validate"), "cchc rulesets validate"),
        (("plugins",), "cchc plugins list"),
        (("plugins", "list"), "cchc plugins list"),
    ],
)
def test_help_teaches_with_an_example(cli: Invoke, command: tuple[str, ...], example: str) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout or "Start with" in result.stdout
    assert example in result.stdout


def test_evaluate_and_explain_pick_the_version_in_force_for_a_period(cli: Invoke) -> None:
    result = cli("evaluate", "ttcp", "demo", "--period", "2019", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ruleset"] == "ttcp@2019"
    assert "the only version in force for 2019" in result.stderr
    explained = cli("explain", "ttcp", "demo", "TTCP-VPC", "--period", "2018", "-f", "json")
    assert explained.exit_code == 0, explained.stderr
    assert json.loads(explained.stdout)["ruleset"] == "ttcp@2018"
    nothing = cli("evaluate", "ttcp", "demo", "--period", "2030")
    assert nothing.exit_code == 1
    assert "no version of ttcp is in force for 2030" in nothing.stderr
