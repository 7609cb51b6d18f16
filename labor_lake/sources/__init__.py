"""The official sources: the catalog of datasets (`catalog`, `publishers`), fetching with every
limit applied (`http`), one connector per protocol (`connector` declares the protocol; `bls`,
`fred`, `http_file`, registered in `protocols`), file formats that need their own reader (`oews`),
the vintages of each answer (`payloads`), refreshing dataset by dataset with fallbacks (`refresh`),
and the recorded snapshots and their re-recording (`snapshots`, `record`).

May import: `lake`, `registry`, `schemas`. Nothing in it computes a metric or checks a claim.
"""
