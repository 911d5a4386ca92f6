"""``digital_signatures``: electronic documents and digital signatures in use.

749/QĐ-TTg (2020) sets the national target (90 % of work files handled online by
2025); the Inspectorate asks more: digital signatures and the electronic document
system used by 100 % of unit heads and staff. Targets belong to the criterion (bands
or proportional scoring); this provider counts.
"""

from __future__ import annotations

import datetime as dt
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
from cchc_ttcp_criteria._common import PERSON_ID, UNIT_ID, in_unit, roster_schema, who

if TYPE_CHECKING:
    # NOTE: polars is imported inside the methods that use it: cchc-rules loads this
    # plugin on every run to register its providers, and a ruleset that reads no record
    # set should not pay for importing polars.
    import polars as pl

__all__ = ["DigitalSignatures", "DigitalSignaturesParams"]


class DigitalSignaturesParams(ProviderParams):
    as_of: dt.date | None = Field(
        default=None,
        description="Last day counted; default: the last day of the evaluation period.",
    )


class DigitalSignatures(FactProvider[DigitalSignaturesParams]):
    """Digital signatures: outgoing documents signed electronically, people using them.

    Counts, over the evaluation period (1 January to ``as_of``, both included): the
    unit's **outgoing non-classified documents** and those issued electronically *and*
    digitally signed; its **staff** (and **heads**) and those who both held a
    certificate valid on some day of the period and signed at least one electronic
    document in it. Example::

        [providers.signatures]
        provider = "digital_signatures"
        records = { documents = "documents", roster = "roster", certificates = "certificates" }

        [facts.docs_outgoing]
        type = "integer"
        derived = { provider = "signatures", output = "outgoing" }
        description = { vi = "…", en = "…" }
    """

    name: ClassVar[str] = "digital_signatures"
    Params: ClassVar[type[DigitalSignaturesParams]] = DigitalSignaturesParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Văn bản điện tử, chữ ký số của lãnh đạo và công chức",
        "en": "Electronic documents and digital signatures of heads and staff",
    }
    record_sets: ClassVar[Mapping[str, RecordSchema]] = {
        "documents": RecordSchema(
            columns={
                "document_id": Column("text", "Document number, unique in the log"),
                "unit_id": UNIT_ID,
                "issued_on": Column("date", "Day issued (outgoing) or received (incoming)"),
                "direction": Column("text", "in or out", choices=("in", "out")),
                "electronic": Column("boolean", "Issued or received as an electronic document"),
                "signed": Column("boolean", "Digitally signed"),
                "signer": Column("text", "Person id of the signer", required=False),
                "classified": Column("boolean", "Classified (mật): not sent electronically"),
            },
            description={"vi": "Sổ văn bản đi, đến", "en": "Document log"},
            key=("document_id",),
        ),
        "roster": roster_schema(
            is_head=Column(
                "boolean", "Head or deputy head of the unit (empty: no)", required=False
            ),
        ),
        "certificates": RecordSchema(
            columns={
                "serial": Column("text", "Certificate serial number"),
                "person_id": PERSON_ID,
                "valid_from": Column("date", "First day of validity"),
                "valid_to": Column("date", "Last day of validity"),
            },
            description={"vi": "Chứng thư chữ ký số", "en": "Digital-signature certificates"},
            unit_column=None,
            key=("serial",),
            ordered=(("valid_from", "valid_to"),),
        ),
    }

    @property
    def as_of(self) -> dt.date:
        return self.params.as_of or self.context.period_end

    def outputs(self) -> Mapping[str, Output]:
        def count(vi: str, en: str) -> Output:
            return Output("integer", {"vi": vi, "en": en})

        return {
            "outgoing": count("Số văn bản đi không mật", "Outgoing non-classified documents"),
            "outgoing_signed": count(
                "Số văn bản đi điện tử có ký số", "Of those, electronic and digitally signed"
            ),
            "staff": count("Số lãnh đạo, công chức, viên chức", "Heads and staff"),
            "staff_using": count(
                "Số người có chứng thư và đã ký số", "Of those, holding a certificate and signing"
            ),
            "heads": count("Số lãnh đạo", "Heads and deputy heads"),
            "heads_using": count(
                "Số lãnh đạo có chứng thư và đã ký số",
                "Of those, holding a certificate and signing",
            ),
        }

    def check(self) -> list[tuple[str, str]]:
        if self.params.as_of is not None and not (
            self.context.period_start <= self.params.as_of <= self.context.period_end
        ):
            return [("as_of", "expected a day of the evaluation period")]
        return []

    def _in_period(self, documents: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl  # NOTE: lazy, see the module's polars import

        return documents.filter(
            pl.col("issued_on").is_between(pl.lit(self.context.period_start), pl.lit(self.as_of))
        )

    def _outgoing(self, documents: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl  # NOTE: lazy, see the module's polars import

        return self._in_period(documents).filter(
            (pl.col("direction") == "out") & ~pl.col("classified")
        )

    def _certified(self, records: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """``person_id`` of every certificate valid on some day of the period (repeats)."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        return (
            records["certificates"]
            .filter(
                (pl.col("valid_from") <= pl.lit(self.as_of))
                & (pl.col("valid_to") >= pl.lit(self.context.period_start))
            )
            .select("person_id")
        )

    def _signing(self, records: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """``person_id`` of the signer of every electronic document signed in the period."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        return (
            self._in_period(records["documents"])
            .filter(pl.col("electronic") & pl.col("signed") & pl.col("signer").is_not_null())
            .select(pl.col("signer").alias("person_id"))
        )

    def _staff(self, records: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """Every person with ``certified`` and ``signing`` flags for the period."""
        import polars as pl  # NOTE: lazy, see the module's polars import

        flags = {"certified": self._certified(records), "signing": self._signing(records)}
        staff = records["roster"]
        for flag, people in flags.items():
            # The records of these people only (evidence asks about one unit's): the
            # semi-join keeps the table of the few, not of every signer.
            mine = people.join(staff.select("person_id"), on="person_id", how="semi")
            staff = staff.join(
                mine.unique().with_columns(pl.lit(True).alias(flag)), on="person_id", how="left"
            )
        return staff.with_columns(
            pl.col("certified", "signing", "is_head").fill_null(False),
        ).with_columns((pl.col("certified") & pl.col("signing")).alias("using"))

    def derive(self, records: Mapping[str, pl.LazyFrame], units: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl  # NOTE: lazy, see the module's polars import

        good = pl.col("electronic") & pl.col("signed")
        documents = (
            self._outgoing(records["documents"])
            .group_by("unit_id")
            .agg(
                pl.len().cast(pl.Int64).alias("outgoing"),
                good.sum().cast(pl.Int64).alias("outgoing_signed"),
            )
        )
        head = pl.col("is_head").fill_null(False)
        roster = records["roster"].select("person_id", "unit_id", head)
        staff = roster.group_by("unit_id").agg(
            pl.len().cast(pl.Int64).alias("staff"), head.sum().cast(pl.Int64).alias("heads")
        )
        # NOTE: the people using signatures by semi-joins rather than the flags of _staff:
        # no per-person table of flags is built, and on 10 M people and 100 M documents
        # it takes a fifth less time. polars builds a semi-join's table from its right
        # side, every signed document (3.4 GiB for 100 M); joining each half of the
        # people, split by a hash of their id, with the documents signed in that half
        # holds half of them at a time (1.4 GiB) for the same CPU time
        # (benchmarks/RECORDS.md). Person ids are unique in the roster (its key), so each
        # person counts once.
        half = pl.col("person_id").hash() % 2
        signing = self._signing(records)
        using = (
            pl.concat(
                roster.filter(half == part).join(
                    signing.filter(half == part), on="person_id", how="semi"
                )
                for part in range(2)
            )
            .join(self._certified(records), on="person_id", how="semi")
            .group_by("unit_id")
            .agg(
                pl.len().cast(pl.Int64).alias("staff_using"),
                head.sum().cast(pl.Int64).alias("heads_using"),
            )
        )
        outputs = list(self.outputs())
        return (
            units.join(documents, on="unit_id", how="left")
            .join(staff, on="unit_id", how="left")
            .join(using, on="unit_id", how="left")
            .with_columns(pl.col(outputs).fill_null(0))
            .select("unit_id", *outputs)
        )

    def evidence(
        self, records: Mapping[str, pl.LazyFrame], unit_id: str, limit: int
    ) -> list[Evidence]:
        import polars as pl  # NOTE: lazy, see the module's polars import

        documents = (
            self._outgoing(in_unit(records["documents"], unit_id))
            .filter(~(pl.col("electronic") & pl.col("signed")))
            .sort("issued_on", "document_id")
            .head(limit)
            .collect()
        )
        found = []
        for row in documents.iter_rows(named=True):
            vi_how = "bản giấy" if not row["electronic"] else "không ký số"
            en_how = "on paper" if not row["electronic"] else "not digitally signed"
            found.append(
                Evidence(
                    "outgoing_signed",
                    str(row["document_id"]),
                    f"văn bản {row['document_id']} ngày {row['issued_on']:%d/%m/%Y}: {vi_how}",
                    f"document {row['document_id']} of {row['issued_on']:%Y-%m-%d}: {en_how}",
                )
            )
        staff = self._staff({**records, "roster": in_unit(records["roster"], unit_id)}).filter(
            ~pl.col("using")
        )
        for output, people in (
            ("staff_using", staff),
            ("heads_using", staff.filter(pl.col("is_head"))),
        ):
            for row in people.sort("person_id").head(limit).collect().iter_rows(named=True):
                if not row["certified"]:
                    vi, en = "không có chứng thư số còn hiệu lực", "holds no valid certificate"
                else:
                    vi = "có chứng thư số nhưng không ký văn bản điện tử nào"
                    en = "holds a certificate but signed no electronic document"
                found.append(
                    Evidence(
                        output, str(row["person_id"]), f"{who(row)}: {vi}", f"{who(row)}: {en}"
                    )
                )
        return found
