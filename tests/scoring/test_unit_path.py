"""A kind that writes only ``score_unit`` is adapted by the engine to whole batches.

The adapted simple path must give exactly what a batch path gives: the same points,
reasons, applicability, totals and ranks, whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

import cchc_rules
from cchc_rules._plugins import PluginInfo, load_plugins
from cchc_rules.errors import EngineError
from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import (
    Batch,
    CriterionKind,
    FactName,
    FactValue,
    KindParams,
    Reason,
    UnitScore,
)
from cchc_rules.ruleset._loading import compile_ruleset

TEXT = {"vi": "x", "en": "x"}


class ShareParams(KindParams):
    done: FactName
    due: FactName


class SimpleShare(CriterionKind[ShareParams]):
    """Points proportional to done ÷ due, written the simple way (one unit at a time)."""

    name: ClassVar[str] = "simple_share"
    Params: ClassVar[type[ShareParams]] = ShareParams
    reasons: ClassVar[Sequence[Reason]] = (
        Reason("share", vi="Đạt {done}/{due}", en="{done} of {due} done"),
        Reason("nothing_due", vi="Không phát sinh", en="Nothing was due"),
    )

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        # Nothing due decides the unit, done or not (decision 0023).
        due = batch[self.params.due]
        return {self.params.done: ~due.missing & (due.values == 0)}

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        due = facts[self.params.due]
        assert isinstance(due, int)
        if due == 0:
            return UnitScore(Decimal(0), "nothing_due", applicable=False)
        done = facts[self.params.done]
        assert isinstance(done, int)
        # A Fraction, as docs/plugin_hooks.md asks: Decimal(5) / 24 is inexact, and
        # 3 × it rounds to 0.62 where the exact 0.625 rounds to 0.63.
        share = Fraction(min(done, due), due)
        points = share * Fraction(self.criterion.max_points)
        return UnitScore(self.round_points(points), "share")


class CarelessShare(SimpleShare):
    """Answers decided_without for one unit whatever the batch."""

    name: ClassVar[str] = "careless_share"

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        return {self.params.done: np.ones(1, dtype=np.bool_)}


class Plugin:
    CCHC_PLUGIN_API = 1

    @hookimpl
    def cchc_register_kinds(self) -> list[type[CriterionKind[Any]]]:
        return [SimpleShare, CarelessShare]


REGISTRY = load_plugins(extra=[(PluginInfo("simple", None, None, "tests"), Plugin())])


def ruleset(kind: str, params: dict[str, Any]) -> cchc_rules.CompiledRuleset:
    data = {
        "ruleset": {
            "family": "unit_path",
            "version": "1",
            "title": TEXT,
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": __import__("datetime").date(2020, 1, 1)},
            "periods": [2020],
            "total_points": Decimal(3),
        },
        "unit_types": {"a": {"name": TEXT, "peer_group": "g"}},
        "facts": {
            "done": {"type": "integer", "description": TEXT, "min": Decimal(0), "required": False},
            "due": {"type": "integer", "description": TEXT, "min": Decimal(0)},
        },
        "grading": {"bands": [{"grade": "all", "name": TEXT, "min_index": Decimal(0)}]},
        "ranking": {"peer_groups": {"g": {"name": TEXT}}},
        "areas": [
            {
                "id": "A",
                "name": TEXT,
                "max_points": Decimal(3),
                "criteria": [
                    {
                        "id": "A1",
                        "name": TEXT,
                        "max_points": Decimal(3),
                        "kind": kind,
                        "params": params,
                    }
                ],
            }
        ],
    }
    return compile_ruleset(data, tomli_w.dumps(data), file="t.toml", registry=REGISTRY)


SIMPLE = ruleset("simple_share", {"done": "done", "due": "due"})
# The built-in batch kind with the same meaning: proportional, capped at 100 %,
# "nothing due" not applicable.
BATCH = ruleset(
    "proportional",
    {"numerator": "done", "denominator": "due", "zero_denominator": "not_applicable"},
)


def test_the_simple_kind_is_adapted_not_given_a_batch_path() -> None:
    assert not SimpleShare.has_batch_path()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.integers(0, 50), st.integers(0, 3) | st.integers(0, 40)),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 9),
)
def test_adapted_unit_path_agrees_with_a_batch_path(
    pairs: list[tuple[int | None, int]], batch_size: int
) -> None:
    # done never exceeds due here, so "capped at 100 %" cannot differ between the two;
    # an empty done is decided by "nothing due" first, else by when_missing.
    rows = [(None if done is None else min(done, due), due) for done, due in pairs]
    table = _table(rows)
    simple = cchc_rules.evaluate(SIMPLE, table, batch_size=batch_size)
    batch = cchc_rules.evaluate(BATCH, table)
    assert (simple.matrix.points == batch.matrix.points).all()
    assert (simple.matrix.applicable == batch.matrix.applicable).all()
    assert (simple.aggregates.total == batch.aggregates.total).all()
    assert (simple.aggregates.rank == batch.aggregates.rank).all()


def _table(rows: list[tuple[int | None, int]]) -> pa.Table:
    return pa.table(
        {
            "unit_id": [f"U{i}" for i in range(len(rows))],
            "name": [f"U{i}" for i in range(len(rows))],
            "unit_type": ["a"] * len(rows),
            "done": pa.array([done for done, _ in rows], pa.int64()),
            "due": [due for _, due in rows],
        }
    )


def test_a_decided_without_mask_of_the_wrong_length_is_an_engine_error() -> None:
    careless = ruleset("careless_share", {"done": "done", "due": "due"})
    with pytest.raises(EngineError, match="decided_without returned a mask of the wrong length"):
        cchc_rules.evaluate(careless, _table([(None, 0), (None, 4)]))


def test_round_points_rounds_an_exact_fraction_half_up_away_from_zero() -> None:
    kind = SIMPLE.leaves[0].kind
    assert kind.round_points(Fraction(5, 24) * 3) == Decimal("0.63")
    assert kind.round_points(Fraction(-5, 8)) == Decimal("-0.63")
    assert kind.round_points(Fraction(1, 3)) == Decimal("0.33")
    assert kind.round_points(Decimal("0.625")) == Decimal("0.63")
