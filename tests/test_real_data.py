"""Accuracy on real listings nobody here wrote (../shared/real: arXiv listings, Hugging Face Daily Papers,
Google Scholar alerts; the arXiv id is the truth and is not in the dumps), through the real CLI and the
data's own scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"

pytestmark = pytest.mark.skipif(not (REAL / "build.py").exists(), reason="../shared/real is not here")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("real")
    subprocess.run([sys.executable, str(REAL / "build.py"), str(out)], check=True, capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "dedup", "run", str(out / "dumps"), "-o", str(out / "corpus.jsonl"),
                           "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    score = subprocess.run([sys.executable, str(REAL / "score.py"), str(out / "truth.json"),
                            str(out / "corpus.jsonl")], capture_output=True, text=True, check=True)
    return out, json.loads(score.stdout.splitlines()[0])


def test_no_false_merge_and_high_recall_on_real_listings(real_run: tuple[Path, dict]) -> None:
    _, s = real_run
    print(s)
    assert s["false_merges"] == 0 and s["precision"] == 1.0
    assert s["f1"] >= 0.995


def test_not_abstracts_are_flagged_and_never_chosen_over_a_real_one(real_run: tuple[Path, dict]) -> None:
    out, _ = real_run
    corpus = [json.loads(x) for x in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    flagged = [r for r in corpus if "not-abstract" in r["quality"]]
    assert flagged, "the real listings hold teasers, links and bot messages"
    # a paper whose corpus abstract is not an abstract had no real one among its copies
    for r in flagged:
        assert len(r["sources"]) == 1 or all("atharva" in s["file"] for s in r["sources"]), r["id"]
    # no Scholar footer or byline reaches the corpus
    assert not any("This message was sent by Google Scholar" in r["abstract"] for r in corpus)
    assert not any(r["abstract"].split("\n")[0].endswith((", 2025", ", 2026")) for r in corpus)



def _each_capital_protected(title: str) -> str:
    import re

    return re.sub(r"[A-Z]", lambda m: "{" + m.group() + "}", title)


def _latex_encoded(title: str) -> str:
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    encoder = UnicodeToLatexEncoder(non_ascii_only=False, replacement_latex_protection="braces-after-macro",
                                    unknown_char_policy="keep")
    # pylatexenc writes every " as '' (a closing quote on both sides): titles holding one are left out
    return title if '"' in title else str(encoder.unicode_to_latex(title))


def _latex_encoded_stripped(title: str) -> str:
    r"""BibTeX's ``{\"o}`` and ``{\textendash}``, then a converter that drops backslashes: ``{"o}``."""
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    encoder = UnicodeToLatexEncoder(non_ascii_only=True, replacement_latex_protection="braces-all",
                                    unknown_char_policy="keep")
    # a letter that is a command of its own (Ł is {\L}) leaves a bare capital: Ł and L can no longer be told apart
    return title if any(c in title for c in "ŁłØøß") else str(encoder.unicode_to_latex(title)).replace("\\", "")


@pytest.mark.parametrize("export", [
    _each_capital_protected,  # BibTeX keeps each capital's case by braces: {W}eb{GPT}, "{T}ruth"
    lambda title: "{" + title + "}",  # BibTeX's double braces, the outer pair kept by a converter
    _latex_encoded,  # accents and specials as LaTeX: \"{o}, \&, \%, \textless{}
    _latex_encoded_stripped,  # the same, backslashes stripped: {"o}, {textendash}
    lambda title: __import__("html").escape(title),  # &amp;, &quot;, &#x27;
], ids=["each-capital-in-braces", "whole-title-in-braces", "latex-encoded", "latex-encoded-stripped", "html-escaped"])
def test_real_titles_exported_canonicalize_as_written(real_run: tuple[Path, dict], export) -> None:
    """Every real listing title, written as a bibliographic export writes it, has the canonical text of the
    title as the listing wrote it."""
    from dedup import canonicalize

    out, _ = real_run
    titles = set()
    for dump in sorted((out / "dumps").glob("*.jsonl")):
        for line in dump.read_text(encoding="utf-8").splitlines():
            title = json.loads(line).get("title")
            if isinstance(title, str) and not any(c in title for c in "{}\\$"):
                titles.add(title)
    exported = {t: export(t) for t in sorted(titles)}
    exported = {t: e for t, e in exported.items() if e != t}
    assert len(exported) >= 40
    differ = [(e, canonicalize(e), canonicalize(t)) for t, e in exported.items() if canonicalize(e) != canonicalize(t)]
    assert not differ, differ[:5]
