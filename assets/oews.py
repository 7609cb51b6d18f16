"""The OEWS flat files: core/oews_estimates, every row of the newest vintage of every OEWS-file
dataset of the source catalog (fetched from bls.gov, or the recorded snapshot), partitioned by
year."""

from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import dagster as dg
import polars as pl

from assets.lake_table import asset_key, table_asset_arguments, validated_outputs
from assets.resources import LakeResource, OfficialSources
from labor_lake.lake.files import Lake
from labor_lake.registry.validation import ValidationFailed
from labor_lake.sources import oews
from labor_lake.sources.catalog import Catalog
from labor_lake.sources.oews import read_oews
from labor_lake.sources.payloads import newest_vintages, read_vintage
from schemas.tables import CORE_OEWS_ESTIMATES, RAW_BLS_PAYLOADS


def oews_payloads(manifest: pl.DataFrame, catalog: Catalog, lake: Lake) -> list[tuple[str, bytes]]:
    """The newest vintage of every OEWS-file dataset of the catalog, as (file name, bytes): the
    file as fetched from bls.gov, or its recorded snapshot."""
    oews = {d.id for d in catalog.datasets if d.format == "oews"}
    newest = newest_vintages(manifest).filter(pl.col("dataset").is_in(sorted(oews)))
    return [
        (
            PurePosixPath(urlsplit(row["url"]).path).name,
            read_vintage(lake, row["path"], row["sha256"]),
        )
        for row in newest.sort("dataset").iter_rows(named=True)
    ]


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


@dg.asset(
    **table_asset_arguments(CORE_OEWS_ESTIMATES, (oews, read_oews_files, oews_payloads)),
    deps=[asset_key(RAW_BLS_PAYLOADS)],
)
def core_oews_estimates(
    official_sources: OfficialSources, lake: LakeResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every row of the BLS OEWS flat files (May estimates since 2014), typed and validated: one
    row per year, area, industry, ownership, occupation and group, markers kept (`*`, `**`, `#`
    with the top-coding bound, `~`). Written as Parquet partitioned by year. A damaged file fails
    the step with file, sheet, row, column and value, and the lake keeps its last good table."""
    manifest = (
        lake.lake.read_table(RAW_BLS_PAYLOADS)
        if lake.lake.exists(RAW_BLS_PAYLOADS.relative_path)
        else RAW_BLS_PAYLOADS.empty_frame()
    )
    yield from validated_outputs(
        (CORE_OEWS_ESTIMATES,),
        lambda: read_oews_files(oews_payloads(manifest, official_sources.catalog, lake.lake)),
    )
