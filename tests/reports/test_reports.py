"""Reports: the one atomic-output helper, and one writer per format over one table shape."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cchc_rules
from cchc_rules.errors import CchcError
from cchc_rules.reports._atomic import write_atomic
from cchc_rules.reports._formats import FILE_FORMATS, table_bytes
from cchc_rules.reports._parquet import write_parquet
from cchc_rules.reports._table import comparison_table, scorecards_table


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "results.csv"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    write_atomic(target, b"new\n", force=True)
    assert target.read_bytes() == b"new\n" and _mode(target) == 0o600


def test_replacing_a_parquet_output_keeps_its_mode_as_csv_does(
    tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "results.parquet"
    table = pa.table({"unit_id": ["a", "b"], "n": [1, 2]})
    assert write_parquet([table], target, force=False) == 2
    assert _mode(target) == 0o644
    target.chmod(0o600)
    write_parquet([table, table], target, force=True)
    assert pq.read_table(target).num_rows == 4
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.parquet"]


def test_parquet_refuses_an_existing_file_and_a_failed_run_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "results.parquet"
    target.write_bytes(b"keep")
    with pytest.raises(CchcError, match="file exists; pass --force to replace it"):
        write_parquet([pa.table({"n": [1]})], target, force=False)

    def failing() -> Iterator[pa.Table]:
        yield pa.table({"n": [1]})
        raise CchcError([])

    with pytest.raises(CchcError):
        write_parquet(failing(), target, force=True)
    assert target.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.parquet"]


def test_an_os_error_while_publishing_is_a_clean_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"keep")

    def broken_disk(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_disk)
    with pytest.raises(CchcError, match=r"out\.csv: cannot write: Input/output error"):
        write_atomic(target, b"new", force=True)
    assert target.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_one_writer_per_format_serves_scorecards_and_comparisons() -> None:
    first, second = cchc_rules.load_ruleset("ttcp@2018"), cchc_rules.load_ruleset("ttcp@2019")
    units = cchc_rules.demo_units_path(second)
    cards = cchc_rules.evaluate(first, cchc_rules.demo_units_path(first))
    comparison = cchc_rules.api.compare(first, second, units)
    for table in (scorecards_table(cards, "vi"), comparison_table(comparison, "en", "unit")):
        assert set(FILE_FORMATS) == {"csv", "json", "xlsx"}
        rows = list(csv.DictReader(io.StringIO(table_bytes(table, "csv").decode())))
        assert len(rows) == table.rows.num_rows
        document = json.loads(table_bytes(table, "json"))
        assert document["units"][0].keys() == rows[0].keys()
        assert table_bytes(table, "xlsx")[:2] == b"PK"
    assert json.loads(table_bytes(comparison_table(comparison, "en"), "json"))["after"] == {
        "ruleset": "ttcp@2019",
        "content_hash": second.content_hash,
    }
