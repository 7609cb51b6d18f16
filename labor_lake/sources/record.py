"""Re-record the snapshots in `snapshots/` from the real hosts (or a mirror).

    uv run python -m labor_lake.sources.record [--dataset ID ...]
    uv run python -m labor_lake.sources.record --history [--dataset ID ...]
        [--clone OWNER/NAME=PATH ...]

For every catalog dataset with a recorded snapshot (or only those named), fetch its address as
the pipeline does, check that the answer parses as the dataset (so a broken answer is never
recorded), then rewrite the snapshot file and its manifest row (retrieved date, sha256, bytes,
origin). Host overrides come from the same variables as the pipeline's (those the catalog's
[hosts] names: LABOR_LAKE_INDEED_URL, LABOR_LAKE_BLS_URL, LABOR_LAKE_FRED_URL) and the User-Agent
from LABOR_LAKE_USER_AGENT.

With `--history`, rebuild the recorded history (snapshots/history/) of every catalog dataset
with a `[dataset.history]` (or only those named): every version of the file in the publisher's
git history, from GitHub (the commits listing at api.github.com, LABOR_LAKE_GITHUB_API_URL to
override it, with GITHUB_TOKEN from the environment if set: 60 requests an hour without; then
the raw file at each commit) or, for a repository given with `--clone`, from a local clone (a
bare one will do). Each version that cannot be had or read is one line naming the commit, and is
listed in the manifest as such.
"""

from __future__ import annotations

import argparse
import functools
import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from labor_lake.sources import github, history
from labor_lake.sources.catalog import Catalog, load_catalog
from labor_lake.sources.http import SourceError, build_session, fetch
from labor_lake.sources.protocols import connectors
from labor_lake.sources.snapshots import load_manifest, recorded, write_manifest

# This file is <repository>/labor_lake/sources/record.py.
REPOSITORY = Path(__file__).resolve().parents[2]


def record(catalog_path: Path, manifest_path: Path, datasets: set[str] | None) -> list[str]:
    """Re-record the chosen snapshots; returns one line per snapshot saying what changed."""
    catalog = load_catalog(catalog_path)
    overrides = {name: os.environ[name] for name in catalog.hosts.values() if os.environ.get(name)}
    session = build_session(retries=2)
    if os.environ.get("LABOR_LAKE_USER_AGENT"):
        session.headers["User-Agent"] = os.environ["LABOR_LAKE_USER_AGENT"]
    readers = connectors(lambda _name: None)  # snapshots never carry an API key
    today = datetime.now(UTC).date()
    lines, snapshots = [], []
    for snapshot in load_manifest(manifest_path):
        dataset = catalog.get(snapshot.dataset)
        if dataset is None or (datasets and snapshot.dataset not in datasets):
            snapshots.append(snapshot)
            continue
        address = catalog.address(dataset, overrides, snapshot.url)
        if snapshot.member.startswith("seriesid="):
            body = {"seriesid": snapshot.member.removeprefix("seriesid=").split(",")}
            fetched = fetch(session, address, timeout=60, method="POST", json=body)
        else:
            fetched = fetch(session, address, timeout=60)
        readers[dataset.protocol].parse(dataset, fetched.content, fetched.url, dataset.format)
        new = recorded(snapshot, fetched.content, today, origin=f"{snapshot.url} ({today})")
        snapshots.append(new)
        changed = "unchanged" if new.sha256 == snapshot.sha256 else "changed"
        lines.append(f"{snapshot.dataset}: {changed}, {new.bytes:,} bytes, sha256 {new.sha256}")
    write_manifest(manifest_path, tuple(snapshots))
    return lines


def record_history(
    catalog: Catalog,
    snapshots: Path,
    datasets: set[str] | None,
    clones: dict[str, Path],
) -> list[str]:
    """Rebuild the recorded history of the chosen datasets; one line per dataset, and one per
    version that could not be folded. Datasets not chosen keep their recorded history."""
    overrides = {name: os.environ[name] for name in catalog.hosts.values() if os.environ.get(name)}
    session = build_session(retries=2)
    if os.environ.get("LABOR_LAKE_USER_AGENT"):
        session.headers["User-Agent"] = os.environ["LABOR_LAKE_USER_AGENT"]
    token = os.environ.get(github.TOKEN_VARIABLE) or None
    chosen = [d for d in catalog.datasets if d.history and (not datasets or d.id in datasets)]
    kept_rows, kept_manifest = history.read_recorded(
        snapshots, [d.id for d in catalog.datasets if d.history and d not in chosen]
    )
    folded = {
        dataset: history.Folded(
            kept_rows.filter(pl.col("dataset") == dataset),
            kept_manifest.filter(pl.col("dataset") == dataset),
        )
        for dataset in kept_manifest["dataset"].unique().to_list()
    }
    lines = []
    for dataset in chosen:
        assert dataset.history is not None
        clone = clones.get(dataset.history.repository)
        try:
            if clone is not None:
                versions = history.clone_versions(clone, dataset)
            else:
                versions = github.versions_from_github(
                    dataset, session, functools.partial(catalog.address, dataset, overrides), token
                )
        except SourceError as error:
            lines.append(f"{dataset.id}: not rebuilt, the recorded history stays: {error}")
            kept, manifest = history.read_recorded(snapshots, [dataset.id])
            folded[dataset.id] = history.Folded(kept, manifest)
            continue
        result = history.fold_history(dataset, versions)
        folded[dataset.id] = result
        counts = dict(result.manifest.group_by("status").len().iter_rows())
        lines.append(
            f"{dataset.id}: {len(versions)} commits from "
            f"{clone or 'GitHub'}; {result.rows.height:,} bitemporal rows; "
            + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
        lines += [f"  {error}" for error in result.errors]
    history.write_recorded(snapshots, folded)
    return lines


def _clone(text: str) -> tuple[str, Path]:
    repository, _, path = text.partition("=")
    if not path:
        raise argparse.ArgumentTypeError(f"--clone {text!r}: expected OWNER/NAME=PATH")
    return repository, Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    parser.add_argument("--catalog", type=Path, default=REPOSITORY / "catalog" / "datasets.toml")
    parser.add_argument("--manifest", type=Path, default=REPOSITORY / "snapshots" / "manifest.csv")
    parser.add_argument(
        "--history", action="store_true", help="rebuild the recorded history (snapshots/history/)"
    )
    parser.add_argument(
        "--clone",
        action="append",
        type=_clone,
        default=[],
        metavar="OWNER/NAME=PATH",
        help="read this repository's history from a local clone instead of GitHub",
    )
    arguments = parser.parse_args()
    if arguments.history:
        lines = record_history(
            load_catalog(arguments.catalog),
            arguments.manifest.parent,
            set(arguments.dataset or ()),
            dict(arguments.clone),
        )
    else:
        lines = record(arguments.catalog, arguments.manifest, set(arguments.dataset or ()))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
