#!/usr/bin/env python3
"""Generate large record sets for the fact-provider benchmark, in bounded memory.

    python benchmarks/generate_records.py OUT --roster 10_000_000 --documents 100_000_000

Writes ``OUT/roster/part-*.parquet``, ``OUT/certificates/part-*.parquet`` and
``OUT/documents/part-*.parquet`` (the roles of the ``digital_signatures`` provider) and
``OUT/units.parquet``, one chunk of at most ``--chunk`` rows at a time, so memory stays
at one chunk whatever the size. Ids are text, as in real logs; Parquet dictionary-encodes
the columns with few distinct values (unit ids, directions) on disk, as every writer
does. NOTE: they are not written as Arrow dictionaries (categoricals): polars 2.1 turns
those into the text providers read ten times slower than it reads dictionary-encoded
text (benchmarks/RECORDS.md). Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EPOCH_2020 = (dt.date(2020, 1, 1) - dt.date(1970, 1, 1)).days


def unit_ids(count: int) -> pa.Array:
    return pa.array([f"U{i:06d}" for i in range(count)], pa.string())


def _ids(prefix: str, start: int, stop: int) -> pa.Array:
    numbers = pa.array(np.arange(start, stop, dtype=np.int64))
    return pc.binary_join_element_wise(prefix, pc.cast(numbers, pa.string()), "")


def generate(out: Path, roster: int, documents: int, units: int, chunk: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = unit_ids(units)
    for name in ("roster", "certificates", "documents"):
        (out / name).mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"unit_id": ids, "name": ids, "unit_type": pa.array(["u"] * units)}),
        out / "units.parquet",
    )
    for part, start in enumerate(range(0, roster, chunk)):
        stop = min(start + chunk, roster)
        size = stop - start
        people = _ids("P", start, stop)
        unit = ids.take(pa.array(np.arange(start, stop) % units))
        pq.write_table(
            pa.table(
                {
                    "person_id": people,
                    "unit_id": unit,
                    "is_head": pa.array(rng.random(size) < 0.1),
                }
            ),
            out / "roster" / f"part-{part:04d}.parquet",
        )
        # Nine in ten people hold a certificate valid some time in 2020.
        holders = rng.random(size) < 0.9
        begin = EPOCH_2020 - rng.integers(0, 700, size)
        pq.write_table(
            pa.table(
                {
                    "serial": _ids("C", start, stop).filter(pa.array(holders)),
                    "person_id": people.filter(pa.array(holders)),
                    "valid_from": pa.array(begin[holders].astype(np.int32), pa.date32()),
                    "valid_to": pa.array((begin[holders] + 1095).astype(np.int32), pa.date32()),
                }
            ),
            out / "certificates" / f"part-{part:04d}.parquet",
        )
    for part, start in enumerate(range(0, documents, chunk)):
        stop = min(start + chunk, documents)
        size = stop - start
        signed = rng.random(size) < 0.95
        person = rng.integers(0, roster, size)
        signer = pc.binary_join_element_wise("P", pc.cast(pa.array(person), pa.string()), "")
        pq.write_table(
            pa.table(
                {
                    "document_id": _ids("D", start, stop),
                    # The signer's unit: documents are issued by the signer's unit.
                    "unit_id": ids.take(pa.array(person % units)),
                    "issued_on": pa.array(
                        (EPOCH_2020 + rng.integers(0, 366, size)).astype(np.int32), pa.date32()
                    ),
                    "direction": pa.array(np.where(rng.random(size) < 0.6, "out", "in")),
                    "electronic": pa.array(signed | (rng.random(size) < 0.5)),
                    "signed": pa.array(signed),
                    "signer": signer.filter(pa.array(np.ones(size, bool))),
                    "classified": pa.array(rng.random(size) < 0.02),
                }
            ),
            out / "documents" / f"part-{part:04d}.parquet",
            row_group_size=1 << 20,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--roster", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    generate(args.out, args.roster, args.documents, args.units, args.chunk, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
