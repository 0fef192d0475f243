"""Identifiers, names and bibliographic fields: normalisation rules that hold for any input (hypothesis) and
the JSON Lines contract through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import run_dedup
from hypothesis import given
from hypothesis import strategies as st

from dedup.abstracts import abstract_kind, clean_abstract
from dedup.features import is_generic_title, title_key
from dedup.metadata import (
    author_key,
    author_names,
    authors_compare,
    normalize_arxiv,
    normalize_doi,
    page_start,
    venues_compare,
    year_of,
)

ROOT = Path(__file__).resolve().parents[1]
suffix = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._;()/", min_size=1,
                 max_size=30).filter(lambda s: s[-1] not in ".;)/" and s[0] not in "/")


@given(st.integers(1000, 99999), suffix, st.sampled_from(["", "doi:", "https://doi.org/", "http://dx.doi.org/"]))
def test_doi_is_one_form_however_written(prefix_num: int, rest: str, resolver: str) -> None:
    doi = f"10.{prefix_num}/{rest}"
    got = normalize_doi(resolver + doi.upper())
    assert got == normalize_doi(doi.lower()) == normalize_doi(got or "")
    assert got is None or got == got.lower()


@given(st.integers(7, 29), st.integers(1, 12), st.integers(1, 99999), st.integers(1, 9))
def test_arxiv_versions_are_one_id(yy: int, mm: int, num: int, version: int) -> None:
    ident = f"{yy:02d}{mm:02d}.{num:05d}"
    assert normalize_arxiv(f"arXiv:{ident}v{version}") == normalize_arxiv(f"https://arxiv.org/abs/{ident}") == ident


@given(st.integers(1600, 2100), st.integers(1, 12), st.integers(1, 28))
def test_year_of_a_date(y: int, m: int, d: int) -> None:
    assert year_of(f"{y}-{m:02d}-{d:02d}") == year_of(str(y)) == year_of(y) == y


@given(st.text(min_size=1, max_size=60))
def test_title_key_ignores_case_and_database_annotations(title: str) -> None:
    assert title_key(title.upper()) == title_key(title.lower()) or not title.isascii()
    if title_key(title).strip():
        assert title_key(f"{title} [Review] [45 refs]") == title_key(title) or "[" in title or "]" in title


def test_generic_titles() -> None:
    for t in ("Editorial", "Reply", "Erratum", "Preface", "Correction", "Introduction", "Letter to the editor",
              "Editor's Note", "Editors' comments", "Author's reply", "Issue Information"):  # keys fold apostrophes
        assert is_generic_title(title_key(t)), t
    assert not is_generic_title(title_key("An introduction to spectral graph theory"))
    # a title that ends with a column's name is the column, in every issue; a one-word ending is no column's name
    assert is_generic_title(title_key("Remarks from MIS Quarterly Editor - Editor's Comments"))
    assert not is_generic_title(title_key("Deep learning: a review"))


def test_pages_venues_authors() -> None:
    assert page_start("10-Jun") is None  # a spreadsheet's date, not a page range
    assert page_start("2556-8") == page_start("2556-2558") == "2556"
    assert venues_compare("j mol cell cardiol", "journal molecular cellular cardiology") >= 0
    assert venues_compare("pediatric transplantation", "pediatric nephrology") == -1
    assert authors_compare("haller|milford", "haller|milford") == 1
    assert authors_compare("smith|doe", "garcia|chen") == -1


@pytest.mark.parametrize(("a", "b", "expected"), [
    # one first author, filed differently by two exports: no conflict (compound surname split at its space,
    # family and given names swapped)
    ("Rubio, M. L. and Morado, M.", "Lopez, Rubio M. and Morado, M.", 1),
    ("Quintrec, M. and Zuber, J.", "Le, Quintrec M. and Zuber, J.", 1),
    ("Tong, H and Shen, R and Wang, Z", "Hua, T and Rong, S and Wang, Z", 0),
    ("Wu, Ching-yi and Yang, Chieh-ling", "Ching-yi, Wu and Chieh-ling, Yang", 0),
    ("Xi, L F and Kiviat, N B", "Long, F X and Kiviat, N B", 0),
    # two people: still a conflict
    ("Smith, J. and Doe, A.", "Garcia, M. and Chen, L.", -1),
    ("Tong, H and Shen, R", "Hua, K and Rong, S", -1),
    ("Shepherd, Amy B.", "Yildiz, B.", -1),
])
def test_first_authors_as_exports_file_them(a: str, b: str, expected: int) -> None:
    key_a, key_b = author_key(author_names(a)[1]), author_key(author_names(b)[1])
    assert authors_compare(key_a, key_b) == authors_compare(key_b, key_a) == expected


def test_abstract_kinds_and_cleaning() -> None:
    assert abstract_kind("This is an automated message from the Librarian Bot. I found the following papers "
                         "similar to this paper.") == "comment"
    c = clean_abstract("J Quantrill, N Khajehnouri- arXiv preprint arXiv:2601.00559, 2026\nSmart home IoT "
                       "platforms rely on rules.\n \nThis message was sent by Google Scholar because you're "
                       "following new citations")
    assert c.text == "Smart home IoT platforms rely on rules." and c.arxiv_id == "2601.00559" and c.cut


@pytest.mark.parametrize("text", [
    "🚀 Introducing PyramidalWan! Our paper presents a novel pipeline to convert pretrained video diffusion models.",
    "Multi-Scale Local Speculative Decoding (MuLo-SD), a new framework! By combining drafting and verification we "
    "achieve speedups of up to 1.7x. ✨ Key Innovation: local verification.",
    "Depth Beyond Pixels 🔍️ We introduce InfiniDepth, casting monocular depth estimation as a neural implicit field.",
])
def test_a_post_with_emoji_is_not_an_abstract(text: str) -> None:
    assert abstract_kind(text) == "post"


def test_science_symbols_are_no_emoji() -> None:
    """Astronomy's ☉ and ★, biology's ♀ and ♂, a check mark, rendered math: an abstract still."""
    text = ("We measure a mass of 1.4 M_☉ for the companion ★ of the binary; ♀ and ♂ cohorts differ (✓ in 12 of "
            "14 sites), with f ⊙ g ≤ 3 and an error of ±0.2. The sample holds 41 stars in total.")
    assert abstract_kind(text) == "abstract"


@pytest.mark.skipif(not (ROOT.parent / "shared" / "peer-data").is_dir(), reason="../shared/peer-data is not here")
def test_no_real_abstract_reads_as_a_post() -> None:
    """The 2,400 arXiv abstracts of the peer data (raw and canonicalized) hold no emoji: none is a post."""
    from dedup import canonicalize

    lines = (ROOT.parent / "shared" / "peer-data" / "arxiv-abstracts.jsonl").read_text(encoding="utf-8").splitlines()
    abstracts = [json.loads(line)["abstract"] for line in lines]
    assert len(abstracts) >= 2000
    assert not [a for a in abstracts if "post" in (abstract_kind(a), abstract_kind(canonicalize(a)))]


def test_jsonl_contract_through_the_cli(tmp_path: Path) -> None:
    """Title-only records are papers; names, identifiers and unknown fields reach the corpus; copies that
    agree on a DOI merge and keep what each had."""
    rows = [
        {"title": "Design Theory for Market Surveillance Systems", "authors": "Li, Xin and Sun, Sherry X.",
         "year": "2015", "doi": "https://doi.org/10.1080/07421222.2015.1063312", "venue": "J Manage Inform Syst",
         "pages": "278--313", "entry_type": "article", "isbn": "0742-1222"},
        {"title": "Design theory for market surveillance systems.", "authors": ["Xin Li", "Sherry X. Sun"],
         "doi": "10.1080/07421222.2015.1063312", "volume": 32, "database": "WoS"},
        {"title": "A Title-Only Record About Something Else Entirely", "year": 2019},
    ]
    corpus, report = run_dedup(tmp_path, rows)
    assert len(corpus) == 2
    merged = next(r for r in corpus if len(r["sources"]) == 2)
    assert merged["doi"] == "10.1080/07421222.2015.1063312"
    assert merged["title"] == "Design Theory for Market Surveillance Systems"  # natural case, no stray dot
    assert merged["year"] == 2015 and merged["volume"] == "32" and merged["pages"] == "278--313"
    assert merged["metadata"] == {"database": "WoS", "isbn": "0742-1222"}
    alone = next(r for r in corpus if len(r["sources"]) == 1)
    assert alone["abstract"] == "" and alone["text"] == alone["title"] and "no-abstract" in alone["quality"]
    (cluster,) = report["clusters"]
    assert cluster["edges"][0]["rule"] == "identifier" and cluster["edges"][0]["evidence"]["identifier"] == 1.0


def test_one_article_under_two_dois_is_one_paper_through_the_cli(tmp_path: Path) -> None:
    """A publisher that re-registered a DOI leaves two exports of one article with two DOIs: by its coordinates
    (title, venue, year, first page, first author) it is one paper, and the union keeps it one. The same
    coordinates in another volume (a journal's recurring "Editorial Introduction") are another paper."""
    def row(doi: str, volume: str, pages: str, title: str = "Attenuation of S-T segment elevation during "
            "repetitive coronary occlusions") -> dict:
        return {"title": title, "authors": "Cohen M. V.Yang X. M.Downey J. M.", "year": "1997", "doi": doi,
                "venue": "Basic Res Cardiol", "volume": volume, "pages": pages}

    rows = [row("10.1007/bf00796217", "92", "426-34"), row("http://dx.doi.org/10.1007/s003950050053", "92", "426-434"),
            row("10.1080/07421222.1999.11518252", "16", "3--4", "Editorial Introduction"),
            row("10.1080/07421222.2000.11045643", "17", "3--4", "Editorial Introduction")]
    corpus, report = run_dedup(tmp_path, rows)
    assert sorted(len(r["sources"]) for r in corpus) == [1, 1, 2]
    (cluster,) = report["clusters"]
    assert cluster["edges"][0]["rule"] == "identifier-alias"


def test_posts_and_bot_messages_do_not_keep_copies_apart_through_the_cli(tmp_path: Path) -> None:
    """A listing that put a bot's message under a three-word title, or an author's post (emoji) under a long one,
    still has the paper: each joins the copy with the real abstract, which the corpus keeps. Two real abstracts
    under one three-word title stay two papers."""
    abstract = ("Camera-controlled generative video re-rendering methods have achieved remarkable progress. "
                "We introduce PlenopticDreamer, a framework that synchronizes generative hallucinations to "
                "maintain spatio-temporal memory across views, and show consistent multi-view results.")
    other = ("We survey plenoptic imaging hardware for microscopy, from lenslet arrays to coded apertures, and "
             "compare the depth resolution each design reaches on standard calibration targets in the lab.")
    post = ("🚀 Multi-Scale Local Speculative Decoding, a new framework to supercharge image generation! We achieve "
            "speedups of up to 1.7x while maintaining high perceptual quality. ✨ The core idea: verify drafts "
            "locally.")
    long_abstract = ("Autoregressive models have achieved remarkable success in image synthesis, yet their "
                     "sequential nature imposes latency. We introduce Multi-Scale Local Speculative Decoding, "
                     "which drafts at low resolution and verifies locally, and achieve speedups of up to 1.7x "
                     "while maintaining high perceptual quality on standard benchmarks.")
    bot = ("This is an automated message from the Librarian Bot. I found the following papers similar to this "
           "paper. The following papers were recommended by the Semantic Scholar API.")
    title = "Multi-Scale Local Speculative Decoding for Image Generation"
    rows = [{"title": "Plenoptic Video Generation", "abstract": bot, "year": 2026},
            {"title": "Plenoptic Video Generation", "abstract": abstract, "year": 2026},
            {"title": "Plenoptic video generation", "abstract": other, "year": 2026},
            {"title": title, "abstract": post}, {"title": title, "abstract": long_abstract}]
    corpus, report = run_dedup(tmp_path, rows)
    assert sorted(len(r["sources"]) for r in corpus) == [1, 2, 2]
    by_abstract = {r["abstract"]: r for r in corpus}
    assert len(by_abstract[abstract]["sources"]) == len(by_abstract[long_abstract]["sources"]) == 2
    assert by_abstract[other]["sources"][0]["line"] == 3
    rules = {e["rule"] for c in report["clusters"] for e in c["edges"]}
    assert rules == {"short-title+metadata", "title"}

