"""Assets for the human-edited registry: published figures and the claims made from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import table_asset_arguments, validated_outputs
from assets.resources import OfficialSources, RegistryFiles
from assets.settings import display_path
from labor_lake.checks.ledger import claim_problems, figures_by_id
from labor_lake.checks.readings import reading_problems
from labor_lake.registry.articles import unknown_article_problems
from labor_lake.registry.files import parse_registry, read_registry_csv
from labor_lake.registry.validation import ValidationFailed
from labor_lake.sources.series import SeriesFamily, catalog_series
from schemas.tables import (
    CORE_ARTICLES,
    CORE_CLAIMS,
    CORE_PUBLISHED_FIGURES,
    RAW_ARTICLES,
    RAW_CLAIMS,
    RAW_PUBLISHED_FIGURES,
)

Results = Iterator[dg.Output | dg.AssetCheckResult]


@dg.asset(**table_asset_arguments(RAW_ARTICLES, logic=(read_registry_csv,)))
def raw_articles(registry: RegistryFiles) -> Results:
    """The articles registry (`$LABOR_LAKE_ARTICLES`, default `registry/articles.csv`) exactly
    as written: every cell as text, with the file, line and SHA-256 it came from."""
    path = registry.articles_path
    yield from validated_outputs(
        (RAW_ARTICLES,), lambda: read_registry_csv(Path(path), RAW_ARTICLES, display_path(path))
    )


@dg.asset(
    **table_asset_arguments(
        CORE_ARTICLES, logic=(parse_registry,), inputs={"raw_articles": RAW_ARTICLES}
    )
)
def core_articles(raw_articles: pl.DataFrame) -> Results:
    """Every article typed and validated: one row per article id, with its title, publisher,
    address and the days it was published and retrieved (real calendar days)."""
    yield from validated_outputs(
        (CORE_ARTICLES,), lambda: parse_registry(raw_articles, CORE_ARTICLES)
    )


@dg.asset(**table_asset_arguments(RAW_PUBLISHED_FIGURES, logic=(read_registry_csv,)))
def raw_published_figures(registry: RegistryFiles) -> Results:
    """The published-figures registry (`$LABOR_LAKE_FIGURES`, default
    `registry/published_figures.csv`) exactly as written: every cell as text, with the file,
    line and SHA-256 it came from. Fails, naming the file and line, when the file is missing,
    empty, or has missing, unknown or extra columns."""
    path = registry.figures_path
    yield from validated_outputs(
        (RAW_PUBLISHED_FIGURES,),
        lambda: read_registry_csv(Path(path), RAW_PUBLISHED_FIGURES, display_path(path)),
    )


@dg.asset(**table_asset_arguments(RAW_CLAIMS, logic=(read_registry_csv,)))
def raw_claims(registry: RegistryFiles) -> Results:
    """The claims registry (`$LABOR_LAKE_CLAIMS`, default `registry/claims.csv`) exactly as
    written: every cell as text, with the file, line and SHA-256 it came from."""
    path = registry.claims_path
    yield from validated_outputs(
        (RAW_CLAIMS,), lambda: read_registry_csv(Path(path), RAW_CLAIMS, display_path(path))
    )


def _core_published_figures(
    raw_figures: pl.DataFrame, articles: pl.DataFrame, families: tuple[SeriesFamily, ...]
) -> pl.DataFrame:
    figures = parse_registry(raw_figures, CORE_PUBLISHED_FIGURES)
    file = str(raw_figures["source_file"][0])
    problems = unknown_article_problems(figures, articles) + reading_problems(
        figures, families, file
    )
    if problems:
        raise ValidationFailed(file, problems)
    return figures


@dg.asset(
    **table_asset_arguments(
        CORE_PUBLISHED_FIGURES,
        logic=(parse_registry, _core_published_figures, reading_problems, catalog_series),
        inputs={"raw_published_figures": RAW_PUBLISHED_FIGURES, "core_articles": CORE_ARTICLES},
    )
)
def core_published_figures(
    raw_published_figures: pl.DataFrame,
    core_articles: pl.DataFrame,
    official_sources: OfficialSources,
) -> Results:
    """Every figure typed and validated: numbers parsed, periods (to the day) turned into
    calendar bounds, units, measures, qualifiers and readings from the controlled vocabulary,
    values within the range their unit allows, ranges ordered, a citation on every record; each
    `article:<id>` naming a row of the articles registry, each official series one the source
    catalog can produce, and each reading giving the figure's unit from that series' unit."""
    families = catalog_series(official_sources.catalog)
    yield from validated_outputs(
        (CORE_PUBLISHED_FIGURES,),
        lambda: _core_published_figures(raw_published_figures, core_articles, families),
    )


def _core_claims(raw_claims: pl.DataFrame, figures: pl.DataFrame) -> pl.DataFrame:
    claims = parse_registry(raw_claims, CORE_CLAIMS)
    problems = claim_problems(claims, figures_by_id(figures))
    if problems:
        raise ValidationFailed(str(raw_claims["source_file"][0]), problems)
    return claims


@dg.asset(
    **table_asset_arguments(
        CORE_CLAIMS,
        logic=(parse_registry, claim_problems, _core_claims),
        inputs={"raw_claims": RAW_CLAIMS, "core_published_figures": CORE_PUBLISHED_FIGURES},
    )
)
def core_claims(raw_claims: pl.DataFrame, core_published_figures: pl.DataFrame) -> Results:
    """Every claim typed and validated; each input figure id must name a row of
    core/published_figures, the formula must get the number of inputs it takes, and the stated
    unit must be the unit the formula produces."""
    yield from validated_outputs(
        (CORE_CLAIMS,), lambda: _core_claims(raw_claims, core_published_figures)
    )
