"""What people see: the HTML report and its charts (`report`), and the closing summary of a run
(`run_summary`).

May import: everything else in the domain, and `schemas`. Nothing imports it but the wiring.
"""
