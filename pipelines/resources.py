"""Dagster resources: where the lake lives and where the registry files are."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from labor_lake.lake import Lake


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake root: a local path or an fsspec URL such as `s3://bucket/lake`."""

    root: str

    @property
    def lake(self) -> Lake:
        return Lake(self.root)


class RegistryFiles(dg.ConfigurableResource):
    """The human-edited registry files: published figures and claims."""

    figures_path: str
    claims_path: str

    def fingerprint(self) -> str:
        """SHA-256 over both files' bytes; changes whenever either file changes."""
        digest = hashlib.sha256()
        for path in (self.figures_path, self.claims_path):
            file = Path(path)
            digest.update(path.encode())
            digest.update(file.read_bytes() if file.is_file() else b"<missing>")
        return digest.hexdigest()
