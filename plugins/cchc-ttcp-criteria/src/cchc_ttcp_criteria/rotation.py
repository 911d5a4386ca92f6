"""``rotation_compliance``: periodic rotation of positions (chuyển đổi vị trí công tác).

Anti-Corruption Law 2018 and Decree 59/2019/NĐ-CP: people in listed positions rotate
every 2 to 5 years (the period set per field); less than 18 months to retirement
exempts; disciplinary review, inspection or investigation, serious illness, training of
12 months or more, secondment, pregnancy or a child under 36 months defer. The period,
the exemption window and the deferral reasons are parameters, so a new decree is a new
ruleset version, not new code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import Field

from cchc_rules.providers import (
    Column,
    Evidence,
    FactProvider,
    Output,
    ProviderParams,
    RecordCheck,
    RecordSchema,
)
from cchc_ttcp_criteria._common import (
    PERSON_ID,
    POSITION_CODE,
    UNIT_ID,
    add_months,
    in_unit,
    roster_schema,
    who,
)

if TYPE_CHECKING:
    # NOTE: polars is imported inside the methods that use it: cchc-rules loads this
    # plugin on every run to register its providers, and a ruleset that reads no record
    # set should not pay for importing polars.
    import polars as pl

__all__ = ["DEFERRAL_REASONS", "RotationCompliance", "RotationParams"]

DEFERRAL_REASONS = (
    "disciplinary_review",
    "under_investigation",
    "serious_illness",
    "long_training",
    "secondment",
    "maternity",
)
"""The deferrals of Decree 59/2019/NĐ-CP, Article 37 (codes of the deferrals record set)."""

Years = Annotated[int, Field(ge=2, le=5)]


class RotationParams(ProviderParams):
    periods: Annotated[dict[str, Years], Field(min_length=1)] = Field(
        description="Rotation period in years (2–5) by position code or by field; a "
        "position's own code wins over its field."
    )
    exemption_months: int = Field(
        default=18,
        ge=0,
        le=120,
        description="Less than this many months to retirement exempts from rotation.",
    )
    deferral_reasons: Annotated[list[str], Field(min_length=1)] = Field(
        default=list(DEFERRAL_REASONS),
        description="Reasons that defer a rotation (codes used in the deferrals records).",
    )
    as_of: dt.date | None = Field(
        default=None,
        description="Day the rotation is assessed on; default: the last day of the "
        "evaluation period.",
    )


_STATUS = ("rotated", "due", "exempt", "deferred", "not_due")


class RotationCompliance(FactProvider[RotationParams]):
    """Rotation compliance, as of the end of the evaluation period.

    For each person holding a rotating position: **due** when the period is reached
    by the assessment day (``position_start`` plus the period in years is on or
    before it: a person who reaches the period on the last day of the evaluation
    period is due); **exempt** when retirement is less than ``exemption_months``
    after the assessment day (exactly 18 months is not less, so not exempt);
    **deferred** when a deferral with a listed reason is in effect on the assessment
    day (one that ended earlier in the period no longer defers). A rotation recorded
    in the period counts as a due person rotated when the position left was rotating
    and its period was reached by the assessment day. Nobody due gives ``due = 0``:
    the criterion's ``zero_denominator`` says whether that is full points or not
    applicable. Example::

        [providers.rotation]
        provider = "rotation_compliance"
        records = { roster = "roster", rotating_positions = "rotating_positions",
                    deferrals = "deferrals", rotations = "rotations", plans = "rotation_plans" }
        params = { periods = { thanh_tra = 3, to_chuc_can_bo = 4 }, exemption_months = 18 }
    """

    name: ClassVar[str] = "rotation_compliance"
    Params: ClassVar[type[RotationParams]] = RotationParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Chuyển đổi vị trí công tác định kỳ (Nghị định 59/2019/NĐ-CP)",
        "en": "Periodic rotation of positions (Decree 59/2019/NĐ-CP)",
    }
    record_sets: ClassVar[Mapping[str, RecordSchema]] = {
        "roster": roster_schema(
            position_code=POSITION_CODE,
            position_start=Column("date", "Day the person started in the position"),
            retirement_date=Column("date", "Day the person reaches retirement age", required=False),
        ),
        "rotating_positions": RecordSchema(
            columns={
                "position_code": Column("text", "A position subject to periodic rotation"),
                "field": Column("text", "Its field (lĩnh vực), for the period", required=False),
            },
            description={
                "vi": "Danh mục vị trí phải định kỳ chuyển đổi",
                "en": "Positions subject to periodic rotation",
            },
            unit_column=None,
            key=("position_code",),
        ),
        "deferrals": RecordSchema(
            columns={
                "person_id": PERSON_ID,
                "reason": Column("text", "Why the rotation is deferred (a code)"),
                "starts_on": Column("date", "First day of the deferral"),
                "ends_on": Column("date", "Last day (empty: open-ended)", required=False),
            },
            description={"vi": "Trường hợp tạm hoãn chuyển đổi", "en": "Rotation deferrals"},
            unit_column=None,
            ordered=(("starts_on", "ends_on"),),
        ),
        "rotations": RecordSchema(
            columns={
                "person_id": PERSON_ID,
                "unit_id": UNIT_ID,
                "rotated_on": Column("date", "Day of the rotation"),
                "from_position": Column("text", "Position the person left"),
                "from_start": Column("date", "Day the person had started in it"),
            },
            description={"vi": "Quyết định chuyển đổi vị trí", "en": "Rotations carried out"},
            key=("person_id", "rotated_on"),
            ordered=(("from_start", "rotated_on"),),
        ),
        "plans": RecordSchema(
            columns={
                "unit_id": UNIT_ID,
                "year": Column("integer", "Year the rotation plan is for"),
                "published_on": Column("date", "Day the plan was issued and published"),
            },
            description={"vi": "Kế hoạch chuyển đổi vị trí năm", "en": "Annual rotation plans"},
            key=("unit_id", "year"),
        ),
    }

    @property
    def as_of(self) -> dt.date:
        return self.params.as_of or self.context.period_end

    def outputs(self) -> Mapping[str, Output]:
        def count(vi: str, en: str) -> Output:
            return Output("integer", {"vi": vi, "en": en})

        return {
            "due": count(
                "Số người đến hạn chuyển đổi (trừ miễn, tạm hoãn)",
                "People due for rotation (exempt and deferred excluded)",
            ),
            "rotated": count("Số người đến hạn đã chuyển đổi", "People due who were rotated"),
            "exempt": count(
                "Số người miễn do còn dưới 18 tháng đến tuổi nghỉ hưu",
                "People exempt: less than the window to retirement",
            ),
            "deferred": count("Số người tạm hoãn chuyển đổi", "People whose rotation is deferred"),
            "plan_published": Output(
                "boolean",
                {
                    "vi": "Kế hoạch chuyển đổi năm đã ban hành, công khai",
                    "en": "The year's rotation plan is issued and published",
                },
            ),
        }

    def check(self) -> list[tuple[str, str]]:
        if self.params.as_of is not None and not (
            self.context.period_start <= self.params.as_of <= self.context.period_end
        ):
            return [("as_of", "expected a day of the evaluation period")]
        return []

    def record_checks(self) -> list[RecordCheck]:
        import polars as pl  # NOTE: lazy, see the module's polars import

        periods = list(self.params.periods)
        return [
            RecordCheck(
                "deferrals",
                "reason",
                ~pl.col("reason").is_in(self.params.deferral_reasons),
                f"expected one of the ruleset's deferral reasons "
                f"{', '.join(self.params.deferral_reasons)}",
            ),
            RecordCheck(
                "rotating_positions",
                "position_code",
                ~pl.col("position_code").is_in(periods)
                & ~pl.col("field").is_in(periods).fill_null(False),
                "expected a rotation period for this position or its field in the ruleset's "
                "params.periods",
            ),
        ]

    def _years(self, positions: pl.LazyFrame) -> pl.LazyFrame:
        """Each rotating position with its period in years (own code first, then field)."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        periods = pl.LazyFrame(
            {"key": list(self.params.periods), "years": list(self.params.periods.values())},
            schema={"key": pl.String, "years": pl.Int64},
        )
        return (
            positions.join(
                periods.rename({"years": "by_code"}),
                left_on="position_code",
                right_on="key",
                how="left",
            )
            .join(
                periods.rename({"years": "by_field"}), left_on="field", right_on="key", how="left"
            )
            .select("position_code", pl.coalesce("by_code", "by_field").alias("years"))
        )

    def _people(self, records: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """Everyone the rotation rules concern, with a status from ``_STATUS``."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        as_of, start = self.as_of, self.context.period_start
        years = self._years(records["rotating_positions"])
        reached = pl.col("since").dt.offset_by(pl.format("{}y", pl.col("years"))) <= pl.lit(as_of)
        rotations = (
            records["rotations"]
            .filter(pl.col("rotated_on").is_between(pl.lit(start), pl.lit(as_of)))
            .join(years, left_on="from_position", right_on="position_code", how="inner")
            .rename({"from_start": "since", "from_position": "position"})
            .filter(reached)
            .group_by("person_id")
            .agg(pl.col("unit_id", "position", "since", "years").first())
            .with_columns(pl.lit("rotated").alias("status"))
        )
        window = add_months(as_of, self.params.exemption_months)
        deferred = (
            records["deferrals"]
            .filter(
                pl.col("reason").is_in(self.params.deferral_reasons)
                & (pl.col("starts_on") <= pl.lit(as_of))
                & (pl.col("ends_on").is_null() | (pl.col("ends_on") >= pl.lit(as_of)))
            )
            .group_by("person_id")
            .agg(pl.col("reason").sort().first())
        )
        holders = (
            records["roster"]
            .join(
                records["rotations"]
                .filter(pl.col("rotated_on").is_between(pl.lit(start), pl.lit(as_of)))
                .select("person_id")
                .unique(),
                on="person_id",
                how="anti",
            )
            .join(years, on="position_code", how="inner")
            .rename({"position_start": "since", "position_code": "position"})
            .join(deferred, on="person_id", how="left")
            .with_columns(
                pl.when(~reached)
                .then(pl.lit("not_due"))
                .when(pl.col("retirement_date") < pl.lit(window))
                .then(pl.lit("exempt"))
                .when(pl.col("reason").is_not_null())
                .then(pl.lit("deferred"))
                .otherwise(pl.lit("due"))
                .alias("status")
            )
        )
        names = records["roster"].select("person_id", "full_name")
        return pl.concat(
            [
                holders.select(
                    "person_id", "unit_id", "position", "since", "years", "reason", "status"
                ),
                rotations.select(
                    "person_id",
                    "unit_id",
                    "position",
                    "since",
                    "years",
                    pl.lit(None, pl.String).alias("reason"),
                    "status",
                ),
            ]
        ).join(names, on="person_id", how="left")

    def derive(self, records: Mapping[str, pl.LazyFrame], units: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl  # NOTE: lazy, see the module's polars import

        status = pl.col("status")
        counts = (
            self._people(records)
            .group_by("unit_id")
            .agg(
                status.is_in(["due", "rotated"]).sum().cast(pl.Int64).alias("due"),
                (status == "rotated").sum().cast(pl.Int64).alias("rotated"),
                (status == "exempt").sum().cast(pl.Int64).alias("exempt"),
                (status == "deferred").sum().cast(pl.Int64).alias("deferred"),
            )
        )
        plans = (
            records["plans"]
            .filter(
                (pl.col("year") == self.context.period_end.year)
                & (pl.col("published_on") <= pl.lit(self.as_of))
            )
            .select("unit_id", pl.lit(True).alias("plan_published"))
            .unique("unit_id")
        )
        return (
            units.join(counts, on="unit_id", how="left")
            .join(plans, on="unit_id", how="left")
            .with_columns(
                pl.col("due", "rotated", "exempt", "deferred").fill_null(0),
                pl.col("plan_published").fill_null(False),
            )
            .select("unit_id", "due", "rotated", "exempt", "deferred", "plan_published")
        )

    def evidence(
        self, records: Mapping[str, pl.LazyFrame], unit_id: str, limit: int
    ) -> list[Evidence]:
        # Only this unit's people and plans: evidence is asked for one unit at a time.
        import polars as pl  # NOTE: lazy, see the module's polars import

        records = {
            **records,
            **{role: in_unit(records[role], unit_id) for role in ("roster", "rotations", "plans")},
        }
        people = (
            self._people(records)
            .filter(pl.col("status") == "due")
            .sort("since", "person_id")
            .head(limit)
            .collect()
        )
        found = []
        for row in people.iter_rows(named=True):
            reached = add_months(row["since"], 12 * row["years"])
            found.append(
                Evidence(
                    "rotated",
                    str(row["person_id"]),
                    f"{who(row)}: giữ vị trí {row['position']} từ {row['since']:%d/%m/%Y}, "
                    f"đến hạn chuyển đổi ({row['years']} năm) ngày {reached:%d/%m/%Y}, "
                    "chưa được chuyển đổi",
                    f"{who(row)}: in position {row['position']} since {row['since']:%Y-%m-%d}, "
                    f"due for rotation ({row['years']} years) on {reached:%Y-%m-%d}, "
                    "not rotated",
                )
            )
        plan = self.derive(records, pl.LazyFrame({"unit_id": [unit_id]})).collect()
        if not plan["plan_published"][0]:
            year = self.context.period_end.year
            found.append(
                Evidence(
                    "plan_published",
                    unit_id,
                    f"không có kế hoạch chuyển đổi vị trí năm {year} được ban hành đến "
                    f"ngày {self.as_of:%d/%m/%Y}",
                    f"no rotation plan for {year} published by {self.as_of:%Y-%m-%d}",
                )
            )
        return found
