"""Merge stage: one canonical record per cluster, chosen and merged by documented rules.

* **abstract**: the most complete real copy: a real abstract beats a field that is not one (a teaser, links,
  a comment, the title again; :mod:`dedup.abstracts`), which beats none; a complete abstract beats a
  truncated one; then the longest. Among copies within :data:`NEAR_EQUAL` of that length, the one whose
  words the other copies confirm most (a typo found in one copy loses); then the fewest repairs; then the
  first in input order.
* **title**: a title in its natural case beats one that was lower- or upper-cased by a scrape; then the
  one that needed the fewest repairs; then the most common form; then the chosen abstract's title.
* **authors**: the most common count (ties: the larger). **date**: a date with a year beats one
  without; then the most common (ties: the earliest). **upvotes**: the largest (the latest scrape).
  **organization**: the most common (ties: alphabetical).
* **id**: ``p`` + 16 hex digits of the hash of the most common title dedup key of the cluster: it
  depends on the paper, not on run or input order. Different papers with the same title key get
  ``-2``, ``-3``… in the order of their chosen abstract's key hash.
* **bibliographic fields** (``author_names``, ``year``, ``arxiv_id``, ``doi``, ``url``, ``venue``, ``volume``,
  ``number``, ``pages``, ``entry_type``, ``source_id``): the chosen copy's value when it has one, else the most
  common among the others; ``metadata``: every key any copy had (the chosen copy's value first).
* **repairs**: every repair applied to any merged copy; **quality**: flags of the chosen copy.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from .abstracts import KINDS
from .prepare import BIB_FIELDS, SPILL_FIELDS

Row = dict[str, Any]
#: Copies at least this share of the best copy's length are near-equal: agreement decides among them.
NEAR_EQUAL = 0.97
#: Rank of each abstract kind (lower wins): real abstracts, then short ones, then fields that are not one.
KIND_RANK = np.array([{"abstract": 0, "short": 1, "none": 3}.get(k, 2) for k in KINDS], dtype=np.int8)


def choose_representatives(labels: np.ndarray, kind: np.ndarray, truncated: np.ndarray, alen: np.ndarray,
                           nrep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cluster (in label order): its label and the index of the copy whose abstract wins (before
    the merge's agreement check among near-equal copies).

    >>> labs, reps = choose_representatives(np.array([0, 0, 2, 0, 0]), np.array([0, 0, 0, 0, 5]),
    ...     np.array([True, False, False, False, False]), np.array([900, 800, 50, 800, 2000]),
    ...     np.array([0, 2, 0, 1, 0]))
    >>> labs.tolist(), reps.tolist()
    ([0, 2], [3, 2])
    """
    idx = np.arange(len(labels))
    order = np.lexsort((idx, nrep, -alen, truncated, KIND_RANK[kind], labels))
    lab_sorted = labels[order]
    first = np.concatenate(([True], lab_sorted[1:] != lab_sorted[:-1])) if len(order) else np.zeros(0, bool)
    return lab_sorted[first], order[first]


def cluster_ids(labels: np.ndarray, tkey: np.ndarray, cluster_labels: np.ndarray, reps: np.ndarray,
                akey: np.ndarray) -> list[str]:
    """Stable ids, one per cluster in ``cluster_labels`` order (see the module docstring).

    >>> cluster_ids(np.array([0, 0, 2]), np.array([7, 7, 7], dtype=np.uint64), np.array([0, 2]),
    ...             np.array([0, 2]), np.array([5, 3], dtype=np.uint64).repeat([2, 1]))
    ['p0000000000000007-2', 'p0000000000000007']
    """
    order = np.lexsort((tkey, labels))
    lab, tk = labels[order], tkey[order]
    brk = np.flatnonzero((lab[1:] != lab[:-1]) | (tk[1:] != tk[:-1])) + 1
    starts = np.concatenate(([0], brk)) if len(lab) else np.zeros(0, np.int64)
    counts = np.diff(np.concatenate((starts, [len(lab)])))
    run_lab, run_tk = lab[starts], tk[starts]
    # per label: the title key with the most copies, ties to the smallest key
    pick = np.lexsort((run_tk, -counts, run_lab))
    pl = run_lab[pick]
    firsts = pick[np.concatenate(([True], pl[1:] != pl[:-1]))] if len(pick) else pick
    best = dict(zip(run_lab[firsts].tolist(), run_tk[firsts].tolist(), strict=True))
    base = [f"p{best[int(lab_)]:016x}" for lab_ in cluster_labels]
    groups: dict[str, list[tuple[int, int, int]]] = {}
    for pos, (b, lab_, rep) in enumerate(zip(base, cluster_labels.tolist(), reps.tolist(), strict=True)):
        groups.setdefault(b, []).append((int(akey[rep]), lab_, pos))
    ids = list(base)
    for b, members in groups.items():
        if len(members) > 1:
            for k, (_, _, pos) in enumerate(sorted(members)):
                ids[pos] = b if k == 0 else f"{b}-{k + 1}"
    return ids


def read_rows(refs: Sequence[tuple[str, int] | bytes], handles: dict[str, Any]) -> list[Row]:
    """Spill rows by (spill path, byte offset), or given as their bytes, as dicts."""
    rows = []
    for ref in refs:
        if isinstance(ref, bytes):
            rows.append(parse_row(ref))
            continue
        path, offset = ref
        fh = handles.get(path)
        if fh is None:
            fh = handles[path] = open(path, "rb")  # noqa: SIM115 - closed by the caller
        fh.seek(offset)
        rows.append(parse_row(fh.readline()))
    return rows


def parse_row(line: bytes) -> Row:
    """One spill row (see :func:`dedup.prepare.prepare_records`) as a dict."""
    try:
        values = orjson.loads(line)
    except orjson.JSONDecodeError:  # what orjson does not read (integers beyond 64 bits): the stdlib does
        values = json.loads(line)
    return dict(zip(SPILL_FIELDS, values, strict=True))


def _case_mangled(title: str) -> bool:
    letters = [c for c in title if c.isalpha()]
    return len(letters) > 3 and (title == title.lower() or title == title.upper())


def choose_title(rows: Sequence[Row], rep: int) -> str:
    """The title of a cluster (see the module docstring).

    >>> choose_title([{"title": "ON THE MOON", "title_repairs": []},
    ...               {"title": "On the Moon", "title_repairs": []}], rep=0)
    'On the Moon'
    """
    common = Counter(r["title"] for r in rows)
    best = min(range(len(rows)), key=lambda i: (_case_mangled(rows[i]["title"]), len(rows[i]["title_repairs"]),
                                                -common[rows[i]["title"]], i != rep, rows[i]["title"]))
    return str(rows[best]["title"])


def _most_common(values: Sequence[Any], tie: Any = min) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    c = Counter(present)
    top = max(c.values())
    return tie(v for v, k in c.items() if k == top)


def merge_metadata(rows: Sequence[Row]) -> dict[str, Any]:
    """Authors, date, upvotes and organization of a cluster (see the module docstring).

    >>> merge_metadata([{"authors": 3, "date": "06-12", "upvotes": 2, "organization": None},
    ...                 {"authors": 3, "date": "2024-06-12", "upvotes": 5, "organization": "Gensyn"}])
    {'authors': 3, 'date': '2024-06-12', 'upvotes': 5, 'organization': 'Gensyn'}
    """
    dates = [r["date"] for r in rows if r["date"]]
    full = [d for d in dates if len(d) == 10]
    ups = [r["upvotes"] for r in rows if r["upvotes"] is not None]
    return {
        "authors": _most_common([r["authors"] for r in rows], tie=max),
        "date": _most_common(full or dates),
        "upvotes": max(ups) if ups else None,
        "organization": _most_common([r["organization"] for r in rows]),
    }


def choice_reason(rows: Sequence[Row], rep: int) -> str:
    """Why the chosen copy's abstract won, in words for the report."""
    me = rows[rep]
    others = [r for i, r in enumerate(rows) if i != rep]
    reasons = []
    if _rank(me)[0] < min(_rank(r)[0] for r in others):
        reasons.append("a real abstract where others have none or a teaser")
    if "truncated" not in me["quality"] and any("truncated" in r["quality"] for r in others):
        reasons.append("complete where others are truncated")
    my_len = len(me["abstract"])
    if all(my_len > len(r["abstract"]) for r in others):
        reasons.append("longest abstract")
    elif all(my_len >= len(r["abstract"]) for r in others):
        if all(len(me["repairs"]) < len(r["repairs"]) for r in others if len(r["abstract"]) == my_len):
            reasons.append("fewest repairs among the longest")
        else:
            reasons.append("first in input order among equals")
    return "; ".join(reasons) or "most complete copy"


def _rank(row: Row) -> tuple[int, bool]:
    return int(KIND_RANK[KINDS.index(row["kind"])]), "truncated" in row["quality"]


def refine_choice(rows: Sequence[Row], rep: int) -> int:
    """Among the copies as good as ``rows[rep]`` (same kind rank, as complete, within :data:`NEAR_EQUAL` of its
    length), the one whose words the other copies confirm most; then one whose title kept its case (a scrape
    that lower-cased the title mangled the rest too); then the fewest repairs; ties keep ``rep``.

    >>> row = {"title": "The Moon", "kind": "abstract", "quality": [], "repairs": []}
    >>> rows = [dict(row, abstract="we study the moon and its tides"),
    ...         dict(row, abstract="we study the mon and its tides"),
    ...         dict(row, abstract="we study the moon and its tide")]
    >>> refine_choice(rows, 1)
    0
    >>> refine_choice([dict(row, abstract="we study teh moon", title="the moon"),
    ...                dict(row, abstract="we study the moon")], 0)
    1
    """
    if len(rows) < 2:
        return rep
    best = rows[rep]
    floor = NEAR_EQUAL * len(best["abstract"])
    near = [i for i, r in enumerate(rows) if _rank(r) == _rank(best) and len(r["abstract"]) >= floor]
    if len(near) < 2:
        return rep
    words = [set(r["abstract"].casefold().split()) for r in rows]

    def agreement(i: int) -> float:
        mine = words[i] or {""}
        return sum(len(mine & words[k]) for k in range(len(rows)) if k != i) / len(mine)

    return min(near, key=lambda i: (-round(agreement(i), 6), _case_mangled(rows[i]["title"]),
                                    len(rows[i]["repairs"]), i != rep, i))


def merge_bibliographic(rows: Sequence[Row], rep: int) -> dict[str, Any]:
    """The bibliographic fields of a cluster (see the module docstring), only those some copy had.

    >>> merge_bibliographic([{"bib": {"doi": "10.1/a", "metadata": {"lang": "en"}}},
    ...                      {"bib": {"year": 2020, "metadata": {"lang": "de", "db": "x"}}}], rep=0)
    {'year': 2020, 'doi': '10.1/a', 'metadata': {'db': 'x', 'lang': 'en'}}
    """
    out: dict[str, Any] = {}
    for name in BIB_FIELDS:
        if name == "metadata":
            merged: dict[str, Any] = {}
            for r in [rows[rep], *rows]:
                for k, v in r["bib"].get("metadata", {}).items():
                    merged.setdefault(k, v)
            if merged:
                out["metadata"] = dict(sorted(merged.items()))
            continue
        mine = rows[rep]["bib"].get(name)
        if mine is not None:
            out[name] = mine
            continue
        values = [json.dumps(r["bib"][name], sort_keys=True) for r in rows if r["bib"].get(name) is not None]
        if values:
            out[name] = json.loads(_most_common(values))
    return out


def merge_cluster(paper_id: str, rows: Sequence[Row], rep: int) -> tuple[Row, str, int]:
    """The corpus record of one cluster, the reason its abstract was chosen, and the chosen copy."""
    rep = refine_choice(rows, rep)
    me = rows[rep]
    title = choose_title(rows, rep)
    abstract = me["abstract"]
    record: Row = {"id": paper_id, "title": title, "abstract": abstract,
                   "text": f"{title}\n\n{abstract}" if abstract else title}
    record.update(merge_metadata(rows))
    record.update(merge_bibliographic(rows, rep))
    record["sources"] = sorted(({"file": r["file"], "line": r["line"], "layout": r["layout"]} for r in rows),
                               key=lambda s: (s["file"], s["line"]))
    record["repairs"] = sorted({x for r in rows for x in r["repairs"]})
    record["quality"] = sorted(me["quality"])
    return record, choice_reason(rows, rep) if len(rows) > 1 else "", rep


def dumps_record(record: Row) -> str:
    """One corpus line: compact JSON, UTF-8 (not ASCII-escaped), fields in schema order."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))
