"""Streaming, several processes and Dask refuse and warn exactly as a whole-table run does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cchc_rules
from cchc_rules.errors import FactCheckError, InputError
from cchc_rules.evaluation._stream import evaluate_dataset
from cchc_rules.inputs._fact_checks import FactWarning

CHECKS = Path(__file__).resolve().parents[1] / "rulesets" / "valid" / "checks.toml"
COUNT = 240


def _units(broken: Sequence[int] = ()) -> pa.Table:
    """Units that break the warning checks here and there, and the error check at ``broken``."""
    due = [1 if n in broken else n % 5 for n in range(COUNT)]
    done = [9 if n in broken else min(n % 7, due[n]) for n in range(COUNT)]
    return pa.table(
        {
            "unit_id": [f"U{n:04d}" for n in range(COUNT)],
            "name": [f"Đơn vị {n}" for n in range(COUNT)],
            "unit_type": ["cuc"] * COUNT,
            "plan_issued": [n % 3 != 0 for n in range(COUNT)],
            "done": pa.array(done, pa.int64()),
            "due": pa.array(due, pa.int64()),
        }
    )


def _dataset(table: pa.Table, directory: Path) -> Path:
    directory.mkdir()
    pq.write_table(table.slice(0, 100), directory / "part-000.parquet", row_group_size=30)
    pq.write_table(table.slice(100), directory / "part-001.parquet", row_group_size=45)
    return directory


def _in_memory(table: pa.Table) -> tuple[FactWarning, ...]:
    """The warnings of every unit scored as one table (a warning of a dataset names its
    own file and row: compare the rest)."""
    return cchc_rules.evaluate(cchc_rules.load_ruleset(CHECKS), table).warnings


def _key(warning: FactWarning) -> tuple[str, str, tuple[tuple[str, object], ...]]:
    return warning.check, warning.unit_id, warning.values


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_warnings_are_the_whole_table_warnings(tmp_path: Path, workers: int) -> None:
    table = _units()
    directory = _dataset(table, tmp_path / "units")
    found: list[FactWarning] = []
    evaluate_dataset(
        cchc_rules.load_ruleset(CHECKS),
        directory,
        tmp_path / "out.parquet",
        workers=workers,
        piece_rows=40,
        on_warnings=found.extend,
    )
    expected = _in_memory(table)
    assert expected
    assert [_key(w) for w in found] == [_key(w) for w in expected]
    second = next(w for w in found if w.unit_id == "U0105")
    assert (Path(second.source).name, second.row) == ("part-001.parquet", 6)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_streamed_refusal_names_every_broken_unit_in_its_file(
    tmp_path: Path, workers: int
) -> None:
    table = _units(broken=[3, 150])
    directory = _dataset(table, tmp_path / "units")
    output = tmp_path / "out.parquet"
    with pytest.raises(InputError) as caught:
        cchc_rules.api.evaluate_to_parquet(
            cchc_rules.load_ruleset(CHECKS), directory, output, workers=workers, lang="en"
        )
    assert [str(p).removeprefix(str(directory) + "/") for p in caught.value.problems] == [
        "part-000.parquet:4: unit U0003: Tasks done cannot exceed tasks due (done = 9, "
        "due = 1) [done_le_due]",
        "part-001.parquet:51: unit U0150: Tasks done cannot exceed tasks due (done = 9, "
        "due = 1) [done_le_due]",
    ]
    assert not output.exists()
    with pytest.raises(FactCheckError):
        cchc_rules.evaluate(cchc_rules.load_ruleset(CHECKS), table)


def test_every_batch_of_a_piece_is_checked_after_a_refusal(tmp_path: Path) -> None:
    # part-001's first row group (45 units) is one piece read in batches of 40: the
    # second batch is checked too once the first was refused.
    directory = _dataset(_units(broken=[100, 144]), tmp_path / "units")
    with pytest.raises(InputError) as caught:
        evaluate_dataset(
            cchc_rules.load_ruleset(CHECKS), directory, tmp_path / "out.parquet", piece_rows=40
        )
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (1, "đơn vị U0100"),
        (45, "đơn vị U0144"),
    ]


def test_dask_warns_and_refuses_as_a_whole_table_run(tmp_path: Path, dask_client: Any) -> None:
    from cchc_rules.evaluation._dask import evaluate_dataset_on_dask

    ruleset = cchc_rules.load_ruleset(CHECKS)
    table = _units()
    directory = _dataset(table, tmp_path / "units")
    broken = _dataset(_units(broken=[150]), tmp_path / "broken")
    found: list[FactWarning] = []
    evaluate_dataset_on_dask(
        ruleset,
        directory,
        tmp_path / "out.parquet",
        client=dask_client,
        piece_rows=40,
        on_warnings=found.extend,
    )
    with pytest.raises(InputError) as caught:
        evaluate_dataset_on_dask(
            ruleset, broken, tmp_path / "refused.parquet", client=dask_client, piece_rows=40
        )
    assert [_key(w) for w in found] == [_key(w) for w in _in_memory(table)]
    (problem,) = caught.value.problems
    assert (Path(problem.file).name, problem.line, problem.path) == (
        "part-001.parquet",
        51,
        "đơn vị U0150",
    )
    assert not (tmp_path / "refused.parquet").exists()
