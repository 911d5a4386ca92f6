"""The ruleset diff shows checks between facts added, changed and removed, by id."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cchc_rules.api import default_registry
from cchc_rules.reports._terminal_rulesets import diff_tables
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._diff import diff_rulesets
from cchc_rules.ruleset._loading import load_ruleset_file

AMENDMENTS = Path(__file__).resolve().parents[1] / "rulesets" / "amendments"


def test_check_changes_are_listed_by_id() -> None:
    def load(path: Path) -> CompiledRuleset:
        return load_ruleset_file(path, registry=default_registry(), rulesets_dir=AMENDMENTS)

    before = load(AMENDMENTS / "amend" / "checked.toml")
    after = load(AMENDMENTS / "valid" / "checks.toml")
    diff = diff_rulesets(before.model, after.model)
    assert [(c.field, c.before is None, c.after is None) for c in diff.checks] == [
        ("plan_when_due", False, False),
        ("some_due", False, True),
        ("due_small", True, False),
    ]
    changed = diff.checks[0]
    assert (changed.before["severity"], changed.after["severity"]) == ("warning", "error")
    assert not diff.empty
    assert [c["field"] for c in diff.to_json()["checks"]] == [
        "plan_when_due",
        "some_due",
        "due_small",
    ]
    console = Console(width=200, record=True)
    console.print(diff_tables(diff, "en"))
    shown = console.export_text()
    assert "Checks between" in shown
    for line in ("~ plan_when_due", "− some_due", "+ due_small"):
        assert f"│ {line}" in shown
