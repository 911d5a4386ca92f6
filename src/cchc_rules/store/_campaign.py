"""Campaign operations: open, import, close collection, appeal — each one event.

A campaign's life: ``collecting`` (self-assessments and surveys come in) → ``appraising``
(appraisals and late surveys) → ``published`` (a run is frozen) → ``appealing`` (units
appeal; appealed units are re-appraised) → ``republished`` (a new run supersedes the
last) → ``appealing`` again, and so on. An operation out of that order is refused and
says what the campaign is waiting for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cchc_rules._diagnostics import did_you_mean
from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._fact_checks import check_facts
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._toml import ruleset_toml
from cchc_rules.scoring._engine import with_computed_facts
from cchc_rules.store._db import Event, Store, StoreError, canonical_json, sha256_hex
from cchc_rules.store._files import read_import
from cchc_rules.store._imports import (
    Change,
    Prepared,
    prepare_appraisal,
    prepare_self_assessment,
    prepare_survey,
)
from cchc_rules.store._scoring import bind, score_campaign, units_from_bytes
from cchc_rules.store._self_facts import prepare_self_facts
from cchc_rules.store._state import (
    APPEALED,
    CARRIED,
    COLLECTION_CLOSED,
    OPENED,
    STATES,
    CampaignState,
    fold,
)

__all__ = [
    "ImportResult",
    "appeal",
    "campaign_state",
    "carry_over",
    "close_collection",
    "import_file",
    "open_campaign",
    "require_state",
]

IMPORTS = ("self_assessment", "self_facts", "appraisal", "survey")

_ALLOWED = {
    "self_assessment": ("collecting",),
    "self_facts": ("collecting",),
    "survey": ("collecting", "appraising"),
    "appraisal": ("appraising", "appealing"),
    "close_collection": ("collecting",),
    "publish": ("appraising", "appealing"),
    "appeal": ("published", "republished", "appealing"),
    "carry_over": ("collecting",),
}
_ACTIONS = {
    "self_assessment": "import self-assessments",
    "self_facts": "import self-assessed facts",
    "survey": "import survey results",
    "appraisal": "import appraisals",
    "close_collection": "close the collection",
    "publish": "publish",
    "appeal": "appeal",
    "carry_over": "carry evidence over",
}
_WAITING = {
    "collecting": "it is collecting self-assessments and surveys; close the collection "
    "first: cchc campaign close CAMPAIGN --who NAME",
    "appraising": "it is being appraised; publish it first: cchc campaign publish CAMPAIGN "
    "--who NAME",
    "published": "its run is published; a unit may appeal: cchc campaign appeal CAMPAIGN "
    "UNIT --why TEXT --who NAME",
    "appealing": "units have appealed; re-appraise them, then publish again",
    "republished": "its run is republished; a unit may appeal again",
}


def require_state(state: CampaignState, action: str) -> None:
    """Refuse ``action`` unless the campaign is in a state that allows it."""
    allowed = _ALLOWED[action]
    if state.state in allowed:
        return
    raise StoreError(
        [
            Problem(
                state.name,
                None,
                "",
                f"cannot {_ACTIONS[action]} while the campaign is {state.state} "
                f"(allowed while {' or '.join(allowed)}): {_WAITING[state.state]} "
                f"[{' → '.join(STATES)}]",
            )
        ]
    )


def campaign_state(store: Store, name: str, *, upto: int | None = None) -> CampaignState:
    """The campaign's state folded from its events (up to event ``upto``)."""
    events = store.events(name, upto=upto)
    if not events:
        known = store.campaigns()
        raise StoreError(
            [
                Problem(
                    store.display,
                    None,
                    "",
                    f"no campaign {name!r}{did_you_mean(name, known)} "
                    f"(campaigns: {', '.join(known) or 'none yet'})",
                )
            ]
        )
    return fold(events)


def _based_on(state: CampaignState, based_on: int | None) -> int:
    """The event the change is based on: as the caller says, else the state's last."""
    return state.last_event if based_on is None else based_on


def open_campaign(
    store: Store,
    name: str,
    ruleset: CompiledRuleset,
    *,
    period: int,
    reason: str,
    units: Path,
    units_name: str,
    who: str,
    why: str | None = None,
    records: Mapping[str, tuple[Path, str]] | None = None,
) -> CampaignState:
    """Open a campaign: the ruleset version (its resolved text kept in the store), why
    that version, the units file as imported and, for a ruleset deriving facts from
    record sets, each record set's file as imported (``records``: record set → its path
    and its name in messages); state ``collecting``."""
    record_files = {
        record_set: (shown, _read_bytes(path, shown))
        for record_set, (path, shown) in sorted((records or {}).items())
    }
    content = units.read_bytes()
    table = units_from_bytes(content, units_name, ruleset, record_files)
    # An error check refuses the file before the campaign is opened on it; warnings are
    # shown each time the campaign is scored.
    check_facts(ruleset, table, with_computed_facts(ruleset, table.batch(), table))
    text = ruleset_toml(ruleset.model.model_dump(mode="python", exclude_none=True)).encode()
    payload = {
        "family": ruleset.model.ruleset.family,
        "period": period,
        "ruleset": {
            "ref": ruleset.ref,
            "content_hash": ruleset.content_hash,
            "reason": reason,
            "sha256": sha256_hex(text),
        },
        "units": {
            "name": units_name,
            "sha256": sha256_hex(content),
            "unit_ids": [table.unit_id(i) for i in range(len(table))],
        },
    }
    if record_files:
        payload["records"] = [
            {"set": record_set, "name": file, "sha256": sha256_hex(data)}
            for record_set, (file, data) in record_files.items()
        ]
    inputs = {sha256_hex(text): text, sha256_hex(content): content}
    inputs.update({sha256_hex(data): data for _, data in record_files.values()})
    store.append(name, OPENED, payload, who=who, why=why, based_on=0, inputs=inputs)
    return campaign_state(store, name)


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or would do (``dry_run``), or that it had nothing to do."""

    campaign: str
    kind: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    event: Event | None
    """The event written; None for a dry run or when nothing changed."""
    dry_run: bool
    same_as: int | None
    """An earlier event of the campaign with the same payload, if any."""


def import_file(
    store: Store,
    name: str,
    what: str,
    path: Path,
    *,
    who: str,
    registry: KindRegistry,
    why: str | None = None,
    dry_run: bool = False,
    based_on: int | None = None,
    shown_as: str | None = None,
) -> ImportResult:
    """Import a self-assessment, self-assessed facts (a units file), appraisal or survey
    file (``what``) into a campaign.

    Checked whole first: any problem raises a located :class:`InputError` and nothing
    changes. An import that changes nothing writes no event (re-importing a file is
    idempotent); ``dry_run`` only says what would change.
    """
    if what not in IMPORTS:
        raise ValueError(f"what must be one of {IMPORTS} (got {what!r})")
    state = campaign_state(store, name)
    require_state(state, what)
    bound = bind(store, state, registry)
    prepared: Prepared
    if what == "self_facts":
        shown = shown_as or str(path)
        content = _read_bytes(path, shown)
        prepared = prepare_self_facts(content, shown, bound)
    else:
        file = read_import(path, shown_as)
        content = file.content
        if what == "self_assessment":
            prepared = prepare_self_assessment(file, bound)
        elif what == "survey":
            prepared = prepare_survey(file, bound)
        else:
            prepared = prepare_appraisal(file, bound, score_campaign(bound))
    digest = sha256_hex(canonical_json(prepared.payload).encode())
    same_as = next((e.id for e in store.events(name) if e.payload_sha256 == digest), None)
    event = None
    if prepared.changes and not dry_run:
        event = store.append(
            name,
            prepared.kind,
            prepared.payload,
            who=who,
            why=why,
            based_on=_based_on(state, based_on),
            inputs={sha256_hex(content): content},
        )
    return ImportResult(name, what, prepared.changes, prepared.warnings, event, dry_run, same_as)


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(shown, None, "", f"cannot read: {exc.strerror or exc}")]) from exc


def close_collection(
    store: Store, name: str, *, who: str, why: str | None = None, based_on: int | None = None
) -> CampaignState:
    """collecting → appraising: self-assessments are closed, appraisal begins."""
    state = campaign_state(store, name)
    require_state(state, "close_collection")
    store.append(
        name,
        COLLECTION_CLOSED,
        {"campaign": name},
        who=who,
        why=why,
        based_on=_based_on(state, based_on),
    )
    return campaign_state(store, name)


def appeal(
    store: Store,
    name: str,
    unit: str,
    *,
    who: str,
    why: str,
    based_on: int | None = None,
) -> CampaignState:
    """A unit's request for re-appraisal (phúc khảo); the campaign is then appealing."""
    state = campaign_state(store, name)
    require_state(state, "appeal")
    _known_unit(state, unit)
    if not why.strip():
        raise StoreError([Problem("--why", None, "", "expected the appeal's grounds (got none)")])
    store.append(
        name,
        APPEALED,
        {"campaign": name, "unit": unit},
        who=who,
        why=why,
        based_on=_based_on(state, based_on),
    )
    return campaign_state(store, name)


def _known_unit(state: CampaignState, unit: str) -> None:
    known = state.unit_ids
    if unit not in known:
        raise StoreError(
            [
                Problem(
                    state.name,
                    None,
                    "UNIT",
                    f"no unit {unit!r} in campaign {state.name!r}{did_you_mean(unit, known)}",
                )
            ]
        )


def _successors(ruleset: CompiledRuleset, criterion: str) -> list[str]:
    """The scored criteria of ``ruleset`` that ``criterion`` (of an earlier version) became,
    following its lineage (renamed, split, merged, replaced) version by version."""
    current = [criterion]
    for entry in ruleset.model.lineage or ():
        current = [n for c in current for n in (entry.new if c in entry.old else [c])]
    leaves = {leaf.criterion.id for leaf in ruleset.leaves}
    return [c for c in dict.fromkeys(current) if c in leaves]


@dataclass(frozen=True)
class CarryOver:
    """Evidence carried from an earlier campaign, and what could not be."""

    changes: tuple[Change, ...]
    dropped: tuple[str, ...]
    event: Event | None


def carry_over(
    store: Store,
    name: str,
    source: str,
    *,
    who: str,
    registry: KindRegistry,
    why: str | None = None,
    dry_run: bool = False,
) -> CarryOver:
    """Carry the evidence references of campaign ``source`` (an earlier year) into
    campaign ``name``: per unit, each criterion's evidence goes to the criteria it became
    by lineage (a renamed id to its new id, a split one to each part). Points are not
    carried: each year is self-assessed anew."""
    state = campaign_state(store, name)
    require_state(state, "carry_over")
    earlier = campaign_state(store, source)
    bound = bind(store, state, registry)
    types = dict(zip(bound.units.unit_ids.to_pylist(), bound.units.unit_types, strict=True))
    rows: list[dict[str, Any]] = []
    changes: list[Change] = []
    dropped: list[str] = []
    for (unit, criterion), score in sorted(earlier.self_scores.items()):
        if not score.evidence or unit not in types:
            continue
        targets = [
            c
            for c in _successors(bound.ruleset, criterion)
            if types[unit] in (bound.ruleset.leaf(c).applies_to or {types[unit]})
        ]
        if not targets:
            dropped.append(f"{unit} {criterion}: no criterion of {state.ruleset_ref} takes it")
        evidence = [e.to_json() for e in score.evidence]
        for target in targets:
            rows.append(
                {"unit": unit, "criterion": target, "from": criterion, "evidence": evidence}
            )
            held = state.carried.get((unit, target), ())
            if [e.to_json() for e in held] != evidence:
                changes.append(
                    Change(
                        unit,
                        target,
                        f"{len(held)} carried item(s)",
                        f"{len(evidence)} item(s) from {source} {criterion}",
                    )
                )
    event = None
    if changes and not dry_run:
        payload = {"campaign": name, "from": source, "rows": rows}
        event = store.append(name, CARRIED, payload, who=who, why=why, based_on=state.last_event)
    return CarryOver(tuple(changes), tuple(dropped), event)
