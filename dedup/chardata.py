"""Symbol tables for the repair rules in :mod:`dedup.fixes` and the LaTeX renderer in :mod:`dedup.latex`.

Plain data, no logic beyond building the tables once at import: LaTeX command names mapped to the Unicode
character a reader would expect, the Unicode superscripts, the mathematical alphabets (script, double-struck,
fraktur) and the code points whose stripped HTML entities (``x2013`` for ``&#x2013;``) we restore.

Every symbol here is the *faithful* one: we only map a command when Unicode has a character that renders
as the command does, so the mapping never has to guess.
"""

from __future__ import annotations

import unicodedata

#: Greek letters by LaTeX name. ``\\phi`` and ``\\epsilon`` map to the everyday forms ``φ`` and ``ε`` (what
#: people type); NFKC folds the ``\\varphi``/``\\phi`` glyph variants together in dedup keys anyway.
GREEK: dict[str, str] = {
    "Delta": "Δ",
    "Gamma": "Γ",
    "Lambda": "Λ",
    "Omega": "Ω",
    "Phi": "Φ",
    "Pi": "Π",
    "Psi": "Ψ",
    "Sigma": "Σ",
    "Theta": "Θ",
    "Upsilon": "Υ",
    "Xi": "Ξ",
    "alpha": "α",
    "beta": "β",
    "chi": "χ",
    "delta": "δ",
    "epsilon": "ε",
    "eta": "η",
    "gamma": "γ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "omega": "ω",
    "phi": "φ",
    "pi": "π",
    "psi": "ψ",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "theta": "θ",
    "upsilon": "υ",
    "varepsilon": "ε",
    "varphi": "φ",
    "varrho": "ϱ",
    "varsigma": "ς",
    "vartheta": "ϑ",
    "xi": "ξ",
    "zeta": "ζ",
}

#: Greek letter names, capital and small, as LaTeX spells them: what a letter run in stripped math may be made
#: of (``Kpi`` is ``K\\pi``, ``alphabeta`` is ``\\alpha\\beta``).
GREEK_NAMES: frozenset[str] = frozenset(GREEK) | frozenset(
    {"Upsilon", "varpi", "varkappa", "digamma", "omicron", "Omega", "eta", "iota", "kappa"}
)

#: Names that get their backslash back inside a stripped script (``x_{alpha}``, ``T^{infty}``): Greek and a
#: few symbols. Operator words stay words there: ``N_{in}``, ``T_{max}``, ``E_{ll}`` are labels.
RESTORED_IN_SCRIPTS: frozenset[str] = GREEK_NAMES | frozenset(
    {"infty", "circ", "prime", "star", "ast", "dagger", "ell", "hbar", "partial", "pm", "mp", "perp", "times"}
    | {"odot", "oplus", "otimes", "bullet", "cdot", "parallel", "sharp", "natural", "ddagger", "nabla"}
)

#: Command names never given their backslash back in stripped math: capital Greek letters that look Latin
#: (``$Nu$`` is a Nusselt number, ``$Mu$`` a variable), and names that are more often letters of a variable
#: or a word than a command.
NOT_RESTORED_IN_MATH: frozenset[str] = frozenset(
    {"Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu", "Omicron", "Rho", "Tau", "Chi"}
    | {"id", "leo", "wp", "wr", "top", "ket", "bra", "ref", "url", "mho", "dag", "Lsh", "Rsh", "and", "or"}
    | {"author", "date", "chapter", "section", "exercise", "between", "because", "flat", "title"}
    | {"estimates", "Equal", "Ident", "allequal", "Colon", "Cap", "Cup", "gemini", "cancer", "aries"}
    # the real and imaginary parts are often written as plain Re(z), Im(z): a stripped copy's Re is no \Re; and
    # English words that are also symbol names, and three gluons (ggg)
    | {"Re", "Im", "gets", "models", "implies", "impliedby", "lll", "ggg"}
    # text-mode quotes and currency: short names a variable may have (`$x_{rq}$`)
    | {"lq", "rq", "glq", "grq", "flq", "frq", "glqq", "grqq", "flqq", "frqq", "EUR", "euro"}
    | {"sun", "earth", "micron", "degr", "arcmin", "arcsec"}
)

#: Text-mode letters (``\\AA`` is Å, ``\\ij`` is ĳ): in math a run such as ``ij`` is two indices.
TEXT_MODE_LETTERS: frozenset[str] = frozenset(
    {"AA", "AE", "DH", "DJ", "IJ", "NG", "OE", "TH", "aa", "ae", "dh", "dj", "ij", "ng", "oe", "ss", "th", "eth"}
)

#: Commands that format and carry no text: font and size switches, math styles, delimiter sizes, spacing
#: and layout. pylatexenc knows none of them and drops them, which is right; an *unknown* command is
#: different (an author's macro such as ``\\LambdaCDM``) and keeps its name (see :mod:`dedup.latex`).
SILENT_COMMANDS: frozenset[str] = frozenset(
    {"rm", "it", "bf", "em", "sl", "sc", "tt", "sf", "cal", "mit", "up", "md", "normalfont", "boldmath"}
    | {"rmfamily", "sffamily", "ttfamily", "bfseries", "mdseries", "itshape", "slshape", "scshape", "upshape"}
    | {"tiny", "scriptsize", "footnotesize", "small", "normalsize", "large", "Large", "LARGE", "huge", "Huge"}
    | {"displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "limits", "nolimits", "unboldmath"}
    | {"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl"}
    | {"biggr", "Biggl", "Biggr", "bigm", "Bigm", "nonumber", "notag", "noindent", "indent", "protect"}
    | {"relax", "par", "hfill", "vfill", "centering", "raggedright", "allowbreak", "linebreak", "strut"}
    | {"nolinebreak", "mathstrut", "smallskip", "medskip", "bigskip", "newpage", "clearpage", "maketitle"}
    | {"displaylines", "displaybreak", "xspace", "ignorespaces", "unskip", "hline", "footnotemark", "and", "thanks"}
    | {"nobreakdash", "selectfont", "pagebreak"}
)

#: Commands pylatexenc's renderer does not know, with the faithful text for each: symbols it lacks (``\\ne``,
#: ``\\land``), upright Greek, and operator names (written as the words they print).
EXTRA_COMMANDS: dict[str, str] = {
    "ne": "≠", "land": "∧", "lor": "∨", "lnot": "¬", "upalpha": "α", "upbeta": "β", "upgamma": "γ",
    "updelta": "δ", "upepsilon": "ϵ", "upvarepsilon": "ε", "upzeta": "ζ", "upeta": "η", "uptheta": "θ",
    "upvartheta": "ϑ", "upiota": "ι", "upkappa": "κ", "uplambda": "λ", "upmu": "μ", "upnu": "ν", "upxi": "ξ",
    "uppi": "π", "upvarpi": "ϖ", "uprho": "ρ", "upvarrho": "ϱ", "upsigma": "σ", "upvarsigma": "ς", "uptau": "τ",
    "upupsilon": "υ", "upphi": "ϕ", "upvarphi": "φ", "upchi": "χ", "uppsi": "ψ", "upomega": "ω",
    "varlimsup": "lim sup", "varliminf": "lim inf", "varinjlim": "inj lim", "varprojlim": "proj lim",
    "injlim": "inj lim", "projlim": "proj lim", "bmod": " mod ", "colon": ":", "dots": "…", "iff": "⟺",
    "imath": "ı", "jmath": "ȷ", "restriction": "↾", "fint": "⨍",
    # Symbols of LaTeX's and amssymb's tables that the renderer printed as their names (\\neg gave "neg"):
    "neg": "¬", "bot": "⊥", "models": "⊨", "gets": "←", "implies": "⟹", "impliedby": "⟸", "Re": "ℜ", "Im": "ℑ",
    "ddagger": "‡", "lhd": "◁", "rhd": "▷", "unlhd": "⊴", "unrhd": "⊵", "Box": "□", "Diamond": "◇",
    "triangle": "△", "clubsuit": "♣", "diamondsuit": "♢", "heartsuit": "♡", "spadesuit": "♠", "bigsqcup": "⨆",
    "bigodot": "⨀", "biguplus": "⨄", "lll": "⋘", "ggg": "⋙", "checkmark": "✓", "varpropto": "∝",
    # Text-mode names of ASCII characters, as BibTeX exports write them (the renderer dropped most: `p \textless{}
    # 0.05` gave `p  0.05`; \textasciicircum gave the modifier letter ˆ)
    "textless": "<", "textgreater": ">", "textbar": "|", "textunderscore": "_", "textquotedbl": '"',
    "textasciicircum": "^", "textasciitilde": "~",
    # and text symbols it lacks or draws wrong (the Lancet's decimal point 1\textperiodcentered{}58 gave 1˙58)
    "textperiodcentered": "·", "textminus": "−", "textbardbl": "‖",
    # and LaTeX's own text symbols and spaces it lacks, printed as their names before (`\\S 3` gave `S 3`)
    "S": "§", "P": "¶", "pounds": "£", "copyright": "©", "ddag": "‡", "slash": "/", "textsurd": "√",
    "textpilcrow": "¶", "textdied": "†", "textlbrackdbl": "⟦", "textrbrackdbl": "⟧", "EUR": "€", "euro": "€",
    "lq": "‘", "rq": "’", "glqq": "„", "grqq": "“", "glq": "‚", "grq": "‘", "flqq": "«", "frqq": "»", "flq": "‹",
    "frq": "›", "enspace": " ", "thinspace": " ", "nobreakspace": " ", "negthinspace": "",
    # amssymb's and mathtools' symbols it lacks (a real abstract's \\dasharrow, a rational map, printed its name)
    "dasharrow": "⇢", "leadsto": "⇝", "coloneqq": "≔", "coloneq": "≔", "eqqcolon": "≕", "Coloneqq": "⩴",
    "llbracket": "⟦", "rrbracket": "⟧", "Bbbk": "𝕜", "thicksim": "∼", "thickapprox": "≈", "vDash": "⊨",
    "smallfrown": "⌢", "smallsmile": "⌣", "bigstar": "★", "oiint": "∯",
    # AASTeX's (the journals' class astronomy abstracts are written in): \\sun is ☉, \\micron μm
    "sun": "☉", "earth": "⊕", "micron": "μm", "degr": "°", "arcmin": "′", "arcsec": "″",
}

#: Commands that take one argument and also accept it unbraced after a space (``\\hat x``, ``\\k a``):
#: a text-mode span takes the next character along.
ONE_ARGUMENT_COMMANDS: frozenset[str] = frozenset(
    {"hat", "vec", "dot", "ddot", "check", "breve", "acute", "grave", "tilde", "bar", "widehat", "widetilde"}
    | {"k", "d", "r", "u", "H", "b", "c", "v", "t", "not", "mathring", "overline", "underline"}
)

#: Arrows by LaTeX name. None of these names is an English word, so they are repaired wherever they occur.
ARROWS: dict[str, str] = {
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "Longleftarrow": "⟸",
    "Longleftrightarrow": "⟺",
    "Longrightarrow": "⟹",
    "Rightarrow": "⇒",
    "downarrow": "↓",
    "iff": "⟺",
    "implies": "⟹",
    "leftarrow": "←",
    "leftrightarrow": "↔",
    "longleftarrow": "⟵",
    "longleftrightarrow": "⟷",
    "longmapsto": "⟼",
    "longrightarrow": "⟶",
    "mapsto": "↦",
    "rightarrow": "→",
    "to": "→",
    "uparrow": "↑",
}

#: Arrow names that may be repaired without a backslash: the ones spelled with ``arrow`` (``to``, ``iff``,
#: ``implies`` are English; ``mapsto`` is left to its backslash to keep the fast path's screen short).
STRIPPED_ARROWS: frozenset[str] = frozenset(name for name in ARROWS if "arrow" in name)

#: Relations, binary operators and other math symbols by LaTeX name (``\\times`` has its own rule).
SYMBOLS: dict[str, str] = {
    "approx": "≈",
    "ast": "∗",
    "cap": "∩",
    "cdot": "⋅",
    "cdots": "⋯",
    "circ": "∘",
    "cup": "∪",
    "div": "÷",
    "dots": "…",
    "emptyset": "∅",
    "equiv": "≡",
    "exists": "∃",
    "forall": "∀",
    "ge": "≥",
    "geq": "≥",
    "gg": "≫",
    "in": "∈",
    "infty": "∞",
    "ldots": "…",
    "le": "≤",
    "leq": "≤",
    "ll": "≪",
    "mp": "∓",
    "nabla": "∇",
    "ne": "≠",
    "neq": "≠",
    "notin": "∉",
    "odot": "⊙",
    "oplus": "⊕",
    "otimes": "⊗",
    "partial": "∂",
    "pm": "±",
    "prod": "∏",
    "propto": "∝",
    "sim": "∼",
    "simeq": "≃",
    "sqrt": "√",
    "subset": "⊂",
    "subseteq": "⊆",
    "sum": "∑",
    "supset": "⊃",
    "supseteq": "⊇",
}

#: Symbol names repaired without a backslash, and only between two math atoms (``m gg n``): none of them
#: is a common English word in that position.
STRIPPED_OPERATORS: frozenset[str] = frozenset(
    {
        "approx",
        "cdot",
        "circ",
        "equiv",
        "ge",
        "geq",
        "gg",
        "le",
        "leq",
        "ll",
        "mp",
        "neq",
        "oplus",
        "otimes",
        "pm",
        "propto",
        "sim",
        "simeq",
    }
)

#: Relations that a scraper glues to the number after them (``le13`` for ``\\le 13``).
STRIPPED_BEFORE_NUMBER: frozenset[str] = frozenset({"ge", "geq", "le", "leq"})

#: Operators that a scraper glues to the Greek name before them (``Phicirc Psi``).
GLUED_OPERATORS: frozenset[str] = frozenset({"cdot", "circ"})

#: Unicode superscripts for the characters LaTeX users put in exponents.
SUPERSCRIPTS: dict[str, str] = {
    "(": "⁽",
    ")": "⁾",
    "+": "⁺",
    "-": "⁻",
    "0": "⁰",
    "1": "¹",
    "2": "²",
    "3": "³",
    "4": "⁴",
    "5": "⁵",
    "6": "⁶",
    "7": "⁷",
    "8": "⁸",
    "9": "⁹",
    "=": "⁼",
    "i": "ⁱ",
    "n": "ⁿ",
}

#: Code points whose numeric HTML entity is seen with ``&#`` (and often ``;``) stripped: ``x2013`` for
#: ``&#x2013;``. Only typographic punctuation, which is what such entities encode in scraped abstracts.
NUMERIC_DEBRIS: frozenset[int] = frozenset(
    {0x00A0, 0x00B7, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201C, 0x201D}
    | {0x2022, 0x2026, 0x2032, 0x2033, 0x2212}
)


def _alphabet(style: str, holes: dict[str, str], small: bool = False, digits: bool = False) -> dict[str, str]:
    """Map A–Z (and a–z, 0–9 where the font has them) to one mathematical alphabet, filling Unicode's holes from
    the Letterlike Symbols block."""
    table: dict[str, str] = {}
    for code in range(ord("A"), ord("Z") + 1):
        letter = chr(code)
        table[letter] = holes.get(letter) or unicodedata.lookup(f"MATHEMATICAL {style} CAPITAL {letter}")
    for code in range(ord("a"), ord("z") + 1) if small else ():
        letter = chr(code)
        table[letter] = holes.get(letter) or unicodedata.lookup(f"MATHEMATICAL {style} SMALL {letter.upper()}")
    for code in range(ord("0"), ord("9") + 1) if digits else ():
        table[chr(code)] = unicodedata.lookup(f"MATHEMATICAL {style} DIGIT {unicodedata.name(chr(code))[6:]}")
    return table


#: ``\\mathcal``/``\\mathscr`` capitals: ``𝒪``, ``ℒ``…
SCRIPT: dict[str, str] = _alphabet(
    "SCRIPT", {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"}
)
#: ``\\mathbb`` letters and digits: ``ℝ``, ``ℕ``, ``𝔼``, ``𝕜`` (bbm's lowercase), ``𝟙`` (dsfont's indicator)…
DOUBLE_STRUCK: dict[str, str] = _alphabet(
    "DOUBLE-STRUCK", {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}, small=True, digits=True
)
#: ``\\mathfrak`` letters: ``𝔄``, ``𝔤`` (a Lie algebra), ``𝔭`` (a prime ideal)…
FRAKTUR: dict[str, str] = _alphabet("FRAKTUR", {"C": "ℭ", "H": "ℌ", "I": "ℑ", "R": "ℜ", "Z": "ℨ"}, small=True)

#: Math alphabet commands and the capital-letter table each one uses.
ALPHABETS: dict[str, dict[str, str]] = {
    "mathbb": DOUBLE_STRUCK,
    "mathbbm": DOUBLE_STRUCK,  # the bbm package's and dsfont's double-struck alphabets (\mathds{1}: indicator)
    "mathds": DOUBLE_STRUCK,
    "Bbb": DOUBLE_STRUCK,  # amsfonts' old name: \Bbb R
    "mathcal": SCRIPT,
    "mathfrak": FRAKTUR,
    "mathscr": SCRIPT,
}

#: Commands whose braces are dropped and whose content is kept as it is (``\\textbf{F}inetuning``).
TEXT_FONTS: frozenset[str] = frozenset(
    {
        "boldsymbol",
        "emph",
        "mathbf",
        "mathit",
        "mathrm",
        "mathsf",
        "mathtt",
        "mbox",
        "operatorname",
        "text",
        "textbf",
        "textit",
        "textmd",
        "textnormal",
        "textrm",
        "textsc",
        "textsf",
        "texttt",
        "textup",
        "underline",
    }
)

#: Invisible characters that carry no text: soft hyphen, zero-width space, word joiner, BOM, Mongolian
#: vowel separator. (ZWJ and ZWNJ are kept: they matter in emoji and in Persian and Indic scripts.)
INVISIBLE: dict[int, None] = dict.fromkeys([0x00AD, 0x180E, 0x200B, 0x2060, 0xFEFF])
