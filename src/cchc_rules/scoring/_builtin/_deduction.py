"""The ``deduction`` kind: points taken off per event, never below 0."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    BatchScore,
    CriterionKind,
    FactName,
    FactType,
    FactValue,
    Reason,
    StrictParams,
    UnitScore,
    fact_int,
    number_text,
)
from cchc_rules.scoring._builtin._common import Positive, multiple_of_step

__all__ = ["Deduction", "DeductionParams"]


class DeductionParams(StrictParams):
    events: FactName = Field(
        description="Integer fact: how many times it happened (violations, reminders, incidents)."
    )
    points_per_event: Positive = Field(description="Points taken off for each counted event.")
    free_events: Annotated[int, Field(ge=0)] = Field(
        default=0, description="Events that cost nothing before deductions start."
    )


class Deduction(CriterionKind[DeductionParams]):
    """Trừ điểm theo mỗi trường hợp vi phạm, tối thiểu 0 điểm.

    Points taken off per event (violation, reminder, incident), floored at 0.

    ``points = max(max_points − points_per_event × max(events − free_events, 0), 0)``.
    Reasons: ``none`` (nothing taken off), ``deducted`` (some points left), ``floored``
    (everything taken off). ``points_per_event`` must be a multiple of the ruleset's
    point precision.

    Example::

        [[areas.criteria]]
        id = "H3"
        name.vi = "Chấp hành chế độ báo cáo"
        name.en = "Reporting discipline"
        max_points = 2
        kind = "deduction"
        params = { events = "report_reminders", points_per_event = 0.5, free_events = 1 }
    """

    name: ClassVar[str] = "deduction"
    Params: ClassVar[type[DeductionParams]] = DeductionParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Trừ điểm theo mỗi trường hợp, tối thiểu 0 điểm.",
        "en": "Points off per event, floored at 0.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "none",
            vi="Không bị trừ điểm ({events} trường hợp, được miễn {free_events})",
            en="Nothing deducted (events: {events}, free: {free_events})",
        ),
        Reason(
            "deducted",
            vi="{events} trường hợp: bị trừ {deducted_points} điểm ({counted_events} × "
            "{points_per_event} điểm)",
            en="Events: {events}; {deducted_points} points deducted ({counted_events} × "
            "{points_per_event} points)",
            hint_vi="Mỗi trường hợp giảm bớt được cộng lại {points_per_event} điểm; không quá "
            "{free_events} trường hợp thì được tối đa {max_points} điểm",
            hint_en="Each event fewer gives back {points_per_event} points; {free_events} events "
            "or fewer give the full {max_points} points",
        ),
        Reason(
            "floored",
            vi="{events} trường hợp: bị trừ hết {max_points} điểm",
            en="Events: {events}; all {max_points} points deducted",
            hint_vi="Giảm xuống không quá {events_for_points} trường hợp để có điểm",
            hint_en="Bring it down to {events_for_points} events or fewer to earn points",
        ),
    )

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        return {self.params.events: ("integer",)}

    def check(self) -> list[tuple[str, str]]:
        return multiple_of_step(
            "points_per_event", self.params.points_per_event, self.criterion.scale
        )

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        column = batch[self.params.events]
        bad: npt.NDArray[np.bool_] = ~column.missing & (np.asarray(column.values) < 0)
        if not bad.any():
            return []
        return [(bad, self.params.events, "expected a count of events ≥ 0 (got a negative one)")]

    def _per_event_units(self) -> int:
        return int(self.params.points_per_event * self.criterion.scale)

    def score_batch(self, batch: Batch) -> BatchScore:
        events = np.asarray(batch[self.params.events].values, dtype=np.int64)
        max_units = self.criterion.max_units
        per_event = self._per_event_units()
        # Beyond this many counted events the floor holds; capping first keeps the
        # product far from int64 overflow whatever the count.
        cap = max_units // per_event + 1
        free = self.params.free_events
        counted = np.clip(events, free, free + cap) - free
        points = np.maximum(max_units - counted * per_event, 0)
        reasons = np.where(
            counted == 0,
            self.reason_code("none"),
            np.where(points > 0, self.reason_code("deducted"), self.reason_code("floored")),
        )
        return BatchScore(points.astype(np.int64), reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        events = fact_int(facts[self.params.events])
        counted = max(events - self.params.free_events, 0)
        if counted == 0:
            return UnitScore(self.criterion.max_points, "none")
        points = self.criterion.max_points - self.params.points_per_event * counted
        if points > 0:
            return UnitScore(points, "deducted")
        return UnitScore(Decimal(0), "floored")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        events = fact_int(facts[self.params.events])
        counted = max(events - self.params.free_events, 0)
        per_event = self.params.points_per_event
        deducted = min(per_event * counted, self.criterion.max_points)
        # The most events that still leave points: free ones plus the deductions that
        # stay below the maximum.
        max_units, per_units = self.criterion.max_units, self._per_event_units()
        costly = max(-(-max_units // per_units) - 1, 0)
        return {
            "events": events,
            "free_events": self.params.free_events,
            "counted_events": counted,
            "points_per_event": number_text(per_event),
            "deducted_points": number_text(deducted),
            "events_for_points": self.params.free_events + costly,
        }
