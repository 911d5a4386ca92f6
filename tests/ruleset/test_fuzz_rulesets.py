"""A bounded fuzz test: the bundled rulesets, mutated at random, load or are refused.

Each example takes ``rulesets/ttcp/2018.toml`` (a complete ruleset) or ``2019.toml`` (an
amendment of it), applies one to three random mutations — lines deleted, duplicated,
swapped; values replaced by random text, huge numbers, deep brackets or long strings;
keys and table headers inserted; the text truncated or garbled — and loads it. The
outcome must be a loaded ruleset or a :class:`RulesetError`, never another exception,
within a time bound; a few run through the CLI, which must exit 0 or 1 with no
traceback, within a memory bound. Derandomized, so CI sees the same examples every run.

Bounds, not benchmarks: a load takes ~0.05 s; 5 s means something grew out of hand.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules import KindRegistry, load_plugins
from cchc_rules.errors import RulesetError
from cchc_rules.ruleset._loading import load_ruleset_file

ROOT = Path(__file__).resolve().parents[2]
BASES = {
    version: (ROOT / "rulesets" / "ttcp" / f"{version}.toml").read_text(encoding="utf-8")
    for version in ("2018", "2019")
}
SECONDS_PER_LOAD = 5.0
# address space of one CLI run: a normal run maps under 1 GiB (most of it libraries);
# the 20,000-part dotted key took 2.4 GB before
CLI_MEMORY = 2 * 2**30

# sizes around the limits and far beyond them, which random integers rarely reach
_SIZES = st.sampled_from([1, 2, 30, 31, 32, 33, 100, 999, 1000, 1001, 2000])
_plain = st.one_of(
    st.text(max_size=30),
    st.text(max_size=30).map(lambda text: '"' + text.replace("\\", "").replace('"', "") + '"'),
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
)
_hostile = st.one_of(
    st.sampled_from(
        [
            "9" * 5000,
            "1e999999999",
            "-1e-999999999",
            "nan",
            "-inf",
            "0.1234567890123456",
            "1_000",
            "0x10",
            "1979-05-27",
            "true",
            '""',
            "[]",
            "{}",
            '{ vi = "", en = "" }',
            '"A1"',
            '"ttcp@2018"',
            '"ttcp@2019"',
            '"../2018.toml"',
            '"2019.toml"',
            '"flag"',
            '"in_force"',
            '"draft"',
            '["A1", "A1"]',
            '"' + " and ".join(["plan_issued"] * 300) + '"',
            '"' + "-" * 150 + 'plan_days_late < 1"',
        ]
    ),
    _SIZES.map(lambda n: "[" * n + "]" * n),
    _SIZES.map(lambda n: "{ a = " * n + "1" + " }" * n),
    _SIZES.map(lambda n: '"' + "x" * 10 * n + '"'),
)
_values = st.one_of(_plain, _hostile, _hostile)
_keys = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,12}(\.[a-z_][a-z0-9_]{0,8}){0,2}", fullmatch=True),
    st.sampled_from(
        [
            "maxx",
            "max_pionts",
            "kind",
            "id",
            "ids",
            "op",
            "status",
            "extends",
            "criteria",
            "applies_when",
            "params.bands",
            ".".join(["a"] * 20_000),
        ]
    ),
)
_headers = st.sampled_from(
    [
        "[[areas]]",
        "[[areas.criteria]]",
        "[[areas.criteria.criteria]]",
        "[[" + ".".join(["areas", *["criteria"] * 40]) + "]]",
        "[facts.x]",
        "[unit_types.x]",
        "[[changes]]",
        "[[changes.by]]",
        "[ruleset]",
        "[grading]",
        "[[grading.bands]]",
        "[ranking.peer_groups.x]",
        "[legal_refs.x]",
    ]
)


@st.composite
def _mutation(draw: st.DrawFn, lines: list[str]) -> list[str]:
    lines = list(lines)
    if not lines:
        return [draw(_values) + "\n"]
    at = draw(st.integers(0, len(lines) - 1))
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "value", "key", "header", "truncate", "garble"]
        )
    )
    if kind == "delete":
        del lines[at]
    elif kind == "duplicate":
        lines.insert(at, lines[at])
    elif kind == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "value":
        key, equals, _ = lines[at].partition(" = ")
        lines[at] = (key + equals if equals else "") + draw(_values) + "\n"
    elif kind == "key":
        lines.insert(at, f"{draw(_keys)} = {draw(_values)}\n")
    elif kind == "header":
        lines.insert(at, draw(_headers) + "\n")
    elif kind == "truncate":
        text = "".join(lines)
        return text[: draw(st.integers(0, len(text)))].splitlines(keepends=True)
    else:
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        garbage = draw(st.text(alphabet="[]{}\"'#=.,\n\\ax1", max_size=8))
        lines[at] = line[:cut] + garbage + line[cut:]
    return lines


@st.composite
def mutated_rulesets(draw: st.DrawFn) -> str:
    lines = BASES[draw(st.sampled_from(sorted(BASES)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(_mutation(lines))
    return "".join(lines)


_FUZZ = settings.get_profile("fuzz")  # tests/conftest.py


@pytest.fixture(scope="module")
def registry() -> KindRegistry:
    return load_plugins()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(_FUZZ, max_examples=200)
@given(text=mutated_rulesets())
def test_a_mutated_ruleset_loads_or_is_refused(
    text: str, folder: Path, registry: KindRegistry
) -> None:
    path = folder / "mutated.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    started = time.perf_counter()
    try:
        load_ruleset_file(path, registry=registry)
    except RulesetError as exc:
        assert exc.problems, str(exc)
        assert all(problem.file for problem in exc.problems)
    assert time.perf_counter() - started < SECONDS_PER_LOAD


# NOTE: the limit is set by the child itself (not preexec_fn, unsafe with threads):
# beyond it an allocation fails, and the MemoryError is a traceback the test sees.
_BOUNDED_CLI = (
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({CLI_MEMORY}, {CLI_MEMORY})); "
    "sys.argv[0] = 'cchc'; runpy.run_module('cchc_rules', run_name='__main__')"
)


@settings(_FUZZ, max_examples=5)
@given(text=mutated_rulesets())
def test_a_mutated_ruleset_through_the_cli_exits_0_or_1(text: str, folder: Path) -> None:
    path = folder / "cli.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for command in (["rulesets", "validate", path], ["evaluate", path, "demo", "-f", "csv"]):
        result = subprocess.run(
            [sys.executable, "-c", _BOUNDED_CLI, *map(str, command)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=folder,
            timeout=60,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stderr
