"""The search benchmark: POLCA against GEPA and OpenEvolve with the model held fixed.

Synthetic stochastic problems (``problems``), one simulated model that serves every
contestant (``model``), the contestants, and the harness (``run``) that runs them in
subprocesses and writes ``RESULTS.md``, raw JSON and curves. Run from the repository root::

    .venv/bin/python -m benchmarks.search.run
"""
