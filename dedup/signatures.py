"""MinHash signatures of dedup keys, vectorised over batches of documents.

A dedup key is already normalised text: casefolded, punctuation folded, word tokens separated by
whitespace. Its *shingles* are its word n-grams (``ngram`` consecutive tokens). Instead of building
n-gram strings in Python (the floor of the usual loop, ~74 µs per 1 KB document), every token is hashed
once with numpy over the UTF-8 bytes of a whole batch, and the hash of an n-gram is combined
numerically from the hashes of its tokens.

Shingle hashes
    ``token_hash = fmix64(Σ_k byte_k · P^k + len · Q mod 2^64)`` over the token's UTF-8 bytes (``P``,
    ``Q`` fixed odd 64-bit constants; one cumulative sum over the whole batch's bytes), then
    ``shingle_hash = fmix64(Σ_k token_hash_{i+k} · M_k mod 2^64) >> 32`` (``M_k`` fixed odd constants):
    an order-sensitive 32-bit hash of the n-gram. All constants come from splitmix64 with a fixed seed,
    so hashes are stable across processes, runs, platforms and ``PYTHONHASHSEED`` (Python's ``hash()``
    is never used). Tokens are maximal runs of bytes that are not ASCII whitespace
    (``\\t \\n \\v \\f \\r``, ``\\x1c``-``\\x1f`` and space, as ``str.split`` on ASCII text); non-ASCII
    whitespace such as U+00A0 is expected to have been folded by canonicalisation.

Short texts
    A text with fewer than ``ngram`` tokens gets a single shingle: the whole token sequence, padded with a
    fixed sentinel hash (titles are short; they must not all get the same empty signature). A text with
    no tokens gets no shingle and the *empty* signature, all ``EMPTY_VALUE``; :func:`is_empty` detects
    it (:func:`empty_mask` for a matrix), :func:`jaccard` scores it 0 against anything, and
    :mod:`dedup.lsh` never pairs it.

MinHash
    Bit-identical to ``datasketch.MinHash(num_perm, seed, hashfunc=lambda x: x, scheme=...)`` updated
    with the shingle hashes. datasketch 2.0 has two relevant schemes; both are implemented:

    * ``"affine32"`` (datasketch >= 2.0 default): ``h' = fmix32(h)``, then ``a_k · h' + b_k mod 2^32``
      with ``a_k`` odd, drawn as ``a = RandomState(seed).randint(0, 2^31, num_perm) * 2 + 1`` then
      ``b = randint(0, 2^32, num_perm)`` (uint32). A bijection: no collisions from the permutation.
    * ``"legacy"`` (datasketch < 2.0): ``((a_k · h + b_k) mod 2^64 mod (2^61 - 1)) & (2^32 - 1)`` with
      ``(a_k, b_k)`` drawn pairwise from ``RandomState(seed)`` below the Mersenne prime; the uint64
      product wraps exactly as datasketch's numpy code does.

    Signatures are returned as ``uint32`` in both schemes (every value is < 2^32); datasketch stores
    legacy values as uint64, so cast with ``.astype(np.uint64)`` before handing them to a legacy
    ``datasketch.MinHash``.

Example:

>>> sigs, counts = signatures(["a b c d e f", "a b c d e g", "", "short title"], num_perm=16)
>>> sigs.shape, sigs.dtype.name, counts.tolist()
((4, 16), 'uint32', [2, 2, 0, 1])
>>> empty_mask(sigs).tolist()
[False, False, True, False]
>>> jaccard(sigs[0], sigs[0]), jaccard(sigs[2], sigs[2])
(1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "EMPTY_VALUE",
    "SCHEMES",
    "containment",
    "empty_mask",
    "is_empty",
    "jaccard",
    "pair_jaccard",
    "permutations",
    "prefix_signatures",
    "shingle_hashes",
    "signatures",
    "signatures_from_hashes",
]

#: Value of every slot of the signature of a text without shingles (datasketch's initial hash value).
EMPTY_VALUE: Final = 0xFFFFFFFF
#: Permutation schemes, named as in datasketch 2.0; the first is the default.
SCHEMES: Final = ("affine32", "legacy")

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_MERSENNE = _U64((1 << 61) - 1)
_LOW32 = _U64(0xFFFFFFFF)
#: Target UTF-8 bytes per internal batch (bounds temporaries to a few tens of MB).
_BATCH_BYTES = 1 << 18
#: Target shingles per permutation chunk: (num_perm x chunk) uint32 stays cache-sized.
_CHUNK_SHINGLES = 8192
#: Power tables up to this length are cached between calls.
_POW_CACHE_MAX = 1 << 21


def _splitmix64(seed: int, count: int) -> list[int]:
    """``count`` deterministic 64-bit values (splitmix64): constants that never depend on numpy."""
    out = []
    state = seed & _MASK64
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & _MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        out.append(z ^ (z >> 31))
    return out


_CONSTS = _splitmix64(0x5EED_DED0, 3 + 64)
#: Base of the polynomial token hash, and its inverse modulo 2^64.
_P = _CONSTS[0] | 1
_P_INV = pow(_P, -1, 1 << 64)
#: Multiplier of the token length (added to the polynomial, so trailing NUL bytes still count).
_LEN_MULT = _U64(_CONSTS[1] | 1)
#: Hash of the padding that completes a text shorter than ``ngram`` tokens.
_PAD = _U64(_CONSTS[2])
#: Position multipliers of the n-gram combination; ``ngram`` is at most ``len(_NGRAM_MULT)``.
_NGRAM_MULT = np.array([c | 1 for c in _CONSTS[3:]], dtype=_U64)

_pow_cache: tuple[np.ndarray, np.ndarray] | None = None


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """``(P^i, P^-i) mod 2^64`` for ``i < length`` (uint64), cached up to ``_POW_CACHE_MAX``."""
    global _pow_cache
    if _pow_cache is not None and len(_pow_cache[0]) >= length:
        return _pow_cache[0][:length], _pow_cache[1][:length]
    size = 1 << max(16, (length - 1).bit_length())  # powers of two: the cache grows rarely
    pw = np.full(size, _P, dtype=_U64)
    pw[0] = 1
    np.multiply.accumulate(pw, out=pw)
    inv = np.full(size, _P_INV, dtype=_U64)
    inv[0] = 1
    np.multiply.accumulate(inv, out=inv)
    if size <= _POW_CACHE_MAX:
        _pow_cache = (pw, inv)
    return pw[:length], inv[:length]


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (a bijection), element-wise, in place on a fresh array."""
    h = h ^ (h >> _U64(33))
    h *= _U64(0xFF51AFD7ED558CCD)
    h ^= h >> _U64(33)
    h *= _U64(0xC4CEB9FE1A85EC53)
    h ^= h >> _U64(33)
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer on uint32, exactly as ``datasketch.minhash._fmix(h, 32)``."""
    h = h ^ (h >> np.uint32(16))
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _check(num_perm: int, ngram: int, scheme: str) -> None:
    if num_perm < 1:
        raise ValueError(f"num_perm must be at least 1, got {num_perm}")
    if not 1 <= ngram <= len(_NGRAM_MULT):
        raise ValueError(f"ngram must be between 1 and {len(_NGRAM_MULT)}, got {ngram}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")


def permutations(
    num_perm: int = 128, seed: int = 1, scheme: str = "affine32"
) -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters ``(a, b)`` that datasketch draws for ``MinHash(num_perm, seed)``.

    uint32 arrays for ``"affine32"``, uint64 for ``"legacy"``; each of length ``num_perm``.

    >>> a, b = permutations(4, seed=1)
    >>> a.dtype.name, bool((a % 2 == 1).all())
    ('uint32', True)
    >>> permutations(2, seed=1, scheme="legacy")[0].dtype.name
    'uint64'
    """
    _check(num_perm, 1, scheme)
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        prime = np.uint64((1 << 61) - 1)
        pairs = np.array(
            [
                (gen.randint(1, prime, dtype=np.uint64), gen.randint(0, prime, dtype=np.uint64))
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        ).T
        return np.ascontiguousarray(pairs[0]), np.ascontiguousarray(pairs[1])
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _tokenize(keys: Sequence[str], words: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes (uint64, all docs concatenated) and tokens per doc (int64) of a batch.

    With ``words``, only the first ``words`` tokens of each doc are kept.
    """
    n = len(keys)
    encoded = [k.encode("utf-8", "surrogatepass") for k in keys]
    buf = np.frombuffer(b"\n".join(encoded), dtype=np.uint8)
    length = len(buf)
    if length == 0:
        return np.zeros(0, dtype=_U64), np.zeros(n, dtype=np.int64)
    # ASCII whitespace: 9-13, 28-32 (uint8 subtraction wraps, so one comparison tests each range).
    word = np.zeros(length + 2, dtype=np.int8)
    space = (buf - np.uint8(9)) < 5
    space |= (buf - np.uint8(28)) < 5
    np.logical_not(space, out=word[1:-1].view(bool))
    edges = word[1:] - word[:-1]
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    doc_start = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(np.fromiter(map(len, encoded[:-1]), dtype=np.int64, count=n - 1) + 1, out=doc_start[1:])
    # Docs are joined by whitespace, so a doc's tokens are those starting inside it.
    first = np.searchsorted(starts, doc_start)
    ntok = np.diff(first, append=len(starts)).astype(np.int64)
    if words is not None:
        rank = np.arange(len(starts), dtype=np.int64) - np.repeat(first, ntok)
        keep = rank < words
        starts, ends = starts[keep], ends[keep]
        ntok = np.minimum(ntok, words)
    pw, inv = _powers(length)
    mixed = buf.astype(_U64)
    mixed *= pw
    prefix = np.empty(length + 1, dtype=_U64)
    prefix[0] = 0
    np.cumsum(mixed, out=prefix[1:])
    del mixed
    tok = prefix[ends] - prefix[starts]
    tok *= inv[starts]
    tok += (ends - starts).astype(_U64) * _LEN_MULT  # "a\0" and "a" differ
    return _fmix64(tok), ntok


def _shingles(tok: np.ndarray, ntok: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct 32-bit shingle hashes (uint32, docs concatenated) and their count per doc."""
    n = len(ntok)
    pad = ngram - 1
    nsh = np.where(ntok >= ngram, ntok - pad, np.minimum(ntok, 1))
    total = int(nsh.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(n, dtype=np.int64)
    doc_ids = np.arange(n, dtype=np.int64)
    # Token hashes with ``pad`` sentinels after every doc, so an n-gram never spans two docs and a short
    # doc's single shingle is its tokens followed by sentinels.
    padded = np.full(len(tok) + n * pad + pad, _PAD, dtype=_U64)
    padded[np.arange(len(tok), dtype=np.int64) + np.repeat(doc_ids * pad, ntok)] = tok
    tok_first = np.zeros(n, dtype=np.int64)
    np.cumsum(ntok[:-1], out=tok_first[1:])
    sh_first = np.zeros(n, dtype=np.int64)
    np.cumsum(nsh[:-1], out=sh_first[1:])
    where = np.arange(total, dtype=np.int64) + np.repeat(tok_first + doc_ids * pad - sh_first, nsh)
    comb = padded[where] * _NGRAM_MULT[0]
    for k in range(1, ngram):
        comb += padded[where + k] * _NGRAM_MULT[k]
    sh = _fmix64(comb) >> _U64(32)
    # Sort (doc, hash) pairs once: per-doc distinct values and counts without a Python loop.
    sh |= np.repeat(doc_ids.astype(_U64), nsh) << _U64(32)
    sh.sort()
    keep = np.empty(total, dtype=bool)
    keep[0] = True
    np.not_equal(sh[1:], sh[:-1], out=keep[1:])
    sh = sh[keep]
    counts = np.bincount((sh >> _U64(32)).astype(np.int64), minlength=n).astype(np.int64)
    return (sh & _LOW32).astype(np.uint32), counts


def _minhash(hashes: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray, scheme: str) -> np.ndarray:
    """(num_perm, n) uint32 minima of each doc's permuted hashes; ``hashes`` grouped by doc."""
    num_perm, n = len(a), len(counts)
    out = np.full((num_perm, n), EMPTY_VALUE, dtype=np.uint32)
    nonempty = np.flatnonzero(counts)
    if len(nonempty) == 0:
        return out
    ends = np.cumsum(counts[nonempty])
    starts = ends - counts[nonempty]
    total = int(ends[-1])
    if scheme == "affine32":
        hv = _fmix32(hashes.astype(np.uint32, copy=False))
        col_a, col_b = a[:, None], b[:, None]
    else:
        hv = hashes.astype(_U64)
        col_a, col_b = a.astype(_U64)[:, None], b.astype(_U64)[:, None]
    # Fixed windows of shingles keep the (num_perm x window) block cache-sized whatever the doc sizes; a
    # doc that spans windows is reduced in parts and combined with np.minimum.
    for s0 in range(0, total, _CHUNK_SHINGLES):
        s1 = min(total, s0 + _CHUNK_SHINGLES)
        d0 = int(np.searchsorted(ends, s0, side="right"))
        d1 = int(np.searchsorted(starts, s1, side="left"))
        block = col_a * hv[None, s0:s1]
        block += col_b
        if scheme == "legacy":
            # x mod (2^61 - 1) without division, exactly as numpy's ``%`` on the wrapped product.
            # (x & p) + (x >> 61) < p + 8, so at most one subtraction of p remains; unsigned wrap-around
            # makes min(y, y - p) pick it.
            block = (block & _MERSENNE) + (block >> _U64(61))
            np.minimum(block, block - _MERSENNE, out=block)
            block &= _LOW32
        part = np.minimum.reduceat(block, np.maximum(starts[d0:d1], s0) - s0, axis=1)
        cols = nonempty[d0:d1]
        if starts[d0] < s0 or ends[d1 - 1] > s1:
            part = np.minimum(part, out[:, cols])
        out[:, cols] = part
    return out


def _batches(keys: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of ``keys`` of about ``_BATCH_BYTES`` characters each."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)) + 1
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(_BATCH_BYTES, int(ends[-1]) if len(ends) else 0, _BATCH_BYTES))
    cuts = np.unique(np.concatenate([[0], np.minimum(cuts + 1, len(keys)), [len(keys)]]))
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))


def _signatures(
    keys: Sequence[str], num_perm: int, ngram: int, seed: int, scheme: str, words: int | None
) -> tuple[np.ndarray, np.ndarray]:
    _check(num_perm, ngram, scheme)
    a, b = permutations(num_perm, seed, scheme)
    n = len(keys)
    sigs = np.empty((n, num_perm), dtype=np.uint32)
    counts = np.empty(n, dtype=np.int64)
    for start, stop in _batches(keys):
        tok, ntok = _tokenize(keys[start:stop], words)
        hashes, cnt = _shingles(tok, ntok, ngram)
        sigs[start:stop] = _minhash(hashes, cnt, a, b, scheme).T
        counts[start:stop] = cnt
    return sigs, counts


def signatures(
    keys: Sequence[str], num_perm: int = 128, ngram: int = 5, seed: int = 1, *, scheme: str = "affine32"
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of dedup keys over their word ``ngram``-gram shingles.

    Args:
        keys: normalised texts (tokens separated by whitespace).
        num_perm: permutations per signature.
        ngram: words per shingle; texts with fewer tokens get one shingle of all their tokens.
        seed: seed of the permutations (``numpy.random.RandomState``, as datasketch).
        scheme: ``"affine32"`` (datasketch 2.0 default) or ``"legacy"`` (datasketch < 2.0).

    Returns:
        ``(sigs, counts)``: ``sigs`` is a C-contiguous ``(len(keys), num_perm)`` uint32 matrix, row ``i``
        equal to the ``hashvalues`` of ``datasketch.MinHash(num_perm, seed, hashfunc=lambda x: x,
        scheme=scheme)`` updated with ``shingle_hashes(keys[i], ngram)``; ``counts`` is an int64 array of
        the number of distinct shingles of each key (0 for the empty signature).

    >>> keys = ["the cat sat on the mat", "the cat sat on the hat", "the  cat sat on the mat"]
    >>> sigs, counts = signatures(keys)
    >>> counts.tolist(), sigs.shape, jaccard(sigs[0], sigs[2]), 0.0 < jaccard(sigs[0], sigs[1]) < 1.0
    ([2, 2, 2], (3, 128), 1.0, True)
    >>> signatures([], num_perm=8)[0].shape
    (0, 8)
    """
    return _signatures(keys, num_perm, ngram, seed, scheme, None)


def prefix_signatures(
    keys: Sequence[str],
    words: int,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    *,
    scheme: str = "affine32",
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`signatures` of the first ``words`` tokens of each key.

    A copy of a text truncated at 60-85% shares its first tokens with the full text, so both have the
    same prefix signature (modulo typos in the prefix) although their full Jaccard may be low. Equal to
    ``signatures([" ".join(k.split()[:words]) for k in keys], ...)`` without building those strings.

    >>> full = "one two three four five six seven eight nine ten"
    >>> a, _ = prefix_signatures([full, "one two three four five six seven"], words=6, num_perm=8)
    >>> bool((a[0] == a[1]).all())
    True
    """
    if words < 1:
        raise ValueError(f"words must be at least 1, got {words}")
    return _signatures(keys, num_perm, ngram, seed, scheme, words)


def shingle_hashes(key: str, ngram: int = 5) -> np.ndarray:
    """The distinct 32-bit shingle hashes of one key, sorted, as uint32.

    >>> shingle_hashes("a b c d e f", 5).shape
    (2,)
    >>> shingle_hashes("  a  b c d e   f ", 5).tolist() == shingle_hashes("a b c d e f", 5).tolist()
    True
    >>> len(shingle_hashes("a title", 5)), len(shingle_hashes("", 5))
    (1, 0)
    """
    _check(1, ngram, "affine32")
    tok, ntok = _tokenize([key], None)
    return _shingles(tok, ntok, ngram)[0]


def signatures_from_hashes(
    hash_sets: Sequence[npt.ArrayLike], num_perm: int = 128, seed: int = 1, *, scheme: str = "affine32"
) -> np.ndarray:
    """MinHash signatures ``(len(hash_sets), num_perm)`` uint32 of given 32-bit hash values.

    The permutation step of :func:`signatures`, for any 32-bit hash values (duplicates allowed).

    >>> signatures_from_hashes([[1, 2, 3], [3, 2, 1, 1], []], num_perm=4)[:, 0].tolist()[:2] == [
    ...     signatures_from_hashes([[1, 2, 3]], num_perm=4)[0, 0]] * 2
    True
    """
    _check(num_perm, 1, scheme)
    arrays = [np.asarray(h, dtype=np.int64).ravel() for h in hash_sets]
    for arr in arrays:
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) > EMPTY_VALUE):
            raise ValueError("hash values must be in [0, 2**32)")
    counts = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    flat = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    a, b = permutations(num_perm, seed, scheme)
    return np.ascontiguousarray(_minhash(flat.astype(np.uint32), counts, a, b, scheme).T)


def is_empty(sig: npt.ArrayLike) -> bool:
    """Whether a 1-D signature is the empty signature (of a text without tokens).

    >>> is_empty(np.full(4, EMPTY_VALUE, dtype=np.uint32)), is_empty(np.array([EMPTY_VALUE, 7]))
    (True, False)
    """
    arr = np.asarray(sig)
    if arr.ndim != 1:
        raise ValueError(f"is_empty takes one 1-D signature, got shape {arr.shape}; use empty_mask")
    return bool(np.all(arr == EMPTY_VALUE))


def empty_mask(sigs: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of a ``(n, num_perm)`` signature matrix that are empty signatures.

    >>> empty_mask(np.array([[EMPTY_VALUE, 1], [EMPTY_VALUE, EMPTY_VALUE]], dtype=np.uint32)).tolist()
    [False, True]
    """
    arr = np.asarray(sigs)
    if arr.ndim != 2:
        raise ValueError(f"empty_mask takes a 2-D signature matrix, got shape {arr.shape}")
    mask = np.zeros(len(arr), dtype=bool)
    if arr.shape[1] == 0:
        mask[:] = True
        return mask
    # Only rows whose first slot is EMPTY_VALUE can be empty: no (n, num_perm) temporary.
    maybe = np.flatnonzero(arr[:, 0] == EMPTY_VALUE)
    mask[maybe] = np.all(arr[maybe] == EMPTY_VALUE, axis=1)
    return mask


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity: the fraction of equal slots.

    Unlike datasketch, an empty signature is similar to nothing (0.0), not even another empty one.

    >>> jaccard(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 0]))
    0.5
    """
    a, b = np.asarray(sig_a), np.asarray(sig_b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two 1-D signatures of the same length, got {a.shape} and {b.shape}")
    if is_empty(a) or is_empty(b):
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def pair_jaccard(sigs: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """:func:`jaccard` of each row ``(i, j)`` of ``pairs``, float64, in chunks to bound memory.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [EMPTY_VALUE] * 4], dtype=np.uint32)
    >>> pair_jaccard(sigs, np.array([[0, 1], [0, 2], [2, 2]])).tolist()
    [0.5, 0.0, 0.0]
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.empty(len(pairs), dtype=np.float64)
    empty = empty_mask(sigs)
    width = sigs.shape[1]
    for s in range(0, len(pairs), chunk):
        i, j = pairs[s : s + chunk, 0], pairs[s : s + chunk, 1]
        same = np.count_nonzero(sigs[i] == sigs[j], axis=1) / width
        out[s : s + chunk] = np.where(empty[i] | empty[j], 0.0, same)
    return out


@overload
def containment(j: float, n_a: float, n_b: float) -> float: ...


@overload
def containment(j: np.ndarray, n_a: npt.ArrayLike, n_b: npt.ArrayLike) -> np.ndarray: ...


@overload
def containment(j: npt.ArrayLike, n_a: np.ndarray, n_b: npt.ArrayLike) -> np.ndarray: ...


def containment(j: npt.ArrayLike, n_a: npt.ArrayLike, n_b: npt.ArrayLike) -> float | np.ndarray:
    """Estimate of ``|A ∩ B| / |A|`` from the Jaccard ``j`` of A and B and their sizes.

    ``|A ∩ B| = j (|A| + |B|) / (1 + j)``; clipped to [0, 1]; 0 when ``|A| = 0``. A truncated copy A
    of a full text B has a low Jaccard but a containment close to 1:

    >>> containment(0.7, 70, 100)
    1.0
    >>> round(containment(0.5, 100, 100), 4)
    0.6667
    >>> containment(np.array([1.0, 0.0]), np.array([10, 0]), 10).tolist()
    [1.0, 0.0]
    """
    jj = np.asarray(j, dtype=np.float64)
    na = np.asarray(n_a, dtype=np.float64)
    nb = np.asarray(n_b, dtype=np.float64)
    inter = jj * (na + nb) / (1.0 + jj)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(na > 0, np.clip(inter / np.where(na > 0, na, 1.0), 0.0, 1.0), 0.0)
    return float(result) if result.ndim == 0 else result
