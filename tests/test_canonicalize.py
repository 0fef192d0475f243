"""Tests for dedup.canonical: golden cases, clean text, variant groups, the seed dumps, and properties."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, for making mojibake)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.canonical import (
    _KEY_TABLE,
    _repair,
    canonicalize,
    canonicalize_field,
    canonicalize_with_repairs,
    dedup_key,
    key_of_canonical,
    needs_repair,
)
from dedup.chardata import EXTRA_COMMANDS, SILENT_COMMANDS, STRIPPED_OPERATORS
from dedup.fixes import _QUOTES, _SPACE_RUN_RE, RULES, _straighten, normalize_whitespace
from dedup.latex import _VARIABLE_THEN_ARROW, _render_simple, _renderer, math_names, takes_arguments

ROOT = Path(__file__).parent.parent
CASES = ROOT / "tests" / "cases"


def _load(name: str) -> Any:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


GOLDEN: list[dict[str, Any]] = _load("canonicalize.json")
NEGATIVE: list[str] = _load("negative.json")
VARIANTS: list[dict[str, Any]] = _load("variants.json")
SEED_LINES = [
    pytest.param(line, id=f"{path.name[:3]}:{number}")
    for path in sorted((ROOT / "seeds").glob("*.txt"))
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    if line.strip()
]


def _mojibake(text: str) -> str:
    """What a reader that assumed cp1252 makes of `text`'s UTF-8 bytes."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


# ----------------------------------------------------------------------------------------- golden


def _golden_params() -> list[Any]:
    params = []
    for number, case in enumerate(GOLDEN):
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
        params.append(pytest.param(case, id=f"{number}-{case['input'][:30]}", marks=marks))
    return params


@pytest.mark.parametrize("case", _golden_params())
def test_golden(case: dict[str, Any]) -> None:
    assert canonicalize_with_repairs(case["input"]) == (case["output"], tuple(case["repairs"]))


@pytest.mark.parametrize("case", [c for c in GOLDEN if "xfail" not in c], ids=lambda c: c["input"][:30])
def test_golden_outputs_are_fixpoints(case: dict[str, Any]) -> None:
    assert canonicalize_with_repairs(case["output"]) == (case["output"], ())


def test_golden_file_is_big_enough_and_sorted() -> None:
    assert len(GOLDEN) >= 50
    for case in GOLDEN:
        assert list(case) == sorted(case)
        assert case["repairs"] == sorted(set(case["repairs"]))


# --------------------------------------------------------------------------------------- negative


@pytest.mark.parametrize("text", NEGATIVE, ids=lambda t: t[:40])
def test_negative_unchanged(text: str) -> None:
    assert canonicalize_with_repairs(text) == (text, ())


# --------------------------------------------------------------------------------------- variants


@pytest.mark.parametrize("group", VARIANTS, ids=lambda g: g["output"][:40])
def test_variant_group(group: dict[str, Any]) -> None:
    key = dedup_key(group["output"])
    assert canonicalize(group["output"]) == group["output"]
    for form in group["forms"]:
        assert canonicalize(form) == group["output"], form
        assert dedup_key(form) == key, form
    for form in group["key_forms"]:
        assert dedup_key(form) == key, form


# ------------------------------------------------------------------------------------------ seeds

# What a scraper leaves in text, as seen in the seed dumps. No canonical line may hold any of these.
ARTIFACTS = {
    "raw latex": re.compile(r"\\[A-Za-z%&_#$\d(\[]"),
    "stripped times": re.compile(r"\dtimes\b"),
    "stripped arrow": re.compile(r"(?:left|right|up|down)arrow"),
    "font command": re.compile(r"(?:textbf|textit|texttt|emph|mathcal|mathbb|mathrm|mathbf|url|href)\{"),
    "brace debris": re.compile(r"(?<![_^])\{"),
    "latex quotes": re.compile(r"''|``"),
    "numeric entity debris": re.compile(r"[a-z]x20[0-3][0-9a-f][a-z]"),
    "stripped operator": re.compile(r"\b[A-Za-z] (?:gg|ll) [A-Za-z]\b|(?<!\w)(?:le|ge|leq|geq)\d"),
    "stripped greek": re.compile(r"_\{?(?:Phi|Psi|alpha|beta|gamma|delta|sigma|theta|lambda|mu)\b"),
    "math dollars": re.compile(r"\$(?=[\\^_A-Za-z])"),
    "caret exponent": re.compile(r"\^\d"),
    "odd whitespace": re.compile(r"^\s|\s$|  |[\t\u00a0\u2000-\u200a]"),
    "invisible": re.compile("[\u00ad\u200b\u2060\ufeff]"),
    "mojibake": re.compile("Ã|â€|Â"),
    "html entity": re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I),
    "latex tie": re.compile(r"[A-Za-z]{2}~[A-Za-z(]|[.,;:]~[A-Za-z0-9(]"),
}


def _artifacts(text: str) -> list[str]:
    return [name for name, pattern in ARTIFACTS.items() if pattern.search(text)]


@pytest.mark.parametrize("line", SEED_LINES)
def test_seed_line(line: str) -> None:
    out, repairs = canonicalize_field(line)  # a seed line is a record field: its ends are trimmed
    assert _artifacts(out) == [], out
    if not _artifacts(line):
        assert (out, repairs) == (line, ())
    assert canonicalize(out) == out


def test_seeds_have_the_artifacts_we_repair() -> None:
    found = {name for param in SEED_LINES for name in _artifacts(param.values[0])}
    assert {"raw latex", "stripped times", "stripped arrow", "font command", "latex quotes"} <= found
    assert {"numeric entity debris", "stripped operator", "stripped greek", "math dollars"} <= found


# ------------------------------------------------------------------------------- ftfy idempotence

# ftfy.fix_text fixes text line by line and decides per line whether to unescape HTML ("auto": not when
# the line holds a "<"). Its fix_line_breaks then turns U+2028, U+0085 and "\r" into "\n", so a second run
# cuts the text into different lines and decides differently: fix_text(fix_text(x)) != fix_text(x).
FTFY_NOT_IDEMPOTENT = ["&lt;\u2028<", "&amp;\u2028café<", "&amp;lt;\r<Ã©", "&Atilde;&copy;\u2028&#133;< "]


@pytest.mark.parametrize("text", FTFY_NOT_IDEMPOTENT)
def test_ftfy_alone_is_not_idempotent(text: str) -> None:
    once = ftfy.fix_text(text)
    assert ftfy.fix_text(once) != once  # a canary: if ftfy changes, revisit the guard in canonicalize


@pytest.mark.parametrize("text", [*FTFY_NOT_IDEMPOTENT, "Tom &amp;amp; Jerry", "&Atilde;&#151;"])
def test_canonicalize_is_idempotent_where_ftfy_is_not(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once


# ------------------------------------------------------------------------------------- properties

_CLEAN_WORDS = [
    "the",
    "model",
    "data",
    "training",
    "we",
    "a",
    "of",
    "on",
    "is",
    "for",
    "with",
    "times",
    "sometimes",
    "nine",
    "faster",
    "circuit",
    "eggs",
    "alpha",
    "beta",
    "Phi-2",
    "cost",
    "roughly",
    "$20",
    "5%",
    "text",
    "math",
    "arrow",
    "narrow",
    "10",
    "2.5",
    "x",
    "y",
    "n",
    "m",
    "(e.g.,",
    "A-B)",
    "H&E",
    "we'll",
    '"SkillNet"',
    "pre-training",
    "1/10",
    "GPT-4",
    "ViT-B/16",
    "https://github.com/a/b_c.",
]
_TRICKY_TOKENS = [
    *_CLEAN_WORDS,
    "\\",
    "$",
    "{",
    "}",
    "^",
    "_",
    "''",
    "``",
    "&",
    ";",
    "&amp;",
    "&lt;",
    "<",
    "\n",
    "\r",
    "\t",
    "\u2028",
    "\u00a0",
    "\u00ad",
    "\u200b",
    "Ã",
    "©",
    "â€",
    "\x9d",
    "Â",
    "×",
    "≫",
    "Φ",
    "𝒪",
    "ﬁ",
    "Ｇ",
    "e\u0301",
    "times",
    "10times",
    "\\times",
    "gg",
    "ll",
    "le13",
    "circ",
    "Phi",
    "Psi",
    "C_",
    "mathcal{",
    "textbf{",
    "rightarrow",
    "x2013",
    "\\%",
    "\\_",
    "m^2",
    "^{-3}",
    "$m^2$",
    "{https://x.org}",
]
_CLEAN_PROSE = st.lists(st.sampled_from(_CLEAN_WORDS), min_size=1, max_size=40).map(" ".join)
_TRICKY_TEXT = st.lists(st.sampled_from(_TRICKY_TOKENS), max_size=25).map(lambda ts: "".join(ts))
_SPACED_TRICKY_TEXT = st.lists(st.sampled_from(_TRICKY_TOKENS), max_size=25).map(" ".join)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(), _TRICKY_TEXT, _SPACED_TRICKY_TEXT))
def test_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once
    assert dedup_key(once) == dedup_key(text)


@settings(max_examples=2000, deadline=None)
@given(_CLEAN_PROSE)
def test_clean_ascii_prose_unchanged(text: str) -> None:
    assert canonicalize_with_repairs(text) == (text, ())


@settings(max_examples=2000, deadline=None)
@given(st.one_of(_TRICKY_TEXT, _SPACED_TRICKY_TEXT, _CLEAN_PROSE, st.text()))
def test_fast_path_screen_misses_nothing(text: str) -> None:
    if not needs_repair(text):
        assert _repair(text) == (text, ())


# Word pieces after a protected capital: LaTeX's names among them (hat, it, ast, eta, the accent letters d, b, v,
# t, c, r, u, k, H) are what a reading as stripped commands would take.
_WORD_PIECES = ["hat", "it", "ast", "eta", "bar", "vec", "dot", "tilde", "sqrt", "frac", "em", "bf", "rm", "cal",
                "sc", "tt", "d", "b", "v", "t", "c", "r", "u", "k", "H", "ensor", "low", "ord", "et", "ub", "raph",
                "ing", "eep", "ind", "obile", "ata", "oder", "a", "e", "o", "lam", "pi", "mu", "sin", "log", "ell",
                "le", "ge", "in"]
_PROTECTED_WORD = st.lists(st.tuples(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4),
                                     st.sampled_from(_WORD_PIECES)), min_size=1, max_size=3)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PROTECTED_WORD, min_size=1, max_size=3), st.sampled_from(["", '"', "'"]),
       st.sampled_from([" ", "...", ", ", "-"]))
def test_bibtex_case_protection_only_loses_its_braces(words: list[list[tuple[str, str]]], quote: str,
                                                      sep: str) -> None:
    """A BibTeX title keeps a capital's case by braces (``{T}ensor{F}low``, ``{C}hat{GPT}``, ``"{T}ruth"``): the
    canonical title is the word without them, whatever LaTeX name or accent letter its letters spell and whatever
    quote mark or punctuation stands before a protected capital."""
    braced = sep.join("".join(f"{{{caps}}}{piece}" for caps, piece in word) for word in words)
    plain = sep.join("".join(caps + piece for caps, piece in word) for word in words)
    assert canonicalize(f"A study of {quote}{braced}{quote} models.") == f"A study of {quote}{plain}{quote} models."


@pytest.mark.parametrize("name", sorted(EXTRA_COMMANDS))
def test_commands_the_renderer_lacks_print_their_text_not_their_name(name: str) -> None:
    """``\\textless{}``, ``\\S``, ``\\thinspace``: a standard command pylatexenc does not know printed its name."""
    out = canonicalize(f"Tail \\{name}{{}} head")
    assert "\\" not in out and (name not in out or EXTRA_COMMANDS[name] == name), out


@pytest.mark.parametrize("name", sorted(STRIPPED_OPERATORS))
def test_screen_sees_every_stripped_operator(name: str) -> None:
    assert needs_repair(f"when m {name} n holds")


# A math or LaTeX slot in every form a scraper produces:
# (Unicode, raw LaTeX, backslashes stripped, HTML entities, inside dollars); None where a form does not exist.
SLOTS: list[tuple[str, str | None, str | None, str | None, str | None]] = [
    ("118×", r"118\times", "118times", "118&times;", r"$118\times$"),
    ("256×256", r"256\times256", "256times256", "256&#215;256", r"\(256\times256\)"),
    ("m ≫ n", r"m \gg n", "m gg n", "m &gg; n", r"$m \gg n$"),
    ("m ≪ n", r"m \ll n", "m ll n", "m &ll; n", r"$m \ll n$"),
    ("x ± y", r"x \pm y", "x pm y", "x &plusmn; y", r"$x \pm y$"),
    ("𝒪(n)", r"\mathcal{O}(n)", "mathcal{O}(n)", "&Oscr;(n)", r"$\mathcal{O}(n)$"),
    ("ℝ", r"\mathbb{R}", "mathbb{R}", "&Ropf;", r"$\mathbb{R}$"),
    ("m²", "m^2", "m^2", "m&sup2;", "$m^2$"),
    ("AstroM³", "AstroM^{3}", "AstroM^3", "AstroM&sup3;", "AstroM$^3$"),
    ("10⁻³", "10^{-3}", "10^{-3}", "10&#8315;&sup3;", "$10^{-3}$"),
    ("90°", r"90^\circ", "90^circ", "90&deg;", r"$90^\circ$"),
    ("→", r"\rightarrow", "rightarrow", "&rarr;", r"$\rightarrow$"),
    ("English↔German", r"English$\leftrightarrow$German", "EnglishleftrightarrowGerman", "English&harr;German", None),
    ("≤13", r"\le13", "le13", "&le;13", r"$\le$13"),
    ("C_Φ", r"C_\Phi", "C_Phi", "C_&Phi;", r"$C_\Phi$"),
    ("Φ ∘ Ψ", r"\Phi \circ \Psi", "Phi circ Psi", "&Phi; &compfn; &Psi;", r"$\Phi \circ \Psi$"),
    ("α", r"\alpha", None, "&alpha;", r"$\alpha$"),
    ('"informative"', "``informative''", "''informative''", "&ldquo;informative&rdquo;", None),
    ('"informative"', "“informative”", "„informative“", "&#8220;informative&#8221;", None),
    ("model's", "model’s", "modelx2019s", "model&rsquo;s", None),
    ("components–such", None, "componentsx2013such", "components&#x2013;such", None),
    ("0.5%", r"0.5\%", None, "0.5&#37;", None),
    ("Finetuning", r"\textbf{F}inetuning", "textbf{F}inetuning", None, None),
    ("flan_nas", r"flan\_nas", None, "flan&#95;nas", None),
]


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(_CLEAN_WORDS), max_size=12),
    st.sampled_from(SLOTS),
    st.lists(st.sampled_from(_CLEAN_WORDS), max_size=12),
)
def test_variant_templates(before: list[str], slot: tuple[str | None, ...], after: list[str]) -> None:
    def render(form: str) -> str:
        return " ".join([*before, form, *after])

    unicode_form = slot[0]
    assert unicode_form is not None
    expected = render(unicode_form)
    assert canonicalize(expected) == expected
    forms = [render(form) for form in slot[1:] if form is not None] + [_mojibake(expected)]
    key = dedup_key(expected)
    for form in forms:
        assert canonicalize(form) == expected, form
        assert dedup_key(form) == key, form


# --------------------------------------------------------------------------------------- dedup_key


def test_nfkc_only_in_keys() -> None:
    assert canonicalize("10³ and 𝒪(n) and ﬁ") == "10³ and 𝒪(n) and fi"
    assert dedup_key("10³ and 𝒪(n)") == "103 and o n"


def test_key_folds_case_punctuation_and_space() -> None:
    assert dedup_key("  Pre-Training:\tA   “Survey”…  ") == dedup_key("pretraining a survey") == "pretraining a survey"
    assert dedup_key("118\\times lower") == dedup_key("118 $\\times$ lower") == dedup_key("118Ã— lower")


def test_empty() -> None:
    assert canonicalize("") == "" and dedup_key("") == "" and canonicalize_with_repairs("") == ("", ())


# LaTeX fragments, raw and stripped, glued in any order: spans that never close, nest, or mix with prose.
_LATEX_TOKENS = [
    "\\frac", "{", "}", "a", "b+c", "$", "$$", "\\sqrt", "[3]", "^", "_", "\\alpha", "alpha", "\\it", " ", "\\cite{x}",
    "\\", "\\\\", "%", "50%", "\\%", "~", "--", "''", "``", '"', "\\'", "e", '\\"', "\\c", "c", "\\mathcal", "O",
    "mathcal", "frac", "leq", "\\leq", "1", "x", "\\left(", "\\right)", "(", ")", "&amp;", "Ã©", "\n", "\u2028",
    "\\href", "{http://a.b}", "\\begin{equation}", "\\end{equation}", "\\text{if }", "{\\rm", "eff}", "\\LambdaCDM",
    "\\mathbb R", "\\frac12", "theta", "_{", "in", "to", "C_", "x^", "0.82", "\u00ad", "\u00a0", "{0,1}", "Kpi",
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_LATEX_TOKENS), max_size=30).map("".join))
def test_latex_fragments_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once
    assert dedup_key(once) == dedup_key(text)
    assert needs_repair(text) or _repair(text) == (text, ())


# ------------------------------------------------------------------------------------- speed work, same outputs

#: Outputs of canonicalize_with_repairs before the speed work of issue 11 (commit a23a56b), on a sample of the
#: texts it was checked on (real abstracts and their stripped, $-less and mojibaked copies, prose, ftfy's and
#: pylatexenc's cases, the seeds, real listings, generated records): every rule several times, short texts first.
SPEED_GOLDEN: list[dict[str, Any]] = _load("canonicalize_outputs.json")


def test_speed_work_changed_no_output() -> None:
    wrong = [(case["input"], canonicalize_with_repairs(case["input"])) for case in SPEED_GOLDEN
             if canonicalize_with_repairs(case["input"]) != (case["output"], tuple(case["repairs"]))]
    assert not wrong, wrong[:3]
    assert {name for case in SPEED_GOLDEN for name in case["repairs"]} == {rule.name for rule in RULES}


# ----------------------------------------------------------------------------- stripped math agrees with raw

#: Symbol commands (no arguments) a stripped copy can show inside $…$. A negated name that reads as a letter and a
#: name (`ngeq`: `n\geq` or `\ngeq`) and a triple arrow that reads as a variable and an arrow (`Rrightarrow`:
#: `R\rightarrow` or `\Rrightarrow`) are the known ambiguities: stripped text reads them as the letter and the name.
_SYMBOL_NAMES = sorted(
    n for n in math_names()
    if n.isascii() and not takes_arguments(n) and n not in SILENT_COMMANDS
    and not (n[0] == "n" and n[1:] in math_names()) and n not in _VARIABLE_THEN_ARROW
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SYMBOL_NAMES).map(lambda n: "\\" + n),
                          st.sampled_from(list("xyzn0123+=(),"))), min_size=1, max_size=6))
def test_stripped_math_of_known_names_renders_as_raw(tokens: list[str]) -> None:
    """In math context every known command name gets its backslash back: the stripped copy renders as the raw."""
    raw = "we have $" + " ".join(tokens) + "$ here"
    assert canonicalize(raw.replace("\\", "")) == canonicalize(raw)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SYMBOL_NAMES).map(lambda n: "\\" + n),
                          st.sampled_from(list("xyzn0123+=(),"))), min_size=1, max_size=6),
       st.sampled_from(["equation", "equation*", "align*", "gather"]))
def test_display_environments_render_as_display_math(tokens: list[str], environment: str) -> None:
    """A display environment is math like \\[…\\]: the same text, raw or stripped of every backslash."""
    formula = " ".join(tokens)
    raw = f"we have \\begin{{{environment}}} {formula} \\end{{{environment}}} here"
    display = canonicalize(f"we have \\[ {formula} \\] here")
    assert canonicalize(raw) == display
    assert canonicalize(raw.replace("\\", "")) == display


# ------------------------------------------------------------------- fast forms of a table, same answers

_MIXED_TEXT = st.text(st.one_of(st.characters(max_codepoint=0x7F), st.sampled_from(
    list("é×≫∈—–“”„‘’ʼ\u00a0\u2009\u3000\t\x0b\u00adπℝ𝒪ﬁ１ßİ") + ["\U0001d49e", "\ud800"])), max_size=40)


@settings(max_examples=2000, deadline=None)
@given(_MIXED_TEXT)
def test_key_reads_the_table_character_by_character(text: str) -> None:
    """The key maps ASCII by byte tables and the rest by the full table: the same as the full table on every
    character (what ``str.translate`` would do, several times slower)."""
    if "{" in text or "(" in text:
        return  # script groups and glued parentheses are joined first, by their own rules
    reference = " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_KEY_TABLE).split())
    assert key_of_canonical(text) == reference


@settings(max_examples=1000, deadline=None)
@given(_MIXED_TEXT)
def test_quotes_and_spaces_by_their_fast_forms(text: str) -> None:
    assert _straighten(text) == text.translate(_QUOTES)
    collapsed = _SPACE_RUN_RE.sub(" ", text)
    reference = re.sub(r"\n{3,}", "\n\n", re.sub(r" ?\n ?", "\n", collapsed)).strip(" \n")
    assert normalize_whitespace(text) == reference


# ------------------------------------------------------------------------ simple spans read without the parser

#: Command names of every kind the fast reading must tell apart, drawn evenly from three lists: symbols and switches;
#: math alphabets and commands with braced arguments (ours, pylatexenc's, unknown to the renderer); commands with an
#: optional argument or a drawing of their own, unknown names.
_SPAN_NAMES = st.one_of(
    st.sampled_from([*_SYMBOL_NAMES[::7], *sorted(SILENT_COMMANDS)[::3], "ne", "prime", "not"]),
    st.sampled_from(["frac", "dfrac", "sqrt", "overline", "widehat", "mathbb", "mathcal", "mathrm", "text", "emph",
                     "underline", "mbox", "bm", "operatorname"]),
    st.sampled_from(["hat", "bar", "mathbf", "pmod", "unicode", "binom", "overset", "xrightarrow", "cite",
                     "LambdaCDM", "foo", "eps", "R", "alphaX", "begin", "end", "verb", "(", "[", "{", "|", ","]),
)
_SPAN_CHARS = list("xy2-+=()[]|/,.'*<>^_ ") + ["  ", "π", "é", "AB", "ab"]
_CHARS = st.lists(st.sampled_from(_SPAN_CHARS), min_size=1, max_size=3).map("".join)


def _span_tokens(group: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A span: commands (with groups after them: their arguments, or groups of their own), groups, characters."""
    command = st.tuples(_SPAN_NAMES, st.sampled_from(["", " ", "  "]), st.lists(group, max_size=2)).map(
        lambda t: "\\" + t[0] + t[1] + "".join(t[2]))
    return st.lists(st.one_of(command, group, _CHARS), min_size=1, max_size=5).map("".join)


#: A group: characters, or a span of its own (nested to any depth).
_GROUP = st.recursive(_CHARS | st.just(""), lambda inner: _span_tokens(inner.map(lambda t: "{" + t + "}")),
                      max_leaves=8).map(lambda t: "{" + t + "}")


@settings(max_examples=3000, deadline=None)
@given(_span_tokens(_GROUP))
def test_simple_spans_read_as_the_parser_reads_them(span: str) -> None:
    """A span of symbol commands, commands with braced arguments, groups and characters is read without pylatexenc:
    to the text the renderer gives after pylatexenc's parse, or not at all."""
    fast = _render_simple(span)
    if fast is not None:
        renderer, walker = _renderer()
        assert fast == renderer.nodelist_to_text(walker(span, tolerant_parsing=True).get_latex_nodes()[0])


def test_simple_spans_are_read_without_the_parser() -> None:
    """The common spans of abstracts take the fast reading; an optional argument, an unknown command, a drawing of
    pylatexenc's own or a special goes to the parser."""
    assert _render_simple(r"O(n \log n)") == "O(n log n)"
    assert _render_simple(r"\frac{1}{2} \mathcal{O}(n)") == "1/2 𝒪(n)"
    assert _render_simple(r"\frac{a}{\beta} {\rm d}x + \mathbb R^n + \frac12 + \hat{x} + \{x\}") == (
        "a/β dx + ℝ^n + 1/2 + x̂ + {x}")
    assert _render_simple(r"\LambdaCDM, \eps\cite{smith}") == "ΛCDM, eps"
    for span in (r"\sqrt[3]{x}", r"a--b", r"\geqψ", r"\cite[p. 3]{a}", r"\overset{a}{b}", r"\begin{array}x\end{array}",
                 r"\(x\)", "50%", "x~y"):
        assert _render_simple(span) is None, span


#: Pieces of LaTeX and markup that garbage and broken copies mix (unclosed groups and environments, lone delimiters).
_LATEX_SOUP = st.lists(st.sampled_from(
    list("\\{}$^_ ab1.,()[]~&%#'`\"-+=\n") + ["\\frac", "\\alpha", "\\mathbb", "\\hat", "\\eps", "\\begin{array}",
    "\\end{array}", "\\begin{array", "\\cite", "\\\\", "\\(", "\\)", "\\[", "\\]", "π", "é", "Ã©", "\u00a0", "😀",
    "&amp;", "<sup>", "</sup>", "\\'", '\\"', "\\c", "\\not", "\\left", "\\right."]), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_LATEX_SOUP)
def test_latex_soup_reaches_a_fixpoint(text: str) -> None:
    """Whatever LaTeX a broken copy holds, canonicalize returns a text it leaves as it is (an unclosed group closed
    for the parser once, not one more brace per pass)."""
    once = canonicalize(text)
    assert canonicalize(once) == once


def test_deep_nesting_is_left_to_the_parser() -> None:
    """Groups nested thousands deep (garbage, or an attack) are read by the parser, which gives up and keeps the
    text: no RecursionError from the fast reading."""
    from dedup.latex import render

    deep = "{" * 3000 + "x" + "}" * 3000
    assert render(deep) == deep
    assert canonicalize("$" + "{" * 140 + "x" + "}" * 140 + "$ and \\textbf{" + deep + "}").startswith("x and ")


# ------------------------------------------------------------------------------------ edges and record fields


@pytest.mark.parametrize("case", [c for c in GOLDEN if "xfail" not in c], ids=lambda c: c["input"][:30])
def test_field_is_the_canonical_text_trimmed(case: dict[str, Any]) -> None:
    """A record's field is the canonical text with its lines and ends trimmed, ``whitespace`` among its repairs
    when that trimmed anything."""
    text, repairs = canonicalize_field(case["input"])
    assert text == normalize_whitespace(case["output"])
    assert set(repairs) - {"whitespace"} == set(case["repairs"]) - {"whitespace"}
    assert ("whitespace" in repairs) == ("whitespace" in case["repairs"] or text != case["output"])
    assert canonicalize_field(text) == (text, ())


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["", " ", "  ", "\n", " \n", "\t", "\u00a0", " \u00a0 "]), st.sampled_from(_CLEAN_WORDS + [
    "the Ö…", "Fuß“ quote", "10times", "$x^2$"]), st.sampled_from(["", " ", "  ", "\n", "\n\n", "\t", "\u00a0"]))
def test_canonicalize_keeps_the_edges_of_a_text(lead: str, core: str, trail: str) -> None:
    """canonicalize is a repair, like ftfy.fix_text: a text's leading and trailing whitespace is not damage."""
    out = canonicalize(lead + core + trail)
    assert out == lead + canonicalize(core) + trail
    if (lead + trail).isascii():  # a lone no-break space is typography, even at an end (as it always was)
        assert canonicalize_field(lead + core + trail)[0] == canonicalize(core)


@pytest.mark.parametrize("forms", [
    ["5-HT<inf>1B</inf> receptors", "5-HT<sub>1B</sub> receptors", "$5$-HT$_{1B}$ receptors", "5-HT1B receptors",
     "5-HT(1B) receptors", "5-HT_{1B} receptors"],
    ["A<sub>1</sub> or A<sub>3</sub> adenosine receptors", "A1 or A3 adenosine receptors",
     "A(1) or A(3) adenosine receptors", "$A_1$ or $A_3$ adenosine receptors"],
])
def test_a_script_keys_alike_however_an_export_wrote_it(forms: list[str]) -> None:
    """HTML tags, LaTeX, glued characters or parentheses: one subscript, one key (never one display text)."""
    assert len({dedup_key(form) for form in forms}) == 1, [dedup_key(form) for form in forms]


def test_parentheses_that_are_no_script_stay_a_word_break() -> None:
    assert dedup_key("O(n) time") != dedup_key("On time") and dedup_key("f(x)") == "f x"
