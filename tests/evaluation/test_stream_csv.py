"""A CSV units file streams through evaluation in batches and gives exactly the results,
and the located problems, of reading it whole (decision 0030)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cchc_rules
from cchc_rules.cli import app
from cchc_rules.errors import InputError
from cchc_rules.evaluation._stream import CsvLayout, dataset_rows, evaluate_dataset
from cchc_rules.inputs import _units
from tests.evaluation.test_stream import ttcp, units


def write_csv(table: pa.Table, path: Path) -> Path:
    pacsv.write_csv(table, path)
    return path


def whole(path: Path) -> pa.Table:
    """The results of the file read whole, in memory."""
    return cchc_rules.evaluate(ttcp(), path).to_arrow()


def problems_of_whole(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        cchc_rules.evaluate(ttcp(), path)
    return str(caught.value)


def problems_streamed(path: Path, tmp_path: Path, **options: object) -> str:
    with pytest.raises(InputError) as caught:
        evaluate_dataset(ttcp(), path, tmp_path / "refused.parquet", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "refused.parquet").exists()
    return str(caught.value)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(count=st.integers(1, 120), seed=st.integers(0, 3), piece_rows=st.integers(1, 150))
def test_a_streamed_csv_file_equals_the_file_read_whole(
    tmp_path_factory: pytest.TempPathFactory, count: int, seed: int, piece_rows: int
) -> None:
    directory = tmp_path_factory.mktemp("csv")
    source = write_csv(units(count, seed), directory / "units.csv")
    output = directory / "out.parquet"
    assert evaluate_dataset(ttcp(), source, output, piece_rows=piece_rows) == count
    assert pq.read_table(output).equals(whole(source))


def test_a_csv_file_reports_progress_batch_by_batch(tmp_path: Path) -> None:
    # One piece, so a bar moved only per piece would sit at 0 until the file is done.
    source = write_csv(units(45, 2), tmp_path / "units.csv")
    done: list[int] = []
    evaluate_dataset(
        ttcp(), source, tmp_path / "out.parquet", piece_rows=10, on_progress=done.append
    )
    assert done == [10, 10, 10, 10, 5]


def test_rows_are_counted_without_reading_the_file_whole(tmp_path: Path) -> None:
    source = write_csv(units(77, 1), tmp_path / "units.csv")
    assert dataset_rows(source) == 77


def test_a_bad_cell_is_located_on_its_file_row_in_a_later_batch(tmp_path: Path) -> None:
    table = units(60, 0)
    targets = table.column("plan_targets").to_pylist()
    targets[50] = -1
    index = table.schema.get_field_index("plan_targets")
    table = table.set_column(index, "plan_targets", pa.array(targets, pa.int64()))
    source = write_csv(table, tmp_path / "units.csv")
    streamed = problems_streamed(source, tmp_path, piece_rows=7)
    # The header is row 1: the 51st unit is on row 52, as read whole.
    assert f"{source}:52: plan_targets: expected a value ≥ 0 (got -1)" in streamed
    assert streamed == problems_of_whole(source)


def _extra_field(line: bytes) -> bytes:
    return line + b',"extra"'


def _not_utf8(line: bytes) -> bytes:
    return line.replace(b",", b"\xff,", 1)


@pytest.mark.parametrize(
    "damage", [_extra_field, _not_utf8], ids=["another number of fields", "not UTF-8"]
)
def test_a_file_pyarrow_refuses_is_refused_in_the_whole_file_readers_words(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    source = write_csv(units(50, 2), tmp_path / "units.csv")
    lines = source.read_bytes().split(b"\n")
    lines[40] = damage(lines[40])
    source.write_bytes(b"\n".join(lines))
    streamed = problems_streamed(source, tmp_path, piece_rows=4)
    assert streamed == problems_of_whole(source)
    assert f"{source}:41:" in streamed


def test_a_header_without_units_gives_an_empty_result(tmp_path: Path) -> None:
    source = write_csv(units(5, 0).slice(0, 0), tmp_path / "units.csv")
    output = tmp_path / "out.parquet"
    assert evaluate_dataset(ttcp(), source, output) == 0
    assert pq.read_table(output).equals(whole(source))


def test_an_office_layout_reads_as_the_plain_file(tmp_path: Path) -> None:
    """Encoding, delimiter and title rows are parameters (their detection is not here)."""
    table = units(40, 3)
    plain = write_csv(table, tmp_path / "plain.csv")
    targets = table.column("plan_targets").to_pylist()
    targets[30] = -1
    index = table.schema.get_field_index("plan_targets")
    bad = table.set_column(index, "plan_targets", pa.array(targets, pa.int64()))
    layout = CsvLayout(encoding="utf-16", delimiter=";", title_lines=2)
    office = tmp_path / "office.csv"
    for name, data in (("office.csv", table), ("bad.csv", bad)):
        sink = pa.BufferOutputStream()
        pacsv.write_csv(data, sink, pacsv.WriteOptions(delimiter=";"))
        title = "BÁO CÁO CHỈ SỐ CCHC\nNăm 2018\n"
        body = sink.getvalue().to_pybytes().decode("utf-8")
        (tmp_path / name).write_bytes((title + body).encode("utf-16"))
    output = tmp_path / "out.parquet"
    evaluate_dataset(ttcp(), office, output, piece_rows=9, csv=layout)
    assert pq.read_table(output).equals(whole(plain))
    streamed = problems_streamed(tmp_path / "bad.csv", tmp_path, piece_rows=9, csv=layout)
    # Two title rows and the header above: the 31st unit is on row 34.
    assert f"{tmp_path / 'bad.csv'}:34: plan_targets: expected a value ≥ 0 (got -1)" in streamed


def test_the_cli_streams_a_csv_file_to_parquet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(units(90, 1), tmp_path / "units.csv")
    expected = whole(source)

    def read_whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("a CSV file to Parquet is streamed, not read whole")

    monkeypatch.setattr(_units, "read_units_source", read_whole)
    output = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["evaluate", "ttcp@2018", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(output).equals(expected)


def test_an_office_csv_to_parquet_is_read_whole_and_gives_the_plain_results(
    tmp_path: Path,
) -> None:
    plain = write_csv(units(40, 2), tmp_path / "units.csv")
    expected = whole(plain)
    rows = list(csv.reader(plain.read_text(encoding="utf-8").splitlines()))
    # Excel in a Vietnamese locale: semicolons, UTF-16, a title row above the header.
    office = tmp_path / "office.csv"
    with office.open("w", newline="", encoding="utf-16") as handle:
        handle.write("Báo cáo năm 2018\n")
        csv.writer(handle, delimiter=";").writerows(rows)
    # A plain file but for one decimal comma: the strict stream refuses it, the office
    # reader reads it.
    column = rows[0].index("par_quiz_score")
    rows[1][column] = "50,5"
    comma = tmp_path / "comma.csv"
    with comma.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    for source, wanted in ((office, expected), (comma, whole(comma))):
        output = tmp_path / f"{source.stem}.parquet"
        cchc_rules.api.evaluate_to_parquet(ttcp(), source, output)
        assert pq.read_table(output).equals(wanted), source.name


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_unit_id_repeated_in_another_batch_of_one_piece_is_refused(
    tmp_path: Path, suffix: str
) -> None:
    # A CSV file, or a Parquet file of one row group, is one piece read in batches: a
    # repeat across its batches is as much a repeat as one across files.
    table = units(60, 2)
    ids = table.column("unit_id").to_pylist()
    ids[45] = ids[3]
    table = table.set_column(0, "unit_id", pa.array(ids))
    path = tmp_path / f"units{suffix}"
    if suffix == ".csv":
        write_csv(table, path)
    else:
        pq.write_table(table, path)
    whole_table = problems_of_whole(path)
    row = 47 if suffix == ".csv" else 46  # the repeat's own row (a CSV file's header: 1)
    assert whole_table.endswith(f"{path}:{row}: unit_id: duplicate unit id (got {ids[3]!r})")
    for workers in (1, 2):
        assert problems_streamed(path, tmp_path, piece_rows=10, workers=workers) == whole_table


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), count=st.integers(2, 80), piece_rows=st.integers(1, 30))
def test_repeated_ids_anywhere_are_refused_as_reading_whole_refuses_them(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, count: int, piece_rows: int
) -> None:
    table = units(count, 1)
    ids = table.column("unit_id").to_pylist()
    for _ in range(data.draw(st.integers(1, 3))):
        first = data.draw(st.integers(0, count - 2))
        ids[data.draw(st.integers(first + 1, count - 1))] = ids[first]
    table = table.set_column(0, "unit_id", pa.array(ids))
    directory = tmp_path_factory.mktemp("units")
    for path in (directory / "units.csv", directory / "units.parquet"):
        if path.suffix == ".csv":
            write_csv(table, path)
        else:
            pq.write_table(table, path)
        whole_table = problems_of_whole(path)
        streamed = problems_streamed(path, directory, piece_rows=piece_rows)
        # a repeat inside one batch stops the run with that batch's problems, and a
        # repeat across batches waits for the next run: every one streamed is one the
        # whole file names, and a run refuses the file whenever reading it whole does
        assert set(streamed.splitlines()) <= set(whole_table.splitlines())


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(max_size=6), min_size=1, max_size=40),
    st.integers(0, 5),
)
def test_equal_ids_share_a_bucket_wherever_they_sit(ids: list[str], skip: int) -> None:
    # The id check hashes one bucket at a time: a repeat must be in its copy's bucket,
    # in any chunk, at any offset (a slice of a larger array).
    from cchc_rules.evaluation._stream import _id_buckets

    array = pa.array(["x" * skip] * skip + ids, pa.string()).slice(skip)
    buckets = _id_buckets(array)
    assert len(buckets) == len(ids)
    first: dict[str, int] = {}
    for unit_id, bucket in zip(ids, buckets.tolist(), strict=True):
        assert first.setdefault(unit_id, bucket) == bucket
    assert all(0 <= bucket < 8 for bucket in buckets.tolist())


def test_no_ids_have_no_repeats() -> None:
    from cchc_rules.evaluation._stream import _duplicates_across

    assert _duplicates_across([]) == []
