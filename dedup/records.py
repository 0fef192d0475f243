"""Plain data passed between stages: provenance, raw records, rejects.

Every stage is a function over these, so the same code runs in-process, in
``multiprocessing`` workers and on Ray (they pickle cheaply).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """Where a record came from: the file path as given, the 1-based line where its title starts,
    and the layout the reader detected.

    >>> Source("seeds/a.txt", 21, "cards").to_dict()
    {'file': 'seeds/a.txt', 'line': 21, 'layout': 'cards'}
    """

    file: str
    line: int
    layout: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "layout": self.layout}


@dataclass(slots=True)
class RawRecord:
    """One paper as one dump shows it, before any repair.

    ``split`` says how the title/abstract boundary was found (``"layout"`` when the layout marks it;
    for one-paper-per-line dumps the rule that split it) and ``split_confidence`` how sure that is (0..1).
    """

    title: str
    #: ``""`` for a title-only record (a paper, flagged ``no-abstract``)
    abstract: str
    source: Source
    #: the author count (given, or the number of names)
    authors: int | None = None
    date: str | None = None
    upvotes: int | None = None
    organization: str | None = None
    #: bibliographic fields of JSON Lines records (see docs/design.md "Inputs"); identifiers normalised
    author_names: tuple[str, ...] = ()
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None
    venue: str | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    entry_type: str | None = None
    #: the source's own id for the record
    source_id: str | None = None
    #: fields the tool does not know, kept as they were
    metadata: dict[str, Any] = field(default_factory=dict)
    split: str = "layout"
    split_confidence: float = 1.0
    #: repairs the reader made (``furniture.glued``: page furniture removed from the title)
    repairs: tuple[str, ...] = ()
    #: quality flags the reader set (``invalid-metadata``: a field's value was not valid and was dropped)
    quality: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source"] = self.source.to_dict()
        d["repairs"] = list(self.repairs)
        d["author_names"] = list(self.author_names)
        d["quality"] = list(self.quality)
        return d


@dataclass(frozen=True, slots=True, order=True)
class Reject:
    """An input record that could not become a corpus record, with the reason."""

    file: str
    line: int
    reason: str
    excerpt: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "excerpt": self.excerpt}

    def format(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"
