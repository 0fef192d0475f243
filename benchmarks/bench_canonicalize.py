"""Speed and accuracy of dedup.canonical, with ftfy.fix_text as the baseline measured in the same run.

Run it by hand: ``python benchmarks/bench_canonicalize.py [--repeat 3] [--peer ../shared/peer-data]``. It
prints two tables the README quotes:

* speed: MB/s of UTF-8 input (CPU time of this process, best of the repeats, the functions interleaved so
  that they see the same machine load) for clean prose, real LaTeX abstracts and mojibake, and the ratio
  canonicalize / ftfy.fix_text; the repeats find each math span rendered already (the renderer keeps a cache
  per span, as copies of one paper share their spans), so the LaTeX abstracts are also timed once, first,
  with no span cached: the cost of a corpus whose texts are all new (against ftfy's best, which keeps no cache);
* accuracy, on other projects' test material: ftfy's own cases, pylatexenc's latex2text pairs, 1,006 real
  arXiv abstracts holding LaTeX (raw, backslash-stripped, dollar-less and mojibaked copies), clean prose.

Nothing here asserts (tests/test_peer.py does); the machine is noisy, so quote ratios from one run.

``--outputs FILE`` guards speed work: the first run writes ``canonicalize_with_repairs`` of every text above
and of its variants (backslash-stripped, dollar-less, mojibaked, the canonical text again) to FILE; a run with
FILE present compares against it and reports every text whose output or repair names differ (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import ftfy
import ftfy.bad_codecs
import ftfy.fixes  # noqa: F401  (registers sloppy-windows-1252)

from dedup.canonical import canonicalize, canonicalize_with_repairs, dedup_key

ROOT = Path(__file__).resolve().parent.parent
_WS = re.compile(r"\s+")
_EQUIV = str.maketrans({"\u22c5": "\u00b7", "\u2219": "\u00b7", "\u2217": "*", "\u2212": "-", "\u223c": "~",
                        "\u00a0": " ", "\u2032": "'", "\u2016": "\u2225", "\u201c": '"', "\u201d": '"',
                        "\u2018": "'", "\u2019": "'"})
#: The peer evaluation's probes: clean domain text that ftfy's encoding repair leaves alone.
DOMAIN_PROBES = [
    "a resolution of 1.8 Å—comparable to crystallography", "bond lengths of 1.2 Å·mol", "1.5 Å» and",
    "CAFÉ® dataset", "Fuß“ quote", "the Ñ–N bond", "a radius of 10 Å—", "the Ö… ", "MÜNCHEN–Berlin",
    "the ÉCOLE’s new lab", "ÅNGSTRÖM", "10 Å–20 Å", "SÃO PAULO", "ÆSOP’s Fables",
]


#: pylatexenc's test classes for inline LaTeX (environments, lists, links and file input are out of scope).
LATEX_CLASSES = {
    "TestTextFontStyleMacros", "TestMathFontStyleMacros", "TestEmph", "TestAccentMacros", "TestEscapedCharacters",
    "TestGreekLetters", "TestRelationSymbols", "TestOperatorSymbols", "TestMiscellaneousMathSymbols",
    "TestAdvancedSymbolMacros", "TestLigaturesAndLetters", "TestSuperscriptsAndSubscripts",
    "TestFractionsAndRoots", "TestMathOperatorNames", "TestOperatornameAndModulo",
}


def nows(text: str) -> str:
    return _WS.sub("", text)


def fold(text: str) -> str:
    return nows(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).translate(_EQUIV)))


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("sloppy-windows-1252")


def load(peer: Path) -> dict[str, list]:
    rows = [json.loads(line) for line in (peer / "arxiv-abstracts.jsonl").read_text("utf-8").splitlines() if line]
    prose = [s for s in (peer / "prose-sentences.txt").read_text("utf-8").split("\n") if s.strip()]
    cases = [c for p in sorted((peer / "ftfy-cases").glob("*.json")) for c in json.loads(p.read_text("utf-8"))]
    return {
        "latex": [" ".join(r["abstract"].split()) for r in rows if r["latex"]],
        "plain": [" ".join(r["abstract"].split()) for r in rows if not r["latex"] and r["abstract"].isascii()],
        "prose": [s for s in prose if s.isascii()],
        "ftfy": cases,
        "pylatexenc": json.loads((peer / "pylatexenc-cases.json").read_text("utf-8")),
    }


def speed(functions: list[Callable[[str], str]], texts: list[str], repeat: int) -> list[float]:
    """MB/s of each function: best of `repeat`, CPU time, functions interleaved round by round."""
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for i, function in enumerate(functions):
            start = time.process_time()
            for text in texts:
                function(text)
            best[i] = min(best[i], time.process_time() - start)
    return [size / b for b in best]


def accuracy(data: dict[str, list]) -> list[tuple[str, str]]:
    """The issue's accuracy measures, computed the way ../shared/peer/run.sh computes them."""
    rows: list[tuple[str, str]] = []
    cases = data["ftfy"]
    outs = [canonicalize(c["original"]) for c in cases]
    agree = sum(out == c["fixed"] for out, c in zip(outs, cases, strict=True))
    rows.append(("ftfy's cases: canonicalize == ftfy's expected text", f"{agree}/{len(cases)}"))
    changed = [p for p in DOMAIN_PROBES if canonicalize(p) != p]
    # What the quote policy (one ASCII form, as ftfy's uncurl_quotes) and the whitespace policy do to a probe is
    # no re-decoding: count it apart.
    redecoded = [p for p in changed if canonicalize(p) != ftfy.fixes.uncurl_quotes(p).strip()]
    rows.append(("clean domain probes changed (Å—, É®, …)",
                 f"{len(changed)}/{len(DOMAIN_PROBES)} ({len(redecoded)} re-decoded, the rest by the quote and "
                 "whitespace policies)"))

    from pylatexenc.latex2text import LatexNodes2Text

    l2t = LatexNodes2Text()
    pairs: dict[str, list[str]] = {}
    for case in data["pylatexenc"]:
        if case["class"] in LATEX_CLASSES and case["latex"].strip():
            pairs.setdefault(case["latex"], []).append(case["expected"])
    faithful = same = 0
    for latex, expected in pairs.items():
        out = canonicalize(latex)
        faithful += any(fold(out) == fold(r) for r in [*expected, l2t.latex_to_text(latex)])
        same += nows(canonicalize(latex.replace("\\", ""))) == nows(out)
    rows.append(("pylatexenc pairs rendered faithfully", f"{100 * faithful / len(pairs):.0f}% of {len(pairs)}"))
    rows.append(("... backslash-stripped form gives the raw form's text", f"{100 * same / len(pairs):.0f}%"))

    agree_all = backslash = 0
    for raw in data["latex"]:
        canon = canonicalize(raw)
        backslash += "\\" in canon
        variants = [raw.replace("\\", ""), raw.replace("$", ""), mojibake(raw), mojibake(canon)]
        agree_all += all(nows(canonicalize(v)) == nows(canon) for v in variants)
    n = len(data["latex"])
    rows.append((f"{n} real abstracts: raw/stripped/$-less/mojibaked agree", f"{100 * agree_all / n:.1f}%"))
    rows.append(("... a backslash left in canonicalize(raw)", f"{100 * backslash / n:.1f}%"))
    changed = sum(nows(canonicalize(s)) != nows(s) for s in data["prose"])
    rows.append(("clean prose sentences changed", f"{changed}/{len(data['prose'])}"))
    return rows


def outputs(data: dict[str, list], path: Path) -> int:
    """Write the outputs of every text and variant to `path`, or compare with the ones it holds."""
    texts: dict[str, None] = {}
    for text in [*data["latex"], *data["plain"], *data["prose"], *(c["original"] for c in data["ftfy"]),
                 *(c["latex"] for c in data["pylatexenc"] if c["latex"].strip())]:
        canon = canonicalize(text)
        for variant in (text, text.replace("\\", ""), text.replace("$", ""), mojibake(text), canon, mojibake(canon)):
            texts.setdefault(variant)
    got = {text: [out, list(repairs)] for text in texts for out, repairs in [canonicalize_with_repairs(text)]}
    if not path.exists():
        path.write_text(json.dumps(got, ensure_ascii=False), encoding="utf-8")
        print(f"wrote the outputs of {len(got)} texts to {path}")
        return 0
    want = json.loads(path.read_text(encoding="utf-8"))
    differ = [text for text in want if got.get(text, want[text]) != want[text]]
    for text in differ[:10]:
        print(f"DIFFERS: {text[:100]!r}\n  was {want[text]!r:.200}\n  now {got[text]!r:.200}")
    print(f"outputs compared on {len(set(want) & set(got))} texts: {len(differ)} differ")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "shared" / "peer-data",
                        help="the peer material (default: ../shared/peer-data beside the checkout)")
    parser.add_argument("--outputs", type=Path, default=None,
                        help="write every output to this file, or compare with it if it exists (no timing)")
    args = parser.parse_args()
    if not args.peer.is_dir():
        parser.error(f"{args.peer}: peer material not found (pass --peer)")
    data = load(args.peer)
    if args.outputs:
        raise SystemExit(outputs(data, args.outputs))
    canonicalize("$\\frac{1}{2}$")  # loads pylatexenc's tables: once per process, not per text
    (first,) = speed([canonicalize], data["latex"], 1)  # before any cache holds a span
    moji = [m for m in (mojibake(canonicalize(t)) for t in data["latex"]) if not m.isascii()]
    samples = {
        "clean prose (docs + plain abstracts)": data["prose"] + data["plain"],
        "real abstracts with LaTeX": data["latex"],
        "mojibaked abstracts": moji,
    }
    print(f"Speed: MB/s of UTF-8 input, CPU time, best of {args.repeat}; ftfy {ftfy.__version__}")
    print(f"{'sample':<38} {'texts':>6} {'ftfy MB/s':>10} {'canon MB/s':>11} {'ratio':>6} {'+key MB/s':>10}")
    ftfy_rates = {}
    for name, texts in samples.items():
        ftfy_rate, ours, key = speed([ftfy.fix_text, canonicalize, dedup_key], texts, args.repeat)
        ftfy_rates[name] = ftfy_rate
        print(f"{name:<38} {len(texts):>6} {ftfy_rate:>10.2f} {ours:>11.2f} {ours / ftfy_rate:>5.1f}x {key:>10.2f}")
    # ftfy keeps no cache: its best of the repeats above is its speed on a first pass too
    name, ftfy_rate = "... first pass (no span cached yet)", ftfy_rates["real abstracts with LaTeX"]
    print(f"{name:<38} {len(data['latex']):>6} {ftfy_rate:>10.2f} {first:>11.2f} {first / ftfy_rate:>5.1f}x")
    print()
    print("Accuracy on other projects' test material")
    for label, value in accuracy(data):
        print(f"  {label:<58} {value}")


if __name__ == "__main__":
    main()
