"""Per-file stage, run in workers: read a dump, canonicalize every record, compute its dedup keys and
MinHash signatures, and spill the clean records to a temp file.

Only compact numpy arrays go back to the main process (about 0.7 KB a record), so memory stays bounded
whatever the corpus size; the merge stage reads records back from the spill by offset.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from .abstracts import KINDS, NOT_ABSTRACT, abstract_kind, clean_abstract, count_sentences
from .canonical import canonicalize_field, key_of_canonical
from .config import Config
from .features import FeatureBuilder, is_generic_title, key_hash, title_key
from .layouts import KnownTitles
from .read import read_file
from .records import RawRecord, Reject

#: Ellipses that listing pages put at the end of a cut abstract.
ELLIPSES = ("…", "...")
#: Words of the abstract's dedup key that make its prefix signature (a truncated copy keeps >= 60%).
PREFIX_WORDS = 40
#: Words of the abstract key whose exact equality says two abstracts open alike (the ``opening`` signal).
OPENING_WORDS = 8
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
                "repairs", "quality", "title_repairs", "kind", "bib")
#: Bibliographic fields carried to the corpus when any copy had them (the spill row's ``bib`` dict).
BIB_FIELDS = ("author_names", "year", "arxiv_id", "doi", "url", "venue", "volume", "number", "pages", "entry_type",
              "source_id", "metadata")


@dataclass
class Prepared:
    """What a worker sends back for one file: feature arrays indexed by the file's record order."""

    path: str
    layout: str
    rejects: list[Reject]
    spill: str
    arrays: dict[str, np.ndarray]  # see dedup.features.ARRAYS
    strings: dict[str, list[str]]  # see dedup.features.STRINGS
    titles: list[str] = field(default_factory=list)
    repair_counts: Counter[str] = field(default_factory=Counter)
    repair_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: widths of the (empty) signature matrices of a part with no spill (a file that could not be read)
    empty_matrices: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self.arrays["lines"])

    @property
    def lines(self) -> np.ndarray:
        return self.arrays["lines"]

    @property
    def offsets(self) -> np.ndarray:
        return self.arrays["offsets"]

    def matrix(self, name: str) -> np.ndarray:
        """A signature matrix (``sig`` or ``pre``), memory-mapped from where the worker saved it beside the
        spill (never pickled through a pipe)."""
        if self.empty_matrices is not None:
            return np.zeros((0, self.empty_matrices[0 if name == "sig" else 1]), np.uint32)
        return np.load(f"{self.spill}.{name}.npy", mmap_mode="r")


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
    >>> strip_ellipsis("It works. We then....")  # cut after a full stop: the page's ellipsis follows it
    ('It works. We then.', True)
    """
    for e in ELLIPSES:
        if abstract.endswith(e):
            return abstract[: -len(e)].rstrip(), True
    return abstract, False


_WORD_RE = re.compile(r"[^\W_]+")


def _hash_opt(value: str | None) -> int:
    return key_hash(value) if value else 0


def record_features(rec: RawRecord, title: str, abstract: str, kind: str, cut: bool, arxiv: str | None,
                    names: Sequence[str]) -> tuple[dict[str, int | bool], dict[str, str]]:
    """The decision's per-record values and strings (see :data:`dedup.features.ARRAYS` and ``STRINGS``)."""
    from .metadata import author_key, page_key, page_start, venue_citation, venue_key

    tkey = title_key(title)
    volume, pages = rec.volume, rec.pages
    if not (volume and pages):  # an export that wrote them into the venue: compared, never output from there
        cited = venue_citation(rec.venue)
        volume, pages = volume or cited[0], pages or cited[1]
    values: dict[str, int | bool] = {
        "lines": rec.source.line, "tkey": key_hash(tkey), "truncated": cut, "kind": KINDS.index(kind),
        "twords": min(len(_WORD_RE.findall(title)), 32767), "generic": is_generic_title(tkey),
        "doi": _hash_opt(rec.doi), "arxiv": _hash_opt(arxiv), "year": rec.year or 0,
        "volume": _hash_opt(page_start(volume)),
    }
    strings = {"title_keys": tkey, "venue_keys": venue_key(rec.venue) or "",
               "page_keys": page_key(pages, rec.year) or "", "author_keys": author_key(names),
               "dois": rec.doi or ""}
    return values, strings


@dataclass
class Chunk:
    """What a worker sends back for one chunk of a file's records: the spill rows as UTF-8 bytes (offsets
    in ``arrays`` count from the chunk's first byte), the feature arrays and strings, the signature matrices
    and the chunk's share of the report's repair counts. :func:`assemble` makes a file's chunks one
    :class:`Prepared`."""

    rows: bytes
    arrays: dict[str, np.ndarray]
    strings: dict[str, list[str]]
    sig: np.ndarray
    pre: np.ndarray
    titles: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    repair_counts: Counter[str] = field(default_factory=Counter)
    repair_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.arrays["lines"])


def _dumps_row(row: list[Any]) -> bytes:
    """A spill row as one line of JSON (orjson; the stdlib for what orjson refuses: integers beyond 64 bits,
    lone surrogates)."""
    try:
        return orjson.dumps(row) + b"\n"
    except (orjson.JSONEncodeError, TypeError):
        return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


def prepare_records(path: str, layout: str, records: Sequence[RawRecord], config: Config) -> Chunk:
    """Canonicalize, key and sign ``records`` (a run of one file's records, in order)."""
    from .metadata import arxiv_from_text
    from .signatures import prefix_signatures, signatures

    akeys: list[str] = []
    builder = FeatureBuilder()
    repair_counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    titles: list[str] = []
    rows: list[bytes] = []
    pos = 0
    for rec in records:
        title, t_rep = canonicalize_field(rec.title)
        title = " ".join(title.split())  # a title is one line: U+2028, U+2029, CR became line breaks
        cleaned = clean_abstract(rec.abstract)
        abstract, a_rep = canonicalize_field(cleaned.text) if cleaned.text else ("", ())
        body, cut = strip_ellipsis(abstract)
        cut = cut or cleaned.cut
        kind = abstract_kind(body, title)
        akey = key_of_canonical(body) if kind not in NOT_ABSTRACT else ""
        if cut:  # the cut may fall inside a word: its last token is not evidence
            akey = akey.rsplit(" ", 1)[0] if " " in akey else akey
        names = rec.author_names or tuple(cleaned.names)
        arxiv = rec.arxiv_id or cleaned.arxiv_id or (arxiv_from_text(abstract) if kind == "links" else None)
        repairs = sorted(set(rec.repairs) | set(t_rep) | set(a_rep) | set(cleaned.repairs))
        quality = list(rec.quality)
        if rec.split_confidence < SPLIT_CONFIDENCE:
            quality.append("uncertain-split")
        if kind == "none":
            quality.append("no-abstract")
        elif kind in NOT_ABSTRACT:
            quality.append("not-abstract")
        elif len(abstract) < SHORT_ABSTRACT:
            quality.append("short-abstract")
        if cut:
            quality.append("truncated")
        for name, before, after, fld in ((r, rec.title, title, "title") for r in t_rep):
            _count_example(repair_counts, examples, name, before, after, fld, path, rec.source.line)
        for name in [*a_rep, *cleaned.repairs]:
            _count_example(repair_counts, examples, name, rec.abstract, abstract, "abstract", path,
                           rec.source.line)
        for name in rec.repairs:  # the reader's own repairs (page furniture glued to the title)
            _count_example(repair_counts, examples, name, "[page furniture]" + rec.title, title, "title",
                           path, rec.source.line)
        bib = {k: v for k in BIB_FIELDS if (v := getattr(rec, k)) not in (None, (), {}, "")}
        if names and "author_names" not in bib:
            bib["author_names"] = list(names)
        if arxiv and "arxiv_id" not in bib:
            bib["arxiv_id"] = arxiv
        if "author_names" in bib:
            bib["author_names"] = list(bib["author_names"])
        authors = rec.authors if rec.authors is not None else (len(names) or None)
        row = [title, abstract, rec.source.file, rec.source.line, rec.source.layout, authors, rec.date,
               rec.upvotes, rec.organization, repairs, sorted(quality), list(t_rep), kind, bib]
        line = _dumps_row(row)
        rows.append(line)
        values, strings = record_features(rec, title, body, kind, cut, arxiv, names)
        head = akey.split(" ", OPENING_WORDS)[:OPENING_WORDS]
        values.update(offsets=pos, akey=key_hash(akey), alen=len(body), nrep=len(repairs),
                      head=key_hash(" ".join(head)) if len(head) == OPENING_WORDS else 0,
                      sentences=min(count_sentences(body), 32767))
        builder.add(values, strings)
        pos += len(line)
        akeys.append(akey)
        if layout != "oneline":
            titles.append(rec.title)  # raw: one-line bodies are matched before any repair
    sig, counts = signatures(akeys, num_perm=config.num_perm, ngram=config.ngram, seed=config.seed)
    pre, _ = prefix_signatures(akeys, words=PREFIX_WORDS, num_perm=PREFIX_PERM, ngram=config.ngram,
                               seed=config.seed + 1)
    arrays = builder.arrays()
    arrays["counts"] = counts.astype(np.int64)
    return Chunk(rows=b"".join(rows), arrays=arrays, strings=builder.strings, sig=sig, pre=pre, titles=titles,
                 repair_counts=repair_counts, repair_examples=examples)


class Assembler:
    """One file's :class:`Prepared` from its chunks, fed in order as they come back: the rows are appended to
    ``spill`` at once (offsets made file-wide) and the signature rows to raw files beside it, so a big file
    is never held whole; :meth:`finish` saves the matrices as ``.npy`` (copied file to file through memory
    maps; the main process later copies them straight into its big matrix) and cuts the repair examples to
    the first :data:`REPAIR_EXAMPLES` of the file, as one pass over the whole file keeps."""

    def __init__(self, path: str, layout: str, spill: str, config: Config) -> None:
        self.path, self.layout, self.spill, self.config = path, layout, spill, config
        self.out = open(spill, "wb")  # noqa: SIM115 - closed by finish() or close()
        self.raw = {name: open(f"{spill}.{name}.raw", "wb") for name in ("sig", "pre")}  # noqa: SIM115
        self.base = 0
        self.n = 0
        self.arrays: list[dict[str, np.ndarray]] = []
        self.strings: list[dict[str, list[str]]] = []
        self.titles: list[str] = []
        self.rejects: list[Reject] = []
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[dict[str, Any]]] = {}

    def add(self, c: Chunk) -> None:
        self.out.write(c.rows)
        arrays = dict(c.arrays)
        arrays["offsets"] = c.arrays["offsets"] + self.base
        self.base += len(c.rows)
        self.n += len(c)
        self.arrays.append(arrays)
        self.strings.append(c.strings)
        for name, fh in self.raw.items():
            fh.write(np.ascontiguousarray(getattr(c, name), dtype=np.uint32).tobytes())
        self.titles.extend(c.titles)
        self.rejects.extend(c.rejects)
        self.counts.update(c.repair_counts)
        for name, got in c.repair_examples.items():
            keep = self.examples.setdefault(name, [])
            keep.extend(got[: REPAIR_EXAMPLES - len(keep)])

    def close(self) -> None:
        self.out.close()
        for fh in self.raw.values():
            fh.close()

    def finish(self, rejects: list[Reject]) -> Prepared:
        """The file's :class:`Prepared`; ``rejects`` (the reader's) go before the chunks' own."""
        from .features import ARRAYS, STRINGS

        self.close()
        for name, width in (("sig", self.config.num_perm), ("pre", PREFIX_PERM)):
            raw = f"{self.spill}.{name}.raw"
            mat = np.lib.format.open_memmap(f"{self.spill}.{name}.npy", mode="w+", dtype=np.uint32,
                                            shape=(self.n, width))
            if self.n:
                mat[:] = np.memmap(raw, dtype=np.uint32, mode="r", shape=(self.n, width))
            mat.flush()
            del mat
            os.unlink(raw)
        arrays = {k: np.concatenate([a[k] for a in self.arrays]) if self.arrays else np.zeros(0, dtype)
                  for k, dtype in ARRAYS.items()}
        strings = {k: [x for st in self.strings for x in st[k]] for k in STRINGS}
        self.arrays, self.strings = [], []
        return Prepared(path=self.path, layout=self.layout, rejects=rejects + self.rejects, spill=self.spill,
                        arrays=arrays, strings=strings, titles=self.titles, repair_counts=self.counts,
                        repair_examples=self.examples)


def assemble(path: str, layout: str, rejects: list[Reject], chunks: Sequence[Chunk], spill: str,
             config: Config) -> Prepared:
    """One file's :class:`Prepared` from all its chunks in order (see :class:`Assembler`)."""
    asm = Assembler(path, layout, spill, config)
    try:
        for c in chunks:
            asm.add(c)
    except BaseException:
        asm.close()
        raise
    return asm.finish(rejects)


def prepare_file(path: str, config: Config, spill: str, known_titles: KnownTitles | None = None) -> Prepared:
    """Read, canonicalize, key and sign every record of one dump; spill the clean records to ``spill``
    (in-process, one chunk: what :func:`dedup.pipeline.prepare_all` does in chunks over workers)."""
    res = read_file(path, known_titles or ())
    chunk = prepare_records(path, res.layout, res.records, config)
    return assemble(path, res.layout, res.rejects, [chunk], spill, config)


def _count_example(counts: Counter[str], examples: dict[str, list[dict[str, Any]]], name: str, before: str,
                   after: str, fld: str, path: str, line: int) -> None:
    counts[name] += 1
    got = examples.setdefault(name, [])
    if len(got) < REPAIR_EXAMPLES:
        b, a = excerpt_change(before, after)
        got.append({"file": path, "line": line, "field": fld, "before": b, "after": a})
