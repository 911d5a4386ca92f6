"""The HTML report and the unit scorecards, read back with a real HTML parser (html5lib):
structure, every unit and criterion, nothing loaded from outside, every text escaped;
and, where a headless Chromium is installed, rendered by it with no console error."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import html5lib
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import cchc_rules
from cchc_rules import api
from cchc_rules.errors import CchcError
from cchc_rules.reports._charts import neutralise_svg
from cchc_rules.reports._html import CHART_UNITS
from cchc_rules.reports._html_parts import safe_name
from cchc_rules.results._scorecards import Scorecards

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SORT_SCRIPT = Path(cchc_rules.__file__).parent / "reports" / "templates" / "sort.js"
# Hostile text in every place a unit's data reaches: its id (attributes, links, anchors),
# its names (text, chart labels) and a fact that reasons quote (the innovation note).
EVIL_ID = "EVIL\"'<b>&1 /../x"
EVIL_NAME = "<script>alert(1)</script> & <img src=x onerror=alert(2)> \"q\" 'a' </style>"
# Namespace names, which only name a vocabulary and are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "background", "srcset"}


def parse(data: bytes) -> ET.Element:
    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


@pytest.fixture(scope="module")
def demo() -> Scorecards:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    return cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))


@pytest.fixture(scope="module")
def report(demo: Scorecards) -> bytes:
    return api.report_html(demo)


def _demo_table() -> pa.Table:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    return pacsv.read_csv(cchc_rules.demo_units_path(ruleset))


def _with_column(table: pa.Table, name: str, values: list[object]) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, name, pa.array(values, table.schema.field(name).type))


@pytest.fixture(scope="module")
def hostile() -> Scorecards:
    table = _demo_table()
    first = {"unit_id": EVIL_ID, "name": EVIL_NAME, "name_en": EVIL_NAME}
    for column, value in first.items():
        table = _with_column(table, column, [value, *table[column].to_pylist()[1:]])
    notes = table["innovation_note"].to_pylist()
    table = _with_column(table, "innovation_note", [EVIL_NAME] * len(notes))
    return cchc_rules.evaluate("ttcp@2018", table)


@pytest.fixture(scope="module")
def hostile_report(hostile: Scorecards) -> bytes:
    return api.report_html(hostile)


# -- structure ---------------------------------------------------------------------------


def test_the_report_has_a_summary_charts_a_table_and_a_section_per_unit(
    demo: Scorecards, report: bytes
) -> None:
    page = parse(report)
    assert page.get("lang") == "vi"
    summary = page.find(".//section[@id='summary']")
    assert summary is not None
    assert "ttcp@2018" in text_of(page.find(".//header"))  # type: ignore[arg-type]
    assert demo.ruleset.content_hash in text_of(page.find(".//header"))  # type: ignore[arg-type]
    stats = text_of(summary.find(".//div[@class='stats']"))  # type: ignore[arg-type]
    assert "19" in stats and "99.67" in stats and "57.62" in stats  # units, highest, lowest
    figures = {fig.get("class"): fig for fig in summary.iter("figure")}
    groups = demo.ruleset.model.ranking.peer_groups
    kinds = [fig.get("class") for fig in summary.iter("figure")]
    assert kinds.count("chart distribution") == 1
    assert kinds.count("chart ranking") == kinds.count("chart heatmap") == len(groups)
    for figure in summary.iter("figure"):
        assert figure.find(f"{SVG}svg") is not None, figure.get("class")
    # The distribution marks the grade bands' thresholds.
    bands = text_of(figures["chart distribution"])
    assert "Xuất sắc ≥ 90" in bands and "Khá ≥ 70" in bands


def test_the_table_has_one_row_per_unit_linked_to_its_section(
    demo: Scorecards, report: bytes
) -> None:
    page = parse(report)
    table = page.find(".//table[@id='units-table']")
    assert table is not None and "sortable" in (table.get("class") or "")
    rows = table.findall("./tbody/tr")
    ids = demo.units.unit_ids.to_pylist()
    assert len(rows) == len(ids) == 19
    linked = [row.find(".//a") for row in rows]
    assert sorted(text_of(a) for a in linked if a is not None) == sorted(ids)
    sections = {s.get("id") for s in page.iter("section") if "unit" in (s.get("class") or "")}
    for link in linked:
        assert link is not None
        assert link.get("href", "").removeprefix("#") in sections
    # Ranked within each peer group, as the terminal shows it.
    ranks = [text_of(row[0]) for row in rows]
    assert ranks[:3] == ["1", "2", "3"]
    headings = [text_of(th) for th in table.findall("./thead/tr/th")]
    assert headings[0].startswith("Hạng") and [h for h in headings if len(h) == 1] == list(
        "ABCDEFGH"
    )


def test_every_unit_section_lists_every_area_and_criterion(demo: Scorecards, report: bytes) -> None:
    page = parse(report)
    every_id = [placed.node.id for placed in demo.ruleset.model.tree()]
    for unit_id in demo.units.unit_ids.to_pylist():
        section = page.find(f".//section[@id='unit-{safe_name(unit_id)}']")
        assert section is not None, unit_id
        shown = [tr.get("data-criterion") for tr in section.iter("tr") if tr.get("data-criterion")]
        assert shown == every_id
        explanation = demo.explain(unit_id)
        assert f"({unit_id})" in text_of(section.find("h3"))  # type: ignore[arg-type]
        rows = {tr.get("data-criterion"): tr for tr in section.iter("tr")}
        for line in explanation.lines:
            if line.is_leaf:
                assert line.reason in text_of(rows[line.id][3])
                if line.hint:
                    assert line.hint in text_of(rows[line.id][3])
                if line.legal_ref:
                    assert line.legal_ref in text_of(rows[line.id][3])


def test_a_subtotal_shows_points_of_what_applies_and_the_full_maximum(report: bytes) -> None:
    page = parse(report)
    section = page.find(".//section[@id='unit-TTCP-BAO']")
    assert section is not None
    area_b = next(tr for tr in section.iter("tr") if tr.get("data-criterion") == "B")
    # The Inspectorate's newspaper is not a drafting body: B counts only what applies.
    assert re.fullmatch(r"[\d.]+ / [\d.]+ \(12\)", text_of(area_b[2]))


def test_english_first_with_lang_en(demo: Scorecards) -> None:
    page = parse(api.report_html(demo, lang="en"))
    assert page.get("lang") == "en"
    heading = page.find(".//h1")
    assert heading is not None and text_of(heading).startswith("PAR Index results report")
    assert "Báo cáo" in text_of(heading)  # Vietnamese beside
    names_en = demo.units.names_en.to_pylist()
    assert names_en[0] in text_of(page.find(".//table[@id='units-table']"))  # type: ignore[arg-type]


def test_the_same_results_give_the_same_bytes(demo: Scorecards, report: bytes) -> None:
    # No clock and no random ids: an auditor can compare two reports byte for byte.
    assert api.report_html(demo) == report


def test_records_reach_the_report_as_evidence_lines() -> None:
    ruleset = cchc_rules.load_ruleset("ttcp@2020")
    cards = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))
    page = parse(api.report_html(cards, lang="en"))
    section = page.find(".//section[@id='unit-TTCP-TAPCHI']")
    assert section is not None
    evidence = [text_of(span) for span in section.iter("span") if span.get("class") == "ev"]
    assert any("TAPCHI-015" in line for line in evidence)


# -- nothing from outside, nothing active -------------------------------------------------


def _external_references(data: bytes) -> list[str]:
    """Every reference the page would load or follow outside itself."""
    found: list[str] = []
    page = parse(data)
    for element in page.iter():
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local in URL_ATTRIBUTES and value and not value.startswith("#"):
                found.append(f"{element.tag} {name}={value!r}")
            if "url(" in value.lower() and not re.fullmatch(r".*url\(\s*['\"]?#.*", value):
                found.append(f"{element.tag} {name}={value!r}")
    styles = " ".join(text_of(s) for s in page.iter("style"))
    found += re.findall(r"@import[^;]*|url\(\s*['\"]?(?!#)[^)]*\)", styles, re.IGNORECASE)
    text = data.decode()
    found += [
        u for u in re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", text) if u not in NAMESPACES
    ]
    return found


def test_the_report_references_nothing_outside_itself(report: bytes) -> None:
    assert _external_references(report) == []
    page = parse(report)
    policy = next(
        m.get("content", "")
        for m in page.iter("meta")
        if m.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy.split("script-src")[1]


def test_the_only_script_is_the_fixed_sorting_script(hostile_report: bytes) -> None:
    page = parse(hostile_report)
    scripts = list(page.iter("script")) + list(page.iter(f"{SVG}script"))
    assert [text_of(s).strip() for s in scripts] == [SORT_SCRIPT.read_text().strip()]
    for element in page.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.tag


def test_a_hostile_unit_shows_as_text_in_table_section_and_charts(hostile_report: bytes) -> None:
    page = parse(hostile_report)
    assert _external_references(hostile_report) == []
    table = page.find(".//table[@id='units-table']")
    assert table is not None
    cells = [text_of(td) for td in table.iter("td")]
    assert EVIL_NAME in cells and EVIL_ID in cells
    assert not list(page.iter("img")) and not list(page.iter("b"))
    section = page.find(f".//section[@id='unit-{safe_name(EVIL_ID)}']")
    assert section is not None and EVIL_NAME in text_of(section.find("h3"))  # type: ignore[arg-type]
    # The innovation note reaches a reason (the appraisal's comment), as text.
    assert EVIL_NAME in text_of(section)
    link = next(a for a in table.iter("a") if text_of(a) == EVIL_ID)
    assert link.get("href") == f"#unit-{safe_name(EVIL_ID)}"
    # In the charts the name is an SVG text label, cut short but never markup.
    labels = [text_of(t) for svg in page.iter(f"{SVG}svg") for t in svg.iter(f"{SVG}text")]
    assert any(label.startswith("1") and "<script>alert(1)" in label for label in labels) or any(
        "<script>alert(1)" in label for label in labels
    )
    for svg in page.iter(f"{SVG}svg"):
        tags = {el.tag for el in svg.iter()}
        assert not {"script", f"{SVG}script", f"{SVG}foreignObject", "img"} & tags


def test_safe_names_keep_ordinary_ids_and_never_collide_or_escape_a_folder() -> None:
    assert safe_name("TTCP-VPC") == "TTCP-VPC"
    ids = ["a/b", "a~2Fb", "a b", "a_b", "..", ".", "Cục-1", "a~b", "CON", EVIL_ID]
    names = [safe_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_~-]+", n) for n in names)


def test_chart_svg_is_neutralised_before_it_is_inlined() -> None:
    svg = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
        '<defs><clipPath id="clip1"><rect/></clipPath></defs>'
        '<image href="https://example.org/a.png"/><g clip-path="url(#clip1)" '
        'style="fill: url(https://example.org/p)"><use xlink:href="#clip1"/></g></svg>'
    )
    out = neutralise_svg(svg, "c7-")
    assert "example.org" not in out and "<?xml" not in out
    assert 'id="c7-0"' in out and "url(#c7-0)" in out and 'href="#c7-0"' in out
    with pytest.raises(ValueError, match="active content"):
        neutralise_svg("<svg><script>alert(1)</script></svg>", "c1-")
    with pytest.raises(ValueError, match="active content"):
        neutralise_svg('<svg><rect onclick="alert(1)"/></svg>', "c1-")


# -- many units ---------------------------------------------------------------------------


def test_a_large_group_charts_its_best_and_worst_and_tables_every_unit() -> None:
    base = _demo_table()
    copies = [
        _with_column(base, "unit_id", [f"{i}-{k}" for i in base["unit_id"].to_pylist()])
        for k in range(6)
    ]
    cards = cchc_rules.evaluate("ttcp@2018", pa.concat_tables(copies))
    page = parse(api.report_html(cards))
    rankings = [f for f in page.iter("figure") if f.get("class") == "chart ranking"]
    labels = [text_of(t) for t in rankings[0].iter(f"{SVG}text") if re.match(r"\d+\. ", text_of(t))]
    assert len(labels) == CHART_UNITS  # 84 units in the group: the top and bottom 15
    assert "top 15 and bottom 15 of 84" in text_of(rankings[0])
    table = page.find(".//table[@id='units-table']")
    assert table is not None and len(table.findall("./tbody/tr")) == len(cards) == 114


# -- the optional libraries ---------------------------------------------------------------


def test_without_the_report_extra_the_error_says_how_to_install_it(
    demo: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # an import of it now fails
    with pytest.raises(CchcError, match=re.escape("pip install 'cchc-rules[report]'")):
        api.report_html(demo)


# -- scorecard documents ------------------------------------------------------------------


def test_scorecards_write_one_document_per_unit(demo: Scorecards, tmp_path: Path) -> None:
    written = api.write_scorecards(demo, tmp_path / "cards")
    ids = demo.units.unit_ids.to_pylist()
    assert sorted(p.name for p in written) == sorted(f"{i}.html" for i in ids)
    page = parse((tmp_path / "cards" / "TTCP-VPC.html").read_bytes())
    explanation = demo.explain("TTCP-VPC")
    header = text_of(page.find(".//header"))  # type: ignore[arg-type]
    assert explanation.name in header and explanation.grade in header  # type: ignore[operator]
    assert f"{explanation.rank} / {explanation.group_size}" in header
    assert page.find(".//figure[@class='chart areas']/" + f"{SVG}svg") is not None
    shown = [tr.get("data-criterion") for tr in page.iter("tr") if tr.get("data-criterion")]
    assert shown == [line.id for line in explanation.lines]
    assert _external_references((tmp_path / "cards" / "TTCP-VPC.html").read_bytes()) == []
    assert not list(page.iter("script"))


def test_scorecards_refuse_to_overwrite_before_writing_anything(
    demo: Scorecards, tmp_path: Path
) -> None:
    (tmp_path / "TTCP-VPC.html").write_bytes(b"keep")
    with pytest.raises(CchcError, match=re.escape("TTCP-VPC.html: file exists; pass --force")):
        api.write_scorecards(demo, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["TTCP-VPC.html"]
    assert (tmp_path / "TTCP-VPC.html").read_bytes() == b"keep"
    api.write_scorecards(demo, tmp_path, unit_ids=["TTCP-VPC"], force=True)
    assert (tmp_path / "TTCP-VPC.html").read_bytes().startswith(b"<!DOCTYPE html>")


def test_scorecards_of_an_unknown_unit_write_nothing(demo: Scorecards, tmp_path: Path) -> None:
    with pytest.raises(CchcError, match="no unit 'TTCP-NOPE'"):
        api.write_scorecards(demo, tmp_path / "out", unit_ids=["TTCP-VPC", "TTCP-NOPE"])
    assert not (tmp_path / "out").exists()


def test_scorecard_file_names_are_safe_from_the_unit_id(
    hostile: Scorecards, tmp_path: Path
) -> None:
    written = api.write_scorecards(hostile, tmp_path, unit_ids=[EVIL_ID])
    assert written == [tmp_path / f"{safe_name(EVIL_ID)}.html"]
    assert [p.name for p in tmp_path.iterdir()] == [written[0].name]
    page = parse(written[0].read_bytes())
    assert EVIL_NAME in text_of(page.find(".//h1"))  # type: ignore[arg-type]
    assert _external_references(written[0].read_bytes()) == []


def test_ids_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    base = _demo_table().slice(0, 2)
    cards = cchc_rules.evaluate("ttcp@2018", _with_column(base, "unit_id", ["unit-a", "UNIT-A"]))
    with pytest.raises(CchcError, match="differ only in case"):
        api.write_scorecards(cards, tmp_path)
    api.write_scorecards(cards, tmp_path, unit_ids=["UNIT-A"])


def test_pdf_scorecards_when_weasyprint_is_installed(demo: Scorecards, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint is not usable here ({exc}): pip install 'cchc-rules[pdf]'")
    written = api.write_scorecards(demo, tmp_path, unit_ids=["TTCP-VPC"], pdf=True)
    assert [p.name for p in written] == ["TTCP-VPC.html", "TTCP-VPC.pdf"]
    assert written[1].read_bytes().startswith(b"%PDF")


def test_without_weasyprint_pdf_says_how_to_install_it_and_writes_nothing(
    demo: Scorecards, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(CchcError, match=re.escape("pip install 'cchc-rules[pdf]'")):
        api.write_scorecards(demo, tmp_path, pdf=True)
    assert list(tmp_path.iterdir()) == []


# -- in a real browser --------------------------------------------------------------------


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless Chromium on this machine (chromium not on PATH): not rendered")


def _render(browser: str, page: Path) -> tuple[str, str]:
    """The DOM after the page's scripts ran, and the browser's log (console included)."""
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


CONSOLE_ERRORS = re.compile(r":CONSOLE\b|Uncaught|Content Security Policy", re.IGNORECASE)


@pytest.fixture
def browser() -> Iterator[str]:
    yield _browser()


def test_a_browser_renders_the_report_with_no_console_error(
    browser: str, hostile_report: bytes, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_bytes(hostile_report)
    dom, log = _render(browser, page)
    assert not CONSOLE_ERRORS.findall(log), log
    # The sorting script ran (its hash is the one script the page's policy allows) …
    assert "sortable js-sort" in dom
    # … and the hostile name is still text after the browser parsed the page.
    assert "alert(1)" in dom and "<script>alert(1)" not in dom


def test_a_browser_sorts_the_table_by_number_and_by_vietnamese_name(
    browser: str, tmp_path: Path
) -> None:
    # The report's own script on a small table, clicked by a test script; the result is
    # written into the page, which the browser dumps.
    page = tmp_path / "sort.html"
    page.write_text(
        '<!DOCTYPE html><html lang="vi"><body><table class="sortable"><thead><tr>'
        '<th data-type="number">n</th><th>name</th></tr></thead><tbody>'
        '<tr><td data-v="9.5">9.5</td><td>Đông</td></tr>'
        '<tr><td data-v="">—</td><td>An</td></tr>'
        '<tr><td data-v="10">10</td><td>Bình</td></tr>'
        f"</tbody></table><script>{SORT_SCRIPT.read_text()}</script><script>"
        "var th = document.querySelectorAll('th'), out = [];"
        "function names() { return Array.prototype.map.call(document.querySelectorAll("
        "'tbody tr'), function (r) { return r.cells[1].textContent; }).join(','); }"
        "th[0].click(); out.push(names()); th[0].click(); out.push(names());"
        "th[1].click(); out.push(names());"
        "document.body.setAttribute('data-result', out.join('|'));"
        "</script></body></html>",
        encoding="utf-8",
    )
    dom, log = _render(browser, page)
    assert not CONSOLE_ERRORS.findall(log), log
    result = re.search(r'data-result="([^"]*)"', dom)
    assert result is not None
    # Ascending, descending (a missing value stays last), then by name (Đ after B).
    assert result.group(1) == "Đông,Bình,An|Bình,Đông,An|An,Bình,Đông"
