"""Streaming, multi-process and Dask evaluation give exactly the whole-table results."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cchc_rules
from cchc_rules.cli import app
from cchc_rules.errors import InputError
from cchc_rules.evaluation import _stream
from cchc_rules.evaluation._stream import evaluate_dataset, plan_pieces, regrouped
from cchc_rules.reports._parquet import write_parquet
from cchc_rules.results._scorecards import SUMMARY_COLUMNS, OutputColumns, Scorecards
from cchc_rules.ruleset._compiled import CompiledRuleset

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import generate_units  # the benchmarks directory holds scripts, not a package


@cache
def ttcp() -> CompiledRuleset:
    return cchc_rules.load_ruleset("ttcp@2018")


@cache
def units(count: int, seed: int) -> pa.Table:
    return generate_units.generate(ttcp(), count, seed)


def expected(table: pa.Table, *, batch_size: int = 65_536) -> pa.Table:
    return cchc_rules.evaluate(ttcp(), table, batch_size=batch_size).to_arrow()


def write_dataset(table: pa.Table, directory: Path, cuts: list[int], group_rows: int) -> Path:
    """``table`` split at ``cuts`` into files, each written in row groups of ``group_rows``."""
    directory.mkdir(parents=True, exist_ok=True)
    bounds = [0, *sorted(cuts), table.num_rows]
    for number, (start, stop) in enumerate(itertools.pairwise(bounds)):
        part = table.slice(start, stop - start)
        pq.write_table(part, directory / f"part-{number:03d}.parquet", row_group_size=group_rows)
    return directory


def read(path: Path, like: pa.Table) -> pa.Table:
    result = pq.read_table(path)
    assert result.schema == like.schema
    return result


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    count=st.integers(1, 150),
    seed=st.integers(0, 3),
    group_rows=st.integers(1, 90),
    piece_rows=st.integers(1, 200),
    batch_size=st.integers(1, 100),
    held_bytes=st.sampled_from([0, 20_000, _stream.HELD_RESULTS_BYTES]),
)
def test_streaming_equals_whole_table_over_any_cut(
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    count: int,
    seed: int,
    group_rows: int,
    piece_rows: int,
    batch_size: int,
    held_bytes: int,
) -> None:
    # held_bytes: results held in memory, spilled, or (20 kB) either by the size
    table = units(count, seed)
    cuts = data.draw(st.lists(st.integers(0, count), max_size=3))
    directory = write_dataset(table, tmp_path_factory.mktemp("units"), cuts, group_rows)
    output = tmp_path_factory.mktemp("out") / "results.parquet"
    whole = expected(table, batch_size=batch_size)
    assert expected(table) == whole  # the batch size never changes a result
    evaluate_dataset(ttcp(), directory, output, piece_rows=piece_rows, held_bytes=held_bytes)
    assert read(output, whole).equals(whole)


def spills_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """The spill files read back from now on: each name, and whether it was mapped."""
    spilled: list[tuple[str, bool]] = []
    read_spill = _stream._read_spill

    def recorded(path: Path, *, mapped: bool) -> Iterator[pa.Table]:
        spilled.append((path.name, mapped))
        return read_spill(path, mapped=mapped)

    monkeypatch.setattr(_stream, "_read_spill", recorded)
    return spilled


def test_results_held_or_spilled_either_way_write_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = units(400, 3)
    directory = write_dataset(table, tmp_path / "units", [150], 50)
    pieces = len(plan_pieces(directory, 60))
    assert pieces > 1
    spilled = spills_read(monkeypatch)
    ways = {  # (workers, held_bytes): how each piece's spill is read back (None: none)
        (1, None): [],  # held in memory
        (1, 1): [False] * pieces,  # a budget smaller than the results: compressed
        (2, None): [True] * pieces,  # several processes, results that fit: mapped
        (2, 1): [False] * pieces,
    }
    written = set()
    for (workers, held_bytes), read_back in ways.items():
        output = tmp_path / f"{workers}-{held_bytes}.parquet"
        evaluate_dataset(
            ttcp(), directory, output, workers=workers, piece_rows=60, held_bytes=held_bytes
        )
        assert [mapped for _, mapped in spilled] == read_back
        spilled.clear()
        written.add(output.read_bytes())
    assert len(written) == 1


def test_a_run_not_told_how_many_processes_uses_one_per_core_and_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = units(300, 1)
    directory = write_dataset(table, tmp_path / "units", [100, 200], 50)
    used: list[int] = []
    pool_map = _stream._pool_map

    def recorded(*args: Any) -> list[_stream.PartKeys]:
        used.append(args[3])  # the number of workers
        return pool_map(*args)

    monkeypatch.setattr(_stream, "_pool_map", recorded)
    monkeypatch.setattr(_stream.sys, "platform", "linux")
    monkeypatch.setattr(_stream.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    output = tmp_path / "out.parquet"
    evaluate_dataset(ttcp(), directory, output, workers=None, piece_rows=60)
    assert used == [2]  # two cores, six pieces
    assert read(output, expected(table)).equals(expected(table))
    one = tmp_path / "one.parquet"
    evaluate_dataset(ttcp(), directory, one, workers=1, piece_rows=60)
    assert one.read_bytes() == output.read_bytes()


@pytest.mark.parametrize(
    ("platform", "cores", "pieces", "workers"),
    [
        ("linux", {0, 1}, 10, 2),
        ("linux", set(range(16)), 10, _stream.AUTOMATIC_WORKERS_AT_MOST),
        ("linux", set(range(16)), 3, 3),  # no more processes than pieces
        ("linux", {0, 1}, 1, 1),
        ("linux", {0}, 10, 1),
        ("win32", {0, 1}, 10, 1),  # a fresh interpreter per process: one
        ("darwin", {0, 1}, 10, 1),  # fork is listed, but not safe
    ],
)
def test_automatic_workers(
    monkeypatch: pytest.MonkeyPatch, platform: str, cores: set[int], pieces: int, workers: int
) -> None:
    monkeypatch.setattr(_stream.sys, "platform", platform)
    monkeypatch.setattr(_stream.os, "sched_getaffinity", lambda pid: cores, raising=False)
    planned = [_stream.Piece("units.parquet", (n,), 1 + 10 * n, 10, 10 * n) for n in range(pieces)]
    assert _stream.automatic_workers(planned) == workers


def one_row_group(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, row_group_size=max(1, table.num_rows))
    return path


@settings(max_examples=6, deadline=None)
@given(count=st.integers(1, 400), batch_rows=st.integers(1, 150), workers=st.integers(2, 3))
def test_a_row_group_shared_between_processes_gives_the_same_bytes(
    tmp_path_factory: pytest.TempPathFactory, count: int, batch_rows: int, workers: int
) -> None:
    table = units(count, 4)
    path = one_row_group(table, tmp_path_factory.mktemp("units") / "units.parquet")
    out = tmp_path_factory.mktemp("out")
    evaluate_dataset(ttcp(), path, out / "one.parquet", piece_rows=batch_rows)
    evaluate_dataset(ttcp(), path, out / "shared.parquet", workers=workers, piece_rows=batch_rows)
    assert (out / "one.parquet").read_bytes() == (out / "shared.parquet").read_bytes()


def test_a_row_group_is_cut_between_batches_for_the_processes(tmp_path: Path) -> None:
    path = one_row_group(units(1000, 0), tmp_path / "units.parquet")
    whole = plan_pieces(path, 131)
    assert len(whole) == 1
    parts = _stream.shared_between(whole, 2, 131)
    # eight batches of 131: four for each process
    assert [(p.skip, p.rows, p.first_row, p.offset) for p in parts] == [
        (0, 524, 1, 0),
        (524, 476, 525, 524),
    ]
    assert _stream.shared_between(parts, 2, 131) == parts  # enough pieces already
    assert len(_stream.shared_between(whole, 16, 131)) == 8  # no part under a batch


@pytest.mark.parametrize(("skip", "rows", "batch_rows"), [(8, 12, 4), (5, 10, 4), (0, 20, 7)])
def test_a_part_of_a_row_group_reads_exactly_its_units(
    tmp_path: Path, skip: int, rows: int, batch_rows: int
) -> None:
    table = units(20, 0)
    path = one_row_group(table, tmp_path / "units.parquet")
    part = _stream.Piece(str(path), (0,), 1 + skip, rows, skip, skip=skip)
    got = pa.concat_tables(_stream._batches(part, batch_rows))
    assert got.column("unit_id").equals(table.column("unit_id").slice(skip, rows))


def test_a_problem_in_a_shared_row_group_is_located_on_its_own_row(tmp_path: Path) -> None:
    table = units(500, 0)
    days = table.column("plan_targets").to_pylist()
    days[400] = -1
    table = table.set_column(
        table.schema.get_field_index("plan_targets"), "plan_targets", pa.array(days, pa.int64())
    )
    path = one_row_group(table, tmp_path / "units.parquet")
    with pytest.raises(InputError) as caught:
        evaluate_dataset(ttcp(), path, tmp_path / "out.parquet", workers=2, piece_rows=100)
    assert str(caught.value).endswith(
        "units.parquet:401: plan_targets: expected a value ≥ 0 (got -1)"
    )


def test_a_csv_file_is_scored_in_one_process_when_not_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # where two Parquet pieces would get two processes
    monkeypatch.setattr(_stream.sys, "platform", "linux")
    monkeypatch.setattr(_stream.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    parquet_piece = _stream.Piece("units.parquet", (0,), 1, 10, 0)
    assert _stream.automatic_workers([parquet_piece, parquet_piece]) == 2
    csv_piece = _stream.Piece("units.csv", (), 2, 10, 0, _stream.CsvLayout())
    assert _stream.automatic_workers([csv_piece, csv_piece]) == 1


@pytest.mark.parametrize(
    ("groups", "piece_rows", "pieces"),
    [
        ([100] * 10, 131, [[100]] * 10),  # one group each, not five pieces of two
        ([50] * 5, 131, [[50, 50], [50, 50], [50]]),
        ([40, 200, 40, 40], 100, [[40], [200], [40, 40]]),  # a larger group alone
        ([10, 10], 1, [[10], [10]]),
    ],
)
def test_a_piece_takes_whole_row_groups_up_to_its_rows(
    tmp_path: Path, groups: list[int], piece_rows: int, pieces: list[list[int]]
) -> None:
    path = tmp_path / "units.parquet"
    table = units(sum(groups), 0)
    with pq.ParquetWriter(path, table.schema) as writer:
        start = 0
        for rows in groups:
            writer.write_table(table.slice(start, rows), row_group_size=rows)
            start += rows
    planned = plan_pieces(path, piece_rows)
    sizes = [[groups[g] for g in piece.row_groups] for piece in planned]
    assert sizes == pieces
    assert [p.first_row for p in planned] == list(
        itertools.accumulate([1] + [sum(p) for p in pieces[:-1]])
    )
    assert [p.offset + 1 for p in planned] == [p.first_row for p in planned]


def test_an_empty_dataset_gives_an_empty_result(tmp_path: Path) -> None:
    table = units(5, 0).slice(0, 0)
    pq.write_table(table, tmp_path / "empty.parquet")
    evaluate_dataset(ttcp(), tmp_path / "empty.parquet", tmp_path / "out.parquet")
    assert read(tmp_path / "out.parquet", expected(table)).equals(expected(table))


def test_ranks_are_global_within_peer_groups_across_pieces(tmp_path: Path) -> None:
    table = units(500, 1)
    directory = write_dataset(table, tmp_path / "units", [100, 101, 350], 40)
    evaluate_dataset(ttcp(), directory, tmp_path / "out.parquet", piece_rows=30)
    result = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert len(plan_pieces(directory, 30)) > 10
    for group in ("hanh_chinh", "su_nghiep"):
        ranks = [r for r, g in zip(result["rank"], result["peer_group"], strict=True) if g == group]
        assert min(ranks) == 1 and max(ranks) <= len(ranks)


def test_several_processes_give_identical_results(tmp_path: Path) -> None:
    table = units(700, 2)
    directory = write_dataset(table, tmp_path / "units", [13, 400], 64)
    output = tmp_path / "out.parquet"
    evaluate_dataset(ttcp(), directory, output, workers=2, piece_rows=100)
    assert read(output, expected(table)).equals(expected(table))


def test_spawned_processes_give_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows and macOS: each worker a fresh interpreter, the ruleset pickled to it
    monkeypatch.setattr(_stream, "_forks", lambda: False)
    table = units(300, 2)
    directory = write_dataset(table, tmp_path / "units", [120], 64)
    output = tmp_path / "out.parquet"
    evaluate_dataset(ttcp(), directory, output, workers=2, piece_rows=100)
    assert read(output, expected(table)).equals(expected(table))
    one = tmp_path / "one.parquet"
    evaluate_dataset(ttcp(), directory, one, piece_rows=100)
    assert one.read_bytes() == output.read_bytes()


def test_dask_local_cluster_gives_identical_results(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from cchc_rules.evaluation._dask import evaluate_dataset_on_dask

    table = units(600, 3)
    # Uneven partitions: a one-unit file, a small one, a large one in uneven row groups.
    directory = write_dataset(table, tmp_path / "units", [1, 18], 77)
    output = tmp_path / "out.parquet"
    with (
        distributed.LocalCluster(
            n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        evaluate_dataset_on_dask(ttcp(), directory, output, client=client, piece_rows=50)
        summary = tmp_path / "summary.parquet"
        evaluate_dataset_on_dask(
            ttcp(), directory, summary, client=client, piece_rows=50, columns="summary"
        )
    assert read(output, expected(table)).equals(expected(table))
    whole = cchc_rules.evaluate(ttcp(), table).to_arrow(columns="summary")
    assert read(summary, whole).equals(whole)


@pytest.mark.parametrize("beside_the_write", [True, False])
def test_problems_of_every_piece_are_located_in_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside_the_write: bool
) -> None:
    if not beside_the_write:  # as for a dataset too large to check ids while writing
        monkeypatch.setattr(_stream, "IDS_CHECKED_BESIDE_THE_WRITE", 0)
    table = units(60, 0)
    ids = table.column("unit_id").to_pylist()
    ids[45] = ids[3]  # a duplicate across files
    days = table.column("plan_targets").to_pylist()
    days[50] = -1  # below the fact's minimum, in the second file
    table = table.set_column(0, "unit_id", pa.array(ids)).set_column(
        table.schema.get_field_index("plan_targets"), "plan_targets", pa.array(days, pa.int64())
    )
    directory = write_dataset(table, tmp_path / "units", [30], 7)
    with pytest.raises(InputError) as caught:
        evaluate_dataset(ttcp(), directory, tmp_path / "out.parquet", piece_rows=10)
    text = str(caught.value)
    assert "part-001.parquet:21: plan_targets: expected a value ≥ 0 (got -1)" in text
    assert not (tmp_path / "out.parquet").exists()
    # Fix the value: the duplicate id is then reported where its second copy is.
    days[50] = 3
    table = table.set_column(
        table.schema.get_field_index("plan_targets"), "plan_targets", pa.array(days, pa.int64())
    )
    write_dataset(table, directory, [30], 7)
    with pytest.raises(InputError) as caught:
        evaluate_dataset(ttcp(), directory, tmp_path / "out.parquet", piece_rows=10)
    assert str(caught.value).endswith(
        f"part-001.parquet:16: unit_id: duplicate unit id (got {ids[3]!r})"
    )
    # found while the results are written: the output must still not appear, nor an
    # existing one be replaced
    assert not (tmp_path / "out.parquet").exists()
    (tmp_path / "out.parquet").write_bytes(b"earlier results")
    with pytest.raises(InputError):
        evaluate_dataset(ttcp(), directory, tmp_path / "out.parquet", piece_rows=10, force=True)
    assert (tmp_path / "out.parquet").read_bytes() == b"earlier results"


def test_cli_streams_parquet_with_workers(tmp_path: Path) -> None:
    table = units(300, 0)
    source = tmp_path / "units.parquet"
    pq.write_table(table, source, row_group_size=64)
    output = tmp_path / "out.parquet"
    runner = CliRunner()
    result = runner.invoke(
        app, ["evaluate", "ttcp@2018", str(source), "-o", str(output), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert read(output, expected(table)).equals(expected(table))
    again = runner.invoke(app, ["evaluate", "ttcp@2018", str(source), "-o", str(output)])
    assert again.exit_code == 1 and "file exists" in again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "2"], "--output FILE.parquet"),
        (["--engine", "dask"], "--output FILE.parquet"),
        (["--scheduler", "tcp://x:8786", "-o", "x.parquet"], "--scheduler needs --engine dask"),
    ],
)
def test_cli_scale_out_options_need_parquet(extra: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["evaluate", "ttcp@2018", "demo", *extra])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()).replace("│", "").replace("  ", " ")


def test_parquet_output_of_a_csv_input_matches(tmp_path: Path) -> None:
    output = tmp_path / "demo.parquet"
    result = CliRunner().invoke(app, ["evaluate", "ttcp@2018", "demo", "-o", str(output)])
    assert result.exit_code == 0, result.output
    cards = cchc_rules.evaluate(ttcp(), cchc_rules.demo_units_path(ttcp()))
    assert pq.read_table(output).equals(cards.to_arrow())
    assert np.all(pq.read_table(output).column("rank").to_numpy() >= 1)


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 30), min_size=1, max_size=8), rows=st.integers(1, 25))
def test_regrouped_keeps_every_row_in_order_in_groups_of_the_size(
    sizes: list[int], rows: int
) -> None:
    starts = np.cumsum([0, *sizes])
    tables = [
        pa.table({"n": np.arange(s, s + size)}) for s, size in zip(starts, sizes, strict=False)
    ]
    groups = list(regrouped(tables, rows))
    assert pa.concat_tables(groups).column("n").to_pylist() == list(range(sum(sizes)))
    assert all(g.num_rows == rows for g in groups[:-1])
    assert 0 < groups[-1].num_rows <= rows or sum(sizes) == 0


def test_output_row_groups_spanning_pieces_give_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Output groups that cut across pieces, whose reason dictionaries differ.
    monkeypatch.setattr(_stream, "OUTPUT_GROUP_ROWS", 37)
    table = units(250, 1)
    directory = write_dataset(table, tmp_path / "units", [90], 16)
    output = tmp_path / "out.parquet"
    evaluate_dataset(ttcp(), directory, output, piece_rows=30)
    assert read(output, expected(table)).equals(expected(table))
    assert pq.ParquetFile(output).metadata.row_group(0).num_rows == 37


@pytest.mark.parametrize(("columns", "workers"), [("summary", 1), ("areas", 2)])
def test_a_column_selection_streams_to_the_bytes_of_the_whole_table(
    tmp_path: Path, columns: OutputColumns, workers: int
) -> None:
    table = units(400, 2)
    directory = write_dataset(table, tmp_path / "units", [150], 64)
    streamed, whole = tmp_path / "streamed.parquet", tmp_path / "whole.parquet"
    evaluate_dataset(ttcp(), directory, streamed, piece_rows=100, columns=columns, workers=workers)
    cards = cchc_rules.evaluate(ttcp(), table)
    write_parquet([cards.to_arrow(columns=columns)], whole, force=False)
    assert streamed.read_bytes() == whole.read_bytes()
    assert pq.read_schema(streamed).names == cards.to_arrow(columns=columns).column_names


def test_a_summary_stream_never_builds_criterion_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Scorecards, row: int) -> None:
        raise AssertionError("a reason column was built for a summary")

    monkeypatch.setattr(Scorecards, "_reason_dictionary", refuse)
    source = tmp_path / "units.parquet"
    pq.write_table(units(200, 0), source, row_group_size=64)
    output = tmp_path / "out.parquet"
    result = CliRunner().invoke(
        app, ["evaluate", "ttcp@2018", str(source), "-o", str(output), "--columns", "summary"]
    )
    assert result.exit_code == 0, result.output
    assert pq.read_schema(output).names == list(SUMMARY_COLUMNS)


def test_parquet_output_of_a_csv_input_honours_the_columns(tmp_path: Path) -> None:
    output = tmp_path / "demo.parquet"
    args = ["evaluate", "ttcp@2018", "demo", "-o", str(output), "--columns", "areas"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    cards = cchc_rules.evaluate(ttcp(), cchc_rules.demo_units_path(ttcp()))
    assert pq.read_table(output).equals(cards.to_arrow(columns="areas"))
