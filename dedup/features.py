"""What the matcher knows of each record: compact per-record values, computed in the workers.

:class:`Features` is the one place that says which values exist (:data:`ARRAYS`, name -> dtype). Workers
fill one :class:`FeatureBuilder` per file; the main process concatenates them (:meth:`Features.concat`) and
hands them to the candidate signals (:mod:`dedup.signals`) and the decision (:mod:`dedup.decide`). Keys are
stable 64-bit hashes (xxh3), ``0`` meaning "unknown", so a comparison is "both known and equal/different".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .abstracts import KINDS

__all__ = ["ARRAYS", "GENERIC_TITLES", "FeatureBuilder", "Features", "is_generic_title", "key_hash", "title_key"]

#: Per-record arrays and their dtypes.
ARRAYS: dict[str, type] = {
    "lines": np.int64,  # source line
    "offsets": np.int64,  # byte offset of the record's spill line
    "counts": np.int64,  # distinct shingles of the abstract key
    "akey": np.uint64,  # hash of the abstract key (0: no abstract evidence)
    "tkey": np.uint64,  # hash of the title key
    "truncated": np.bool_,  # the abstract was cut (ellipsis, alert snippet)
    "alen": np.int64,  # characters of the clean abstract
    "sentences": np.int16,  # sentences of the clean abstract
    "head": np.uint64,  # hash of the abstract key's first words (0: fewer words)
    "nrep": np.int64,  # repairs applied
    "kind": np.int8,  # index into abstracts.KINDS
    "twords": np.int16,  # words of the title key
    "generic": np.bool_,  # the title is generic ("Editorial", "Reply", …)
    "doi": np.uint64,
    "arxiv": np.uint64,
    "year": np.int16,  # 0: unknown
    "volume": np.uint64,
}
#: Per-record strings the signals compare pairwise (``""``: unknown).
STRINGS = ("title_keys", "venue_keys", "page_keys", "author_keys", "dois")

def _keys(names: str) -> frozenset[str]:
    """A comma-separated list of titles as keys write them (no apostrophes)."""
    return frozenset(p.strip() for p in names.replace("\n", " ").replace("'", "").split(",") if p.strip())


#: Names of a journal's recurring columns: a title that is one, or ends with one, is the column.
COLUMN_NAMES = _keys("""
editor's comments, editors' comments, editor's note, editors' note, letter from the editor, from the editor,
from the editors, issue information, editorial introduction, editor's introduction, guest editorial,
guest editors' introduction, in this issue
""")
COLUMN_ENDINGS = tuple(sorted(" " + name for name in COLUMN_NAMES))
#: Titles that name a kind of item, not a paper: equal titles of this kind are no evidence of one paper.
GENERIC_TITLES = COLUMN_NAMES | _keys("""
editorial, editorials, introduction, preface, foreword,
erratum, errata, corrigendum, corrigenda, errata and corrigenda, correction, corrections, retraction,
retraction notice, expression of concern, reply, author reply, authors reply, author's reply, authors' reply,
reply to comment, response, response to comment, comment, comments, commentary, letter, letters,
letter to the editor, news, obituary, in memoriam, abstract, abstracts, poster, posters, book review,
book reviews, review, reviews, index, author index, subject index, contents, table of contents, front matter,
back matter, acknowledgment, acknowledgments, acknowledgement, acknowledgements, reviewers, discussion,
conclusion, conclusions, summary, untitled, note, notes, announcement, announcements, highlights,
cover image, call for papers, keynote, invited talk, panel discussion, tutorial, workshop,
letter to editor, letters to the editor, letters to editor, notes on contributors, books received, list of reviewers,
reviewers list, acknowledgement of reviewers, acknowledgment of reviewers, reviewer acknowledgement,
reviewer acknowledgment, instructions for authors, information for authors, guidelines for authors, author
guidelines, masthead, editorial board, meeting abstracts, conference abstracts, issue highlights
""")

_TAG_RE = re.compile(r"</?(?:inf|sup|sub|i|b|em|strong|u|scp|sc|mml:[a-z]+|math|span|font)\b[^>]*>", re.IGNORECASE)
_GENERIC_TAIL_RE = re.compile(r"^(?:re|re:)?\s*|\s*\(?(?:vol|volume|issue|part|no)?\s*[0-9ivx]*\)?\s*$")


def key_hash(key: str) -> int:
    """A stable 64-bit hash of a key (xxh3), never Python's ``hash()``; ``""`` hashes to 0 ("unknown").

    >>> key_hash("a b") == key_hash("a b") != key_hash("a c"), key_hash("")
    (True, 0)
    """
    import xxhash

    return xxhash.xxh3_64_intdigest(key.encode("utf-8")) or 1 if key else 0


#: What bibliographic databases append to a title: ``[Review] [45 refs]``, ``[Chinese]``, ``[see comments]``
#: (square brackets, MEDLINE's convention), ``(provisional abstract)`` (the NHS CRD databases).
_ANNOTATION_RE = re.compile(r"(?:\s*(?:\[[^\[\]]{0,60}\]|\((?:provisional|structured)? ?abstract\)))+\s*\.?\s*$",
                            re.IGNORECASE)


def title_key(title: str) -> str:
    """The dedup key of a (canonical) title, with inline markup and a database's trailing annotations dropped:
    ``GABA<inf>B</inf>`` and ``GABAB`` are one title, and so are ``X. [Review] [45 refs]`` and ``X``.

    >>> title_key("GABA<inf>B</inf> receptors"), title_key("GABAB Receptors.")
    ('gabab receptors', 'gabab receptors')
    >>> title_key("CIN 3: a review [Review] [45 refs]"), title_key("CIN 3: a review (provisional abstract)")
    ('cin 3 a review', 'cin 3 a review')
    """
    from .canonical import key_of_canonical

    title = _TAG_RE.sub("", title)
    stripped = _ANNOTATION_RE.sub("", title)
    return key_of_canonical(stripped if stripped.strip() else title)


def is_generic_title(key: str) -> bool:
    """Whether a title key names a kind of item rather than a paper.

    >>> is_generic_title("editorial"), is_generic_title("reply to comment"), is_generic_title("erratum 2")
    (True, True, True)
    >>> is_generic_title("attention is all you need")
    False

    A title that ends with a column's name is the column (``Remarks from MIS Quarterly Editor - Editor's Comments``,
    one in every issue); one word is no column's name (``Deep learning: a review`` is a paper).

    >>> is_generic_title("remarks from mis quarterly editor editors comments")
    True
    >>> is_generic_title("deep learning a review"), is_generic_title("notes from the field in this issue of x")
    (False, False)
    """
    k = key.strip(" .:")
    if k in GENERIC_TITLES:
        return True
    core = _GENERIC_TAIL_RE.sub("", k)
    return core in GENERIC_TITLES or core.endswith(COLUMN_ENDINGS)


@dataclass
class FeatureBuilder:
    """Per-file collector: one :meth:`add` per record, then :meth:`arrays`."""

    cols: dict[str, list[int | bool]] = field(default_factory=lambda: {k: [] for k in ARRAYS})
    strings: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in STRINGS})

    def add(self, values: dict[str, int | bool], strings: dict[str, str]) -> None:
        for name, col in self.cols.items():
            col.append(values.get(name, 0))
        for name, scol in self.strings.items():
            scol.append(strings.get(name, ""))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(col, dtype=ARRAYS[name]) for name, col in self.cols.items()}


@dataclass
class Features:
    """The features of all records of a run, in global record order, plus the signature matrices."""

    arrays: dict[str, np.ndarray]
    strings: dict[str, list[str]]  # see STRINGS
    sig: np.ndarray  # (n, num_perm) uint32, MinHash of the abstract key
    pre: np.ndarray  # (n, PREFIX_PERM) uint32, MinHash of the abstract key's first words
    file: np.ndarray  # int64 index of the record's file

    def __len__(self) -> int:
        return len(self.file)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def title_keys(self) -> list[str]:
        return self.strings["title_keys"]

    @property
    def venue_keys(self) -> list[str]:
        return self.strings["venue_keys"]

    @property
    def page_keys(self) -> list[str]:
        return self.strings["page_keys"]

    @property
    def dois(self) -> list[str]:
        return self.strings["dois"]

    @property
    def author_keys(self) -> list[str]:
        return self.strings["author_keys"]

    def kind_is(self, *kinds: str) -> np.ndarray:
        """Mask of records whose abstract is one of ``kinds``."""
        codes = [KINDS.index(k) for k in kinds]
        return np.isin(self.arrays["kind"], codes)

    @staticmethod
    def concat(parts: Sequence[tuple[dict[str, np.ndarray], dict[str, list[str]]]], sig: np.ndarray,
               pre: np.ndarray) -> Features:
        """One :class:`Features` from per-file (arrays, strings) and the signature matrices."""
        arrays = {name: np.concatenate([p[0][name] for p in parts]) if parts else np.zeros(0, dtype)
                  for name, dtype in ARRAYS.items()}
        strings = {name: [k for p in parts for k in p[1][name]] for name in STRINGS}
        file = np.concatenate([np.full(len(p[0]["lines"]), i, np.int64) for i, p in enumerate(parts)]) if parts \
            else np.zeros(0, np.int64)
        return Features(arrays, strings, sig, pre, file)
