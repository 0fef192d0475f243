"""LSH banding of MinHash signatures into candidate pairs, vectorised with numpy.

A signature of ``bands * rows`` slots (the first ``bands * rows`` of ``num_perm``, as datasketch) is cut
into ``bands`` bands of ``rows`` consecutive slots; two docs are a candidate pair when some band of theirs
is identical. Per band, every doc's band is hashed to 64 bits, the hashes are sorted, and every run of
equal values is a bucket. The result is the same pair set as datasketch's ``MinHashLSH`` with
``params=(bands, rows)``, inserting every doc and querying every doc: within each bucket of equal hashes
the band contents are compared, so a collision of the 64-bit band hash (which datasketch, keying buckets
by the band's bytes, cannot have) splits the bucket exactly instead of adding a false pair.

Memory: about 100 bytes per doc for a band pass (band copy, hash, sort keys, run flags) plus the pairs:
~100 MB traced peak at 1,000,000 docs beyond the signature matrix; 16 bands of 1,000,000 x 128 uint32
signatures take ~1.3 s on one core (``benchmarks/bench_signatures.py --banding-n 1000000``).

Bucket sizes: a bucket of ``m`` docs yields ``m (m - 1) / 2`` pairs. The pipeline removes exact duplicates
before LSH, so big buckets are rare; above ``max_bucket`` members a bucket yields a *star* instead (its
smallest doc index paired with each other member: ``m - 1`` pairs, still connecting the bucket for
union-find), and :func:`candidate_pairs_with_stats` counts those capped buckets.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dedup.signatures import empty_mask

__all__ = [
    "BandingResult",
    "candidate_probability",
    "candidate_pairs",
    "candidate_pairs_with_stats",
    "choose_bands",
    "datasketch_candidate_pairs",
]

_U64 = np.uint64
#: Odd 64-bit multipliers of the band hash (splitmix64 outputs; fixed so runs are reproducible).
_BAND_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
    ],
    dtype=_U64,
)


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """Probability that two docs of Jaccard ``s`` share at least one band: ``1 - (1 - s^rows)^bands``.

    >>> round(candidate_probability(0.8, 16, 8), 3), round(candidate_probability(0.8, 9, 13), 3)
    (0.947, 0.399)
    """
    return 1.0 - (1.0 - s**rows) ** bands


def choose_bands(threshold: float, num_perm: int, fp_at: float | None = None) -> tuple[int, int]:
    """LSH split ``(bands, rows)`` with ``bands * rows <= num_perm`` for a Jaccard ``threshold``.

    Picks the split that maximises ``P(candidate | J = threshold) - P(candidate | J = fp_at)``: recall at
    the threshold minus the candidate rate of clearly different docs, ``fp_at`` defaulting to
    ``max(threshold - 0.3, threshold / 2)`` (0.5 for 0.8). Ties go to the split that uses more
    permutations, then to more rows. Unlike datasketch's optimiser (integrals of false positive and
    negative rates, 9 x 13 for 0.8/128, which finds only ~40% of the pairs at J = 0.8), this favours
    recall at the threshold; the pipeline verifies every candidate anyway.

    >>> choose_bands(0.8, 128)
    (16, 8)
    >>> b, r = choose_bands(0.9, 128); b * r <= 128 and candidate_probability(0.9, b, r) > 0.98
    True
    >>> choose_bands(0.8, 64)
    (9, 7)
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")
    low = max(threshold - 0.3, threshold / 2) if fp_at is None else fp_at
    if not 0.0 <= low < threshold:
        raise ValueError(f"fp_at must be in [0, threshold), got {low}")
    best: tuple[float, int, int] | None = None
    choice = (2, num_perm // 2)
    for rows in range(1, num_perm // 2 + 1):
        for bands in range(2, num_perm // rows + 1):
            score = candidate_probability(threshold, bands, rows) - candidate_probability(low, bands, rows)
            key = (round(score, 12), bands * rows, rows)
            if best is None or key > best:
                best, choice = key, (bands, rows)
    return choice


class BandingResult(NamedTuple):
    """Candidate pairs and what the ``max_bucket`` guard did."""

    #: ``(k, 2)`` int64, each row ``(i, j)`` with ``i < j``, unique, lexicographically sorted.
    pairs: np.ndarray
    #: Buckets larger than ``max_bucket`` that yielded a star instead of all their pairs.
    capped_buckets: int
    #: Size of the largest bucket seen (0 without any bucket of two or more docs).
    largest_bucket: int


def _band_hash(sigs: np.ndarray, start: int, stop: int, ids: np.ndarray | None) -> np.ndarray:
    """A 64-bit hash of ``sigs[ids, start:stop]`` per row (uint64); all rows when ``ids`` is None."""
    block = np.ascontiguousarray(sigs[:, start:stop]) if ids is None else sigs[ids, start:stop]
    pack = block.dtype == np.uint32 and block.shape[1] % 2 == 0
    words = block.view(_U64) if pack else block.astype(_U64)  # packing: two slots per word, losslessly
    columns = np.ascontiguousarray(words.T)
    del block, words
    h = columns[0] * _BAND_MULT[0]
    for k in range(1, len(columns)):
        h = (h << _U64(23)) | (h >> _U64(41))
        h ^= columns[k] * _BAND_MULT[k % len(_BAND_MULT)]
    h ^= h >> _U64(33)
    h *= _U64(0xFF51AFD7ED558CCD)
    h ^= h >> _U64(33)
    return h


def _runs_pairs(
    members: np.ndarray, run_starts: np.ndarray, sizes: np.ndarray, max_bucket: int
) -> np.ndarray:
    """``(p, 2)`` doc-id pairs of the runs (buckets) laid out back to back in ``members``.

    Doc ids ascend within each run, so every pair is ``(smaller, larger)``. A run of size ``m`` yields all
    ``m (m - 1) / 2`` pairs, or its star (``m - 1`` pairs from its first member) when ``m > max_bucket``.
    """
    offsets = np.arange(len(members), dtype=np.int64) - np.repeat(run_starts, sizes)
    size_of = np.repeat(sizes, sizes)
    partners = size_of - 1 - offsets
    partners[(size_of > max_bucket) & (offsets > 0)] = 0
    total = int(partners.sum())
    first = np.repeat(np.arange(len(members), dtype=np.int64), partners)
    base = np.zeros(len(partners), dtype=np.int64)
    np.cumsum(partners[:-1], out=base[1:])
    step = np.arange(total, dtype=np.int64) - np.repeat(base, partners) + 1
    return np.stack([members[first], members[first + step]], axis=1)


def _split_exact(band: np.ndarray, docs: np.ndarray) -> list[np.ndarray]:
    """Split one run of equal band hashes by exact band content (only on a 64-bit hash collision)."""
    _, inverse = np.unique(band, axis=0, return_inverse=True)
    return [docs[inverse.ravel() == g] for g in range(int(inverse.max()) + 1)]


def candidate_pairs_with_stats(
    sigs: np.ndarray,
    bands: int,
    rows: int,
    valid: np.ndarray | None = None,
    *,
    max_bucket: int = 1000,
) -> BandingResult:
    """:func:`candidate_pairs` with counts of what the ``max_bucket`` guard did.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.uint32)
    >>> result = candidate_pairs_with_stats(sigs, 2, 2, max_bucket=2)
    >>> result.pairs.tolist(), result.capped_buckets, result.largest_bucket
    ([[0, 1], [0, 2]], 1, 3)
    """
    sigs = np.asarray(sigs)
    if sigs.ndim != 2 or sigs.dtype.kind != "u":
        raise ValueError(f"sigs must be a 2-D unsigned integer matrix, got {sigs.dtype} {sigs.shape}")
    n, width = sigs.shape
    if bands < 1 or rows < 1 or bands * rows > width:
        raise ValueError(f"bands x rows = {bands} x {rows} does not fit signatures of {width} slots")
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be at least 2, got {max_bucket}")
    ok = ~empty_mask(sigs)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != (n,):
            raise ValueError(f"valid must have shape ({n},), got {valid.shape}")
        ok &= valid
    ids = np.flatnonzero(ok)
    m = len(ids)
    empty = np.zeros((0, 2), dtype=np.int64)
    if m < 2:
        return BandingResult(empty, 0, 0)
    # Sort keys: the high bits of the band hash, the position in ``ids`` in the low bits. One np.sort of
    # unique uint64 keys is several times faster than argsort and makes the order deterministic (members
    # of a bucket come out in increasing doc index).
    idx_bits = max(1, (m - 1).bit_length())
    idx_mask = _U64((1 << idx_bits) - 1)
    positions = np.arange(m, dtype=_U64)
    chunks: list[np.ndarray] = []
    capped = 0
    largest = 0
    for band in range(bands):
        start, stop = band * rows, (band + 1) * rows
        keys = _band_hash(sigs, start, stop, None if m == n else ids)
        keys &= ~idx_mask
        keys |= positions
        keys.sort()
        high = keys >> _U64(idx_bits)
        same = high[1:] == high[:-1]
        if not same.any():
            continue
        # Runs of equal hashes with two or more members.
        boundary = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).view(np.int8)))
        run_lo, run_hi = boundary[0::2], boundary[1::2] + 1
        sizes = run_hi - run_lo
        in_run = np.repeat(run_lo, sizes) + (
            np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        )
        members = ids[(keys[in_run] & idx_mask).astype(np.int64)]
        # Exactness: every member's band must equal its run's first member's band.
        content = sigs[members, start:stop]
        heads = np.repeat(np.cumsum(sizes) - sizes, sizes)
        mismatch = np.any(content != content[heads], axis=1)
        run_starts = np.cumsum(sizes) - sizes
        if mismatch.any():
            bad_runs = np.unique(np.searchsorted(run_starts, np.flatnonzero(mismatch), side="right") - 1)
            keep_run = np.ones(len(sizes), dtype=bool)
            keep_run[bad_runs] = False
            groups = [members[run_starts[r] : run_starts[r] + sizes[r]] for r in np.flatnonzero(keep_run)]
            for r in bad_runs.tolist():
                lo = int(run_starts[r])
                groups.extend(_split_exact(content[lo : lo + sizes[r]], members[lo : lo + sizes[r]]))
            groups = [g for g in groups if len(g) > 1]
            if not groups:
                continue
            members = np.concatenate(groups)
            sizes = np.array([len(g) for g in groups], dtype=np.int64)
            run_starts = np.cumsum(sizes) - sizes
        largest = max(largest, int(sizes.max()))
        capped += int(np.count_nonzero(sizes > max_bucket))
        pairs = _runs_pairs(members, run_starts, sizes, max_bucket)
        chunks.append(pairs[:, 0] * n + pairs[:, 1])
    if not chunks:
        return BandingResult(empty, capped, largest)
    codes = np.unique(np.concatenate(chunks))
    return BandingResult(np.stack([codes // n, codes % n], axis=1), capped, largest)


def candidate_pairs(
    sigs: np.ndarray,
    bands: int,
    rows: int,
    valid: np.ndarray | None = None,
    *,
    max_bucket: int = 1000,
) -> np.ndarray:
    """Pairs of docs whose signatures agree on at least one band.

    Args:
        sigs: ``(n, num_perm)`` unsigned signature matrix (uint32 from :mod:`dedup.signatures`).
        bands, rows: the LSH split; slots ``[0, bands * rows)`` are used.
        valid: optional boolean mask of the docs to index; empty signatures are never paired.
        max_bucket: buckets larger than this yield a star, not all pairs (see the module docstring).

    Returns:
        ``(k, 2)`` int64 array, each row ``(i, j)`` with ``i < j``, unique, lexicographically sorted.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [0, 0, 9, 9], [5, 6, 7, 8]], dtype=np.uint32)
    >>> candidate_pairs(sigs, 2, 2).tolist()
    [[0, 1], [1, 2]]
    >>> candidate_pairs(sigs, 2, 2, valid=np.array([True, False, True, True])).tolist()
    []
    """
    return candidate_pairs_with_stats(sigs, bands, rows, valid, max_bucket=max_bucket).pairs


def datasketch_candidate_pairs(
    sigs: np.ndarray,
    bands: int,
    rows: int,
    valid: np.ndarray | None = None,
    *,
    seed: int = 1,
    scheme: str = "affine32",
) -> np.ndarray:
    """Reference for :func:`candidate_pairs` (without ``max_bucket``) built on ``datasketch.MinHashLSH``.

    Inserts a ``LeanMinHash`` per valid, non-empty doc (key = its index) into ``MinHashLSH(num_perm,
    params=(bands, rows))``, queries each, and returns the pairs in the same sorted ``(k, 2)`` int64 form.
    Slow (~100 µs per doc) and memory hungry (~5 KB per doc); for tests and benchmarks.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [0, 0, 9, 9], [5, 6, 7, 8]], dtype=np.uint32)
    >>> datasketch_candidate_pairs(sigs, 2, 2).tolist()
    [[0, 1], [1, 2]]
    """
    from datasketch import LeanMinHash, MinHashLSH

    sigs = np.asarray(sigs)
    n, width = sigs.shape
    ok = ~empty_mask(sigs)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    dtype = np.uint64 if scheme == "legacy" else np.uint32
    lsh = MinHashLSH(num_perm=width, params=(bands, rows))
    sketches = {}
    for i in np.flatnonzero(ok).tolist():
        sketch = LeanMinHash(seed=seed, hashvalues=sigs[i].astype(dtype), scheme=scheme)
        sketches[i] = sketch
        lsh.insert(i, sketch, check_duplication=False)
    found = set()
    for i, sketch in sketches.items():
        for j in lsh.query(sketch):
            if j != i:
                found.add((min(i, j), max(i, j)))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(found), dtype=np.int64)
