"""One connector per catalog protocol."""

from __future__ import annotations

from labor_lake.sources import bls, fred, github
from labor_lake.sources.bls import BlsApiConnector
from labor_lake.sources.connector import Connector, SecretLookup
from labor_lake.sources.fred import FredConnector
from labor_lake.sources.http_file import HttpFileConnector

# The environment variables holding the protocols' API keys and GitHub's token (each optional).
API_KEY_VARIABLES = (bls.KEY_VARIABLE, fred.KEY_VARIABLE, github.TOKEN_VARIABLE)


def connectors(secret: SecretLookup) -> dict[str, Connector]:
    """The connector of each protocol named in labor_lake.sources.catalog.PROTOCOLS; API keys are looked
    up through `secret` at the moment a request is sent."""
    return {
        "http_file": HttpFileConnector(),
        "bls_api_v2": BlsApiConnector(secret),
        "fred": FredConnector(secret),
    }
