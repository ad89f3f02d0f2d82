"""The framework-free core: config, errors, phases, keys, ports and the page stage at the top.

One room per job below it (imaging, extract, archive, db, intake, work, review), each saying
in its ``__init__`` what it owns and what it may import; tests/test_layering.py holds them
to it. Never imports Prefect, FastAPI or Starlette, nor the bench.
"""
