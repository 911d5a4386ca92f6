#!/usr/bin/env python3
"""Derive facts from large record sets: cchc-rules against a hand-written polars query.

    python benchmarks/records_bench.py DIR          DIR from generate_records.py

Each side runs in its own process so its peak memory (max RSS) is its own:

* **cchc** — ``derive_facts`` with a ruleset binding the ``digital_signatures``
  provider to ``DIR``: every record set read and checked (types, required values,
  choices, unknown units, duplicate keys, date order), then derived; per-unit facts
  out.
* **baseline** — the same per-unit facts by one hand-written lazy polars query over the
  same files, with no checks at all: the floor for this library on this machine.

Both sides must give the same per-unit facts (outgoing, signed, people using signatures).

Rows per second count every record row read (documents + roster + certificates).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

RULESET = """\
[ruleset]
family = "bench"
version = "1"
title = {{ vi = "Đo", en = "Bench" }}
status = "draft"
periods = [2020]
total_points = 1
legal_basis = {{ decision = "1/QĐ", date = 2020-01-01 }}

[unit_types.u]
name = {{ vi = "Đơn vị", en = "Unit" }}
peer_group = "g"

[ranking.peer_groups.g]
name = {{ vi = "Nhóm", en = "Group" }}

[grading]
bands = [{{ grade = "a", name = {{ vi = "A", en = "A" }}, min_index = 0 }}]

[record_sets.documents]
description = {{ vi = "Sổ văn bản", en = "Document log" }}
path = "{data}/documents"

[record_sets.roster]
description = {{ vi = "Danh sách", en = "Roster" }}
path = "{data}/roster"

[record_sets.certificates]
description = {{ vi = "Chứng thư", en = "Certificates" }}
path = "{data}/certificates"

[providers.sig]
provider = "digital_signatures"
records = {{ documents = "documents", roster = "roster", certificates = "certificates" }}

[facts.sent]
type = "integer"
derived = {{ provider = "sig", output = "outgoing" }}
description = {{ vi = "Văn bản đi", en = "Outgoing" }}

[facts.sent_signed]
type = "integer"
derived = {{ provider = "sig", output = "outgoing_signed" }}
description = {{ vi = "Văn bản đi ký số", en = "Outgoing signed" }}

[facts.using]
type = "integer"
derived = {{ provider = "sig", output = "staff_using" }}
description = {{ vi = "Ký số", en = "Signing" }}

[[areas]]
id = "G"
name = {{ vi = "G", en = "G" }}
max_points = 1

[[areas.criteria]]
id = "G1"
name = {{ vi = "Ký số", en = "Signed" }}
max_points = 1
kind = "proportional"
params = {{ numerator = "sent_signed", denominator = "sent", zero_denominator = "full_points" }}
"""


def rows(data: Path) -> int:
    return sum(
        pl.scan_parquet(sorted((data / name).glob("*.parquet"))).select(pl.len()).collect().item()
        for name in ("documents", "roster", "certificates")
    )


def facts(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The per-unit numbers both sides compute, in unit order: they must be equal."""
    columns = [pl.col(name).cast(pl.Int64) for name in ("sent", "sent_signed", "using")]
    return frame.select("unit_id", *columns).sort("unit_id").rows()


def run_cchc(data: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    import cchc_rules
    from cchc_rules.inputs._derive import derive_facts, record_paths

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.toml"
        path.write_text(RULESET.format(data=data.resolve()), encoding="utf-8")
        ruleset = cchc_rules.load_ruleset(path)
        units = pq.read_table(data / "units.parquet")
        start = time.perf_counter()
        derived = derive_facts(ruleset, units, record_paths(ruleset))
        elapsed = time.perf_counter() - start
    frame = pl.from_arrow(derived.table.select(["unit_id", "sent", "sent_signed", "using"]))
    assert isinstance(frame, pl.DataFrame)
    return {"seconds": elapsed, "facts": facts(frame)}


def run_baseline(data: Path) -> dict[str, Any]:
    def scan(name: str) -> pl.LazyFrame:
        return pl.scan_parquet(sorted((data / name).glob("*.parquet")))

    start = time.perf_counter()
    units = pl.read_parquet(data / "units.parquet", columns=["unit_id"]).lazy()
    docs = scan("documents").filter(
        pl.col("issued_on").is_between(pl.date(2020, 1, 1), pl.date(2020, 12, 31))
    )
    signed = pl.col("electronic") & pl.col("signed")
    sent = (
        docs.filter((pl.col("direction") == "out") & ~pl.col("classified"))
        .group_by("unit_id")
        .agg(pl.len().alias("sent"), signed.sum().alias("sent_signed"))
    )
    signers = docs.filter(signed & pl.col("signer").is_not_null()).select(
        pl.col("signer").alias("person_id")
    )
    holders = (
        scan("certificates")
        .filter(
            (pl.col("valid_from") <= pl.date(2020, 12, 31))
            & (pl.col("valid_to") >= pl.date(2020, 1, 1))
        )
        .select("person_id")
    )
    using = (
        scan("roster")
        .join(signers, on="person_id", how="semi")
        .join(holders, on="person_id", how="semi")
        .group_by("unit_id")
        .agg(pl.len().alias("using"))
    )
    result = (
        units.join(sent, on="unit_id", how="left")
        .join(using, on="unit_id", how="left")
        .with_columns(pl.col("sent", "sent_signed", "using").fill_null(0))
    ).collect(engine="streaming")
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "facts": facts(result)}


def child(side: str, data: Path) -> None:
    measured = run_cchc(data) if side == "cchc" else run_baseline(data)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is in KiB on Linux. CPU time (all threads, whole process) moves less
    # than wall time when other work shares the machine.
    measured["peak_mib"] = usage.ru_maxrss / 1024
    measured["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(measured))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    data = Path(sys.argv[1])
    total = rows(data)
    # The machine may be shared: say how busy it was, since wall times depend on it.
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results = {}
    for side in ("baseline", "cchc"):
        output = subprocess.run(
            [sys.executable, __file__, "--child", side, str(data)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[side] = json.loads(output.strip().splitlines()[-1])
    assert results["cchc"]["facts"] == results["baseline"]["facts"], "the two sides disagree"
    units = len(results["cchc"]["facts"])
    print(f"record rows: {total:,}; per-unit facts equal on both sides ({units} units)")
    for side, found in results.items():
        rate = total / found["seconds"]
        print(
            f"{side:>8}: {found['seconds']:8.2f} s  {rate / 1e6:7.2f} M rows/s  "
            f"peak {found['peak_mib']:7.0f} MiB  cpu {found['cpu_s']:7.1f} s"
        )
    ratio = results["cchc"]["seconds"] / results["baseline"]["seconds"]
    print(f"cchc / baseline time: {ratio:.2f}; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
