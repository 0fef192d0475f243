"""Canonical text: one clean, readable form for every mangled copy of a title or abstract.

Scrapers hand us the same paper with its LaTeX kept raw (``118\\times lower``), with the backslashes
stripped (``118times lower``), wrapped in dollars, rendered to Unicode, mojibaked, or HTML-escaped.
:func:`canonicalize` turns all of these into the same NFC text (``118× lower``), leaves clean text exactly
as it is, and is idempotent. :func:`dedup_key` goes further for hashing: NFKC, casefolded, punctuation
folded, whitespace collapsed; it never reaches display text.

The repair rules live in :mod:`dedup.fixes`. Most text needs none of them, so a screen (``str.isascii``
and one precompiled regex) returns clean text before any rule or ftfy runs.
"""

from __future__ import annotations

import re
import unicodedata

from dedup.chardata import GLUED_OPERATORS, UNICODE_SUSPECTS
from dedup.fixes import ENTITY_RE, FIXERS, MATH_REGION_RE, looks_like_mojibake

__all__ = [
    "IDEMPOTENT",
    "MAX_PASSES",
    "canonicalize",
    "canonicalize_with_repairs",
    "dedup_key",
    "key_of_canonical",
    "needs_repair",
]

#: How many times the rules run before we stop looking for a fixpoint. One pass repairs nearly
#: everything and a second confirms it; a third is there for text mangled twice over (an entity that
#: decodes to mojibake, ``&amp;amp;``). ftfy on its own is not idempotent either: see the tests.
MAX_PASSES = 3

#: Rules that are their own fixpoint, f(f(x)) == f(x), so a later pass need not run them on their own
#: output. ftfy's encoding repair loops to its fixpoint inside each line, and with line breaks and HTML
#: left to other rules its lines cannot change between calls; the others translate or map characters.
IDEMPOTENT = frozenset({"invisible", "unicode.ligatures", "unicode.mojibake", "unicode.nfc", "unicode.width"})

# The screen: everything some rule might change. Text that passes it is left alone by every rule
# (tests/test_canonicalize.py checks that on generated text), so clean text returns before any rule runs.
# It is split into cheap checks because one big regex runs at a third of ftfy's speed: `bytes.translate`
# finds the special characters, `in` the literal words, small regexes the rest, each only when a cheap
# `in` says it might match.
_SAFE_BYTES = bytes(sorted(set(range(0x20, 0x7F)) - set(b"\\{}`") | {0x0A} | set(range(0x80, 0x100))))
_NUMERIC_DEBRIS_RE = re.compile(r"x(?:2[02]|00)")
# Implied by fix_symbols' SPACED_OPERATOR_RE (a test checks it), grouped by first letters to scan faster.
_SPACED_OPERATOR_RE = re.compile(
    r" (?:g[eg]q?|l[el]q?|mp|pm|sim(?:eq)?|neq|approx|cdot|circ|equiv|oplus|otimes|propto) "
)
_BEFORE_NUMBER_RE = re.compile(r"eq?[0-9]")  # le13, geq5 (a superset, checked precisely by the rule)
_GLUED_TIMES_RE = re.compile(r"[0-9]times")
_GLUED_OPERATOR_RE = re.compile(rf"(?:{'|'.join(sorted(GLUED_OPERATORS))})(?![a-z])")
_EDGE_SPACE = frozenset(" \n")
_UNICODE_SUSPECT_RE = re.compile(f"[{re.escape(UNICODE_SUSPECTS)}]")


def needs_repair(text: str) -> bool:
    """Whether any rule could change `text`: the fast path's screen.

    >>> needs_repair('Clean ASCII prose stays as it is: “quotes”, $20, H&E, 5% – and m ≫ n.')
    False
    >>> needs_repair('10times faster'), needs_repair('cafÃ©'), needs_repair('two  spaces')
    (True, True, True)
    """
    if text.encode("utf-8", "surrogatepass").translate(None, _SAFE_BYTES):
        return True  # a backslash, brace, backtick or control character
    if "''" in text or "  " in text or "tarrow" in text or "uparrow" in text or "ownarrow" in text:
        return True
    if text[:1] in _EDGE_SPACE or text[-1:] in _EDGE_SPACE:
        return True
    if "\n" in text and (" \n" in text or "\n " in text or "\n\n\n" in text):
        return True
    if "^" in text or ("$" in text and text.count("$") > 1):
        return True
    if "&" in text and ENTITY_RE.search(text):
        return True
    if "_" in text and MATH_REGION_RE.search(text):
        return True
    if "times" in text and _GLUED_TIMES_RE.search(text):
        return True
    if ("circ" in text or "cdot" in text) and _GLUED_OPERATOR_RE.search(text):
        return True
    if _NUMERIC_DEBRIS_RE.search(text) or _BEFORE_NUMBER_RE.search(text) or _SPACED_OPERATOR_RE.search(text):
        return True
    if text.isascii():
        return False
    return (_UNICODE_SUSPECT_RE.search(text) is not None or looks_like_mojibake(text)
            or not unicodedata.is_normalized("NFC", text))


def _repair(text: str) -> tuple[str, tuple[str, ...]]:
    """Run every rule, pass after pass, until a pass changes nothing (at most :data:`MAX_PASSES`).

    A pass whose output passes the screen is a fixpoint and ends the loop. In later passes a rule is
    skipped when it would see what it saw before and changed nothing then, or when it is one of the
    :data:`IDEMPOTENT` rules and would see its own output: its result is known, so ftfy runs once.
    """
    applied: set[str] = set()
    last: dict[str, tuple[str, str]] = {}  # rule -> (input, output) of its last run
    for _ in range(MAX_PASSES):
        before = text
        for name, fixer in FIXERS.items():
            if name in last:
                seen, made = last[name]
                if text == made and (seen == made or name in IDEMPOTENT):
                    continue
            fixed = fixer(text)
            last[name] = (text, fixed)
            if fixed != text:
                applied.add(name)
                text = fixed
        if text == before or not needs_repair(text):
            break
    return text, tuple(sorted(applied))


def canonicalize_with_repairs(text: str) -> tuple[str, tuple[str, ...]]:
    """Canonicalize `text` and name the rules that changed it, sorted and unique.

    >>> canonicalize_with_repairs('We get a 10times gain at 0.5\\\\% cost.')
    ('We get a 10× gain at 0.5% cost.', ('latex.escapes', 'latex.times'))
    >>> canonicalize_with_repairs('Nothing to do here.')
    ('Nothing to do here.', ())
    """
    if not needs_repair(text):
        return text, ()
    return _repair(text)


def canonicalize(text: str) -> str:
    """Return the clean, readable (NFC) form of `text`: the same for every mangled copy of it.

    Clean text comes back unchanged, and ``canonicalize(canonicalize(t)) == canonicalize(t)``.

    >>> canonicalize('6.1times smaller')
    '6.1× smaller'
    >>> canonicalize('118\\\\times lower cost, m gg n, textbf{F}inetuning, $m^2$')
    '118× lower cost, m ≫ n, Finetuning, m²'
    >>> canonicalize('mathcal{O}(mathcal{C_Phi/m} + mathcal{C_Psi/n})')
    '𝒪(𝒞_Φ/m + 𝒞_Ψ/n)'
    >>> canonicalize('118Ã— lower')
    '118× lower'
    >>> canonicalize('nine times faster at a cost of roughly $20 with Phi-2')
    'nine times faster at a cost of roughly $20 with Phi-2'
    """
    if not needs_repair(text):
        return text
    return _repair(text)[0]


class _KeyTable(dict[int, str | None]):
    """``str.translate`` table for dedup keys, filled in lazily from each character's Unicode category.

    Letters, digits and marks stay; hyphens, underscores, apostrophes and ``^`` vanish (so
    ``pre-training`` keys as ``pretraining``); math symbols become tokens of their own (``×``, ``≫``);
    other punctuation, symbols and whitespace become spaces; invisible characters vanish.
    """

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        value: str | None
        if char.isspace():
            value = " "
        elif category[0] in "LNM":
            value = char
        elif category in ("Pd", "Pc", "Sk") or char in "'’ʼ":
            value = None if char != "`" else " "
        elif category in ("Sm", "So"):
            value = f" {char} "
        elif category[0] in "PSZ":
            value = " "
        else:
            value = None
        self[code] = value
        return value


_KEY_TABLE = _KeyTable()


def _ascii_key_tables() -> tuple[bytes, bytes, str]:
    """The :class:`_KeyTable` rules for ASCII as a ``bytes.translate`` table, its deletions and its symbols."""
    table, delete, symbols = bytearray(range(256)), bytearray(), []
    for code in range(128):
        value = _KEY_TABLE[code]
        if value is None:
            delete.append(code)
        elif value == " ":
            table[code] = 0x20
        elif value != chr(code):
            symbols.append(chr(code))
    return bytes(table), bytes(delete), "".join(symbols)


_ASCII_TABLE, _ASCII_DELETE, _ASCII_SYMBOLS = _ascii_key_tables()
_ASCII_SYMBOL_RE = re.compile(f"[{re.escape(_ASCII_SYMBOLS)}]")


def dedup_key(text: str) -> str:
    """Return an aggressive key for hashing: every mangled copy of a text gives the same key.

    The key is the canonical text in NFKC, casefolded, with punctuation folded, math symbols as tokens of
    their own and single spaces between tokens. It is for comparing, never for display.

    >>> dedup_key('118\\\\times lower'), dedup_key('118times lower'), dedup_key('118 $\\\\times$ lower')
    ('118 × lower', '118 × lower', '118 × lower')
    >>> dedup_key('Pre-training, “Phi-2” & AstroM$^3$!')
    'pretraining phi2 astrom3'
    """
    return key_of_canonical(canonicalize(text))


def key_of_canonical(text: str) -> str:
    """:func:`dedup_key` of text that is already canonical (skips canonicalization: the pipeline has
    the canonical text at hand, and canonicalizing twice would double the cost).

    >>> key_of_canonical('118× lower') == dedup_key('118\\\\times lower')
    True
    """
    if text.isascii():
        if _ASCII_SYMBOL_RE.search(text):
            text = _ASCII_SYMBOL_RE.sub(r" \g<0> ", text)
        return " ".join(text.lower().encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE).decode("ascii").split())
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().translate(_KEY_TABLE).split())
