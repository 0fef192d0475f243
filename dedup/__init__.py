"""dedup: turn scraped paper-listing dumps into one clean, deduplicated JSONL corpus.

The public API; the heavy parts (ftfy, numpy) load on first use so that ``dedup --help`` starts fast.

>>> from dedup import canonicalize
>>> canonicalize("We get 6.1times smaller models when m gg n.")
'We get 6.1× smaller models when m ≫ n.'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Config",
    "DedupError",
    "__version__",
    "canonicalize",
    "canonicalize_with_repairs",
    "dedup_key",
    "read_paths",
    "run",
]

_LAZY = {
    "Config": "dedup.config",
    "DedupError": "dedup.errors",
    "canonicalize": "dedup.canonical",
    "canonicalize_with_repairs": "dedup.canonical",
    "dedup_key": "dedup.canonical",
    "read_paths": "dedup.read",
    "run": "dedup.pipeline",
}

if TYPE_CHECKING:
    from dedup.canonical import canonicalize, canonicalize_with_repairs, dedup_key
    from dedup.config import Config
    from dedup.errors import DedupError
    from dedup.pipeline import run
    from dedup.read import read_paths


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dedup' has no attribute {name!r}")
