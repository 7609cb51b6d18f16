"""The OEWS flat files: core/oews_estimates, every row of every recorded file, partitioned by year."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import table_asset, validated_outputs
from labor_lake.oews import read_oews
from labor_lake.validation import Problem, ValidationFailed
from schemas.tables import CORE_OEWS_ESTIMATES

REPO_ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT_MANIFEST = REPO_ROOT / "snapshots" / "manifest.csv"
OEWS_DATASET_PREFIX = "bls_oews_"


def recorded_oews_files() -> list[tuple[str, bytes]]:
    """The OEWS files the table is built from, as (file name, bytes): the recorded snapshots of
    the BLS national files listed in snapshots/manifest.csv, each checked against its sha256.

    The one place the inputs are chosen: the source catalog's raw vintages replace it."""
    files, problems = [], []
    with SNAPSHOT_MANIFEST.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if not row["dataset"].startswith(OEWS_DATASET_PREFIX):
                continue
            data = (REPO_ROOT / row["path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != row["sha256"]:
                problems.append(
                    Problem(
                        "sha256_matches_manifest",
                        "sha256",
                        row["sha256"],
                        row["dataset"],
                        line,
                        str(SNAPSHOT_MANIFEST),
                    )
                )
            files.append((Path(row["member"] or row["path"]).name, data))
    if problems:
        raise ValidationFailed(str(SNAPSHOT_MANIFEST), problems)
    return files


def read_oews_files(files: list[tuple[str, bytes]]) -> pl.DataFrame:
    """Every row of every file, typed; all damaged files are reported together."""
    frames, problems = [], []
    for name, data in files:
        try:
            frames.append(read_oews(data, name))
        except ValidationFailed as error:
            problems += error.problems
    if problems:
        raise ValidationFailed("OEWS files", problems)
    return pl.concat(frames) if frames else CORE_OEWS_ESTIMATES.empty_frame()


@dg.asset(**table_asset(CORE_OEWS_ESTIMATES, (read_oews, read_oews_files, recorded_oews_files)))
def core_oews_estimates() -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every row of the BLS OEWS flat files (May estimates since 2014), typed and validated: one
    row per year, area, industry, ownership, occupation and group, markers kept (`*`, `**`, `#`
    with the top-coding bound, `~`). Written as Parquet partitioned by year. A damaged file fails
    the step with file, sheet, row, column and value, and the lake keeps its last good table."""
    yield from validated_outputs(
        (CORE_OEWS_ESTIMATES,), lambda: read_oews_files(recorded_oews_files())
    )
