"""Import files as offices save them (semicolons, UTF-16, decimal commas) and as nobody
should (deep JSON, another encoding, random bytes): read, or refused with the cause."""

from __future__ import annotations

import codecs
import datetime as dt
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules.errors import InputError
from cchc_rules.store._files import cell_date, cell_decimal, read_import

HEADER = "unit_id,criterion_id,points\n"


def _read(tmp_path: Path, name: str, content: bytes) -> list[dict[str, str]]:
    path = tmp_path / name
    path.write_bytes(content)
    return [cells for _, cells in read_import(path).rows]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (HEADER.encode() + b"TTCP-VPC,A1,0.5\n", "plain UTF-8"),
        (codecs.BOM_UTF8 + (HEADER + "TTCP-VPC,A1,0.5\n").encode(), "Excel's CSV UTF-8"),
        ((HEADER + "TTCP-VPC,A1,0.5\n").encode("utf-16"), "UTF-16 with its BOM"),
        (b"unit_id;criterion_id;points\nTTCP-VPC;A1;0,5\n", "semicolons"),
        (b"unit_id\tcriterion_id\tpoints\nTTCP-VPC\tA1\t0.5\n", "tabs"),
    ],
)
def test_csv_as_offices_save_it(tmp_path: Path, content: bytes, why: str) -> None:
    rows = _read(tmp_path, "self.csv", content)
    assert rows == [{"unit_id": "TTCP-VPC", "criterion_id": "A1", "points": rows[0]["points"]}], why
    assert cell_decimal(rows[0]["points"]) == Decimal("0.5"), why


def test_a_quoted_comma_in_a_comma_file_stays_in_its_cell(tmp_path: Path) -> None:
    content = 'unit_id,criterion_id,points,evidence_title\nX,A1,"0,5","Báo cáo; quý IV"\n'
    (row,) = _read(tmp_path, "self.csv", content.encode())
    assert row["points"] == "0,5" and row["evidence_title"] == "Báo cáo; quý IV"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0,5", Decimal("0.5")),
        ("12,25", Decimal("12.25")),
        ("1.75", Decimal("1.75")),
        ("1,234", None),  # a thousands separator or a decimal comma: not guessed
        ("1,2,3", None),
        ("NaN", None),
        ("Infinity", None),
        ("=1+1", None),
        ("", None),
    ],
)
def test_cell_decimal_reads_a_comma_only_where_it_cannot_be_thousands(
    text: str, value: Decimal | None
) -> None:
    assert cell_decimal(text) == value


def test_another_encoding_is_named_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "self.csv"
    # Windows-1258 writes Vietnamese with combining tone marks (decomposed).
    text = unicodedata.normalize("NFD", HEADER + "TTCP-VPC,A1,Đạt\n")
    path.write_bytes(text.encode("cp1258"))
    with pytest.raises(InputError) as caught:
        read_import(path)
    assert "not UTF-8 text" in str(caught.value) and "Windows-1258" in str(caught.value)


def test_json_nested_too_deeply_is_a_located_refusal(tmp_path: Path) -> None:
    path = tmp_path / "self.json"
    path.write_text("[" * 100_000)
    with pytest.raises(InputError) as caught:
        read_import(path)
    assert "nested too deeply (expected an array of objects, one per row)" in str(caught.value)


@settings(settings.get_profile("fuzz"), max_examples=60)
@given(
    suffix=st.sampled_from([".csv", ".json", ".xlsx"]),
    content=st.one_of(
        st.binary(max_size=2_000),
        st.text(max_size=500).map(lambda text: (HEADER + text).encode()),
    ),
)
def test_any_bytes_are_read_or_refused_with_a_located_error(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"import{suffix}"
    path.write_bytes(content)
    try:
        read_import(path)
    except InputError as exc:
        assert all(problem.file == str(path) for problem in exc.problems)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2019-12-20", dt.date(2019, 12, 20)),
        ("20/12/2019", dt.date(2019, 12, 20)),
        ("5/1/2019", dt.date(2019, 1, 5)),  # day first, as Vietnamese documents write it
        ("31/02/2019", None),
        ("12/20/2019", None),  # month first is not a Vietnamese date
        ("20-12-2019", None),
        ("", None),
    ],
)
def test_cell_date_reads_iso_and_day_first(text: str, day: dt.date | None) -> None:
    assert cell_date(text) == day


def test_title_lines_above_the_header_are_skipped_and_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "self.csv"
    path.write_text("Bảng tự chấm điểm năm 2019\n\n" + HEADER + "TTCP-VPC,A1,1\n", "utf-8")
    (row,) = read_import(path).rows
    assert row == (4, {"unit_id": "TTCP-VPC", "criterion_id": "A1", "points": "1"})
