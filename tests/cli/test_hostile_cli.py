"""The command line on hostile data: text that looks like rich markup, emoji codes or
terminal escapes is printed as it is (escapes taken out), in tables and in errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

import cchc_rules

Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]

RULESET = "ttcp@2018"
DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"

HOSTILE = ":fire: [bold]x[/bold] \x1b[31mred\x1b[0m\x07 \x9b2J:100:"
SHOWN = ":fire: [bold]x[/bold] red :100:"


def demo_rows() -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(DEMO_CSV.read_text(encoding="utf-8"))))
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def assert_literal(text: str) -> None:
    assert "🔥" not in text and "💯" not in text
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text


def test_a_unit_name_is_printed_literally_in_the_ranking(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo_rows()
    rows[0][header.index("name")] = HOSTILE
    units = write_csv(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units))
    assert result.exit_code == 0, result.output
    assert SHOWN in result.stdout
    assert_literal(result.stdout)


def test_explain_prints_names_and_quoted_facts_literally(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo_rows()
    rows[2][header.index("name")] = HOSTILE
    rows[2][header.index("innovation_note")] = f"note {HOSTILE}"
    units = write_csv(tmp_path / "units.csv", header, rows)
    result = cli("explain", RULESET, str(units), rows[2][0])
    assert result.exit_code == 0, result.output
    assert f"{SHOWN} ({rows[2][0]})" in result.stdout
    assert_literal(result.stdout)


def test_an_error_at_line_100_quoting_emoji_codes_is_printed_literally(
    refused: Refused, tmp_path: Path
) -> None:
    header, rows = demo_rows()
    many = [[f"U{n}", *row[1:]] for n, row in enumerate(rows * 6)]
    many[98][header.index("plan_targets")] = HOSTILE  # row 100, counting the header
    units = write_csv(tmp_path / "units.csv", header, many)
    problems = refused("evaluate", RULESET, str(units))
    # The quoted value is its repr: escapes show as the text \\x1b, never act.
    assert problems == [f"{units}:100: plan_targets: expected a whole number (got {HOSTILE!r})"]
    assert_literal("\n".join(problems))
