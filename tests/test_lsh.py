"""LSH banding: the same candidate pairs as datasketch's MinHashLSH, exact on hash collisions, guarded."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup.lsh as lsh
from dedup.lsh import (
    candidate_pairs,
    candidate_pairs_with_stats,
    candidate_probability,
    choose_bands,
    datasketch_candidate_pairs,
)
from dedup.signatures import EMPTY_VALUE, shingle_hashes, signatures


def make_corpus(seed: int = 0) -> tuple[list[str], list[tuple[int, int, float]]]:
    """2,000 docs: ~1 KB random abstracts, near-duplicates planted at Jaccard 0.3-1.0, short titles, empties.

    Returns the docs and the planted (original, copy, true 5-gram Jaccard) triples.
    """
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(5000)]
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
    p /= p.sum()
    docs = [" ".join(vocab[j] for j in rng.choice(len(vocab), 140, p=p)) for _ in range(1200)]
    planted = []
    for k in range(700):
        src = int(rng.integers(0, 1200))
        tokens = docs[src].split()
        edits = int(rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 20]))
        for pos in rng.choice(len(tokens), edits, replace=False):
            tokens[pos] = f"typo{k}_{pos}"
        if k % 7 == 0:
            tokens = tokens[: int(len(tokens) * rng.uniform(0.6, 0.85))]  # truncated copy
        docs.append(" ".join(tokens))
        a, b = set(shingle_hashes(docs[src], 5).tolist()), set(shingle_hashes(docs[-1], 5).tolist())
        planted.append((src, len(docs) - 1, len(a & b) / len(a | b)))
    titles = [" ".join(rng.choice(["deep", "learning", "graph", "neural", "model"], int(rng.integers(1, 4))))]
    docs += titles * 3 + ["a short title", "a short title", "", "", "   "]
    docs += [" ".join(vocab[j] for j in rng.choice(len(vocab), 30)) for _ in range(2000 - len(docs))]
    return docs, planted


Corpus = tuple[np.ndarray, list[tuple[int, int, float]], list[str]]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    docs, planted = make_corpus()
    assert len(docs) == 2000
    sigs, _ = signatures(docs)
    return sigs, planted, docs


def brute_force_pairs(sigs: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """Pure-Python reference: buckets keyed by the band's exact bytes, as datasketch does."""
    found: set[tuple[int, int]] = set()
    usable = [i for i in range(len(sigs)) if not (sigs[i] == EMPTY_VALUE).all()]
    for band in range(bands):
        buckets = defaultdict(list)
        for i in usable:
            buckets[sigs[i, band * rows : (band + 1) * rows].tobytes()].append(i)
        for members in buckets.values():
            found.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return found


def as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in pairs}


def check_format(pairs: np.ndarray) -> None:
    assert pairs.dtype == np.int64 and pairs.ndim == 2 and pairs.shape[1] == 2
    assert (pairs[:, 0] < pairs[:, 1]).all()
    codes = pairs[:, 0] * (1 << 32) + pairs[:, 1]
    assert (np.diff(codes) > 0).all()  # sorted, unique


# --- the equivalence test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("split", [(16, 8), (9, 13), (32, 4)])
def test_same_pairs_as_datasketch(corpus: Corpus, split: tuple[int, int]) -> None:
    sigs, _, docs = corpus
    ours = candidate_pairs(sigs, *split)
    reference = datasketch_candidate_pairs(sigs, *split)
    check_format(ours)
    check_format(reference)
    assert np.array_equal(ours, reference)
    assert len(ours) > 200  # the corpus really has near-duplicates at this split
    # empty texts are never paired; equal short titles are
    empties = {i for i, d in enumerate(docs) if not d.split()}
    assert len(empties) == 3
    assert not any(i in empties or j in empties for i, j in as_set(ours))
    titles = [i for i, d in enumerate(docs) if d == "a short title"]
    assert tuple(titles) in as_set(ours)


def test_recall_follows_the_s_curve(corpus: Corpus) -> None:
    sigs, planted, _ = corpus
    found = as_set(candidate_pairs(sigs, 16, 8))
    high = [(a, b) for a, b, j in planted if j >= 0.8 and a != b]
    low = [(a, b) for a, b, j in planted if j < 0.4]
    assert sum((a, b) in found for a, b in high) / len(high) > 0.9
    assert sum((a, b) in found for a, b in low) / max(len(low), 1) < 0.2


sig_matrices = st.integers(2, 40).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 2), min_size=8, max_size=8), min_size=n, max_size=n)
)


@settings(max_examples=80, deadline=None)
@given(rows=sig_matrices, split=st.sampled_from([(2, 4), (4, 2), (8, 1), (3, 2), (2, 3)]))
def test_property_same_as_reference(rows: list[list[int]], split: tuple[int, int]) -> None:
    # tiny alphabet: big buckets, many shared bands, exact duplicates
    sigs = np.array(rows, dtype=np.uint32)
    ours = candidate_pairs(sigs, *split, max_bucket=10**6)
    check_format(ours)
    assert as_set(ours) == brute_force_pairs(sigs, *split)


def test_same_as_datasketch_small_alphabet() -> None:
    rng = np.random.default_rng(4)
    sigs = rng.integers(0, 3, (300, 16)).astype(np.uint32)
    assert np.array_equal(
        candidate_pairs(sigs, 4, 4, max_bucket=10**6), datasketch_candidate_pairs(sigs, 4, 4)
    )


def test_legacy_dtype_reference() -> None:
    docs, _ = make_corpus(seed=1)
    sigs, _ = signatures(docs[:1300], scheme="legacy")
    ours = candidate_pairs(sigs.astype(np.uint64), 16, 8)
    assert np.array_equal(ours, datasketch_candidate_pairs(sigs, 16, 8, scheme="legacy"))
    assert np.array_equal(ours, candidate_pairs(sigs, 16, 8))


def test_band_hash_collisions_stay_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every band hashes to the same value: buckets must still be split by exact content.
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 3, (200, 8)).astype(np.uint32)
    expected = candidate_pairs(sigs, 4, 2, max_bucket=10**6)

    def constant(s: np.ndarray, a: int, b: int, ids: np.ndarray | None) -> np.ndarray:
        return np.zeros(len(s) if ids is None else len(ids), np.uint64)

    monkeypatch.setattr(lsh, "_band_hash", constant)
    assert np.array_equal(candidate_pairs(sigs, 4, 2, max_bucket=10**6), expected)
    assert as_set(expected) == brute_force_pairs(sigs, 4, 2)


# --- masks, guards, format ----------------------------------------------------------------------------------


def test_valid_mask_and_empty_signatures() -> None:
    sigs = np.array([[1, 2, 3, 4]] * 4 + [[EMPTY_VALUE] * 4] * 3, dtype=np.uint32)
    assert candidate_pairs(sigs, 2, 2).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    valid = np.array([True, False, True, False, True, True, True])
    assert candidate_pairs(sigs, 2, 2, valid).tolist() == [[0, 2]]
    assert datasketch_candidate_pairs(sigs, 2, 2, valid).tolist() == [[0, 2]]
    with pytest.raises(ValueError, match="valid"):
        candidate_pairs(sigs, 2, 2, valid[:3])


def test_max_bucket_emits_a_star() -> None:
    sigs = np.zeros((50, 4), dtype=np.uint32)
    sigs[:, 2:] = np.arange(50)[:, None]  # second band: all distinct
    result = candidate_pairs_with_stats(sigs, 2, 2, max_bucket=10)
    assert result.capped_buckets == 1 and result.largest_bucket == 50
    assert result.pairs.tolist() == [[0, j] for j in range(1, 50)]
    full = candidate_pairs_with_stats(sigs, 2, 2, max_bucket=50)
    assert full.capped_buckets == 0 and len(full.pairs) == 50 * 49 // 2


def test_edge_cases_and_errors() -> None:
    assert candidate_pairs(np.zeros((0, 8), dtype=np.uint32), 2, 4).shape == (0, 2)
    assert candidate_pairs(np.zeros((1, 8), dtype=np.uint32), 2, 4).shape == (0, 2)
    distinct = np.arange(80, dtype=np.uint32).reshape(10, 8)
    assert candidate_pairs(distinct, 2, 4).shape == (0, 2)
    with pytest.raises(ValueError, match="does not fit"):
        candidate_pairs(distinct, 3, 4)
    with pytest.raises(ValueError, match="unsigned"):
        candidate_pairs(distinct.astype(np.int64), 2, 4)
    with pytest.raises(ValueError, match="max_bucket"):
        candidate_pairs(distinct, 2, 4, max_bucket=1)


def test_deterministic() -> None:
    rng = np.random.default_rng(6)
    sigs = rng.integers(0, 4, (500, 8)).astype(np.uint32)
    first = candidate_pairs_with_stats(sigs, 4, 2, max_bucket=20)
    again = candidate_pairs_with_stats(sigs.copy(), 4, 2, max_bucket=20)
    assert np.array_equal(first.pairs, again.pairs) and first.capped_buckets == again.capped_buckets > 0


# --- choosing the split -------------------------------------------------------------------------------------


def test_choose_bands_defaults() -> None:
    assert choose_bands(0.8, 128) == (16, 8)
    bands, rows = choose_bands(0.8, 128)
    assert candidate_probability(0.8, bands, rows) > 0.94
    assert candidate_probability(0.5, bands, rows) < 0.07


@settings(max_examples=30, deadline=None)
@given(threshold=st.floats(0.3, 0.95), num_perm=st.integers(2, 256))
def test_property_choose_bands_valid(threshold: float, num_perm: int) -> None:
    bands, rows = choose_bands(threshold, num_perm)
    assert bands >= 2 and rows >= 1 and bands * rows <= num_perm
    # never worse at the threshold than the half/half split datasketch would also consider
    low = max(threshold - 0.3, threshold / 2)
    score = candidate_probability(threshold, bands, rows) - candidate_probability(low, bands, rows)
    half = candidate_probability(threshold, 2, num_perm // 2) - candidate_probability(low, 2, num_perm // 2)
    assert score >= half - 1e-12


def test_choose_bands_errors() -> None:
    with pytest.raises(ValueError):
        choose_bands(1.0, 128)
    with pytest.raises(ValueError):
        choose_bands(0.8, 1)
    with pytest.raises(ValueError):
        choose_bands(0.8, 128, fp_at=0.9)
