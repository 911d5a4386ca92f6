"""A bounded fuzz of the units readers: the bundled demo units, damaged as CSV, JSON,
XLSX and Parquet in the ways real files are (bytes deleted, repeated, inserted or
flipped; files cut short; delimiters, quotes, NUL bytes, huge cells, other encodings;
values of the wrong shape or type), are either scored or refused with a
:class:`~cchc_rules.CchcError`: never another exception, and each within
``TIME_BOUND`` seconds. A few go through ``python -m cchc_rules`` as well, which must
exit 0 or 1 with no traceback, within the time bound and ``MEMORY_BOUND`` of memory.

Examples are derandomised (the same ones every run, so CI is stable) and few enough
that the whole module takes about 20 seconds: 150 damaged files per format, but 50
workbooks (each is written by openpyxl first), and one file per format through the
command line (each run starts an interpreter).
"""

from __future__ import annotations

import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cchc_rules

DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"
TIME_BOUND = 5.0
"""Seconds one damaged file may take to be scored or refused."""
MEMORY_BOUND = 1 << 30
"""Bytes of memory (peak resident) a command-line run on a damaged file may use."""


def fuzz(examples: int) -> settings:
    """``examples`` damaged files, the same ones every run."""
    return settings(settings.get_profile("fuzz"), max_examples=examples)  # tests/conftest.py


@cache
def ruleset() -> cchc_rules.CompiledRuleset:
    return cchc_rules.load_ruleset("ttcp@2018")


@cache
def demo() -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(DEMO_CSV.read_text(encoding="utf-8"))))
    return header, rows


def scored_or_refused(path: Path) -> None:
    """The one outcome allowed: a result, or a CchcError; fast either way."""
    started = time.perf_counter()
    try:
        cchc_rules.evaluate(ruleset(), path)
    except cchc_rules.CchcError as exc:
        assert str(exc)  # a refusal says what is wrong
    assert time.perf_counter() - started < TIME_BOUND


# -- damaging bytes -------------------------------------------------------------------------

TOKENS = [b'"', b",", b";", b"\t", b"\n", b"\r\n", b"\r", b"\x00", b"\\", b'""',
          b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"\xe1\xbb", b"[", b"{", b"]", b"}", b"1e999",
          b"-", b"."]  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn, data: bytes, *, huge: bool = True) -> bytes:
    """``data`` with one to four damages, each where a draw says."""
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        at = draw(st.integers(0, size))
        end = draw(st.integers(at, min(size, at + 64)))
        how = draw(st.sampled_from(["delete", "repeat", "insert", "token", "flip", "cut", "huge"]))
        if how == "delete":
            data = data[:at] + data[end:]
        elif how == "repeat":
            data = data[:end] + data[at:end] * draw(st.integers(1, 3)) + data[end:]
        elif how == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        elif how == "token":
            data = data[:at] + draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 3)) + data[at:]
        elif how == "flip" and size:
            index = min(at, size - 1)
            data = (
                data[:index] + bytes([data[index] ^ draw(st.integers(1, 255))]) + data[index + 1 :]
            )
        elif how == "cut":
            data = data[:at]
        elif how == "huge" and huge:
            # Longer than pyarrow's 1 MB block at most: a cell too long for one read.
            length = draw(st.sampled_from([70_000, 300_000, 1_100_000]))
            data = data[:at] + b"x" * length + data[at:]
    return data


# -- CSV ------------------------------------------------------------------------------------


@st.composite
def damaged_csv(draw: st.DrawFn) -> bytes:
    data = DEMO_CSV.read_bytes()
    whole = draw(st.sampled_from(["none", "delimiter", "encoding", "quotes"]))
    if whole == "delimiter":
        data = data.replace(b",", draw(st.sampled_from([b";", b"\t", b"|", b""])))
    elif whole == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "cp1258", "latin-1", "utf-8-sig"]))
        data = data.decode("utf-8").encode(encoding, errors="replace")
    elif whole == "quotes":
        data = data.replace(b",", b'","')
    return draw(damaged(data))


# -- JSON -----------------------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.just("9" * 5000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.recursive(st.just([]), lambda inner: st.lists(inner, max_size=2), max_leaves=40),
)


@st.composite
def damaged_json(draw: st.DrawFn) -> bytes:
    header, rows = demo()
    records: Any = [dict(zip(header, row, strict=True)) for row in rows]
    for _ in range(draw(st.integers(0, 4))):
        record = draw(st.sampled_from(records))
        key = draw(st.sampled_from([*header, "", "extra"]))
        record[key] = draw(ODD_VALUES)
    shape = draw(st.sampled_from(["records", "object", "nested", "deep", "scalar"]))
    if shape == "object":
        records = {"units": records}
    elif shape == "nested":
        records = [records]
    elif shape == "deep":
        records = draw(st.sampled_from([1, 500, 5000])) * "[" + "]" * 5000
    elif shape == "scalar":
        records = draw(ODD_VALUES)
    text = records if isinstance(records, str) else json.dumps(records, ensure_ascii=False)
    data = text.encode("utf-8")
    return draw(damaged(data, huge=False)) if draw(st.booleans()) else data


# -- XLSX -----------------------------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
    st.datetimes(),
    st.dates(),
    st.just("=1/0"),
)


@cache
def workbook_bytes(header: tuple[str, ...], rows: tuple[tuple[object, ...], ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (header, *rows):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def damaged_xlsx(draw: st.DrawFn) -> bytes:
    header, rows = demo()
    cells: list[list[object]] = [list(row) for row in rows]
    names = list(header)
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(0, len(cells) - 1))
        cells[row][draw(st.integers(0, len(names) - 1))] = draw(CELLS)
    if draw(st.booleans()):
        names[draw(st.integers(0, len(names) - 1))] = draw(st.sampled_from(["", "unit_id", "x"]))
    data = workbook_bytes(tuple(names), tuple(tuple(row) for row in cells))
    return draw(damaged(data, huge=False)) if draw(st.booleans()) else data


# -- Parquet --------------------------------------------------------------------------------

COLUMN_TYPES: list[Callable[[pa.Array], pa.Array]] = [
    lambda a: pa.array([[v] for v in a.to_pylist()]),
    lambda a: pa.array([{"v": v} for v in a.to_pylist()]),
    lambda a: a.cast(pa.string()).cast(pa.binary()),
    lambda a: a.dictionary_encode(),
    lambda a: pa.array([None] * len(a)),
    lambda a: pa.array([1.5] * len(a)),
    lambda a: pa.array([0] * len(a), pa.timestamp("s")),
    lambda a: pa.array([2**62] * len(a)),
    lambda a: pa.array([True] * len(a)),
]


@cache
def parquet_bytes(changes: tuple[tuple[int, int], ...]) -> bytes:
    table = pacsv.read_csv(DEMO_CSV)
    for column, change in changes:
        array = table.column(column).combine_chunks()
        table = table.set_column(column, table.field(column).name, COLUMN_TYPES[change](array))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@st.composite
def damaged_parquet(draw: st.DrawFn) -> bytes:
    width = len(demo()[0])
    changes = draw(
        st.lists(
            st.tuples(st.integers(0, width - 1), st.integers(0, len(COLUMN_TYPES) - 1)),
            max_size=2,
        )
    )
    data = parquet_bytes(tuple(changes))
    return draw(damaged(data, huge=False)) if draw(st.booleans()) else data


# -- every format ---------------------------------------------------------------------------

FORMATS = {
    "csv": (damaged_csv(), 150, "results.csv"),
    "json": (damaged_json(), 150, "results.json"),
    "xlsx": (damaged_xlsx(), 50, "results.xlsx"),
    # Parquet to Parquet streams: the damaged file is read piece by piece.
    "parquet": (damaged_parquet(), 150, "results.parquet"),
}
"""Each format's damaged files, how many to score in process, and the command line's
output file."""


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_damaged_files_are_scored_or_refused(tmp_path: Path, suffix: str) -> None:
    strategy, examples, _ = FORMATS[suffix]
    path = tmp_path / f"units.{suffix}"

    @fuzz(examples)
    @given(data=strategy)
    def score(data: bytes) -> None:
        path.write_bytes(data)
        scored_or_refused(path)

    score()


@pytest.mark.parametrize("suffix", list(FORMATS))
@fuzz(1)
@given(data=st.data())
def test_damaged_files_through_the_command_line(suffix: str, data: st.DataObject) -> None:
    strategy, _, output = FORMATS[suffix]
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        units = directory / f"units.{suffix}"
        units.write_bytes(data.draw(strategy))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "cchc_rules", "evaluate", "ttcp@2018", str(units),
             "-o", str(directory / output)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )  # fmt: skip
        # Start-up (the interpreter, pyarrow, the plugins) counts against the bound too.
        assert time.perf_counter() - started < 2 * TIME_BOUND
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        assert (done.returncode == 0) == (directory / output).exists()
    # ru_maxrss: the largest child process so far, in KiB on Linux.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < MEMORY_BOUND
