"""tradeflow benchmarks: synthetic Comext data at scale through the real extract, load and dbt code.

`python -m bench --scales 1m,10m` (or `make bench`); see docs/performance.md.
"""
