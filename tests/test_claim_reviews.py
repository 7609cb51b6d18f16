"""The ledger as schema.org ClaimReview documents, validated against the schema.org vocabulary
itself (release 30.0, tests/data/schemaorg/, real: see tests/data/README.md): every type is a
schema.org class, every property is one whose domain includes the node's type (or a type it
inherits from), and every value is of a type in the property's range."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

VOCABULARY = Path(__file__).parent / "data" / "schemaorg" / "schemaorg-current-https.jsonld.gz"
# Literal values: what a JSON string may stand for.
TEXT_TYPES = {"schema:Text", "schema:URL", "schema:Date", "schema:DateTime"}


@cache
def _vocabulary() -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """(class -> its superclasses, transitively, itself included;
    property -> {"domain": classes, "range": classes})."""
    graph = json.loads(gzip.decompress(VOCABULARY.read_bytes()))["@graph"]

    def ids(value: Any) -> set[str]:
        values = value if isinstance(value, list) else [value] if value else []
        return {v["@id"] for v in values}

    parents = {}
    properties = {}
    for node in graph:
        types = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        if "rdfs:Class" in types:
            parents[node["@id"]] = ids(node.get("rdfs:subClassOf"))
        if "rdf:Property" in types:
            properties[node["@id"]] = {
                "domain": ids(node.get("schema:domainIncludes")),
                "range": ids(node.get("schema:rangeIncludes")),
            }

    @cache
    def ancestors(cls: str) -> frozenset[str]:
        found = {cls}
        for parent in parents.get(cls, ()):
            found |= ancestors(parent)
        return frozenset(found)

    return {cls: set(ancestors(cls)) for cls in parents}, properties


def schema_problems(node: dict[str, Any], where: str = "$") -> list[str]:
    """Everything in `node` (and below) that the schema.org vocabulary does not allow."""
    classes, properties = _vocabulary()
    cls = f"schema:{node.get('@type')}"
    if cls not in classes:
        return [f"{where}: {node.get('@type')!r} is not a schema.org type"]
    problems = []
    for key, value in node.items():
        if key.startswith("@"):
            continue
        prop = properties.get(f"schema:{key}")
        if prop is None:
            problems.append(f"{where}.{key}: not a schema.org property")
            continue
        if not prop["domain"] & classes[cls]:
            problems.append(f"{where}.{key}: not a property of {node['@type']}")
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            at = f"{where}.{key}[{index}]"
            if isinstance(item, dict):
                item_cls = f"schema:{item.get('@type')}"
                if not classes.get(item_cls, set()) & prop["range"]:
                    problems.append(f"{at}: a {item.get('@type')} is not in the range of {key}")
                problems += schema_problems(item, at)
            elif isinstance(item, str):
                if not (prop["range"] & TEXT_TYPES):
                    problems.append(f"{at}: text is not in the range of {key}")
            else:
                problems.append(f"{at}: {type(item).__name__} is not a JSON-LD value here")
    return problems


def _documents(root: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.jsonld"))}


@pytest.fixture(scope="module")
def released(published_lake: Path) -> Path:
    latest = json.loads((published_lake / "releases" / "latest.json").read_text())
    return published_lake / "releases" / latest["release"]


def test_every_article_has_its_claim_reviews_beside_the_release(released: Path) -> None:
    documents = _documents(released / "claim_reviews")
    articles = pl.read_parquet(released / "core" / "articles.parquet")
    assert len(documents) >= 7
    assert set(documents) <= set(articles["article_id"])
    checks = pl.read_parquet(released / "metrics" / "claim_checks.parquet")
    reviewed = checks.filter(
        pl.col("kind").is_in(["article_claim", "figure_vs_official"])
        & pl.col("article_id").is_not_null()
    )
    assert sum(len(d["@graph"]) for d in documents.values()) == reviewed.height


def test_claim_reviews_are_valid_schema_org(released: Path) -> None:
    for article_id, document in _documents(released / "claim_reviews").items():
        assert document["@context"] == "https://schema.org"
        for index, review in enumerate(document["@graph"]):
            assert schema_problems(review, f"{article_id}[{index}]") == []


def test_a_review_names_the_claim_its_author_date_address_and_verdict(released: Path) -> None:
    reviews = _documents(released / "claim_reviews")["hiringlab_2024_03_lmu_ai"]["@graph"]
    review = next(r for r in reviews if "end of February 2024" in r["claimReviewed"])
    claim = review["itemReviewed"]
    assert claim["author"]["name"] == "Indeed Hiring Lab"
    assert claim["datePublished"] == "2024-03-14"
    assert claim["appearance"]["url"].startswith("https://www.hiringlab.org/2024/03/14/")
    assert review["author"]["name"] == "labor-lake"
    assert review["reviewRating"]["alternateName"] == "Consistent with the official data"
    assert "indeed:ai_share:US" in review["reviewRating"]["ratingExplanation"]


@pytest.mark.parametrize(
    ("review", "problem"),
    [
        ({"@type": "ClaimReview", "verdict": "true"}, "$.verdict: not a schema.org property"),
        ({"@type": "FactCheck"}, "'FactCheck' is not a schema.org type"),
        (
            {"@type": "ClaimReview", "reviewRating": {"@type": "Person", "name": "x"}},
            "$.reviewRating[0]: a Person is not in the range of reviewRating",
        ),
        (
            {"@type": "Claim", "claimReviewed": "x"},
            "$.claimReviewed: not a property of Claim",
        ),
    ],
)
def test_the_validator_refuses_what_schema_org_does_not_define(review, problem) -> None:
    assert problem in "\n".join(schema_problems(review))
