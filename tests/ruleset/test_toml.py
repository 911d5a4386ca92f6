"""``read_toml`` (exact numbers, located syntax errors), ``key_lines`` (the line of every
key path) and the limits scan before parsing, with properties over documents written by
``tomli_w``."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules._diagnostics import KeyPath, line_of
from cchc_rules.errors import RulesetError
from cchc_rules.ruleset._limits import MAX_NESTING, _Source
from cchc_rules.ruleset._toml import key_lines, read_toml


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- read_toml ---------------------------------------------------------------------------


def test_read_toml_reads_floats_as_exact_decimals(tmp_path: Path) -> None:
    data, source = read_toml(_write(tmp_path, "a = 0.1\nb = [0.25, 3]\n"))
    assert data == {"a": Decimal("0.1"), "b": [Decimal("0.25"), 3]}
    assert isinstance(data["a"], Decimal)
    assert source == "a = 0.1\nb = [0.25, 3]\n"


def test_read_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as info:
        read_toml(_write(tmp_path, "a = 1\nb = 2 3\n"), "r.toml")
    assert str(info.value) == (
        "r.toml:2:7: TOML syntax: Expected newline or end of document after a statement"
    )


def test_read_toml_error_at_end_of_file_points_at_the_last_text(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as info:
        read_toml(_write(tmp_path, "a = 1\nb = [1,\n\n"), "r.toml")
    assert str(info.value) == "r.toml:2:8: TOML syntax: Invalid value (the file ends here)"


def test_read_toml_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'a = 1\nname = "caf\xe9"\n')
    with pytest.raises(RulesetError) as info:
        read_toml(path, "r.toml")
    assert str(info.value) == "r.toml:2: expected UTF-8 text (TOML files are UTF-8)"


def test_read_toml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as info:
        read_toml(tmp_path / "nope.toml", "nope.toml")
    assert str(info.value).startswith("nope.toml: cannot read file: ")


# -- key_lines: hand-written documents ------------------------------------------------------


def _lines(text: str) -> dict[KeyPath, int]:
    tomllib.loads(text)  # key_lines is only defined for valid TOML
    return key_lines(text)


def test_simple_keys_and_tables() -> None:
    lines = _lines('# comment\na = 1\n\n[t]  # a table\nb = "x # not a comment"\nc = 2\n')
    assert lines == {("a",): 2, ("t",): 4, ("t", "b"): 5, ("t", "c"): 6}


def test_arrays_of_tables_are_indexed_per_parent() -> None:
    text = """\
[[areas]]
id = "A"
[[areas.criteria]]
id = "A1"
[areas.criteria.params]
fact = "x"
[[areas.criteria]]
id = "A2"
[[areas]]
id = "B"
[[areas.criteria]]
id = "B1"
"""
    lines = _lines(text)
    assert lines[("areas", 0)] == 1
    assert lines[("areas", 0, "criteria", 0, "id")] == 4
    assert lines[("areas", 0, "criteria", 0, "params")] == 5
    assert lines[("areas", 0, "criteria", 0, "params", "fact")] == 6
    assert lines[("areas", 0, "criteria", 1, "id")] == 8
    assert lines[("areas", 1, "id")] == 10
    # the second area's criteria count again from 0
    assert lines[("areas", 1, "criteria", 0, "id")] == 12
    assert ("areas", 1, "criteria", 1) not in lines


def test_nested_arrays_of_tables_three_deep() -> None:
    text = """\
[[a]]
[[a.b]]
[[a.b.c]]
x = 1
[[a.b.c]]
x = 2
[[a.b]]
[[a.b.c]]
x = 3
"""
    lines = _lines(text)
    assert lines[("a", 0, "b", 0, "c", 1, "x")] == 6
    assert lines[("a", 0, "b", 1, "c", 0, "x")] == 9


def test_quoted_and_dotted_keys() -> None:
    text = r"""
"a.b" = 1
site."google.com".ok = true
'lit=eral' = 2
"esc\"aped" = 3
[ "x y" . z ]
w = 4
"""
    lines = _lines(text)
    assert lines[("a.b",)] == 2
    assert lines[("site",)] == 3
    assert lines[("site", "google.com", "ok")] == 3
    assert lines[("lit=eral",)] == 4
    assert lines[('esc"aped',)] == 5
    assert lines[("x y", "z", "w")] == 7


def test_multiline_strings_do_not_hide_or_invent_keys() -> None:
    text = '''\
a = """
[not_a_table]
b = 1
"""
c = \'\'\'
d = 2 \'\'\'
e = """ends with quotes"""""
f = 3
'''
    lines = _lines(text)
    assert lines == {("a",): 1, ("c",): 5, ("e",): 7, ("f",): 8}


def test_multiline_arrays_and_inline_tables() -> None:
    text = """\
[params]
steps = [
    { max_days_late = 15, points = 1 },  # a comment with ] and }
    { max_days_late = 30, points = 0.5 },
]
name = { vi = "x", en = "y" }
nested = [[1, 2], [
  3,
]]
after = true
"""
    lines = _lines(text)
    assert lines[("params", "steps")] == 2
    assert lines[("params", "steps", 0)] == 3
    assert lines[("params", "steps", 1, "points")] == 4
    assert lines[("params", "name", "en")] == 6
    assert lines[("params", "nested", 1, 0)] == 8
    assert lines[("params", "after")] == 10


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    lines = _lines("[t]\na = { b = 1 }\n")
    assert line_of(lines, ("t", "a", "b", "missing")) == 2
    assert line_of(lines, ("t", "nothing")) == 1
    assert line_of(lines, ("elsewhere",)) is None


# -- key_lines: generated documents -----------------------------------------------------------

_keys = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
    # keys that must be quoted: dots, spaces, '=', '#', quotes, brackets, non-ASCII
    st.text(alphabet="ab .=#\"[]'\\ệ", min_size=1, max_size=6),
)
_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.text(alphabet="ab #=[]{}\"'\\\n", max_size=8),
    st.decimals(min_value=-(10**4), max_value=10**4, places=2),
    st.dates(),
)


def _tables(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(_keys, children, max_size=4)


_values = st.recursive(
    st.one_of(_scalars, st.lists(_scalars, max_size=3)),
    lambda inner: st.one_of(
        _tables(inner),
        st.lists(_tables(inner), min_size=1, max_size=3),  # arrays of tables
    ),
    max_leaves=12,
)
_documents = _tables(_values)


def _leaves(node: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """Key paths that end at a key whose value is not a table or array of tables."""
    if isinstance(node, dict):
        found: list[tuple[KeyPath, Any]] = []
        for key, value in node.items():
            is_table = isinstance(value, dict)
            is_aot = (
                isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
            )
            if is_table or is_aot:
                found.extend(_leaves(value, (*path, key)))
            else:
                found.append(((*path, key), value))
        return found
    found = []
    for index, item in enumerate(node):
        found.extend(_leaves(item, (*path, index)))
    return found


def _rendered_key(key: str) -> str:
    return tomli_w.dumps({key: 0}).split(" = ")[0]


@settings(max_examples=60, deadline=None)
@given(_documents, st.booleans())
def test_every_leaf_key_points_at_a_line_starting_with_it(
    document: dict[str, Any], multiline_strings: bool
) -> None:
    text = tomli_w.dumps(document, multiline_strings=multiline_strings)
    assert tomllib.loads(text, parse_float=Decimal) == document
    lines = key_lines(text)
    source_lines = text.split("\n")
    for path, _value in _leaves(document):
        assert path in lines, (path, text)
        line = source_lines[lines[path] - 1]
        key = _rendered_key(str(path[-1]))
        # tomli_w writes small arrays of tables as arrays of inline tables; their keys
        # follow "{ " or ", " on the item's line instead of starting it
        assert (
            line.lstrip().startswith(f"{key} = ") or f"{{ {key} = " in line or f", {key} = " in line
        ), (path, line, text)


# -- the limits scan -------------------------------------------------------------------------


def _levels(text: str) -> int:
    scan = _Source(text, "t.toml")
    scan.scan()
    return scan.deepest


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("a = 1\n", 1),
        ("a.b.c = 1\n", 3),
        ("[t]\nx = [[1], [2, [3]]]\n", 5),
        ("[[areas.criteria]]\nparams = { bands = [{ min = 1 }] }\n", 6),
        ("x = { a.b = { c = [] } }\n", 5),
        # brackets, braces, quotes and dots in strings, quoted keys and comments are text
        ("'a.[b' = \"[[{{\\\"]]\" # [[[[\n", 1),
        ('x = """[[[\\"""]]]\n"""\n', 1),
        ("x = '''[[[''''\n", 1),
        ('x = """""a"""""\n', 1),
        ("x = [ # [[[\n  1, # {{{\n]\n", 2),
        ("x = 1979-05-27 07:32:00\ny = [1.5, 2e3]\n", 2),
    ],
)
def test_the_limits_scan_counts_levels_as_the_data_nests(text: str, levels: int) -> None:
    tomllib.loads(text)
    assert _levels(text) == levels


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 40 + "]" * 40,
        "x = " + "{a = " * 40 + "1" + "}" * 40,
        ".".join(["a"] * 40) + " = 1",
        "[" + ".".join(["a"] * 40) + "]",
        "[[" + ".".join(["criteria"] * 40) + "]]",
        # invalid TOML is measured too: tomllib would recurse before finding the error
        "x = " + "[" * 40,
        "x = [" + "{a = [" * 20,
    ],
)
def test_too_deep_is_refused_before_parsing(text: str) -> None:
    with pytest.raises(RulesetError, match=f"expected at most {MAX_NESTING} levels of nesting"):
        _levels(text)


def _full_depth(node: Any, level: int = 0) -> int:
    """The longest key path, each key and list index one level; an empty table or array
    counts the level its items would have."""
    if isinstance(node, dict | list):
        items = node.values() if isinstance(node, dict) else node
        return max((_full_depth(item, level + 1) for item in items), default=level + 1)
    return level


def _key_depth(node: Any, level: int = 0) -> int:
    """The most keys on one path (list indexes not counted)."""
    if isinstance(node, dict):
        return max((_key_depth(item, level + 1) for item in node.values()), default=level)
    if isinstance(node, list):
        return max((_key_depth(item, level) for item in node), default=level)
    return level


@settings(max_examples=100, deadline=None)
@given(_documents, st.booleans())
def test_the_limits_scan_lies_between_the_key_depth_and_the_full_depth(
    document: dict[str, Any], multiline_strings: bool
) -> None:
    # NOTE: a [[header]] does not count its list index, an inline array does; so the
    # level lies between the two, whichever way tomli_w wrote an array of tables
    text = tomli_w.dumps(document, multiline_strings=multiline_strings)
    assert _key_depth(document) <= _levels(text) <= _full_depth(document)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1.=[]{},\"'#\\ \n", max_size=120))
def test_the_limits_scan_ends_on_any_text(text: str) -> None:
    # any text, valid TOML or not: it ends, and raises nothing but a limit
    try:
        levels = _levels(text)
    except RulesetError as exc:
        assert re.match(r"t\.toml:\d+: expected ", str(exc)), exc
        return
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    assert _key_depth(document) <= levels
