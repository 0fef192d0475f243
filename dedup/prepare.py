"""Per-file stage, run in workers: read a dump, canonicalize every record, compute its dedup keys and
MinHash signatures, and spill the clean records to a temp file.

Only compact numpy arrays go back to the main process (about 0.7 KB a record), so memory stays bounded
whatever the corpus size; the merge stage reads records back from the spill by offset.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash

from .canonical import canonicalize_with_repairs, key_of_canonical
from .config import Config
from .layouts import KnownTitles
from .read import read_file
from .records import Reject

#: Ellipses that listing pages put at the end of a cut abstract.
ELLIPSES = ("…", "...")
#: Words of the abstract's dedup key that make its prefix signature (a truncated copy keeps >= 60%).
PREFIX_WORDS = 40
#: Permutations of the prefix signature (it only has to find candidates; verification uses the full one).
PREFIX_PERM = 32
#: A oneline split below this confidence is flagged ``uncertain-split``.
SPLIT_CONFIDENCE = 0.7
#: Abstracts shorter than this (characters) are flagged ``short-abstract``.
SHORT_ABSTRACT = 200
#: Examples of each repair rule kept per file for the report.
REPAIR_EXAMPLES = 3

#: Spill row fields, in order.
SPILL_FIELDS = ("title", "abstract", "file", "line", "layout", "authors", "date", "upvotes", "organization",
                "repairs", "quality", "title_repairs")


@dataclass
class Prepared:
    """What a worker sends back for one file: arrays indexed by the file's record order."""

    path: str
    layout: str
    rejects: list[Reject]
    spill: str
    offsets: np.ndarray  # int64 byte offset of each record's spill line
    lines: np.ndarray  # int64 source line
    sig: np.ndarray  # (n, num_perm) uint32, or empty when saved to ``<spill>.sig.npy`` (see :meth:`array`)
    pre: np.ndarray  # (n, PREFIX_PERM) uint32, or empty when saved to ``<spill>.pre.npy``
    counts: np.ndarray  # int64 distinct shingles of the abstract key
    akey: np.ndarray  # uint64 hash of the abstract key
    tkey: np.ndarray  # uint64 hash of the title key
    truncated: np.ndarray  # bool
    alen: np.ndarray  # int64 characters of the clean abstract
    nrep: np.ndarray  # int64 repairs applied
    titles: list[str] = field(default_factory=list)
    repair_counts: Counter[str] = field(default_factory=Counter)
    repair_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def array(self, name: str) -> np.ndarray:
        """One of the arrays; the signature matrices are read (memory-mapped) from the spill folder when
        the worker saved them there instead of sending them through a pipe."""
        value: np.ndarray = getattr(self, name)
        if name in ("sig", "pre") and value.size == 0 and len(self):
            return np.load(f"{self.spill}.{name}.npy", mmap_mode="r")
        return value


def key_hash(key: str) -> int:
    """A stable 64-bit hash of a dedup key (xxh3), never Python's ``hash()``.

    >>> key_hash("a b") == key_hash("a b") != key_hash("a c")
    True
    """
    return xxhash.xxh3_64_intdigest(key.encode("utf-8"))


def excerpt_change(before: str, after: str, width: int = 40) -> tuple[str, str]:
    """Short excerpts of ``before``/``after`` around the span where they differ (common prefix and suffix
    trimmed; linear time).

    >>> excerpt_change("x" * 100 + " 6.1times smaller", "x" * 100 + " 6.1× smaller", width=8)
    ('…xxxx 6.1times smaller', '…xxxx 6.1× smaller')
    """
    n = min(len(before), len(after))
    lo = next((i for i in range(n) if before[i] != after[i]), n)
    hi = 0
    while hi < n - lo and before[-1 - hi] == after[-1 - hi]:
        hi += 1

    def cut(s: str) -> str:
        start, stop = max(0, lo - width), min(len(s), len(s) - hi + width)
        return ("…" if start else "") + s[start:stop] + ("…" if stop < len(s) else "")

    return cut(before), cut(after)


def strip_ellipsis(abstract: str) -> tuple[str, bool]:
    """Whether an abstract was cut by a listing page, and its text without the ellipsis.

    >>> strip_ellipsis("We show that the method works on…")
    ('We show that the method works on', True)
    >>> strip_ellipsis("It works.")
    ('It works.', False)
    """
    for e in ELLIPSES:
        if abstract.endswith(e) and not abstract.endswith("...."):
            return abstract[: -len(e)].rstrip(), True
    return abstract, False


def prepare_file(path: str, config: Config, spill: str, known_titles: KnownTitles | None = None) -> Prepared:
    """Read, canonicalize, key and sign every record of one dump; spill the clean records to ``spill``."""
    from .signatures import prefix_signatures, signatures

    res = read_file(path, known_titles or ())
    n = len(res.records)
    offsets = np.zeros(n, dtype=np.int64)
    lines = np.zeros(n, dtype=np.int64)
    akeys: list[str] = []
    tkeys = np.zeros(n, dtype=np.uint64)
    akh = np.zeros(n, dtype=np.uint64)
    truncated = np.zeros(n, dtype=bool)
    alen = np.zeros(n, dtype=np.int64)
    nrep = np.zeros(n, dtype=np.int64)
    repair_counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    titles: list[str] = []
    pos = 0
    with open(spill, "w", encoding="utf-8", newline="\n") as out:
        for i, rec in enumerate(res.records):
            title, t_rep = canonicalize_with_repairs(rec.title)
            abstract, a_rep = canonicalize_with_repairs(rec.abstract)
            body, cut = strip_ellipsis(abstract)
            akey = key_of_canonical(body)
            if cut:  # the cut may fall inside a word: its last token is not evidence
                akey = akey.rsplit(" ", 1)[0] if " " in akey else akey
            tkey = key_of_canonical(title)
            repairs = sorted(set(rec.repairs) | set(t_rep) | set(a_rep))
            quality = []
            if rec.split_confidence < SPLIT_CONFIDENCE:
                quality.append("uncertain-split")
            if len(abstract) < SHORT_ABSTRACT:
                quality.append("short-abstract")
            if cut:
                quality.append("truncated")
            for name, before, after, fld in ((r, rec.title, title, "title") for r in t_rep):
                _count_example(repair_counts, examples, name, before, after, fld, path, rec.source.line)
            for name in a_rep:
                _count_example(repair_counts, examples, name, rec.abstract, abstract, "abstract", path,
                               rec.source.line)
            for name in rec.repairs:  # the reader's own repairs (page furniture glued to the title)
                _count_example(repair_counts, examples, name, "[page furniture]" + rec.title, title, "title",
                               path, rec.source.line)
            row = [title, abstract, rec.source.file, rec.source.line, rec.source.layout, rec.authors, rec.date,
                   rec.upvotes, rec.organization, repairs, quality, list(t_rep)]
            line = json.dumps(row, ensure_ascii=False) + "\n"
            out.write(line)
            offsets[i] = pos
            pos += len(line.encode("utf-8"))
            lines[i] = rec.source.line
            akeys.append(akey)
            tkeys[i] = key_hash(tkey)
            akh[i] = key_hash(akey)
            truncated[i] = cut
            alen[i] = len(body)
            nrep[i] = len(repairs)
            if res.layout != "oneline":
                titles.append(rec.title)  # raw: one-line bodies are matched before any repair
    sig, counts = signatures(akeys, num_perm=config.num_perm, ngram=config.ngram, seed=config.seed)
    pre, _ = prefix_signatures(akeys, words=PREFIX_WORDS, num_perm=PREFIX_PERM, ngram=config.ngram,
                               seed=config.seed + 1)
    # the signatures go to disk beside the spill: the main process copies them straight into its big
    # matrix, so they are never held twice nor pickled through a pipe
    np.save(f"{spill}.sig.npy", sig)
    np.save(f"{spill}.pre.npy", pre)
    empty = np.zeros((0, 0), np.uint32)
    return Prepared(path=path, layout=res.layout, rejects=res.rejects, spill=spill, offsets=offsets, lines=lines,
                    sig=empty, pre=empty, counts=counts.astype(np.int64), akey=akh, tkey=tkeys,
                    truncated=truncated, alen=alen, nrep=nrep, titles=titles, repair_counts=repair_counts,
                    repair_examples=examples)


def _count_example(counts: Counter[str], examples: dict[str, list[dict[str, Any]]], name: str, before: str,
                   after: str, fld: str, path: str, line: int) -> None:
    counts[name] += 1
    got = examples.setdefault(name, [])
    if len(got) < REPAIR_EXAMPLES:
        b, a = excerpt_change(before, after)
        got.append({"file": path, "line": line, "field": fld, "before": b, "after": a})
