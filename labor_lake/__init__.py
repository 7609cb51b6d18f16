"""labor-lake domain logic: registry parsing, periods, formulas, the claim ledger, lake I/O.

Nothing in this package knows about Dagster except through `schemas`; the Dagster wiring lives in
`assets/` and `pipelines/`.
"""
