"""Published runs: frozen results with their provenance, diffs between runs, verification.

A run's results are the canonical JSON of the campaign's scorecards (every unit's
totals, grade, rank, and per criterion self / appraised / final with the reason), so
the same state gives the same bytes anywhere; their SHA-256 is stored beside them and
in the event that published them. ``verify`` recomputes the run from the store's events
and compares byte for byte, and names every difference in the environment.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from typing import Any

from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import CchcError, Problem
from cchc_rules.results._provenance import plugin_records, tool_version
from cchc_rules.results._scorecards import SUMMARY_COLUMNS
from cchc_rules.store._campaign import campaign_state, require_state
from cchc_rules.store._chain import chain_breaks
from cchc_rules.store._db import (
    Event,
    NewRun,
    RunRecord,
    Store,
    StoreError,
    canonical_json,
    sha256_hex,
    utc_now,
)
from cchc_rules.store._scoring import CampaignScorecards, bind, forget, score_campaign
from cchc_rules.store._state import PUBLISHED, CampaignState, fold

__all__ = [
    "CriterionMove",
    "RunDiff",
    "UnitMove",
    "Verification",
    "diff_runs",
    "exported_run",
    "publish",
    "results_document",
    "run_scorecards",
    "verify_run",
]


def results_document(cards: CampaignScorecards) -> dict[str, Any]:
    """The run's results: per unit its result and, per criterion, how its points came about."""
    ruleset = cards.bound.ruleset
    units = []
    for row in cards.scorecards.to_arrow(lang="vi").to_pylist():
        unit_id = row["unit_id"]
        criteria = {}
        for leaf in ruleset.leaves:
            cid = leaf.criterion.id
            found = cards.assessment(unit_id, cid)
            if found.final_source in ("appraised", "no_evidence"):
                reason = found.final_source
            elif found.self_source == "self_assessment":
                reason = "self_assessed"
            else:
                reason = row[f"{cid}:reason"]
            criteria[cid] = {"points": row[cid], "reason": reason, **found.to_json()}
        unit = {column: row[column] for column in SUMMARY_COLUMNS}
        unit["areas"] = {area.id: row[f"area:{area.id}"] for area in ruleset.model.areas}
        unit["criteria"] = criteria
        units.append(unit)
    return {
        "campaign": cards.bound.state.name,
        "ruleset": ruleset.ref,
        "content_hash": ruleset.content_hash,
        "units": units,
    }


def _provenance(
    state: CampaignState, registry: KindRegistry, *, run: str, chain: str, who: str, when: str
) -> dict[str, Any]:
    return {
        "run": run,
        "campaign": state.name,
        "supersedes": state.runs[-1] if state.runs else None,
        "ruleset": {
            "ref": state.ruleset_ref,
            "content_hash": state.content_hash,
            "period": state.period,
            "why": state.reason,
        },
        "inputs": [record.to_json() for record in state.inputs],
        "events": state.last_event,
        "chain": chain,
        "plugins": plugin_records(registry.plugins),
        "cchc_rules": tool_version(),
        "python": platform.python_version(),
        "time": when,
        "who": who,
    }


def publish(
    store: Store,
    name: str,
    *,
    who: str,
    registry: KindRegistry,
    why: str | None = None,
    based_on: int | None = None,
) -> RunRecord:
    """Freeze the campaign's current scorecards as a run (appraising → published, or
    appealing → republished: the new run supersedes the last, which stays)."""
    state = campaign_state(store, name)
    require_state(state, "publish")
    results = canonical_json(results_document(score_campaign(bind(store, state, registry))))
    number = len(state.runs) + 1
    run_id = f"{name}/{number}"
    when = utc_now()
    base = state.last_event if based_on is None else based_on
    provenance = _provenance(
        state, registry, run=run_id, chain=store.link(base), who=who, when=when
    )
    payload = {
        "campaign": name,
        "run": run_id,
        "supersedes": provenance["supersedes"],
        "results_sha256": sha256_hex(results.encode()),
        "answers_appeals": [a.event for a in state.open_appeals.values()],
    }
    store.append(
        name,
        PUBLISHED,
        payload,
        who=who,
        why=why,
        based_on=base,
        run=NewRun(run_id, number, provenance["supersedes"], results, canonical_json(provenance)),
        when=when,
    )
    return store.run(run_id)


def run_scorecards(store: Store, run_id: str, registry: KindRegistry) -> CampaignScorecards:
    """The scorecards of a run, recomputed from the events before it was published."""
    record = store.run(run_id)
    events = store.events(record.campaign, upto=record.event_id)
    return score_campaign(bind(store, fold(events[:-1]), registry))


# -- diff ------------------------------------------------------------------------------------


def exported_run(
    store: Store, run_id: str, registry: KindRegistry
) -> tuple[CampaignScorecards, dict[str, Any]]:
    """A published run to write out: its scorecards, recomputed from the store's events,
    and its provenance as stored.

    Refused (:class:`StoreError`, nothing written) unless the recomputation gives the
    published results byte for byte: an annex must show the numbers that were published,
    and a file that silently differed from them would be worse than none.
    """
    record = store.run(run_id)
    cards = run_scorecards(store, run_id, registry)
    if canonical_json(results_document(cards)) != record.results:
        raise StoreError(
            [
                Problem(
                    run_id,
                    None,
                    "",
                    "recomputed from the store, this run does not give the results that "
                    f"were published; nothing was written (cchc runs verify {run_id} names "
                    "every difference)",
                )
            ]
        )
    return cards, record.provenance


@dataclass(frozen=True)
class CriterionMove:
    """A criterion of a unit whose final points differ between two runs, and why."""

    unit: str
    criterion: str
    before: str | None
    after: str | None
    why: str


@dataclass(frozen=True)
class UnitMove:
    """A unit whose result differs between two runs (points, or only its rank)."""

    unit: str
    total: tuple[str, str]
    index: tuple[str | None, str | None]
    grade: tuple[str | None, str | None]
    rank: tuple[int | None, int | None]

    @property
    def rank_only(self) -> bool:
        return self.total[0] == self.total[1]


@dataclass(frozen=True)
class RunDiff:
    before: str
    after: str
    criteria: tuple[CriterionMove, ...]
    units: tuple[UnitMove, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "criteria": [vars(m) for m in self.criteria],
            "units": [
                {
                    "unit": m.unit,
                    "total": list(m.total),
                    "index": list(m.index),
                    "grade": list(m.grade),
                    "rank": list(m.rank),
                    "rank_only": m.rank_only,
                }
                for m in self.units
            ],
        }


def _units(record: RunRecord) -> dict[str, dict[str, Any]]:
    document: dict[str, Any] = json.loads(record.results)
    return {unit["unit_id"]: unit for unit in document["units"]}


def diff_runs(store: Store, before: str, after: str) -> RunDiff:
    """Which units and criteria moved from run ``before`` to run ``after``, and why: the
    appraisal's reason, and the appeal the unit filed between the two."""
    first, second = store.run(before), store.run(after)
    old, new = _units(first), _units(second)
    appeals: dict[str, list[str]] = {}
    if first.campaign == second.campaign:
        state = campaign_state(store, second.campaign, upto=second.event_id)
        for appeal in state.appeals:
            if (
                min(first.event_id, second.event_id)
                < appeal.event
                < max(first.event_id, second.event_id)
            ):
                appeals.setdefault(appeal.unit, []).append(
                    f"appeal #{appeal.event} by {appeal.who}: {appeal.why}"
                )
    criteria: list[CriterionMove] = []
    moves: list[UnitMove] = []
    for unit_id in sorted(old.keys() | new.keys()):
        a, b = old.get(unit_id), new.get(unit_id)
        if a is None or b is None:
            continue
        for cid in sorted(a["criteria"].keys() | b["criteria"].keys()):
            x, y = a["criteria"].get(cid, {}), b["criteria"].get(cid, {})
            if x.get("final") == y.get("final"):
                continue
            why = [y.get("reason") or "not applicable"]
            if y.get("appraisal_reason"):
                why.append(y["appraisal_reason"])
            why += appeals.get(unit_id, [])
            criteria.append(
                CriterionMove(unit_id, cid, x.get("final"), y.get("final"), "; ".join(why))
            )
        fields = ("total", "index", "grade", "rank")
        if any(a[f] != b[f] for f in fields):
            moves.append(
                UnitMove(
                    unit_id,
                    (a["total"], b["total"]),
                    (a["index"], b["index"]),
                    (a["grade"], b["grade"]),
                    (a["rank"], b["rank"]),
                )
            )
    return RunDiff(before, after, tuple(criteria), tuple(moves))


# -- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    run: str
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def _environment(recorded: dict[str, Any], registry: KindRegistry) -> list[str]:
    differences = []

    def label(p: dict[str, Any]) -> str:
        return f"{p['distribution']} {p['version']}" if p["distribution"] else str(p["source"])

    then = {str(p["name"]): p for p in recorded["plugins"]}
    now = {str(p["name"]): p for p in plugin_records(registry.plugins)}
    for name in sorted(then.keys() | now.keys()):
        a, b = then.get(name), now.get(name)
        if a is None:
            assert b is not None
            differences.append(f"plugin {name}: {label(b)} is installed now, not when published")
        elif b is None:
            differences.append(f"plugin {name}: {label(a)} was installed when published, not now")
        elif a != b:
            differences.append(f"plugin {name}: {label(a)} when published, {label(b)} now")
    if recorded["cchc_rules"] != tool_version():
        differences.append(
            f"cchc-rules: {recorded['cchc_rules']} when published, {tool_version()} now"
        )
    if recorded["python"] != platform.python_version():
        differences.append(
            f"Python: {recorded['python']} when published, {platform.python_version()} now"
        )
    return differences


def _json_differences(path: str, a: Any, b: Any, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            _json_differences(f"{path}.{key}" if path else str(key), a.get(key), b.get(key), out)
    elif isinstance(a, list) and isinstance(b, list) and path == "units":
        _json_differences(
            path,
            {u.get("unit_id"): u for u in a},
            {u.get("unit_id"): u for u in b},
            out,
        )
    elif a != b:
        out.append(f"{path}: {a!r} stored, {b!r} recomputed")


def _anchor(record: RunRecord, events: list[Event]) -> list[str]:
    """The chain head the run was published on, against the store's (decision 0032)."""
    recorded = record.provenance.get("chain")
    if recorded is None:
        # Published before the store had a chain: nothing was anchored.
        return []
    before = events[-2] if len(events) > 1 else None
    found = before.chain_sha256 if before is not None else ""
    if found == recorded:
        return []
    return [
        f"the events this run was published on are not the ones in the store: its "
        f"provenance records chain head {str(recorded)[:12]}, the store has "
        f"{found[:12] or 'no event'} before event #{record.event_id} (events rewritten "
        "with their hashes, or removed)"
    ]


def verify_run(store: Store, run_id: str, registry: KindRegistry) -> Verification:
    """Recompute run ``run_id`` from the store's events and compare it with what was
    frozen: the results byte for byte, every event and the results against their
    hashes, the plugins, cchc-rules and Python against the provenance."""
    forget()
    record = store.run(run_id)
    differences: list[str] = []
    if sha256_hex(record.results.encode()) != record.results_sha256:
        differences.append(
            "the stored results were edited after publishing: they no longer have the "
            f"hash recorded with them ({record.results_sha256[:12]})"
        )
    events = store.events(record.campaign, upto=record.event_id)
    differences += chain_breaks(events)
    differences += _anchor(record, events)
    published = events[-1].payload if events else {}
    if published.get("results_sha256") != record.results_sha256:
        differences.append(
            f"the run's results hash {record.results_sha256[:12]} is not the one its "
            f"publishing event recorded ({str(published.get('results_sha256'))[:12]})"
        )
    differences += _environment(record.provenance, registry)
    try:
        recomputed = canonical_json(results_document(run_scorecards(store, run_id, registry)))
    except CchcError as exc:
        differences.append(f"cannot recompute the run: {exc}")
    else:
        if recomputed != record.results:
            found: list[str] = []
            _json_differences("", json.loads(record.results), json.loads(recomputed), found)
            differences += found or ["the recomputed results differ in their bytes"]
    return Verification(run_id, tuple(differences))
