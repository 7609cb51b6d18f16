"""Articles as records: a figure names the article it was transcribed from in `source_document`
as `article:<article_id>`, which must be a row of registry/articles.csv."""

from __future__ import annotations

from datetime import date

import polars as pl

from labor_lake.registry.validation import Problem
from schemas.tables import ARTICLE_DOCUMENT_PREFIX


def article_id_of(source_document: str | None) -> str | None:
    """The article a `source_document` names, or None when it names an official file."""
    if source_document and source_document.startswith(ARTICLE_DOCUMENT_PREFIX):
        return source_document.removeprefix(ARTICLE_DOCUMENT_PREFIX)
    return None


def article_id_expr() -> pl.Expr:
    """`source_document` as the article id it names (null for an official file)."""
    return (
        pl.when(pl.col("source_document").str.starts_with(ARTICLE_DOCUMENT_PREFIX))
        .then(pl.col("source_document").str.strip_prefix(ARTICLE_DOCUMENT_PREFIX))
        .otherwise(None)
    )


def unknown_article_problems(figures: pl.DataFrame, articles: pl.DataFrame) -> list[Problem]:
    """Figures whose `source_document` names an article that registry/articles.csv lacks."""
    known = set(articles["article_id"])
    return [
        Problem(
            "known_article: names no row of the articles registry",
            column="source_document",
            value=figure["source_document"],
            record=figure["figure_id"],
            line=figure["source_line"],
            file=figure["source_file"],
        )
        for figure in figures.iter_rows(named=True)
        if (article := article_id_of(figure["source_document"])) is not None
        and article not in known
    ]


def published_on_by_figure(figures: pl.DataFrame, articles: pl.DataFrame) -> dict[str, date | None]:
    """Figure id -> the day its article was published (None: no article, or an undated one)."""
    days = dict(zip(articles["article_id"], articles["published_on"], strict=True))
    return {
        figure_id: days.get(article) if article else None
        for figure_id, article in zip(
            figures["figure_id"], figures.select(article_id_expr())["source_document"], strict=True
        )
    }
