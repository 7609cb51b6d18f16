"""Re-record the snapshots in `snapshots/` from the real hosts (or a mirror).

    uv run python -m labor_lake.sources.record [--dataset ID ...]

For every catalog dataset with a recorded snapshot (or only those named), fetch its address as
the pipeline does, check that the answer parses as the dataset (so a broken answer is never
recorded), then rewrite the snapshot file and its manifest row (retrieved date, sha256, bytes,
origin). Host overrides come from the same variables as the pipeline's (those the catalog's
[hosts] names: LABOR_LAKE_INDEED_URL, LABOR_LAKE_BLS_URL, LABOR_LAKE_FRED_URL) and the User-Agent
from LABOR_LAKE_USER_AGENT.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.http import build_session, fetch
from labor_lake.sources.protocols import connectors
from labor_lake.sources.snapshots import load_manifest, recorded, write_manifest

REPOSITORY = Path(__file__).resolve().parents[1]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    parser.add_argument("--catalog", type=Path, default=REPOSITORY / "catalog" / "datasets.toml")
    parser.add_argument("--manifest", type=Path, default=REPOSITORY / "snapshots" / "manifest.csv")
    arguments = parser.parse_args()
    for line in record(arguments.catalog, arguments.manifest, set(arguments.dataset or ())):
        print(line)


if __name__ == "__main__":
    main()
