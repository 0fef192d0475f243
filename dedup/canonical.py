"""Canonical text: one clean, readable form for every mangled copy of a title or abstract.

Scrapers hand us the same paper with its LaTeX kept raw (``118\\times lower``), with the backslashes
stripped (``118times lower``), wrapped in dollars, rendered to Unicode, mojibaked, or HTML-escaped.
:func:`canonicalize` turns all of these into the same NFC text (``118× lower``), leaves clean text exactly
as it is, and is idempotent. :func:`dedup_key` goes further for hashing: NFKC, casefolded, punctuation
folded, whitespace collapsed; it never reaches display text.

The repair rules live in :mod:`dedup.fixes` (LaTeX rendering in :mod:`dedup.latex`). Most text needs none of
them: each rule declares what a text must hold for it to fire, and the screen (:func:`needs_repair`, the union
of the rules' own triggers) returns clean text before any rule, ftfy or pylatexenc runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from dedup.fixes import _ASCII_CONTROLS, _NON_ASCII_RUN_RE, NON_ASCII, RULES, Rule, normalize_whitespace

__all__ = [
    "MAX_PASSES",
    "canonicalize",
    "canonicalize_field",
    "canonicalize_with_repairs",
    "dedup_key",
    "key_of_canonical",
    "needs_repair",
]

#: A bound on the passes, not a target: the rules run pass after pass until a pass changes nothing (text
#: mangled several times over, ``&amp;amp;amp;lt;`` or ``5\\\\% gain``, needs as many passes as layers).
#: A pass that changes something makes progress, so the bound is never reached on real text; it is there
#: so that a rule bug cannot loop forever.
MAX_PASSES = 20

# The rules indexed by what they need, as bit masks. One `bytes.translate` pass (at C speed) lists the special
# ASCII characters a text holds (those some need starts with) and keeps its non-ASCII bytes: the set of the
# text's non-ASCII characters, usually a handful, is what the needs that are character sets are asked about.
# The candidates are the rules needing one of the characters present, those whose longer needs (substrings,
# cheap tests) the text meets, and those that always ask their trigger. Each longer need is asked once per text,
# and only while a rule that has it is not a candidate yet.
_SPECIAL = "\\{}[$^_&~'\"`\t\n\x0c" + "".join(_ASCII_CONTROLS)
_NOT_SPECIAL = bytes(sorted(set(range(0x80)) - set(_SPECIAL.encode())))
_MASK_BY_CHAR: dict[str, int] = {}
_MASK_BY_NEED: dict[str | Callable[[str], bool], int] = {}
_MASK_BY_CHARSET: dict[frozenset[str], int] = {}
_ALWAYS = 0
_ANY_NON_ASCII = 0
_LATE = 0  # rules whose tests are their trigger: asked by the screen only while the text looks clean
for _index, _rule in enumerate(RULES):
    _bit = 1 << _index
    if _rule.late:
        _LATE |= _bit
    if not _rule.needs:
        _ALWAYS |= _bit
    for _need in _rule.needs:
        if isinstance(_need, frozenset):
            _MASK_BY_CHARSET[_need] = _MASK_BY_CHARSET.get(_need, 0) | _bit
        elif _need == NON_ASCII:
            _ANY_NON_ASCII |= _bit
        elif isinstance(_need, str) and len(_need) == 1 and _need in _SPECIAL:
            _MASK_BY_CHAR[_need] = _MASK_BY_CHAR.get(_need, 0) | _bit
        else:
            _MASK_BY_NEED[_need] = _MASK_BY_NEED.get(_need, 0) | _bit
#: The longer needs, substrings apart from tests (functions). A substring is asked only of a text that holds a
#: special character it holds (``begin{`` of text with a brace): (substring, the rules it lets in, the byte of
#: that character or -1). When it holds several, the rarest in prose counts (``_{`` waits for a brace). The
#: substrings go first: they are cheap, and a rule one lets in needs no test.
_RARITY = "\x0c\t`[\\{}$&^_\n\"'"
_BY_SUBSTRING: tuple[tuple[str, int, int], ...] = tuple(
    (need, mask, ord(min((c for c in need if c in _SPECIAL), key=_RARITY.find, default="\x00")) or -1)
    for need, mask in _MASK_BY_NEED.items() if isinstance(need, str)
)
_BY_TEST: tuple[tuple[Callable[[str], bool], int], ...] = tuple(
    (need, mask) for need, mask in _MASK_BY_NEED.items() if not isinstance(need, str)
)
_MASK_BY_BYTE: tuple[int, ...] = tuple(_MASK_BY_CHAR.get(chr(code), 0) for code in range(0x80))
_NON_ASCII_BYTES = bytes(range(0x80, 0x100))
_BY_CHARSET = tuple(_MASK_BY_CHARSET.items())
_BACKSLASH, _DOLLAR = ord("\\"), ord("$")
_RULES_BY_MASK: dict[int, tuple[tuple[int, Rule], ...]] = {}


def _candidates(text: str, skip: int = 0) -> int:
    """The rules that may fire on `text` (a bit per rule of :data:`RULES`): those whose needs it meets. The rules
    of `skip` are left out, and their needs not asked (rules known to leave `text` as it is)."""
    special = text.encode("utf-8", "surrogatepass").translate(None, _NOT_SPECIAL)
    chosen = _ALWAYS | skip
    present: set[int] = set()  # the special ASCII characters of the text, as bytes
    if special:
        if special.isascii():
            present = set(special)
        else:
            present = set(special.translate(None, _NON_ASCII_BYTES))
            chosen |= _ANY_NON_ASCII
            chars = set(special.decode("utf-8", "surrogatepass"))
            for charset, mask in _BY_CHARSET:
                if mask & ~chosen and not charset.isdisjoint(chars):
                    chosen |= mask
        for code in present:
            chosen |= _MASK_BY_BYTE[code]
    for need, mask, first in _BY_SUBSTRING:
        if mask & ~chosen and (first < 0 or first in present) and need in text:
            chosen |= mask
    if _BACKSLASH in present or _DOLLAR in present:
        # raw LaTeX: the math and command rules rewrite the text before a late rule's turn, so its tests asked now
        # would be asked again; its trigger is asked in its turn instead, of the text as it is then
        chosen |= _LATE
    for test, mask in _BY_TEST:
        if mask & ~chosen and test(text):
            chosen |= mask
    return chosen & ~skip


def _rules_for(text: str) -> tuple[Rule, ...]:
    """The rules that may fire on `text`: those whose needs it meets, in the order they run."""
    return tuple(rule for _, rule in _rules_of(_candidates(text)))


def _rules_of(mask: int) -> tuple[tuple[int, Rule], ...]:
    """The rules of `mask`, in the order they run, each with its bit."""
    rules = _RULES_BY_MASK.get(mask)
    if rules is None:
        rules = _RULES_BY_MASK[mask] = tuple((1 << i, rule) for i, rule in enumerate(RULES) if mask >> i & 1)
    return rules


def needs_repair(text: str) -> bool:
    """Whether any rule could change `text`: the union of the rules' own triggers (the fast path's screen).

    >>> needs_repair('Clean ASCII prose stays as it is: "quotes", $20, H&E, 5% - and m >> n.')
    False
    >>> needs_repair('10times faster'), needs_repair('cafÃ©'), needs_repair('two  spaces')
    (True, True, True)
    """
    return any(rule.trigger(text) for rule in _rules_for(text))


def _repair(text: str, first: int | None = None) -> tuple[str, tuple[str, ...]]:
    """Run the rules, pass after pass, until a pass changes nothing (`first`: the candidates of the first pass,
    when the caller has screened the text already).

    Each rule checks its own trigger first. A rule that saw the text as it is now and left it unchanged is idle:
    rules are deterministic, so it would change nothing again. It is skipped, and the screen of the next pass does
    not ask its needs. The last pass, which only confirms the fixpoint, thus asks and runs only the rules before
    the last change.
    """
    applied: set[str] = set()
    idle = 0  # the rules (bits) that saw `text` as it is now and left it unchanged
    for _ in range(MAX_PASSES):
        before = text
        mask = _candidates(text, idle) if first is None else first
        first = None
        for bit, rule in _rules_of(mask):
            if idle & bit:
                continue
            fixed = rule.fix(text)
            if fixed != text:
                applied.add(rule.name)
                text = fixed
                idle = 0
            else:
                idle |= bit
        if text == before:
            break
    return text, tuple(sorted(applied))


def canonicalize_with_repairs(text: str) -> tuple[str, tuple[str, ...]]:
    """Canonicalize `text` and name the rules that changed it, sorted and unique.

    >>> canonicalize_with_repairs('We get a 10times gain at 0.5\\\\% cost.')
    ('We get a 10× gain at 0.5% cost.', ('latex.escapes', 'latex.times'))
    >>> canonicalize_with_repairs('Nothing to do here.')
    ('Nothing to do here.', ())
    """
    mask = _candidates(text)
    if mask == 0:
        return text, ()
    return _repair(text, mask)


def canonicalize(text: str) -> str:
    """Return the clean, readable (NFC) form of `text`: the same for every mangled copy of it.

    Clean text comes back unchanged, and ``canonicalize(canonicalize(t)) == canonicalize(t)``.

    >>> canonicalize('6.1times smaller')
    '6.1× smaller'
    >>> canonicalize('118\\\\times lower cost, m gg n, textbf{F}inetuning, $m^2$')
    '118× lower cost, m ≫ n, Finetuning, m²'
    >>> canonicalize('mathcal{O}(n), $\\\\frac{a}{b+c}$, $\\\\sqrt{a+b}$, x^0.82')
    '𝒪(n), a/(b+c), √(a+b), x^0.82'
    >>> canonicalize('118Ã— lower'), canonicalize('1.8 Å—comparable to CAFÉ®')
    ('118× lower', '1.8 Å—comparable to CAFÉ®')
    >>> canonicalize('nine times faster at a cost of roughly $20 with Phi-2')
    'nine times faster at a cost of roughly $20 with Phi-2'
    """
    mask = _candidates(text)
    if mask == 0:
        return text
    return _repair(text, mask)[0]


#: Apostrophes and single quotes, straight, typographic, low-9, reversed and the modifier letter: all vanish
#: in a key (``‘view’``, ``'view'`` and ``’view’`` key alike, and so do ``model’s`` and ``model's``).
_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b\u02bc")


def canonicalize_field(text: str) -> tuple[str, tuple[str, ...]]:
    """:func:`canonicalize_with_repairs` for a field of a record (a title, an abstract): the text trimmed too.

    :func:`canonicalize` is a repair, like ``ftfy.fix_text``, and leaves a text's own leading and trailing
    whitespace; a record's field holds none, so trimming it (and the whitespace of its lines) is a ``whitespace``
    repair of the field.

    >>> canonicalize_field('  We get a 10times gain.  '), canonicalize('  We get a 10times gain.  ')
    (('We get a 10× gain.', ('latex.times', 'whitespace')), '  We get a 10× gain.  ')
    """
    fixed, repairs = canonicalize_with_repairs(text)
    trimmed = normalize_whitespace(fixed)
    if trimmed == fixed:
        return fixed, repairs
    return trimmed, tuple(sorted({*repairs, "whitespace"}))


class _KeyTable(dict[int, str | None]):
    """``str.translate`` table for dedup keys, filled in lazily from each character's Unicode category.

    Letters, digits and marks stay; hyphens, underscores, apostrophes and single quotes of every form and ``^``
    vanish (so ``pre-training`` keys as ``pretraining``, ``model’s`` as ``model's``); math symbols become tokens
    of their own (``×``, ``≫``); other punctuation (double quotes of every form among it), symbols and
    whitespace become spaces; invisible characters vanish. Canonical text already writes quotes in one form
    (:func:`dedup.fixes.fix_quotes`); the key folds them as well, so it holds for any text, repaired or not.
    """

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        value: str | None
        if char.isspace():
            value = " "
        elif char in _SINGLE_QUOTES:  # before the letters: the apostrophe U+02BC is a modifier letter
            value = None
        elif category[0] in "LNM":
            value = char
        elif category in ("Pd", "Pc", "Sk"):
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


# The literal first, the look back after it: the regex engine scans for the brace or the parenthesis.
_SCRIPT_GROUP_RE = re.compile(r"\{(?<=[_^]\{)([^{}]*)\}")
_GLUED_PARENS_RE = re.compile(r"\((?<=[^\W_]\()((?=[^\W_]{0,3}[0-9])[^\W_]{1,4})\)")  # with a digit: f(x), O(n) stay


def key_of_canonical(text: str) -> str:
    """:func:`dedup_key` of text that is already canonical (skips canonicalization: the pipeline has
    the canonical text at hand, and canonicalizing twice would double the cost).

    >>> key_of_canonical('118× lower') == dedup_key('118\\\\times lower')
    True
    >>> key_of_canonical('5-HT_{1B} and F(2t)') == key_of_canonical('5-HT1B and F_{2t}') == '5ht1b and f2t'
    True
    """
    if "{" in text and _SCRIPT_GROUP_RE.search(text):  # a script group's braces are no word break: 5-HT_{1B}
        text = _SCRIPT_GROUP_RE.sub(r"\1", text)  # keys as 5-HT1B does
    if "(" in text and _GLUED_PARENS_RE.search(text):  # nor are the parentheses an export writes a subscript in:
        text = _GLUED_PARENS_RE.sub(r"\1", text)  # A(1) and F(2t) key as A1 and F2t
    if text.isascii():
        if _ASCII_SYMBOL_RE.search(text):
            text = _ASCII_SYMBOL_RE.sub(r" \g<0> ", text)
        return " ".join(text.lower().encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE).decode("ascii").split())
    text = unicodedata.normalize("NFKC", text).casefold()
    # the ASCII characters by the ASCII tables, the others by the full table (``str.translate`` would look up
    # every character of the text in the table: several times slower on an abstract with a few symbols)
    if _ASCII_SYMBOL_RE.search(text):
        text = _ASCII_SYMBOL_RE.sub(r" \g<0> ", text)
    text = text.encode("utf-8", "surrogatepass").translate(_ASCII_TABLE, _ASCII_DELETE).decode("utf-8", "surrogatepass")
    return " ".join(_NON_ASCII_RUN_RE.sub(_non_ascii_key, text).split())



def _non_ascii_key(match: re.Match[str]) -> str:
    return match.group().translate(_KEY_TABLE)
