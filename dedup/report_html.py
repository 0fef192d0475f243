"""``corpus.report.html``: the provenance report for people, one self-contained file.

``render_html(report)`` turns the ``dedup-report/1`` dict (see ``report.schema.json``) into a single HTML
page that works opened from disk: all CSS and JS inline, the charts inline SVG, nothing fetched (a
Content-Security-Policy forbids any load and allows only this page's own style and script, by hash).
Every string from the data is scraped text and treated as hostile: it is HTML-escaped, and the page
embeds no JSON.

The page answers "can I trust this corpus?": a summary with the accounting checks, per-file counts, a
dump-by-dump overlap heatmap, a histogram of the similarity scores that merged or nearly merged records
(with the threshold), every cluster with its copies side by side and the differences against the chosen
copy highlighted, the repairs with examples, quality flags and rejects.

The output is a pure function of the dict (same dict, same bytes) and stays usable for large reports:
clusters are listed weakest link first, only the first ``max_diff_clusters`` get their copies and diffs,
at most ``max_cluster_rows`` are listed at all, and long tables are capped; the page says when it caps.

>>> from dedup.report_html import render_html
>>> page = render_html({"schema": "dedup-report/1", "clusters": [], "config": {"threshold": 0.8}})
>>> page.startswith("<!DOCTYPE html>") and page.endswith("</html>\\n")
True
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from dedup.schema import check_accounting

__all__ = ["render_html"]

#: Clusters shown with their copies side by side and diffs (weakest link first).
MAX_DIFF_CLUSTERS = 500
#: Clusters listed at all; the rest are counted, and ``dedup explain ID`` shows any of them.
MAX_CLUSTER_ROWS = 5000
#: Rows of the near-miss, reject and quality-id lists.
MAX_TABLE_ROWS = 1000
#: Files drawn in the overlap heatmap (the first ones, in file order).
MAX_HEATMAP_FILES = 60
#: Histogram bins over [0, 1].
BINS = 20
#: Above this many words a diff uses difflib's autojunk heuristic (fast, a little coarser).
DIFF_AUTOJUNK_WORDS = 2000

MERGED_COLOR = "#2b6cb0"
NEAR_COLOR = "#dd6b20"
#: Colour class of each deciding rule (dedup.decide.RULES); others are grey.
RULE_CLASS = {"identifier": "exact", "identifier-alias": "exact", "abstract": "jaccard", "placed-abstract": "jaccard",
              "title+containment": "containment", "placed-title": "containment", "title+abstract": "title",
              "title": "title", "similar-title+metadata": "title", "short-title+metadata": "title"}


def esc(value: object) -> str:
    """HTML-escape any value for text or a quoted attribute.

    >>> esc('<script>alert("x")</script> & co')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
    """
    return html.escape(str(value), quote=True)


def fmt_int(n: object) -> str:
    """Thousands separators, locale-independent.

    >>> fmt_int(1234567)
    '1,234,567'
    """
    return f"{n:,}" if isinstance(n, int) else esc(n)


def fmt_score(x: object) -> str:
    """A score with three decimals.

    >>> fmt_score(0.87123), fmt_score(1)
    ('0.871', '1.000')
    """
    return f"{x:.3f}" if isinstance(x, int | float) else esc(x)


def fmt_bytes(n: int) -> str:
    """Bytes for people.

    >>> fmt_bytes(512), fmt_bytes(123456), fmt_bytes(3 * 2**30)
    ('512 B', '120.6 KiB', '3.0 GiB')
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def shorten(text: str, width: int) -> str:
    """Keep the end of a long path (the file name is the informative part).

    >>> shorten("a/very/long/path/name.txt", 16)
    '…/path/name.txt'
    >>> shorten("seeds/000_ae81a9df4d767699.txt", 16)
    '…9df4d767699.txt'
    >>> shorten("seeds/a.txt", 24)
    'seeds/a.txt'
    """
    if len(text) <= width:
        return text
    tail = text[-(width - 1):]
    if "/" in tail:
        tail = tail[tail.index("/"):]
    return "…" + tail


# ---------------------------------------------------------------------------------------------- diffs

_WORD = re.compile(r"\S+\s*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.strip())


def _opcodes(a: list[str], b: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    key_a = [w.rstrip() for w in a]
    key_b = [w.rstrip() for w in b]
    junk = max(len(a), len(b)) > DIFF_AUTOJUNK_WORDS
    return SequenceMatcher(None, key_a, key_b, autojunk=junk).get_opcodes()


def diff_inline(base: str, other: str) -> str:
    """``other`` as HTML with the words it adds to ``base`` in ``<ins>`` and the words of ``base`` it lacks
    in ``<del>`` (a word-level diff); all text escaped.

    >>> diff_inline("a fast <b> model", "a slow <b> model")
    'a <del>fast </del><ins>slow </ins>&lt;b&gt; model'
    >>> diff_inline("cut short here", "cut short")
    'cut short <del>here</del>'
    """
    if base == other:
        return esc(other)
    a, b = _words(base), _words(other)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            out.append(esc("".join(b[j1:j2])))
            continue
        if j1 and not b[j1 - 1][-1:].isspace():  # "…sparse" then a deleted tail: keep the words apart
            out.append(" ")
        if tag in ("delete", "replace"):
            out.append(f"<del>{esc(''.join(a[i1:i2]))}</del>")
        if tag in ("insert", "replace"):
            out.append(f"<ins>{esc(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def diff_sides(before: str, after: str) -> tuple[str, str]:
    """``before`` with its removed words in ``<del>`` and ``after`` with its new words in ``<ins>``.

    >>> diff_sides("6.1times smaller", "6.1× smaller")
    ('<del>6.1times </del>smaller', '<ins>6.1× </ins>smaller')
    """
    a, b = _words(before), _words(after)
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        old, new = esc("".join(a[i1:i2])), esc("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")
    return "".join(left), "".join(right)


# ---------------------------------------------------------------------------------------------- colours


def _mix(lo: str, hi: str, t: float) -> str:
    """Interpolate two ``#rrggbb`` colours.

    >>> _mix("#000000", "#ffffff", 0.5)
    '#808080'
    """
    t = min(max(t, 0.0), 1.0)
    a = [int(lo[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(hi[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def _ramp(t: float) -> str:
    """A light-to-dark blue ramp (three stops) for heatmap cells."""
    return _mix("#e6f0fa", "#6aa1d8", t / 0.5) if t < 0.5 else _mix("#6aa1d8", "#0b3c73", (t - 0.5) / 0.5)


def nice_step(top: int, ticks: int = 5) -> int:
    """An axis step of 1, 2 or 5 times a power of ten giving at most ``ticks`` ticks above zero.

    >>> nice_step(7), nice_step(48), nice_step(1234)
    (2, 10, 500)
    """
    if top <= ticks:
        return 1
    raw = top / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return next(int(m * mag) for m in (1, 2, 5, 10) if m * mag >= raw)


# ---------------------------------------------------------------------------------------------- charts


def heatmap_svg(files: Sequence[str], shared: Sequence[Sequence[int]]) -> str:
    """The dump-by-dump overlap as an SVG heatmap: one cell per pair of files, coloured by the number of
    corpus papers they share (off-diagonal cells on their own scale; the diagonal, each file's own papers,
    in a neutral colour), the count in the cell and a ``<title>`` tooltip."""
    n = len(files)
    if n == 0:
        return '<p class="muted">No files.</p>'
    cell = 56 if n <= 8 else 40 if n <= 16 else 28 if n <= 30 else 16
    labels = [f"{i}  {shorten(f, 40)}" for i, f in enumerate(files)]
    left = 16 + 7 * max(len(s) for s in labels)
    top = 28
    width, height = left + n * cell + 8, top + n * cell + 8
    off = [shared[i][j] for i in range(n) for j in range(n) if i != j]
    hi = max(off, default=0) or 1
    font = 12 if cell >= 28 else 9
    out = [f'<svg id="overlap-heatmap" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="overlap heatmap of {n} files">']
    for i in range(n):
        y = top + i * cell
        out.append(f'<text x="{left - 8}" y="{y + cell / 2 + 4:.0f}" text-anchor="end" font-size="12">'
                   f'<title>{esc(files[i])}</title>{esc(labels[i])}</text>')
        out.append(f'<text x="{left + i * cell + cell / 2:.0f}" y="{top - 10}" text-anchor="middle" '
                   f'font-size="12"><title>{esc(files[i])}</title>{i}</text>')
    for i in range(n):
        own = shared[i][i]
        for j in range(n):
            v = shared[i][j]
            x, y = left + j * cell, top + i * cell
            if i == j:
                fill, ink = "#efe7da", "#3b3024"
                tip = f"{files[i]}: {v} corpus papers have a source in this file"
            else:
                t = math.sqrt(v / hi) if v else 0.0
                fill = _ramp(t) if v else "#f6f7f9"
                ink = "#ffffff" if t > 0.6 else "#1a202c"
                pct_i = f"{100 * v / own:.0f}%" if own else "–"
                other = shared[j][j]
                pct_j = f"{100 * v / other:.0f}%" if other else "–"
                tip = (f"{files[i]} ∩ {files[j]}: {v} shared papers "
                       f"({pct_i} of {files[i]}, {pct_j} of {files[j]})")
            out.append(f'<g class="cell"><title>{esc(tip)}</title>'
                       f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" rx="3" fill="{fill}"/>')
            if cell >= 16:
                weight = ' font-weight="bold"' if i == j else ""
                out.append(f'<text x="{x + (cell - 2) / 2:.0f}" y="{y + (cell - 2) / 2 + font / 3:.0f}" '
                           f'text-anchor="middle" font-size="{font}" fill="{ink}"{weight}>{v}</text>')
            out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def histogram_svg(merged: Iterable[float], near: Iterable[float], threshold: float | None) -> str:
    """Stacked histogram of similarity scores on [0, 1]: pairs that merged (cluster edges) and pairs checked
    but not merged (near misses), with the threshold as a dashed line."""
    m_bins = [0] * BINS
    n_bins = [0] * BINS
    for bins, scores in ((m_bins, merged), (n_bins, near)):
        for s in scores:
            bins[min(max(int(s * BINS), 0), BINS - 1)] += 1
    top = max((a + b for a, b in zip(m_bins, n_bins, strict=True)), default=0)
    step = nice_step(max(top, 1))
    y_max = step * math.ceil(max(top, 1) / step)
    w, h, ml, mr, mt, mb = 600, 300, 48, 12, 52, 44
    pw, ph = w - ml - mr, h - mt - mb

    def x_of(v: float) -> float:
        return ml + v * pw

    def y_of(c: float) -> float:
        return mt + ph - c / y_max * ph

    out = [f'<svg id="score-histogram" class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" '
           f'height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="histogram of similarity scores">',
           f'<rect class="plot-bg" x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafbfc"/>']
    for c in range(0, y_max + 1, step):
        y = y_of(c)
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
                   f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{c}</text>')
    for k in range(11):
        x = x_of(k / 10)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{mt + ph}" y2="{mt + ph + 4}" stroke="#4a5568"/>'
                   f'<text x="{x:.1f}" y="{mt + ph + 17}" text-anchor="middle" font-size="11">'
                   f"{k / 10:.1f}</text>")
    bw = pw / BINS
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        x = x_of(lo) + 1
        base = 0
        stack = ((m_bins[b], MERGED_COLOR, "merged"), (n_bins[b], NEAR_COLOR, "not merged"))
        for count, color, what in stack:
            if not count:
                continue
            y0, y1 = y_of(base), y_of(base + count)
            out.append(f'<rect class="bar {what.replace(" ", "-")}" x="{x:.1f}" y="{y1:.1f}" '
                       f'width="{bw - 2:.1f}" height="{y0 - y1:.1f}" fill="{color}">'
                       f'<title>score {lo:.2f}–{hi:.2f}: {count} {what}</title></rect>')
            base += count
    out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{mt + ph}" y2="{mt + ph}" stroke="#4a5568"/>')
    if threshold is not None:
        x = x_of(threshold)
        out.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{mt - 6}" y2="{mt + ph}" '
                   f'stroke="#c53030" stroke-width="2" stroke-dasharray="6 4"/>'
                   f'<text x="{x - 4:.1f}" y="{mt - 9}" text-anchor="end" font-size="12" fill="#c53030">'
                   f'threshold {threshold:g}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{h - 8}" text-anchor="middle" font-size="12">similarity score'
               f'</text><text x="14" y="{mt + ph / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 14 {mt + ph / 2})">pairs</text>')
    lx = ml + 8
    for color, label in ((MERGED_COLOR, "merged (cluster edges)"), (NEAR_COLOR, "not merged (near misses)")):
        out.append(f'<rect x="{lx}" y="8" width="12" height="12" fill="{color}"/>'
                   f'<text x="{lx + 18}" y="18" font-size="12">{label}</text>')
        lx += 190
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------- sections


def _loc(file: str, line: int) -> str:
    return f"{file}:{line}"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """An HTML table; ``rows`` cells are already HTML."""
    c = f' class="{cls}"' if cls else ""
    out = [f"<table{c}><thead><tr>", *(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _capped(total: int, shown: int, what: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="note">Showing the first {fmt_int(shown)} of {fmt_int(total)} {what}; '
            "corpus.report.json has them all.</p>")


def _signal(sig: str) -> str:
    known = RULE_CLASS.get(sig, "other")
    return f'<span class="sig sig-{known}">{esc(sig)}</span>'


def _summary(report: dict[str, Any], problems: list[str]) -> str:
    totals = report.get("totals", {})
    corpus = report.get("corpus", {})
    papers = corpus.get("records", totals.get("kept", 0))
    cards = [("papers in the corpus", papers), ("records read", totals.get("read", 0)),
             ("copies merged away", totals.get("merged_away", 0)), ("rejected", totals.get("rejected", 0)),
             ("clusters (papers with 2+ copies)", totals.get("clusters", 0)),
             ("input files", totals.get("files", 0))]
    out = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    for label, value in cards:
        out.append(f'<div class="card"><div class="big">{fmt_int(value)}</div><div class="label">{esc(label)}'
                   "</div></div>")
    out.append("</div>")
    out.append(f"<p>{fmt_int(totals.get('read', 0))} records read from {fmt_int(totals.get('files', 0))} "
               f"file(s) became {fmt_int(papers)} papers: {fmt_int(totals.get('merged_away', 0))} copies "
               f"were merged into {fmt_int(totals.get('clusters', 0))} clusters and "
               f"{fmt_int(totals.get('rejected', 0))} records were rejected.</p>")
    if problems:
        out.append(f'<div class="check bad"><strong>Accounting checks: {len(problems)} problem(s).</strong> '
                   "The counts in this report do not add up; do not trust it until this is explained.<ul>")
        out += [f"<li>{esc(p)}</li>" for p in problems[:50]]
        if len(problems) > 50:
            out.append(f"<li>… and {len(problems) - 50} more</li>")
        out.append("</ul></div>")
    else:
        out.append('<div class="check good"><strong>Accounting checks pass:</strong> every record read '
                   "is kept, merged into a cluster or rejected, per file and in total; cluster sizes, the "
                   "overlap matrix and the corpus size agree.</div>")
    out.append('<div class="cols">')
    rows = [("path", f"<code>{esc(corpus.get('path', '?'))}</code>"),
            ("sha256", f'<code class="hash">{esc(corpus.get("sha256", "?"))}</code>'),
            ("records", fmt_int(corpus.get("records", "?"))),
            ("size", fmt_bytes(corpus["bytes"]) if isinstance(corpus.get("bytes"), int) else "?"),
            ("inputs", ", ".join(f"<code>{esc(i)}</code>" for i in report.get("inputs", [])))]
    out.append("<div><h3>Corpus</h3>" + _table(("", ""), rows, "kv") + "</div>")
    config = report.get("config", {})
    config_rows = ((f"<code>{esc(k)}</code>", esc(_json_scalar(v))) for k, v in config.items())
    out.append("<div><h3>Configuration</h3>" + _table(("", ""), config_rows, "kv") + "</div>")
    tool = report.get("tool", {})
    vers = [(esc(tool.get("name", "dedup")), esc(tool.get("version", "?")))]
    vers += [(esc(k), esc(v)) for k, v in sorted(report.get("versions", {}).items())]
    out.append("<div><h3>Versions</h3>" + _table(("", ""), vers, "kv") + "</div>")
    out.append("</div></section>")
    return "".join(out)


def _json_scalar(v: object) -> str:
    """Config values as JSON shows them (``null``, ``true``), not as Python does.

    >>> _json_scalar(None), _json_scalar(True), _json_scalar(0.8), _json_scalar("local"), _json_scalar({})
    ('null', 'true', '0.8', 'local', '{}')
    """
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def _files_section(report: dict[str, Any]) -> str:
    files = report.get("files", [])
    widest = max((f["read"] for f in files), default=0) or 1
    rows = []
    for f in files[:MAX_TABLE_ROWS]:
        bar = ['<svg class="bar" width="160" height="12" xmlns="http://www.w3.org/2000/svg">']
        x = 0.0
        for key, color in (("kept", "#38a169"), ("merged_away", MERGED_COLOR), ("rejected", "#e53e3e")):
            wid = 160 * f[key] / widest
            if wid:
                bar.append(f'<rect x="{x:.1f}" y="0" width="{wid:.1f}" height="12" fill="{color}">'
                           f"<title>{key.replace('_', ' ')}: {f[key]}</title></rect>")
            x += wid
        bar.append("</svg>")
        rows.append((f"<code>{esc(f['file'])}</code>", esc(f["layout"]), fmt_int(f["read"]),
                     fmt_int(f["kept"]), fmt_int(f["merged_away"]), fmt_int(f["rejected"]), "".join(bar)))
    legend = ('<p class="legend"><span class="sw kept"></span>kept <span class="sw merged"></span>merged '
              'away <span class="sw rejected"></span>rejected</p>')
    return ('<section id="files"><h2>Files</h2>'
            + _table(("file", "layout", "read", "kept", "merged away", "rejected", ""), rows, "num")
            + legend + _capped(len(files), min(len(files), MAX_TABLE_ROWS), "files") + "</section>")


def _overlap_section(report: dict[str, Any]) -> str:
    overlap = report.get("overlap", {"files": [], "pairs": []})
    files = overlap.get("files", [])
    n = min(len(files), MAX_HEATMAP_FILES)
    shared = [[0] * n for _ in range(n)]
    for i, j, count in overlap.get("pairs", []):
        if i < n and j < n:
            shared[i][j] = shared[j][i] = count
    svg = heatmap_svg(files[:n], shared)
    note = _capped(len(files), n, "files in the heatmap")
    return ('<section id="overlap"><h2>Overlap between dumps</h2><p>Each cell counts the corpus papers '
            "that have a copy in both dumps; the diagonal (beige) counts the papers with a copy in that "
            "dump. Hover a cell for the file names and shares.</p>"
            f'<div class="fig">{svg}</div>{note}</section>')


def _scores_section(report: dict[str, Any], merged_scores: Sequence[float] | None = None,
                    merged_signals: Sequence[str] | None = None) -> str:
    clusters = report.get("clusters", [])
    near = report.get("near_misses", [])
    merged = list(merged_scores) if merged_scores is not None else [
        e["score"] for c in clusters for e in c.get("edges", [])]
    near_scores = [e["score"] for e in near]
    config = report.get("config", {})
    threshold = config.get("threshold")
    svg = histogram_svg(merged, near_scores, threshold if isinstance(threshold, int | float) else None)
    by_signal: Counter[str] = Counter(merged_signals if merged_signals is not None else (
        e["rule"] for c in clusters for e in c.get("edges", [])))
    counts = ", ".join(f"{_signal(s)} {fmt_int(n)}" for s, n in sorted(by_signal.items())) or "none"
    others = "; ".join(f"{k} {esc(config[k])}" for k in ("containment", "title_jaccard") if k in config)
    return ('<section id="scores"><h2>Similarity scores</h2>'
            f"<p>Scores of the {fmt_int(len(merged))} pairs that merged (cluster edges: {counts}) and of "
            f"the {fmt_int(len(near_scores))} candidate pairs checked and not merged (near misses, as capped "
            "in the report). Merges far from the threshold are safe; the ones just above it and the near "
            "misses just below it are worth a look."
            + (f" Other rules have their own cut-offs ({others})." if others else "")
            + f'</p><div class="fig">{svg}</div></section>')


def _min_score(cluster: dict[str, Any]) -> float:
    return min((e["score"] for e in cluster.get("edges", [])), default=1.0)


def _cluster_summary(c: dict[str, Any], weakest: float) -> str:
    sigs = Counter(e["rule"] for e in c.get("edges", []))
    badges = " ".join(_signal(s) + (f" ×{n}" if n > 1 else "") for s, n in sorted(sigs.items()))
    return (f'<summary><span class="c-title">{esc(c["title"])}</span><span class="c-size">{c["size"]}</span>'
            f'<span class="c-sig">{badges}</span><span class="c-score">{fmt_score(weakest)}</span>'
            f'<code class="c-id">{esc(c["id"])}</code></summary>')


def _edges_table(c: dict[str, Any]) -> str:
    rows = [(f"<code>{esc(e['a'])}</code>", f"<code>{esc(e['b'])}</code>", _signal(e["rule"]),
             fmt_score(e["score"])) for e in c.get("edges", [])]
    return _table(("copy", "copy", "signal", "score"), rows, "edges")


def _cluster_body(c: dict[str, Any], full: bool) -> str:
    chosen = (c["chosen"]["file"], c["chosen"]["line"])
    out = [f'<div class="c-body"><p class="chosen-line">Chosen copy: <code>{esc(_loc(*chosen))}</code> — '
           f'{esc(c["chosen"]["reason"])}</p>']
    members = c["members"]
    if full and all("abstract" in m and "title" in m for m in members):
        base = next((m for m in members if (m["file"], m["line"]) == chosen), members[0])
        ordered = [base] + [m for m in members if m is not base]
        out.append('<div class="copies">')
        for m in ordered:
            is_chosen = m is base
            same = not is_chosen and m["title"] == base["title"] and m["abstract"] == base["abstract"]
            flags = []
            if is_chosen:
                flags.append('<span class="flag chosen">chosen</span>')
            elif same:
                flags.append('<span class="flag same">identical to chosen</span>')
            if m.get("truncated"):
                flags.append('<span class="flag warn">truncated</span>')
            flags += [f'<span class="flag repair">{esc(r)}</span>' for r in m.get("repairs", [])]
            title = esc(m["title"]) if is_chosen else diff_inline(base["title"], m["title"])
            abstract = esc(m["abstract"]) if is_chosen else diff_inline(base["abstract"], m["abstract"])
            cls = "copy chosen" if is_chosen else "copy same" if same else "copy"
            out.append(f'<article class="{cls}"><header><code>{esc(_loc(m["file"], m["line"]))}</code> '
                       f'<span class="layout">[{esc(m["layout"])}]</span> {" ".join(flags)}</header>'
                       f'<h4>{title}</h4><p class="abstract">{abstract}</p></article>')
        out.append("</div>")
    else:
        rows = [(f"<code>{esc(_loc(m['file'], m['line']))}</code>", esc(m["layout"]), esc(m.get("title", "—")),
                 "chosen" if (m["file"], m["line"]) == chosen else "") for m in members]
        out.append(_table(("copy", "layout", "title", ""), rows, "members"))
        out.append('<p class="note">Copies not rendered here (only the first clusters listed are); '
                   f"<code>dedup explain CORPUS {esc(c['id'])}</code> shows this one.</p>")
    out.append(_edges_table(c))
    out.append("</div>")
    return "".join(out)


def _clusters_section(report: dict[str, Any], max_diff: int, max_rows: int, total: int | None = None) -> str:
    clusters = report.get("clusters", [])
    total = len(clusters) if total is None else total
    keyed = sorted(((_min_score(c), c["id"], c) for c in clusters), key=lambda t: (t[0], t[1]))
    shown = keyed[:max_rows]
    out = ['<section id="clusters"><h2>Clusters</h2>',
           f"<p>{fmt_int(total)} papers have two or more copies. They are listed weakest link first: "
           "the score is the lowest of the similarities that joined the cluster. Open one to see its copies "
           "side by side, with the differences against the chosen copy marked "
           "(<ins>only in this copy</ins>, <del>only in the chosen copy</del>).</p>"]
    if len(clusters) > max_diff:
        out.append(f'<p class="note">Copies and diffs are rendered for the first {fmt_int(max_diff)} '
                   "clusters in this order; the others list their members and edges only.</p>")
    out.append(_capped(total, len(shown), "clusters"))
    out.append('<div class="toolbar"><input id="cluster-filter" type="search" '
               'placeholder="filter by title, file or id" aria-label="filter clusters">'
               '<button type="button" data-sort="weakest" class="on">weakest first</button>'
               '<button type="button" data-sort="size">largest first</button>'
               '<button type="button" data-sort="id">by id</button>'
               '<button type="button" id="expand-all">open all</button>'
               '<button type="button" id="collapse-all">close all</button>'
               '<span id="cluster-count" class="muted"></span></div>')
    out.append('<div class="c-head"><span></span><span>title</span><span>copies</span><span>signals</span>'
               '<span>weakest</span><span>id</span></div><div id="cluster-list">')
    for rank, (weakest, cid, c) in enumerate(shown):
        search = " ".join([c["title"], cid, *(m["file"] for m in c["members"])]).lower()
        out.append(f'<details class="cluster" id="{esc(cid)}" data-rank="{rank}" data-size="{c["size"]}" '
                   f'data-id="{esc(cid)}" data-search="{esc(search)}">')
        out.append(_cluster_summary(c, weakest))
        out.append(_cluster_body(c, rank < max_diff))
        out.append("</details>")
    if not clusters:
        out.append('<p class="muted">No duplicates were found.</p>')
    out.append("</div></section>")
    return "".join(out)


def _uncertain_section(report: dict[str, Any]) -> str:
    pairs = report.get("uncertain", [])
    total = report.get("totals", {}).get("uncertain", len(pairs))

    def evidence(e: dict[str, Any]) -> str:
        return ", ".join(f"{esc(k)} {v:g}" for k, v in (e.get("evidence") or {}).items())

    rows = [(f"<code>{esc(e['a'])}</code>", f"<code>{esc(e['b'])}</code>", _signal(e["rule"]), evidence(e))
            for e in pairs[:MAX_TABLE_ROWS]]
    body = _table(("copy", "copy", "rule", "evidence"), rows, "uncertain") if pairs else (
        '<p class="muted">No pair was left for a person to decide.</p>')
    return ('<section id="uncertain"><h2>Uncertain pairs</h2><p>Pairs with evidence both ways (or too little '
            "either way): not merged. A person should decide each; <code>dedup check</code> lists the ones a "
            f"new dump brings.</p>{body}{_capped(total, min(total, MAX_TABLE_ROWS), 'uncertain pairs')}"
            "</section>")


def _near_section(report: dict[str, Any]) -> str:
    near = report.get("near_misses", [])
    rows = [(f"<code>{esc(e['a'])}</code>", f"<code>{esc(e['b'])}</code>", _signal(e["rule"]),
             fmt_score(e["score"])) for e in near[:MAX_TABLE_ROWS]]
    body = _table(("copy", "copy", "signal", "score"), rows, "num") if near else (
        '<p class="muted">No candidate pair was rejected.</p>')
    return ('<section id="near-misses"><h2>Near misses</h2><p>Candidate pairs that were checked and not '
            "merged, highest score first. Pairs near the top that are the same paper mean the threshold is "
            f"too strict.</p>{body}{_capped(len(near), min(len(near), MAX_TABLE_ROWS), 'near misses')}"
            "</section>")


def _repairs_section(report: dict[str, Any]) -> str:
    repairs = report.get("repairs", {})
    out = ['<section id="repairs"><h2>Repairs</h2><p>Text repairs applied while canonicalizing, by rule, '
           "with examples (removed text <del>struck</del>, added text <ins>marked</ins>).</p>"]
    if not repairs:
        out.append('<p class="muted">No repairs were needed.</p>')
    summary = [(f"<code>{esc(rule)}</code>", fmt_int(r["count"])) for rule, r in sorted(repairs.items())]
    if summary:
        out.append(_table(("rule", "records"), summary, "num"))
    for rule, r in sorted(repairs.items()):
        out.append(f'<h3><code>{esc(rule)}</code> <span class="muted">× {fmt_int(r["count"])}</span></h3>')
        rows = []
        for ex in r.get("examples", []):
            before, after = diff_sides(ex["before"], ex["after"])
            rows.append((f"<code>{esc(_loc(ex['file'], ex['line']))}</code> {esc(ex['field'])}",
                         f'<span class="excerpt">{before}</span>', f'<span class="excerpt">{after}</span>'))
        if rows:
            out.append(_table(("where", "before", "after"), rows, "examples"))
    out.append("</section>")
    return "".join(out)


def _quality_section(report: dict[str, Any], cluster_ids: set[str]) -> str:
    quality = report.get("quality", {})
    out = ['<section id="quality"><h2>Quality flags</h2>']
    if not quality:
        out.append('<p class="muted">No paper was flagged.</p>')
    for flag, q in sorted(quality.items()):
        ids = q.get("ids", [])
        links = []
        for pid in ids[:MAX_TABLE_ROWS]:
            code = f"<code>{esc(pid)}</code>"
            links.append(f'<a href="#{esc(pid)}">{code}</a>' if pid in cluster_ids else code)
        more = f" … and {fmt_int(q['count'] - len(links))} more" if q["count"] > len(links) else ""
        out.append(f'<h3>{esc(flag)} <span class="muted">× {fmt_int(q["count"])}</span></h3>'
                   f'<p class="ids">{" ".join(links)}{more}</p>')
    out.append("</section>")
    return "".join(out)


def _rejects_section(report: dict[str, Any]) -> str:
    rejects = report.get("rejects", [])
    out = ['<section id="rejects"><h2>Rejects</h2>']
    if not rejects:
        out.append('<p class="muted">No record was rejected.</p></section>')
        return "".join(out)
    reasons = Counter(r["reason"] for r in rejects)
    by_count = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    out.append(_table(("reason", "records"), ((esc(k), fmt_int(v)) for k, v in by_count), "num"))
    rows = [(f"<code>{esc(_loc(r['file'], r['line']))}</code>", esc(r["reason"]),
             f'<span class="excerpt">{esc(r["excerpt"])}</span>') for r in rejects[:MAX_TABLE_ROWS]]
    out.append(_table(("where", "reason", "excerpt"), rows, "examples"))
    out.append(_capped(len(rejects), min(len(rejects), MAX_TABLE_ROWS), "rejects"))
    out.append("</section>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------- page

CSS = """
:root{--ink:#1a202c;--muted:#5a6478;--line:#e2e8f0;--bg:#f7f8fa;--accent:#2b6cb0}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
header.top{background:#1f2a44;color:#fff;padding:18px 32px}
header.top h1{margin:0;font-size:22px}
header.top p{margin:4px 0 0;color:#cbd5e0}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px}
nav a{color:var(--accent);text-decoration:none;margin-right:16px;font-weight:500}
main{max-width:1240px;margin:0 auto;padding:8px 24px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 20px 16px;margin:16px 0}
h2{font-size:18px;margin:12px 0 8px}
h3{font-size:15px;margin:16px 0 6px}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.hash{word-break:break-all}
.muted{color:var(--muted)}
.note{color:#744210;background:#fffbea;border-left:3px solid #d69e2e;padding:6px 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfd}
.card .big{font-size:26px;font-weight:650}
.card .label{color:var(--muted);font-size:12.5px}
.check{border-radius:6px;padding:8px 12px;margin:8px 0}
.check.good{background:#f0fff4;border:1px solid #9ae6b4}
.check.bad{background:#fff5f5;border:1px solid #feb2b2}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
table.kv td{padding:2px 10px}
th{color:var(--muted);font-weight:600;font-size:12px}
table.kv thead{display:none}
table.num td{font-variant-numeric:tabular-nums}
.fig{overflow-x:auto}
svg.chart{font-family:inherit;display:block;max-width:100%;height:auto}
.solo svg.chart{max-width:none}
.duo{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;margin:16px 0}
.duo>section{margin:0}
.legend .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
.sw.kept{background:#38a169}.sw.merged{background:#2b6cb0}.sw.rejected{background:#e53e3e}
.sig{display:inline-block;border-radius:10px;padding:0 7px;font-size:11.5px;font-weight:600;color:#fff}
.sig-exact{background:#2f855a}.sig-jaccard{background:#2b6cb0}.sig-containment{background:#6b46c1}
.sig-title{background:#b7791f}.sig-other{background:#4a5568}
.toolbar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:8px 0}
.toolbar input{flex:1 1 240px;padding:5px 8px;border:1px solid #cbd5e0;border-radius:5px;font:inherit}
.toolbar button{padding:4px 10px;border:1px solid #cbd5e0;border-radius:5px;background:#fff;font:inherit;
cursor:pointer}
.toolbar button.on{background:#ebf4ff;border-color:var(--accent)}
.c-head,details.cluster>summary{display:grid;grid-template-columns:18px minmax(0,1fr) 60px 190px 70px 150px;
gap:8px;align-items:center;padding:5px 8px}
.c-head{color:var(--muted);font-size:12px;font-weight:600;border-bottom:1px solid var(--line)}
details.cluster{border-bottom:1px solid var(--line)}
details.cluster>summary{cursor:pointer;list-style:none}
details.cluster>summary::-webkit-details-marker{display:none}
details.cluster>summary::before{content:"▸";color:var(--muted);grid-column:1}
details.cluster[open]>summary::before{content:"▾"}
details.cluster>summary:hover{background:#f5f8fc}
details.cluster[open]>summary{background:#ebf4ff}
.c-title{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-weight:500}
.c-size,.c-score{font-variant-numeric:tabular-nums}
.c-id{color:var(--muted);overflow:hidden;text-overflow:ellipsis}
.c-body{padding:6px 10px 14px 26px}
.copies{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:10px}
.copy{border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:#fff}
.copy.chosen{border:2px solid #38a169;background:#fbfffc}
.copy header{font-size:12px;color:var(--muted)}
.copy h4{margin:6px 0;font-size:14px}
.copy .abstract{margin:0;font-size:13px}
.copy.same .abstract{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:4;overflow:hidden;
color:var(--muted)}
.flag{display:inline-block;border-radius:4px;padding:0 5px;font-size:11px;margin-left:2px;border:1px solid}
.flag.chosen{color:#276749;border-color:#68d391;background:#f0fff4}
.flag.same{color:#2c5282;border-color:#90cdf4;background:#ebf8ff}
.flag.warn{color:#9c4221;border-color:#f6ad55;background:#fffaf0}
.flag.repair{color:#553c9a;border-color:#b794f4;background:#faf5ff}
ins{background:#c6f6d5;color:#22543d;text-decoration:none;border-radius:2px}
del{background:#fed7d7;color:#822727;border-radius:2px}
.excerpt{font-size:12.5px}
.ids code{margin-right:6px}
footer{color:var(--muted);text-align:center;font-size:12px;padding:12px}
"""

JS = """
(function () {
  "use strict";
  var list = document.getElementById("cluster-list");
  function openFromHash() {
    var id = "";
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    if (!id) { return; }
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openFromHash);
  if (!list) { return; }
  var items = Array.prototype.slice.call(list.querySelectorAll("details.cluster"));
  var filter = document.getElementById("cluster-filter");
  var count = document.getElementById("cluster-count");
  function showCount(n) { if (count) { count.textContent = n + " of " + items.length + " shown"; } }
  var keys = {
    weakest: function (a, b) { return a.dataset.rank - b.dataset.rank; },
    size: function (a, b) { return (b.dataset.size - a.dataset.size) || (a.dataset.rank - b.dataset.rank); },
    id: function (a, b) { return a.dataset.id < b.dataset.id ? -1 : a.dataset.id > b.dataset.id ? 1 : 0; }
  };
  Array.prototype.forEach.call(document.querySelectorAll("button[data-sort]"), function (btn) {
    btn.addEventListener("click", function () {
      var key = keys[btn.dataset.sort];
      if (!key) { return; }
      items.sort(key);
      var frag = document.createDocumentFragment();
      items.forEach(function (el) { frag.appendChild(el); });
      list.appendChild(frag);
      Array.prototype.forEach.call(document.querySelectorAll("button[data-sort]"), function (b) {
        b.classList.toggle("on", b === btn);
      });
    });
  });
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      var n = 0;
      items.forEach(function (el) {
        var hit = !q || (el.dataset.search || "").indexOf(q) !== -1;
        el.hidden = !hit;
        if (hit) { n += 1; }
      });
      showCount(n);
    });
  }
  function setAll(open) {
    items.forEach(function (el) { if (!el.hidden) { el.open = open; } });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  showCount(items.length);
  openFromHash();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@dataclass(frozen=True)
class LargeReport:
    """What the page needs of a report whose clusters are not all in memory."""

    #: every cluster's count (the JSON lists them all)
    clusters_total: int
    #: the score and signal of every edge that merged two copies, for the histogram
    merged_scores: Sequence[float]
    merged_signals: Sequence[str]
    #: accounting problems found by the caller (``check_accounting`` on what it could hold)
    accounting: Sequence[str] = ()


def render_html(report: dict[str, Any], *, max_diff_clusters: int = MAX_DIFF_CLUSTERS,
                max_cluster_rows: int = MAX_CLUSTER_ROWS, large: LargeReport | None = None) -> str:
    """The report as one self-contained HTML page (a ``str``; write it as UTF-8).

    Args:
        report: a ``dedup-report/1`` dict with the schema's shape (see ``report.schema.json``); one whose
            counts do not add up still renders, with the accounting problems at the top of the page.
        max_diff_clusters: clusters rendered with their copies side by side and word diffs.
        max_cluster_rows: clusters listed at all (members and edges only past ``max_diff_clusters``).
        large: for a report too big to hold in memory, ``report["clusters"]`` holds only the clusters to
            list (the weakest-linked) and ``large`` what the page needs of all the others.

    Returns:
        The page; the same dict gives the same string.
    """
    corpus = report.get("corpus", {})
    tool = report.get("tool", {})
    try:
        if large is not None:
            problems = list(large.accounting)
        else:
            problems = check_accounting(report) if "files" in report else []
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # a malformed report still renders
        problems = [f"the accounting could not be checked: {type(exc).__name__}: {exc}"]
    cluster_ids = {c["id"] for c in report.get("clusters", [])}
    # a small heatmap and the histogram fit side by side; a big heatmap gets the full width
    duo = "duo" if len(report.get("overlap", {}).get("files", [])) <= 8 else "solo"
    csp = ("default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
           f"style-src {_csp_hash(CSS)}; script-src {_csp_hash(JS)}")
    sections = [
        _summary(report, problems),
        _files_section(report),
        f'<div class="{duo}">{_overlap_section(report)}'
        f'{_scores_section(report, large.merged_scores if large else None, large.merged_signals if large else None)}'
        "</div>",
        _clusters_section(report, max_diff_clusters, max_cluster_rows, large.clusters_total if large else None),
        _uncertain_section(report),
        _near_section(report),
        _repairs_section(report),
        _quality_section(report, cluster_ids),
        _rejects_section(report),
    ]
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("summary", "Summary"), ("files", "Files"), ("overlap", "Overlap"), ("scores", "Scores"),
        ("clusters", "Clusters"), ("near-misses", "Near misses"), ("repairs", "Repairs"),
        ("quality", "Quality"), ("rejects", "Rejects")))
    title = f"dedup report — {corpus.get('path', 'corpus')}"
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f'<header class="top"><h1>{esc(title)}</h1><p>{esc(tool.get("name", "dedup"))} '
        f'{esc(tool.get("version", ""))} · {esc(report.get("schema", ""))} · sha256 '
        f'<code>{esc(corpus.get("sha256", "?"))}</code></p></header>',
        f"<nav>{nav}</nav><main>",
        *sections,
        "</main><footer>Generated by dedup from the report JSON beside this file. "
        "<code>dedup explain CORPUS ID</code> explains any paper in a terminal.</footer>",
        f"<script>{JS}</script></body></html>\n",
    ])
