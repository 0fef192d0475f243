"""Render LaTeX spans to Unicode text: pylatexenc's latex2text, with the project's policies on top.

One renderer serves every LaTeX repair. Raw spans (``$\\frac{a}{b+c}$``, ``{\\it Chandra}``, ``\\'e``) come
here as they are; stripped spans (``$x_i leq 1$``, ``frac{a}{b}``) come after a rule has put the lost
backslashes back (:func:`restore_math`), so both forms go through the same code and agree by construction.

pylatexenc does the parsing and knows the symbols, accents, fonts and environments. What we add, each
where pylatexenc's default would change the meaning or lose text:

* ``\\frac{a}{b+c}`` is ``a/(b+c)`` (pylatexenc gives ``a/b+c``), ``\\sqrt{a+b}`` is ``√(a+b)``, ``\\sqrt{2}``
  is ``√2``;
* ``x^{2}`` is ``x²`` only when the whole exponent has Unicode superscripts; otherwise the script stays in
  LaTeX notation (``x^{abc}``, ``x^0.82``); pylatexenc drops the braces (``x^abc``);
* citations are dropped (pylatexenc writes ``<cit.>``), ``~`` is a plain space, ``\\\\`` a space;
* an unknown (author-defined) command keeps its name without the backslash (``\\LambdaCDM`` →
  ``LambdaCDM``), which is also what a stripped copy shows; pylatexenc drops it.

pylatexenc never sees a whole text: a bare ``%`` starts a comment for it (``50% of the data`` → ``50``), so
callers hand over detected spans only, and :func:`render` escapes any ``%`` in them. Nor does it see most spans:
a simple one (symbols, commands with braced or one-letter arguments, groups) is read here the way the renderer
would read it after the parse, which costs far more than the reading (:func:`_render_simple`).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from dedup.chardata import (
    ALPHABETS,
    EXTRA_COMMANDS,
    GREEK,
    NOT_RESTORED_IN_MATH,
    RESTORED_IN_SCRIPTS,
    SILENT_COMMANDS,
    STRIPPED_OPERATORS,
    SUPERSCRIPTS,
    SYMBOLS,
    TEXT_MODE_LETTERS,
)

__all__ = [
    "NO_LIGATURE",
    "NULL_DELIMITER_RE",
    "SET_OPERATORS",
    "command_names",
    "math_names",
    "takes_arguments",
    "render",
    "render_scripts",
    "restore_math",
]

# pylatexenc logs a warning for every construct it tolerates; text from the wild has many.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)

# Private-use markers around a rendered script group (``^{…}``), so that the script pass knows where the
# group ends after the braces are gone. They never survive a render.
_OPEN, _CLOSE = "\ue000", "\ue001"


# ------------------------------------------------------------------------------------------- scripts

_SUPERSCRIPT_CHARS = frozenset(SUPERSCRIPTS)
_INNER_GROUP_RE = re.compile(f"([\\^_])\\s*{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
# The patterns start with the script mark and look behind it afterwards: the regex engine then scans for the
# mark instead of trying every position.
_BRACED_SCRIPT_RE = re.compile(r"([\^_])(?<!\\[\^_])\{([^{}\n]*)\}")
# A bare exponent: a whole number (never split a decimal: x^0.82 stays), or one character.
_BARE_SCRIPT_RE = re.compile(
    r"\^(?<=[\w)\]|′°'\u00b2\u00b3\u00b9\u2070-\u207f]\^)(-?\d+(?![\d]|[.,]\d)|[A-Za-z+\-∘′'](?![\w]))"
)

def _script(op: str, content: str) -> str:
    """One script: Unicode superscripts if every character has one, else LaTeX notation (braces if needed)."""
    content = content.strip()
    if not content:
        return ""
    if op == "^" and content in ("∘", "\\circ"):
        return "°"
    if op == "^" and content.replace("\\prime", "′").strip(" ′'") == "":
        return "′" * sum(content.count(p) for p in ("′", "'", "\\prime"))  # f^{\prime\prime}: f′′
    if op == "^" and all(c in _SUPERSCRIPT_CHARS for c in content) and not (
        content[0] == "-" and len(content) == 1
    ):
        return "".join(SUPERSCRIPTS[c] for c in content)
    if len(content) == 1:
        return op + content
    return f"{op}{{{content}}}"


def render_scripts(text: str) -> str:
    """Superscripts and subscripts of already-rendered text, by the one policy of the module docstring.

    ``^{…}`` groups (braces, or the renderer's markers) and bare exponents: a whole number or one character.

    >>> render_scripts('10^{-3}, m^2, x^{abc}, x^0.82, x_{i}, C_{ij}, 90^{∘}, x^n, x^T')
    '10⁻³, m², x^{abc}, x^0.82, x_i, C_{ij}, 90°, xⁿ, x^T'
    """
    if "^" not in text and "_" not in text:
        return text.replace(_OPEN, "").replace(_CLOSE, "") if _OPEN in text else text
    if "{" in text:
        text = _BRACED_SCRIPT_RE.sub(lambda m: m.group(1) + _OPEN + m.group(2) + _CLOSE, text)
    while _OPEN in text:
        new = _INNER_GROUP_RE.sub(lambda m: _script(m.group(1), m.group(2)), text)
        if new == text:  # a marker without a script before it: a plain group
            text = text.replace(_OPEN, "").replace(_CLOSE, "")
            break
        text = new
    if "^" in text:
        text = _BARE_SCRIPT_RE.sub(lambda m: _script("^", m.group(1)), text)
    return text


# ------------------------------------------------------------------------------------------ renderer


def _is_atom(text: str) -> bool:
    """Whether `text` reads as one operand without parentheses: ``2n``, ``π``, ``√2``, ``x²``, ``(a+b)``."""
    if re.fullmatch(r"√?[\w.′\u00b2\u00b3\u00b9\u2070-\u207f]+", text):
        return True
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, c in enumerate(text):
            depth += c == "("
            depth -= c == ")"
            if depth == 0 and i < len(text) - 1:
                return False
        return True
    return False


def _operand(text: str) -> str:
    """`text` as one operand of ``/`` or ``√``: in parentheses unless it is an atom (or nothing at all)."""
    text = text.strip()
    return text if not text or _is_atom(text) else f"({text})"


_ROOT_SIGNS = {"2": "√", "3": "∛", "4": "∜"}


def _fraction(numerator: str, denominator: str) -> str:
    """``\\frac{a}{b+c}``: ``a/(b+c)`` (pylatexenc gives ``a/b+c``)."""
    return f"{_operand(numerator)}/{_operand(denominator)}"


def _root(index: str, radicand: str) -> str:
    """``\\sqrt[index]{radicand}``: ``√(a+b)``, ``∛x``; ⁿ√x when the index has superscripts, else the index kept in
    LaTeX notation: ``√[k+1]x``."""
    index = index.strip()
    sign = _ROOT_SIGNS.get(index or "2")
    if sign is None:
        raised = _script("^", index)
        sign = f"√[{index}]" if raised.startswith("^") else raised + "√"
    return sign + _operand(radicand.strip())


#: The fraction commands, all drawn by :func:`_fraction`.
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "nicefrac", "textfrac"})
#: Marks over an argument and their combining characters (``\\widetilde{μ}`` is ``μ̃`` as ``\\tilde{μ}`` is).
_OVER_MARKS = {"overline": "\u0305", "widetilde": "\u0303", "widehat": "\u0302"}


def _over(content: str, mark: str) -> str:
    """A mark over its argument (``\\overline{x}``, ``\\widetilde{μ}``): a combining mark over one character; over
    several no combining mark fits, and the text stays."""
    return content + mark if len(content) == 1 else content


def _alphabet(name: str, content: str) -> str:
    """A math alphabet (``\\mathcal``, ``\\mathbb``…): letters and digits take it where it has them (𝒪, ℝ, 𝔤, 𝔰𝔩,
    𝟙), a run of them when it is all one case (NP, sl); anything else (a Greek letter, a word such as Loss,
    lowercase \\mathcal) stays."""
    table = ALPHABETS[name]

    def styled(match: re.Match[str]) -> str:
        run = match.group()
        one_case = not run.isalpha() or run.isupper() or run.islower()
        return "".join(table[c] for c in run) if one_case and all(c in table for c in run) else run

    return _ALNUM_RUN_RE.sub(styled, content)


@functools.cache
def _renderer() -> Any:
    """The latex2text renderer with our overrides (built on first use: pylatexenc loads its tables lazily)."""
    from pylatexenc import latexwalker
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, SpecialsTextSpec, get_default_latex_context_db
    from pylatexenc.macrospec import MacroSpec

    def frac(node: Any, l2tobj: Any) -> str:
        last = len(node.nodeargd.argnlist) - 1
        return _fraction(l2tobj.node_arg_to_text(node, last - 1), l2tobj.node_arg_to_text(node, last))

    def sqrt(node: Any, l2tobj: Any) -> str:
        return _root(l2tobj.node_arg_to_text(node, 0), l2tobj.node_arg_to_text(node, 1))

    def nothing(node: Any) -> str:
        return ""

    def over_mark(mark: str) -> Any:
        def accent(node: Any, l2tobj: Any) -> str:
            return _over(l2tobj.node_arg_to_text(node, 0), mark)
        return accent

    def text_script(mark: str) -> Any:
        def script(node: Any, l2tobj: Any) -> str:
            return _text_script(mark, l2tobj.node_arg_to_text(node, 0))
        return script

    def alphabet(node: Any, l2tobj: Any, macroname: str) -> str:
        return _alphabet(macroname, l2tobj.node_arg_to_text(node, 0))

    overrides = [MacroTextSpec(name, simplify_repl=alphabet) for name in ALPHABETS]
    overrides += [MacroTextSpec(name, simplify_repl=frac) for name in sorted(_FRACTIONS)]
    overrides += [MacroTextSpec(name, simplify_repl=over_mark(mark)) for name, mark in _OVER_MARKS.items()]
    overrides += [
        MacroTextSpec("sqrt", simplify_repl=sqrt),
        MacroTextSpec("colon", simplify_repl=":"),
        MacroTextSpec("|", simplify_repl="‖"),  # \|x\| is a norm: pylatexenc drops the bars
        MacroTextSpec("\\", simplify_repl=" "),
        MacroTextSpec("newline", simplify_repl=" "),
        MacroTextSpec("url", simplify_repl="%s"),
    ]
    overrides += [MacroTextSpec(name, simplify_repl=nothing) for name in CITATIONS]
    overrides += [MacroTextSpec(name, simplify_repl=text_script(mark)) for name, mark in TEXT_SCRIPTS.items()]
    db = get_default_latex_context_db()
    db.add_context_category(
        "dedup-overrides", prepend=True, macros=overrides, environments=[],
        specials=[SpecialsTextSpec("~", " ")],
    )

    class Renderer(LatexNodes2Text):
        """latex2text that keeps script groups marked and unknown command names as text."""

        def nodelist_to_text(self, nodelist: list[Any]) -> str:
            # Our own loop (no text filling): the space after a bare macro is kept before plain characters,
            # as latex2text does, and a group or command right after ``^``/``_`` is marked as one script.
            out = ""
            prev: Any = None
            for node in nodelist:
                if node is None:
                    continue
                if self._is_bare_macro_node(prev) and prev.macroname not in SILENT_COMMANDS:
                    out += prev.macro_post_space  # the source's spacing: `\Phi \circ \Psi` is `Φ ∘ Ψ`
                piece = self.node_to_text(node)
                printed = prev is not None and prev.isNodeType(latexwalker.LatexMacroNode)
                if out.endswith(("^", "_")) and not printed and (
                    node.isNodeType(latexwalker.LatexGroupNode) or node.isNodeType(latexwalker.LatexMacroNode)
                ):  # a script mark, not one a command printed (snake\textunderscore{}case)
                    piece = _OPEN + piece + _CLOSE
                out += piece
                prev = node
            return out

        def macro_node_to_text(self, node: Any) -> str:
            if node.macroname in SILENT_COMMANDS:
                return ""
            if node.macroname in EXTRA_COMMANDS:
                return EXTRA_COMMANDS[node.macroname]
            if node.macroname in ("^", "~") and node.nodeargd is not None and node.nodeargd.argnlist and not any(
                    self._groupnodecontents_to_text(a).strip() for a in node.nodeargd.argnlist if a is not None):
                return str(node.macroname)  # an accent over nothing is the mark itself: x\^{}2, \~{}user
            if node.macroname == "pmod":
                return f" (mod {self.node_arg_to_text(node, 0)})"
            if node.macroname == "mod":  # amsmath's \mod{n}: a ≡ b mod n
                return f" mod {self.node_arg_to_text(node, 0)}"
            if node.macroname in BINOMIALS:  # (n choose k): the words pylatexenc gives {n \choose k}
                top, bottom = (self.node_arg_to_text(node, k).strip() for k in (0, 1))
                return f"({top} choose {bottom})"
            if node.macroname == "unicode":  # MathJax's \unicode{x2013}, \unicode{8211}: the character itself
                code = self.node_arg_to_text(node, 0).strip()
                try:
                    char = chr(int(code[1:], 16) if code[:1] in "xX" else int(code))
                except (ValueError, OverflowError):
                    return code
                return code if unicodedata.category(char) in ("Cs", "Cc", "Cn") else char
            if node.macroname in _LABELLED:  # a label over (under) a symbol: its superscript (subscript)
                over, base, under = _LABELLED[node.macroname]
                label = tuple(self.node_arg_to_text(node, k).strip() if k is not None else "" for k in (over, under))
                base_text = self.node_arg_to_text(node, base).strip() if isinstance(base, int) else base
                return base_text + "".join(f"{mark}{_OPEN}{text}{_CLOSE}" for mark, text in
                                           (("_", label[1]), ("^", label[0])) if text)
            if node.macroname == "tag":  # an equation's tag: LaTeX prints (x), or x as written for \tag*{x}
                starred = node.nodeargd is not None and node.nodeargd.argnlist and node.nodeargd.argnlist[0]
                tag = self.node_arg_to_text(node, 1).strip()
                return f" {tag} " if starred else f" ({tag}) "
            if self.latex_context.get_macro_spec(node.macroname) is None:
                args = node.nodeargd.argnlist if node.nodeargd and node.nodeargd.argnlist else []
                if any(a is not None for a in args):
                    # A command the parser knows, with arguments, that the renderer does not (\textsf{…},
                    # \mbox{…}, \operatorname{…}): its argument is the text.
                    return "".join(self._groupnodecontents_to_text(a) for a in args if a is not None and not (
                        a.isNodeType(latexwalker.LatexCharsNode) and a.chars == "*"))
                name = node.macroname if node.macroname.isalpha() else ""
                prefix = next((name[:i] for i in range(len(name) - 1, 1, -1) if name[:i] in GREEK or (
                    name[:i] in SYMBOLS and (name[i].isupper() or name[i].isdigit()))), None)
                if prefix is not None:
                    name = self.macro_node_to_text(latexwalker.LatexMacroNode(
                        macroname=prefix, nodeargd=None, pos=0, len=0)) + name[len(prefix):]
                return name + "".join(self._groupnodecontents_to_text(a) for a in args) + (
                    node.macro_post_space if name else "")
            return str(super().macro_node_to_text(node))

    renderer = Renderer(db, math_mode="text")
    # Argument shapes the parser lacks: without them `\operatorname{tr}` would be a bare name and a group.
    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category("dedup-arguments", prepend=True, macros=[
        MacroSpec("operatorname", "*{"), MacroSpec("pmod", "{"), MacroSpec("textfrac", "{{"),
        MacroSpec("nicefrac", "{{"), MacroSpec("dfrac", "{{"), MacroSpec("tfrac", "{{"),
        MacroSpec("textup", "{"), MacroSpec("textmd", "{"), MacroSpec("textsf", "{"), MacroSpec("texttt", "{"),
        MacroSpec("boldsymbol", "{"), MacroSpec("bm", "{"), MacroSpec("mathscr", "{"), MacroSpec("widehat", "{"),
        MacroSpec("widetilde", "{"), MacroSpec("mathring", "{"), MacroSpec("tag", "*{"), MacroSpec("mod", "{"),
        MacroSpec("binom", "{{"), MacroSpec("dbinom", "{{"), MacroSpec("tbinom", "{{"), MacroSpec("unicode", "{"),
        *(MacroSpec(name, "{") for name in _UNDERLINES),
        MacroSpec("mathds", "{"), MacroSpec("mathbbm", "{"), MacroSpec("Bbb", "{"), MacroSpec("hbox", "{"),
        MacroSpec("overset", "{{"), MacroSpec("underset", "{{"), MacroSpec("stackrel", "{{"),
        MacroSpec("xrightarrow", "[{"), MacroSpec("xleftarrow", "[{"),
        *(MacroSpec(name, "{") for name in TEXT_SCRIPTS),
        MacroSpec("textnormal", "{"), MacroSpec("fbox", "{"), MacroSpec("makebox", "[[{"), MacroSpec("smash", "[{"),
        MacroSpec("cancel", "{"), MacroSpec("xcancel", "{"), MacroSpec("phantom", "{"), MacroSpec("hphantom", "{"),
        MacroSpec("vphantom", "{"), MacroSpec("mathop", "{"), MacroSpec("pmb", "{"), MacroSpec("num", "[{"),
    ], environments=[], specials=[])
    return renderer, functools.partial(latexwalker.LatexWalker, latex_context=walker_db)


#: Text-mode scripts (``1\\textsuperscript{st}``, ``CO\\textsubscript{2}``), as BibTeX exports write them: the
#: script of math (``^``, ``_``), through the one script policy, as HTML's ``<sup>`` and ``<sub>`` are.
TEXT_SCRIPTS = {"textsuperscript": "^", "textsubscript": "_"}


def _text_script(mark: str, text: str) -> str:
    return mark + _OPEN + text + _CLOSE


#: Citation and cross-reference commands: dropped with the space before them (policy: a citation or label key
#: is not text, and pylatexenc's ``<cit.>``/``<ref>`` markers would make two copies differ when one lost them).
CITATIONS = ("cite", "citep", "citet", "citealp", "citealt", "citeauthor", "citeyear", "nocite", "label", "ref",
             "eqref", "autoref", "cref", "Cref", "pageref")

#: Between two characters, keeps the parser from reading them as a ligature (math's ``--`` is two minus signs, not
#: an en dash); gone before the scripts are rendered.
NO_LIGATURE = "\ue004"
_ALNUM_RUN_RE = re.compile(r"[A-Za-z0-9]+")
#: ``\\right.``, ``\\left.``, ``\\bigr.``: the empty delimiter, which prints nothing.
NULL_DELIMITER_RE = re.compile(r"\\(?:left|right|middle|[Bb]igg?[lrm]?) *\.")
_BARE_PERCENT_RE = re.compile(r"(?<!\\)((?:\\\\)*)%")
_GLUED_NON_ASCII_RE = re.compile(r"(\\[A-Za-z]+)(?=[^\x00-\x7f])")
_NOT_COMMAND_RE = re.compile(r"(\\not *\\[A-Za-z]+)(?= )")
_NEEDS_PARSER_RE = re.compile(r"[\\{}~`]|''|--")
_DOUBLED_COMMAND_RE = re.compile(r"(?<!\\)\\\\([A-Za-z]{2,})")


# A simple span: commands that take no argument (``\alpha``, ``\leq``, ``\log``), commands whose arguments are all
# groups or single letters and digits (``\mathbb{R}``, ``\mathbb R``, ``\frac12``, ``\hat{x}``), control symbols
# (``\{``, ``\,``), commands nobody knows (``\eps``), groups (``^{-3}``, ``{\rm d}``) and characters, with none of
# the parser's specials (``~``, ``&``, ``%``, ``--``, ``''``…), environments or optional arguments. Most math in
# abstracts is such a span (``O(n \log n)``, ``\alpha_{s}``), and pylatexenc costs a parse per span:
# :func:`_render_simple` reads it the way the renderer would (a property test checks it against the renderer, span
# by span), and anything else goes to the parser.
_SIMPLE_TOKEN_RE = re.compile(r"\\([A-Za-z]+)( *)|\\([^A-Za-z\s])|([^\\{}]+)")
_BRACE_RE = re.compile(r"[{}]")
_LETTERS_AND_DIGITS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_PARSER_SPECIALS_RE = re.compile(r"[~&`%#$\n\t\r]|''|--|[!?]`")
_BRANCHING_COMMANDS = frozenset({"pmod", "mod", "unicode", "tag"})
#: What the parser reads as structure, not as a command: environments, verbatim, math delimiters.
_PARSER_COMMANDS = frozenset({"begin", "end", "verb", "(", ")", "[", "]"})
Reading = str | tuple[int, Callable[[list[str]], str]]  # a str may be a _Name: an unknown command


_DOTLESS = {"\N{LATIN SMALL LETTER DOTLESS I}": "i", "\N{LATIN SMALL LETTER DOTLESS J}": "j"}


@functools.cache
def _accent_mark(name: str) -> str | None:
    """The combining mark the renderer sets after each character of the argument of the accent ``\\name``
    (``\\hat{x}`` is ``x̂``), as pylatexenc draws it; ``None`` if it draws something else."""
    renderer, walker = _renderer()
    drawn = unicodedata.normalize("NFD", renderer.nodelist_to_text(walker(f"\\{name}{{x}}").get_latex_nodes()[0]))
    return drawn[1:] if len(drawn) == 2 and drawn[0] == "x" and unicodedata.combining(drawn[1]) else None


@functools.cache
def is_accented_letter(accent: str, letter: str) -> bool:
    """Whether the accent ``\\accent`` on `letter` is a letter of some alphabet: Unicode composes the two into
    one character (``\\v{C}`` is Č, ``\\k{e}`` is ę; ``\\r{F}``, ``\\k{D}`` and ``\\u{t}`` are no letter).

    >>> is_accented_letter("v", "C"), is_accented_letter('"', "o"), is_accented_letter("r", "F")
    (True, True, False)
    """
    mark = _accent_mark(accent)
    return mark is not None and len(unicodedata.normalize("NFC", letter + mark)) == 1


@functools.lru_cache(maxsize=4096)
def _command_reading(name: str) -> Reading | None:
    """How the renderer prints ``\\name``, when no parse is needed to know: a fixed text for a command that takes
    no argument, or (the number of its arguments, a function of their texts) for a command whose arguments are
    all braced groups, or the name of a command nobody knows (:class:`_Name`); ``None`` for any other (an optional
    argument, a drawing of pylatexenc's)."""
    if name in _PARSER_COMMANDS:
        return None
    renderer, walker = _renderer()
    spec = walker.keywords["latex_context"].get_macro_spec(name)
    argspec = spec.args_parser.argspec if spec is not None else ""
    if not argspec:
        if name in ACCENT_NAMES:
            return None
        if name in SILENT_COMMANDS:
            return ""
        if name in EXTRA_COMMANDS:
            return EXTRA_COMMANDS[name]
    elif name in SILENT_COMMANDS or name in EXTRA_COMMANDS:
        return None
    if name in _BRANCHING_COMMANDS or name in BINOMIALS or name in _LABELLED:
        return None
    count = len(argspec)
    if name in ALPHABETS and argspec == "{":
        return 1, lambda args: _alphabet(name, args[0])
    if name in _FRACTIONS and argspec == "{{":
        return 2, lambda args: _fraction(args[0], args[1])
    if name == "sqrt" and argspec == "[{":  # read only without its optional index (a [ would be one)
        return 1, lambda args: _root("", args[0])
    if name in _OVER_MARKS and argspec == "{":
        return 1, lambda args: _over(args[0], _OVER_MARKS[name])
    if name in TEXT_SCRIPTS and argspec == "{":
        return 1, lambda args: _text_script(TEXT_SCRIPTS[name], args[0])
    if name in CITATIONS and argspec.lstrip("*[") == "{":  # dropped, with any key: read without a star or option
        return 1, lambda args: ""
    if name in ACCENT_NAMES and argspec == "{" and (mark := _accent_mark(name)) is not None:
        return 1, lambda args: "".join(unicodedata.normalize("NFC", _DOTLESS.get(c, c) + mark) for c in args[0].strip())
    if argspec.strip("{"):
        return None  # an optional argument or a star
    text_spec = renderer.latex_context.get_macro_spec(name)
    if text_spec is None:  # a command the renderer does not know: the text of its arguments, or its name
        return (count, "".join) if count else _unknown_name(name)
    repl = text_spec.simplify_repl
    if callable(repl) or repl and "%" in repl and len(repl) != 1:
        return (1, lambda args: args[0]) if repl == "%s" and count == 1 else None
    if repl or text_spec.discard:
        return (count, lambda args: repl or "") if count else repl or ""
    return (count, "".join) if count else ""


class _Name(str):
    """The reading of a command neither parser nor renderer knows (an author's macro, ``\\eps``, ``\\LambdaCDM``):
    its name, a Greek letter or symbol it starts with drawn (``ΛCDM``), printed with the spaces after it."""


def _unknown_name(name: str) -> _Name | None:
    if not name.isalpha():
        return _Name("")
    prefix = next((name[:i] for i in range(len(name) - 1, 1, -1) if name[:i] in GREEK or (
        name[:i] in SYMBOLS and (name[i].isupper() or name[i].isdigit()))), None)
    if prefix is None:
        return _Name(name)
    drawn = _command_reading(prefix)
    return _Name(drawn + name[len(prefix):]) if isinstance(drawn, str) and not isinstance(drawn, _Name) else None


def _group_end(latex: str, at: int) -> int:
    """Where the group that opens at `at` closes (the index after its ``}``), or -1 if it never does."""
    depth = 0
    for brace in _BRACE_RE.finditer(latex, at):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            return brace.end()
    return -1


#: Groups nested deeper than this are the parser's (which gives up on pathological nesting and keeps the text).
_MAX_SIMPLE_DEPTH = 16


def _render_simple(latex: str, depth: int = 0) -> str | None:
    """The renderer's text for a simple span (see the comment above ``_SIMPLE_TOKEN_RE``), or ``None`` for any
    other span.

    The renderer's own loop, without the parse: a space after a command that takes no argument is kept before what
    follows it (``\\Phi \\circ``), a group or command right after ``^``/``_`` is one script, and the content of a
    group or an argument is read the same way, on its own.
    """
    if depth > _MAX_SIMPLE_DEPTH or _PARSER_SPECIALS_RE.search(latex):
        return None
    out = ""
    space_after = None  # the spaces after the command before, if it takes no argument and prints
    printed = False  # whether the last piece is a command's: its ^ or _ is no script mark (\textasciicircum{})
    at, end = 0, len(latex)
    while at < end:
        if latex[at] == "{":
            group_end = _group_end(latex, at)
            group = _render_simple(latex[at + 1:group_end - 1], depth + 1) if group_end > 0 else None
            if group is None:
                return None
            piece, at, name, spaces = group, group_end, None, ""
        else:
            match = _SIMPLE_TOKEN_RE.match(latex, at)
            if match is None:
                return None  # a lone closing brace, a backslash before a non-letter
            at = match.end()
            name, spaces, symbol, chars = match.groups()
            if symbol is not None:  # a control symbol (\{, \,, \|): the spaces after it are characters
                name, spaces = symbol, ""
            if chars is not None:  # characters: printed as they are
                out += (space_after or "") + chars
                space_after, printed = None, False
                continue
            piece = ""  # the command's text, below
        out += space_after or ""
        space_after = None
        if name is not None:
            reading = _command_reading(name)
            if reading is None:
                return None
            if isinstance(reading, str):
                if not spaces and name.isalpha() and not latex[at:at + 1].isascii():
                    return None  # \geqψ: the parser takes ψ into the name (render puts a space or {} between)
                piece = reading + spaces if isinstance(reading, _Name) and reading else reading
                space_after = spaces if name not in SILENT_COMMANDS else None
            else:
                count, function = reading
                arguments = []
                for _ in range(count):  # each a group or one letter or digit (\mathbb R, \frac12), spaces before
                    while latex[at:at + 1] == " ":
                        at += 1
                    if latex[at:at + 1] == "{":
                        argument_end = _group_end(latex, at)
                        argument = (_render_simple(latex[at + 1:argument_end - 1], depth + 1) if argument_end > 0
                                    else None)
                    elif at < end and latex[at] in _LETTERS_AND_DIGITS:
                        argument, argument_end = latex[at], at + 1
                    else:
                        return None
                    if argument is None:
                        return None
                    arguments.append(argument)
                    at = argument_end
                piece = function(arguments)
        out += _OPEN + piece + _CLOSE if out.endswith(("^", "_")) and not printed else piece
        printed = name is not None
    return out


@functools.lru_cache(maxsize=65536)
def render(latex: str) -> str:
    r"""Render one LaTeX span (math content or a text-mode command with its arguments) to Unicode text.

    >>> render(r'\frac{a}{b+c}'), render(r'\sqrt{a+b}'), render(r'\sqrt{2}'), render(r'x^{abc} + 10^{-3}')
    ('a/(b+c)', '√(a+b)', '√2', 'x^{abc} + 10⁻³')
    >>> render(r"Petrovi\'c, {\it Chandra}, \LambdaCDM, \eps, 50\%"), render(r'\cite{smith}')
    ('Petrović, Chandra, ΛCDM, eps, 50%', '')
    """
    if not _NEEDS_PARSER_RE.search(latex):  # nothing for the parser to do: no command, group or special
        return render_scripts(latex.replace(NO_LIGATURE, "") if NO_LIGATURE in latex else latex)
    renderer, walker = _renderer()
    escaped = _BARE_PERCENT_RE.sub(r"\1\\%", latex)
    if "\\\\" in escaped:  # \\mathcal: a command's backslash escaped twice over, not a line break before letters
        escaped = _DOUBLED_COMMAND_RE.sub(
            lambda m: "\\" + m.group(1) if m.group(1) in math_names() or m.group(1) in command_names() else m.group(),
            escaped)
    if "." in escaped:  # \right. is the empty delimiter: nothing to print (the parser would print the period)
        escaped = NULL_DELIMITER_RE.sub("", escaped)
    if "\\not" in escaped:  # \not\in b: the parser takes \in as the argument of \not and drops the space after it
        escaped = _NOT_COMMAND_RE.sub(r"\1{}", escaped)
    if not escaped.isascii():  # \geqψ, \barΩ: a control word is ASCII letters; the parser would take ψ into it
        escaped = _GLUED_NON_ASCII_RE.sub(
            lambda m: m.group() + (" " if takes_arguments(m.group()[1:]) else "{}"), escaped)
    text = _render_simple(escaped)
    if text is None:
        try:
            nodes = walker(escaped, tolerant_parsing=True).get_latex_nodes()[0]
            text = renderer.nodelist_to_text(nodes)
        except Exception:  # noqa: BLE001  (pylatexenc raises many kinds; unparsable LaTeX stays as it is)
            return latex
    text = text.replace(NO_LIGATURE, "")
    if ",; " in text:  # a row of an array that ends with its own comma (a system of equations): no "; " after it
        text = text.replace(",; ", ", ")
    return render_scripts(text)


# --------------------------------------------------------------------------------- stripped backslash


@functools.cache
def _command_names() -> frozenset[str]:
    """Every command name latex2text renders (letters only)."""
    from pylatexenc.latex2text import get_default_latex_context_db

    return frozenset(spec.macroname for spec in get_default_latex_context_db().iter_macro_specs()
                     if spec.macroname.isalpha())


@functools.cache
def command_names() -> frozenset[str]:
    """Names that count as a command when a brace follows them, even outside math (``frac{a}{b}``)."""
    known = _command_names() | frozenset(EXTRA_COMMANDS) | frozenset(ALPHABETS) | WRAPPER_COMMANDS | _OWN_COMMANDS
    return frozenset(n for n in known if len(n) >= 3 and n not in NOT_RESTORED_IN_MATH)


#: ulem's and soul's underlines and strike-outs: plain text has no underline, the words stay.
_UNDERLINES = ("uline", "uuline", "uwave", "sout", "xout", "dashuline", "dotuline")
#: Commands whose argument is their text, known to the parser (with our argument shapes) but not to the
#: renderer's table: rendered as their argument.
WRAPPER_COMMANDS = frozenset({"textup", "textmd", "textsf", "texttt", "textnormal", "mbox", "hbox", "operatorname",
                              "boldsymbol", "bm", "pmod", "binom", "dbinom", "tbinom", "fbox", "makebox", "smash",
                              "cancel", "xcancel", "mathop", "pmb", "num", *_UNDERLINES})
#: Commands drawn by the renderer's own code (not its table), by name: restored in stripped text like the others.
_OWN_COMMANDS = frozenset({"unicode", "overset", "underset", "stackrel", "xrightarrow", "xleftarrow", "tag"})
#: Commands that set a label over (or under) a symbol, as (argument over, the symbol or its argument, argument
#: under): printed as the symbol with the label as its superscript (subscript), ``\\xrightarrow{f}`` → ``→^f``,
#: ``\\underset{x}{argmin}`` → ``argmin_x``, ``\\stackrel{def}{=}`` → ``=^{def}``.
_LABELLED: dict[str, tuple[int | None, int | str, int | None]] = {
    "overset": (0, 1, None), "stackrel": (0, 1, None), "underset": (None, 1, 0),
    "xrightarrow": (1, "\N{RIGHTWARDS ARROW}", 0), "xleftarrow": (1, "\N{LEFTWARDS ARROW}", 0),
}
#: Binomial coefficients, printed ``(n choose k)``.
BINOMIALS = frozenset({"binom", "dbinom", "tbinom"})


@functools.cache
def math_names() -> frozenset[str]:
    """Names given their backslash back inside stripped math (``leq``, ``alpha``, ``log``, ``left``)."""
    known = _command_names() | frozenset(EXTRA_COMMANDS) | frozenset(SILENT_COMMANDS - _SHORT_SWITCHES) | (
        WRAPPER_COMMANDS | _OWN_COMMANDS | frozenset(ALPHABETS)
        | {"widehat", "widetilde", "dfrac", "tfrac", "nicefrac"})
    return frozenset(n for n in known if len(n) >= 2 and n not in NOT_RESTORED_IN_MATH
                     and n not in TEXT_MODE_LETTERS)


# Font switches short enough to be letters of a variable (`$x_{it}$`): restored only when they open a group.
_SHORT_SWITCHES = frozenset({"it", "em", "up", "md", "sl", "sc", "tt", "sf", "bf", "rm", "cal", "and", "par",
                             "small", "large", "big", "indent", "thanks", "strut"})


@functools.cache
def takes_arguments(name: str) -> bool:
    """Whether the parser reads arguments after ``\\name`` (``frac``, ``bar``, ``mathbb``, ``text``), as opposed
    to a symbol (``in``, ``setminus``, ``max``): a brace after a symbol is no argument of it."""
    return name in ACCENT_NAMES or _renderer()[1].keywords["latex_context"].get_macro_spec(name) is not None


#: Commands that take an argument and are restored even inside a script (fonts, accents, text).
SCRIPT_COMMANDS = frozenset({"mathrm", "mathbf", "mathcal", "mathbb", "mathit", "mathsf", "mathtt", "mathfrak",
                             "mathscr", "boldsymbol", "text", "textrm", "operatorname", "hat", "bar", "tilde",
                             "vec", "dot", "ddot", "widehat", "widetilde", "overline", "frac", "sqrt"})
ACCENT_NAMES = frozenset({"hat", "check", "bar", "tilde", "vec", "dot", "ddot", "breve", "acute", "grave"})
_LETTER_RUN_RE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
_TEXT_ARG_RE = re.compile(
    r"(?:\\)?(?:text[a-z]*|mbox|mathrm|operatorname|rm|hbox)\s*\{[^{}]*\}|\{\\?rm\s[^{}]*\}"  # {rm div}
)


def _in_script(text: str, pos: int) -> bool:
    """Whether `pos` is inside a ``_{…}``/``^{…}`` group or right after ``_``/``^``."""
    if pos and text[pos - 1] in "_^":
        return True
    depth = 0
    for i in range(pos - 1, -1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                return i > 0 and text[i - 1] in "_^"
            depth -= 1
    return False


def _split_names(run: str, names: frozenset[str]) -> list[str] | None:
    """`run` as command names glued together, after an optional one-letter variable: ``Kpi`` → ``K``, ``pi``;
    ``alphage`` → ``alpha``, ``ge``; ``ttoinfty`` → ``t``, ``to``, ``infty``. Longest names first."""
    for first in (0, 1):
        parts: list[str] = [run[0]] if first else []
        i = first
        while i < len(run):
            j = next((j for j in range(len(run), i + 1, -1) if run[i:j] in names), None)
            if j is None and parts and parts[-1] in _DELIMITER_COMMANDS and parts[-1][-1] in "lr":
                # Biglfloor: not \Bigl then "floor" but \Big\lfloor (a size command, then the delimiter)
                j = next((j for j in range(len(run), i, -1) if run[i - 1:j] in _DELIMITER_NAMES), None)
                if j is not None:
                    parts[-1], i = parts[-1][:-1], i - 1
            if j is None:
                break
            parts.append(run[i:j])
            i = j
        if i == len(run) - 1 and parts and parts[-1] in ACCENT_NAMES:
            parts.append(run[i])  # checkR: an accent on the letter after it
            i += 1
        if 0 < i < len(run) and run[i].isupper() and any(len(p) > 1 for p in parts):
            # GsubsetGL, chiinIrr, dinBbb: known names, then a capital starts a name of the author's
            # (``\\GL``, ``\\Irr``: rendered as its name) or a variable; the tail stays as it is
            parts.append(_LITERAL + run[i:])
            i = len(run)
        if i == len(run) and len(parts) > 1:
            for k in range(len(parts) - 1):  # biglangle is \big\langle, not \bigl\angle: a delimiter after a size
                name, nxt = parts[k], parts[k + 1]
                if name in _DELIMITER_COMMANDS and name[-1] in "lr" and name[-1] + nxt in _DELIMITER_NAMES:
                    parts[k], parts[k + 1] = name[:-1], name[-1] + nxt
            return parts
    return None


#: Marks a part of :func:`_split_names` that is text, not a command name.
_LITERAL = "\x00"


def _joined(parts: list[str]) -> str:
    """Names glued in the source stay glued: ``\\Delta{}\\alpha`` renders ``Δα`` (a space would show);
    a command that takes an argument takes the name or letter after it with a space (``\\check R``,
    ``\\frac\\gamma 6``). A part marked literal (an author's macro after known names) stays as it is."""
    out = ""
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if len(part) == 1 or part[:1] == _LITERAL:
            out += part.lstrip(_LITERAL)
        else:  # fracgamma: \frac takes \gamma as its argument, so a space (`{}` would be an empty argument)
            # leftvert: a delimiter command takes the delimiter after it with a space too (`{}` would be the delimiter)
            out += "\\" + part + ("" if last else " " if takes_arguments(part) or part in _DELIMITER_COMMANDS else "{}")
    return out


_VARIABLE_THEN_ARROW = frozenset({"Rrightarrow", "Lleftarrow"})
_MEMBER_OF_RE = re.compile(r" ?math(?:bb|cal|frak|scr|bf)(?![a-z])")  # a set in a set font: min mathbb{N}
#: Relations a variable of one or two letters is glued to in stripped math (``ggto H``, ``ppto``, ``xin``).
_GLUED_RELATIONS = frozenset({"to", "in", "gets", "mapsto", "subset", "subseteq", "supset", "leq", "geq", "neq",
                               "sim", "approx", "equiv", "times", "cdot"})


def _restore_run(run: str, names: frozenset[str], after: str, following: str = "") -> str:
    """A letter run outside scripts: a name, names glued together, or a Greek letter glued to an acronym.
    `following` is the text after the run (``min mathbb{N}`` is ``m \\in \\mathbb{N}``, not ``\\min``)."""
    # A negated relation (`ngeq`) is more often a variable glued to a relation (`n\geq`); a name that is a letter
    # glued to `in` before a set in a set font (`min mathbb{N}`) is the letter and the relation.
    if run[1:] == "in" and _MEMBER_OF_RE.match(following):
        return run[0] + "\\in"
    if len(run) >= 3 and len(set(run)) == 1:
        return run  # ggg (three gluons), lll: one letter repeated is variables, not g\gg
    if run in _VARIABLE_THEN_ARROW:  # Rrightarrow: "as R → ∞" is far more common than the triple arrow ⇛
        return run[0] + "\\" + run[1:]
    if run in names and not (run[0] == "n" and run[1:] in names) or (after == "{" and run in _command_names()):
        return "\\" + run
    if len(run) >= 4 and run[2:] in _GLUED_RELATIONS:
        return run[:2] + "\\" + run[2:]  # ggto H, ppto pp: two one-letter variables, then the relation
    parts = _split_names(run, names)
    if parts is not None:
        return _joined(parts)
    tail = next((i for i in range(len(run) - 2, 1, -1) if run[:i] in GREEK and run[i:].isupper()), None)
    if tail is not None:  # LambdaCDM: a Greek letter glued to an acronym
        return "\\" + run[:tail] + " " + run[tail:]
    return run


def restore_math(content: str) -> str:
    r"""Put back the backslashes a scraper stripped from math content (``x_i leq 1`` → ``x_i \leq 1``).

    Only for content without any backslash left (a scraper strips all or none). A letter run is a command
    when it is a name latex2text knows (``leq``, ``frac``, ``mathcal``, ``log``), or a one-letter variable
    followed by Greek names (``Kpi``); inside a script only Greek letters and a few symbols count, so
    ``N_{in}`` and ``T_{max}`` stay. The arguments of text commands (``text{if}``) are left alone.

    >>> restore_math('x_i leq 1, frac{a}{b}, mathcal{O}(n log n), Kpi, N_{in}, alpha_{max}, text{ to }')
    'x_i \\leq 1, \\frac{a}{b}, \\mathcal{O}(n \\log n), K\\pi, N_{in}, \\alpha_{max}, \\text{ to }'
    """
    if "\\" in content:
        return content
    if "," in content:  # \, \; lost their backslashes: ",," ",;" and a comma glued to a differential (",dx")
        content = _STRIPPED_THIN_SPACE_RE.sub(" ", content)
    names = math_names()
    protected = [(m.start(), m.end()) for m in _TEXT_ARG_RE.finditer(content)] if "{" in content else []

    def fix(match: re.Match[str]) -> str:
        run, pos = match.group(), match.start()
        after = content[match.end():match.end() + 1]
        if run in SILENT_COMMANDS and pos and content[pos - 1] == "{" and after in (" ", "{"):
            return "\\" + run  # {rm eff}, {bf r}: a font switch opening its group
        if run in _FONT_SWITCHES and (not pos or content[pos - 1] in " ({") and (
                after == "{" or after == " " and content[match.end() + 1:match.end() + 2].isalnum()):
            return "\\" + run  # rm GHz, cal N, bf{k}, bf 6: a font switch before its operand
        for start, end in protected:
            if start < pos < end and content.find("{", start) < pos:
                return run
        if run in SCRIPT_COMMANDS and run in names:
            return "\\" + run  # x_{mathrm{ee}}, r_c^{mathbf k}, x_hat{…}: a command in any position
        if after == "{" and run not in names:
            # uudsbar{s}, cqbar{q}: variables glued to a command that takes the brace as its argument
            cut = next((k for k in range(1, len(run) - 2) if run[k:] in names and takes_arguments(run[k:])), None)
            if cut is not None:
                glued = run[:cut]
                return (_restore_run(glued, names, run[cut]) if len(glued) >= 2 else glued) + "\\" + run[cut:]
        if pos and content[pos - 1] in "_^":
            # A bare script takes one token: a name (x^alpha, RP^inftytimes) or one letter (H^mto).
            head = next((run[:i] for i in range(len(run), 1, -1) if run[:i] in RESTORED_IN_SCRIPTS
                         and run[:i] in names), None)
            head_text = "\\" + head if head else run[0]
            rest = run[len(head) if head else 1:]
            return head_text + (_restore_run(rest, names, after) if len(rest) >= 2 else rest)
        if _in_script(content, pos):
            if run in RESTORED_IN_SCRIPTS and run in names or (after == "{" and run in names):
                return "\\" + run
            before = content[pos - 1:pos]
            if run in names and (before in _TERM_BEFORE or before.isdigit()) and after in _TERM_AFTER:
                # _{b in B}, T_{d to d}, ^{-lfloor n/2 rfloor}, _{|x|leq A}: a name between other terms of the
                # script (a name that is the whole script, N_{in}, T_{max}, or ends it after a comma, stays)
                return "\\" + run
            if before == "{" and after == " " and run in STRIPPED_OPERATORS and run in names:
                return "\\" + run  # _{geq 0}, ^{pm 1}: a relation or operator opening its script
            if before == "{" and after == "}" and run in names:
                return run  # _{min}, _{max}: a name that is the whole script is its label
            if run in names and takes_arguments(run):
                return "\\" + run  # ^{-tfrac12}: a command taking arguments is one, not a letter and a name
            parts = _split_names(run, names)
            # x_{iPhi}: a letter then names; ^{lambdanu}: names that count in scripts, glued
            return _joined(parts) if parts and (len(parts[0]) == 1 or all(
                p in RESTORED_IN_SCRIPTS for p in parts)) else run
        return _restore_run(run, names, after, content[match.end():match.end() + 12])

    def fix_with_argument(match: re.Match[str]) -> str:
        restored = fix(match)
        last = _LAST_COMMAND_RE.search(restored) if restored != match.group() else None
        if last is not None and takes_arguments(last.group(1)) and not _ARGUMENT_START_RE.match(
                content, match.end()):
            return match.group()  # Ghat, x hat: a command that takes an argument, with none after it, is no command
        return restored

    restored = _LETTER_RUN_RE.sub(fix_with_argument, content)
    return _set_braces(restored) if "{" in restored or "}" in restored else restored


_LAST_COMMAND_RE = re.compile(r"\\([A-Za-z]+)\Z")
#: What an argument can start with (after spaces): a group, an optional argument, a command, a letter or digit.
_ARGUMENT_START_RE = re.compile(r" *(?:[{\[\\]|[^\W_])")


#: A stripped ``\\,`` or ``\\;``: the second mark of ``,,``/``,;`` (``s,\\, t``), or a comma between a closed term and
#: a differential or between two (``K(x-y)\\,dx\\,dy``, ``(1+t)^{-1}\\,dt``; a kernel's arguments ``P(x,dy)``
#: and a pair ``(dx,dy)`` stay).
_STRIPPED_THIN_SPACE_RE = re.compile(
    r"(?<=,)[,;]|(?:(?<=[)}|0-9 ])|(?<=\bd[A-Za-z])),(?=d[A-Za-z](?![\w()\]]|,(?!d[A-Za-z])))"
)
_FONT_SWITCHES = frozenset({"rm", "bf", "cal", "sf", "tt", "sl", "sc", "mit"})
_TERM_BEFORE = frozenset(" )(,-+|=[<>/")
_TERM_AFTER = frozenset(" (|)]_^") | {""}
#: Delimiter commands: a brace after one is a delimiter, ``\\{`` (``left{x : x > 0 right}``).
#: Delimiters named by a command, which a size command (``\\big``, ``\\left``) takes.
_DELIMITER_NAMES = frozenset({"langle", "rangle", "lvert", "rvert", "lVert", "rVert", "lfloor", "rfloor", "lceil",
                              "rceil", "lbrace", "rbrace", "lbrack", "rbrack"})
#: Operators whose operand is a set: a brace after one is ``\\{`` (``\\max\\{a_i\\}`` renders ``max{a_i}``, which
#: stays as it is; a stripped ``max{a_i}`` gets the set's backslashes back).
SET_OPERATORS = frozenset({"max", "min", "sup", "inf", "argmax", "argmin", "limsup", "liminf", "gcd", "lcm", "card"})
#: Relations and operations of sets: a brace after one opens a set (``cup{0}``, ``setminus{1}``, ``times{0}``).
_SET_RELATIONS = frozenset({"in", "notin", "ni", "cup", "cap", "setminus", "subset", "subseteq", "supset", "supseteq",
                            "subsetneq", "times", "bigcup", "bigcap", "sqcup", "uplus", "to", "mapsto",
                            "rightarrow", "longrightarrow", "longmapsto"})
_DELIMITER_COMMANDS = frozenset({"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
                                 "Bigr", "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm"})
_COMMAND_BEFORE_RE = re.compile(r"\\([A-Za-z]+) *\Z")
_OPENS_WITH_SWITCH_RE = re.compile(
    r" *\\(?:" + "|".join(sorted(SILENT_COMMANDS - _DELIMITER_COMMANDS)) + r")(?![A-Za-z])"
)


def _opens_set(text: str, at: int) -> str:
    """What the brace at `at` of restored math opens: ``"delimiter"`` (after ``\\left``), ``"operand"`` (a set, after
    ``\\max``, ``\\sup``…), ``"set"`` when it may be
    a set (after a symbol command, a relation, an opening bracket, a comma, or at the start), else ``""``
    (a script group, a command's argument, grouping after a letter)."""
    before = text[:at]
    command = _COMMAND_BEFORE_RE.search(before)
    if command is not None:
        name = command.group(1)
        if name in _DELIMITER_COMMANDS:
            return "delimiter"
        if name in SET_OPERATORS or name in _SET_RELATIONS:
            return "operand"
        return "" if takes_arguments(name) or name in SILENT_COMMANDS else "set"
    stripped = before.rstrip(" ")
    if not stripped:
        return "set"
    last = stripped[-1]
    return "" if last.isalnum() or last in "_^}])'\\" else "set"


_MEMBER_RE = re.compile(r"\\in(?![A-Za-z])")


def _separated(inner: str) -> bool:
    """Whether braced content lists or describes elements: a ``,``, ``:``, ``;``, ``\\in`` or a lone ``|`` at its top
    level, or
    ``\\mid`` (``{1,2,3}``, ``{x : x > 0}``). Grouping braces (``{1/30}``, ``{2S+1}``) hold none."""
    depth = bars = 0
    for k, c in enumerate(inner):
        if c in "{}" and k and inner[k - 1] == "\\":
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and (c in ",:;" or c == "\\" and _MEMBER_RE.match(inner, k)):
            return True  # {x_{j,k} in M}: membership makes a set too
        elif depth == 0 and c == "|":
            bars += 1
    return bars % 2 == 1 or "\\mid" in inner  # {x | x > 0}; bars in pairs are absolute values: {|x|^2}


def _set_braces(text: str) -> str:
    """Braces of stripped math that were ``\\{ \\}``: sets (``d in {1,2,3}``, ``S={infty,q_1}``,
    ``{x: f(x)=0}``) and delimiters (``left{ … right}``), given their backslashes back. Grouping braces stay:
    a set lists or describes its elements, a group after a letter, a script mark or a command is no set."""
    out = list(text)
    stack: list[tuple[int, str]] = []
    for i, c in enumerate(text):
        if c not in "{}" or (i and text[i - 1] == "\\"):
            continue
        if c == "{":
            stack.append((i, _opens_set(text, i)))
            continue
        if stack:
            j, kind = stack.pop()
            operand = kind == "operand" and i > j + 1 and text[i + 1:i + 2] not in ("^", "_")  # not {} nor {H}^1
            if kind == "delimiter" or (operand or kind in ("set", "operand") and _separated(text[j + 1:i])) and not (
                    _OPENS_WITH_SWITCH_RE.match(text, j + 1)):
                out[j], out[i] = "\\{", "\\}"
                continue
        command = _COMMAND_BEFORE_RE.search(text, 0, i)
        if command is not None and command.group(1) in _DELIMITER_COMMANDS:
            out[i] = "\\}"  # right} after a delimiter whose brace matched elsewhere
    for j, kind in stack:
        if kind == "delimiter":
            out[j] = "\\{"  # left{ … right. : the brace never closes
    return "".join(out)
