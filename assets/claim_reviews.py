"""The ledger as schema.org ClaimReview documents, one per article (`claim_reviews/` in the lake,
copied into each release)."""

from __future__ import annotations

import dagster as dg
import polars as pl

from assets.lake_table import asset_key, source_version
from assets.resources import LakeResource
from labor_lake.lake.files import parquet_facts
from labor_lake.present.claim_reviews import (
    CLAIM_REVIEWS_FOLDER,
    claim_review_path,
    claim_reviews,
    encode,
)
from schemas.tables import CORE_ARTICLES, CORE_PUBLISHED_FIGURES, METRICS_CLAIM_CHECKS


@dg.asset(
    key=dg.AssetKey([CLAIM_REVIEWS_FOLDER]),
    group_name="publish",
    kinds={"json"},
    ins={
        "claim_checks": dg.AssetIn(key=asset_key(METRICS_CLAIM_CHECKS)),
        "articles": dg.AssetIn(key=asset_key(CORE_ARTICLES)),
        "figures": dg.AssetIn(key=asset_key(CORE_PUBLISHED_FIGURES)),
    },
    code_version=source_version(claim_reviews),
)
def claim_review_documents(
    lake: LakeResource,
    claim_checks: pl.DataFrame,
    articles: pl.DataFrame,
    figures: pl.DataFrame,
) -> dg.MaterializeResult:
    """Each checked statement of each article as a schema.org `ClaimReview` (JSON-LD): the claim
    with its author, date and address, the verdict with its reason, labor-lake as the reviewer;
    one file per article, `claim_reviews/<article_id>.jsonld`."""
    provenance = parquet_facts(lake.lake.read_bytes(METRICS_CLAIM_CHECKS.relative_path)).provenance
    reviewed_on = str(provenance.get("produced_at", ""))[:10]
    documents = claim_reviews(claim_checks, articles, figures, reviewed_on)
    stale = set(lake.lake.fs.glob(lake.lake.path(f"{CLAIM_REVIEWS_FOLDER}/*.jsonld")))
    for article_id, document in documents.items():
        lake.lake.write_bytes(claim_review_path(article_id), encode(document))
        stale.discard(lake.lake.path(claim_review_path(article_id)))
    for path in stale:  # an article no longer in the registry
        lake.lake.fs.rm(path)
    return dg.MaterializeResult(
        metadata={
            "articles": len(documents),
            "claim_reviews": sum(len(d["@graph"]) for d in documents.values()),
            "folder": dg.MetadataValue.path(lake.lake.url(CLAIM_REVIEWS_FOLDER)),
        }
    )
