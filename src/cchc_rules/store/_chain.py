"""Checking a campaign's hash chain: which events were edited, removed or moved.

Each event stores the link :func:`chain_link` gave it when written (decision 0032). A
walk through the campaign's events in the order of their ids recomputes every link
from the one before; the first event whose link, payload hash or predecessor does not
hold is named, with the cause the evidence allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from cchc_rules.errors import Problem
from cchc_rules.store._db import Event, Store, StoreError, chain_link

__all__ = ["ChainCheck", "chain_breaks", "verify_campaign"]


@dataclass(frozen=True)
class ChainCheck:
    """A campaign's chain as found: its head (to note down outside the store) and breaks."""

    campaign: str
    events: int
    head_event: int
    head: str
    breaks: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify_campaign(store: Store, name: str, *, noted: str | None = None) -> ChainCheck:
    """Walk campaign ``name``'s hash chain from its first event to its last.

    ``noted`` is a chain head noted down earlier outside the store (at least its first
    12 hex digits): the chain must still pass through it, which is what catches the
    campaign's last events removed, or the whole chain rewritten, behind the tool's back.
    """
    if noted is not None and len(noted) < _NOTED_DIGITS:
        raise StoreError(
            [
                Problem(
                    "--head",
                    None,
                    "",
                    f"expected at least the first {_NOTED_DIGITS} hex digits of a chain head "
                    f"(got {noted!r})",
                )
            ]
        )
    events = store.events(name)
    if not events:
        known = ", ".join(store.campaigns()) or "none yet"
        raise StoreError(
            [Problem(store.display, None, "", f"no campaign {name!r} (campaigns: {known})")]
        )
    breaks = chain_breaks(events)
    if noted is not None and not any(e.chain_sha256.startswith(noted.lower()) for e in events):
        breaks.append(
            f"the chain head noted down ({noted}) is not in the chain: events it covered "
            "were removed or rewritten after it was noted"
        )
    last = events[-1]
    return ChainCheck(name, len(events), last.id, last.chain_sha256, tuple(breaks))


_NOTED_DIGITS = 12
"""Enough of a SHA-256 to note down by hand and still name one link."""


def chain_breaks(events: Sequence[Event]) -> list[str]:
    """What is wrong with the chain of ``events`` (one campaign's, oldest first)."""
    written = {event.id for event in events}
    breaks: list[str] = []
    previous_id, previous_link = 0, ""
    for event in events:
        name = f"event #{event.id} ({event.kind})"
        if not event.intact:
            breaks.append(
                f"{name} was edited after it was written: its payload no longer has its hash"
            )
        elif event.based_on != previous_id and event.based_on in written:
            breaks.append(
                f"{name} was written after event #{event.based_on} but now follows event "
                f"#{previous_id}: the events were reordered after they were written"
            )
        elif event.based_on != previous_id:
            breaks.append(
                f"{name} follows event #{event.based_on}, which is missing from the store"
            )
        elif chain_link(previous_link, _row(event)) != event.chain_sha256:
            rewritten = f", or event #{previous_id} before it was rewritten" if previous_id else ""
            breaks.append(
                f"{name} no longer matches its chain link: its kind, who, when or why was "
                f"changed after it was written{rewritten}"
            )
        previous_id, previous_link = event.id, event.chain_sha256
    return breaks


def _row(event: Event) -> dict[str, object]:
    row = asdict(event)
    row["payload"] = event.payload_text
    return row
