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
    ("html.entities", "a &amp; b &#x2013; c &amp;amp;amp;lt;", "a & b – c <"),
    ("html.entities", "H&E and R&D; &nosuchentity;", "H&E and R&D; &nosuchentity;"),
    ("html.tags", "η<sup>2</sup>, 5-HT<inf>1B</inf>, <i>in vivo</i>, aging.<b>SIGNIFICANCE</b>, 677C <U+2192> T",
     "η^{2}, 5-HT_{1B}, in vivo, aging. SIGNIFICANCE, 677C → T"),
    ("html.tags", "N<sup></sup>-nitro-L-arginine", "N-nitro-L-arginine"),
    ("html.tags", "P<.001, x < y > z, a <sub> b, <sup>unclosed, <U+D800>, <span>kept</span>",
     "P<.001, x < y > z, a <sub> b, <sup>unclosed, <U+D800>, <span>kept</span>"),
    ("html.numeric_debris", "componentsx2013such", "components–such"),
    ("html.numeric_debris", "0x2013 Complex2013 dataset x2013", "0x2013 Complex2013 dataset x2013"),
    ("html.numeric_debris", "thex2099word", "thex2099word"),
    ("invisible", "soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
    ("invisible", "emoji 👩\u200d💻 and Persian \u200c stay", "emoji 👩\u200d💻 and Persian \u200c stay"),
    (
        "invisible",
        "unrepaired mojibake OceanĂ\u00ada keeps its byte",
        "unrepaired mojibake OceanĂ\u00ada keeps its byte",
    ),
    ("latex.arrows", "a rightarrow b, Leftrightarrow, EnglishleftrightarrowGerman", "a → b, ⇔, English↔German"),
    ("latex.arrows", "an arrow, narrow, go to, \\hookrightarrow", "an arrow, narrow, go to, \\hookrightarrow"),
    ("latex.braces", 'a "{Word}" b, Wukong{ViT-B}', 'a "Word" b, WukongViT-B'),
    (
        "latex.braces",
        "sets {0,1} and {a|b}, C_{ij}, x^{T}, \\cite{k}, [{2S+1}L_J]",
        "sets {0,1} and {a|b}, C_{ij}, x^{T}, \\cite{k}, [{2S+1}L_J]",
    ),
    ("latex.commands", "\\alpha, \\times, Petrovi\\'c, {\\it x} as shown \\cite{k}.", "α, ×, Petrović, x as shown."),
    ("latex.commands", "no command here: 50% and a brace {x}", "no command here: 50% and a brace {x}"),
    ("latex.ties", "Fig.~1, M.~Conder, a~posteriori, Models~(LLMs)", "Fig. 1, M. Conder, a posteriori, Models (LLMs)"),
    ("latex.ties", "~500 GeV, T~5 K, X~N(0,1), 0.5~1.0, /~user", "~500 GeV, T~5 K, X~N(0,1), 0.5~1.0, /~user"),
    ("latex.escapes", "50\\% \\& \\_ \\# 5\\\\\\\\% \\1,890", "50% & _ # 5% $1,890"),
    ("latex.escapes", "a\\b and \\{x\\}", "a\\b and \\{x\\}"),
    ("latex.greek", "C_Phi, x^beta, C_{Phi circ Psi}, Phi-2", "C_Φ, x^β, C_{Φ circ Ψ}, Phi-2"),
    (
        "latex.greek",
        "alpha release, beta test, Pi day, my_beta_repo, lr_alpha, C_{Pixel}",
        "alpha release, beta test, Pi day, my_beta_repo, lr_alpha, C_{Pixel}",
    ),
    ("latex.math", "$x$, $m^2$, \\[a\\], $$b=c$$, $\\frac{a}{b+c}$, $x_i leq 1$", "x, m², a, b=c, a/(b+c), x_i ≤ 1"),
    (
        "latex.math",
        "$20, $5-$10, US$7 and US$8, $ 5 $, $5 and then US$",
        "$20, $5-$10, US$7 and US$8, $ 5 $, $5 and then US$",
    ),
    ("latex.quotes", "''quoted'' and ``also''", '"quoted" and "also"'),
    ("unicode.quotes", "„Handwerk“ and the model’s ‘view’", "\"Handwerk\" and the model's 'view'"),
    ("unicode.quotes", "ʼn Chloroplas, «guillemets» stay", "'n Chloroplas, «guillemets» stay"),
    ("latex.quotes", "it's 5'' long, ''", "it's 5'' long, ''"),
    (
        "latex.stripped",
        "textbf{F}inetuning, mathcal{L}, mathbb{E}[X], frac{a}{b+c}, {it x}",
        "Finetuning, ℒ, 𝔼[X], a/(b+c), x",
    ),
    (
        "latex.stripped",
        "context{a}, subtext{b}, mathematics, the math{",
        "context{a}, subtext{b}, mathematics, the math{",
    ),
    ("latex.superscripts", "m^2, 10^{-3}, AstroM^3, 90^circ, x^n, x_{i}", "m², 10⁻³, AstroM³, 90°, xⁿ, x_i"),
    ("latex.superscripts", "^2 alone, a ^ b, x^0.82, 10^11.2, x^{abc}", "^2 alone, a ^ b, x^0.82, 10^11.2, x^{abc}"),
    ("latex.symbols", "m gg n, x ll y, a pm b, Phi circ Psi, le13", "m ≫ n, x ≪ y, a ± b, Phi ∘ Psi, ≤13"),
    (
        "latex.symbols",
        "eggs, we'll, circuit, the gg team, sim card, 3 pm, title13",
        "eggs, we'll, circuit, the gg team, sim card, 3 pm, title13",
    ),
    ("latex.times", "10times, 6.1times, 256times256", "10×, 6.1×, 256×256"),
    (
        "latex.times",
        "nine times, sometimes, 25 times fewer, lifetimes, 3timesx",
        "nine times, sometimes, 25 times fewer, lifetimes, 3timesx",
    ),
    ("links.debris", "https://a.org/x{https://a.org/x}", "https://a.org/x"),
    ("links.debris", "https://a.org/x{https://b.org/y}", "https://a.org/x https://b.org/y"),
    ("unicode.controls", "a\r\nb\rc\x00d\x1b[31me\u2028f", "a\nb\ncde\nf"),
    ("unicode.ligatures", "ﬁ ﬂ ﬀ", "fi fl ff"),
    ("unicode.mojibake", "Ã©tude naÃ¯ve", "étude naïve"),
    ("unicode.mojibake", "LiĂ¨ge Avenue", "Liège Avenue"),
    ("unicode.mojibake", "#╨┐╤Ç╨░╨▓╨╕╨╗╤î╨╜╨╛╨╡", "#правильное"),
    (
        "unicode.mojibake",
        "Ãœ is mojibake but ¿Qué? and “quotes” are not",
        "Ü is mojibake but ¿Qué? and “quotes” are not",
    ),
    ("unicode.mojibake", "1.8 Å—comparable, CAFÉ®, NESTLÉ®", "1.8 Å—comparable, CAFÉ®, NESTLÉ®"),
    ("unicode.nfc", "e\u0301", "é"),
    ("unicode.width", "ＡＢＣ１２３", "ABC123"),
    ("whitespace", " a  b\t c \n\n\n\n d ", " a b c\n\nd "),
    ("whitespace", "the Ö… ", "the Ö… "),
    ("whitespace", "a b\n\nc, 10\u00a0km", "a b\n\nc, 10\u00a0km"),
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


# ----------------------------------------------------------------------------------------- quote policy

_QUOTE_FORMS = [("“", "”"), ("‘", "’"), ("„", "“"), ("«", "»"), ('"', '"'), ("'", "'"), ("‚", "‘")]
_APOSTROPHES = ["'", "’", "ʼ"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["the", "model", "data", "view", "École", "José", "ÆSOP", "5", "lab", "café"]),
             min_size=1, max_size=6),
    st.sampled_from(_QUOTE_FORMS),
    st.sampled_from(_APOSTROPHES),
)
def test_every_quote_form_is_one_text(words: list[str], quotes: tuple[str, str], apostrophe: str) -> None:
    """Quote policy: every single quote and apostrophe is written ``'``, every double quote ``"``; guillemets
    stay (ASCII has none). Straight quotes are never curled; the key folds every form as well."""
    from dedup import canonicalize, dedup_key

    text = f"{words[0]}{apostrophe}s {quotes[0]}{' '.join(words)}{quotes[1]} end"
    ascii_form = text.translate(str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'",
                                               "ʼ": "'"}))
    assert canonicalize(ascii_form) == ascii_form
    assert canonicalize(text) == ascii_form
    assert dedup_key(text) == dedup_key(f"{words[0]}'s \"{' '.join(words)}\" end")


def _mojibake_with_quotes() -> list[str]:
    """Every symbol of U+2000–U+2FFF (punctuation, scripts, letterlike symbols, arrows, operators) whose UTF-8
    bytes, read in cp1252, cp1251 or MacRoman, hold a curly quote (``’`` is ``â€™``, ``ℓ`` is ``â„“``)."""
    import ftfy.bad_codecs  # noqa: F401

    from dedup.fixes import _CURLY_QUOTES

    found = []
    for code in range(0x2000, 0x3000):
        for codec in ("sloppy-windows-1252", "sloppy-windows-1251", "macroman"):
            text = chr(code).encode("utf-8").decode(codec)
            if not _CURLY_QUOTES.isdisjoint(text):
                found.append(text)
    return found


def test_quote_marks_that_are_bytes_of_mojibake_stay() -> None:
    """A quote mark inside a symbol's mojibake that ftfy leaves (``â„“â‚‚``) is a byte of it: straightening it
    would make the text unrecoverable. Every such mojibake comes back as is; a quote beside a clean accented
    word, or after a two-byte lead that clean text shows too (``ZZAJÉ’s``, ``“×”``), is straightened."""
    from dedup.fixes import fix_quotes

    mojibake = _mojibake_with_quotes()
    assert len(mojibake) > 1_000
    assert [text for text in mojibake if fix_quotes(f"a {text} b") != f"a {text} b"] == []
    assert fix_quotes("“José” and café’s, ZZAJÉ’s “×”") == "\"José\" and café's, ZZAJÉ's \"×\""


@pytest.mark.parametrize("latex", ["``informative''", "''informative''", "``informative\""])
def test_latex_quote_ligatures_are_double_quotes(latex: str) -> None:
    from dedup import canonicalize

    assert canonicalize(f"a mild {latex} condition") == 'a mild "informative" condition'


@pytest.mark.parametrize("text", ["$f''(x)$", "$y''$ and $z''$"])
def test_primes_in_math_are_no_quotes(text: str) -> None:
    from dedup import canonicalize

    assert '"' not in canonicalize(text)


# ------------------------------------------------------------------------------------------ character sets


def _scanned(pattern: re.Pattern[str]) -> frozenset[str]:
    """The non-ASCII characters a one-character-class pattern matches, found by trying every code point."""
    return frozenset(c for c in map(chr, range(0x80, 0x110000)) if pattern.fullmatch(c))


@pytest.mark.parametrize("pattern, ranges", [
    ("_INVISIBLE_RE", "_INVISIBLE"), ("_CONTROL_RE", "_CONTROLS"), ("_LIGATURE_RE", "_LIGATURES"),
    ("_WIDTH_RE", "_WIDTHS"), ("_ODD_SPACE_RE", "_ODD_SPACES"),
])
def test_character_sets_built_from_data_match_their_regexes(pattern: str, ranges: str) -> None:
    """The screen's character-set needs are built from the ranges (fast import); they must be exactly what the
    rule's regex, compiled from the same ranges, matches."""
    assert fixes._non_ascii(getattr(fixes, ranges)) == _scanned(getattr(fixes, pattern))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="“”„‘’‚‛ʼ\"'âÃÏ€™„œšž‚ƒab é\u00a0", max_size=24))
def test_quote_repair_is_idempotent_and_only_straightens(text: str) -> None:
    """fix_quotes reaches its fixpoint in one pass and changes nothing but curly quotes into straight ones."""
    from dedup.fixes import fix_quotes

    once = fix_quotes(text)
    assert fix_quotes(once) == once
    assert len(once) == len(text)
    assert all(a == b or b in "'\"" for a, b in zip(text, once, strict=True))


# ----------------------------------------------------------------------------- ftfy's badness, asked in windows

def test_badness_windows_reach_every_match_of_ftfys_regex():
    """The windowed ``is_bad`` is exact only while no match of ftfy's regex is longer than its reach (a new
    ftfy release may add a longer pattern: this fails then)."""
    import re._parser as sre_parse  # the regex's own width, as the regex engine computes it

    from ftfy.badness import BADNESS_RE
    assert sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1] <= fixes._BADNESS_REACH


_MOJIBAKE_ALPHABET = st.sampled_from(sorted(set(
    "ÂÃÎÐØÙàâ€œŠš¢£Ÿž\xa0\xad®©°·»²³×–—´Œœ√±∂†≠™≤≥¥µø≈‚ÄìîïВГРСЂўГЂ¡«»¿ΒΓΞΟβΆāéèüöÅ…“”‘’•\x80\x8d\x9d\ufffd"
    "abcxyzAZ .,!?-'\"\n\t019")))


#: Sequences several characters long that ftfy's regex matches (its longest branches).
_LONG_MOJIBAKE = st.sampled_from(["ГўВЂВ\u201ca", "ГўВЂВ™ ", "a Ã ", "x\tÂ ", ".Â «", "ØŸØ®", "Ù€Ùµ", "ВµВ", "Р°С",
                                  "Β°Ο", "‚Ä†", "‚â°", "é“1", "Ã©”»", "é’x", "xÃ€", " Ã€", "√≤"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(_MOJIBAKE_ALPHABET, _LONG_MOJIBAKE, st.text(alphabet=st.characters(max_codepoint=0x7F),
                                                                       max_size=12), st.text(max_size=4)),
                max_size=30).map("".join))
def test_windowed_is_bad_is_ftfys_is_bad(text: str) -> None:
    from ftfy.badness import is_bad
    assert fixes.is_bad(text) == is_bad(text)


_TAG_FREE = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<>&\\$"), min_size=1,
                    max_size=30)


@settings(max_examples=300, deadline=None)
@given(_TAG_FREE, st.sampled_from(["i", "b", "em", "strong", "I", "EM"]))
def test_emphasis_tags_vanish_and_their_words_stay(words: str, tag: str) -> None:
    from dedup import canonicalize

    assert canonicalize(f"see <{tag}>{words}</{tag}> here") == canonicalize(f"see {words} here")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_tags_rule_leaves_text_without_its_tags_alone(text: str) -> None:
    assume = "<sup>" not in text.lower() and "<sub>" not in text.lower() and "<u+" not in text.lower()
    if assume and not fixes._TAG_SCREEN_RE.search(text):
        assert fixes.fix_html_tags(text) == text
