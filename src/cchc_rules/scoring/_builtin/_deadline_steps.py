"""The ``deadline_steps`` kind: full points on time, fewer the later, none past the last step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    BatchScore,
    ConditionText,
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
from cchc_rules.scoring._builtin._common import (
    NonNegative,
    multiple_of_step,
    non_increasing_points,
    steps_problems,
)

__all__ = ["DeadlineSteps", "DeadlineStepsParams", "LateStep"]

_OPEN = np.iinfo(np.int64).max


class LateStep(StrictParams):
    # NOTE: optional only so that the last step can be open; check() refuses an open
    # step anywhere else, where leaving the limit out is a mistake, not a choice.
    max_days_late: int | None = Field(
        default=None,
        ge=1,
        description="Latest day (counted after the deadline) that still earns this step's "
        "points. Required, except on the last step: left out there, the step is open and "
        "earns its points however late the work is.",
    )
    points: NonNegative = Field(description="Points for finishing late within this step.")
    when: ConditionText | None = Field(
        default=None,
        description="A condition (docs/expressions.md): the step counts only for units where "
        'it holds, e.g. "rescheduled_formally"; others fall to the next step.',
    )


class DeadlineStepsParams(StrictParams):
    days_late: FactName = Field(
        description="Integer fact: days after the deadline the work was done (≤ 0: on time)."
    )
    done: FactName | None = Field(
        default=None,
        description="Boolean fact: whether the work was done at all. When false the unit gets "
        "0 points, and its days_late may be left empty; when true, an empty days_late follows "
        "the criterion's when_missing.",
    )
    steps: list[LateStep] = Field(
        default_factory=list,
        description="Points for being late, by increasing max_days_late; later than the last "
        "step earns 0, unless the last step is open (no max_days_late). Empty: any delay "
        "earns 0.",
    )


class DeadlineSteps(CriterionKind[DeadlineStepsParams]):
    """Đúng hạn được tối đa điểm; chậm thì được điểm theo từng mức chậm; quá mức cuối 0 điểm.

    On time gets the full points; late work gets the points of the first step it falls
    in; later than every step, or not done, gets none.

    ``days_late ≤ 0`` → ``max_points`` (reason ``on_time``). Otherwise the first step with
    ``days_late ≤ max_days_late`` gives its ``points`` (``late_step``); later than the last
    step → 0 (``too_late``). The last step may leave ``max_days_late`` out: it is then
    open, and gives its ``points`` to work done however late (``late_open_step``); only
    the last step may be open. A step may carry a condition, ``when = "…"``
    (``docs/expressions.md``): it then counts only for units where the condition holds,
    and the others fall to the next step. Steps must have strictly increasing
    ``max_days_late`` and non-increasing ``points``, each below ``max_points``.

    With ``done`` given, a unit whose ``done`` is false gets 0 (``not_done``) whatever
    its ``days_late``, which may then be empty. Work done with ``days_late`` empty, like
    a missing ``done``, follows the criterion's ``when_missing``.

    Example::

        [[areas.criteria]]
        id = "A1"
        name.vi = "Ban hành kế hoạch CCHC năm đúng thời hạn"
        name.en = "Annual PAR plan issued on time"
        max_points = 1.5
        kind = "deadline_steps"
        [areas.criteria.params]
        days_late = "plan_days_late"
        done = "plan_issued"
        steps = [
            { max_days_late = 15, points = 1 },
            { max_days_late = 30, points = 0.5 },
        ]
    """

    name: ClassVar[str] = "deadline_steps"
    Params: ClassVar[type[DeadlineStepsParams]] = DeadlineStepsParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Đúng hạn đủ điểm, chậm được điểm theo mức chậm.",
        "en": "Full points on time, fewer points the later.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason("on_time", vi="Hoàn thành đúng hạn", en="Done on time"),
        Reason(
            "late_step",
            vi="Hoàn thành muộn {days_late} ngày (muộn không quá {max_days_late} ngày được "
            "{step_points}/{max_points} điểm)",
            en="Done {days_late} day(s) late (up to {max_days_late} days late earns "
            "{step_points} of {max_points} points)",
            hint_vi="Hoàn thành đúng hạn để được tối đa {max_points} điểm",
            hint_en="Finish on time to get the full {max_points} points",
        ),
        Reason(
            "too_late",
            vi="Hoàn thành muộn {days_late} ngày (muộn quá {last_max_days_late} ngày thì không "
            "được điểm)",
            en="Done {days_late} day(s) late (more than {last_max_days_late} days late earns "
            "no points)",
            hint_vi="Hoàn thành đúng hạn để được tối đa {max_points} điểm",
            hint_en="Finish on time to get the full {max_points} points",
        ),
        Reason(
            "not_done",
            vi="Chưa hoàn thành",
            en="Not done",
            hint_vi="Hoàn thành đúng hạn để được {max_points} điểm",
            hint_en="Get it done on time to get the full {max_points} points",
        ),
        Reason(
            "late_open_step",
            vi="Hoàn thành muộn {days_late} ngày (muộn bao lâu cũng được ít nhất "
            "{step_points}/{max_points} điểm)",
            en="Done {days_late} day(s) late (a delay of any length earns at least "
            "{step_points} of {max_points} points)",
            hint_vi="Hoàn thành đúng hạn để được tối đa {max_points} điểm",
            hint_en="Finish on time to get the full {max_points} points",
        ),
    )

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        types: dict[str, Sequence[FactType]] = {self.params.days_late: ("integer",)}
        if self.params.done is not None:
            types[self.params.done] = ("boolean",)
        return types

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        # NOTE: work that was not done has no delay, so an empty days_late is expected
        # there; where the work was done its delay is needed, and an empty one is a
        # missing input like any other (when_missing), not a reason to refuse the file.
        if self.params.done is None:
            return {}
        done = batch[self.params.done]
        return {self.params.days_late: ~done.missing & ~done.values.astype(np.bool_)}

    def check(self) -> list[tuple[str, str]]:
        steps = self.params.steps
        problems = [
            (
                f"steps.{index}.max_days_late",
                "expected the latest day late this step covers: only the last step may "
                "leave max_days_late out, to be open (got none)",
            )
            for index, step in enumerate(steps[:-1])
            if step.max_days_late is None
        ]
        if not problems:
            bounded = steps[:-1] if steps and steps[-1].max_days_late is None else steps
            problems += steps_problems("steps", bounded, "max_days_late", increasing=True)
        problems += non_increasing_points("steps", steps)
        for index, step in enumerate(steps):
            if step.points >= self.criterion.max_points:
                problems.append(
                    (
                        f"steps.{index}.points",
                        f"expected less than the criterion's max_points {self.criterion.max_points}"
                        f", since being late must cost points (got {step.points})",
                    )
                )
            problems += multiple_of_step(f"steps.{index}.points", step.points, self.criterion.scale)
        return problems

    def score_batch(self, batch: Batch) -> BatchScore:
        days_late = np.asarray(batch[self.params.days_late].values, dtype=np.int64)
        steps = self.params.steps
        # An open step's limit is beyond any int64 days_late.
        limits = np.array(
            [_OPEN if s.max_days_late is None else s.max_days_late for s in steps], dtype=np.int64
        )
        scale = self.criterion.scale
        step_points = np.array([int(s.points * scale) for s in steps] + [0], dtype=np.int64)
        step_codes = np.array(
            [self.reason_code(_step_reason(s)) for s in steps] + [self.reason_code("too_late")],
            dtype=np.int16,
        )
        # The first step whose limit is ≥ days_late and whose condition (if any) holds;
        # len(steps) when past every step.
        step = np.full(batch.size, len(limits), dtype=np.intp)
        for index in range(len(limits) - 1, -1, -1):
            reached = days_late <= limits[index]
            if steps[index].when is not None:
                reached &= self.condition_holds(f"steps.{index}.when", batch)
            step = np.where(reached, index, step)
        on_time = days_late <= 0
        points = np.where(on_time, self.criterion.max_units, step_points[step])
        reasons = np.where(on_time, self.reason_code("on_time"), step_codes[step])
        if self.params.done is not None:
            done = np.asarray(batch[self.params.done].values, dtype=np.bool_)
            reasons = np.where(done, reasons, self.reason_code("not_done"))
            points = np.where(done, points, 0)
        return BatchScore(points.astype(np.int64), reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        if self.params.done is not None and not facts[self.params.done]:
            return UnitScore(Decimal(0), "not_done")
        days_late = fact_int(facts[self.params.days_late])
        if days_late <= 0:
            return UnitScore(self.criterion.max_points, "on_time")
        step = self._unit_step(days_late, facts)
        if step is None:
            return UnitScore(Decimal(0), "too_late")
        return UnitScore(step.points, _step_reason(step))

    def _unit_step(self, days_late: int, facts: Mapping[str, FactValue]) -> LateStep | None:
        for index, step in enumerate(self.params.steps):
            if step.max_days_late is not None and days_late > step.max_days_late:
                continue
            if step.when is None or self.condition_holds_unit(f"steps.{index}.when", facts):
                return step
        return None

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        days_late = facts.get(self.params.days_late)
        steps = self.params.steps
        values: dict[str, Any] = {
            "days_late": days_late,
            "last_max_days_late": max(
                (s.max_days_late for s in steps if s.max_days_late is not None), default=0
            ),
        }
        step = self._unit_step(days_late, facts) if isinstance(days_late, int) else None
        if step is not None:
            values["max_days_late"] = step.max_days_late
            values["step_points"] = number_text(step.points)
        return values


def _step_reason(step: LateStep) -> str:
    return "late_step" if step.max_days_late is not None else "late_open_step"
