"""Checks a user would make on a lake after anything went wrong: the package file tells the truth
about the files beside it, the latest release is complete, no partial file is visible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from schemas.tables import ALL_TABLES


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def assert_datapackage_matches_files(root: Path) -> None:
    """datapackage.json lists exactly the table files present, each with its true hash and size."""
    package = json.loads((root / "datapackage.json").read_text())
    # A partitioned table is one resource with one entry per file under `parts`.
    listed = {part["path"]: part for r in package["resources"] for part in r.get("parts", [r])}
    present = {
        str(p.relative_to(root))
        for t in ALL_TABLES
        for p in (
            sorted((root / t.relative_path).rglob("*.parquet"))
            if t.partition_by
            else [root / t.relative_path]
        )
        if p.is_file()
    }
    assert set(listed) == present, f"datapackage lists {sorted(listed)}, lake has {present}"
    for path, resource in listed.items():
        assert resource["hash"] == _sha256(root / path), f"{path}: datapackage hash is stale"
        assert resource["bytes"] == (root / path).stat().st_size, path


def table_files(root: Path) -> set[str]:
    """Lake-relative paths of every published table file in `root` (a lake or a release): a
    partitioned table's partition files, every other table's one file."""
    return {
        str(p.relative_to(root))
        for t in ALL_TABLES
        if t.published
        for p in (
            sorted((root / t.relative_path).rglob("*.parquet"))
            if t.partition_by
            else [root / t.relative_path]
        )
        if p.is_file()
    }


def released_files(package: dict) -> set[str]:
    """Every file a release's datapackage lists (a partitioned table's under `parts`)."""
    return {part["path"] for r in package["resources"] for part in r.get("parts", [r])}


def assert_latest_release_is_complete(root: Path) -> str:
    """latest.json names a release whose datapackage lists every file with its true hash."""
    name = json.loads((root / "releases" / "latest.json").read_text())["release"]
    folder = root / "releases" / name
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["resources"], f"release {name} is empty"
    for path in released_files(package):
        assert package_part(package, path)["hash"] == _sha256(folder / path), f"{name}/{path}"
    assert released_files(package) == table_files(folder), f"release {name}: files not listed"
    return name


def package_part(package: dict, path: str) -> dict:
    """The entry describing `path` in a datapackage (a resource, or one of its `parts`)."""
    return next(p for r in package["resources"] for p in r.get("parts", [r]) if p["path"] == path)


def partial_files(root: Path) -> list[str]:
    """Temporary files and staging folders a reader could see."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".staging-")
    )
