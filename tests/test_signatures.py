"""Signatures: bit-identical to datasketch, stable shingle hashes, short and empty texts, batching."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup.signatures as sg
from dedup.signatures import (
    EMPTY_VALUE,
    containment,
    empty_mask,
    is_empty,
    jaccard,
    pair_jaccard,
    prefix_signatures,
    shingle_hashes,
    signatures,
    signatures_from_hashes,
)

WORDS = ["alpha", "beta", "gamma", "delta", "é", "日本", "x", "y", "model", "data", "ℵ0", "a"]
SEPARATORS = [" ", "  ", "\t", "\n", " \r\n ", "\x0b", "\x0c", "\x1f"]


def make_docs(n: int, seed: int = 0, words: int = 150, vocab: int = 3000) -> list[str]:
    """Synthetic ~1 KB abstracts over a Zipf-ish vocabulary."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 10, vocab)
    letters = rng.integers(97, 123, int(lengths.sum())).astype(np.uint8).tobytes().decode()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    vocabulary = [letters[offsets[i] : offsets[i + 1]] for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1) ** 1.1
    ids = rng.choice(vocab, size=(n, words), p=p / p.sum())
    return [" ".join(vocabulary[j] for j in row) for row in ids]


def datasketch_sig(hashes: np.ndarray, num_perm: int, seed: int, scheme: str) -> np.ndarray:
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x, scheme=scheme)
    m.update_batch(hashes.tolist())
    return m.hashvalues


CORNER = [
    "",
    "   ",
    "a",
    "a b",
    "b a",
    "a b c d",
    "a b c d e",
    "a b c d e f",
    "w " * 30,
    "résumé naïve 日本語 テキスト ℵ0 𝔘nicode",
    "a\tb\nc\rd\x0be\x0cf",
]


# --- the shingle hash ---------------------------------------------------------------------------------------


def test_golden_shingle_hashes() -> None:
    # Changing these changes every signature ever stored: only on purpose, with a note in the changelog.
    assert shingle_hashes("a b c d e f", 5).tolist() == [942962690, 2203768894]
    assert shingle_hashes("title", 5).tolist() == [1713880919]
    assert shingle_hashes("the quick brown fox", 2).tolist() == [2864659088, 3136735804, 3153412213]


def test_token_hash_sees_every_byte() -> None:
    variants = ["a", "a\x00", "\x00a", "b", "ab", "ba", "é", "e\u0301", "aa", "a\x00\x00"]
    assert len({shingle_hashes(v, 1).tolist()[0] for v in variants}) == len(variants)


def test_shingle_hashes_shape_and_order() -> None:
    h = shingle_hashes(make_docs(1)[0], 5)
    assert h.dtype == np.uint32 and h.ndim == 1
    assert np.all(np.diff(h.astype(np.int64)) > 0)  # sorted and distinct
    assert len(h) <= 146


def test_stable_across_processes_and_hash_seeds() -> None:
    code = "from dedup.signatures import shingle_hashes as h; print(h('ab cd ef gh ij kl é', 3).tolist())"
    outputs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(run.stdout)
    assert outputs == {str(shingle_hashes("ab cd ef gh ij kl é", 3).tolist()) + "\n"}


def test_short_texts_are_not_empty_and_differ() -> None:
    sigs, counts = signatures(["a b", "b a", "a c", "a", "a b c d", "", " \t "])
    assert counts.tolist() == [1, 1, 1, 1, 1, 0, 0]
    assert empty_mask(sigs).tolist() == [False] * 5 + [True, True]
    assert len({row.tobytes() for row in sigs[:5]}) == 5
    assert (sigs[5] == EMPTY_VALUE).all()


def test_order_and_boundaries_matter() -> None:
    # an n-gram never spans two documents of a batch, and word order matters
    a, b = shingle_hashes("a b c d e", 5), shingle_hashes("e d c b a", 5)
    assert a.tolist() != b.tolist()
    sigs, counts = signatures(["a b c", "d e f g h"], ngram=5)
    alone, _ = signatures(["a b c"], ngram=5)
    assert counts.tolist() == [1, 1] and np.array_equal(sigs[0], alone[0])


def test_whitespace_only_separates() -> None:
    base = signatures(["alpha beta gamma delta epsilon zeta"])[0]
    for sep in SEPARATORS:
        text = sep + sep.join(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]) + sep
        assert np.array_equal(signatures([text])[0], base), repr(sep)


# --- bit-identical to datasketch ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_matches_datasketch(scheme: str) -> None:
    docs = make_docs(60) + CORNER
    sigs, counts = signatures(docs, num_perm=128, ngram=5, seed=1, scheme=scheme)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(docs), 128) and sigs.flags.c_contiguous
    assert counts.dtype == np.int64
    for i, doc in enumerate(docs):
        h = shingle_hashes(doc, 5)
        assert counts[i] == len(h)
        assert np.array_equal(sigs[i], datasketch_sig(h, 128, 1, scheme)), (scheme, i)


def test_matches_datasketch_update_and_bulk() -> None:
    from datasketch import MinHash

    docs = make_docs(5, seed=3)
    sigs, _ = signatures(docs, num_perm=32, seed=7)
    hashes = [shingle_hashes(d, 5).tolist() for d in docs]
    bulk = MinHash.bulk(hashes, num_perm=32, seed=7, hashfunc=lambda x: x)
    for i, values in enumerate(hashes):
        one = MinHash(num_perm=32, seed=7, hashfunc=lambda x: x)
        for v in values:
            one.update(v)
        assert np.array_equal(sigs[i], one.hashvalues)
        assert np.array_equal(sigs[i], bulk[i].hashvalues)


def test_permutations_match_datasketch() -> None:
    from datasketch import MinHash

    for scheme in ("affine32", "legacy"):
        a, b = sg.permutations(16, 42, scheme)
        ref = MinHash(num_perm=16, seed=42, scheme=scheme).permutations
        assert np.array_equal(a, np.asarray(ref[0])) and np.array_equal(b, np.asarray(ref[1]))


texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=0, max_size=30).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(texts, min_size=1, max_size=4),
    ngram=st.integers(1, 6),
    num_perm=st.sampled_from([1, 7, 64]),
    seed=st.integers(0, 2**31),
    scheme=st.sampled_from(["affine32", "legacy"]),
)
def test_property_matches_datasketch(
    docs: list[str], ngram: int, num_perm: int, seed: int, scheme: str
) -> None:
    sigs, counts = signatures(docs, num_perm=num_perm, ngram=ngram, seed=seed, scheme=scheme)
    for i, doc in enumerate(docs):
        h = shingle_hashes(doc, ngram)
        tokens = doc.split()
        assert counts[i] == len(h) <= max(len(tokens) - ngram + 1, 1 if tokens else 0)
        assert np.array_equal(sigs[i], datasketch_sig(h, num_perm, seed, scheme))


@settings(max_examples=60, deadline=None)
@given(
    sets=st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=40), min_size=1, max_size=4),
    scheme=st.sampled_from(["affine32", "legacy"]),
)
def test_property_from_hashes_matches_datasketch(sets: list[list[int]], scheme: str) -> None:
    sigs = signatures_from_hashes(sets, num_perm=16, seed=3, scheme=scheme)
    for i, values in enumerate(sets):
        assert np.array_equal(sigs[i], datasketch_sig(np.array(values, dtype=np.uint64), 16, 3, scheme))


# --- batching, prefixes -------------------------------------------------------------------------------------


def test_batching_and_windows_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = make_docs(40, seed=5) + CORNER + [" ".join(make_docs(30, seed=6))]  # one 4,500-token doc
    expected = np.stack([signatures([d])[0][0] for d in docs])
    monkeypatch.setattr(sg, "_BATCH_BYTES", 3000)
    monkeypatch.setattr(sg, "_CHUNK_SHINGLES", 97)
    sigs, counts = signatures(docs)
    assert np.array_equal(sigs, expected)
    assert counts.tolist() == [len(shingle_hashes(d, 5)) for d in docs]
    monkeypatch.setattr(sg, "_POW_CACHE_MAX", 10)  # uncached power tables give the same hashes
    monkeypatch.setattr(sg, "_pow_cache", None)
    assert np.array_equal(signatures(docs)[0], expected)


@settings(max_examples=40, deadline=None)
@given(docs=st.lists(texts, min_size=1, max_size=5), words=st.integers(1, 12), ngram=st.integers(1, 5))
def test_property_prefix_signatures(docs: list[str], words: int, ngram: int) -> None:
    got, got_counts = prefix_signatures(docs, words, num_perm=16, ngram=ngram)
    cut = [" ".join(d.split()[:words]) for d in docs]
    want, want_counts = signatures(cut, num_perm=16, ngram=ngram)
    assert np.array_equal(got, want) and np.array_equal(got_counts, want_counts)


def test_truncated_copy_has_same_prefix_signature() -> None:
    full = make_docs(1, seed=9)[0]
    tokens = full.split()
    truncated = " ".join(tokens[: int(len(tokens) * 0.7)])
    sigs, counts = signatures([full, truncated])
    assert jaccard(sigs[0], sigs[1]) < 0.85
    prefix, _ = prefix_signatures([full, truncated], words=60)
    assert np.array_equal(prefix[0], prefix[1])
    c = containment(jaccard(sigs[1], sigs[0]), counts[1], counts[0])
    assert c > 0.85


# --- estimates ----------------------------------------------------------------------------------------------


def test_jaccard_estimate_is_close() -> None:
    rng = np.random.default_rng(11)
    base = make_docs(1, seed=12)[0].split()
    for edits in (2, 6, 15):
        copy = list(base)
        for p in rng.choice(len(copy), edits, replace=False):
            copy[p] = "zz" + str(p)
        a, b = " ".join(base), " ".join(copy)
        ha, hb = set(shingle_hashes(a, 5).tolist()), set(shingle_hashes(b, 5).tolist())
        true = len(ha & hb) / len(ha | hb)
        sigs, _ = signatures([a, b], num_perm=256)
        assert abs(jaccard(sigs[0], sigs[1]) - true) < 0.1


def test_jaccard_and_empty() -> None:
    sigs, _ = signatures(["a b c d e f g", "a b c d e f g", ""], num_perm=16)
    assert jaccard(sigs[0], sigs[1]) == 1.0
    assert jaccard(sigs[2], sigs[2]) == 0.0 and jaccard(sigs[0], sigs[2]) == 0.0
    assert is_empty(sigs[2]) and not is_empty(sigs[0])
    assert pair_jaccard(sigs, np.array([[0, 1], [0, 2], [2, 2]])).tolist() == [1.0, 0.0, 0.0]
    assert pair_jaccard(sigs, np.zeros((0, 2), dtype=np.int64)).shape == (0,)
    with pytest.raises(ValueError):
        jaccard(sigs[0], sigs[1][:8])
    with pytest.raises(ValueError):
        is_empty(sigs)


@given(
    j=st.floats(0.0, 1.0),
    n_a=st.integers(1, 10_000),
    n_b=st.integers(1, 10_000),
)
def test_property_containment_bounds(j: float, n_a: int, n_b: int) -> None:
    c = containment(j, n_a, n_b)
    assert 0.0 <= c <= 1.0
    if j == 1.0 and n_a == n_b:
        assert c == 1.0


def test_containment_exact_on_true_sets() -> None:
    a, b = set(range(70)), set(range(100))
    j = len(a & b) / len(a | b)
    assert containment(j, len(a), len(b)) == pytest.approx(1.0)
    assert containment(j, len(b), len(a)) == pytest.approx(0.7)
    assert containment(0.5, 0, 10) == 0.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        signatures(["a"], num_perm=0)
    with pytest.raises(ValueError, match="ngram"):
        signatures(["a"], ngram=0)
    with pytest.raises(ValueError, match="scheme"):
        signatures(["a"], scheme="affine64")
    with pytest.raises(ValueError, match="words"):
        prefix_signatures(["a"], words=0)
    with pytest.raises(ValueError, match="2\\*\\*32"):
        signatures_from_hashes([[2**32]])


def test_empty_inputs() -> None:
    sigs, counts = signatures([], num_perm=8)
    assert sigs.shape == (0, 8) and counts.shape == (0,)
    sigs, counts = signatures(["", ""], num_perm=8)
    assert empty_mask(sigs).all() and counts.tolist() == [0, 0]
    assert signatures_from_hashes([], num_perm=4).shape == (0, 4)
