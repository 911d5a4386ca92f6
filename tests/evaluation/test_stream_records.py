"""Streaming, multi-process and Dask runs of a ruleset that derives facts from records.

Facts are derived once for the whole dataset; every piece takes its own units' rows.
The results must be exactly those of the in-memory run, however the dataset is cut.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cchc_rules
from cchc_rules.cli import app
from cchc_rules.errors import InputError
from cchc_rules.evaluation._stream import evaluate_dataset
from cchc_rules.inputs._derive import demo_records_dir, record_paths
from cchc_rules.ruleset._compiled import CompiledRuleset


@cache
def ttcp2020() -> CompiledRuleset:
    return cchc_rules.load_ruleset("ttcp@2020")


def demo_units() -> pa.Table:
    path = cchc_rules.demo_units_path(ttcp2020())
    header = pacsv.read_csv(path).schema.names
    return pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    )


def demo_records() -> dict[str, Path]:
    return record_paths(ttcp2020(), demo=True)


@cache
def expected() -> pa.Table:
    cards = cchc_rules.evaluate(ttcp2020(), demo_units(), records=demo_records())
    return cards.to_arrow()


def dataset(directory: Path, group_rows: int) -> Path:
    """The demo units in two files (5 + 14 units), in row groups of ``group_rows``."""
    directory.mkdir()
    table = demo_units()
    pq.write_table(table.slice(0, 5), directory / "a.parquet", row_group_size=group_rows)
    pq.write_table(table.slice(5), directory / "b.parquet", row_group_size=group_rows)
    return directory


def test_the_ruleset_derives_facts_the_demo_units_lack() -> None:
    derived = [n for n, spec in ttcp2020().model.facts.items() if spec.derived is not None]
    assert derived
    assert not set(derived) & set(demo_units().column_names)


@pytest.mark.parametrize(("group_rows", "piece_rows"), [(1, 1), (2, 3), (4, 7), (19, 100)])
def test_streaming_with_records_equals_the_in_memory_run(
    tmp_path: Path, group_rows: int, piece_rows: int
) -> None:
    output = tmp_path / "out.parquet"
    source = dataset(tmp_path / "units", group_rows)
    evaluate_dataset(ttcp2020(), source, output, piece_rows=piece_rows, records=demo_records())
    assert pq.read_table(output).equals(expected())


def test_processes_with_records_equal_the_in_memory_run(tmp_path: Path) -> None:
    output = tmp_path / "out.parquet"
    source = dataset(tmp_path / "units", 3)
    evaluate_dataset(ttcp2020(), source, output, workers=2, piece_rows=4, records=demo_records())
    assert pq.read_table(output).equals(expected())


def test_dask_with_records_equals_the_in_memory_run(tmp_path: Path, dask_client: Any) -> None:
    from cchc_rules.evaluation._dask import evaluate_dataset_on_dask

    output = tmp_path / "out.parquet"
    source = dataset(tmp_path / "units", 2)
    evaluate_dataset_on_dask(
        ttcp2020(), source, output, client=dask_client, piece_rows=3, records=demo_records()
    )
    assert pq.read_table(output).equals(expected())


def test_a_column_for_a_derived_fact_is_refused_before_scoring(tmp_path: Path) -> None:
    derived = next(n for n, s in ttcp2020().model.facts.items() if s.derived is not None)
    table = demo_units()
    table = table.append_column(derived, pa.array(["1"] * table.num_rows))
    source = tmp_path / "units.parquet"
    pq.write_table(table, source)
    with pytest.raises(InputError, match=f"{derived}: is a derived fact"):
        evaluate_dataset(ttcp2020(), source, tmp_path / "out.parquet", records=demo_records())
    assert not (tmp_path / "out.parquet").exists()


def test_cli_streams_a_ruleset_with_records_on_two_workers(tmp_path: Path) -> None:
    source = dataset(tmp_path / "units", 3)
    output = tmp_path / "out.parquet"
    given = [f"--records={name}={path}" for name, path in demo_records().items()]
    assert all(Path(p).parent == demo_records_dir(ttcp2020()) for p in demo_records().values())
    result = CliRunner().invoke(
        app,
        ["evaluate", "ttcp@2020", str(source), "-o", str(output), "--workers", "2", *given],
    )
    assert result.exit_code == 0, result.output
    assert pq.read_table(output).equals(expected())


def test_a_derived_fact_column_is_located_in_its_file_of_a_directory(tmp_path: Path) -> None:
    derived, spec = next((n, s) for n, s in ttcp2020().model.facts.items() if s.derived)
    assert spec.derived is not None
    source = dataset(tmp_path / "units", 5)
    second = source / "b.parquet"
    table = pq.read_table(second)
    pq.write_table(table.append_column(derived, pa.array(["1"] * table.num_rows)), second)
    with pytest.raises(InputError) as raised:
        evaluate_dataset(ttcp2020(), source, tmp_path / "out.parquet", records=demo_records())
    assert str(raised.value).splitlines() == [
        f"{second}: {derived}: is a derived fact (from [providers.{spec.derived.provider}]); "
        "remove the column"
    ]
