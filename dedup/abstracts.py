"""What an "abstract" field really holds: the paper's abstract, or something a listing put in its place.

Listings fill the abstract field with whatever they have: a one-line teaser or TL;DR written for a feed, links
to code, the title again, an arXiv comment (``12 pages, 5 figures``), or a mail alert's snippet that opens
with a byline (``T Li, B Lin- arXiv preprint arXiv:2512.21681, 2025``), is cut after three lines and ends
with the alert's footer. None of these says anything about *which* paper it is beyond what the title says,
so a text that is not an abstract is never evidence against a merge and is never chosen as the corpus
abstract when a real one exists (:mod:`dedup.decide`, :mod:`dedup.merge`).

:func:`clean_abstract` takes away what is provably not abstract (a byline with the identifiers it names, a
mail footer) and :func:`abstract_kind` names what is left. The kinds, with the quality flag each sets:

========== ============================================================ ==================
kind       what it is                                                   flag
========== ============================================================ ==================
abstract   prose of the paper's abstract (possibly cut)                 —
short      one sentence of prose: a short abstract or a summary; it      ``short-abstract``
           counts for a merge but not against one
none       no abstract at all (a title-only record)                     ``no-abstract``
title      the title again (or the title plus a few words)              ``not-abstract``
links      mostly URLs: code, project page, a thread                    ``not-abstract``
comment    an arXiv comment (pages, figures, "accepted at"), or an   ``not-abstract``
           automated message (a bot's recommendations)
teaser     a one-sentence summary shorter than any real abstract        ``not-abstract``
post       a post about the paper for a feed or a forum (an author's    ``not-abstract``
           announcement, a reader's comment): it holds emoji
========== ============================================================ ==================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .metadata import arxiv_from_text

__all__ = ["KINDS", "Cleaned", "abstract_kind", "clean_abstract", "count_sentences"]

KINDS = ("abstract", "short", "none", "title", "links", "comment", "teaser", "post")
#: Kinds that are not the paper's abstract (they carry no evidence and are never chosen over a real one).
NOT_ABSTRACT = frozenset(KINDS) - {"abstract", "short"}

#: A teaser is one sentence of fewer words than this. Real abstracts of one sentence exist (short notes in
#: mathematics: "We express the branch points cross ratio of … as quotients of p-adic theta functions"), and
#: they are 25 words and more; the feed one-liners seen in listings are 8-20 words.
TEASER_WORDS = 22

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TEASER_START_RE = re.compile(r"^\s*(?:tl;?dr|tldr|summary|in short|code|github|project page|arxiv|repo|"
                              r"paper|demo|website|homepage|huggingface|hf)\b\s*[:：]", re.IGNORECASE)
_COMMENT_RE = re.compile(
    r"^\s*(?:comments?\s*:\s*)?(?:\d+\s*(?:pages?|pp\.?|figures?|figs?\.?|tables?)\b|"
    r"(?:accepted|to appear|published|presented|submitted|under review|camera[- ]ready)\b)", re.IGNORECASE)
# "T Li, B Lin, S Wang- arXiv preprint arXiv:2512.21681, 2025" (a Scholar alert's byline, ending in a year)
_BYLINE_RE = re.compile(
    r"^\s*(?P<names>(?:[A-Z]{1,3}\s+[^\W\d_][^\s,]*(?:\s[^\W\d_][^\s,]*){0,3}(?:,\s*|…\s*|\s*(?=-)))+)"
    r"\s*(?:…\s*)?-\s*(?P<venue>[^\n]{0,200}?),?\s*(?P<year>(?:19|20)\d\d)\s*(?:\n|$)")
# the alert's own text after the snippet: the footer, and the "Cites:" line of citation alerts
_FOOTER_RE = re.compile(r"\s*(?:\n\s*Cites:[^\n]*)?\s*\n\s*This message was sent by Google Scholar\b.*\Z",
                        re.DOTALL)
_CITES_RE = re.compile(r"\s*\n\s*Cites:[^\n]*\s*\Z")
_WORD_RE = re.compile(r"\w+")
#: Emoji: the pictographs above U+1F000 and the older symbols that are drawn as emoji by default (Unicode's
#: Emoji_Presentation: ✨, ⚡, ✅, ⭐, ➕…), and the selector that asks for an emoji drawing (U+FE0F). Posts about a
#: paper use them (🚀 Introducing…, ✨, 🔥 New SOTA); an abstract never does: none among the 2,400 arXiv abstracts
#: of ../shared/peer-data, the 25,965 abstracts of bib-dedupe's benchmark, or the real listings' other sources. The
#: symbols science writes (☉, ★, ♀, ✓, ⊙) are not among them.
_EMOJI_RE = re.compile(
    "[\U0001F000-\U0001FAFF\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653"
    "\u267f\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa"
    "\u26fd\u2705\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b"
    "\u2b1c\u2b50\u2b55\ufe0f]")
#: Automated messages that listing sites post where a summary would go.
_BOT_RE = re.compile(r"^\W*(?:this is an automated message|this (?:comment|message) was (?:generated|posted) "
                     r"(?:automatically|by a bot))", re.IGNORECASE)


@dataclass
class Cleaned:
    """An abstract field after :func:`clean_abstract`: the text, what was taken away and what it named."""

    text: str
    #: repair names (``abstract.byline``, ``abstract.footer``) for the record's ``repairs``
    repairs: list[str] = field(default_factory=list)
    #: author names a byline listed
    names: list[str] = field(default_factory=list)
    #: an arXiv id a byline named
    arxiv_id: str | None = None
    #: the text is a snippet cut by the source (a byline snippet): treat it like an ellipsis-cut copy
    cut: bool = False


def clean_abstract(text: str) -> Cleaned:
    """Take away a mail alert's byline and footer (keeping the names and identifiers the byline gave).

    >>> c = clean_abstract("T Li, B Lin- arXiv preprint arXiv:2512.21681, 2025\\nRetrieval-Augmented Code "
    ...                    "Generation is increasingly\\nadopted. This paper conducts the first systematic\\n \\n"
    ...                    "This message was sent by Google Scholar because you're following new articles")
    >>> c.text
    'Retrieval-Augmented Code Generation is increasingly\\nadopted. This paper conducts the first systematic'
    >>> c.repairs, c.names, c.arxiv_id, c.cut
    (['abstract.byline', 'abstract.footer'], ['T Li', 'B Lin'], '2512.21681', True)
    >>> clean_abstract("Y Cha, A van der Hoek- arXiv preprint arXiv, 2025\\nThe workplace poses challenges.").names
    ['Y Cha', 'A van der Hoek']
    >>> clean_abstract("We prove it.").text
    'We prove it.'
    """
    out = Cleaned(text)
    if "This message was sent by" in text or "\nCites:" in text:
        stripped = _CITES_RE.sub("", _FOOTER_RE.sub("", text))
        if stripped != text:
            out.text = stripped
            out.repairs.append("abstract.footer")
    m = _BYLINE_RE.match(out.text)
    if m:
        out.names = [n.strip() for n in re.split(r",|…", m.group("names")) if n.strip()]
        out.arxiv_id = arxiv_from_text(m.group("venue"))
        out.text = out.text[m.end():].strip()
        out.repairs.insert(0, "abstract.byline")
        out.cut = True  # an alert shows the first lines only
    return out


_SENTENCE_END_RE = re.compile(r"[.!?]\s+(?=[\"'(\[]?[A-Z0-9])")


def count_sentences(text: str) -> int:
    """Sentences of three words or more (a split after ``.``, ``!`` or ``?`` before a capital or a digit).

    >>> count_sentences("We prove it. It works, e.g. in 3 cases! Fine? Yes.")
    2
    """
    text = text.strip()
    count, start = 0, 0
    for m in _SENTENCE_END_RE.finditer(text):  # the break is the whitespace after the stop
        count += len(text[start:m.start() + 1].split()) >= 3
        start = m.end()
    return count + (len(text[start:].split()) >= 3)


#: ``bytes.translate`` table for ASCII text: every byte that ``\w`` does not match becomes a space, so
#: ``split()`` gives the ``\w+`` runs (a regex ``findall`` costs ten times more on a long abstract).
_ASCII_WORDS = bytes(c if chr(c).isalnum() or c == 0x5F else 0x20 for c in range(128)) + b" " * 128


def _words(s: str) -> list[str]:
    """The ``\\w+`` runs of ``s``, lowercased."""
    s = s.lower()
    if s.isascii():
        return s.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD_RE.findall(s)


def abstract_kind(abstract: str, title: str = "") -> str:
    """Which of :data:`KINDS` a (cleaned) abstract is.

    >>> abstract_kind("")
    'none'
    >>> abstract_kind("Github: https://github.com/x/y Project Page: https://x.github.io/y/")
    'links'
    >>> abstract_kind("TLDR: A new paradigm for multi-modal reasoning. Diffusion could think too!")
    'teaser'
    >>> abstract_kind("DeepSeek released a new paper proposing a novel architecture called mHC.")
    'short'
    >>> abstract_kind("12 pages, 5 figures, accepted at ICLR 2026")
    'comment'
    >>> abstract_kind("🚀 Introducing PyramidalWan! Our paper presents a novel pipeline to convert video models.")
    'post'
    >>> abstract_kind("On the Moon.", title="On the Moon")
    'title'
    >>> abstract_kind("We express the branch points cross ratio of cyclic Mumford curves as quotients of "
    ...               "p-adic theta functions evaluated at the p-adic period matrix")
    'abstract'
    """
    text = abstract.strip()
    if not text:
        return "none"
    words = _words(text)
    if title:
        tw = _words(title)
        if tw and words[: len(tw)] == tw and len(words) - len(tw) < 8:
            return "title"
    lower = text.lower()
    if "http" in lower or "www." in lower:  # a cheap screen: the URL pattern is slow on long text
        prose = _words(_URL_RE.sub(" ", text))
        if len(prose) < len(words) // 2 or (len(prose) < TEASER_WORDS and _URL_RE.search(text)):
            return "links"
    if _BOT_RE.match(text) or (_COMMENT_RE.match(text) and len(words) < 40):
        return "comment"
    if _TEASER_START_RE.match(text) and (len(words) < 60 or text.lstrip()[:2].lower() == "tl"):
        return "teaser"  # "TL;DR" says so at any length; "Summary:" may head a journal's real abstract
    if not text.isascii() and _EMOJI_RE.search(text):
        return "post"
    if len(words) < TEASER_WORDS and text.count(". ") == 0:
        return "short"
    return "abstract"
