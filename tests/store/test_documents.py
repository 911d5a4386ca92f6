"""The HTML report and unit scorecards from the store (``cchc campaign report|scorecards
[--run RUN]``): every line with self / appraised / final, evidence
shown as text, the run's provenance in the footer, same bytes for the same run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cchc_rules import api
from cchc_rules.reports._html_parts import safe_name
from cchc_rules.store._ops import Store
from tests.conftest import Invoke, Refused
from tests.reports.test_html import URL_ATTRIBUTES, parse, text_of
from tests.store.conftest import write

HOSTILE = """
unit_id,criterion_id,points,evidence_number,evidence_date,evidence_title,evidence_ref
TTCP-VPTT,A1,1,<b>15</b>,2019-01-10,<script>alert(1)</script>,javascript:alert(2)
TTCP-VPC,B1,2,1/BC,2019-02-01,Báo cáo,https://example.org/x.png
"""


def _cells(page: ET.Element, unit_id: str, criterion: str) -> list[ET.Element]:
    section = page.find(f".//section[@id='unit-{safe_name(unit_id)}']")
    assert section is not None, unit_id
    (row,) = [tr for tr in section.iter("tr") if tr.get("data-criterion") == criterion]
    return list(row)


def _links_outside(page: ET.Element) -> list[str]:
    return [
        f"{element.tag} {name}={value!r}"
        for element in page.iter()
        for name, value in element.attrib.items()
        if name.rsplit("}", 1)[-1].lower() in URL_ATTRIBUTES and not value.startswith("#")
    ]


def test_a_published_runs_report_shows_self_appraised_final_and_its_provenance(
    cli: Invoke, published: Store, location: str, tmp_path: Path
) -> None:
    first, again = tmp_path / "r1.html", tmp_path / "r1-again.html"
    for path in (first, again):
        result = cli(
            "campaign",
            "report",
            "ttcp-2019",
            "--run",
            "ttcp-2019/1",
            "-o",
            str(path),
            "-s",
            location,
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == again.read_bytes()
    page = parse(first.read_bytes())
    cards = api.stored_results(published, "ttcp-2019", run="ttcp-2019/1")
    sections = {s.get("id") for s in page.iter("section") if "unit" in (s.get("class") or "")}
    ids = cards.scorecards.units.unit_ids.to_pylist()
    assert sections == {f"unit-{safe_name(u)}" for u in ids}
    heads = [text_of(th) for th in page.findall(".//section[@class='unit']//thead/tr/th")[:6]]
    assert [h.split(" /")[0] for h in heads[2:5]] == ["Tự chấm", "Thẩm định", "Điểm cuối cùng"]
    # Self 3.5 with two documents, appraised 1.75 with the team's reason; final 1.75.
    cells = _cells(page, "TTCP-VTCCB", "A3")
    assert [text_of(c) for c in cells[2:4]] == ["3.5", "1.75"]
    assert text_of(cells[4]).startswith("1.75 / ")
    assert "Chỉ hoàn thành 85% kế hoạch" in text_of(cells[5])
    documents = [text_of(s) for s in cells[5].iter("span") if s.get("class") == "doc"]
    assert any("12/BC-TCCB" in d and "https://example.org/bc.pdf" in d for d in documents)
    assert any("13/BC-TCCB" in d and "Phụ lục" in d for d in documents)
    # A line the appraisal left alone: self-score and final, no appraised score.
    cells = _cells(page, "TTCP-VPTT", "A2")
    assert text_of(cells[2]) == "1" and text_of(cells[3]) == ""
    assert _links_outside(page) == []
    footer = text_of(page.find(".//footer"))  # type: ignore[arg-type]
    stored = published.run("ttcp-2019/1").provenance
    assert "ttcp-2019/1" in footer and "Thư ký" in footer and stored["cchc_rules"] in footer


def test_the_republished_runs_scorecard_shows_the_re_appraisal(
    cli: Invoke, published: Store, location: str, tmp_path: Path
) -> None:
    out = tmp_path / "phieu"
    result = cli(
        "campaign",
        "scorecards",
        "ttcp-2019",
        "--run",
        "ttcp-2019/2",
        "-o",
        str(out),
        "-u",
        "TTCP-VTCCB",
        "-s",
        location,
    )
    assert result.exit_code == 0, result.output
    page = parse((out / "TTCP-VTCCB.html").read_bytes())
    (row,) = [tr for tr in page.iter("tr") if tr.get("data-criterion") == "A3"]
    cells = list(row)
    assert [text_of(c) for c in cells[2:4]] == ["3.5", "3.5"]
    assert "Phúc khảo" in text_of(cells[5])
    assert "ttcp-2019/2" in text_of(page.find(".//footer"))  # type: ignore[arg-type]


def test_hostile_evidence_in_an_open_campaign_shows_as_text(
    cli: Invoke, location: str, tmp_path: Path
) -> None:
    store = Store(location)
    api.open_campaign(store, "ttcp", "demo", period=2019, who="Thư ký")
    api.self_assess(store, "ttcp-2019", write(tmp_path / "s.csv", HOSTILE), who="Văn phòng")
    out = tmp_path / "draft.html"
    result = cli("campaign", "report", "ttcp-2019", "-o", str(out), "--store", location)
    assert result.exit_code == 0, result.output
    page = parse(out.read_bytes())
    scripts = list(page.iter("script"))
    assert len(scripts) == 1 and "alert" not in text_of(scripts[0])
    assert not [e for e in page.iter() if e.tag == "b"]
    cells = _cells(page, "TTCP-VPTT", "A1")
    (document,) = [text_of(s) for s in cells[5].iter("span") if s.get("class") == "doc"]
    assert "<b>15</b>" in document and "<script>alert(1)</script>" in document
    assert "javascript:alert(2)" in document
    assert _links_outside(page) == []
    # Not published: no run, so no provenance block.
    assert page.find(".//dl[@class='provenance']") is None


def test_a_run_that_does_not_exist_or_is_of_another_campaign_is_refused(
    refused: Refused, published: Store, location: str, tmp_path: Path
) -> None:
    out = str(tmp_path / "r.html")
    problems = refused(
        "campaign", "report", "ttcp-2019", "--run", "ttcp-2019/9", "-o", out, "-s", location
    )
    assert any("no run 'ttcp-2019/9'" in line for line in problems)
    api.open_campaign(published, "ttcp", "demo", period=2018, who="Thư ký")
    problems = refused(
        "campaign", "report", "ttcp-2018", "--run", "ttcp-2019/1", "-o", out, "-s", location
    )
    assert any("not a run of the campaign 'ttcp-2018'" in line for line in problems)
    assert not (tmp_path / "r.html").exists()
