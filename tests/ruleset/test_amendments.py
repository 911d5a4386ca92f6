"""Ruleset versions: amendments (extends), legal references with versions, the lock,
period selection, diff, amend and the what-if comparison."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import Result

import cchc_rules
from cchc_rules._plugins import KindRegistry
from cchc_rules.api import compare, select_ruleset
from cchc_rules.errors import RulesetError
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._diff import diff_rulesets
from cchc_rules.ruleset._loading import load_ruleset_file
from cchc_rules.ruleset._toml import ruleset_toml

HERE = Path(__file__).resolve().parents[1]
AMENDMENTS = HERE / "rulesets" / "amendments"
BUNDLED = Path(cchc_rules.__file__).resolve().parent / "rulesets"
HINT = "run tests/rulesets/regenerate.py and review the diff"


def _regenerate() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "rulesets_regenerate", HERE / "rulesets" / "regenerate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


regenerate = _regenerate()


@pytest.fixture(scope="module")
def registry() -> KindRegistry:
    registry: KindRegistry = regenerate.builtin_registry()
    return registry


# -- golden amendment cases ------------------------------------------------------------------

VALID = sorted((AMENDMENTS / "valid").glob("*.toml"))
INVALID = sorted((AMENDMENTS / "invalid").glob("*.toml"))


def test_every_operation_has_a_case() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in VALID)
    for op in ("add", "remove", "set", "unset", "replace", "rename"):
        assert f'op = "{op}"' in text


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_amendment_matches_its_resolved_form(path: Path, registry: KindRegistry) -> None:
    golden = path.with_suffix(".resolved.json")
    assert golden.exists(), HINT
    assert regenerate.resolved_text(path, registry) == golden.read_text(encoding="utf-8"), HINT


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_amendment_gives_its_exact_error(path: Path, registry: KindRegistry) -> None:
    golden = path.with_suffix(".error.txt")
    assert golden.exists(), HINT
    actual = regenerate.error_text(path, registry)
    assert actual == golden.read_text(encoding="utf-8"), HINT
    for line in actual.splitlines():
        # file:line: key.path: message, the file inside the amendments directory
        where, path_text, _ = line.split(": ", 2)
        assert where.startswith("amendments/") and where.rsplit(":", 1)[1].isdigit(), line
        assert path_text


def _load(path: Path, registry: KindRegistry, root: Path = AMENDMENTS) -> CompiledRuleset:
    return load_ruleset_file(path, registry=registry, rulesets_dir=root)


def test_split_and_rename_record_lineage(registry: KindRegistry) -> None:
    split = _load(AMENDMENTS / "valid" / "replace_split.toml", registry).model
    assert split.lineage is not None
    (entry,) = split.lineage
    assert (entry.change, entry.old, entry.new) == ("split", ["B1"], ["B2", "B3"])
    renamed = _load(AMENDMENTS / "valid" / "rename.toml", registry).model
    base = _load(AMENDMENTS / "amend" / "base.toml", registry).model
    diff = diff_rulesets(base, renamed)
    # a rename is one changed criterion, not a removal and an addition
    assert not diff.added and not diff.removed
    renames = {d.id: {c.field for c in d.changes} for d in diff.changed if d.old_id != d.id}
    assert renames == {"M1": {"id"}, "M": {"id"}}


def test_legal_reference_follows_the_period(registry: KindRegistry) -> None:
    base = _load(AMENDMENTS / "amend" / "base.toml", registry)
    later = _load(AMENDMENTS / "valid" / "path_extends.toml", registry)
    assert base.leaf("A1").criterion.legal_ref is not None
    assert base.leaf("A1").criterion.legal_ref.document == "Nghị định 158/2007/NĐ-CP"
    ref = later.leaf("A1").criterion.legal_ref
    assert ref is not None and (ref.document, ref.article) == ("Nghị định 59/2019/NĐ-CP", "Điều 4")


def test_bundled_2019_amends_2018_as_the_domain_sketch_says() -> None:
    old = cchc_rules.load_ruleset("ttcp@2018")
    new = cchc_rules.load_ruleset("ttcp@2019")
    assert new.model.ruleset.extends == "ttcp@2018"
    assert new.model.ruleset.legal_basis.requested_by is not None
    assert "1865/TB-TTCP" in new.model.ruleset.legal_basis.requested_by
    diff = diff_rulesets(old.model, new.model)
    added = {n.id for n in diff.added}
    assert {"A9", "B5", "C5", "F5", "S"} <= added  # Government/PM tasks, conclusions, database…
    assert {n.id for n in diff.removed} == {"G1"}
    a3 = next(d for d in diff.changed if d.id == "A3")
    assert {c.field for c in a3.changes} >= {"max_points", "params.bands"}  # tightened bands
    areas = {a.id: (a.before, a.after) for a in diff.areas}
    assert areas["G"] == (Decimal(8), Decimal(16))  # the digital-government area raised
    rotation = new.leaf("E4.2").criterion.legal_ref
    assert rotation is not None and rotation.document == "Nghị định 59/2019/NĐ-CP"
    # every change says why, and whether it is an inspection requirement or modelled
    source = (BUNDLED / "ttcp" / "2019.toml").read_text(encoding="utf-8")
    changes = tomllib.loads(source)["changes"]
    assert changes and all(c["why"]["en"].startswith(("[TB 1865]", "[modelled]")) for c in changes)
    assert "MODELLED, NOT THE OFFICIAL TEXT" in source


# -- immutability ------------------------------------------------------------------------------


@pytest.fixture
def rulesets(tmp_path: Path) -> Path:
    """A copy of the bundled rulesets directory, lock file included."""
    root = tmp_path / "rulesets"
    shutil.copytree(BUNDLED, root, symlinks=False)
    return root


def test_bundled_published_versions_match_the_lock(registry: KindRegistry) -> None:
    lock = (BUNDLED / "lock.toml").read_text(encoding="utf-8")
    for ref in ("ttcp@2018", "ttcp@2019"):
        assert cchc_rules.load_ruleset(ref).content_hash in lock


def test_a_changed_published_version_is_refused(rulesets: Path, registry: KindRegistry) -> None:
    path = rulesets / "ttcp" / "2018.toml"
    text = path.read_text(encoding="utf-8").replace(
        'name = { vi = "Tự kiểm tra công tác CCHC tại đơn vị"',
        'name = { vi = "Tự kiểm tra công tác CCHC"',
    )
    path.write_text(text, encoding="utf-8")
    for ref in ("2018", "2019"):  # the amendment inherits the change, so it is refused too
        with pytest.raises(RulesetError) as caught:
            _load(rulesets / "ttcp" / f"{ref}.toml", registry, rulesets)
        message = str(caught.value)
        assert "ttcp@2018 is published (in_force) and immutable, but its content changed" in message
        assert "lock.toml" in message


def test_a_published_version_missing_from_the_lock_is_refused(
    rulesets: Path, registry: KindRegistry
) -> None:
    (rulesets / "lock.toml").write_text("[ttcp]\n", encoding="utf-8")
    with pytest.raises(RulesetError, match=r"not recorded in lock\.toml"):
        _load(rulesets / "ttcp" / "2018.toml", registry, rulesets)


# -- period selection ----------------------------------------------------------------------------


def test_period_picks_the_version_in_force(rulesets: Path) -> None:
    selection = select_ruleset("ttcp", 2019, rulesets_dir=rulesets)
    assert selection.ruleset.ref == "ttcp@2019"
    assert "the only version in force for 2019" in selection.reason
    assert select_ruleset("ttcp", 2018, rulesets_dir=rulesets).ruleset.ref == "ttcp@2018"


def test_no_version_in_force_is_an_error(rulesets: Path) -> None:
    with pytest.raises(RulesetError, match=r"no version of ttcp is in force for 2021"):
        select_ruleset("ttcp", 2021, rulesets_dir=rulesets)


def _second_2019(rulesets: Path, transition: str) -> None:
    text = (rulesets / "ttcp" / "2019.toml").read_text(encoding="utf-8")
    text = text.replace('version = "2019"', 'version = "2019b"').replace(
        'status = "in_force"', f'status = "draft"\n{transition}'
    )
    (rulesets / "ttcp" / "2019b.toml").write_text(text, encoding="utf-8")


def test_two_versions_in_force_need_a_declared_transition(rulesets: Path) -> None:
    # a draft never applies by period…
    _second_2019(rulesets, "")
    assert select_ruleset("ttcp", 2019, rulesets_dir=rulesets).ruleset.ref == "ttcp@2019"
    # …two versions in force without a declared transition are an error
    path = rulesets / "ttcp" / "2019b.toml"
    path.write_text(
        path.read_text("utf-8").replace('status = "draft"', 'status = "in_force"'), "utf-8"
    )
    (rulesets / "lock.toml").unlink()
    with pytest.raises(
        RulesetError, match=r"2 versions are in force for 2019 \(ttcp@2019, ttcp@2019b\)"
    ):
        select_ruleset("ttcp", 2019, rulesets_dir=rulesets)


def test_a_declared_transition_picks_its_default(rulesets: Path) -> None:
    (rulesets / "lock.toml").unlink()
    _second_2019(rulesets, "transition = { periods = [2019], default = true }")
    path = rulesets / "ttcp" / "2019b.toml"
    path.write_text(
        path.read_text("utf-8").replace('status = "draft"', 'status = "in_force"'), "utf-8"
    )
    original = rulesets / "ttcp" / "2019.toml"
    original.write_text(
        original.read_text("utf-8").replace(
            'status = "in_force"', 'status = "in_force"\ntransition = { periods = [2019] }'
        ),
        "utf-8",
    )
    selection = select_ruleset("ttcp", 2019, rulesets_dir=rulesets)
    assert selection.ruleset.ref == "ttcp@2019b"
    assert "units may choose ttcp@2019, ttcp@2019b" in selection.reason


# -- what-if ---------------------------------------------------------------------------


def test_compare_scores_the_same_units_under_both_versions() -> None:
    old = cchc_rules.load_ruleset("ttcp@2018")
    new = cchc_rules.load_ruleset("ttcp@2019")
    units = cchc_rules.demo_units_path(new)
    comparison = compare(old, new, units)
    table = comparison.to_arrow(sort="movement").to_pylist()
    movements = [row["movement"] for row in table]
    assert movements == sorted(movements, reverse=True)
    assert any(m > 0 for m in movements) and any(m < 0 for m in movements)
    # each side equals a plain evaluation of that version
    after = {r["unit_id"]: r for r in cchc_rules.evaluate(new, units).to_arrow().to_pylist()}
    for row in table:
        assert row["total_after"] == after[row["unit_id"]]["total"]
        assert row["rank_after"] == after[row["unit_id"]]["rank"]
        assert row["movement"] == row["rank_before"] - row["rank_after"]
        assert row["index_change"] == row["index_after"] - row["index_before"]


# -- the command line ---------------------------------------------------------------------


def test_cli_period_selection_says_why(cli: Callable[..., Result]) -> None:
    result = cli("--period", "2019", "evaluate", "ttcp", "demo", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "ttcp for 2019: ttcp@2019 (in_force, decision" in result.stderr
    result = cli("--period", "2019", "evaluate", "ttcp@2018", "demo", "-f", "csv")
    assert result.exit_code == 0
    assert (
        "ttcp@2018 was named explicitly and is used, though it covers 2018, not 2019"
        in result.stderr
    )
    result = cli("--period", "2030", "evaluate", "ttcp", "demo")
    assert result.exit_code == 1
    assert "no version of ttcp is in force for 2030" in result.stderr
    result = cli("evaluate", "ttcp", "demo")
    assert result.exit_code == 1
    assert (
        "ttcp is a ruleset family: name a version (ttcp@2018, ttcp@2019, ttcp@2020)"
        in result.stderr
    )


def test_cli_list_show_resolved_and_diff(cli: Callable[..., Result], tmp_path: Path) -> None:
    listed = cli("rulesets", "list")
    assert listed.exit_code == 0, listed.output
    assert "extends ttcp@2018" in listed.stdout and "locked" in listed.stdout
    shown = cli("rulesets", "show", "ttcp@2019", "--resolved")
    assert shown.exit_code == 0, shown.output
    target = tmp_path / "resolved.toml"
    target.write_text(shown.stdout, encoding="utf-8")
    again = cchc_rules.load_ruleset(target)
    assert again.content_hash == cchc_rules.load_ruleset("ttcp@2019").content_hash
    table = cli("rulesets", "diff", "ttcp@2018", "ttcp@2019", "--lang", "en")
    assert table.exit_code == 0, table.output
    for expected in ("+ added", "− removed", "~ changed", "split (2019)", "G1 → G3, G4"):
        assert expected in table.stdout
    document = json.loads(cli("rulesets", "diff", "ttcp@2018", "ttcp@2019", "-f", "json").stdout)
    assert [e["change"] for e in document["lineage"]] == ["split"]
    assert {"id": "G", "name": document["areas"][6]["name"], "before": "8", "after": "16"} in (
        document["areas"]
    )


def test_cli_amend_writes_a_draft_that_diff_shows_exactly(
    cli: Callable[..., Result], rulesets: Path
) -> None:
    args = (
        "--rulesets-dir", str(rulesets), "rulesets", "amend", "ttcp@2019",
        "--new-version", "2020-draft", "--legal-basis", "Dự thảo 2020", "--date", "2020-06-01",
        "--set", "E2.max_points=2", "--set", "E6.max_points=0.5",
        "--remove", "B6", "--set", "B4.max_points=3", "--why", "thử / trial",
    )  # fmt: skip
    result = cli(*args)
    assert result.exit_code == 0, result.output
    written = rulesets / "ttcp" / "2020-draft.toml"
    assert written.exists()
    diff = cli(
        "--rulesets-dir",
        str(rulesets),
        "rulesets",
        "diff",
        "ttcp@2019",
        "ttcp@2020-draft",
        "-f",
        "json",
    )
    document = json.loads(diff.stdout)
    changed = {
        (c["id"], f["field"], f["before"], f["after"])
        for c in document["changed"]
        for f in c["changes"]
    }
    assert changed == {
        ("E2", "max_points", "1", "2"),
        ("E6", "max_points", "1.5", "0.5"),
        ("B4", "max_points", "2", "3"),
    }
    assert [n["id"] for n in document["removed"]] == ["B6"] and not document["added"]
    # it refuses to touch an existing version, and leaves it as it was
    before = written.read_bytes()
    again = cli(*args)
    assert again.exit_code == 1
    assert "ttcp@2020-draft already exists" in again.stderr
    assert written.read_bytes() == before
    # an amendment that would not validate is never written
    bad = cli(
        "--rulesets-dir", str(rulesets), "rulesets", "amend", "ttcp@2019", "--new-version", "x",
        "--legal-basis", "x", "--set", "E2.max_points=5",
    )  # fmt: skip
    assert bad.exit_code == 1 and "areas.E.max_points" in bad.stderr
    assert not (rulesets / "ttcp" / "x.toml").exists()


def test_cli_lock_records_new_versions_only(cli: Callable[..., Result], rulesets: Path) -> None:
    lock = rulesets / "lock.toml"
    lock.write_text(lock.read_text("utf-8").split('"2019"')[0], encoding="utf-8")
    result = cli("--rulesets-dir", str(rulesets), "rulesets", "lock")
    assert result.exit_code == 0, result.output
    assert "locked ttcp@2019" in result.stdout and "ttcp@2018" not in result.stdout
    assert cli("--rulesets-dir", str(rulesets), "rulesets", "validate", "ttcp@2019").exit_code == 0


def test_cli_compare_demo(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("compare", "ttcp@2018", "ttcp@2019", "demo", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "ttcp@2018 → ttcp@2019" in result.stdout and "▲" in result.stdout
    csv_text = cli(
        "compare", "ttcp@2018", "ttcp@2019", "demo", "-f", "csv", "--sort", "movement"
    ).stdout
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 19 and int(rows[0]["movement"]) > 0
    document = json.loads(cli("compare", "ttcp@2018", "ttcp@2019", "demo", "-f", "json").stdout)
    assert document["after"]["ruleset"] == "ttcp@2019"
    assert isinstance(document["units"][0]["index_after"], str)  # exact decimal strings
    out = tmp_path / "what-if.xlsx"
    assert cli("compare", "ttcp@2018", "ttcp@2019", "demo", "-o", str(out)).exit_code == 0
    assert out.stat().st_size > 0


# -- properties: random rulesets, random amendments ------------------------------------------------

TEXT = {"vi": "x", "en": "x"}


@st.composite
def rulesets_and_amendments(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A valid ruleset (flag and proportional leaves only, so any maximum is valid) and a
    sequence of changes that keeps it valid."""
    area_count = draw(st.integers(1, 3))
    areas = []
    for a in range(area_count):
        points = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
        criteria = []
        for c, p in enumerate(points):
            kind = draw(st.sampled_from(["flag", "proportional"]))
            params = (
                {"fact": "ok"}
                if kind == "flag"
                else {"numerator": "n", "denominator": "d", "zero_denominator": "full_points"}
            )
            criteria.append(
                {
                    "id": f"{'ABC'[a]}{c + 1}",
                    "name": dict(TEXT),
                    "max_points": p,
                    "kind": kind,
                    "params": params,
                }
            )
        areas.append(
            {"id": "ABC"[a], "name": dict(TEXT), "max_points": sum(points), "criteria": criteria}
        )
    data = {
        "ruleset": {
            "family": "prop", "version": "base", "title": dict(TEXT), "status": "draft",
            "legal_basis": {"decision": "1", "date": __import__("datetime").date(2020, 1, 1)},
            "periods": [2020], "total_points": sum(a["max_points"] for a in areas),
        },
        "unit_types": {"u": {"name": dict(TEXT), "peer_group": "g"}},
        "facts": {
            "ok": {"type": "boolean", "description": dict(TEXT)},
            "n": {"type": "integer", "min": 0, "description": dict(TEXT)},
            "d": {"type": "integer", "min": 0, "description": dict(TEXT)},
        },
        "grading": {
            "bands": [
                {"grade": "a", "name": dict(TEXT), "min_index": 50},
                {"grade": "b", "name": dict(TEXT), "min_index": 0},
            ]
        },
        "ranking": {"peer_groups": {"g": {"name": dict(TEXT)}}},
        "areas": areas,
    }  # fmt: skip
    base = copy.deepcopy(data)
    changes: list[dict[str, Any]] = []
    # ``areas`` now tracks the amended state, so re-weightings stay valid in sequence
    leaves = [c for a in areas for c in a["criteria"]]
    for _ in range(draw(st.integers(0, 4))):
        leaf = draw(st.sampled_from(leaves))
        what = draw(st.sampled_from(["name", "note", "when_missing", "reweight"]))
        if what == "name":
            name = {
                "vi": draw(st.text("abcđơ ", min_size=1, max_size=5)).strip() or "t",
                "en": "renamed",
            }
            changes.append({"op": "set", "id": leaf["id"], "set": {"name": name}})
        elif what == "note":
            changes.append(
                {"op": "set", "id": leaf["id"], "set": {"note": {"vi": "ghi chú", "en": "note"}}}
            )
        elif what == "when_missing":
            changes.append(
                {"op": "set", "id": leaf["id"], "set": {"when_missing": "not_applicable"}}
            )
        else:
            siblings = next(a for a in areas if leaf in a["criteria"])["criteria"]
            other = draw(st.sampled_from(siblings))
            if other is leaf or leaf["max_points"] < 2:
                continue
            # move one point between siblings: every sum stays as it was
            leaf["max_points"] -= 1
            other["max_points"] += 1
            changes.append(
                {"op": "set", "id": leaf["id"], "set": {"max_points": leaf["max_points"]}}
            )
            changes.append(
                {"op": "set", "id": other["id"], "set": {"max_points": other["max_points"]}}
            )
    return base, changes


def _write(root: Path, version: str, document: dict[str, Any]) -> Path:
    path = root / "prop" / f"{version}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ruleset_toml(document), encoding="utf-8")
    return path


def _amendment(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ruleset": {
            "extends": "prop@base", "family": "prop", "version": "next", "title": dict(TEXT),
            "status": "draft", "periods": [2021],
            "legal_basis": {"decision": "2", "date": __import__("datetime").date(2021, 1, 1)},
        },
        "changes": changes,
    }  # fmt: skip


def _expected_fields(base: dict[str, Any], changes: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(id, field) pairs whose final value differs from the base: what diff must report."""
    state = {c["id"]: copy.deepcopy(c) for a in base["areas"] for c in a["criteria"]}
    original = copy.deepcopy(state)
    for change in changes:
        state[change["id"]].update(change["set"])
    found = set()
    for ident, node in state.items():
        for key in set(node) | set(original[ident]):
            old, new = original[ident].get(key), node.get(key)
            if isinstance(new, dict) and isinstance(old, dict):
                found |= {
                    (ident, f"{key}.{k}") for k in set(new) | set(old) if new.get(k) != old.get(k)
                }
            elif isinstance(new, dict):
                found |= {(ident, f"{key}.{k}") for k in new}
            elif key == "when_missing" and old is None and new == "zero":
                continue
            elif old != new:
                found.add((ident, key))
    return found


@settings(max_examples=25, deadline=None)
@given(rulesets_and_amendments())
def test_resolution_roundtrip_and_diff_properties(
    case: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    data, changes = case
    registry: KindRegistry = regenerate.builtin_registry()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        _write(root, "base", data)
        amended = _write(root, "next", _amendment(changes))
        first = load_ruleset_file(amended, registry=registry, rulesets_dir=root)
        second = load_ruleset_file(amended, registry=registry, rulesets_dir=root)
        # deterministic: the same files give the same ruleset and hash
        assert first.model == second.model and first.content_hash == second.content_hash
        # written with tomli-w and read back: the same ruleset and hash
        # outside the family folder: its version is "next", not the file's name
        resolved = root / "resolved.toml"
        resolved.write_text(
            ruleset_toml(first.model.model_dump(mode="python", exclude_none=True)), "utf-8"
        )
        again = load_ruleset_file(resolved, registry=registry, rulesets_dir=root)
        assert again.model == first.model and again.content_hash == first.content_hash
        # the diff shows exactly the changes
        base_model = load_ruleset_file(
            root / "prop" / "base.toml", registry=registry, rulesets_dir=root
        )
        diff = diff_rulesets(base_model.model, first.model)
        reported = {(d.id, c.field) for d in diff.changed for c in d.changes}
        assert reported == _expected_fields(data, changes)
        assert not diff.added and not diff.removed and not diff.lineage


@settings(max_examples=15, deadline=None)
@given(
    rulesets_and_amendments(),
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=6
    ),
)
def test_an_empty_amendment_changes_no_score(
    case: tuple[dict[str, Any], list[dict[str, Any]]],
    facts: list[tuple[bool, int, int]],
) -> None:
    data, _ = case
    registry: KindRegistry = regenerate.builtin_registry()
    units = pa.table(
        {
            "unit_id": [f"u{i}" for i in range(len(facts))],
            "name": ["x"] * len(facts),
            "unit_type": ["u"] * len(facts),
            "ok": [f[0] for f in facts],
            "n": [min(f[1], f[2]) for f in facts],
            "d": [f[2] for f in facts],
        }
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        base = load_ruleset_file(_write(root, "base", data), registry=registry, rulesets_dir=root)
        empty = load_ruleset_file(
            _write(root, "next", _amendment([])), registry=registry, rulesets_dir=root
        )
        before = cchc_rules.evaluate(base, units).to_arrow().drop_columns(["grade_name"])
        after = cchc_rules.evaluate(empty, units).to_arrow().drop_columns(["grade_name"])
        assert before.equals(after)
        assert diff_rulesets(base.model, empty.model).empty


def test_toml_writer_keeps_exact_numbers() -> None:
    text = ruleset_toml({"a": Decimal("100"), "b": Decimal("0.25"), "c": [Decimal("1.50")]})
    assert text == tomli_w.dumps({"a": 100, "b": Decimal("0.25"), "c": [Decimal("1.50")]})
