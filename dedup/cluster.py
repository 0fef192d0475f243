"""Cluster stage: candidate pairs -> verified edges with their evidence -> clusters (union-find).

Candidates come from four places, each cheap:

1. **exact**: records whose abstract dedup keys are equal (hash) join at once, score 1.0; only one
   representative of each exact group goes on to the LSH passes;
2. **LSH on the abstract signature** (bands x rows from :func:`dedup.lsh.choose_bands`);
3. **LSH on a prefix signature** (the first words of the abstract), which finds a copy truncated by a
   listing page even when its Jaccard with the full copy is 0.6;
4. **equal titles** (title dedup key), which finds copies whose abstracts were edited more heavily.

Every candidate is verified on the MinHash estimate before it merges. The rule that decides:

* ``jaccard``: estimated Jaccard of the abstracts >= ``threshold``;
* ``containment``: one copy is truncated (ends with an ellipsis), the titles agree, and the estimated
  containment of the shorter in the longer is >= ``containment``;
* ``title``: the titles agree and the estimated Jaccard >= ``title_jaccard`` (typos plus a dropped
  sentence).

Pairs that were checked and failed are kept as near misses for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Config

SIGNALS = ("exact", "jaccard", "containment", "title")
#: Near misses kept for the report (highest scores first).
NEAR_MISSES = 2000
#: Pairs scoring below this are not worth reporting as near misses.
NEAR_MISS_FLOOR = 0.3
#: A title group larger than this is joined as a star, not all pairs (pathological repeats).
MAX_TITLE_GROUP = 64


@dataclass
class Clusters:
    """Result of the cluster stage over ``n`` records (global indices in file order)."""

    labels: np.ndarray  # int64, cluster label = smallest member index
    edges: np.ndarray  # (k, 2) int64 merged pairs, a < b
    edge_signal: np.ndarray  # int8 index into SIGNALS
    edge_score: np.ndarray  # float64
    near: np.ndarray  # (m, 2) int64 near-miss pairs
    near_score: np.ndarray  # float64
    candidates: int  # pairs verified


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


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable sort order and the start/end of each run of equal values in it."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    if len(v) == 0:
        return order, np.zeros(0, np.int64), np.zeros(0, np.int64)
    brk = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts = np.concatenate(([0], brk))
    ends = np.concatenate((brk, [len(v)]))
    return order, starts, ends


def exact_groups(akey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining each record to the first record with the same abstract key, and the representatives.

    >>> e, reps = exact_groups(np.array([5, 7, 5, 5], dtype=np.uint64))
    >>> e.tolist(), reps.tolist()
    ([[0, 2], [0, 3]], [0, 1])
    """
    order, starts, ends = _runs(akey)
    first = order[starts]
    sizes = ends - starts
    rep_of = np.repeat(first, sizes)
    mask = order != rep_of
    edges = np.stack([rep_of[mask], order[mask]], axis=1) if mask.any() else np.zeros((0, 2), np.int64)
    edges = np.sort(edges, axis=1)
    return _sorted_unique(edges), np.sort(first)


def title_pairs(tkey: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Pairs of records in ``subset`` with equal title keys (a star for very large groups).

    >>> title_pairs(np.array([1, 2, 1, 1], dtype=np.uint64), np.arange(4)).tolist()
    [[0, 2], [0, 3], [2, 3]]
    """
    order, starts, ends = _runs(tkey[subset])
    out: list[np.ndarray] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if e - s < 2:
            continue
        members = np.sort(subset[order[s:e]])
        if len(members) > MAX_TITLE_GROUP:
            out.append(np.stack([np.full(len(members) - 1, members[0]), members[1:]], axis=1))
        else:
            i, j = np.triu_indices(len(members), k=1)
            out.append(np.stack([members[i], members[j]], axis=1))
    return _sorted_unique(np.concatenate(out) if out else np.zeros((0, 2), np.int64))


def _sorted_unique(pairs: np.ndarray) -> np.ndarray:
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64)
    return np.unique(pairs.astype(np.int64), axis=0)


def find_clusters(sig: np.ndarray, pre: np.ndarray, counts: np.ndarray, akey: np.ndarray, tkey: np.ndarray,
                  truncated: np.ndarray, config: Config) -> Clusters:
    """Candidates, verification and union-find over all records (see the module docstring)."""
    from .lsh import candidate_pairs, choose_bands
    from .signatures import containment, pair_jaccard

    n = len(akey)
    exact, reps = exact_groups(akey)
    bands, rows = choose_bands(config.threshold, config.num_perm) if config.bands is None else (
        config.bands, config.num_perm // config.bands)
    pb, pr = 8, pre.shape[1] // 8
    found = [
        reps[candidate_pairs(sig[reps], bands, rows)],
        reps[candidate_pairs(pre[reps], pb, pr)],
        title_pairs(tkey, reps),
    ]
    cand = _sorted_unique(np.sort(np.concatenate([f.reshape(-1, 2) for f in found]), axis=1))
    a, b = cand[:, 0], cand[:, 1]
    j = pair_jaccard(sig, cand) if len(cand) else np.zeros(0)
    # containment of the shorter (fewer shingles) in the longer
    short_is_a = counts[a] <= counts[b]
    ns = np.where(short_is_a, counts[a], counts[b])
    nl = np.where(short_is_a, counts[b], counts[a])
    c = containment(j, ns, nl) if len(cand) else np.zeros(0)
    short_trunc = np.where(short_is_a, truncated[a], truncated[b])
    same_title = tkey[a] == tkey[b]
    signal = np.full(len(cand), -1, dtype=np.int8)
    score = np.zeros(len(cand))
    rules = [
        (j >= config.threshold, SIGNALS.index("jaccard"), j),
        (same_title & short_trunc & (c >= config.containment), SIGNALS.index("containment"), c),
        (same_title & (j >= config.title_jaccard), SIGNALS.index("title"), j),
    ]
    for mask, sig_id, val in rules:
        take = mask & (signal < 0)
        signal[take] = sig_id
        score[take] = val[take]
    merged = signal >= 0
    near_mask = ~merged & (np.maximum(j, np.where(short_trunc, c, 0)) >= NEAR_MISS_FLOOR)
    near_order = np.lexsort((cand[near_mask][:, 1], cand[near_mask][:, 0], -j[near_mask]))[:NEAR_MISSES]
    edges = np.concatenate([exact, cand[merged]])
    edge_signal = np.concatenate([np.zeros(len(exact), np.int8), signal[merged]])
    edge_score = np.concatenate([np.ones(len(exact)), score[merged]])
    order = np.lexsort((edges[:, 1], edges[:, 0])) if len(edges) else np.zeros(0, np.int64)
    edges, edge_signal, edge_score = edges[order], edge_signal[order], edge_score[order]
    return Clusters(labels=_labels(n, edges), edges=edges, edge_signal=edge_signal,
                    edge_score=np.round(edge_score, 4), near=cand[near_mask][near_order],
                    near_score=np.round(j[near_mask][near_order], 4), candidates=len(cand))


def _labels(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected components, labelled by their smallest member (vectorised pointer jumping)."""
    parent = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return parent
    a, b = edges[:, 0], edges[:, 1]
    while True:
        # hook: every edge pulls the larger root under the smaller one
        ra, rb = parent[a], parent[b]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        changed = lo != hi
        if not changed.any():
            break
        np.minimum.at(parent, hi[changed], lo[changed])
        # compress: jump to the root
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
    return parent
