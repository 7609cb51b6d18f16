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


def assert_latest_release_is_complete(root: Path) -> str:
    """latest.json names a release whose datapackage lists every file with its true hash."""
    name = json.loads((root / "releases" / "latest.json").read_text())["release"]
    folder = root / "releases" / name
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["resources"], f"release {name} is empty"
    for resource in package["resources"]:
        assert resource["hash"] == _sha256(folder / resource["path"]), f"{name}/{resource['path']}"
    return name


def partial_files(root: Path) -> list[str]:
    """Temporary files and staging folders a reader could see."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".staging-")
    )
