"""The human-edited files, read strictly: the registry CSVs (`files`), the grammar of periods
(`periods`), numbers as people write them (`numbers`), and the problems found in them with their
file, line, column and value (`validation`), which every later stage reports in the same shape.

May import: `schemas` only. The bottom of the domain, beside `lake`; the two are independent.
"""
