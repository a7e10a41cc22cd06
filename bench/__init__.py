"""Benchmarks for authz-mcp: `python -m bench.run [--quick]` (see bench/run.py)."""
