"""Shared pytest setup: make ``benchmarks/`` importable (``import generate``) for the tests, and run property
tests without Hypothesis's per-example deadline (speed is measured by benchmarks/, never asserted in tests: on
a loaded CI machine the first example also pays module imports)."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import settings

settings.register_profile("dedup", deadline=None)
settings.load_profile("dedup")

_BENCHMARKS = str(Path(__file__).resolve().parent.parent / "benchmarks")
if _BENCHMARKS not in sys.path:
    sys.path.insert(0, _BENCHMARKS)
