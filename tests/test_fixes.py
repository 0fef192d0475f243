"""Tests for the repair rules in dedup.fixes: the table, each rule's context, and clean text left alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import fixes
from dedup.fixes import FIXERS

CASES = Path(__file__).parent / "cases"
NEGATIVE: list[str] = json.loads((CASES / "negative.json").read_text(encoding="utf-8"))
GOLDEN: list[dict[str, object]] = json.loads((CASES / "canonicalize.json").read_text(encoding="utf-8"))

# One rule at a time: (rule, input, expected). Each rule's positive and negative context side by side.
RULE_CASES = [
    ("html.entities", "a &amp; b &#x2013; c", "a & b – c"),
    ("html.entities", "H&E and R&D; &nosuchentity;", "H&E and R&D; &nosuchentity;"),
    ("html.numeric_debris", "componentsx2013such", "components–such"),
    ("html.numeric_debris", "0x2013 Complex2013 dataset x2013", "0x2013 Complex2013 dataset x2013"),
    ("html.numeric_debris", "thex2099word", "thex2099word"),
    ("invisible", "soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
    ("invisible", "emoji 👩\u200d💻 and Persian \u200c stay", "emoji 👩\u200d💻 and Persian \u200c stay"),
    ("latex.arrows", "a rightarrow b, Leftrightarrow, \\to, \\mapsto", "a → b, ⇔, →, ↦"),
    ("latex.arrows", "an arrow, narrow, go to", "an arrow, narrow, go to"),
    ("latex.braces", 'a "{Word}" b', 'a "Word" b'),
    (
        "latex.braces",
        "sets {0,1} and {a|b}, C_{ij}, x^{T}, \\cite{k}",
        "sets {0,1} and {a|b}, C_{ij}, x^{T}, \\cite{k}",
    ),
    ("latex.escapes", "50\\% \\& \\_ \\# \\$5 \\{x\\}", "50% & _ # $5 {x}"),
    ("latex.escapes", "C:\\Users and a\\b", "C:\\Users and a\\b"),
    ("latex.greek", "\\alpha, \\Phi, C_Phi, x^beta, Phi-2", "α, Φ, C_Φ, x^β, Phi-2"),
    (
        "latex.greek",
        "alpha release, beta test, Pi day, my_beta_repo, lr_alpha",
        "alpha release, beta test, Pi day, my_beta_repo, lr_alpha",
    ),
    ("latex.greek", "C_{Pixel} and C_{Phicirc Psi}", "C_{Pixel} and C_{Φcirc Ψ}"),
    ("latex.math_delimiters", "$x$, $m^2$, \\[a\\], $$b=c$$", "x, m^2, a, b=c"),
    ("latex.math_delimiters", "$20, $5-$10, US$7 and US$8, $ x $", "$20, $5-$10, US$7 and US$8, $ x $"),
    ("latex.mathcal", "mathcal{L}, \\mathbb{E}[X], mathfrak{g}, \\mathcal{AB}", "ℒ, 𝔼[X], g, 𝒜ℬ"),
    ("latex.mathcal", "mathematics, the math{", "mathematics, the math{"),
    ("latex.quotes", "''quoted'' and ``also''", "“quoted” and “also”"),
    ("latex.quotes", "it's 5'' long, ''", "it's 5'' long, ''"),
    ("latex.superscripts", "m^2, 10^{-3}, AstroM^3, 90^circ, x^n", "m², 10⁻³, AstroM³, 90°, x^n"),
    ("latex.superscripts", "^2 alone, a ^ b", "^2 alone, a ^ b"),
    ("latex.symbols", "m gg n, x ll y, a pm b, Phi circ Psi, le13, \\infty", "m ≫ n, x ≪ y, a ± b, Phi ∘ Psi, ≤13, ∞"),
    (
        "latex.symbols",
        "eggs, we'll, circuit, the gg team, sim card, 3 pm, title13",
        "eggs, we'll, circuit, the gg team, sim card, 3 pm, title13",
    ),
    ("latex.textfont", "textbf{F}inetuning, \\emph{x}, \\text{y}", "Finetuning, x, y"),
    ("latex.textfont", "context{a}, subtext{b}", "context{a}, subtext{b}"),
    ("latex.times", "10times, 6.1times, \\times, 2\\times3", "10×, 6.1×, ×, 2×3"),
    (
        "latex.times",
        "nine times, sometimes, 25 times fewer, lifetimes, 3timesx",
        "nine times, sometimes, 25 times fewer, lifetimes, 3timesx",
    ),
    ("links.debris", "https://a.org/x{https://a.org/x}", "https://a.org/x"),
    ("links.debris", "https://a.org/x{https://b.org/y}", "https://a.org/x https://b.org/y"),
    ("unicode.controls", "a\r\nb\rc\x00d\x1b[31me", "a\nb\ncde"),
    ("unicode.ligatures", "ﬁ ﬂ ﬀ", "fi fl ff"),
    ("unicode.mojibake", "Ã©tude naÃ¯ve", "étude naïve"),
    (
        "unicode.mojibake",
        "Ãœ is mojibake but ¿Qué? and “quotes” are not",
        "Ü is mojibake but ¿Qué? and “quotes” are not",
    ),
    ("unicode.nfc", "e\u0301", "é"),
    ("unicode.width", "ＡＢＣ１２３", "ABC123"),
    ("whitespace", " a  b\t c \n\n\n\n d ", "a b c\n\nd"),
    ("whitespace", "a b\n\nc", "a b\n\nc"),
]


def test_table_names_are_stable_dotted_lowercase() -> None:
    for name in FIXERS:
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)?", name), name
    assert len(set(FIXERS.values())) == len(FIXERS)


def test_every_rule_is_documented_with_a_doctest() -> None:
    for name, fixer in FIXERS.items():
        assert fixer.__doc__ and ">>>" in fixer.__doc__, name
        assert fixer.__name__ in fixes.__all__, name


def test_golden_repairs_name_real_rules() -> None:
    for case in GOLDEN:
        assert set(case["repairs"]) <= set(FIXERS), case  # type: ignore[arg-type]


def test_every_rule_has_rule_cases() -> None:
    assert {name for name, _, _ in RULE_CASES} == set(FIXERS)


@pytest.mark.parametrize(
    ("name", "text", "expected"), RULE_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(RULE_CASES)]
)
def test_rule(name: str, text: str, expected: str) -> None:
    assert FIXERS[name](text) == expected


@pytest.mark.parametrize("name", list(FIXERS))
def test_rules_leave_negative_cases_alone(name: str) -> None:
    fixer = FIXERS[name]
    for text in NEGATIVE:
        assert fixer(text) == text, (name, text)


@pytest.mark.parametrize("name", list(FIXERS))
def test_rules_return_the_same_object_when_idle(name: str) -> None:
    text = "Plain words, and nothing else to do here."
    assert FIXERS[name](text) is text


_WORDS = st.sampled_from(
    [
        "the",
        "model",
        "data",
        "times",
        "sometimes",
        "nine",
        "circuit",
        "eggs",
        "alpha",
        "beta",
        "Phi-2",
        "cost",
        "training",
        "we",
        "a",
        "of",
        "arrow",
        "narrow",
        "text",
        "math",
        "10",
        "2.5",
        "x",
        "y",
        "n",
        "m",
        '"SkillNet"',
        "we'll",
        "$20",
        "5%",
        "(e.g.,",
        "A-B)",
        "H&E",
    ]
)
_PROSE = st.lists(_WORDS, min_size=1, max_size=30).map(" ".join)


@settings(max_examples=2000, deadline=None)
@given(_PROSE)
def test_rules_leave_clean_ascii_prose_alone(text: str) -> None:
    for name, fixer in FIXERS.items():
        assert fixer(text) == text, name
