"""Dagster commands find the project's instance from any of its folders (pipelines/dagster_home.py,
pipelines/instance_storage.py); the end-to-end run from `tests/` is in test_quickstart.py."""

from __future__ import annotations

from pathlib import Path

from pipelines.dagster_home import dagster_home
from pipelines.instance_storage import under_instance_folder

from .conftest import REPO_ROOT


def test_a_dagster_command_in_a_subfolder_gets_the_project_root() -> None:
    for command in ("dg", "/venv/bin/dagster", "dagster-webserver", "dagster-daemon"):
        assert dagster_home([command], {}, REPO_ROOT / "tests" / "data") == str(REPO_ROOT)


def test_an_exported_home_other_programs_and_other_folders_are_left_alone(tmp_path: Path) -> None:
    assert dagster_home(["dg"], {"DAGSTER_HOME": "/elsewhere"}, REPO_ROOT / "tests") is None
    assert dagster_home(["pytest"], {}, REPO_ROOT / "tests") is None
    assert dagster_home(["dg"], {}, tmp_path) is None
    # A project without a dagster.yaml (the nearest pyproject.toml decides) is not ours to set.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'other'\n")
    (tmp_path / "src").mkdir()
    assert dagster_home(["dg"], {}, tmp_path / "src") is None


def test_relative_storage_folders_are_under_the_instance_folder(monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(REPO_ROOT))
    monkeypatch.chdir(REPO_ROOT / "tests")
    assert under_instance_folder(".dagster/storage") == str(REPO_ROOT / ".dagster" / "storage")
    assert under_instance_folder("/var/dagster") == "/var/dagster"
