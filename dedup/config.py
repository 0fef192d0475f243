"""The one frozen configuration of a run; it is written verbatim into the report."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any


def default_workers() -> int:
    """All cores the process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Config:
    """Parameters of a ``dedup run``. Every default is documented here and in the README.

    >>> Config().threshold
    0.8
    >>> Config(threshold=0.9).num_perm
    128
    """

    #: Jaccard similarity (on word n-grams of the dedup key of the abstract) above which two copies
    #: are the same paper.
    threshold: float = 0.8
    #: MinHash permutations per signature.
    num_perm: int = 128
    #: Word n-gram size of the shingles.
    ngram: int = 5
    #: Seed of the MinHash permutations (numpy ``RandomState``, as datasketch draws them).
    seed: int = 1
    #: LSH bands x rows; ``None`` picks 16 x 8 for 128 permutations (see docs/design.md: datasketch's
    #: own optimum for 0.8/128, 9 x 13, finds only ~40% of pairs at Jaccard 0.8).
    bands: int | None = None
    #: Estimated containment of a shorter (truncated) abstract in a longer one above which they merge,
    #: when their titles agree (0.8 leaves room for a sentence dropped from the longer copy).
    containment: float = 0.8
    #: Estimated Jaccard above which two copies with the same title merge: two copies that each lost
    #: a different sentence, or a truncated copy against one that lost a sentence, fall to 0.4-0.5;
    #: different papers that share a title share next to no 5-grams (Jaccard < 0.1).
    title_jaccard: float = 0.35
    #: Worker processes; ``None`` means all cores.
    workers: int | None = None
    #: ``local`` (multiprocessing) or ``ray``.
    engine: str = "local"
    extra: dict[str, Any] = field(default_factory=dict)

    def band_split(self) -> tuple[int, int]:
        """LSH bands x rows of the abstract signature (``bands`` resolved once, here)."""
        from .lsh import choose_bands

        if self.bands is None:
            return choose_bands(self.threshold, self.num_perm)
        return self.bands, self.num_perm // self.bands

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
