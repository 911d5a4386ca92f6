"""Every call into a kind's code, and the engine's checks of what comes back.

A kind may come from any plugin: when it fails, or returns what the engine cannot
accept, the error names the plugin, the criterion and the kind, never a bare traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import numpy as np

from cchc_rules.errors import CchcError, EngineError, Problem
from cchc_rules.kinds import BatchScore
from cchc_rules.ruleset._compiled import Leaf

__all__ = [
    "call_kind",
    "check_array",
    "check_score",
    "kind_failed",
    "out_of_range",
    "undeclared_reason",
]

T = TypeVar("T")


def kind_failed(leaf: Leaf, message: str, *, criteria: str = "") -> EngineError:
    """A kind failed or returned what the engine cannot accept: a plugin bug, named by
    the plugin (distribution and version, or file), the criterion and the kind.

    ``criteria`` names several criteria at once (a stack that failed as a whole)."""
    kind = type(leaf.kind)
    plugin = leaf.plugin or kind.__module__
    where = criteria or f"criterion {leaf.criterion.id}"
    return EngineError([Problem(plugin, None, where, f"kind {kind.name!r} {message}")])


def call_kind(
    leaf: Leaf,
    method: str,
    call: Callable[[], T],
    units: str | Callable[[], str] = "",
    *,
    criteria: str = "",
) -> T:
    """``call()`` (the kind's ``method``), its failure an :class:`EngineError` naming the
    plugin, the criterion and the kind. Every call into a kind's code goes through here,
    the engine's and the explanations' alike.

    ``units`` says which units it was called for, for the message (or a function that
    says it: only a failure needs the words); ``criteria`` names the criteria of a
    stack called as a whole.
    """
    try:
        return call()
    except CchcError:
        raise  # a kind may refuse input itself, in the user's words
    except Exception as exc:
        # NOTE: any exception: a plugin's code may fail in any way, and its author
        # needs the plugin, the criterion and the units to reproduce it; a traceback
        # shows none of them. The original stays chained as the cause.
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        named = units if isinstance(units, str) else units()
        raise kind_failed(leaf, f"failed in {method}{named}: {detail}", criteria=criteria) from exc


def check_array(
    leaf: Leaf, what: str, array: object, shape: tuple[int, ...], kinds: str, expected: str
) -> None:
    """A returned array is a numpy array of ``shape`` and of a dtype kind in ``kinds``."""
    if not isinstance(array, np.ndarray):
        raise kind_failed(leaf, f"returned {what} as {type(array).__name__} (expected {expected})")
    if array.dtype.kind == "f" and "f" not in kinds:
        scale = leaf.kind.criterion.scale
        if what == "points" and not np.isfinite(array).all():
            raise kind_failed(leaf, "returned non-finite points (NaN or infinity)")
        raise kind_failed(
            leaf,
            f"returned float {what}; {what} must be exact integers"
            + (f" of 1/{scale}" if what == "points" else ""),
        )
    if array.dtype.kind not in kinds:
        raise kind_failed(leaf, f"returned {what} of dtype {array.dtype} (expected {expected})")
    if array.shape != shape:
        wanted = (
            f"{shape[0]} entries, one per unit"
            if len(shape) == 1
            else f"{shape}, a row per criterion and a column per unit"
        )
        raise kind_failed(leaf, f"returned {what} of shape {array.shape} (expected {wanted})")


def out_of_range(leaf: Leaf, points: int) -> EngineError:
    """The kind gave ``points`` (units of ``1/scale``) outside its criterion's range."""
    return kind_failed(
        leaf,
        f"returned {Decimal(points) / leaf.kind.criterion.scale} points, "
        f"outside 0 … {leaf.criterion.max_points}",
    )


def undeclared_reason(leaf: Leaf) -> EngineError:
    """The kind gave a reason code outside its ``reasons``."""
    return kind_failed(leaf, "returned a reason code it does not declare")


def check_score(leaf: Leaf, score: object, size: int) -> BatchScore:
    """What ``score_batch`` returned for ``size`` units, checked: arrays of the right
    dtype and length, points within ``0 … max_points``, declared reasons."""
    if not isinstance(score, BatchScore):
        raise kind_failed(leaf, f"returned {type(score).__name__} (expected a BatchScore)")
    check_array(leaf, "points", score.points, (size,), "iu", "an int64 array")
    check_array(leaf, "reasons", score.reasons, (size,), "iu", "an int16 array")
    if score.applicable is not None:
        check_array(leaf, "applicable", score.applicable, (size,), "b", "a bool array")
    maximum = leaf.kind.criterion.max_units
    # Two reductions, no temporaries: this runs for every criterion of every batch.
    if score.points.min() < 0 or score.points.max() > maximum:
        out = (score.points < 0) | (score.points > maximum)
        raise out_of_range(leaf, int(score.points[np.flatnonzero(out)[0]]))
    if score.reasons.min() < 0 or score.reasons.max() >= len(type(leaf.kind).reasons):
        raise undeclared_reason(leaf)
    return score
