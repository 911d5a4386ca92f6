"""A campaign's state, folded from its events: nothing is kept that the events do not say.

Each event kind has one function that applies its payload to the state. Imports set
values per (unit, criterion): a later import replaces what an earlier one said for the
same pair and leaves every other pair alone, so imports of different pairs give the
same state in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cchc_rules.errors import Problem
from cchc_rules.store._db import Event, StoreError

__all__ = [
    "OPENED",
    "STATES",
    "Appeal",
    "Appraisal",
    "CampaignState",
    "Evidence",
    "FactsSource",
    "InputRecord",
    "SelfScore",
    "SurveyScore",
    "fold",
]

STATES = ("collecting", "appraising", "published", "appealing", "republished")
"""collecting → appraising → published → (appealing → republished)."""

OPENED = "campaign_opened"
COLLECTION_CLOSED = "collection_closed"
SELF_ASSESSED = "self_assessment_imported"
SELF_FACTS = "self_facts_imported"
APPRAISED = "appraisal_imported"
SURVEYED = "survey_imported"
PUBLISHED = "run_published"
APPEALED = "appeal_filed"
CARRIED = "evidence_carried_over"

Key = tuple[str, str]
"""(unit id, criterion id)."""


@dataclass(frozen=True)
class Evidence:
    """A reference to a document backing a self-score (the document itself is not stored)."""

    number: str | None = None
    date: str | None = None
    title: str | None = None
    ref: str | None = None
    """A file name or URL."""

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}

    def __str__(self) -> str:
        parts = [p for p in (self.number, self.date, self.title, self.ref) if p]
        return " · ".join(parts)


@dataclass(frozen=True)
class SelfScore:
    points: Decimal
    evidence: tuple[Evidence, ...]
    event: int


@dataclass(frozen=True)
class FactsSource:
    """A facts file a unit self-assessed with: the stored blob its facts are read from."""

    name: str
    sha256: str
    facts: tuple[str, ...]
    """The fact columns the file gives; the unit's other facts stay the opening file's."""
    event: int


@dataclass(frozen=True)
class Appraisal:
    points: Decimal
    reason: str | None
    event: int
    who: str


@dataclass(frozen=True)
class SurveyScore:
    score: Decimal
    respondents: int | None
    """How many answers the score was aggregated from (None: a score was imported)."""
    event: int


@dataclass(frozen=True)
class Appeal:
    unit: str
    why: str
    who: str
    when: str
    event: int


@dataclass(frozen=True)
class InputRecord:
    """A file imported into the campaign, as its provenance names it."""

    kind: str
    name: str
    sha256: str
    event: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256, "event": self.event}


@dataclass
class CampaignState:
    """Everything the campaign's events say, as of its last event folded in."""

    name: str
    family: str
    period: int
    ruleset_ref: str
    content_hash: str
    reason: str
    """Why this ruleset version: what choosing by period said, or that it was named."""
    ruleset_sha256: str
    """The stored blob of the resolved ruleset text."""
    units_name: str
    units_sha256: str
    unit_ids: tuple[str, ...]
    opened_by: str
    opened_at: str
    state: str = "collecting"
    records: tuple[InputRecord, ...] = ()
    """The record-set files the ruleset derives facts from, as imported at the opening
    (``kind`` is the record set's name)."""
    last_event: int = 0
    self_scores: dict[Key, SelfScore] = field(default_factory=dict)
    self_facts: dict[str, FactsSource] = field(default_factory=dict)
    """Per unit, the facts file it last self-assessed with (replacing, for the facts the
    file gives, the opening units file's)."""
    appraisals: dict[Key, Appraisal] = field(default_factory=dict)
    surveys: dict[Key, SurveyScore] = field(default_factory=dict)
    carried: dict[Key, tuple[Evidence, ...]] = field(default_factory=dict)
    """Evidence carried over from an earlier campaign (by lineage), per unit and criterion;
    it backs a self-score that brings no evidence of its own."""
    appeals: list[Appeal] = field(default_factory=list)
    """Every appeal filed, oldest first."""
    open_appeals: dict[str, Appeal] = field(default_factory=dict)
    """Appeals not yet answered by a republished run, by unit."""
    inputs: list[InputRecord] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    """Published runs, oldest first; the last one is in force."""
    events: int = 0


def _opened(event: Event) -> CampaignState:
    p = event.payload
    records = tuple(
        InputRecord(r["set"], r["name"], r["sha256"], event.id) for r in p.get("records", ())
    )
    return CampaignState(
        name=event.campaign,
        family=p["family"],
        period=int(p["period"]),
        ruleset_ref=p["ruleset"]["ref"],
        content_hash=p["ruleset"]["content_hash"],
        reason=p["ruleset"]["reason"],
        ruleset_sha256=p["ruleset"]["sha256"],
        units_name=p["units"]["name"],
        units_sha256=p["units"]["sha256"],
        unit_ids=tuple(p["units"]["unit_ids"]),
        records=records,
        opened_by=event.who,
        opened_at=event.when,
        inputs=[
            InputRecord("units", p["units"]["name"], p["units"]["sha256"], event.id),
            *(InputRecord(f"records:{r.kind}", r.name, r.sha256, r.event) for r in records),
        ],
    )


def _source(state: CampaignState, event: Event, kind: str) -> None:
    source = event.payload["source"]
    state.inputs.append(InputRecord(kind, source["name"], source["sha256"], event.id))


def _self_assessed(state: CampaignState, event: Event) -> None:
    _source(state, event, "self_assessment")
    for row in event.payload["rows"]:
        evidence = tuple(Evidence(**item) for item in row["evidence"])
        state.self_scores[row["unit"], row["criterion"]] = SelfScore(
            Decimal(row["points"]), evidence, event.id
        )


def _self_facts(state: CampaignState, event: Event) -> None:
    _source(state, event, "self_facts")
    source = event.payload["source"]
    given = FactsSource(source["name"], source["sha256"], tuple(event.payload["facts"]), event.id)
    for unit in event.payload["units"]:
        state.self_facts[unit] = given


def _appraised(state: CampaignState, event: Event) -> None:
    _source(state, event, "appraisal")
    for row in event.payload["rows"]:
        state.appraisals[row["unit"], row["criterion"]] = Appraisal(
            Decimal(row["points"]), row.get("reason"), event.id, event.who
        )


def _surveyed(state: CampaignState, event: Event) -> None:
    _source(state, event, "survey")
    for row in event.payload["rows"]:
        state.surveys[row["unit"], row["criterion"]] = SurveyScore(
            Decimal(row["score"]), row.get("respondents"), event.id
        )


def _carried(state: CampaignState, event: Event) -> None:
    for row in event.payload["rows"]:
        evidence = tuple(Evidence(**item) for item in row["evidence"])
        state.carried[row["unit"], row["criterion"]] = evidence


def _collection_closed(state: CampaignState, event: Event) -> None:
    state.state = "appraising"


def _appealed(state: CampaignState, event: Event) -> None:
    appeal = Appeal(event.payload["unit"], event.why or "", event.who, event.when, event.id)
    state.appeals.append(appeal)
    state.open_appeals[appeal.unit] = appeal
    state.state = "appealing"


def _published(state: CampaignState, event: Event) -> None:
    state.runs.append(event.payload["run"])
    state.state = "published" if state.state == "appraising" else "republished"
    state.open_appeals = {}


_APPLY: dict[str, Callable[[CampaignState, Event], None]] = {
    SELF_ASSESSED: _self_assessed,
    SELF_FACTS: _self_facts,
    APPRAISED: _appraised,
    SURVEYED: _surveyed,
    CARRIED: _carried,
    COLLECTION_CLOSED: _collection_closed,
    APPEALED: _appealed,
    PUBLISHED: _published,
}


def fold(events: Sequence[Event]) -> CampaignState:
    """The state after ``events`` (one campaign's, oldest first, starting with its opening)."""
    if not events or events[0].kind != OPENED:
        campaign = events[0].campaign if events else "?"
        raise StoreError(
            [Problem(campaign, None, "", "the campaign's first event is not its opening")]
        )
    state = _opened(events[0])
    for event in events[1:]:
        apply = _APPLY.get(event.kind)
        if apply is None:
            message = f"event #{event.id} is of a kind this cchc-rules does not know ({event.kind})"
            raise StoreError([Problem(event.campaign, None, "", message)])
        apply(state, event)
    state.last_event = events[-1].id
    state.events = len(events)
    return state
