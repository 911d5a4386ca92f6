"""Scoring a partitioned Parquet dataset on a Dask cluster (the ``cchc-rules[dask]`` extra).

Only this module (and the CLI, lazily) imports Dask; the core never does. Each piece
of the dataset is scored by a task on a worker, and its results stay in that worker's
memory. The client gathers only the ranking keys (18 bytes a unit, plus the unit
ids), ranks every unit at once — exact and global within each peer group — and then
fetches the results piece by piece, in input order, into one Parquet file. The
client's memory is therefore bounded like a streaming run's; the cluster holds the
results until they are written.

Workers need cchc-rules and the same plugins installed (as packages: a module loaded
with ``--plugins-dir`` exists only in the client's process) and must read the
dataset at the same path (a shared or network filesystem).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyarrow as pa
from distributed import Client, Future, LocalCluster

from cchc_rules.evaluation._stream import (
    DEFAULT_PIECE_ROWS,
    PartKeys,
    Piece,
    derive_dataset_facts,
    finish,
    piece_facts,
    piece_warnings,
    plan_pieces,
    score_piece,
    unique_ids_checked,
    with_rank,
)
from cchc_rules.inputs._fact_checks import FactWarning
from cchc_rules.reports._parquet import write_parquet
from cchc_rules.results._scorecards import OutputColumns
from cchc_rules.ruleset._compiled import CompiledRuleset

__all__ = ["evaluate_dataset_on_dask"]


def _score_kept(
    ruleset: CompiledRuleset,
    piece: Piece,
    lang: str,
    columns: OutputColumns,
    batch_rows: int,
    derived: pa.Table | None,
) -> tuple[PartKeys, pa.Table | None]:
    tables: list[pa.Table] = []
    keys = score_piece(
        ruleset,
        piece,
        tables.append,
        lang=lang,
        columns=columns,
        batch_rows=batch_rows,
        derived=derived,
    )
    return keys, pa.concat_tables(tables) if tables else None


def _keys(result: tuple[PartKeys, pa.Table | None]) -> PartKeys:
    return result[0]


def _table(result: tuple[PartKeys, pa.Table | None]) -> pa.Table | None:
    return result[1]


def evaluate_dataset_on_dask(
    ruleset: CompiledRuleset,
    dataset: Path,
    output: Path,
    *,
    scheduler: str | None = None,
    client: Client | None = None,
    workers: int | None = None,
    force: bool = False,
    lang: str = "vi",
    columns: OutputColumns = "all",
    piece_rows: int = DEFAULT_PIECE_ROWS,
    on_progress: Callable[[int], None] | None = None,
    records: Mapping[str, Path | str] | None = None,
    provenance: Mapping[str, Any] | None = None,
    on_warnings: Callable[[Sequence[FactWarning]], None] | None = None,
) -> int:
    """Score a Parquet dataset on Dask into the Parquet file ``output``; the units scored.

    Uses ``client`` if given, else connects to ``scheduler`` (``tcp://host:8786``), else
    starts a local cluster of ``workers`` processes (default: one per core). Results are
    identical to :func:`cchc_rules.evaluation._stream.evaluate_dataset`. Facts derived from
    ``records`` are derived by the client, once; each task gets its piece's rows.
    """
    pieces = plan_pieces(dataset, piece_rows)
    derived = derive_dataset_facts(ruleset, dataset, records or {})
    with ExitStack() as stack:
        if client is None:
            if scheduler is None:
                cluster = stack.enter_context(
                    LocalCluster(  # type: ignore[no-untyped-call]  # distributed is untyped here
                        n_workers=workers or os.cpu_count() or 1,
                        threads_per_worker=1,
                        dashboard_address=None,
                    )
                )
                client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
            else:
                client = stack.enter_context(Client(scheduler))  # type: ignore[no-untyped-call]
        # One copy of the ruleset per worker, not one per task. NOTE: hash=False: a key
        # of its own per run; a content-hashed key is shared with an earlier run on the
        # same client, whose release can cancel this run's tasks ("lost dependencies").
        shared = client.scatter(ruleset, broadcast=True, hash=False)
        results: list[Future[tuple[PartKeys, pa.Table | None]] | None] = [
            client.submit(
                _score_kept,
                shared,
                piece,
                lang,
                columns,
                piece_rows,
                piece_facts(derived, piece),
                pure=False,
            )
            for piece in pieces
        ]
        parts: list[PartKeys] = []
        for piece, keys in zip(pieces, [client.submit(_keys, r) for r in results], strict=True):
            parts.append(keys.result())
            if on_progress is not None:
                on_progress(piece.rows)
        ranks = finish(ruleset, parts)
        if on_warnings is not None:
            on_warnings(piece_warnings(ruleset, parts))

        def ranked_tables(client: Client) -> Iterator[pa.Table]:
            for position, rank in enumerate(ranks):
                table = client.submit(_table, results[position]).result()
                # Forgotten once fetched, so the cluster frees that piece's memory.
                results[position] = None
                if table is not None:
                    yield with_rank(table, rank)

        checked = unique_ids_checked(ranked_tables(client), parts)
        written = write_parquet(checked, output, force=force, provenance=provenance)
    return written
