"""Pay over time from the OEWS national files: premiums of the occupation pairs at every published
percentile and year, growth within a code across SOC revisions, trend verdicts, and their ledger
rows (`premiums`). Reading the OEWS files themselves is a source format (`labor_lake.sources.oews`).

May import: `checks` (its rows are ledger rows, built and traced the same way), `sources`, `lake`,
`registry`, `schemas`.
"""
