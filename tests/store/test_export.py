"""``cchc runs export``: a published run written as the annex or the data table, with the
run's stored provenance, and refused when the store no longer gives what was published."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa
from openpyxl import load_workbook

from cchc_rules.store._ops import Store
from cchc_rules.store._schema import events
from tests.conftest import Invoke, Refused


def _area_a(path: Path, unit_name: str) -> object:
    """The points in area A of the unit named ``unit_name`` on the annex sheet."""
    sheet = load_workbook(path)["Phụ lục"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "STT")
    column = next(i for i, text in enumerate(header) if str(text).startswith("A."))
    return next(row[column] for row in rows if row[1] == unit_name)


def test_the_annex_of_each_run_shows_what_that_run_published(
    cli: Invoke, published: Store, location: str, tmp_path: Path
) -> None:
    first, second, again = (tmp_path / f"{n}.xlsx" for n in ("first", "second", "again"))
    for run, path in (("ttcp-2019/1", first), ("ttcp-2019/2", second), ("ttcp-2019/2", again)):
        result = cli("runs", "export", run, "-o", str(path), "--layout", "annex", "-s", location)
        assert result.exit_code == 0, result.output
    # The appeal moved TTCP-VTCCB's A3 from 1.75 to 3.5: its area A moves by 1.75.
    before, after = _area_a(first, "Vụ Tổ chức cán bộ"), _area_a(second, "Vụ Tổ chức cán bộ")
    assert isinstance(before, float) and isinstance(after, float)
    assert after - before == 1.75
    assert second.read_bytes() == again.read_bytes()
    provenance = dict(load_workbook(second)["Nguồn gốc"].iter_rows(min_row=4, values_only=True))
    assert provenance["Lần công bố"] == "ttcp-2019/2"
    assert provenance["Thay thế lần công bố"] == "ttcp-2019/1"
    assert provenance["Người thực hiện"] == "Thư ký"


def test_the_data_table_carries_the_stored_provenance(
    cli: Invoke, published: Store, location: str, tmp_path: Path
) -> None:
    stored = published.run("ttcp-2019/2").provenance
    out_json, out_parquet = tmp_path / "r.json", tmp_path / "r.parquet"
    for out in (out_json, out_parquet):
        result = cli("runs", "export", "ttcp-2019/2", "-o", str(out), "--store", location)
        assert result.exit_code == 0, result.output
    document = json.loads(out_json.read_bytes())
    assert document["provenance"] == stored
    (unit,) = [u for u in document["units"] if u["unit_id"] == "TTCP-VTCCB"]
    assert unit["A3"] == "3.5"
    metadata = pq.read_schema(out_parquet).metadata
    assert json.loads(metadata[b"cchc:provenance"]) == stored


def test_an_unknown_run_is_refused_and_nothing_is_written(
    refused: Refused, published: Store, location: str, tmp_path: Path
) -> None:
    out = tmp_path / "annex.xlsx"
    lines = refused("runs", "export", "ttcp-2019/9", "-o", str(out), "--store", location)
    assert any("ttcp-2019/9" in line for line in lines)
    assert not out.exists()


def test_a_store_edited_behind_the_tools_back_exports_nothing(
    refused: Refused, published: Store, location: str, tmp_path: Path
) -> None:
    with published.transaction() as connection:
        (event_id, payload) = connection.execute(
            sa.select(events.c.id, events.c.payload)
            .where(events.c.kind == "appraisal_imported")
            .limit(1)
        ).one()
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(payload=payload.replace('"1.75"', '"2"'))
        )
    out = tmp_path / "annex.xlsx"
    lines = refused(
        "runs", "export", "ttcp-2019/1", "-o", str(out), "--layout", "annex", "--store", location
    )
    assert any("does not give the results that were published" in line for line in lines)
    assert not out.exists()


def test_a_file_name_without_a_known_format_is_a_usage_error(
    cli: Invoke, published: Store, location: str, tmp_path: Path
) -> None:
    out = tmp_path / "annex.txt"
    result = cli("runs", "export", "ttcp-2019/2", "-o", str(out), "--store", location)
    assert result.exit_code == 2 and ".parquet" in result.output
    assert not out.exists()
