"""dedup: turn scraped paper-listing dumps into one clean, deduplicated JSONL corpus."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
