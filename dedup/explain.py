"""``dedup explain corpus.jsonl ID``: why one corpus paper looks the way it does, as terminal text.

``explain(report, paper_id, record)`` reads the ``dedup-report/1`` dict: for a paper with two or more
sources, its cluster (every copy as ``file:line [layout]`` with its title, the chosen copy and why, the
edges that joined them with signal and score, repairs, flags); for a paper with one source (not in the
report's clusters) the corpus line the CLI passes in as ``record``. Scraped text is made safe for a
terminal: control characters (ANSI escapes!) and bidi overrides are shown escaped, never sent raw.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["UnknownPaperError", "explain"]

#: For each signal, the config key of the cut-off it is compared with.
CUTOFF = {"abstract": "threshold", "title+containment": "containment", "title+abstract": "title_jaccard",
          "no-evidence": "threshold"}
#: Near misses listed per paper.
MAX_NEAR = 5

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class UnknownPaperError(KeyError):
    """No paper with this id in the report (nor a matching corpus record); a ``KeyError`` whose ``str``
    is the plain message (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0])


def safe(text: object) -> str:
    """Text with control characters and bidi overrides escaped, and on one line.

    >>> safe("evil\\x1b[2Jtitle\\u202e")
    'evil\\\\x1b[2Jtitle\\\\u202e'
    >>> safe("two\\nlines\\tok")
    'two lines ok'
    """
    s = re.sub(r"[\n\t\r]+", " ", str(text))
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


def _cutoff(report: dict[str, Any], signal: str) -> str:
    key = CUTOFF.get(signal)
    value = report.get("config", {}).get(key) if key else None
    return f" (cut-off {key} {value:g})" if isinstance(value, int | float) else ""


def _edge_line(report: dict[str, Any], e: dict[str, Any]) -> str:
    cutoff = _cutoff(report, e["rule"])
    line = f"  {safe(e['a'])}  <->  {safe(e['b'])}   {safe(e['rule'])}: {safe(e['signal'])} {e['score']:.3f}{cutoff}"
    evidence = e.get("evidence") or {}
    if evidence:
        line += "\n      evidence: " + ", ".join(f"{safe(k)} {v:g}" for k, v in evidence.items())
    return line


def _flags(report: dict[str, Any], paper_id: str) -> list[str]:
    return [flag for flag, q in sorted(report.get("quality", {}).items()) if paper_id in q.get("ids", ())]


def _near(report: dict[str, Any], locations: set[str]) -> list[str]:
    return (_listed(report, locations, "uncertain", "Not merged, for a person to decide (uncertain):")
            + _listed(report, locations, "near_misses", "Checked and not merged (near misses):"))


def _listed(report: dict[str, Any], locations: set[str], key: str, heading: str) -> list[str]:
    hits = [e for e in report.get(key, []) if e["a"] in locations or e["b"] in locations]
    if not hits:
        return []
    lines = [heading]
    lines += [_edge_line(report, e) for e in hits[:MAX_NEAR]]
    if len(hits) > MAX_NEAR:
        lines.append(f"  … and {len(hits) - MAX_NEAR} more")
    return lines


def _find_cluster(report: dict[str, Any], paper_id: str) -> dict[str, Any] | None:
    for c in report.get("clusters", []):
        if c["id"] == paper_id:
            cluster: dict[str, Any] = c
            return cluster
    return None


def _explain_cluster(report: dict[str, Any], c: dict[str, Any]) -> str:
    chosen = (c["chosen"]["file"], c["chosen"]["line"])
    lines = [f"{safe(c['id'])}  {safe(c['title'])}",
             f"{c['size']} copies merged into this paper:"]
    for m in c["members"]:
        is_chosen = (m["file"], m["line"]) == chosen
        mark = "*" if is_chosen else " "
        lines.append(f"  {mark} {safe(m['file'])}:{m['line']} [{safe(m['layout'])}]  {safe(m.get('title', ''))}")
        notes = []
        if is_chosen:
            notes.append(f"chosen: {safe(c['chosen']['reason'])}")
        if m.get("repairs"):
            notes.append("repairs: " + ", ".join(safe(r) for r in m["repairs"]))
        if m.get("truncated"):
            notes.append("truncated")
        lines += [f"      {note}" for note in notes]
    lines.append("Why they merged:")
    lines += [_edge_line(report, e) for e in c.get("edges", [])]
    repairs = sorted({r for m in c["members"] for r in m.get("repairs", [])})
    lines.append("Repairs: " + (", ".join(safe(r) for r in repairs) if repairs else "none"))
    flags = _flags(report, c["id"])
    lines.append("Quality flags: " + (", ".join(safe(f) for f in flags) if flags else "none"))
    lines += _near(report, {f"{m['file']}:{m['line']}" for m in c["members"]})
    return "\n".join(lines) + "\n"


def _explain_record(report: dict[str, Any], record: dict[str, Any]) -> str:
    sources = record.get("sources", [])
    lines = [f"{safe(record['id'])}  {safe(record.get('title', ''))}"]
    if len(sources) == 1:
        s = sources[0]
        lines.append(f"1 source, no duplicates: {safe(s['file'])}:{s['line']} [{safe(s['layout'])}]")
    else:
        lines.append(f"{len(sources)} sources, but the report lists no cluster for this id (report and "
                     "corpus from different runs?):")
        lines += [f"    {safe(s['file'])}:{s['line']} [{safe(s['layout'])}]" for s in sources]
    repairs = record.get("repairs", [])
    lines.append("Repairs: " + (", ".join(safe(r) for r in repairs) if repairs else "none"))
    flags = record.get("quality") or _flags(report, record["id"])
    lines.append("Quality flags: " + (", ".join(safe(f) for f in flags) if flags else "none"))
    lines += _near(report, {f"{s['file']}:{s['line']}" for s in sources})
    return "\n".join(lines) + "\n"


def explain(report: dict[str, Any], paper_id: str, record: dict[str, Any] | None = None) -> str:
    """What the report knows about one corpus paper, as plain text for a terminal (ends with a newline).

    Args:
        report: the ``dedup-report/1`` dict beside the corpus.
        paper_id: the corpus record's ``id``.
        record: the corpus line with that id, if the caller has it (needed for papers with one source,
            which the report's clusters do not list).

    Raises:
        UnknownPaperError: (a ``KeyError``) the id is neither a cluster nor ``record``'s id; the message
            suggests ids that start with the one given.

    >>> record = {"id": "p1", "title": "T", "sources": [{"file": "a.txt", "line": 3, "layout": "cards"}],
    ...           "repairs": [], "quality": []}
    >>> print(explain({"clusters": []}, "p1", record), end="")
    p1  T
    1 source, no duplicates: a.txt:3 [cards]
    Repairs: none
    Quality flags: none
    """
    cluster = _find_cluster(report, paper_id)
    if cluster is not None:
        return _explain_cluster(report, cluster)
    if record is not None and record.get("id") == paper_id:
        return _explain_record(report, record)
    like = sorted(c["id"] for c in report.get("clusters", []) if c["id"].startswith(paper_id))[:5]
    hint = (" Did you mean " + ", ".join(like) + "?") if like and paper_id else (
        " Check the id against corpus.jsonl (ids are case-sensitive).")
    raise UnknownPaperError(
        f"no paper {paper_id!r} in this report: it is not one of its {len(report.get('clusters', []))} "
        f"clusters (papers with 2+ sources) and no corpus record with that id was given.{hint}")
