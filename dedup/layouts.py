"""Parsers for the dump layouts, one function per layout, and the detector that picks one.

A parser takes the decoded lines of one file (line 1 is ``lines[0]``) and returns the raw records and
the record-level rejects it found. Page furniture never becomes a record or part of one.

Layouts (see README, "Input layouts"):

``cards``
    title, blank line, abstract, blank line; page furniture at the top.
``pairs``
    a title line then an abstract line, no blank lines; the first title is glued to the page's
    "Subscribe" (``SubscribeOn the Provable …``).
``oneline``
    one paper per line: ``<upvotes or -> <title> <abstract> <N> authors · <date>``; the title/abstract
    boundary is not marked and is found by :func:`split_title_abstract`.
``meta``
    cards followed by an optional metadata block: ``• N authors`` or an organisation line, then ``·``,
    then a date with an optional upvote count (``Aug 2, 2024 3``, ``Jun 12 2``).
``jsonl``
    JSON Lines with ``title`` and optional ``abstract``, ``authors`` (a count, a list of names or one
    bibliographic string), ``date``/``year``, identifiers (``arxiv_id``, ``doi``, ``url``), ``venue``,
    ``volume``, ``number``, ``pages``, ``entry_type``, ``upvotes``, ``organization`` and ``id``; any other
    field is kept under ``metadata``.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .features import key_hash
from .records import RawRecord, Reject, Source

#: Lines of page furniture, matched exactly (after stripping spaces).
FURNITURE = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    }
)
#: Furniture glued to the start of the first title of a page (``SubscribeOn the …``).
GLUED_FURNITURE = ("Subscribe", "Daily Papers")

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#: The page date at the top of a listing page (``Jul 30``).
PAGE_DATE = re.compile(rf"^{_MON} \d{{1,2}}$")
#: A metadata date line: ``Aug 2, 2024 3`` / ``Jun 12 2`` / ``Jun 9`` / ``Jan 23, 2023``.
META_DATE = re.compile(rf"^(?P<mon>{_MON}) (?P<day>\d{{1,2}})(?:, (?P<year>\d{{4}}))?(?: (?P<up>\d+))?$")
AUTHORS_LINE = re.compile(r"^•\s*(?P<n>\d+) authors?$")
ONELINE = re.compile(
    rf"^(?P<up>\d+|-) (?P<body>.+?)(?: (?P<authors>\d+) authors?)? · "
    rf"(?P<mon>{_MON}) (?P<day>\d{{1,2}})(?:, (?P<year>\d{{4}}))?$"
)

SMALL_WORDS = frozenset(
    [
        'a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'into', 'of', 'on', 'or', 'over', 'the',
        'to', 'under', 'via', 'vs', 'with', 'without', 'between', 'through', 'towards', 'toward', 'is',
        'are', 'be', 'using', 'beyond'
    ]
)
OPENERS = frozenset(
    [
        'we', 'in', 'this', 'the', 'recent', 'recently', 'existing', 'our', 'to', 'while', 'prior', 'a',
        'an', 'large', 'large-scale', 'pre-training', 'pretraining', 'despite', 'although', 'with', 'many',
        'most', 'current', 'deep', 'how', 'as', 'given', 'however', 'transformer', 'training', 'learning',
        'since', 'traditional'
    ]
)


def parse_date(mon: str, day: str, year: str | None) -> str:
    """ISO ``YYYY-MM-DD`` when the year is given, else ``MM-DD``.

    >>> parse_date("Sep", "7", "2022")
    '2022-09-07'
    >>> parse_date("Jun", "12", None)
    '06-12'
    """
    md = f"{MONTHS[mon]:02d}-{int(day):02d}"
    return f"{year}-{md}" if year else md


def parse_organization(line: str) -> str:
    """The organisation from a listing's organisation line: the name, without the avatar's alt text
    that the scrape glued after it (``Gensyn Gensyn``, ``AQ-MedAI AQ``).

    >>> parse_organization("Gensyn Gensyn")
    'Gensyn'
    >>> parse_organization("AQ-MedAI AQ")
    'AQ-MedAI'
    >>> parse_organization("Allen Institute for AI Allen Institute for AI")
    'Allen Institute for AI'
    >>> parse_organization("DeepMind")
    'DeepMind'
    """
    words = line.split()
    n = len(words)
    if n % 2 == 0 and words[: n // 2] == words[n // 2:]:
        return " ".join(words[: n // 2])
    if n >= 2 and words[0].casefold().startswith(words[-1].casefold()):
        return " ".join(words[:-1])
    return " ".join(words)


def strip_glued_furniture(title: str) -> tuple[str, bool]:
    """Remove page furniture glued to the start of a title.

    >>> strip_glued_furniture("SubscribeOn the Provable Advantage of Unsupervised Pretraining")
    ('On the Provable Advantage of Unsupervised Pretraining', True)
    >>> strip_glued_furniture("Subscriber Churn Prediction")
    ('Subscriber Churn Prediction', False)
    """
    for junk in GLUED_FURNITURE:
        rest = title[len(junk):]
        if title.startswith(junk) and rest[:1].isupper() or title.startswith(junk + " ") and rest.strip():
            return rest.strip(), True
    return title, False


# --------------------------------------------------------------------------------------- line shapes
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s+[A-Z(\"]")


def is_plainly_abstract(line: str) -> bool:
    """Too long, or too many sentences, to be a title.

    >>> is_plainly_abstract("When to Pre-Train Graph Neural Networks? From Data Generation Perspective!")
    False
    """
    sentences = len(_SENTENCE_END.findall(line)) + line.rstrip().endswith((".", "!", "?", "…"))
    return len(line) >= 320 or (len(line) >= 150 and sentences >= 2)


def looks_like_abstract(line: str) -> bool:
    """A line that reads as an abstract (long, or several sentences), not a title.

    >>> looks_like_abstract("Selfie: Self-supervised Pretraining for Image Embedding")
    False
    >>> looks_like_abstract("We introduce a pretraining technique. It works on images and text alike.")
    True
    """
    if len(line) >= 320:
        return True
    return bool(_SENTENCE_END.search(line)) and line.rstrip()[-1:] in ".!?)\"'…" and len(line) >= 60


# ------------------------------------------------------------------------------ one-line title split
def _is_lower_word(w: str) -> bool:
    w = w.lstrip("\"'(“‘[")
    return bool(w) and w[0].islower()


def _is_upper_start(w: str) -> bool:
    w = w.lstrip("\"'“‘")
    return bool(w) and (w[0].isupper() or w[0].isdigit())


def _is_skippable(w: str) -> bool:
    """Parentheticals and acronyms say nothing about sentence case."""
    core = w.strip("\"'()[],.;:“”‘’")
    return (not core or w.startswith("(") or (core.isupper() and len(core) > 1)
            or core.lower() in SMALL_WORDS and core[:1].islower())


def _abstract_start_score(words: Sequence[str], k: int) -> float:
    score = 0.0
    for w in words[k + 1: k + 6]:
        if _is_skippable(w):
            continue
        score += 2.0 if _is_lower_word(w) else 0.0
        break
    if words[k].strip("\"'“,").casefold() in OPENERS:
        score += 1.0
    return score


def _title_scores(words: Sequence[str], stop: int) -> list[float]:
    """How well ``words[:k]`` reads as a title, for every ``k`` below ``stop`` (index 0 unused): Title Case,
    no sentence punctuation inside, not ending on a connective. Counts are running sums, so scoring every
    candidate is linear in the words, not quadratic."""
    scores = [-math.inf] * stop
    lower = sentences = 0  # content words in lower case in words[1:k]; sentence ends in words[:k-1]
    for k in range(1, stop):
        last = words[k - 1]
        if k >= 2:
            lower += _is_lower_word(last) and last.casefold().strip(",;:") not in SMALL_WORDS
        if last.casefold() in SMALL_WORDS or last.endswith((":", "-", ",")):
            ends = False
        else:
            ends = last.endswith((".", "!")) and len(last) > 3
            score = -0.5 * lower - 1.0 * (sentences + ends) + 0.1 * k
            scores[k] = score + 1.0 if last.endswith("?") else score
        sentences += last.endswith((".", "!")) and len(last) > 3
    return scores


class KnownTitles:
    """Titles seen in other dumps, folded (casefold, single spaces), as 64-bit hashes: a sorted array of
    the titles' hashes and, per hash of their first :attr:`PREFIX` words, the longest such title. 8 bytes
    a title plus 16 a prefix (a set of the strings took ~490 bytes a title, and every worker holds one).
    Titles added wait in Python containers (looked up there too) and are folded into the arrays in bulk.
    A lookup hashes the body's word ends (longest first, up to the longest title under its prefix); two
    different strings sharing a 64-bit hash is the only way it can err (~10⁻⁸ per run at 10⁶ titles).

    >>> KnownTitles(["Self-Training: A Survey"]).match("Self-Training: a survey Semi-supervised ...")
    'self-training: a survey'
    """

    PREFIX = 2
    #: Titles that wait in Python containers before they are folded into the arrays.
    PENDING = 1 << 16

    def __init__(self, titles: Iterable[str] = ()) -> None:
        import numpy as np

        self._hashes = np.zeros(0, np.uint64)  # sorted, unique
        self._prefixes = np.zeros(0, np.uint64)  # sorted, unique
        self._longest = np.zeros(0, np.int64)  # per prefix: the longest title's length
        self._new: set[int] = set()
        self._new_longest: dict[int, int] = {}
        self._views()
        for t in titles:
            self.add(t)

    def add(self, title: str) -> None:
        folded = " ".join(title.split()).casefold()
        words = folded.split(maxsplit=self.PREFIX)
        if len(words) < self.PREFIX:
            return
        self._new.add(key_hash(folded))
        prefix = key_hash(" ".join(words[: self.PREFIX]))
        if len(folded) > self._new_longest.get(prefix, 0):
            self._new_longest[prefix] = len(folded)
        if len(self._new) >= self.PENDING:
            self._fold()

    def _fold(self) -> None:
        """Move the titles waiting in the Python containers into the sorted arrays."""
        import numpy as np

        if not self._new and not self._new_longest:
            return
        self._hashes = np.union1d(self._hashes, np.fromiter(self._new, np.uint64, len(self._new)))
        pre = np.concatenate([self._prefixes, np.fromiter(self._new_longest, np.uint64, len(self._new_longest))])
        longest = np.concatenate([self._longest,
                                  np.fromiter(self._new_longest.values(), np.int64, len(self._new_longest))])
        self._prefixes, inverse = np.unique(pre, return_inverse=True)
        self._longest = np.zeros(len(self._prefixes), np.int64)
        np.maximum.at(self._longest, inverse.ravel(), longest)
        self._new, self._new_longest = set(), {}
        self._views()

    def _views(self) -> None:
        """Python-level views of the arrays: ``bisect`` on them costs ~1 µs, a numpy call a few."""
        self._hview = self._hashes.data
        self._pview = self._prefixes.data
        self._lview = self._longest.data

    def __getstate__(self) -> dict[str, Any]:
        self._fold()
        return {k: v for k, v in self.__dict__.items() if k not in ("_hview", "_pview", "_lview")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._views()

    def match(self, body: str) -> str:
        """The longest known title that ``body`` starts with (followed by more text), or ``""``."""
        folded = " ".join(body.split()).casefold()
        words = folded.split(maxsplit=self.PREFIX)
        if len(words) <= self.PREFIX:
            return ""
        prefix = key_hash(" ".join(words[: self.PREFIX]))
        pv = self._pview
        i = bisect_left(pv, prefix)
        # titles added since the last fold wait in ``_new``: looked up there too, never folded per lookup
        # (a caller that adds a few titles before each lookup would pay a sort of the whole array each time)
        longest = max(self._lview[i] if i < len(pv) and pv[i] == prefix else 0, self._new_longest.get(prefix, 0))
        hv, new = self._hview, self._new
        end = folded.rfind(" ", 0, longest + 1)  # the body's word ends, longest first
        while end > 0:
            h = key_hash(folded[:end])
            if h in new:
                return folded[:end]
            j = bisect_left(hv, h)
            if j < len(hv) and hv[j] == h:
                return folded[:end]
            end = folded.rfind(" ", 0, end)
        return ""

    def __len__(self) -> int:
        self._fold()
        return len(self._hashes)


@dataclass(frozen=True, slots=True)
class Split:
    """Where a one-line record's title ends, how it was found and how sure that is."""

    title: str
    abstract: str
    rule: str
    confidence: float


def split_title_abstract(body: str, known_titles: KnownTitles | Iterable[str] = ()) -> Split:
    """Split ``<title> <abstract>`` where the boundary is not marked.

    A title seen in another dump is the strongest evidence (confidence 1.0). Otherwise every
    capitalised word is a candidate start of the abstract, scored by how the title side reads (Title
    Case, no sentence punctuation, not ending on a connective) and how the abstract side reads (a
    sentence: the next content word is lower case; a common opener such as "We" or "In"). The
    confidence grows with the margin between the best and the second-best candidate.

    >>> s = split_title_abstract("Test-Time Training on Video Streams Prior work has established TTT.")
    >>> s.title, s.abstract[:10], s.rule
    ('Test-Time Training on Video Streams', 'Prior work', 'heuristic')
    >>> split_title_abstract("Large-scale pretraining on images Pretraining a model is standard.",
    ...                      ["large-scale pretraining on images"]).confidence
    1.0
    """
    index = known_titles if isinstance(known_titles, KnownTitles) else KnownTitles(known_titles)
    best_known = index.match(body)
    words = body.split()
    if best_known:
        n = len(best_known.split())
        return Split(" ".join(words[:n]), " ".join(words[n:]), "known-title", 1.0)
    scored: list[tuple[float, int]] = []
    stop = max(1, min(len(words) - 1, 60))
    titles = _title_scores(words, stop)
    for k in range(1, stop):
        if not _is_upper_start(words[k]):
            continue
        t = titles[k]
        if t == -math.inf:
            continue
        scored.append((t + _abstract_start_score(words, k), k))
    if not scored:
        return Split(body, "", "none", 0.0)
    scored.sort(key=lambda sk: (-sk[0], sk[1]))
    best, k = scored[0]
    margin = best - scored[1][0] if len(scored) > 1 else 3.0
    confidence = round(min(0.95, 0.5 + 0.15 * margin), 2)
    return Split(" ".join(words[:k]), " ".join(words[k:]), "heuristic", confidence)


# --------------------------------------------------------------------------------------------- parsers
Parsed = tuple[list[RawRecord], list[Reject]]


def _skip_header(lines: Sequence[str]) -> int:
    """Index of the first line after the page furniture at the top of a page."""
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s and s not in FURNITURE and not PAGE_DATE.match(s):
            break
        i += 1
    return i


def _blocks(lines: Sequence[str], start: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines: (0-based index of first line, stripped lines); furniture dropped."""
    out: list[tuple[int, list[str]]] = []
    cur: list[str] = []
    first = 0
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if not s or s in FURNITURE:
            if cur:
                out.append((first, cur))
                cur = []
            continue
        if not cur:
            first = i
        cur.append(s)
    if cur:
        out.append((first, cur))
    return out


def _excerpt(s: str) -> str:
    return s if len(s) <= 80 else s[:77] + "..."


def _is_meta_block(block: list[str]) -> bool:
    return "·" in block


def _apply_meta(rec: RawRecord, block: list[str]) -> str | None:
    """Fill ``rec`` from a metadata block; returns a reason if the block is malformed."""
    dot = block.index("·")
    before, after = block[:dot], block[dot + 1:]
    for line in before:
        m = AUTHORS_LINE.match(line)
        if m:
            rec.authors = int(m["n"])
        else:
            rec.organization = parse_organization(line)
    for line in after:
        m = META_DATE.match(line)
        if not m:
            return f"unrecognised metadata line {line!r}"
        rec.date = parse_date(m["mon"], m["day"], m["year"])
        rec.upvotes = int(m["up"]) if m["up"] else None
    return None


def _pair_up(path: str, items: list[tuple[int, str, tuple[str, ...]]], layout: str,
             metas: dict[int, tuple[int, list[str]]] | None = None) -> Parsed:
    """Pair title and abstract lines in order. The position decides (a title comes first); the shape of
    the text only overrides it when it is clear: a line that is plainly an abstract where a title is due
    is an orphan abstract, and a title followed by a title that is followed by an abstract leaves the
    first one an orphan title. ``items`` are ``(line, text, repairs)``; ``metas`` maps an item's index to
    the metadata block that follows it."""
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    metas = metas or {}
    i = 0
    n = len(items)
    while i < n:
        line_no, text, repairs = items[i]
        if is_plainly_abstract(text):
            rejects.append(Reject(path, line_no, "abstract with no title", _excerpt(text)))
            i += 1
            continue
        if i in metas or i + 1 >= n or (
            not is_plainly_abstract(items[i + 1][1]) and i + 2 < n and is_plainly_abstract(items[i + 2][1])
            and i + 1 not in metas
        ):
            rejects.append(Reject(path, line_no, "title with no abstract", _excerpt(text)))
            i += 1
            continue
        rec = RawRecord(title=text, abstract=items[i + 1][1], source=Source(path, line_no, layout),
                        repairs=repairs)
        records.append(rec)
        if i + 1 in metas:
            block_line, block = metas[i + 1]
            reason = _apply_meta(rec, block)
            if reason:
                rejects.append(Reject(path, block_line, reason, _excerpt(" ".join(block))))
        i += 2
    return records, rejects


def parse_cards(path: str, lines: Sequence[str], layout: str = "cards") -> Parsed:
    """Cards: title, blank, abstract, blank, and (``meta``) an optional metadata block."""
    items: list[tuple[int, str, tuple[str, ...]]] = []
    metas: dict[int, tuple[int, list[str]]] = {}
    rejects: list[Reject] = []
    for first, block in _blocks(lines, _skip_header(lines)):
        if _is_meta_block(block):
            if not items or len(items) - 1 in metas:
                rejects.append(Reject(path, first + 1, "metadata block with no paper", _excerpt(block[0])))
            else:
                metas[len(items) - 1] = (first + 1, block)
            continue
        text, glued = strip_glued_furniture(" ".join(block))
        items.append((first + 1, text, ("furniture.glued",) if glued else ()))
    records, more = _pair_up(path, items, layout, metas)
    return records, sorted(rejects + more)


def parse_meta(path: str, lines: Sequence[str]) -> Parsed:
    """Cards with metadata blocks (``• N authors`` / organisation, ``·``, date and upvotes)."""
    return parse_cards(path, lines, layout="meta")


def parse_pairs(path: str, lines: Sequence[str]) -> Parsed:
    """Line pairs: a title line then an abstract line; the first title glued to ``Subscribe``."""
    items: list[tuple[int, str, tuple[str, ...]]] = []
    for i, line in enumerate(lines):
        raw = line.strip()
        if not raw or raw in FURNITURE:
            continue
        text, glued = strip_glued_furniture(raw)
        items.append((i + 1, text, ("furniture.glued",) if glued else ()))
    return _pair_up(path, items, "pairs")


def parse_oneline(path: str, lines: Sequence[str], known_titles: KnownTitles | Iterable[str] = (),
                  start: int = 0) -> Parsed:
    """One paper per line: ``<upvotes or -> <title> <abstract> <N> authors · <date>``. ``start``: the file's
    line index of ``lines[0]`` (a chunk of a big file is parsed on its own: a record is one line)."""
    known = known_titles if isinstance(known_titles, KnownTitles) else KnownTitles(known_titles)
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    for i, line in enumerate(lines, start):
        s = line.strip()
        if not s or s in FURNITURE:
            continue
        m = ONELINE.match(s)
        if not m:
            rejects.append(Reject(path, i + 1, "not a one-line record (<upvotes> <title> <abstract> "
                                  "<N> authors · <date>)", _excerpt(s)))
            continue
        split = split_title_abstract(m["body"], known)
        if not split.abstract:
            rejects.append(Reject(path, i + 1, "title with no abstract", _excerpt(m["body"])))
            continue
        records.append(RawRecord(
            title=split.title, abstract=split.abstract, source=Source(path, i + 1, "oneline"),
            authors=int(m["authors"]) if m["authors"] else None,
            date=parse_date(m["mon"], m["day"], m["year"]),
            upvotes=None if m["up"] == "-" else int(m["up"]),
            split=split.rule, split_confidence=split.confidence))
    return records, rejects


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"duplicate key {dup[0]!r}")
    return dict(pairs)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(s: str) -> bool:
    return not s.isascii() and _SURROGATE_RE.search(s) is not None


#: Plain string fields of a JSON Lines record (numbers are accepted for the bibliographic ones and kept as
#: text: ``"volume": 32`` and ``"volume": "32"`` are one volume).
_TEXT_FIELDS = ("organization", "venue", "volume", "number", "pages", "entry_type")
#: Fields a JSON Lines record may carry; any other field is kept under ``metadata``.
JSONL_FIELDS = frozenset({"title", "abstract", "authors", "date", "year", "upvotes", "arxiv_id", "doi", "url",
                          "id", *_TEXT_FIELDS})
#: The largest author count taken as a count (larger is a data error: the field is dropped and flagged).
MAX_AUTHORS = 10_000
_DATE_RE = re.compile(r"^(?:(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?|(?P<m2>\d{2})-(?P<d2>\d{2}))$")


def valid_date(value: str) -> bool:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``MM-DD``, naming a day that exists.

    >>> valid_date("2024-02-29"), valid_date("2023-02-30"), valid_date("08-12"), valid_date("Aug 12")
    (True, False, True, False)
    """
    import datetime as dt

    m = _DATE_RE.match(value)
    if not m:
        return False
    year = int(m["y"]) if m["y"] else 2000  # MM-DD: any leap year admits 02-29
    month = int(m["m"] or m["m2"] or 1)
    day = int(m["d"] or m["d2"] or 1)
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _scalar_text(value: object) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def parse_jsonl_line(path: str, line_no: int, s: str) -> RawRecord | Reject:
    """One JSON Lines record, or the reason it is not one.

    ``title`` is required; a record without an abstract is a title-only paper. Known fields with a value
    that cannot be right (a date that does not exist, negative upvotes, a DOI that is not one) are dropped and
    the record is flagged ``invalid-metadata``; unknown fields are kept under ``metadata``.

    >>> parse_jsonl_line("a.jsonl", 1, '{"title": "T", "abstract": "A", "authors": 3}').authors
    3
    >>> r = parse_jsonl_line("a.jsonl", 2, '{"title": "T", "authors": "Li, X. and Sun, S.", "doi": "10.1002/X.1"}')
    >>> r.abstract, r.authors, r.author_names, r.doi
    ('', 2, ('Li, X.', 'Sun, S.'), '10.1002/x.1')
    >>> parse_jsonl_line("a.jsonl", 3, '{"title": "T", "abstract": NaN}').format()
    'a.jsonl:3: malformed JSON: NaN is not valid JSON'
    >>> parse_jsonl_line("a.jsonl", 4, '{"title": "T", "date": "2023-02-30", "lang": "en"}').quality
    ('invalid-metadata',)
    """
    from .metadata import arxiv_from_url, author_names, doi_from_url, normalize_arxiv, normalize_doi, year_of

    try:
        obj = json.loads(s, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return Reject(path, line_no, f"malformed JSON: {msg}", _excerpt(s))
    if not isinstance(obj, dict):
        return Reject(path, line_no, "malformed JSON: a record must be an object", _excerpt(s))
    if _has_lone_surrogate(json.dumps(obj, ensure_ascii=False)):
        return Reject(path, line_no, "lone surrogate in a string", _excerpt(s))
    title, abstract = obj.get("title"), obj.get("abstract")
    if not isinstance(title, str) or not title.strip():
        return Reject(path, line_no, "record with no title", _excerpt(s))
    if abstract is not None and not isinstance(abstract, str):
        return Reject(path, line_no, "field 'abstract' must be a string", _excerpt(s))
    invalid: list[str] = []
    fields: dict[str, Any] = {}
    count, names = author_names(obj.get("authors"))
    if obj.get("authors") is not None and count is None:
        invalid.append("authors")
    if count is not None and not 0 <= count <= MAX_AUTHORS:
        invalid.append("authors")
        count = None
    fields["authors"], fields["author_names"] = count, names
    date = obj.get("date")
    if date is not None:
        if isinstance(date, str) and valid_date(date.strip()):
            fields["date"] = date.strip()
        else:
            invalid.append("date")
    year = year_of(obj.get("year")) if obj.get("year") is not None else None
    if obj.get("year") is not None and year is None:
        invalid.append("year")
    fields["year"] = year or year_of(fields.get("date"))
    upvotes = obj.get("upvotes")
    if upvotes is not None:
        if isinstance(upvotes, int) and not isinstance(upvotes, bool) and 0 <= upvotes < 10**9:
            fields["upvotes"] = upvotes
        else:
            invalid.append("upvotes")
    for name in _TEXT_FIELDS:
        if obj.get(name) is not None:
            text = _scalar_text(obj[name])
            if text is None and not (isinstance(obj[name], str) and not obj[name].strip()):
                invalid.append(name)
            fields[name] = text
    url = _scalar_text(obj.get("url"))
    fields["url"] = url
    raw_doi, raw_arxiv = _scalar_text(obj.get("doi")), _scalar_text(obj.get("arxiv_id"))
    fields["doi"] = normalize_doi(raw_doi) or doi_from_url(url)
    fields["arxiv_id"] = normalize_arxiv(raw_arxiv) or arxiv_from_url(url)
    if raw_doi and not normalize_doi(raw_doi):
        invalid.append("doi")
    if raw_arxiv and not normalize_arxiv(raw_arxiv):
        invalid.append("arxiv_id")
    if obj.get("id") is not None:
        fields["source_id"] = _scalar_text(obj["id"])
    metadata = {k: v for k, v in obj.items() if k not in JSONL_FIELDS}
    title, glued = strip_glued_furniture(" ".join(title.split()))
    return RawRecord(title=title, abstract=abstract.strip() if abstract else "", source=Source(path, line_no, "jsonl"),
                     repairs=("furniture.glued",) if glued else (), metadata=metadata,
                     quality=("invalid-metadata",) if invalid else (), **fields)


def parse_jsonl(path: str, lines: Sequence[str], start: int = 0) -> Parsed:
    """JSON Lines: one object per line with at least a ``title`` (``start``: as :func:`parse_oneline`)."""
    records: list[RawRecord] = []
    rejects: list[Reject] = []
    for i, line in enumerate(lines, start):
        if not line.strip():
            continue
        got = parse_jsonl_line(path, i + 1, line)
        (rejects if isinstance(got, Reject) else records).append(got)  # type: ignore[arg-type]
    return records, rejects


PARSERS: dict[str, Callable[[str, Sequence[str]], Parsed]] = {
    "cards": parse_cards,
    "jsonl": parse_jsonl,
    "meta": parse_meta,
    "oneline": parse_oneline,
    "pairs": parse_pairs,
}


#: A layout is judged on this many lines after the page header (a sample, like ``csv.Sniffer``'s: a
#: thousand records or more; judging a million-line dump whole cost seconds and decided nothing new).
DETECT_LINES = 4000


def detect_layout(lines: Sequence[str]) -> str | None:
    """The layout of a file from its first :data:`DETECT_LINES` lines after the page header, or ``None``
    if it is in no known layout.

    >>> detect_layout(['{"title": "T", "abstract": "A"}'])
    'jsonl'
    >>> detect_layout(["- A Title We present things. 3 authors · Sep 7, 2022"])
    'oneline'
    >>> detect_layout(["hello, world"]) is None
    True
    """
    start = _skip_header(lines)
    lines = lines[: start + DETECT_LINES]
    content = [s.strip() for s in lines[start:] if s.strip() and s.strip() not in FURNITURE]
    if not content:
        return None
    if content[0].startswith("{"):
        return "jsonl"
    if sum(1 for s in content if ONELINE.match(s)) >= 0.5 * len(content):
        return "oneline"
    body = [s.strip() for s in lines[start:]]
    blank_between = sum(1 for a, b in zip(body, body[1:], strict=False) if a and not b)
    abstracts = sum(1 for s in content if looks_like_abstract(s))
    titles = len(content) - abstracts
    if abstracts == 0 or titles == 0:
        return None
    if blank_between >= 0.5 * len(content):
        return "meta" if "·" in content else "cards"
    if abstracts >= 0.3 * len(content) and titles >= 0.3 * len(content):
        return "pairs"
    return None
