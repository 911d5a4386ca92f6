"""``cchc report``, ``cchc scorecards`` and ``cchc explain -o``, end to end: each file is
read back and compared with the Python API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import html5lib
import pytest
from typer.testing import Result

import cchc_rules
from cchc_rules.cli import _report
from cchc_rules.reports._html_parts import safe_name

Invoke = Callable[..., Result]
RULESET = "ttcp@2018"


def parse(path: Path) -> ET.Element:
    return html5lib.parse(path.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)


def test_report_writes_one_html_file_and_refuses_to_replace_it(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = cli("report", RULESET, "demo", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stderr
    page = parse(target)
    rows = page.findall(".//table[@id='units-table']/tbody/tr")
    assert len(rows) == 19
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left
    before = target.read_bytes()
    refused = cli("report", RULESET, "demo", "-o", str(target), "--lang", "en")
    assert refused.exit_code == 1
    assert "report.html: file exists; pass --force to replace it" in refused.stderr
    assert target.read_bytes() == before
    replaced = cli("report", RULESET, "demo", "-o", str(target), "--lang", "en", "--force")
    assert replaced.exit_code == 0
    assert parse(target).get("lang") == "en"


def test_report_needs_an_html_file_name(cli: Invoke, tmp_path: Path) -> None:
    result = cli("report", RULESET, "demo", "-o", str(tmp_path / "report.pdf"))
    assert result.exit_code == 2
    assert "name the file .html" in result.output
    missing = cli("report", RULESET, "demo")
    assert missing.exit_code == 2 and "--output" in missing.output


def test_report_takes_record_sets_like_evaluate(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    records = cchc_rules.__file__.rsplit("/", 1)[0] + "/demo/records/ttcp_2020"
    result = cli(
        "report",
        "ttcp@2020",
        "demo",
        "-o",
        str(target),
        "--records",
        f"roster={records}/roster.csv",
    )
    assert result.exit_code == 0, result.output
    section = parse(target).find(".//section[@id='unit-TTCP-TAPCHI']")
    assert section is not None
    assert any(s.get("class") == "ev" for s in section.iter("span"))


def test_scorecards_write_a_document_per_unit(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "cards"
    result = cli("scorecards", RULESET, "demo", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote 19 files to {out}" in result.stderr
    ruleset = cchc_rules.load_ruleset(RULESET)
    ids = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset)).units.unit_ids
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{safe_name(i)}.html" for i in ids.to_pylist()
    )
    again = cli("scorecards", RULESET, "demo", "-o", str(out), "--unit", "TTCP-VPC")
    assert again.exit_code == 1
    assert "TTCP-VPC.html: file exists; pass --force to replace it" in again.stderr
    one = cli("scorecards", RULESET, "demo", "-o", str(out), "-u", "TTCP-VPC", "--force")
    assert one.exit_code == 0 and "wrote 1 files" in one.stderr


def test_scorecards_of_an_unknown_unit_suggest_the_closest(cli: Invoke, tmp_path: Path) -> None:
    result = cli("scorecards", RULESET, "demo", "-o", str(tmp_path / "x"), "-u", "TTCP-VPX")
    assert result.exit_code == 1
    assert "no unit 'TTCP-VPX'; did you mean 'TTCP-VPC'?" in result.stderr
    assert not (tmp_path / "x").exists()


def test_explain_to_json_is_what_format_json_prints(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "vpc.json"
    written = cli("explain", RULESET, "demo", "TTCP-VPC", "-o", str(target))
    assert written.exit_code == 0, written.output
    printed = cli("explain", RULESET, "demo", "TTCP-VPC", "--format", "json")
    assert json.loads(target.read_text()) == json.loads(printed.stdout)
    refused = cli("explain", RULESET, "demo", "TTCP-VPC", "-o", str(target))
    assert refused.exit_code == 1 and "pass --force" in refused.stderr


def test_explain_to_text_is_the_table_without_colour(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "vpc.txt"
    result = cli("explain", RULESET, "demo", "TTCP-VPC", "-o", str(target), "--lang", "en")
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "\x1b" not in text
    explanation = cchc_rules.evaluate(
        RULESET, cchc_rules.demo_units_path(cchc_rules.load_ruleset(RULESET))
    ).explain("TTCP-VPC", lang="en")
    assert explanation.name in text
    for line in explanation.lines:
        assert line.id in text


def test_explain_to_html_is_the_unit_scorecard(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "vpc.html"
    result = cli("explain", RULESET, "demo", "TTCP-VPC", "-o", str(target))
    assert result.exit_code == 0, result.output
    page = parse(target)
    shown = [tr.get("data-criterion") for tr in page.iter("tr") if tr.get("data-criterion")]
    ruleset = cchc_rules.load_ruleset(RULESET)
    assert shown == [placed.node.id for placed in ruleset.model.tree()]


def test_explain_output_names_its_format_by_suffix(cli: Invoke, tmp_path: Path) -> None:
    unknown = cli("explain", RULESET, "demo", "TTCP-VPC", "-o", str(tmp_path / "vpc.xml"))
    assert unknown.exit_code == 2 and "cannot tell the format" in unknown.output
    mismatch = cli(
        "explain", RULESET, "demo", "TTCP-VPC", "-f", "json", "-o", str(tmp_path / "vpc.html")
    )
    assert mismatch.exit_code == 2 and "--format json writes JSON" in mismatch.output
    assert list(tmp_path.iterdir()) == []


def test_report_without_unit_sections_has_the_summary_and_table(
    cli: Invoke, tmp_path: Path
) -> None:
    target = tmp_path / "summary.html"
    result = cli("report", RULESET, "demo", "-o", str(target), "--no-unit-sections")
    assert result.exit_code == 0, result.output
    page = parse(target)
    assert page.find(".//section[@id='summary']") is not None
    assert len(page.findall(".//table[@id='units-table']/tbody/tr")) == 19
    assert not [s for s in page.iter("section") if "unit" in (s.get("class") or "")]
    # No link to a section that is not there.
    assert not [a for a in page.iter("a") if a.get("href", "").startswith("#unit-")]


def test_a_report_of_many_units_leaves_the_sections_out_and_says_so(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 19 demo units stand for "many": the cap lowered to 5 (it is 5,000).
    monkeypatch.setattr(_report, "REPORT_UNIT_SECTIONS_MAX", 5)
    target = tmp_path / "report.html"
    result = cli("report", RULESET, "demo", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "19 units, more than 5: the unit sections are left out" in result.stderr
    page = parse(target)
    assert not [s for s in page.iter("section") if "unit" in (s.get("class") or "")]
    note = page.find(".//p[@id='sections-left-out']")
    assert note is not None and "cchc scorecards" in "".join(note.itertext())
    forced = cli("report", RULESET, "demo", "-o", str(target), "--force", "--unit-sections")
    assert forced.exit_code == 0 and "left out" not in forced.stderr
    assert len([s for s in parse(target).iter("section") if s.get("class") == "unit"]) == 19
