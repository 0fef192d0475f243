"""Cluster stage: candidate pairs (:mod:`dedup.signals`) -> decisions (:mod:`dedup.decide`) -> clusters.

Every candidate pair is read by every signal and decided by the rules of :mod:`dedup.decide`. Pairs decided
*same* are joined by a union-find that refuses a join which would put two different identifiers (DOIs or
arXiv ids), years :data:`~dedup.decide.YEAR_GAP` apart, or two copies whose abstracts told them apart (rule
``similar-title, abstracts differ``: two papers under one title) into one paper through a chain of pairs that
were each fine on their own; such a pair becomes *uncertain* (rule ``chain-conflict``). Joins are made strongest
rule first, so a chain never outvotes a direct identifier.

Pairs decided *uncertain* are kept, with their evidence, for the report and ``dedup check``; pairs decided
*different* whose abstracts still overlap are kept as near misses for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from .config import Config
from .features import Features

#: Near misses kept for the report (highest scores first).
NEAR_MISSES = 2000
#: Pairs scoring below this are not worth reporting as near misses.
NEAR_MISS_FLOOR = 0.3
#: Uncertain pairs kept for the report and ``check`` (strongest first); their count is always reported.
MAX_UNCERTAIN = 20000
#: The rule name of a pair decided *same* whose join would have made a paper with conflicting identifiers.
CHAIN_CONFLICT = "chain-conflict"


@dataclass
class Clusters:
    """Result of the cluster stage over ``n`` records (global indices in file order)."""

    labels: np.ndarray  # int64, cluster label = smallest member index
    edges: np.ndarray  # (k, 2) int64 joined pairs, a < b, sorted
    edge_rule: list[str]  # the rule that decided each joined pair
    edge_score: np.ndarray  # float64: the pair's strongest similarity (abstract Jaccard or title similarity)
    edge_evidence: Sequence[dict[str, float]]
    uncertain: np.ndarray  # (u, 2) pairs decided uncertain
    uncertain_rule: list[str]
    uncertain_score: np.ndarray
    uncertain_evidence: Sequence[dict[str, float]]
    uncertain_total: int  # before the MAX_UNCERTAIN cap
    near: np.ndarray  # (m, 2) int64 near-miss pairs
    near_score: np.ndarray  # float64
    candidates: int  # pairs decided


class UnionFind:
    """Union-find over ``0..n-1``; the root of a set is always its smallest member (deterministic).

    >>> uf = UnionFind(5); uf.union(3, 1); uf.union(4, 3); uf.labels().tolist()
    [0, 1, 2, 1, 1]
    """

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = int(p[root])
        while p[x] != root:
            p[x], x = root, int(p[x])
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo

    def labels(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


class EvidenceRows(Sequence[dict[str, float]]):
    """Each pair's evidence as a dict of signal -> reading, rounded to 4 places, NaN (no reading) left out.
    The readings stay one float matrix and a row becomes a dict only when it is read: at a million records
    the joined pairs' dicts would hold ~0.5 GB until the report is written.

    >>> rows = EvidenceRows({"a": np.array([0.123456, 1.0]), "b": np.array([np.nan, 2.0])}, np.array([1, 0]))
    >>> len(rows), rows[0], rows[1], rows[-1] == rows[1], list(rows) == rows[0:2]
    (2, {'a': 1.0, 'b': 2.0}, {'a': 0.1235}, True, True)
    """

    def __init__(self, ev: dict[str, np.ndarray], idx: np.ndarray) -> None:
        self.names = list(ev)
        self.values = (np.stack([ev[name][idx] for name in self.names], axis=1).astype(np.float64) if self.names
                       else np.zeros((len(idx), 0)))

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, k: int) -> dict[str, float]: ...

    @overload
    def __getitem__(self, k: slice) -> list[dict[str, float]]: ...

    def __getitem__(self, k: int | slice) -> dict[str, float] | list[dict[str, float]]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return {name: r for name, v in zip(self.names, self.values[k].tolist(), strict=True)
                if (r := round(v, 4)) == r}


def _constrained_union(n: int, pairs: np.ndarray, order: np.ndarray, f: Features, alias: np.ndarray | None = None,
                       apart: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Join ``pairs[order]`` in that order unless a join puts conflicting identifiers or years far apart into
    one component, or the two records of a pair of `apart` (decided different by their abstracts: two papers
    under one title) into one. A pair of `alias` (decided same although its DOIs differ: one article under two
    DOIs) makes its two DOIs one paper's, here and for every later join. Returns the labels and a mask of the
    pairs that were refused."""
    from .decide import YEAR_GAP
    from .metadata import dois_compatible

    uf = UnionFind(n)
    dois, arx, year = f.dois, f["arxiv"], f["year"]
    ids: dict[int, tuple[frozenset[str], frozenset[int], int, int]] = {}

    def info(root: int) -> tuple[frozenset[str], frozenset[int], int, int]:
        got = ids.get(root)
        if got is None:
            y = int(year[root])
            got = (frozenset([dois[root]]) - {""}, frozenset([int(arx[root])]) - {0}, y or 9999, y or 0)
        return got

    aliases: set[frozenset[str]] = set()  # DOI pairs that joins decided identifier-alias made one paper's

    def doi_conflict(da: frozenset[str], db: frozenset[str], alias: frozenset[str] | None) -> bool:
        return bool(da and db) and not any(dois_compatible(x, y) or (pair := frozenset((x, y))) == alias
                                           or pair in aliases for x in da for y in db)

    # the records each component must not take in (few: only records of an `apart` pair have any)
    kept_apart: dict[int, set[int]] = {}
    if apart is not None:
        for x, y in pairs[apart].tolist():
            kept_apart.setdefault(x, set()).add(y)
            kept_apart.setdefault(y, set()).add(x)

    def parts_kept_apart(ra: int, rb: int) -> bool:
        return any(uf.find(y) == rb for y in kept_apart.get(ra, ())) or any(
            uf.find(y) == ra for y in kept_apart.get(rb, ()))

    refused = np.zeros(len(pairs), dtype=bool)
    for k in order.tolist():
        a, b = int(pairs[k, 0]), int(pairs[k, 1])
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        if kept_apart and parts_kept_apart(ra, rb):
            refused[k] = True
            continue
        pair_alias = frozenset((dois[a], dois[b])) if alias is not None and alias[k] and dois[a] and dois[b] else None
        da, xa, lo_a, hi_a = info(ra)
        db, xb, lo_b, hi_b = info(rb)
        lo, hi = min(lo_a, lo_b), max(hi_a, hi_b)
        if doi_conflict(da, db, pair_alias) or (xa and xb and not xa & xb) or (
                hi and lo != 9999 and hi - lo >= YEAR_GAP):
            refused[k] = True
            continue
        if pair_alias is not None:
            aliases.add(pair_alias)
        uf.union(ra, rb)
        root = min(ra, rb)
        ids.pop(max(ra, rb), None)
        ids[root] = (da | db, xa | xb, lo, hi)
        if max(ra, rb) in kept_apart:
            kept_apart.setdefault(root, set()).update(kept_apart.pop(max(ra, rb)))
    return uf.labels(), refused


def find_clusters(f: Features, config: Config, *, release_signatures: bool = False) -> Clusters:
    """Candidates, evidence, decisions and union-find over all records (see the module docstring).
    ``release_signatures``: drop ``f``'s signature matrices once the evidence is read (the caller needs them
    no more; ~0.6 KB a record less through the rest of the stage)."""
    from .decide import ABSTRACTS_DIFFER, IDENTIFIER_ALIAS, RULE_NAMES, RULES, SAME, UNCERTAIN, decide
    from .signals import candidates, evidence

    n = len(f)
    pairs = candidates(f, config)
    ev = evidence(f, pairs, config)
    if release_signatures:
        f.sig = f.pre = np.zeros((0, 0), np.uint32)
    outcome, rule = decide(ev, f, pairs, config)
    score = np.fmax(np.nan_to_num(ev["abstract_jaccard"], nan=0.0), ev["title_similarity"])
    score = np.where(ev["exact_title"] > 0, np.fmax(score, 1.0 * (ev["identifier"] > 0)), score)
    same = np.flatnonzero(outcome == SAME)
    # strongest first: rule order, then score, then position (deterministic)
    order = same[np.lexsort((same, -score[same], rule[same]))]
    alias = rule == RULE_NAMES.index(IDENTIFIER_ALIAS)
    apart = rule == RULE_NAMES.index(ABSTRACTS_DIFFER)
    labels, refused = _constrained_union(n, pairs, order, f, alias, apart)
    joined = np.sort(same[~refused[same]])
    names = [r.name for r in RULES]
    unc = np.flatnonzero((outcome == UNCERTAIN) | refused)
    unc = unc[np.lexsort((unc, -score[unc]))]
    total_unc = len(unc)
    unc = np.sort(unc[:MAX_UNCERTAIN])
    near = np.flatnonzero((outcome < UNCERTAIN) & (np.nan_to_num(ev["abstract_jaccard"], nan=0.0) >= NEAR_MISS_FLOOR))
    near_j = ev["abstract_jaccard"][near]
    near = near[np.lexsort((near, -near_j))][:NEAR_MISSES]
    return Clusters(
        labels=labels, edges=pairs[joined].reshape(-1, 2), edge_rule=[names[rule[k]] for k in joined.tolist()],
        edge_score=np.round(score[joined], 4), edge_evidence=EvidenceRows(ev, joined),
        uncertain=pairs[unc].reshape(-1, 2),
        uncertain_rule=[CHAIN_CONFLICT if refused[k] else names[rule[k]] for k in unc.tolist()],
        uncertain_score=np.round(score[unc], 4), uncertain_evidence=EvidenceRows(ev, unc),
        uncertain_total=total_unc, near=pairs[near].reshape(-1, 2),
        near_score=np.round(np.nan_to_num(ev["abstract_jaccard"][near]), 4), candidates=len(pairs))
