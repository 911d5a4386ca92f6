"""Large datasets in pieces (streaming, processes, Dask); imports reports and every layer below."""
