"""Assets for the human-edited registry: published figures and the claims made from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import table_asset_arguments, validated_outputs
from assets.resources import RegistryFiles
from assets.settings import display_path
from labor_lake.checks.ledger import claim_problems, figures_by_id
from labor_lake.registry.files import parse_registry, read_registry_csv
from labor_lake.registry.validation import ValidationFailed
from schemas.tables import CORE_CLAIMS, CORE_PUBLISHED_FIGURES, RAW_CLAIMS, RAW_PUBLISHED_FIGURES

Results = Iterator[dg.Output | dg.AssetCheckResult]


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


@dg.asset(
    **table_asset_arguments(
        CORE_PUBLISHED_FIGURES,
        logic=(parse_registry,),
        inputs={"raw_published_figures": RAW_PUBLISHED_FIGURES},
    )
)
def core_published_figures(raw_published_figures: pl.DataFrame) -> Results:
    """Every figure typed and validated: numbers parsed, periods turned into calendar bounds,
    units, measures and qualifiers from the controlled vocabulary, values within the range their
    unit allows, ranges ordered, and a citation on every record."""
    yield from validated_outputs(
        (CORE_PUBLISHED_FIGURES,),
        lambda: parse_registry(raw_published_figures, CORE_PUBLISHED_FIGURES),
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
