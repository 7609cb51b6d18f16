"""Assets for consumers: the DuckDB catalog of the current tables, and dated releases."""

# (No `from __future__ import annotations`: dagster inspects the `context` annotation.)

from datetime import UTC, datetime

import dagster as dg

from assets.lake_table import asset_key, source_version
from assets.resources import LakeResource
from labor_lake.lake.duckdb_views import VIEWS_FILE, views_sql
from labor_lake.lake.releases import publish
from labor_lake.present.claim_reviews import CLAIM_REVIEWS_FOLDER
from schemas.tables import ALL_TABLES

PUBLISHED_TABLES = [t for t in ALL_TABLES if t.published]


@dg.asset(
    key=dg.AssetKey(["duckdb_views"]),
    group_name="publish",
    kinds={"duckdb", "sql"},
    deps=[asset_key(t) for t in ALL_TABLES],
    code_version=source_version(views_sql),
)
def duckdb_views(lake: LakeResource) -> dg.MaterializeResult:
    """`views.sql` at the lake root: a `CREATE VIEW` per table, so that
    `cd data_lake && duckdb -init views.sql` opens every table by name."""
    present = [t for t in ALL_TABLES if lake.lake.exists(t.relative_path)]
    written = lake.lake.write_bytes(VIEWS_FILE, views_sql(present).encode())
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(written.path), "views": len(present)}
    )


@dg.asset(
    key=dg.AssetKey(["release"]),
    group_name="publish",
    kinds={"parquet", "json"},
    deps=[
        *(asset_key(t) for t in PUBLISHED_TABLES),
        dg.AssetKey(["datapackage"]),
        dg.AssetKey([CLAIM_REVIEWS_FOLDER]),
    ],
    code_version=source_version(publish),
)
def release(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Copy the published tables (core and metrics) into an immutable dated folder
    `releases/<YYYY-MM-DD>[.<n>]/` with its own datapackage.json and views.sql, then point
    `releases/latest.json` at it. Runs only in the `publish` job, after the whole build and all of
    its blocking checks passed in the same run; unchanged content makes no new release. The
    articles' ClaimReview documents (`claim_reviews/`) are released beside the tables."""
    reviews = sorted(
        f"{CLAIM_REVIEWS_FOLDER}/{str(path).rsplit('/', 1)[-1]}"
        for path in lake.lake.fs.glob(lake.lake.path(f"{CLAIM_REVIEWS_FOLDER}/*.jsonld"))
    )
    made = publish(lake.lake, PUBLISHED_TABLES, datetime.now(UTC).date(), documents=reviews)
    if made.healed:
        context.log.warning(made.healed)
    return dg.MaterializeResult(
        metadata={"release": made.name, "new_release": made.created, "files": made.files}
    )
