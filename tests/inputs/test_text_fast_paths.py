"""The one-cast reading of integer and boolean text columns (decision 0030) gives exactly
what the column grammar's pattern gives: the same values, the same missing cells, the
same located problems."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules.errors import InputError
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs import _units
from tests.evaluation.test_stream import ttcp, units


def read_fact(fact: str, cells: list[str]) -> tuple[list[object], list[bool]] | str:
    """``fact`` read from text cells among valid units: its values and missing cells,
    or the problems."""
    table = units(len(cells), 0)
    index = table.schema.get_field_index(fact)
    table = table.set_column(index, fact, pa.array(cells, pa.string()))
    try:
        read_units = _units.read_units(table, ttcp().model)
    except InputError as exc:
        return str(exc)
    column = read_units.facts[fact]
    return np.asarray(column.values).tolist(), np.asarray(column.missing).tolist()


def read(cells: list[str]) -> tuple[list[object], list[bool]] | str:
    """``plan_targets``, an integer fact."""
    return read_fact("plan_targets", cells)


def by_pattern_only(monkeypatch: pytest.MonkeyPatch, cells: list[str]) -> object:
    with monkeypatch.context() as patched:
        patched.setattr(_units, "_plain_integers", lambda trimmed, missing: None)
        return read(cells)


integer_cells = st.lists(
    st.one_of(
        st.integers(-(10**19), 10**19).map(str),
        st.from_regex(r"\A[ +\-]{0,2}0{0,3}[0-9]{0,20}[ .]?\Z"),
        st.sampled_from(["", " ", "-", "+", "1e3", "٣", "0x1F", "１２"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(cells=integer_cells)
def test_integers_read_in_one_cast_as_by_the_pattern(cells: list[str]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert read(cells) == by_pattern_only(monkeypatch, cells)


def plain(cells: list[str]) -> list[int] | None:
    trimmed = pa.array([cell.strip() for cell in cells], pa.string())
    found = _units._plain_integers(trimmed, np.array([cell.strip() == "" for cell in cells]))
    return None if found is None else found.tolist()


def test_plain_integers_take_the_one_cast() -> None:
    cells = ["7", "-0", "007", "", " 12 ", "999999999999999999", "-99999999999999999"]
    assert plain(cells) == [7, 0, 7, 0, 12, 999999999999999999, -99999999999999999]


@pytest.mark.parametrize(
    "cell", ["+5", "0x1F", "1e3", "0000000000000000005", "-999999999999999999", "1.0", "٣"]
)
def test_anything_else_follows_the_pattern(cell: str) -> None:
    assert plain(["3", cell]) is None


@settings(max_examples=80, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.sampled_from(list(grammar.BOOLEAN_WORDS)).flatmap(
                lambda word: st.sampled_from([word, word.upper(), f" {word.title()} "])
            ),
            st.sampled_from(["yes!", "1.0", "truee", "t rue"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_boolean_words_read_by_one_lookup(cells: list[str]) -> None:
    spelled = [grammar.BOOLEAN_WORDS.get(cell.strip().lower()) for cell in cells]
    got = read_fact("plan_issued", cells)
    if any(word is None and cell.strip() for word, cell in zip(spelled, cells, strict=True)):
        assert isinstance(got, str) and "plan_issued: expected" in got
    else:
        assert got == ([bool(word) for word in spelled], [not cell.strip() for cell in cells])


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from("09-+x !~\t\u00a0\u3000\x7fé٣"), max_size=6),
            st.integers(-(10**18), 10**18).map(str),
            st.none(),
        ),
        min_size=1,
        max_size=12,
    ),
    start=st.integers(0, 3),
)
def test_the_byte_checks_read_a_slice_as_arrows_kernels_do(
    cells: list[str | None], start: int
) -> None:
    # A slice shares its parent's buffers from an offset: only its own cells count.
    sliced = pa.array(["7", "-", " x ", *cells], pa.string()).slice(start)
    trimmed = _units._trimmed(sliced)
    expected = pc.utf8_trim_whitespace(sliced).fill_null("").to_pylist()
    assert trimmed.to_pylist() == expected
    missing = np.array([cell == "" for cell in expected])
    found = _units._plain_integers(trimmed, missing)
    plain = all(cell == "" or re.fullmatch(r"-?[0-9]{1,18}", cell) for cell in expected)
    if plain and all(len(cell) <= 18 for cell in expected):
        assert found is not None
        assert found.tolist() == [0 if cell == "" else int(cell) for cell in expected]
    else:
        assert found is None
