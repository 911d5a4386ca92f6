"""``placement``: staff placed per the approved job-position scheme (Đề án vị trí việc làm).

Decrees 62/2020/NĐ-CP (civil servants) and 106/2020/NĐ-CP (public-service units): each
unit has approved positions, each with a headcount and the ranks (ngạch) it admits;
each person should hold an approved position of their own unit, within its headcount,
at an admitted rank; the unit's headcount should stay within its staffing quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from cchc_rules.providers import (
    Column,
    Evidence,
    FactProvider,
    Output,
    ProviderParams,
    RecordSchema,
)
from cchc_ttcp_criteria._common import POSITION_CODE, UNIT_ID, in_unit, roster_schema, who

if TYPE_CHECKING:
    # NOTE: polars is imported inside the methods that use it: cchc-rules loads this
    # plugin on every run to register its providers, and a ruleset that reads no record
    # set should not pay for importing polars.
    import polars as pl

__all__ = ["Placement", "PlacementParams"]


class PlacementParams(ProviderParams):
    rank_separator: str = Field(
        default=";",
        min_length=1,
        description="Separates the rank codes in the scheme's 'ranks' column.",
    )


# Why a person is not counted as placed, in the order they are tested.
_STATUS_TEXT = {
    "no_position": ("chưa được bố trí vị trí việc làm", "no job position assigned"),
    "unknown_position": (
        "vị trí {position_code} không có trong đề án của đơn vị",
        "position {position_code} is not in the unit's approved scheme",
    ),
    "rank_not_admitted": (
        "ngạch {rank} không phù hợp vị trí {position_code}",
        "rank {rank} is not admitted for position {position_code}",
    ),
    "over_headcount": (
        "vượt số lượng người làm việc của vị trí {position_code}",
        "beyond the approved headcount of position {position_code}",
    ),
}


class Placement(FactProvider[PlacementParams]):
    """Placement per the job-position scheme: who holds an approved position of their own
    unit, within its headcount, at an admitted rank.

    A person counts as **placed** when their position is in their unit's scheme, their
    rank is among the ranks the position admits, and they are within its headcount.
    When more people hold a position than its headcount, the seats go to those in the
    position longest (earliest ``position_start``, then person id); the others are
    *over headcount*. Example::

        [providers.placement]
        provider = "placement"
        records = { roster = "roster", scheme = "job_positions", quotas = "quotas" }

        [facts.staff_in_approved_positions]
        type = "integer"
        derived = { provider = "placement", output = "placed" }
        description = { vi = "…", en = "…" }
    """

    name: ClassVar[str] = "placement"
    Params: ClassVar[type[PlacementParams]] = PlacementParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Bố trí công chức, viên chức theo đề án vị trí việc làm",
        "en": "Staff placed per the approved job-position scheme",
    }
    record_sets: ClassVar[Mapping[str, RecordSchema]] = {
        "roster": roster_schema(
            position_code=POSITION_CODE,
            rank=Column("text", "Civil-service rank code (mã ngạch) the person holds"),
            position_start=Column("date", "Day the person started in the position", required=False),
        ),
        "scheme": RecordSchema(
            columns={
                "unit_id": UNIT_ID,
                "position_code": Column("text", "Approved job-position code"),
                "headcount": Column("integer", "Approved headcount of the position"),
                "ranks": Column("text", "Rank codes the position admits, separated by ';'"),
            },
            description={
                "vi": "Đề án vị trí việc làm được phê duyệt",
                "en": "Approved job-position scheme",
            },
            key=("unit_id", "position_code"),
        ),
        "quotas": RecordSchema(
            columns={
                "unit_id": UNIT_ID,
                "staff_quota": Column("integer", "Staffing quota (biên chế) assigned"),
            },
            description={"vi": "Biên chế được giao", "en": "Assigned staffing quotas"},
            key=("unit_id",),
        ),
    }

    def outputs(self) -> Mapping[str, Output]:
        return {
            "staff": Output(
                "integer", {"vi": "Số người trong danh sách", "en": "People on the roster"}
            ),
            "placed": Output(
                "integer",
                {
                    "vi": "Số người được bố trí đúng vị trí, trong số lượng, đúng ngạch",
                    "en": "People in an approved position, within headcount, at an admitted rank",
                },
            ),
            "positions_over_headcount": Output(
                "integer",
                {
                    "vi": "Số vị trí có số người vượt số lượng được duyệt",
                    "en": "Positions held by more people than their approved headcount",
                },
            ),
            "over_quota": Output(
                "boolean",
                {
                    "vi": "Số người vượt biên chế được giao",
                    "en": "Headcount above the staffing quota",
                },
            ),
        }

    def _people(self, records: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """Every person with a status: ``placed`` or why not (``_STATUS_TEXT``)."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        scheme = records["scheme"].with_columns(
            pl.col("ranks")
            .str.split(self.params.rank_separator)
            .list.eval(pl.element().str.strip_chars())
            .alias("admitted"),
            pl.lit(True).alias("in_scheme"),
        )
        people = records["roster"].join(
            scheme.select("unit_id", "position_code", "headcount", "admitted", "in_scheme"),
            on=["unit_id", "position_code"],
            how="left",
        )
        admitted = pl.col("admitted").list.contains(pl.col("rank"))
        candidate = pl.col("position_code").is_not_null() & pl.col("in_scheme").fill_null(False)
        people = people.with_columns(
            pl.when(pl.col("position_code").is_null())
            .then(pl.lit("no_position"))
            .when(~candidate)
            .then(pl.lit("unknown_position"))
            .when(~admitted.fill_null(False))
            .then(pl.lit("rank_not_admitted"))
            .otherwise(pl.lit("seat"))
            .alias("status")
        )
        # NOTE: seats go to the longest in post, then by person id, so the result does
        # not depend on the order of the roster's rows.
        seat = (
            pl.int_range(pl.len())
            .over(
                ["unit_id", "position_code", "status"],
                order_by=[
                    pl.col("position_start").fill_null(pl.date(9999, 12, 31)),
                    pl.col("person_id"),
                ],
            )
            .alias("seat")
        )
        return people.with_columns(seat).with_columns(
            pl.when(pl.col("status") != "seat")
            .then(pl.col("status"))
            .when(pl.col("seat") < pl.col("headcount"))
            .then(pl.lit("placed"))
            .otherwise(pl.lit("over_headcount"))
            .alias("status")
        )

    def derive(self, records: Mapping[str, pl.LazyFrame], units: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl  # NOTE: lazy, see the module's polars import

        people = self._people(records)
        per_unit = people.group_by("unit_id").agg(
            pl.len().cast(pl.Int64).alias("staff"),
            (pl.col("status") == "placed").sum().cast(pl.Int64).alias("placed"),
        )
        over = (
            records["roster"]
            .filter(pl.col("position_code").is_not_null())
            .group_by("unit_id", "position_code")
            .agg(pl.len().alias("holders"))
            .join(records["scheme"], on=["unit_id", "position_code"], how="inner")
            .filter(pl.col("holders") > pl.col("headcount"))
            .group_by("unit_id")
            .agg(pl.len().cast(pl.Int64).alias("positions_over_headcount"))
        )
        return (
            units.join(per_unit, on="unit_id", how="left")
            .join(over, on="unit_id", how="left")
            .join(records["quotas"], on="unit_id", how="left")
            .with_columns(
                pl.col("staff", "placed", "positions_over_headcount").fill_null(0),
            )
            .with_columns(
                # A unit without a quota has no answer: the fact is missing, and the
                # criterion's when_missing decides.
                (pl.col("staff") > pl.col("staff_quota")).alias("over_quota")
            )
            .select("unit_id", "staff", "placed", "positions_over_headcount", "over_quota")
        )

    def evidence(
        self, records: Mapping[str, pl.LazyFrame], unit_id: str, limit: int
    ) -> list[Evidence]:
        import polars as pl  # NOTE: lazy, see the module's polars import

        unit_records = {role: in_unit(frame, unit_id) for role, frame in records.items()}
        people = (
            self._people(unit_records)
            .filter(pl.col("status") != "placed")
            .sort("person_id")
            .head(limit)
            .collect()
        )
        found = []
        for row in people.iter_rows(named=True):
            vi, en = _STATUS_TEXT[row["status"]]
            found.append(
                Evidence(
                    "placed",
                    str(row["person_id"]),
                    f"{who(row)}: {vi.format(**row)}",
                    f"{who(row)}: {en.format(**row)}",
                )
            )
        derived = self.derive(unit_records, pl.LazyFrame({"unit_id": [unit_id]})).collect()
        over = (
            unit_records["roster"]
            .group_by("position_code")
            .agg(pl.len().alias("holders"))
            .join(unit_records["scheme"], on="position_code", how="inner")
            .filter(pl.col("holders") > pl.col("headcount"))
            .sort("position_code")
            .head(limit)
            .collect()
        )
        for row in over.iter_rows(named=True):
            code, holders, headcount = row["position_code"], row["holders"], row["headcount"]
            found.append(
                Evidence(
                    "positions_over_headcount",
                    str(code),
                    f"vị trí {code}: {holders} người, được duyệt {headcount}",
                    f"position {code}: {holders} people, {headcount} approved",
                )
            )
        if derived["over_quota"][0]:
            staff = derived["staff"][0]
            quota = unit_records["quotas"].collect()["staff_quota"][0]
            found.append(
                Evidence(
                    "over_quota",
                    unit_id,
                    f"{staff} người, biên chế được giao {quota}",
                    f"{staff} people for a staffing quota of {quota}",
                )
            )
        return found
