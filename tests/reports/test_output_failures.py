"""Writing results where it cannot be done: a missing directory, one that refuses new
files, a disk that fills up while spilling or writing. Each is one ``cannot write``
line and exit 1 from ``cchc evaluate``, with nothing left behind; and what a killed
run leaves behind is removed by the next run in that directory.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

import cchc_rules
from cchc_rules.evaluation import _stream
from cchc_rules.reports import _atomic

Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]

RULESET = "ttcp@2018"
DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"


@pytest.fixture(name="units")
def units_fixture(tmp_path: Path) -> Path:
    """The demo units as a Parquet dataset of two files: the streaming path."""
    table = pacsv.read_csv(DEMO_CSV)
    directory = tmp_path / "units"
    directory.mkdir()
    pq.write_table(table.slice(0, 10), directory / "part-0.parquet")
    pq.write_table(table.slice(10), directory / "part-1.parquet")
    return directory


def no_space(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_streaming_into_a_missing_directory(refused: Refused, units: Path, tmp_path: Path) -> None:
    output = tmp_path / "missing" / "results.parquet"
    problems = refused("evaluate", RULESET, str(units), "-o", str(output))
    assert problems == [f"{output}: directory {output.parent} does not exist"]


def test_streaming_into_a_directory_that_refuses_new_files(
    refused: Refused, units: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NOTE: a monkeypatched refusal, not chmod: CI runs as root, which chmod cannot stop.
    def refuse(*args: Any, **kwargs: Any) -> str:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    output = tmp_path / "out" / "results.parquet"
    output.parent.mkdir()
    problems = refused("evaluate", RULESET, str(units), "-o", str(output))
    assert problems == [f"{output}: cannot write: Permission denied"]
    assert list(output.parent.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_streaming_into_a_read_only_directory(
    refused: Refused, units: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "results.parquet"
    output.parent.mkdir()
    output.parent.chmod(0o555)
    try:
        problems = refused("evaluate", RULESET, str(units), "-o", str(output))
    finally:
        output.parent.chmod(0o755)
    assert problems == [f"{output}: cannot write: Permission denied"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_disk_filling_up_while_spilling(
    refused: Refused, units: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    # Worker processes are forked: they inherit the broken disk.
    monkeypatch.setattr(pa.ipc.RecordBatchFileWriter, "write_table", no_space)
    # One process spills only results too large to hold in memory: as for such a dataset
    monkeypatch.setattr(_stream, "HELD_RESULTS_BYTES", 0)
    output = tmp_path / "out" / "results.parquet"
    output.parent.mkdir()
    problems = refused("evaluate", RULESET, str(units), "-o", str(output), "--workers", workers)
    spill = re.escape(str(output.parent)) + r"/\.cchc-\d+@[\w-]+\.spill\.\w+/part-00000[01]\.arrow"
    assert len(problems) == 1
    assert re.fullmatch(f"{spill}: cannot write: No space left on device", problems[0])
    assert list(output.parent.iterdir()) == []


def test_a_disk_filling_up_while_writing_the_output(
    refused: Refused, units: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pq.ParquetWriter, "write_table", no_space)
    output = tmp_path / "out" / "results.parquet"
    output.parent.mkdir()
    problems = refused("evaluate", RULESET, str(units), "-o", str(output))
    assert problems == [f"{output}: cannot write: No space left on device"]
    assert list(output.parent.iterdir()) == []


def test_streaming_over_a_file_keeps_its_mode(cli: Invoke, units: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.parquet"
    output.write_bytes(b"old")
    output.chmod(0o640)
    result = cli("evaluate", RULESET, str(units), "-o", str(output), "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(output).num_rows == 19
    assert output.stat().st_mode & 0o777 == 0o640


KILLED_RUN = """
import os, signal
from pathlib import Path
from cchc_rules.reports._atomic import atomic_output, scratch_directory

output = Path({output!r})
with scratch_directory(output) as spill:
    (spill / "part-000000.arrow").write_bytes(b"spilled")
    with atomic_output(output, force=False) as temporary:
        temporary.write_bytes(b"half written")
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(os.name != "posix", reason="killed runs are recognised on POSIX only")
def test_the_next_run_removes_what_a_killed_run_left(
    cli: Invoke, units: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "results.parquet"
    output.parent.mkdir()
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_RUN).format(output=str(output))],
        check=False,
    )
    assert killed.returncode == -9
    left = sorted(p.name for p in output.parent.iterdir())
    assert len(left) == 2 and all(name.startswith(".cchc-") for name in left)
    # What a running process, or another machine sharing the directory, is writing stays.
    running = f".cchc-{os.getpid()}@{_atomic._host()}.results.parquet.x"
    elsewhere = ".cchc-1@another-machine.spill.y"
    for name in (running, elsewhere):
        (output.parent / name).write_bytes(b"")
    result = cli("evaluate", RULESET, str(units), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in output.parent.iterdir()) == sorted(
        [running, elsewhere, "results.parquet"]
    )
