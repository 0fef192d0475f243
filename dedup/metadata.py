"""Bibliographic fields as evidence: identifiers, author names, year, venue and pages, normalised so that two
copies of one paper compare equal however their sources spelled them.

Every function here is pure and cheap; :mod:`dedup.prepare` turns their results into per-record hashes that
:mod:`dedup.decide` compares. Normalisation follows the identifiers' own rules, not any one dump:

* **DOI** (ISO 26324): case-insensitive, so lower-cased, without a resolver prefix (``https://doi.org/``,
  ``doi:``) and without trailing punctuation a citation glued on.
* **arXiv id**: new style ``YYMM.NNNNN`` or old style ``archive/YYMMNNN``, without the version suffix (``v2``)
  and without the ``arXiv:`` prefix: versions of one paper are one paper.
* **URL**: a DOI or arXiv id inside a URL (``doi.org/…``, ``arxiv.org/abs/…``, ``/pdf/…``) is taken out as
  that identifier; other URLs are kept as metadata, not evidence (a landing page can list many papers).
* **authors**: a count, a list of names, or one string as exports write it (``"Surname, I. and Other, J."``,
  ``"Surname I.Other J."``, ``"I. Surname, J. Other"``). The evidence is the first author's surname.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "arxiv_from_text",
    "author_key",
    "authors_compare",
    "author_names",
    "normalize_arxiv",
    "normalize_doi",
    "page_key",
    "page_start",
    "venue_citation",
    "pages_compare",
    "surname_keys",
    "venue_key",
    "year_of",
]

# a DOI runs to whitespace or, inside a URL, to the next query separator (OpenURL: ...&rft_id=info:doi/10.x&...)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s&?#\"<>]+)", re.IGNORECASE)
_DOI_TAIL = ".,;:)]}>\"'"
_ARXIV_NEW_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_OLD_RE = re.compile(r"\b([a-z][a-z.-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b", re.IGNORECASE)
_ARXIV_CONTEXT_RE = re.compile(r"arxiv(?:\.org/(?:abs|pdf|html)/|\s*:\s*|\s+preprint\s+arxiv\s*:\s*)",
                               re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """A DOI in its comparable form, or ``None`` when ``value`` holds none.

    >>> normalize_doi("https://doi.org/10.1002/JCP.20375.")
    '10.1002/jcp.20375'
    >>> normalize_doi("doi: 10.1016/S0140-6736(20)30183-5")
    '10.1016/s0140-6736(20)30183-5'
    >>> normalize_doi("http://dx.doi.org/10.1016/S0022-2828%2885%2980039-0")
    '10.1016/s0022-2828(85)80039-0'
    >>> normalize_doi("49695") is None
    True
    """
    if not value:
        return None
    if "%" in value:  # a DOI inside a URL is percent-encoded: 10.1016/S0022-2828%2885%2980039-0
        from urllib.parse import unquote

        value = unquote(value)
    m = _DOI_RE.search(value)
    if not m:
        return None
    doi = m.group(1)
    # a closing bracket is part of many DOIs (…(20)30183-5): strip only unbalanced ones
    while doi and doi[-1] in _DOI_TAIL:
        if doi[-1] == ")" and doi.count("(") >= doi.count(")"):
            break
        doi = doi[:-1]
    return doi.lower() if "/" in doi and len(doi) > 8 else None


def normalize_arxiv(value: str | None) -> str | None:
    """An arXiv id without prefix or version, or ``None``.

    >>> normalize_arxiv("arXiv:2512.21681v2"), normalize_arxiv("https://arxiv.org/abs/hep-th/9901001v1")
    ('2512.21681', 'hep-th/9901001')
    >>> normalize_arxiv("12.2168") is None, normalize_arxiv("") is None
    (True, True)
    """
    if not value:
        return None
    m = _ARXIV_NEW_RE.search(value)
    if m:
        return m.group(1)
    m = _ARXIV_OLD_RE.search(value)
    return m.group(1).lower() if m else None


def arxiv_from_text(text: str) -> str | None:
    """An arXiv id that a text names *as* an arXiv id (``arXiv:2512.21681``, ``arxiv.org/abs/…``, ``arXiv
    preprint arXiv:…``), never a bare number that merely looks like one.

    >>> arxiv_from_text("T Li, B Lin - arXiv preprint arXiv:2512.21681, 2025")
    '2512.21681'
    >>> arxiv_from_text("we improve by 2512.21681 points") is None
    True
    """
    for m in _ARXIV_CONTEXT_RE.finditer(text):
        got = normalize_arxiv(text[m.end(): m.end() + 40])
        if got:
            return got
    return None


_DOI_VERSION_RE = re.compile(r"\.pub\d+$")


def dois_compatible(a: str, b: str) -> bool:
    """Whether two DOIs can name one paper: equal, one the collection the other is an item of (a journal
    supplement's DOI and its poster's, ``10.1093/eurheartj/ehx502`` and ``10.1093/eurheartj/ehx502.p4339``), or
    two versions of one work (Cochrane's ``….CD000144.pub2`` and ``.pub3``, as arXiv's ``v1`` and ``v2``).

    >>> dois_compatible("10.1093/x/ehx502", "10.1093/x/ehx502.p4339"), dois_compatible("10.1/a", "10.1/b")
    (True, False)
    >>> dois_compatible("10.1002/14651858.cd000144.pub2", "10.1002/14651858.cd000144.pub3")
    True
    """
    if a == b or _DOI_VERSION_RE.sub("", a) == _DOI_VERSION_RE.sub("", b):
        return True
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return long_.startswith(short) and long_[len(short)] in "./-_"


def doi_from_url(url: str | None) -> str | None:
    """The DOI inside a resolver URL.

    >>> doi_from_url("https://doi.org/10.1080/07421222.2015.1063312")
    '10.1080/07421222.2015.1063312'
    >>> doi_from_url("https://www.scopus.com/inward/record.uri?eid=2-s2.0-77949509859") is None
    True
    >>> doi_from_url("http://x.org/link?rft_id=info:doi/10.1093%2Feurheartj%2Fehx502.P4339&rft_id=info:pmid/")
    '10.1093/eurheartj/ehx502.p4339'
    """
    return normalize_doi(url) if url and "10." in url else None


def arxiv_from_url(url: str | None) -> str | None:
    """The arXiv id of an arXiv URL.

    >>> arxiv_from_url("https://arxiv.org/pdf/2512.24880v1"), arxiv_from_url("https://x.org/2512.24880")
    ('2512.24880', None)
    """
    if not url or "arxiv" not in url.lower():
        return None
    return normalize_arxiv(url)


def year_of(value: object) -> int | None:
    """A plausible publication year from an int, ``"2010"``, ``"2023-08-12"`` or ``"2010 Mar"``.

    >>> year_of("2023-08-12"), year_of(1999), year_of("08-12"), year_of("3000")
    (2023, 1999, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        y = value
    elif isinstance(value, str):
        m = re.match(r"\s*(\d{4})(?!\d)", value)
        if not m:
            return None
        y = int(m.group(1))
    else:
        return None
    return y if 1600 <= y <= 2100 else None


def _fold(s: str) -> str:
    """ASCII letters of a name, lower-cased: accents dropped (``Müller`` -> ``muller``)."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if c.isalpha() and not unicodedata.combining(c)).lower()


_SCOPUS_SPLIT_RE = re.compile(r"(?<=\.)(?=[^\W\d_][^\W\d_'’-]*[\s,])")


def _is_initials(word: str) -> bool:
    """``T``, ``P.``, ``PE``, ``J.-C.``: at most three capitals, nothing else but dots and hyphens."""
    letters = word.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 3 and letters.isalpha() and letters.isupper()


def author_names(value: object) -> tuple[int | None, tuple[str, ...]]:
    """The author count and names of an ``authors`` field: an int count, a list of names, or one string of
    names as bibliographic exports write it.

    >>> author_names(7)
    (7, ())
    >>> author_names(["Tianyu Li", "Bo Lin"])
    (2, ('Tianyu Li', 'Bo Lin'))
    >>> author_names("Li, Xin and Sun, Sherry X.")
    (2, ('Li, Xin', 'Sun, Sherry X.'))
    >>> author_names("Mischitelli M.Fioriti D.Videtta M.")
    (3, ('Mischitelli M.', 'Fioriti D.', 'Videtta M.'))
    >>> author_names("T Li, B Lin, S Wang")
    (3, ('T Li', 'B Lin', 'S Wang'))
    """
    if isinstance(value, bool) or value is None:
        return None, ()
    if isinstance(value, int):
        return value, ()
    if isinstance(value, list):
        names = tuple(" ".join(str(v).split()) for v in value if isinstance(v, str) and v.strip())
        return len(names), names
    if not isinstance(value, str) or not value.strip():
        return None, ()
    s = " ".join(value.split())
    if re.search(r"\band\b", s) or ";" in s:
        parts = re.split(r"\s*;\s*|\s+and\s+", s)
    elif re.search(r"[^\W\d_]{2,} (?:[^\W\d_]\. ?)+[^\W\d_]", s) and s.count(",") == 0:
        parts = _SCOPUS_SPLIT_RE.split(s)  # "Surname I.Other J." (Scopus exports glue names)
    elif s.count(",") >= 1 and all(len(p.split()) >= 2 for p in s.split(",") if p.strip()):
        parts = s.split(",")  # "T Li, B Lin" (each part a whole name)
    else:
        parts = [s]
    names = tuple(p.strip() for p in parts if p.strip())
    return len(names), names


#: Particles that open a surname and that catalogues keep or drop ("von Pawel, J." and "Pawel, J."; "Van Schil,
#: P." and "Schil, P."): a surname before a comma is compared without them.
PARTICLES = frozenset(["van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "das", "du", "la",
                       "le", "ten", "ter", "vander", "vanden", "zu", "af", "av"])


def _initials_side(words: Sequence[str]) -> str:
    """Where the initials of a name without a comma stand: ``"before"`` its surname (``T Li``, ``P. E.
    Gravitt``), ``"after"`` it (``Mischitelli M.``), or ``""`` (``Tianyu Li``: no telling)."""
    initials = [_is_initials(w) for w in words]
    if len(words) > 1 and all(initials[:-1]) and not initials[-1]:
        return "before"
    if len(words) > 1 and not initials[0] and all(initials[1:]):
        return "after"
    return ""


def surname_keys(name: str) -> tuple[str, ...]:
    """The folded surname(s) a name may carry: before a comma (``Li, Xin``; leading :data:`PARTICLES`
    dropped); after initials (``T Li``, ``P. E. Gravitt``); before initials (``Mischitelli M.``); else the first
    and the last word (``Tianyu Li``, or a family-name-first order, which we cannot tell apart).

    >>> surname_keys("Li, Xin"), surname_keys("T Li"), surname_keys("Mischitelli M."), surname_keys("Tianyu Li")
    (('li',), ('li',), ('mischitelli',), ('li', 'tianyu'))
    >>> surname_keys("Müller, J."), surname_keys("von Pawel, J."), surname_keys("Van der Berg, A.")
    (('muller',), ('pawel',), ('berg',))

    A compound surname that an export split at its space (``López Rubio, M.`` filed as ``Lopez, Rubio M.``;
    ``Le Quintrec, M.`` as ``Le, Quintrec M.``) leaves a word before the initials: it is read as a surname too.

    >>> surname_keys("Lopez, Rubio M."), surname_keys("Le, Quintrec M."), surname_keys("Shepherd, Amy B.")
    (('lopez', 'rubio'), ('le', 'quintrec'), ('shepherd', 'amy'))
    """
    if "," in name:
        before, after = name.split(",", 1)
        words = before.split()
        while len(words) > 1 and _fold(words[0]) in PARTICLES:  # "von Pawel, J." is filed under P too
            words = words[1:]
        k = _fold(" ".join(words))
        rest = after.split()
        if k and len(rest) >= 2 and not _is_initials(rest[0]) and all(map(_is_initials, rest[1:])) and (
                len(second := _fold(rest[0])) >= 2 and second != k):
            return k, second
        return (k,) if k else ()
    words = [w for w in name.split() if _fold(w)]
    if not words:
        return ()
    side = _initials_side(words)
    if side:
        return (_fold(words[-1] if side == "before" else words[0]),)
    keys = {_fold(words[0]), _fold(words[-1])}
    return tuple(sorted(k for k in keys if k))


def first_author_keys(names: Sequence[str]) -> tuple[str, ...]:
    """Surname keys of the first author (empty when no names are known).

    >>> first_author_keys(["Gravitt, P E", "Paul, P"]), first_author_keys([])
    (('gravitt',), ())
    """
    return surname_keys(names[0]) if names else ()


_MONTH_RE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)


def given_initials(name: str) -> str:
    """The initials of a name's given names, folded, where the name shows which words are given names (after a
    comma, or initials before or after a surname); ``""`` otherwise.

    >>> given_initials("Tong, H"), given_initials("Wu, Ching-yi"), given_initials("Xi, L F"), given_initials("T Li")
    ('h', 'c', 'fl', 't')
    >>> given_initials("Mischitelli M."), given_initials("Tianyu Li")
    ('m', '')
    """
    if "," in name:
        words = name.split(",", 1)[1].split()
    else:
        words = name.split()
        side = _initials_side(words)
        if not side:
            return ""
        words = words[:-1] if side == "before" else words[1:]
    letters: set[str] = set()
    for word in words:
        folded = _fold(word)
        if folded:
            letters.update(folded if _is_initials(word) else folded[0])
    return "".join(sorted(letters))


def author_key(names: Sequence[str], first: int = 3) -> str:
    """The surname keys of the first authors, as one string: ``|`` between authors, spaces between the
    readings of one name (``"li tianyu|lin"``), then ``/`` and the given names' initials when the name shows
    them; ``""`` when no names are known.

    >>> author_key(["Tianyu Li", "Lin, Bo"])
    'li tianyu|lin/b'
    """
    if not names:
        return ""
    keys = []
    for name in names[:first]:
        initials = given_initials(name)
        keys.append((" ".join(surname_keys(name)) or "?") + ("/" + initials if initials else ""))
    return "|".join(keys)


def _close(x: str, y: str) -> bool:
    if x == y or (min(len(x), len(y)) >= 2 and (x.startswith(y) or y.startswith(x))):
        return True
    from rapidfuzz.fuzz import ratio

    return ratio(x, y) >= 80


def authors_compare(a: str, b: str) -> int:
    """+1 the first authors share a surname reading; -1 neither first author is close to any of the other
    record's first authors (a typo, a shortened or reordered name is close); 0 otherwise.

    >>> authors_compare("li tianyu|lin", "li|lin"), authors_compare("diaz|lorita", "di|lorita")
    (1, 0)
    >>> authors_compare("saltman|gaudette", "belhomme|peynet")
    -1

    A first author whose family and given names swapped places (``Tong, H`` and ``Hua, T``; ``Wu, Ching-yi`` and
    ``Ching-yi, Wu``: exports disagree on the order of East Asian names) is no conflict: each surname starts
    with one of the other's initials.

    >>> authors_compare("tong/h|shen/r", "hua/t|rong/s"), authors_compare("wu/c", "chingyi/w")
    (0, 0)
    """
    (pa, ia), (pb, ib) = _author_readings(a), _author_readings(b)
    if pa[0] & pb[0]:
        return 1
    near_a = any(_close(x, y) for x in pa[0] for other in pb for y in other)
    near_b = any(_close(x, y) for x in pb[0] for other in pa for y in other)
    swapped = any(x[:1] in ib for x in pa[0]) and any(y[:1] in ia for y in pb[0])
    return 0 if near_a or near_b or swapped else -1


def _author_readings(key: str) -> tuple[list[set[str]], str]:
    """An :func:`author_key` read back: each author's surname readings, and the first author's initials."""
    authors = key.split("|")
    readings = [set(author.split("/", 1)[0].split()) for author in authors]
    first = authors[0].split("/", 1)
    return readings, first[1] if len(first) > 1 else ""


def page_start(pages: str | None) -> str | None:
    """The first page, as compared: a letter prefix (``e``, ``S``, ``II``: electronic, supplement, section
    pages) and the digits, leading zeros dropped. A page field holding a month (``10-Jun``: a spreadsheet turned
    the range 6-10 into a date) is no page at all.

    >>> page_start("278--313"), page_start("e13711"), page_start("S123-S130"), page_start("pp. 0501-3")
    ('278', 'e13711', 's123', '501')
    >>> page_start("II389-97"), page_start("10-Jun") is None, page_start("n/a") is None
    ('ii389', True, True)
    """
    if not pages or _MONTH_RE.search(pages):
        return None
    m = re.search(r"(?:\bpp?\.?\s*)?([a-zA-Z]{0,3}?)0*(\d+)", pages)
    if not m:
        return None
    return (m.group(1) + m.group(2)).lower()


_RANGE_RE = re.compile(r"\d\s*(?:-+|–|—)\s*[a-zA-Z]{0,3}\d")


def page_key(pages: str | None, year: int | None = None) -> str | None:
    """The first page as :func:`pages_compare` reads it (:func:`page_start`). A page field that holds the
    publication year (``2010``, ``2010/04``: a date filed as pages) is no page; a lone number below 100 (no
    range) is marked ``#``: it is an issue number filed as pages as often as a page.

    >>> page_key("278--313"), page_key("2010/04", 2010), page_key("2010", 2011), page_key("15"), page_key("15-18")
    ('278', None, '2010', '#15', '15')
    """
    start = page_start(pages)
    if start is None or (year and start == str(year)):
        return None
    if start.isdigit() and int(start) < 100 and not _RANGE_RE.search(pages or ""):
        return "#" + start
    return start


_VOLUME_ISSUE_RE = re.compile(r"(?<![\w(])(\d{1,4})\s*\([^()]*\)")
_CITED_PAGES_RE = re.compile(r"(?:\bpp?\.?\s*|\)\s*:\s*)([A-Za-z]{0,3}\d+(?:\s*[-–]\s*[A-Za-z]{0,3}\d+)?)")


def venue_citation(venue: str | None) -> tuple[str | None, str | None]:
    """The volume and pages some exports write into the venue field after the journal's name, in the usual
    citation forms: ``volume (issue)`` and ``pp start-end`` or ``(issue):start-end``.

    >>> venue_citation("Psychopharmacology.219 (1) ()(pp 149-158) 2012.Date of Publication: January 2012.")
    ('219', '149-158')
    >>> venue_citation("Lancet. 2010;375(9729):1896-1905"), venue_citation("Nature")
    (('375', '1896-1905'), (None, None))
    """
    if not venue or not any(c.isdigit() for c in venue):
        return None, None
    vol, pages = _VOLUME_ISSUE_RE.search(venue), _CITED_PAGES_RE.search(venue)
    return (vol.group(1) if vol else None), (pages.group(1) if pages else None)


def pages_compare(a: str, b: str) -> int:
    """+1 one first page, -1 two, 0 when they are not comparable (one electronic or supplement page number,
    one print page: ``E1924`` and ``2556`` can both be right; a small lone number, see :func:`page_key`,
    beside a page that is not it).

    >>> pages_compare("278", "278"), pages_compare("278", "279"), pages_compare("e1924", "2556")
    (1, -1, 0)
    >>> pages_compare("#15", "15"), pages_compare("#15", "116"), pages_compare("#15", "#16")
    (1, 0, -1)
    """
    if a == b:
        return 1
    if a.startswith("#") != b.startswith("#"):  # a small lone number beside another page: maybe an issue
        return 1 if a.lstrip("#") == b.lstrip("#") else 0
    a, b = a.lstrip("#"), b.lstrip("#")
    pa, pb = a.rstrip("0123456789"), b.rstrip("0123456789")
    return -1 if pa == pb else 0


def venues_compare(a: str, b: str) -> int:
    """+1 when two venue keys name one venue, abbreviations included (each word of one starts the word of the
    other in the same place: ``eur heart`` and ``european heart``; ISO 4 abbreviates by truncation); 0 when
    every word of the shorter starts some word of the longer (``faseb`` and ``faseb official publication …``:
    a subtitle, a place or a series may or may not be written); -1 otherwise.

    >>> venues_compare("eur heart", "european heart"), venues_compare("anesth analg", "faseb")
    (1, -1)
    >>> venues_compare("circulation", "circulation research"), venues_compare("pediatric nephrology",
    ...                                                                        "pediatric transplantation")
    (0, -1)
    >>> venues_compare("revista espa?ola anestesiolog?a", "revista espanola anestesiologia")
    1
    >>> venues_compare("natl acad sci u s a", "national academy sciences united states america")
    1
    >>> venues_compare("zhonghua jie he = chinese tuberculosis", "chinese tuberculosis")
    1
    """
    if a == b:
        return 1
    if " = " in a or " = " in b:  # a parallel title: any of a venue's names may be the other's
        return max(venues_compare(x, y) for x in a.split(" = ") for y in b.split(" = "))
    wa, wb = a.split(), b.split()
    if len(wa) == len(wb) and all(_starts_alike(x, y) for x, y in zip(wa, wb, strict=True)):
        return 1
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if all(any(_starts_alike(x, y) for y in long_) for x in short):
        return 0
    return -1


def _starts_alike(x: str, y: str) -> bool:
    """One word starts the other, or abbreviates it by contraction (``natl`` national, ``jpn`` japanese: the
    first letter and the rest in order, as ISO 4 contracts); a ``?`` (a character an export could not encode)
    matches any letter."""
    if x.startswith(y) or y.startswith(x):
        return True
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    if 3 <= len(short) <= 4 and short[0] == long_[0]:  # longer contractions read like truncations of other words
        rest = iter(long_[1:])
        if all(c in rest for c in short[1:]):
            return True
    if "?" not in x and "?" not in y:
        return False
    return all(c == d or c == "?" or d == "?" for c, d in zip(x, y, strict=False))


_VENUE_STOP = frozenset(["the", "of", "and", "in", "on", "for", "journal", "j", "proceedings", "proc",
                         "international", "int"])


def venue_key(venue: str | None) -> str | None:
    """A venue's comparable words: folded, without stop words and abbreviation dots.

    >>> venue_key("The Journal of Cellular Physiology"), venue_key("J. Cellular Physiology")
    ('cellular physiology', 'cellular physiology')
    >>> venue_key("Psychopharmacology.219 (1) ()(pp 149-158) 2012.Date of Publication: January 2012.")
    'psychopharmacology'
    >>> venue_key("Revista espa?ola de anestesiolog?a"), venue_key("Zhonghua jie he = Chinese journal of tuberculosis")
    ('revista espa?ola de anestesiolog?a', 'zhonghua jie he = chinese tuberculosis')
    """
    if not venue:
        return None
    names = [" ".join(w for w in map(_fold_venue_word, _venue_words(name)) if w and w not in _VENUE_STOP)
             for name in venue.split(" = ")]
    return " = ".join(n for n in names if n) or None


def _venue_words(name: str) -> list[str]:
    """A venue name's words, up to the first number after the first word: a name does not go on into
    volume, issue and pages (``Psychopharmacology.219 (1) ()(pp 149-158) 2012``, as some exports fill it)."""
    words = [w for w in re.split(r"[\s.,:;()&/-]+", name) if w]
    for i, w in enumerate(words[1:], 1):
        if w.isdigit():
            return words[:i]
    return words


def _fold_venue_word(word: str) -> str:
    """A venue word folded; a ``?`` inside it (a letter lost by an export's encoding) is kept as ``?``."""
    if "?" not in word.strip("?"):
        return _fold(word)
    return "?".join(_fold(part) for part in word.strip("?").split("?"))
