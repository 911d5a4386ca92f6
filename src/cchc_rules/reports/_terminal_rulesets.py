"""The terminal, for rulesets: the versions of a directory, one version's tree, a diff."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText
from rich.tree import Tree

from cchc_rules.reports._labels import _plain, both, header
from cchc_rules.reports._literal import literal, printable
from cchc_rules.ruleset._authoring import VersionState
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._diff import FieldChange, RulesetDiff
from cchc_rules.ruleset._lock import PUBLISHED

__all__ = ["diff_tables", "ruleset_tree", "versions_table"]


def versions_table(states: Sequence[VersionState], lang: str) -> Table:
    """Every version with its status, legal basis, periods, criteria and content hash;
    an invalid one with its first problem and the command that shows them all."""
    table = Table(header_style="bold", show_lines=True)
    # Identifiers never wrap (a hash or a decision number cut in two cannot be copied);
    # the title, under the ruleset's name, takes the remaining width.
    table.add_column("ruleset\n(title)", ratio=1, min_width=24)
    table.add_column("status\nperiods", no_wrap=True)
    table.add_column("decision (date)\nextends", no_wrap=True)
    table.add_column("criteria", no_wrap=True, justify="right")
    table.add_column("sha256\nlock", no_wrap=True)
    for state in states:
        if state.ruleset is None:
            error = state.error
            problem = error.problems[0] if error is not None and error.problems else error
            table.add_row(
                RichText.assemble(
                    (state.ref, "bold"),
                    "\n",
                    (printable(f"{problem}\n(cchc rulesets validate {state.ref})"), "red"),
                ),
                literal("invalid", style="red"),
            )
            continue
        compiled = state.ruleset
        meta = compiled.model.ruleset
        basis = meta.legal_basis
        locked = "locked" if state.locked else "not locked"
        table.add_row(
            RichText.assemble((state.ref, "bold"), "\n", printable(meta.title.get(lang))),
            literal(f"{meta.status}\n{', '.join(str(p) for p in meta.periods)}"),
            literal(
                f"{basis.decision} ({basis.date:%d/%m/%Y})\n"
                f"{'extends ' + meta.extends if meta.extends else ''}"
            ),
            str(len(compiled.leaves)),
            literal(
                f"{compiled.content_hash[:12]}\n{locked if meta.status in PUBLISHED else 'draft'}"
            ),
        )
    return table


def ruleset_tree(compiled: CompiledRuleset, lang: str) -> Tree:
    """Areas and criteria with their points, kinds and the unit types they apply to; the
    checks between facts with their severity."""
    model = compiled.model
    meta = model.ruleset
    extends = f", extends {meta.extends}" if meta.extends else ""
    tree = Tree(
        RichText.assemble(
            (compiled.ref, "bold"),
            printable(
                f" {meta.title.get(lang)} — {meta.total_points} "
                f"({meta.legal_basis.decision}, {meta.status}{extends}, "
                f"sha256 {compiled.content_hash[:12]})"
            ),
        )
    )

    def add(branch: Tree, criteria: Any) -> None:
        for criterion in criteria:
            text = literal(f"{criterion.id} {criterion.name.get(lang)} [{criterion.max_points}]")
            if criterion.kind:
                text.append(f" {criterion.kind}", style="dim")
            if criterion.applies_to:
                text.append(f" ({', '.join(criterion.applies_to)})", style="cyan")
            add(branch.add(text), criterion.criteria)

    if meta.total_points_note is not None:
        # The areas add up to less than the declared total: say so, and why, at the top.
        areas = sum((area.max_points for area in model.areas), Decimal(0))
        tree.add(
            RichText(f"Σ {areas} < {meta.total_points}: {meta.total_points_note.get(lang)}"),
            style="yellow",
        )
    for area in model.areas:
        name = f"{area.id} {area.name.get(lang)} [{area.max_points}]"
        add(tree.add(literal(name, style="bold")), area.criteria)
    if model.checks:
        title = both("Kiểm tra giữa các dữ liệu", "Checks between facts", lang)
        checks = tree.add(literal(title, style="bold"))
        for check in model.checks:
            text = literal(f"{check.id}: {check.expr}")
            text.append(
                f" {check.severity}", style="red" if check.severity == "error" else "yellow"
            )
            checks.add(text)
    return tree


def _value_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return printable(value)
    return printable(json.dumps(value, ensure_ascii=False))


def _changes_text(changes: Sequence[FieldChange]) -> RichText:
    text = RichText()
    for position, change in enumerate(changes):
        if position:
            text.append("\n")
        text.append(f"{change.field}: ", style="bold")
        text.append(_value_text(change.before), style="red")
        text.append(" → ")
        text.append(_value_text(change.after), style="green")
    return text


def diff_tables(diff: RulesetDiff, lang: str) -> Group:
    """The diff of two versions for the terminal: what changed, area totals, lineage."""
    parts: list[RenderableType] = [
        literal(f"{diff.before} → {diff.after}", style="bold"),
        literal(f"sha256 {diff.before_hash[:12]} → {diff.after_hash[:12]}", style="dim"),
    ]
    if diff.empty and not diff.meta:
        parts.append(literal("no differences / không có khác biệt"))
        return Group(*parts)
    if diff.meta:
        parts.append(_titled("Bộ chỉ số", "Ruleset", lang, _changes_text(diff.meta)))
    criteria = Table(header_style="bold", show_lines=True, title_justify="left")
    criteria.title = literal(both("Tiêu chí", "Criteria", lang), style="bold")
    criteria.add_column(header("change", lang), no_wrap=True)
    criteria.add_column(header("unit_id", lang), no_wrap=True)
    criteria.add_column(header("criterion", lang), ratio=1)
    criteria.add_column(header("field", lang), ratio=2)
    for nodes, verb, style, where in (
        (diff.added, "+ added", "green", "in"),
        (diff.removed, "− removed", "red", "was in"),
    ):
        for node in nodes:
            criteria.add_row(
                literal(verb, style=style),
                node.id,
                literal(node.name.get(lang)),
                literal(f"max_points {node.max_points}; {where} {node.parent or '(top level)'}"),
            )
    for changed in diff.changed:
        ident = changed.id if changed.id == changed.old_id else f"{changed.old_id} → {changed.id}"
        criteria.add_row(
            literal("~ changed", style="yellow"),
            ident,
            literal(changed.name.get(lang)),
            _changes_text(changed.changes),
        )
    if criteria.row_count:
        parts.append(criteria)
    areas = Table(header_style="bold", title_justify="left")
    areas.title = literal(both("Điểm tối đa theo lĩnh vực", "Area totals", lang), style="bold")
    areas.add_column(header("area", lang))
    areas.add_column(header("before", lang), justify="right", no_wrap=True)
    areas.add_column(header("after", lang), justify="right", no_wrap=True)
    for area in diff.areas:
        style = "" if area.before == area.after else "yellow"
        areas.add_row(
            literal(f"{area.id} {area.name.get(lang)}"),
            _plain(area.before),
            literal(_plain(area.after), style=style),
        )
    parts.append(areas)
    if diff.lineage:
        lineage = Table(header_style="bold", title_justify="left")
        lineage.title = literal(both("Kế thừa mã tiêu chí", "Lineage", lang), style="bold")
        lineage.add_column(header("change", lang), no_wrap=True)
        lineage.add_column(header("unit_id", lang), no_wrap=True)
        lineage.add_column(header("why", lang), ratio=1)
        for entry in diff.lineage:
            lineage.add_row(
                f"{entry.change} ({entry.version})",
                f"{', '.join(entry.old)} → {', '.join(entry.new) or '—'}",
                literal(entry.why.get(lang) if entry.why else ""),
            )
        parts.append(lineage)
    if diff.facts:
        parts.append(_titled("Dữ liệu đầu vào (facts)", "Facts", lang, _named(diff.facts)))
    if diff.checks:
        parts.append(
            _titled("Kiểm tra giữa các dữ liệu", "Checks between facts", lang, _named(diff.checks))
        )
    if diff.settings:
        parts.append(
            _titled(
                "Xếp loại, xếp hạng, cách tính, văn bản",
                "Grading, ranking, arithmetic, legal texts",
                lang,
                _changes_text(diff.settings),
            )
        )
    return Group(*parts)


def _named(changes: tuple[FieldChange, ...]) -> RichText:
    """``+ name`` added, ``− name`` removed, ``~ name`` changed, one a line."""
    text = RichText()
    for position, change in enumerate(changes):
        sign = "+" if change.before is None else "−" if change.after is None else "~"
        text.append(("\n" if position else "") + f"{sign} {change.field}")
    return text


def _titled(vi: str, en: str, lang: str, body: RichText) -> Table:
    table = Table(header_style="bold", show_header=False, title_justify="left")
    table.title = literal(both(vi, en, lang), style="bold")
    table.add_column(ratio=1)
    table.add_row(body)
    return table
