"""The hot path's fast forms equal the plain definitions they replace (property tests): a speed-up must never
change a record, a split or a pair."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.abstracts import _words, count_sentences
from dedup.errors import InputError
from dedup.layouts import SMALL_WORDS, KnownTitles, _is_lower_word, _title_scores
from dedup.read import decode
from dedup.signals import _unique, group_pairs

CHARS = [*"abcXYZ019 _.!?'\"([-,;:\n\té߀—“", "the", "of", "We"]
TEXT = st.lists(st.sampled_from(CHARS), max_size=80).map("".join)


@given(TEXT)
def test_words_are_the_regex_word_runs(text: str) -> None:
    assert _words(text) == re.findall(r"\w+", text.lower())


def _sentences_by_split(text: str) -> int:
    pieces = re.split(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])", text.strip())
    return sum(1 for s in pieces if len(s.split()) >= 3)


@given(TEXT)
def test_sentence_count_is_the_split_definition(text: str) -> None:
    assert count_sentences(text) == _sentences_by_split(text)


def _title_score(words: list[str]) -> float:
    """How a title prefix reads, computed for one prefix alone (the definition the running sums replace)."""
    last = words[-1]
    if last.casefold() in SMALL_WORDS or last.endswith((":", "-", ",")):
        return -math.inf
    ends = last.endswith((".", "!")) and len(last) > 3
    lower = sum(1 for w in words[1:] if _is_lower_word(w) and w.casefold().strip(",;:") not in SMALL_WORDS)
    sentences = sum(1 for w in words[:-1] if w.endswith((".", "!")) and len(w) > 3)
    score = -0.5 * lower - 1.0 * (sentences + ends) + 0.1 * len(words)
    return score + 1.0 if last.endswith("?") else score


WORD = st.sampled_from(["Deep", "learning", "of", "the", "Graphs.", "we", "Why?", "A", "and", "Nets:", "x-",
                        "(LLM)", "works!", "on", "“Quote”", "ok,"])


@given(st.lists(WORD, min_size=2, max_size=70))
def test_title_scores_equal_the_per_prefix_score(words: list[str]) -> None:
    stop = max(1, min(len(words) - 1, 60))
    assert _title_scores(words, stop)[1:] == [_title_score(words[:k]) for k in range(1, stop)]


@settings(max_examples=200)
@given(st.lists(st.integers(0, 6), max_size=60))
def test_group_pairs_are_every_pair_with_an_equal_nonzero_key(keys: list[int]) -> None:
    got = group_pairs(np.array(keys, dtype=np.uint64)).tolist()
    want = [[i, j] for i in range(len(keys)) for j in range(i + 1, len(keys)) if keys[i] and keys[i] == keys[j]]
    assert got == want


@given(st.lists(st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)), max_size=40))
def test_unique_pairs_are_the_sorted_distinct_pairs(pairs: list[tuple[int, int]]) -> None:
    want = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    assert [tuple(p) for p in _unique(np.array(pairs, dtype=np.int64).reshape(-1, 2)).tolist()] == want


def _known_match(titles: list[str], body: str) -> str:
    """The plain definition: the longest folded title of two or more words that the folded body starts with,
    followed by more text."""
    fold = lambda s: " ".join(s.split()).casefold()  # noqa: E731
    body = fold(body)
    found = [fold(t) for t in titles if len(t.split()) >= KnownTitles.PREFIX and body.startswith(fold(t) + " ")]
    return max(found, key=len, default="")


WORD = st.sampled_from(["a", "A", "survey", "Survey", "of", "deep", "Deep", "ß", "SS", "x-y", "é"])
PHRASE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=300)
@given(st.lists(PHRASE, max_size=12), st.lists(PHRASE, max_size=12), st.data(), st.booleans(), st.integers(0, 3))
def test_known_titles_match_is_the_longest_title_prefix(first, later, data, fold_between, pending):
    """Titles in the sorted arrays, titles still waiting to be folded in (``PENDING`` small: every few
    adds fold), both at once, and a pickled copy all answer as the plain definition does."""
    # a body that opens with one of the titles (or not), then more words
    opening = data.draw(st.sampled_from(first + later) if first + later and data.draw(st.booleans()) else PHRASE)
    body = opening + " " + data.draw(PHRASE)
    known = KnownTitles()
    known.PENDING = pending + 1  # type: ignore[misc]
    for t in first:
        known.add(t)
    expect_first = _known_match(first, body)
    assert known.match(body) == expect_first
    if fold_between:
        assert len(known) >= 0  # len folds what waits
    for t in later:
        known.add(t)
    expect = _known_match(first + later, body)
    assert known.match(body) == expect
    assert pickle.loads(pickle.dumps(known)).match(body) == expect
    assert len(known) == len({" ".join(t.split()).casefold() for t in first + later if len(t.split()) >= 2})


def _decode_whole(data: bytes) -> list[str]:
    """The plain definition: the whole file decoded at once, then split into lines."""
    lines = data.decode("utf-8-sig").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


PIECES = st.sampled_from(["a", "Title", "é", "𝒪", "\n", "\r\n", " ", "\ufeff", "x\r", "\t"])


@given(st.lists(PIECES, min_size=1, max_size=40).map("".join), st.booleans())
def test_decode_by_line_is_the_whole_file_decoded(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    expect = _decode_whole(data)
    if not "\n".join(expect).strip():
        with pytest.raises(InputError, match="empty file"):
            decode("f.txt", data)
    else:
        assert decode("f.txt", data) == expect


@given(st.binary(min_size=1, max_size=60).filter(lambda b: b"\x00" not in b))
def test_decode_refuses_what_the_whole_file_decode_refuses(data: bytes) -> None:
    try:
        expect: list[str] | None = _decode_whole(data)
    except UnicodeDecodeError as exc:
        expect, line = None, data.count(b"\n", 0, exc.start) + 1
    try:
        got = decode("f.txt", data)
    except InputError as err:
        assert expect is None or "empty file" in str(err) or "UTF-16" in str(err)
        if expect is None and "UTF-16" not in str(err):
            assert err.line == line
        return
    assert got == expect
