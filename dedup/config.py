"""The one frozen configuration of a run; it is written verbatim into the report."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import UsageError

#: Largest ``num_perm``: signatures take 4 bytes per permutation per record (4 KB a record at 1024).
MAX_NUM_PERM = 1024
#: Largest ``ngram`` the shingle hash supports.
MAX_NGRAM = 64
#: Largest ``workers``.
MAX_WORKERS = 1024


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

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Reject values no run can use, with :class:`~dedup.errors.UsageError` (exit code 2) naming the
        option. A library caller gets the same checks as the command line.

        >>> Config(threshold=1.0)
        Traceback (most recent call last):
        ...
        dedup.errors.UsageError: --threshold: must be a number between 0 and 1 (exclusive), got 1.0
        """
        def bad(option: str, rule: str, value: object, hint: str | None = None) -> UsageError:
            return UsageError(f"must be {rule}, got {value!r}", path=option, hint=hint)

        def number(v: object) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

        def integer(v: object) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        for option, value in (("--threshold", self.threshold), ("containment", self.containment),
                              ("title_jaccard", self.title_jaccard)):
            if not number(value) or not 0.0 < value < 1.0:
                raise bad(option, "a number between 0 and 1 (exclusive)", value,
                          "0.8 is the default; 0.9 merges only closer copies" if option == "--threshold" else None)
        if not integer(self.num_perm) or not 8 <= self.num_perm <= MAX_NUM_PERM or self.num_perm % 8:
            raise bad("--num-perm", f"a multiple of 8 from 8 to {MAX_NUM_PERM}", self.num_perm, "128 is the default")
        if not integer(self.ngram) or not 1 <= self.ngram <= MAX_NGRAM:
            raise bad("--ngram", f"a whole number from 1 to {MAX_NGRAM}", self.ngram, "5 is the default")
        if not integer(self.seed) or not 0 <= self.seed < 2**32:
            raise bad("seed", "a whole number from 0 to 2**32 - 1", self.seed)
        if self.bands is not None and (not integer(self.bands) or not 1 <= self.bands <= self.num_perm):
            raise bad("bands", f"None or a whole number from 1 to num_perm ({self.num_perm})", self.bands)
        if self.workers is not None and (not integer(self.workers) or not 1 <= self.workers <= MAX_WORKERS):
            raise bad("--workers", f"a whole number from 1 to {MAX_WORKERS}", self.workers)
        if self.engine not in ("local", "ray"):
            raise bad("--engine", "local or ray", self.engine)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
