"""Build the bitemporal table from every version of Indeed's US sector and aggregate files that
a local clone of hiring-lab/job_postings_tracker holds, and time it against bare polars.

    uv run python benchmarks/history_ingest.py [--clone /work/.mirror/hiring-lab+job_postings_tracker/repo]

Every version whose blob the clone holds is written to a temporary folder first (not timed), so
both paths read the same files:

(a) bare polars: read each version's CSV untyped (every column as text) and write it to Parquet;
(b) the project's path: read each version with its catalog entry (header variants, date formats,
    missing-value tokens), every sector kept, fold all versions into bitemporal rows
    (labor_lake.lake.bitemporal.fold_versions) and write them to Parquet.

Then the incremental step: the table of all versions but the newest of each file, plus the
newest (history.add_versions), timed, over the full build's time. The last line reads
`history_rows=N ratio_vs_polars=X peak_rss_mb=Y incremental_share=Z`.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labor_lake.sources import history
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.http import SourceError

DATASETS = ("indeed_postings_by_sector_us", "indeed_aggregate_postings_us")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--clone", type=Path, default=Path("/work/.mirror/hiring-lab+job_postings_tracker/repo")
    )
    arguments = parser.parse_args()
    catalog = load_catalog(Path(__file__).resolve().parents[1] / "catalog" / "datasets.toml")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        files: dict[str, list[tuple[history.Version, Path]]] = {}
        for dataset_id in DATASETS:
            dataset = catalog.get(dataset_id)
            assert dataset is not None
            kept = []
            for version in history.clone_versions(arguments.clone, dataset):
                if version.read is None:
                    continue
                try:
                    content = version.read()
                except SourceError:  # a blob the clone lacks: not in the benchmark
                    continue
                path = work / f"{dataset_id}-{version.commit}.csv"
                path.write_bytes(content)
                kept.append((version, path))
            files[dataset_id] = kept
        n_versions = sum(len(v) for v in files.values())

        started, started_cpu = time.perf_counter(), time.process_time()
        raw_rows = 0
        for dataset_id, kept in files.items():
            for version, path in kept:
                frame = pl.read_csv(path, infer_schema=False)
                raw_rows += frame.height
                frame.write_parquet(work / f"bare-{dataset_id}-{version.commit}.parquet")
        bare, bare_cpu = time.perf_counter() - started, time.process_time() - started_cpu

        # Every sector and variable the file holds, not only those the catalog keeps.
        datasets = {d: dataclasses.replace(catalog.get(d), keep={}) for d in DATASETS}

        def versions(dataset_id: str, upto: int | None = None) -> list[history.Version]:
            kept = files[dataset_id][:upto]
            return [dataclasses.replace(v, read=(lambda p=p: p.read_bytes())) for v, p in kept]

        started, started_cpu = time.perf_counter(), time.process_time()
        tables = []
        for dataset_id in DATASETS:
            tables.append(history.fold_history(datasets[dataset_id], versions(dataset_id)))
        table = pl.concat([t.rows for t in tables])
        table.write_parquet(work / "bitemporal.parquet", compression="zstd")
        full, full_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert not any(t.errors for t in tables), [t.errors for t in tables]
        # Not held while the project's path folds again (the peak RSS is the project's, not the
        # harness's two tables): the check at the end reads the written file.
        history_rows = table.height
        del table, tables

        # All versions but the newest of each file, then the newest added to it.
        held = [history.fold_history(datasets[d], versions(d, -1)) for d in DATASETS]
        held_rows = pl.concat([h.rows for h in held])
        held_manifest = pl.concat([h.manifest for h in held])
        started = time.perf_counter()
        for dataset_id in DATASETS:
            added = history.add_versions(
                datasets[dataset_id], held_rows, held_manifest, versions(dataset_id)[-1:]
            )
            held_rows, held_manifest = added.rows, added.manifest
        held_rows.write_parquet(work / "incremental.parquet", compression="zstd")
        incremental = time.perf_counter() - started
        del held_rows, held, added
        # The incremental table equals the full build: both files sorted by the rows' key and
        # compared a column at a time (two whole tables and their sorted copies would be the
        # peak otherwise).
        key = ["series_id", "period_start", "realtime_start"]
        built, incremented = work / "bitemporal.parquet", work / "incremental.parquet"
        assert pl.read_parquet_schema(built) == pl.read_parquet_schema(incremented)
        for column in pl.read_parquet_schema(built):
            both = [
                pl.read_parquet(f, columns=list(dict.fromkeys([*key, column])))
                for f in (built, incremented)
            ]
            assert both[0].sort(key).equals(both[1].sort(key)), f"incremental != full: {column}"

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds beside wall seconds: on a shared machine the wall times carry the load.
    print(f"versions={n_versions} rows_before_dedup={raw_rows} bare_polars_s={bare:.2f} "
          f"project_s={full:.2f} incremental_s={incremental:.2f} "
          f"bare_polars_cpu_s={bare_cpu:.2f} project_cpu_s={full_cpu:.2f}")  # fmt: skip
    print(
        f"history_rows={history_rows} ratio_vs_polars={full / bare:.2f} "
        f"peak_rss_mb={peak:.0f} incremental_share={incremental / full:.3f}"
    )


if __name__ == "__main__":
    main()
