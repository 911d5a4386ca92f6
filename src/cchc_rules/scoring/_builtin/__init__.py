"""The built-in criterion kinds, registered as the ``builtin`` plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import CriterionKind
from cchc_rules.scoring._builtin._appraised import Appraised
from cchc_rules.scoring._builtin._deadline_steps import DeadlineSteps
from cchc_rules.scoring._builtin._deduction import Deduction
from cchc_rules.scoring._builtin._flag import Flag
from cchc_rules.scoring._builtin._proportional import Proportional
from cchc_rules.scoring._builtin._ratio_bands import RatioBands
from cchc_rules.scoring._builtin._survey_scaled import SurveyScaled

__all__ = [
    "BUILTIN_KINDS",
    "CCHC_PLUGIN_API",
    "Appraised",
    "DeadlineSteps",
    "Deduction",
    "Flag",
    "Proportional",
    "RatioBands",
    "SurveyScaled",
    "cchc_register_kinds",
]

# Written for plugin API 3, the version that added stacked scoring.
CCHC_PLUGIN_API = 3

BUILTIN_KINDS: tuple[type[CriterionKind[Any]], ...] = (
    Flag,
    DeadlineSteps,
    RatioBands,
    Proportional,
    Deduction,
    SurveyScaled,
    Appraised,
)


@hookimpl
def cchc_register_kinds() -> Sequence[type[CriterionKind[Any]]]:
    return BUILTIN_KINDS
