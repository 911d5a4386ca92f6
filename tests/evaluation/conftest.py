"""A local Dask cluster for the tests that score on Dask (skipped without the extra)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(name="dask_client")
def dask_client_fixture() -> Iterator[Any]:
    """A client of two worker processes, one thread each, no dashboard."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
