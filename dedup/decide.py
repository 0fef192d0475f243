"""The match decision: all the evidence of a candidate pair -> same paper, different papers, or uncertain.

The rules are read in order and the first that applies decides; each is written so a person can follow it
(the report names the rule and shows the evidence of every merge and every uncertain pair). Precision comes
first: a wrong merge loses a paper, a missed one leaves a duplicate a person can still find, so a pair with
evidence both ways is *uncertain*: not merged, listed for a person to decide (``dedup check`` shows them).

Terms (per pair, from :mod:`dedup.signals`):

* **same identifier**: a DOI or arXiv id in common, titles that are not plainly different (similarity >=
  :data:`COLLECTION_TITLE`) and no two first pages: a DOI shared by differently titled records, or by records
  on different pages, is a collection's (a journal supplement of conference abstracts), not a paper's.
* **strong for**: abstracts that match (estimated Jaccard >= ``threshold``), or an equal informative title.
* **informative title**: at least :data:`MIN_TITLE_WORDS` words and not generic ("Editorial", "Reply", …). An
  equal title of :data:`SHORT_TITLE_WORDS` words counts with metadata support, where at most one copy has a real
  abstract.
* **title agrees**: equal title keys, or an edit similarity >= :data:`SIMILAR_TITLE` naming the same numbers.
* **against**: years :data:`YEAR_GAP` or more apart, different first authors, two venues (a conference
  abstract and the journal article, the same text in two journals; but not two names on the same volume and
  first page: one journal under a translated or abbreviated title), or two first pages or two volumes of one
  venue (two articles of one journal).
* **abstracts diverge**: both copies have a real abstract (not a teaser, links, a comment, a post or the title again)
  that are both full abstracts (of comparable length, :data:`COMPARABLE`, or the shorter of
  :data:`FULL_SENTENCES` sentences or more) and open alike (opening Jaccard >= :data:`SHARED_OPENING`, or
  Jaccard >= :data:`SHARED_PASSAGE`) and then go different ways (Jaccard < ``title_jaccard``, containment
  < ``containment``): the mark of two related papers (one group's paper and its sibling reuse a motivating
  sentence). Two copies of one paper do not
  diverge like that: a cut copy is contained, an edited one stays similar. Two texts that share *nothing*
  are not evidence against an equal title: one of them is not the abstract (a feed's summary, a reader's
  comment, a bot's message) even when it reads like one.
* **metadata support**: the same first author, the same year, or the same first page (and no two venues).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import Config
from .features import Features

__all__ = ["ABSTRACTS_DIFFER", "DIFFERENT", "MIN_TITLE_WORDS", "RULES", "SAME", "SHORT_TITLE_WORDS", "UNCERTAIN",
           "Rule", "decide"]

SAME, UNCERTAIN, DIFFERENT = 1, 0, -1
OUTCOMES = {SAME: "same", UNCERTAIN: "uncertain", DIFFERENT: "different"}
#: Words an equal title needs to count as evidence on its own ("Attention Is All You Need" has 5).
MIN_TITLE_WORDS = 4
#: Words an equal title needs to count as evidence with the same first author, year or pages, where at most one
#: copy has a real abstract to say otherwise ("Plenoptic Video Generation" under a bot's message). Three-word
#: titles name topics more often than longer ones (in bib-dedupe's benchmark 5 of 132 three-word titles name two
#: papers or more, 4 of 276 four-word ones): alone they stay uncertain, and two real abstracts that do not match
#: keep them apart.
SHORT_TITLE_WORDS = 3
#: Edit similarity of two title keys above which they are the same title with typos.
SIMILAR_TITLE = 0.9
#: Publication years this far apart are different papers (a preprint and its journal version are often a
#: year apart; a listing's date and the paper's year can straddle a new year).
YEAR_GAP = 2
#: Title similarity below which a shared DOI names a collection (a journal supplement of conference abstracts,
#: a proceedings volume), not one paper: the identifier then counts for nothing.
COLLECTION_TITLE = 0.7
#: Opening Jaccard (MinHash of the abstracts' first words, 32 permutations) from which two abstracts open
#: alike: two of 32 slots. Texts that share no 5-gram estimate exactly 0.
SHARED_OPENING = 0.06
#: Jaccard from which two abstracts share a passage: a sentence of ~20 words shared by two ~150-word
#: abstracts is a 5-gram Jaccard of ~0.05; four of 128 slots.
SHARED_PASSAGE = 0.03
#: Two abstracts are of comparable length when the shorter has this share of the longer's shingles; a feed's
#: summary of an abstract is shorter than that (and a paper's sibling is not).
COMPARABLE = 0.6
#: Sentences from which a text is a full abstract whatever its length (background, aim, method, result,
#: conclusion); the summaries feeds write are one to four sentences.
FULL_SENTENCES = 5


@dataclass(frozen=True)
class Rule:
    name: str
    outcome: int
    text: str
    applies: Callable[[dict[str, np.ndarray]], np.ndarray]


def _terms(ev: dict[str, np.ndarray], f: Features, pairs: np.ndarray, config: Config) -> dict[str, np.ndarray]:
    a, b = pairs[:, 0], pairs[:, 1]
    real = f.kind_is("abstract")
    j = np.nan_to_num(ev["abstract_jaccard"], nan=0.0)
    c = np.nan_to_num(ev["containment"], nan=0.0)
    title_same = ev["exact_title"] > 0
    generic = f["generic"][a] | f["generic"][b]
    words = np.minimum(f["twords"][a], f["twords"][b])
    informative = (words >= MIN_TITLE_WORDS) & ~generic
    title_agree = title_same | (ev["title_similarity"] >= SIMILAR_TITLE)
    year_gap = ev["year_gap"]
    # two full abstracts: of comparable length, or the shorter one has the sentences of a full abstract (a
    # summary written from an abstract is shorter and has fewer); a cut copy's full length is unknown
    n_a, n_b = f["counts"][a], f["counts"][b]
    short_is_a = n_a <= n_b
    short_cut = np.where(short_is_a, f["truncated"][a], f["truncated"][b])
    short_sentences = np.where(short_is_a, f["sentences"][a], f["sentences"][b])
    comparable = ((np.minimum(n_a, n_b) >= COMPARABLE * np.maximum(n_a, n_b)) | short_cut
                  | (short_sentences >= FULL_SENTENCES))
    # the same volume and first page: two names of one journal (a translated or abbreviated title), not two
    same_place = (ev["volume"] > 0) & (ev["pages"] > 0)
    abstract_match = j >= config.threshold
    # one title, one abstract, one volume, year and first author: a first page that differs is an export's typo
    # (648-55 and 640-7), not another article
    page_typo = (title_agree & abstract_match & (ev["volume"] > 0) & (ev["first_author"] > 0)
                 & (year_gap == 0) & (ev["pages"] < 0))
    t = {
        "id_same": (ev["identifier"] > 0) & (title_same | (ev["title_similarity"] >= COLLECTION_TITLE))
        & (ev["pages"] >= 0),
        "id_conflict": ev["identifier"] < 0,
        "abstract_match": abstract_match,
        "title_same": title_same,
        "title_agree": title_agree,
        "informative": informative,
        "generic": generic & title_same,
        "contained": c >= config.containment,
        "overlap": j >= config.title_jaccard,
        "unrelated": real[a] & real[b] & (j < config.title_jaccard) & (c < config.containment) & comparable,
        # a first author filed otherwise (names glued, split or reordered by an export) is no evidence against an
        # article that its title or its abstract, volume and first page place
        "against": (np.nan_to_num(year_gap, nan=0.0) >= YEAR_GAP)
        | ((ev["first_author"] < 0) & ~(same_place & (title_agree | abstract_match)))
        | ((ev["venue"] < 0) & ~same_place)
        | (((ev["pages"] < 0) | (ev["volume"] < 0)) & (ev["venue"] >= 0) & ~page_typo),
        "titles_unrelated": ~title_same & (ev["title_similarity"] < COLLECTION_TITLE),
        "same_page": ev["pages"] > 0,
        "support": (ev["first_author"] > 0) | (year_gap == 0) | ((ev["pages"] > 0) & (ev["venue"] >= 0)),
    }
    # one DOI, one first page, one first author and abstracts that do not disagree: one article whatever its
    # title lost or gained in an export (a subscript, F2t-isoprostane and F-isoprostane; a Greek letter, NF-kappa B
    # and NF-B); a collection's DOI puts its abstracts on different pages or under different authors
    t["id_same"] |= ((ev["identifier"] > 0) & (ev["pages"] > 0) & (ev["first_author"] > 0) & ~t["unrelated"])
    # one DOI, one title and one abstract: one article, whatever first page an export typed (676-84 and 678-684)
    t["id_same"] |= (ev["identifier"] > 0) & title_agree & t["abstract_match"]
    # one title standing whole in the other at the same volume, first page and year, with no other venue or first
    # author: one item that an export filed with a prefix, a citation or a tag added to its title
    t["placed_title"] = ((ev["title_contained"] > 0) & same_place & (ev["venue"] >= 0) & (year_gap == 0)
                         & (ev["first_author"] >= 0) & ~generic)
    # abstracts that overlap, at one volume, first page and year, by one first author and in no other venue: one
    # article whose title an export translated or garbled (a Greek letter or a superscript lost: NF-kappa B and NF-B)
    t["placed_abstract"] = (same_place & (year_gap == 0) & (ev["venue"] >= 0) & (ev["first_author"] > 0)
                            & (j >= config.title_jaccard))
    t["disagree"] = t["unrelated"] & ((np.nan_to_num(ev["opening"], nan=0.0) >= SHARED_OPENING) | (j >= SHARED_PASSAGE))
    t["strong_for"] = t["abstract_match"] | (title_same & informative)
    t["short_title"] = title_same & (words == SHORT_TITLE_WORDS) & ~generic & ~(real[a] & real[b]) & t["support"]
    # an article's coordinates: its title (not a generic one: a journal whose articles all start on page 1 has an
    # "Editorial" there in every issue), first page and year, in one venue or volume (an abbreviation the venue
    # table does not know leaves the venue unread) and none other, by one first author, or with one abstract where
    # an export reordered the authors
    t["coordinates"] = (title_agree & ~generic & (ev["pages"] > 0) & (year_gap == 0) & (ev["venue"] >= 0)
                        & (ev["volume"] >= 0) & ((ev["venue"] > 0) | (ev["volume"] > 0)) & (ev["first_author"] >= 0)
                        & ((ev["first_author"] > 0) | t["abstract_match"]))
    return t


#: The rule that joins one article under two DOIs (the union then takes the two DOIs as one paper's).
IDENTIFIER_ALIAS = "identifier-alias"
#: The rule that tells two papers under one title apart by their abstracts (the union then never joins them
#: through a chain of other copies: a teaser or a bot's message under the same title would bridge them).
ABSTRACTS_DIFFER = "similar-title, abstracts differ"

RULES: tuple[Rule, ...] = (
    Rule("identifier", SAME, "a DOI or arXiv id in common (unless the titles are plainly different and the first "
         "page, the first author or the abstracts are not the same, or the first pages differ and the title or the "
         "abstract too: then the DOI is a collection's, a supplement of conference abstracts)",
         lambda t: t["id_same"]),
    Rule(IDENTIFIER_ALIAS, SAME, "different DOIs, but one article by its bibliographic coordinates: the title "
         "agrees (and names no kind of item), the same first page and year, the same venue or volume and no "
         "other, and the same first author or abstract (a publisher re-registered the DOI)",
         lambda t: t["id_conflict"] & t["coordinates"]),
    Rule("identifier-conflict+match", UNCERTAIN, "different DOIs or arXiv ids, yet strong evidence for",
         lambda t: t["id_conflict"] & t["strong_for"]),
    Rule("identifier-conflict", DIFFERENT, "different DOIs or arXiv ids", lambda t: t["id_conflict"]),
    Rule("metadata-conflict+match", UNCERTAIN, "years far apart, different first authors, two venues, or two "
         "pages in one venue, yet strong evidence for", lambda t: t["against"] & t["strong_for"]),
    Rule("metadata-conflict", DIFFERENT, "years far apart, different first authors, two venues, or two pages "
         "in one venue", lambda t: t["against"]),
    Rule("placed-title", SAME, "one title standing whole in the other (an export added a prefix, a citation or a "
         "tag: 'Erratum:', '… N Engl J Med. 2009'), at the same volume, first page and year, with no other venue or "
         "first author", lambda t: t["placed_title"]),
    Rule("abstract, titles differ", UNCERTAIN, "abstracts that match under titles that do not, and no first "
         "page in common (a translated title, or one text filed under two papers)",
         lambda t: t["abstract_match"] & t["titles_unrelated"] & ~t["same_page"]),
    Rule("abstract", SAME, "abstracts that match (Jaccard >= threshold)", lambda t: t["abstract_match"]),
    Rule("title+containment", SAME, "the title agrees and the shorter abstract is contained in the longer "
         "(a cut copy, or a sentence glued on)", lambda t: t["title_agree"] & t["contained"] & ~t["generic"]),
    Rule("title+abstract", SAME, "the title agrees and the abstracts overlap (Jaccard >= title_jaccard)",
         lambda t: t["title_agree"] & t["overlap"] & ~t["generic"]),
    Rule("placed-abstract", SAME, "abstracts that overlap (Jaccard >= title_jaccard) at the same volume, first page "
         "and year, by the same first author, in no other venue (a title an export translated or garbled)",
         lambda t: t["placed_abstract"]),
    Rule("title", SAME, "an equal informative title, and no real abstracts that diverge",
         lambda t: t["title_same"] & t["informative"] & ~t["disagree"]),
    Rule("similar-title+metadata", SAME, "a title equal but for typos, no real abstracts that diverge, and "
         "the same first author, year or pages", lambda t: t["title_agree"] & t["informative"] & ~t["disagree"]
         & t["support"]),
    Rule("title, abstracts diverge", UNCERTAIN, "an equal informative title, but real abstracts that open "
         "alike and diverge", lambda t: t["title_same"] & t["informative"] & t["disagree"]),
    Rule("short-title+metadata", SAME, "an equal title of three words (not generic), the same first author, "
         "year or pages, and at most one real abstract", lambda t: t["short_title"]),
    Rule(ABSTRACTS_DIFFER, DIFFERENT, "a title equal but for a few letters, and two real "
         "abstracts of comparable length that share next to nothing", lambda t: t["title_agree"] & t["unrelated"]),
    Rule("similar-title", UNCERTAIN, "a title equal but for typos (or a short title) with nothing else for "
         "or against", lambda t: t["title_agree"] & ~t["generic"] & ~t["disagree"]),
    Rule("generic-title", DIFFERENT, "a generic title ('Editorial', 'Reply', …) is no evidence on its own",
         lambda t: t["generic"]),
    Rule("no-evidence", DIFFERENT, "nothing says these are one paper", lambda t: np.ones_like(t["title_same"])),
)
RULE_NAMES = tuple(r.name for r in RULES)
#: The signal whose evidence carries each rule (the report's ``signal`` of a pair; ``exact_title`` otherwise).
RULE_SIGNAL = {"identifier": "identifier", "identifier-conflict+match": "identifier", "abstract": "abstract_jaccard",
               "placed-abstract": "abstract_jaccard",
               "title+containment": "containment", "title+abstract": "abstract_jaccard",
               "similar-title+metadata": "title_similarity", "similar-title": "title_similarity"}


def signal_of(rule: str) -> str:
    """The signal named beside a rule in the report.

    >>> signal_of("abstract"), signal_of("title")
    ('abstract_jaccard', 'exact_title')
    """
    return RULE_SIGNAL.get(rule, "exact_title")


def decide(ev: dict[str, np.ndarray], f: Features, pairs: np.ndarray,
           config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The outcome (:data:`SAME`, :data:`UNCERTAIN`, :data:`DIFFERENT`) of every pair and the index in
    :data:`RULES` of the rule that decided it."""
    n = len(pairs)
    outcome = np.full(n, DIFFERENT, np.int8)
    rule = np.full(n, -1, np.int16)
    if n == 0:
        return outcome, rule
    t = _terms(ev, f, pairs, config)
    for i, r in enumerate(RULES):
        take = r.applies(t) & (rule < 0)
        outcome[take] = r.outcome
        rule[take] = i
    return outcome, rule
