"""The Parquet lake: files written atomically on a local disk or an object store (`files`), tables
and their partitions (`tables`), the `datapackage.json` that describes them (`datapackage`), the
writer lock (`lock`), immutable dated releases (`releases`), the DuckDB views (`duckdb_views`) and
the notebook reader (`reader`).

May import: `schemas` only. The bottom of the domain, beside `registry`; the two are independent.
Inside it, `files` knows files and nothing of the package that describes them: `datapackage` reads
files, `tables` writes them and keeps the package in step.
"""
