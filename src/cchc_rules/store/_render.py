"""Campaigns and runs for people (terminal tables) and programs (JSON documents).

NOTE: here rather than in reports/, which sits below the store and cannot name its
types; the terminal explanation reuses the reports' number formatting.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText

from cchc_rules.kinds import number_text
from cchc_rules.reports._json import explanation_json, json_bytes

if TYPE_CHECKING:
    # Types only: rendering loads no database code (cchc_rules.store explains why).
    from cchc_rules.store._campaign import ImportResult
    from cchc_rules.store._chain import ChainCheck
    from cchc_rules.store._db import RunRecord
    from cchc_rules.store._runs import RunDiff, Verification
    from cchc_rules.store._scoring import CampaignExplanation
    from cchc_rules.store._state import CampaignState

__all__ = [
    "campaign_document",
    "campaign_table",
    "campaigns_table",
    "chain_lines",
    "diff_table",
    "explanation_document",
    "explanation_table",
    "import_lines",
    "run_document",
    "run_table",
    "runs_table",
    "verification_lines",
]


def _n(value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    return number_text(Decimal(value))


def campaigns_table(states: list[CampaignState]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("campaign", "state", "ruleset", "period", "units", "events", "runs"):
        table.add_column(column)
    for s in states:
        table.add_row(
            s.name,
            s.state,
            s.ruleset_ref,
            str(s.period),
            str(len(s.unit_ids)),
            str(s.events),
            ", ".join(s.runs) or "—",
        )
    return table


def campaign_document(state: CampaignState) -> dict[str, Any]:
    return {
        "campaign": state.name,
        "state": state.state,
        "period": state.period,
        "ruleset": {
            "ref": state.ruleset_ref,
            "content_hash": state.content_hash,
            "why": state.reason,
        },
        "units": {
            "name": state.units_name,
            "sha256": state.units_sha256,
            "count": len(state.unit_ids),
        },
        "opened": {"by": state.opened_by, "at": state.opened_at},
        "self_scores": len(state.self_scores),
        "appraisals": len(state.appraisals),
        "surveys": len(state.surveys),
        "appeals": [
            {
                "unit": a.unit,
                "why": a.why,
                "who": a.who,
                "when": a.when,
                "event": a.event,
                "open": state.open_appeals.get(a.unit) == a,
            }
            for a in state.appeals
        ],
        "inputs": [i.to_json() for i in state.inputs],
        "runs": state.runs,
        "last_event": state.last_event,
    }


def campaign_table(state: CampaignState) -> Group:
    doc = campaign_document(state)
    lines = [
        RichText(f"{state.name} · {state.state}", style="bold"),
        RichText(
            f"ruleset {state.ruleset_ref} · sha256 {state.content_hash[:12]} · "
            f"period {state.period}"
        ),
        RichText(f"why this version: {state.reason}"),
        RichText(
            f"units: {state.units_name} ({len(state.unit_ids)} units, "
            f"sha256 {state.units_sha256[:12]})"
        ),
        RichText(f"opened by {state.opened_by} at {state.opened_at}"),
        RichText(
            f"self-scores {doc['self_scores']} · appraisals {doc['appraisals']} · "
            f"survey scores {doc['surveys']} · last event #{state.last_event}"
        ),
    ]
    for appeal in doc["appeals"]:
        status = "open" if appeal["open"] else "answered"
        lines.append(
            RichText(
                f"appeal #{appeal['event']} {appeal['unit']} ({status}) by {appeal['who']}: "
                f"{appeal['why']}"
            )
        )
    inputs = Table(box=box.SIMPLE_HEAD, title="inputs as imported")
    for column in ("event", "kind", "file", "sha256"):
        inputs.add_column(column)
    for record in state.inputs:
        inputs.add_row(f"#{record.event}", record.kind, record.name, record.sha256[:12])
    runs = RichText("runs: " + (", ".join(state.runs) or "none yet"))
    return Group(*lines, inputs, runs)


def import_lines(result: ImportResult) -> list[str]:
    """What an import did, line by line."""
    lines = [f"warning: {w}" for w in result.warnings]
    if not result.changes:
        again = f" (the same content as event #{result.same_as})" if result.same_as else ""
        lines.append(f"{result.campaign}: nothing to change{again}; nothing written")
        return lines
    verb = "would change" if result.dry_run else "changed"
    lines += [f"  {change}" for change in result.changes]
    what = result.kind.replace("_", " ")
    if result.event is not None:
        lines.append(
            f"{result.campaign}: {what} imported as event #{result.event.id} "
            f"({len(result.changes)} {verb}; payload sha256 {result.event.payload_sha256[:12]})"
        )
    else:
        lines.append(f"{result.campaign}: dry run: {len(result.changes)} {verb}; nothing written")
    return lines


def explanation_table(found: CampaignExplanation, lang: str) -> Group:
    e = found.explanation
    heading = RichText(
        f"{e.unit_id} {e.name} · {found.campaign} · {e.ruleset} · total {_n(e.total)} / "
        f"{_n(e.applicable_max)} · index {e.index if e.index is not None else '—'} · "
        f"grade {e.grade or '—'} · rank {e.rank or '—'}/{e.group_size}",
        style="bold",
    )
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("criterion", "self", "appraised", "final", "max", "evidence", "reason"):
        table.add_column(column, overflow="fold")
    for line in e.lines:
        assessment = found.assessments.get(line.id)
        indent = "  " * line.depth + line.id
        if assessment is None:
            table.add_row(
                RichText(f"{indent} {line.name}", style="bold"),
                "",
                "",
                _n(line.points),
                _n(line.applicable_max),
                "",
                "",
            )
            continue
        evidence = str(len(assessment.evidence)) + (" !" if assessment.evidence_missing else "")
        table.add_row(
            f"{indent} {line.name}",
            _n(assessment.self_points),
            _n(assessment.appraised_points),
            _n(assessment.final_points),
            _n(line.max_points),
            evidence,
            line.reason,
        )
    return Group(heading, table)


def explanation_document(found: CampaignExplanation) -> bytes:
    document = json.loads(explanation_json(found.explanation))
    document["campaign"] = found.campaign
    for line in document["criteria"]:
        assessment = found.assessments.get(line["id"])
        if assessment is not None:
            line["assessment"] = {
                k: str(v) if isinstance(v, Decimal) else v for k, v in assessment.to_json().items()
            }
    return json_bytes(document)


def runs_table(records: list[RunRecord]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("run", "published", "by", "supersedes", "ruleset", "results sha256"):
        table.add_column(column)
    for record in records:
        p = record.provenance
        table.add_row(
            record.id,
            p["time"],
            p["who"],
            record.supersedes or "—",
            p["ruleset"]["ref"],
            record.results_sha256[:12],
        )
    return table


def run_document(record: RunRecord) -> dict[str, Any]:
    return {
        "run": record.id,
        "campaign": record.campaign,
        "supersedes": record.supersedes,
        "results_sha256": record.results_sha256,
        "provenance": record.provenance,
        "results": json.loads(record.results),
    }


def run_table(record: RunRecord) -> Group:
    p = record.provenance
    lines: list[RenderableType] = [
        RichText(f"run {record.id} · published {p['time']} by {p['who']}", style="bold"),
        RichText(f"supersedes: {record.supersedes or '—'}"),
        RichText(
            f"ruleset {p['ruleset']['ref']} · sha256 {p['ruleset']['content_hash'][:12]} · "
            f"period {p['ruleset']['period']}"
        ),
        RichText(f"why this version: {p['ruleset']['why']}"),
        RichText(
            f"cchc-rules {p['cchc_rules']} · Python {p['python']} · events up to #{p['events']}"
        ),
        RichText(f"results sha256 {record.results_sha256}"),
    ]
    plugins = ", ".join(
        f"{q['distribution']} {q['version']} [{q['name']}]" if q["distribution"] else q["source"]
        for q in p["plugins"]
    )
    lines.append(RichText(f"plugins: {plugins}"))
    inputs = Table(box=box.SIMPLE_HEAD, title="inputs (SHA-256 as imported)")
    for column in ("event", "kind", "file", "sha256"):
        inputs.add_column(column)
    for item in p["inputs"]:
        inputs.add_row(f"#{item['event']}", item["kind"], item["name"], item["sha256"])
    results = Table(box=box.SIMPLE_HEAD, title="results")
    for column in ("rank", "unit", "peer group", "total", "max", "index", "grade"):
        results.add_column(column)
    units = json.loads(record.results)["units"]
    for unit in sorted(units, key=lambda u: (u["peer_group"], u["rank"] or 10**9, u["unit_id"])):
        results.add_row(
            str(unit["rank"] or "—"),
            unit["unit_id"],
            unit["peer_group"],
            _n(unit["total"]),
            _n(unit["applicable_max"]),
            unit["index"] or "—",
            unit["grade"] or "—",
        )
    return Group(*lines, inputs, results)


def diff_table(diff: RunDiff) -> Group:
    moved = Table(box=box.SIMPLE_HEAD, title=f"criteria moved {diff.before} → {diff.after}")
    for column in ("unit", "criterion", "before", "after", "why"):
        moved.add_column(column, overflow="fold")
    for m in diff.criteria:
        moved.add_row(m.unit, m.criterion, _n(m.before), _n(m.after), m.why)
    units = Table(box=box.SIMPLE_HEAD, title="units whose result changed")
    for column in ("unit", "total", "index", "grade", "rank", ""):
        units.add_column(column)
    for u in diff.units:
        units.add_row(
            u.unit,
            f"{_n(u.total[0])} → {_n(u.total[1])}",
            f"{u.index[0]} → {u.index[1]}",
            f"{u.grade[0]} → {u.grade[1]}",
            f"{u.rank[0]} → {u.rank[1]}",
            "rank only" if u.rank_only else "",
        )
    if not diff.criteria and not diff.units:
        return Group(RichText(f"{diff.before} → {diff.after}: nothing moved"))
    return Group(moved, units)


def verification_lines(result: Verification) -> list[str]:
    if result.identical:
        return [f"{result.run}: identical (results recomputed from the store, byte for byte)"]
    return [f"{result.run}: {len(result.differences)} difference(s)"] + [
        f"  {d}" for d in result.differences
    ]


def chain_lines(result: ChainCheck) -> list[str]:
    head = f"last event #{result.head_event}, chain head {result.head}"
    if result.intact:
        return [f"{result.campaign}: chain intact ({result.events} events; {head})"]
    return [f"{result.campaign}: {len(result.breaks)} break(s) in the chain ({head})"] + [
        f"  {b}" for b in result.breaks
    ]
