"""The notebook reader: finds the lake without depending on the current folder, and says which
releases exist when asked for one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets import settings
from labor_lake.lake.files import Lake
from labor_lake.lake.reader import lake_root, read_table, releases

from .conftest import REPO_ROOT


def test_default_lake_is_the_repositorys_wherever_the_notebook_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.LAKE_ROOT_ENV, raising=False)
    notebooks = tmp_path / "analysis" / "notebooks"
    notebooks.mkdir(parents=True)
    monkeypatch.chdir(notebooks)
    assert lake_root() == str(REPO_ROOT / "data_lake")
    monkeypatch.setenv(settings.LAKE_ROOT_ENV, str(tmp_path / "elsewhere"))
    assert lake_root() == str(tmp_path / "elsewhere")


def test_reader_follows_labor_lake_root_from_a_subfolder(
    published_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.LAKE_ROOT_ENV, str(published_lake))
    monkeypatch.chdir(tmp_path)
    assert read_table("metrics/claim_checks").height > 0


def test_unknown_release_lists_the_releases_that_exist(published_lake: Path) -> None:
    existing = releases(Lake(str(published_lake)))
    assert existing
    with pytest.raises(FileNotFoundError) as raised:
        read_table("metrics/claim_checks", release="1999-01-01", root=str(published_lake))
    message = str(raised.value)
    assert "no release '1999-01-01'" in message and all(name in message for name in existing)


def test_a_partitioned_table_reads_the_same_from_the_lake_and_its_release(
    published_lake: Path,
) -> None:
    root = str(published_lake)
    current = read_table("core/oews_estimates", root=root)
    assert current["year"].n_unique() > 1
    assert read_table("core/oews_estimates", release="latest", root=root).equals(current)
