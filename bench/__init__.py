"""fleetreport's benchmarks: the SPEC §7 budgets measured as deterministic costs (items, calls) and ratios.

`python -m bench.run` runs every scenario and prints a table; `--write bench/RESULTS.md` keeps it;
`--smoke` runs tiny sizes so CI keeps the harness from rotting. See docs/performance.md.
"""
