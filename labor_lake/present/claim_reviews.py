"""The ledger in the web's own format for fact checks: schema.org `ClaimReview` in JSON-LD, one
document per article, so that a newsroom can publish labor-lake's verdicts where search engines
and fact-check aggregators read them.

Each statement of an article that the ledger checked (its claims, and its figures against their
official series) becomes one `ClaimReview`: the claim (`itemReviewed`, a `Claim` with the
article's publisher as author, its date and its address), the words reviewed (`claimReviewed`:
the figure exactly as printed, or the claim in our words), and the verdict (`reviewRating`: the
status as `alternateName`, the ledger's one-line reason as `ratingExplanation`), with labor-lake as
the reviewer. A verdict is given in words only, with no number on a scale: the ledger's statuses
are categories, not grades.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from schemas.vocabulary import CLAIM_STATUSES

CLAIM_REVIEWS_FOLDER = "claim_reviews"
# The kinds of ledger rows that are an article's own statements.
REVIEWED_KINDS = ("article_claim", "figure_vs_official")
REVIEWER = {
    "@type": "Organization",
    "name": "labor-lake",
    "description": "An open data pipeline that checks published figures about the tech labor "
    "market against the official series they rest on.",
}
# How each status reads as a verdict.
VERDICT_WORDS: dict[str, str] = {
    "consistent": "Consistent with the official data",
    "inconsistent": "Inconsistent with the official data",
    "unverifiable": "Cannot be checked",
    "conflict": "Conflicting attribution",
}
assert set(VERDICT_WORDS) == set(CLAIM_STATUSES), "a verdict in words for every status"


def claim_review_path(article_id: str) -> str:
    return f"{CLAIM_REVIEWS_FOLDER}/{article_id}.jsonld"


def _claim(article: Mapping[str, Any]) -> dict[str, Any]:
    appearance: dict[str, Any] = {"@type": "CreativeWork", "headline": article["title"]}
    if article["url"]:
        appearance["url"] = article["url"]
    claim: dict[str, Any] = {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": article["publisher"]},
        "appearance": appearance,
    }
    if article["published_on"] is not None:
        claim["datePublished"] = f"{article['published_on']}"
    return claim


def _words_reviewed(row: Mapping[str, Any], printed: Mapping[str, str]) -> str:
    """A figure's exact words as printed; a claim's statement."""
    if row["kind"] == "figure_vs_official":
        return printed[row["inputs"][0]]
    return row["statement"]


def claim_reviews(
    claim_checks: pl.DataFrame,
    articles: pl.DataFrame,
    figures: pl.DataFrame,
    reviewed_on: str,
) -> dict[str, dict[str, Any]]:
    """One JSON-LD document per article with checked statements: `{article_id: document}`.
    `reviewed_on` is the day the ledger was computed (YYYY-MM-DD)."""
    printed = dict(zip(figures["figure_id"], figures["as_printed"], strict=True))
    documents = {}
    rows = claim_checks.filter(
        pl.col("kind").is_in(REVIEWED_KINDS) & pl.col("article_id").is_not_null()
    ).sort("claim_id")
    for article in articles.sort("article_id").iter_rows(named=True):
        reviews = [
            {
                "@type": "ClaimReview",
                "author": REVIEWER,
                "datePublished": reviewed_on,
                "claimReviewed": _words_reviewed(row, printed),
                "itemReviewed": _claim(article),
                "reviewRating": {
                    "@type": "Rating",
                    "alternateName": VERDICT_WORDS[row["status"]],
                    "ratingExplanation": row["explanation"],
                },
            }
            for row in rows.filter(pl.col("article_id") == article["article_id"]).iter_rows(
                named=True
            )
        ]
        if reviews:
            documents[article["article_id"]] = {"@context": "https://schema.org", "@graph": reviews}
    return documents


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
