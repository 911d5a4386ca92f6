"""What a campaign adds to a scorecard line for the documents: self-score, appraised
score, final score and the evidence references, as a small read-only shape.

The store (a floor above) supplies it from its campaign scorecards; the report and the
scorecard documents read only this, never the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from cchc_rules.results._scorecards import Explanation, Scorecards

__all__ = ["AssessedResults", "LineAssessment", "UnitAssessments"]


@dataclass(frozen=True, slots=True)
class LineAssessment:
    """One criterion of one unit in a campaign (``None``: the criterion does not apply,
    or, for ``appraised_points``, the appraisal team left the self-score as it was)."""

    self_points: Decimal | None
    appraised_points: Decimal | None
    final_points: Decimal | None
    evidence: tuple[str, ...]
    """The unit's evidence references, each as one line of text (number · date · title ·
    file or URL)."""


UnitAssessments = Mapping[str, LineAssessment]
"""One unit's lines, by criterion id."""


class AssessedResults(Protocol):
    """A campaign's results as the documents read them."""

    @property
    def campaign(self) -> str:
        """The campaign's name."""

    @property
    def scorecards(self) -> Scorecards:
        """The scorecards of the final points."""

    @property
    def provenance(self) -> Mapping[str, Any] | None:
        """The published run's provenance record as stored (``None``: an open campaign)."""

    def explain_positions(
        self, positions: Iterable[int], *, lang: str
    ) -> Iterator[tuple[Explanation, UnitAssessments]]:
        """Each unit's explanation of its final points, with its lines' assessments."""
