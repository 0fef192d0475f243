"""The repair rules behind :func:`dedup.canonical.canonicalize`, one small function per rule.

Each rule takes text and returns text, changes only what it is sure about, and returns its input
unchanged (the same object) when it has nothing to do, usually after a cheap check such as
``"&" not in text``. :data:`FIXERS` maps each rule's name (the one that shows up in a corpus record's
``repairs``) to its function, in the order the rules run.

Scrapers mangle LaTeX in two ways: they keep it raw (``118\\times lower``) or strip the backslashes
(``118times lower``). Raw commands are unambiguous and always repaired. Stripped ones look like English
(``times``, ``Phi``, ``circ``, ``gg``), so they are repaired only where the *context* says math: a number
glued to ``times``, a Greek name right after ``_``, an operator between two one-letter variables, a name
inside a ``_{...}`` group. Mojibake and control characters are left to ftfy, with its HTML and quote
handling switched off (we do our own, so that clean text with curly quotes or a ``<`` stays as it is).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable

import ftfy
import ftfy.fixes
from ftfy.chardata import LIGATURES, WIDTH_MAP

from dedup.chardata import (
    ALPHABETS,
    ARROWS,
    ESCAPES,
    GLUED_OPERATORS,
    GREEK,
    INVISIBLE,
    MOJIBAKE_PATTERN,
    MOJIBAKE_SCREEN,
    NUMERIC_DEBRIS,
    ODD_SPACES,
    STRIPPED_ARROWS,
    STRIPPED_BEFORE_NUMBER,
    STRIPPED_OPERATORS,
    SUPERSCRIPTS,
    SYMBOLS,
    TEXT_FONTS,
)

__all__ = [
    "FIXERS",
    "fix_arrows",
    "fix_braces",
    "fix_control_chars",
    "fix_escapes",
    "fix_greek",
    "fix_html_entities",
    "fix_invisible",
    "fix_link_debris",
    "fix_ligatures",
    "fix_math_alphabets",
    "fix_math_delimiters",
    "fix_mojibake",
    "fix_nfc",
    "fix_numeric_debris",
    "fix_quotes",
    "fix_superscripts",
    "fix_symbols",
    "fix_text_fonts",
    "fix_times",
    "fix_whitespace",
    "fix_width",
]

Fixer = Callable[[str], str]


def _alternation(names: Iterable[str]) -> str:
    """A regex alternation of literal names, longest first so ``leftrightarrow`` beats ``rightarrow``."""
    return "|".join(re.escape(name) for name in sorted(names, key=lambda n: (-len(n), n)))


# ftfy with everything but the encoding repairs switched off. HTML entities, quotes, widths, ligatures,
# line breaks and NFC are separate rules here, so each one is named in `repairs`, HTML is unescaped even
# when the text holds a `<`, and curly quotes in clean text are left alone.
_MOJIBAKE_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)

# Math words: every name a letter run inside a math region (`_{...}`, `_Phi`) may be made of.
_GREEK_NAMES = _alternation(GREEK)
_MATH_NAMES = frozenset(GREEK) | frozenset(STRIPPED_OPERATORS) | {"times"}
_MATH_RUN_RE = re.compile(rf"(?:{_alternation(_MATH_NAMES)})+")
_MATH_PIECE_RE = re.compile(_alternation(_MATH_NAMES))
_LETTER_RUN_RE = re.compile(r"[A-Za-z]+")
#: A math region: a `_{...}`/`^{...}` group, or the letters right after `_`/`^`, on a base that is one
#: letter, a symbol or a closing bracket (`C_Phi`, `𝒞_{...}`), never a word or a path (`flan_nas`, `my_beta`).
MATH_REGION_RE = re.compile(r"((?:(?<![\w/.\-])[A-Za-z]|[})\]]|[^\x00-\x7f])[_^])(\{[^{}\n]*\}|[A-Za-z]+)")

_RAW_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_BRACE_GROUP = r"\{((?:[^{}\n]|\{[^{}\n]*\})*)\}"


def _convert_math_runs(region: str, table: dict[str, str]) -> str:
    """In a math region, replace the names from `table` in letter runs made only of math names."""

    def run(match: re.Match[str]) -> str:
        letters = match.group()
        if not _MATH_RUN_RE.fullmatch(letters):
            return letters
        return _MATH_PIECE_RE.sub(lambda piece: table.get(piece.group(), piece.group()), letters)

    return _LETTER_RUN_RE.sub(run, region)


def _in_math_regions(text: str, table: dict[str, str]) -> str:
    """Apply :func:`_convert_math_runs` to every math region of `text`."""
    if "_" not in text and "^" not in text:
        return text
    return MATH_REGION_RE.sub(lambda m: m.group(1) + _convert_math_runs(m.group(2), table), text)


def _raw_commands(text: str, table: dict[str, str]) -> str:
    r"""Replace backslash commands (``\gg``) found in `table`; unknown commands stay as they are."""
    if "\\" not in text:
        return text
    return _RAW_COMMAND_RE.sub(lambda m: table.get(m.group(1), m.group()), text)


# ---------------------------------------------------------------------------------------------- HTML

ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def fix_html_entities(text: str) -> str:
    """Decode HTML character references that end in ``;`` (``&times;``, ``&#x2013;``, ``&amp;``).

    References without the ``;`` stay: ``H&E`` and ``R&D`` are text, not entities.

    >>> fix_html_entities('118&times; lower &amp; 2&#x2013;3 &ndash; H&E')
    '118× lower & 2–3 – H&E'
    """
    if "&" not in text:
        return text
    return ENTITY_RE.sub(lambda m: html.unescape(m.group()), text)


_NUMERIC_DEBRIS_RE = re.compile(r"(?<=[a-z])x(20[0-3][0-9a-fA-F]|2212|00[aAbB][07]);?(?=[a-z])")


def fix_numeric_debris(text: str) -> str:
    """Restore numeric HTML entities whose ``&#`` and ``;`` a scraper stripped (``x2013`` for ``&#x2013;``).

    Only when glued between two lowercase words and only for typographic punctuation, so hex numbers
    and names such as ``0x2013`` or ``Complex2013 dataset`` stay.

    >>> fix_numeric_debris('several componentsx2013such as weights')
    'several components–such as weights'
    >>> fix_numeric_debris('address 0x2013 and Complex2013 dataset')
    'address 0x2013 and Complex2013 dataset'
    """
    if "x20" not in text and "x22" not in text and "x00" not in text:
        return text

    def restore(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return chr(code) if code in NUMERIC_DEBRIS else match.group()

    return _NUMERIC_DEBRIS_RE.sub(restore, text)


# ------------------------------------------------------------------------------------------- Unicode


_MOJIBAKE_RE = re.compile(MOJIBAKE_PATTERN)
_MOJIBAKE_CLASS_RE = re.compile(f"[{MOJIBAKE_SCREEN}]")


def looks_like_mojibake(text: str) -> bool:
    """A cheap, exact screen for :func:`fix_mojibake`: a character class first, the pattern where it hits.

    >>> looks_like_mojibake("Pérez – 118× lower"), looks_like_mojibake("PÃ©rez")
    (False, True)
    """
    return not text.isascii() and _MOJIBAKE_CLASS_RE.search(text) is not None and (
        _MOJIBAKE_RE.search(text) is not None)


def fix_mojibake(text: str) -> str:
    """Undo mojibake (UTF-8 decoded as cp1252, Latin-1, MacRoman…) with ftfy's encoding repairs.

    ftfy runs only on text holding a character that mojibake (or a C1 control) needs: not on ASCII, not on
    clean typography such as ``–`` and ``“``.

    >>> fix_mojibake('118Ã— lower, â€œinformativeâ€\\x9d')
    '118× lower, “informative”'
    """
    if not looks_like_mojibake(text):
        return text
    whole = _undo_whole_text_mojibake(text)
    if whole is not None:
        return whole
    return ftfy.fix_text(text, _MOJIBAKE_CONFIG)


def _undo_whole_text_mojibake(text: str) -> str | None:
    """The fast path of :func:`fix_mojibake`: when the *whole* text is UTF-8 that was decoded as cp1252 (the
    commonest scrape accident), encoding it back with ftfy's ``sloppy-windows-1252`` codec and decoding as
    UTF-8 is exactly what ftfy's repair ends up doing, at a fraction of the cost of its per-line search.
    Anything else (mixed text, other encodings, a result that still looks like mojibake) returns ``None``
    and goes to ftfy.

    >>> _undo_whole_text_mojibake('PÃ©rez â€“ 118Ã— lower')
    'Pérez – 118× lower'
    >>> _undo_whole_text_mojibake('Pérez – 118× lower') is None
    True
    """
    try:
        fixed = text.encode("sloppy-windows-1252").decode("utf-8")
    except UnicodeError:
        return None
    if fixed == text or _MOJIBAKE_RE.search(fixed) or not fixed.isprintable() and "\n" not in fixed:
        return None
    return fixed


_INVISIBLE_RE = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")


def fix_invisible(text: str) -> str:
    """Remove characters that carry no text: soft hyphens, zero-width spaces, word joiners, BOMs.

    >>> fix_invisible('pre\\u00adtraining\\u200b data\\ufeff')
    'pretraining data'
    """
    if text.isascii() or not _INVISIBLE_RE.search(text):
        return text
    return text.translate(INVISIBLE)


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\r\x85\u2028\u2029\u206a-\u206f\ufff9-\ufffc\ud800-\udfff]")


def fix_control_chars(text: str) -> str:
    r"""Remove terminal escapes and control characters; make every line break a ``\n``.

    >>> fix_control_chars('bold\x1b[1m text\r\nnext\u2028line\x07')
    'bold text\nnext\nline'
    """
    if not _CONTROL_RE.search(text):
        return text
    text = ftfy.fixes.remove_terminal_escapes(text)
    text = ftfy.fixes.fix_line_breaks(text)
    text = ftfy.fixes.fix_surrogates(text)
    return ftfy.fixes.remove_control_chars(text)


_LIGATURE_RE = re.compile("[" + re.escape("".join(map(chr, sorted(LIGATURES)))) + "]")
_WIDTH_RE = re.compile("[" + re.escape("".join(map(chr, sorted(WIDTH_MAP)))) + "]")


def fix_ligatures(text: str) -> str:
    """Split Latin ligatures into their letters (``ﬁ`` → ``fi``), as ftfy does.

    >>> fix_ligatures('eﬃcient ﬁne-tuning')
    'efficient fine-tuning'
    """
    if text.isascii() or not _LIGATURE_RE.search(text):
        return text
    return ftfy.fixes.fix_latin_ligatures(text)


def fix_width(text: str) -> str:
    """Replace fullwidth ASCII and halfwidth katakana with their standard forms, as ftfy does.

    >>> fix_width('ＧＰＴ-４')
    'GPT-4'
    """
    if text.isascii() or not _WIDTH_RE.search(text):
        return text
    return ftfy.fixes.fix_character_width(text)


def fix_nfc(text: str) -> str:
    """Compose characters to NFC (never NFKC: that would turn ``10³`` into ``103``).

    >>> fix_nfc('cafe\\u0301 10³') == 'caf\\u00e9 10³'
    True
    """
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


_ODD_SPACE_RE = re.compile(f"[{ODD_SPACES}]{{2,}}|[{ODD_SPACES.replace(' ', '')}]")
_ODD_SPACE_CHAR_RE = re.compile(f"[{ODD_SPACES.replace(' ', '')}]")
_LINE_EDGE_RE = re.compile(r" ?\n ?")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def fix_whitespace(text: str) -> str:
    r"""Collapse runs of spaces, tabs and odd spaces (NBSP…) to one space; trim lines and the text.

    Paragraph breaks survive, at most one blank line in a row.

    >>> fix_whitespace('  two\u00a0 spaces\tand a tab \n\n\n\nnext ')
    'two spaces and a tab\n\nnext'
    """
    if "  " in text or _ODD_SPACE_CHAR_RE.search(text):
        text = _ODD_SPACE_RE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGE_RE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip(" \n") if text[:1] in " \n" or text[-1:] in " \n" else text


# --------------------------------------------------------------------------------------------- LaTeX

_QUOTES_RE = re.compile(r"(?<![\w'`])(?:``|'')(?=[^\s'`])((?:[^\n'`]|'(?!')){0,200}?[^\s'`])''(?![\w'])")


def fix_quotes(text: str) -> str:
    """Turn LaTeX quotes (````word''`` and ``''word''``) into real quotation marks.

    >>> fix_quotes("a mild ''informative'' condition, ``supervised pre-training''")
    'a mild “informative” condition, “supervised pre-training”'
    >>> fix_quotes("the model's 5'' screen")
    "the model's 5'' screen"
    """
    if "''" not in text:
        return text
    return _QUOTES_RE.sub(r"“\1”", text)


_DISPLAY_MATH_RE = re.compile(r"\\\((.{1,300}?)\\\)|\\\[(.{1,300}?)\\\]|(?<!\\)\$\$([^$]{1,300}?)\$\$", re.S)
_INLINE_MATH_RE = re.compile(r"(?<![\\$])\$(?=[^\s$])([^$\n]{0,200}?[^\s$\\])?\$(?!\$)(\d?)")
_MATHY_RE = re.compile(r"[\\^_{}=<>]|^[A-Za-z][A-Za-z0-9]?$")
# A plain word in a $...$ pair (not a command, not in braces, not a math name) means prose between prices.
_PLAIN_WORD_RE = re.compile(r"(?<![\\A-Za-z{])[A-Za-z]{3,}(?![A-Za-z])")


def _is_math(content: str) -> bool:
    """Whether the text between two dollars reads as math rather than as prose between two prices."""
    if not _MATHY_RE.search(content) or "://" in content:
        return False
    return all(word in _MATH_NAMES for word in _PLAIN_WORD_RE.findall(content))


def fix_math_delimiters(text: str) -> str:
    r"""Drop math delimiters: ``\(…\)``, ``\[…\]``, ``$$…$$``, and ``$…$`` around math.

    A ``$`` pair counts as math only by Pandoc's rule (no space inside the dollars, no digit after the
    closing one, unless a command is inside) and when its content looks like math, so prices stay prices.
    The content is left for the other rules.

    >>> fix_math_delimiters(r'at \(256\times256\), AstroM$^3$, 33 billion $m^2$')
    'at 256\\times256, AstroM^3, 33 billion m^2'
    >>> fix_math_delimiters('a cost of roughly $20, or $5-$10 and $3 to $4')
    'a cost of roughly $20, or $5-$10 and $3 to $4'
    """
    if "$" not in text and "\\" not in text:
        return text
    if "\\" in text or "$$" in text:
        text = _DISPLAY_MATH_RE.sub(lambda m: next(g for g in m.groups() if g is not None), text)

    if "$" not in text:
        return text
    # Scan by hand: a rejected pair ("$20 and US$") must give its closing "$" a chance to open the next one.
    pieces, done, start = [], 0, 0
    while (match := _INLINE_MATH_RE.search(text, start)) is not None:
        content, digit = match.group(1) or "", match.group(2)
        # A digit right after the closing $ means a price ($5-$10), unless a command says math ($\le$13).
        if (digit and "\\" not in content) or not _is_math(content):
            start = match.start() + 1
            continue
        pieces += [text[done : match.start()], content, digit]
        done = start = match.end()
    return "".join(pieces) + text[done:] if pieces else text


_TEXT_FONT_RE = re.compile(rf"(?:\\|(?<![A-Za-z]))(?:{_alternation(TEXT_FONTS)}) ?{_BRACE_GROUP}")


def fix_text_fonts(text: str) -> str:
    r"""Drop font and text commands, keeping their content: ``textbf{F}inetuning`` → ``Finetuning``.

    Works with and without the backslash; the brace after the name is the context that says LaTeX.

    >>> fix_text_fonts(r'textbf{F}inetuning-textbf{a}ligned, \textit{Gaussian-MAE}, text{softmax}(x)')
    'Finetuning-aligned, Gaussian-MAE, softmax(x)'
    """
    if "{" not in text:
        return text
    return _TEXT_FONT_RE.sub(r"\1", text)


_ALPHABET_NAMES = _alternation(ALPHABETS)
_ALPHABET_RE = re.compile(
    rf"(?:\\|(?<![A-Za-z]))({_ALPHABET_NAMES}) ?{_BRACE_GROUP}|\\({_ALPHABET_NAMES}) ([A-Z])(?![A-Za-z])"
)
# Capital letters standing alone (not part of a word or a command such as Phi) in a math alphabet group.
_ALPHABET_LETTER_RE = re.compile(r"(?<![\\_^a-z])[A-Z](?![a-z])")


def fix_math_alphabets(text: str) -> str:
    r"""Render ``\mathcal``, ``\mathbb``, ``\mathfrak`` capitals as Unicode math letters (``𝒪``, ``ℝ``).

    >>> fix_math_alphabets('mathcal{O}(mathcal{C_Phi/m}), x in \\mathbb{R}^d, \\mathbb N')
    '𝒪(𝒞_Phi/m), x in ℝ^d, ℕ'
    """
    if "math" not in text:
        return text

    def render(match: re.Match[str]) -> str:
        if match.group(4) is not None:
            return ALPHABETS[match.group(3)][match.group(4)]
        alphabet = ALPHABETS[match.group(1)]
        return _ALPHABET_LETTER_RE.sub(lambda m: alphabet[m.group()], match.group(2))

    return _ALPHABET_RE.sub(render, text)


_SUPERSCRIPT_CHARS = re.escape("".join(SUPERSCRIPTS))
_DEGREE_RE = re.compile(r"(?<=\d)(?: ?\^ ?)(?:\{ ?\\?circ ?\}|\\circ(?![A-Za-z])|circ(?![A-Za-z]))")
_SUPERSCRIPT_RE = re.compile(
    rf"(?<=[\w)\]}}\u00b2\u00b3\u00b9\u2070-\u207f])\^(?:\{{([{_SUPERSCRIPT_CHARS}]+)\}}|(\d+))"
)


def fix_superscripts(text: str) -> str:
    r"""Render numeric exponents as Unicode superscripts (``m^2`` → ``m²``) and ``^\circ`` as ``°``.

    Only exponents Unicode can write (digits, signs, parentheses, ``n``, ``i``); others stay as they are.

    >>> fix_superscripts(r'AstroM^3, 33 billion m^2, 10^{-3}, 90^\circ, x^{T}')
    'AstroM³, 33 billion m², 10⁻³, 90°, x^{T}'
    """
    if "^" not in text:
        return text
    if "circ" in text:
        text = _DEGREE_RE.sub("°", text)
    return _SUPERSCRIPT_RE.sub(lambda m: "".join(SUPERSCRIPTS[c] for c in (m.group(1) or m.group(2))), text)


_SYMBOL_TABLE = {name: char for name, char in SYMBOLS.items() if name in STRIPPED_OPERATORS}
_ATOM = rf"(?:[A-Za-z]|\d+(?:\.\d+)?|{_GREEK_NAMES}|[\u0391-\u03c9])"
_BETWEEN_ATOMS_RE = re.compile(rf"(?<![\w\\])({_ATOM}) ({_alternation(STRIPPED_OPERATORS)}) (?={_ATOM}(?![\w]))")
_BEFORE_NUMBER_RE = re.compile(rf"(?<![\w\\])({_alternation(STRIPPED_BEFORE_NUMBER)})(?=[0-9])")
_BEFORE_NUMBER_SCREEN_RE = re.compile(r"eq?[0-9]")
_GLUED_OPERATORS = GLUED_OPERATORS
#: A stripped operator between spaces: the cheap test for whether the between-atoms rules need to run.
SPACED_OPERATOR_RE = re.compile(rf" (?:{_alternation(STRIPPED_OPERATORS)}) ")
_GLUED_AFTER_GREEK_RE = re.compile(
    rf"(?<![A-Za-z\\])({_GREEK_NAMES}|[\u0391-\u03c9])({_alternation(_GLUED_OPERATORS)})(?![A-Za-z])"
)


def fix_symbols(text: str) -> str:
    r"""Render relations and operators (``\gg``, ``\circ``, ``\le``…) as Unicode symbols.

    Without the backslash, a name is math only in context: between two math atoms (``m gg n``), glued
    to the number it compares (``le13``), glued to a Greek name (``Phicirc``) or inside a ``_{...}``
    group. ``circuit``, ``eggs``, ``we'll`` and ``the gg`` stay.

    >>> fix_symbols(r'when m gg n and C_{Phi circ Psi}, (le13 labeled), a \cdot b, eggs and circuits')
    'when m ≫ n and C_{Phi ∘ Psi}, (≤13 labeled), a ⋅ b, eggs and circuits'
    """
    text = _raw_commands(text, SYMBOLS)
    if SPACED_OPERATOR_RE.search(text):
        text = _BETWEEN_ATOMS_RE.sub(lambda m: f"{m.group(1)} {SYMBOLS[m.group(2)]} ", text)
    if _BEFORE_NUMBER_SCREEN_RE.search(text):
        text = _BEFORE_NUMBER_RE.sub(lambda m: SYMBOLS[m.group(1)], text)
    if any(name in text for name in _GLUED_OPERATORS):
        text = _GLUED_AFTER_GREEK_RE.sub(lambda m: m.group(1) + SYMBOLS[m.group(2)], text)
    return _in_math_regions(text, _SYMBOL_TABLE)


_STRIPPED_TIMES_RE = re.compile(r"(?<=[0-9])times(?![a-z])")


def fix_times(text: str) -> str:
    r"""Render ``\times`` as ``×``; without the backslash only when glued to a number (``10times``).

    >>> fix_times(r'6.1times smaller, 118\times lower, 256times256, nine times faster, 2.5 times')
    '6.1× smaller, 118× lower, 256×256, nine times faster, 2.5 times'
    """
    if "times" not in text:
        return text
    text = _raw_commands(text, {"times": "×"})
    text = _STRIPPED_TIMES_RE.sub("×", text)
    return _in_math_regions(text, {"times": "×"})


_STRIPPED_ARROWS_RE = re.compile(rf"\\?(?:{_alternation(STRIPPED_ARROWS)})")
_RAW_ARROW_NAMES = {name: char for name, char in ARROWS.items() if name not in STRIPPED_ARROWS}


def fix_arrows(text: str) -> str:
    r"""Render arrows (``\rightarrow``, ``leftrightarrow``…) as Unicode arrows, even glued to words.

    No English word contains ``rightarrow``, so the stripped names are repaired anywhere; ``\to`` and
    ``\implies`` need their backslash.

    >>> fix_arrows(r'pre-training rightarrow downstream, EnglishleftrightarrowGerman, x \to y, go to')
    'pre-training → downstream, English↔German, x → y, go to'
    """
    if "arrow" in text or "mapsto" in text:
        text = _STRIPPED_ARROWS_RE.sub(lambda m: ARROWS[m.group().lstrip("\\")], text)
    return _raw_commands(text, _RAW_ARROW_NAMES)


_OPERAND = rf"(?:{_GREEK_NAMES}|[A-Za-z]|\d+(?:\.\d+)?)"
_GREEK_OPERANDS_RE = re.compile(
    rf"(?<![\w\\-])({_OPERAND})( )({_alternation(STRIPPED_OPERATORS)})( )({_OPERAND})(?![\w-])"
    rf"|(?<![A-Za-z\\])({_GREEK_NAMES})({_alternation(_GLUED_OPERATORS)})( ?)({_GREEK_NAMES})?(?![A-Za-z])"
)
_STANDALONE_GREEK_RE = re.compile(rf"(?<![\w\\-])({_GREEK_NAMES})(?![\w-])")
_STRONG_IN_REGION_RE = re.compile(rf"^\{{?({_GREEK_NAMES})(?=[^a-z]|$|{_alternation(_MATH_NAMES)})")


def _greek_operands(match: re.Match[str]) -> str:
    """Convert the Greek names on either side of a stripped operator, leaving the operator to fix_symbols."""
    return "".join(GREEK.get(part, part) if part else "" for part in match.groups())


def fix_greek(text: str) -> str:
    r"""Render Greek letters (``\Phi``, ``C_Phi``) as Unicode, deciding stripped names by context.

    A stripped name is a letter after ``_`` or ``^``, inside a ``_{...}`` group, or an operand of a
    stripped operator (``Phi circ Psi``; the operator is :func:`fix_symbols`' job). Once the text has
    shown, with a stripped name after ``_``, that a capitalised name is math, its other standalone uses
    are too ("function classes Phi, Psi"). ``Phi-2`` the model and ``alpha`` the word stay.

    >>> fix_greek('classes Phi, Psi where C_Phi and C_{Phicirc Psi} > C_Psi; Phi-2 is a model; alpha test')
    'classes Φ, Ψ where C_Φ and C_{Φcirc Ψ} > C_Ψ; Phi-2 is a model; alpha test'
    >>> fix_greek('Phi circ Psi, alpha ≤13')
    'Φ circ Ψ, alpha ≤13'
    >>> fix_greek('the Phi model')
    'the Phi model'
    """
    text = _raw_commands(text, GREEK)
    # Names the text itself shows, stripped, in a math position: their other standalone uses are math too.
    strong: set[str] = set()
    if "_" in text or "^" in text:
        for match in MATH_REGION_RE.finditer(text):
            strong.update(name for name in _STRONG_IN_REGION_RE.findall(match.group(2)) if name[:1].isupper())
    text = _in_math_regions(text, GREEK)
    if SPACED_OPERATOR_RE.search(text) or any(name in text for name in _GLUED_OPERATORS):
        text = _GREEK_OPERANDS_RE.sub(_greek_operands, text)
    if strong:
        text = _STANDALONE_GREEK_RE.sub(lambda m: GREEK[m.group()] if m.group() in strong else m.group(), text)
    return text


_ESCAPE_RE = re.compile(
    r"\\([%&_#${}])|(?<![\w\\])\\(?=\d)|\\[,;: ]|\\!|\\(?:left|right|[bB]igg?[lr]?)(?:\.|(?=[()\[\]|/]|\\[{}|]))"
)


def fix_escapes(text: str) -> str:
    r"""Unescape LaTeX specials (``0.5\%``, ``flan\_nas``, ``\&``), spacing commands (``\,``), ``\left(``.

    A backslash before a number is a ``\$`` that lost its dollar: ``\1,890`` → ``$1,890``.

    >>> fix_escapes(r'0.5\% of flan\_nas, Sentinel-1 \& -2, with only \1,890, 10\,ms')
    '0.5% of flan_nas, Sentinel-1 & -2, with only $1,890, 10 ms'
    >>> fix_escapes(r'\left(x\right)')
    '(x)'
    """
    if "\\" not in text:
        return text

    def unescape(match: re.Match[str]) -> str:
        if match.group(1):
            return ESCAPES[match.group(1)]
        token = match.group()
        if token == "\\":
            return "$"
        return " " if token[1] in ",;: " else ""

    return _ESCAPE_RE.sub(unescape, text)


_URL = r"https?://[^\s{}<>\"]+"
_URL_THEN_COPY_RE = re.compile(rf"({_URL})\{{({_URL})\}}")
_BRACED_URL_RE = re.compile(rf"(?:(?:\\|(?<![A-Za-z]))url)?\{{({_URL})\}}")
_HREF_RE = re.compile(rf"(?:\\|(?<![A-Za-z]))href\{{({_URL})\}}\{{([^{{}}\n]*)\}}")


def fix_link_debris(text: str) -> str:
    r"""Remove what ``\url`` and ``\href`` leave behind: a URL followed by ``{the same URL}``, braced URLs.

    >>> fix_link_debris('at https://x.org/flan_nas{https://x.org/flan_nas}. Code: {https://github.com/a/b}.')
    'at https://x.org/flan_nas. Code: https://github.com/a/b.'
    >>> fix_link_debris(r'see \href{https://x.org}{our site} and \url{https://y.org}')
    'see our site (https://x.org) and https://y.org'
    """
    if "{http" not in text:
        return text

    def href(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2).strip()
        return url if label in ("", url) else f"{label} ({url})"

    def copy(match: re.Match[str]) -> str:
        first, second = match.group(1), match.group(2)
        return first if second.rstrip("/.") == first.rstrip("/.") else f"{first} {second}"

    text = _HREF_RE.sub(href, text)
    text = _URL_THEN_COPY_RE.sub(copy, text)
    return _BRACED_URL_RE.sub(r"\1", text)


_BRACES_RE = re.compile(r"(\\[A-Za-z]+ ?)?(?<![\\_^])\{([^{}\n,;|=]*[^\W\d_][^{}\n,;|=]*)\}")


def fix_braces(text: str) -> str:
    r"""Drop leftover grouping braces around words (``"{SkillNet}"``, ``Wukong{ViT-B}``).

    Braces that still mean something stay: ``_{...}`` subscripts, sets such as ``{0,1}``, and the
    arguments of raw commands we do not know (``\cite{key}``).

    >>> fix_braces(r'our "{SkillNet}" model beats Wukong{ViT-B}; x in {0,1}; C_{ij}; \cite{smith}')
    'our "SkillNet" model beats WukongViT-B; x in {0,1}; C_{ij}; \\cite{smith}'
    """
    if "{" not in text:
        return text
    return _BRACES_RE.sub(lambda m: m.group() if m.group(1) else m.group(2), text)


#: The rules by name, in the order they run. Order matters: text must be decoded (entities, mojibake)
#: before LaTeX can be seen; math delimiters go before the symbols they hold; ``^\circ`` becomes ``°``
#: before ``\circ`` becomes ``∘``; Greek operands are read before the operators between them; escapes (``\_``)
#: before link debris, which compares URLs; spaces and NFC last.
FIXERS: dict[str, Fixer] = {
    "html.entities": fix_html_entities,
    "unicode.mojibake": fix_mojibake,
    "invisible": fix_invisible,
    "unicode.controls": fix_control_chars,
    "unicode.ligatures": fix_ligatures,
    "unicode.width": fix_width,
    "html.numeric_debris": fix_numeric_debris,
    "latex.quotes": fix_quotes,
    "latex.math_delimiters": fix_math_delimiters,
    "latex.textfont": fix_text_fonts,
    "latex.mathcal": fix_math_alphabets,
    "latex.superscripts": fix_superscripts,
    "latex.greek": fix_greek,
    "latex.symbols": fix_symbols,
    "latex.times": fix_times,
    "latex.arrows": fix_arrows,
    "latex.escapes": fix_escapes,
    "links.debris": fix_link_debris,
    "latex.braces": fix_braces,
    "whitespace": fix_whitespace,
    "unicode.nfc": fix_nfc,
}
