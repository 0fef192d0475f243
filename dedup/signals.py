"""Candidate signals: each one small unit with a name, the pairs it proposes and the evidence it gives.

A :class:`Signal` answers two questions over the run's :class:`~dedup.features.Features`:

* ``candidates(f, config)``: which pairs of records are worth comparing (an ``(k, 2)`` int64 array, ``a < b``);
  cheap, by hashing or banding, never all pairs. A signal that only gives evidence proposes none.
* ``evidence(f, pairs, config)``: one float per pair, the signal's reading of it (see each signal).

:func:`candidates` unions every signal's pairs; :func:`evidence` reads every signal on every candidate, so the
decision (:mod:`dedup.decide`) sees all the evidence of a pair whichever signal found it. Adding a signal is
one :func:`register` call here (and, if it should change decisions, a rule in :mod:`dedup.decide`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import Config
from .decide import MIN_TITLE_WORDS
from .features import Features

__all__ = ["SIGNALS", "Signal", "candidates", "evidence", "register"]

#: Records sharing a blocking key beyond this many are joined as a star, not all pairs (pathological repeats).
MAX_GROUP = 64
#: Words of the title key that make its prefix/suffix blocking keys.
BLOCK_WORDS = 4

Pairs = np.ndarray


@dataclass(frozen=True)
class Signal:
    """One source of candidates and evidence."""

    name: str
    doc: str
    evidence: Callable[[Features, Pairs, Config], np.ndarray]
    candidates: Callable[[Features, Config], Pairs] | None = None


SIGNALS: dict[str, Signal] = {}


def register(signal: Signal) -> Signal:
    if signal.name in SIGNALS:
        raise ValueError(f"signal {signal.name!r} registered twice")
    SIGNALS[signal.name] = signal
    return signal


# ------------------------------------------------------------------------------------------------ helpers
def _unique(pairs: Pairs) -> Pairs:
    """The distinct pairs, each as (low, high), in order (record numbers are below 2**31: a pair is one int64)."""
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64)
    p = np.sort(pairs.astype(np.int64), axis=1)
    code = np.unique((p[:, 0] << 32) | p[:, 1])
    return np.stack([code >> 32, code & 0xFFFFFFFF], axis=1)


def group_pairs(keys: np.ndarray, subset: np.ndarray | None = None) -> Pairs:
    """Pairs of records (in ``subset``, default all) with equal non-zero keys; groups larger than
    :data:`MAX_GROUP` are joined as a star on their first member.

    >>> group_pairs(np.array([5, 7, 5, 5, 0, 0], dtype=np.uint64)).tolist()
    [[0, 2], [0, 3], [2, 3]]
    """
    idx = np.arange(len(keys)) if subset is None else np.asarray(subset, dtype=np.int64)
    idx = idx[keys[idx] != 0]
    order = np.argsort(keys[idx], kind="stable")
    members_sorted, v = idx[order], keys[idx][order]
    if len(v) < 2:
        return np.zeros((0, 2), np.int64)
    brk = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts, ends = np.concatenate(([0], brk)), np.concatenate((brk, [len(v)]))
    sizes = ends - starts
    twos = starts[sizes == 2]  # most groups are a pair: taken at once, not one numpy call per group
    out: list[np.ndarray] = [np.stack([members_sorted[twos], members_sorted[twos + 1]], axis=1)]
    for s, e in zip(starts[sizes > 2].tolist(), ends[sizes > 2].tolist(), strict=True):
        m = np.sort(members_sorted[s:e])
        if len(m) > MAX_GROUP:
            out.append(np.stack([np.full(len(m) - 1, m[0]), m[1:]], axis=1))
        else:
            i, j = np.triu_indices(len(m), k=1)
            out.append(np.stack([m[i], m[j]], axis=1))
    return _unique(np.concatenate(out))


def _both(x: np.ndarray, pairs: Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b = x[pairs[:, 0]], x[pairs[:, 1]]
    return a, b, (a != 0) & (b != 0)


def _compare(x: np.ndarray, pairs: Pairs) -> np.ndarray:
    """+1 both known and equal, -1 both known and different, 0 otherwise."""
    a, b, known = _both(x, pairs)
    return np.where(known, np.where(a == b, 1.0, -1.0), 0.0)


def _compare_strings(keys: list[str], pairs: Pairs, compare: Callable[[str, str], int]) -> np.ndarray:
    """``compare`` of the two records' keys where both are known, else 0."""
    out = np.zeros(len(pairs))
    for k, (a, b) in enumerate(pairs.tolist()):
        if keys[a] and keys[b]:
            out[k] = compare(keys[a], keys[b])
    return out


def _abstract_eligible(f: Features) -> np.ndarray:
    return (f["akey"] != 0) & f.kind_is("abstract", "short")


# ------------------------------------------------------------------------------------------------ signals
def _id_candidates(f: Features, config: Config) -> Pairs:
    return _unique(np.concatenate([group_pairs(f["doi"]), group_pairs(f["arxiv"])]))


def _id_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .metadata import dois_compatible

    doi, arx = _compare(f["doi"], pairs), _compare(f["arxiv"], pairs)
    dois = f.dois
    for k in np.flatnonzero(doi < 0).tolist():  # an item of a collection is not another paper
        if dois_compatible(dois[pairs[k, 0]], dois[pairs[k, 1]]):
            doi[k] = 0.0
    same = (doi > 0) | (arx > 0)
    conflict = (doi < 0) | (arx < 0)
    return np.where(conflict, -1.0, np.where(same, 1.0, 0.0))


register(Signal("identifier", "+1 a DOI or arXiv id in common (arXiv versions are one id); -1 a DOI or arXiv "
                "id on both sides that differs (a collection's DOI and its item's do not, nor two versions "
                ".pub2, .pub3); 0 unknown",
                _id_evidence, _id_candidates))


def _title_candidates(f: Features, config: Config) -> Pairs:
    return group_pairs(f["tkey"])


def _title_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    return (f["tkey"][pairs[:, 0]] == f["tkey"][pairs[:, 1]]).astype(float)


register(Signal("exact_title", "1 when the title keys are equal (case, punctuation, markup and accents folded)",
                _title_evidence, _title_candidates))

_NUMBER_RE = re.compile(r"\d+|\b[ivx]{1,5}\b")


def _block_keys(keys: list[str], first: bool) -> np.ndarray:
    from .features import key_hash

    out = np.zeros(len(keys), np.uint64)
    for i, k in enumerate(keys):
        w = k.split()
        if len(w) >= BLOCK_WORDS + 1:
            out[i] = key_hash(" ".join(w[:BLOCK_WORDS] if first else w[-BLOCK_WORDS:]))
    return out


def _similar_title_candidates(f: Features, config: Config) -> Pairs:
    keys = f.title_keys
    return _unique(np.concatenate([group_pairs(_block_keys(keys, True)), group_pairs(_block_keys(keys, False))]))


def title_similarity(a: str, b: str) -> float:
    """Normalised edit similarity of two title keys (rapidfuzz's Indel ratio, 0..1); 0 when the titles name
    different numbers (``… II`` vs ``… III``, ``Part 1`` vs ``Part 2``): companion papers are not typos.

    >>> title_similarity("deep residual learning for image recognition", "deep residual lerning for image recognition")
    0.99
    >>> title_similarity("quantum groups ii", "quantum groups iii"), title_similarity("a1 or a3", "a 1 or a 3")
    (0.0, 0.89)
    """
    from rapidfuzz.fuzz import ratio

    if _NUMBER_RE.findall(a) != _NUMBER_RE.findall(b):
        return 0.0
    return round(ratio(a, b) / 100.0, 2)


def title_contained(a: str, b: str) -> float:
    """1 when the shorter of two title keys, of four words or more, stands whole in the longer (at word
    boundaries): an export added a prefix, a citation or a tag (``Erratum:``, ``… N Engl J Med. 2009``,
    ``… [Erratum appears in …]``); else 0.

    >>> title_contained("erratum severe deficiency of the protease", "severe deficiency of the protease")
    1.0
    >>> title_contained("quantum groups ii", "quantum groups"), title_contained("a b c d", "a b c d")
    (0.0, 0.0)
    """
    short, long_ = sorted((a, b), key=len)
    if short == long_ or len(short.split()) < MIN_TITLE_WORDS:  # Editorial stands in many titles
        return 0.0
    return float(f" {short} " in f" {long_} ")


def _contained_title_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    keys = f.title_keys
    return np.array([title_contained(keys[a], keys[b]) for a, b in pairs.tolist()], dtype=float)


register(Signal("title_contained", "1 when the shorter title (four words or more) stands whole in the longer: a "
                "prefix, a citation or a tag an export added", _contained_title_evidence))


def _similar_title_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    keys = f.title_keys
    return np.array([title_similarity(keys[a], keys[b]) for a, b in pairs.tolist()], dtype=float)


register(Signal("title_similarity", "edit similarity of the title keys (0..1; 0 when they name different "
                "numbers, as companion papers do)", _similar_title_evidence, _similar_title_candidates))


def _abstract_candidates(f: Features, config: Config) -> Pairs:
    from .lsh import candidate_pairs

    ok = np.flatnonzero(_abstract_eligible(f))
    exact = group_pairs(f["akey"], ok)
    # one representative per exact group goes on to banding; the others join it through ``exact``
    akey = f["akey"][ok]
    _, first = np.unique(akey, return_index=True)
    reps = np.sort(ok[first])
    # banded through a mask, not a copy of their rows (``sig[reps]`` would copy ~0.5 KB a record)
    is_rep = np.zeros(len(f), dtype=bool)
    is_rep[reps] = True
    bands, rows = config.band_split()
    found = [exact, candidate_pairs(f.sig, bands, rows, is_rep).reshape(-1, 2)]
    pb, pr = 8, f.pre.shape[1] // 8
    found.append(candidate_pairs(f.pre, pb, pr, is_rep).reshape(-1, 2))
    return _unique(np.concatenate(found))


def _jaccard_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .signatures import pair_jaccard

    ok = _abstract_eligible(f)
    j = pair_jaccard(f.sig, pairs) if len(pairs) else np.zeros(0)
    same_key = f["akey"][pairs[:, 0]] == f["akey"][pairs[:, 1]]
    j = np.where(same_key, 1.0, j)
    return np.where(ok[pairs[:, 0]] & ok[pairs[:, 1]], j, np.nan)


register(Signal("abstract_jaccard", "estimated Jaccard similarity (MinHash) of the abstracts' word shingles; "
                "NaN when either side has no real abstract", _jaccard_evidence, _abstract_candidates))


def _containment_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .signatures import containment, pair_jaccard

    ok = _abstract_eligible(f)
    counts = f["counts"]
    j = pair_jaccard(f.sig, pairs) if len(pairs) else np.zeros(0)
    a, b = pairs[:, 0], pairs[:, 1]
    short_is_a = counts[a] <= counts[b]
    ns = np.where(short_is_a, counts[a], counts[b])
    nl = np.where(short_is_a, counts[b], counts[a])
    c = containment(j, ns, nl) if len(pairs) else np.zeros(0)
    return np.where(ok[a] & ok[b], np.minimum(c, 1.0), np.nan)


register(Signal("containment", "estimated share of the shorter abstract's shingles found in the longer one "
                "(a cut copy, or one with a sentence glued on); NaN without two real abstracts",
                _containment_evidence))


def _opening_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .signatures import pair_jaccard

    ok = _abstract_eligible(f)
    j = pair_jaccard(f.pre, pairs) if len(pairs) else np.zeros(0)
    j = np.where(_compare(f["head"], pairs) > 0, 1.0, j)
    return np.where(ok[pairs[:, 0]] & ok[pairs[:, 1]], j, np.nan)


register(Signal("opening", "how alike the abstracts open: 1 when their first words are the same, else the "
                "estimated Jaccard similarity of their first 40 words; two abstracts that open alike and then "
                "diverge are two related papers, not two copies", _opening_evidence))


def _year_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    a, b, known = _both(f["year"].astype(np.int64), pairs)
    return np.where(known, np.abs(a - b), np.nan)


register(Signal("year_gap", "years between the two copies' publication years (NaN when either is unknown)",
                _year_evidence))


def _author_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .metadata import authors_compare

    return _compare_strings(f.author_keys, pairs, authors_compare)


register(Signal("first_author", "+1 the first authors' surnames agree, -1 neither first author is close to "
                "any of the other's first three authors (typos, initials and name order forgiven), 0 unknown",
                _author_evidence))


def _venue_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .metadata import venues_compare

    return _compare_strings(f.venue_keys, pairs, venues_compare)


register(Signal("venue", "+1 one venue (abbreviations included), -1 two venues sharing no word, 0 unknown",
                _venue_evidence))


def _pages_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    from .metadata import pages_compare

    return _compare_strings(f.page_keys, pairs, pages_compare)


def _volume_evidence(f: Features, pairs: Pairs, config: Config) -> np.ndarray:
    return _compare(f["volume"], pairs)


register(Signal("volume", "+1 the same volume number, -1 two, 0 unknown", _volume_evidence))


register(Signal("pages", "+1 the same first page, -1 two first pages of one kind (print, electronic, "
                "supplement), 0 unknown", _pages_evidence))


# ------------------------------------------------------------------------------------------------ running
def candidates(f: Features, config: Config) -> Pairs:
    """Every signal's candidate pairs, as one sorted unique ``(k, 2)`` array."""
    found = [s.candidates(f, config) for s in SIGNALS.values() if s.candidates is not None]
    return _unique(np.concatenate([p.reshape(-1, 2) for p in found])) if found else np.zeros((0, 2), np.int64)


def evidence(f: Features, pairs: Pairs, config: Config) -> dict[str, np.ndarray]:
    """Every signal's reading of every pair."""
    return {name: s.evidence(f, pairs, config) for name, s in SIGNALS.items()}
