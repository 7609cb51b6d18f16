"""Checking numbers: the formulas (`formulas`, declared in `schemas.formulas`), when two figures
may be compared (`comparability`), the one builder of metric and claim-check rows (`rows`), which
input ids a row rests on (`lineage`), published figures against their official series and the
postings windows (`official`, `comparisons`), and the ledger of claims (`ledger`).

May import: `sources`, `lake`, `registry`, `schemas`.
"""
