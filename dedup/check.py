"""``dedup check``: the reader, canonicalizer and clusterer run over new dumps as a CI gate.

Findings, each with a level:

* ``error``: a record the reader had to reject (``title with no abstract``, ``malformed JSON`` …);
* ``warning``: a one-line record whose title/abstract split is uncertain;
* ``notice``: a truncated abstract; a record that repeats another input record; a record already in
  the ``--against`` corpus (with its id).

Exit code 0 when no finding reaches ``--fail-on`` (default ``warning``), 1 when one does, 2 when an
input cannot be read at all (as everywhere in dedup).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .config import Config

LEVELS = ("notice", "warning", "error")


@dataclass(frozen=True, order=True)
class Finding:
    """One thing ``check`` found, at ``file:line``."""

    file: str
    line: int
    level: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(inputs: Sequence[str], against: str | None = None, config: Config | None = None,
          quiet: bool = True) -> tuple[list[Finding], dict[str, Any]]:
    """Findings over ``inputs`` (sorted by file and line) and a summary."""
    config = config or Config()
    from .cluster import find_clusters
    from .pipeline import Engine, concat_parts, prepare_all
    from .read import find_files

    files = find_files(inputs)
    known = [against] if against else []
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="dedup-check-") as tmp, \
            Engine(config.engine, config.workers or 1) as engine:
        parts = prepare_all([*files, *known], config, engine, tmp, quiet)
        ids: list[str] = []
        if against:
            with open(against, encoding="utf-8") as fh:
                ids = [json.loads(line).get("id", "?") for line in fh if line.strip()]
        feats = concat_parts(parts)
        clusters = find_clusters(feats, config)
        truncated = feats["truncated"]
        where: list[tuple[str, int]] = []
        for p in parts:
            where.extend((p.path, int(ln)) for ln in p.lines.tolist())
        n_new = sum(len(p) for p in parts[: len(files)])
        labels = clusters.labels
        first_of: dict[int, int] = {}
        corpus_of: dict[int, str] = {}
        for i in range(len(labels)):
            lab = int(labels[i])
            if i >= n_new:
                corpus_of.setdefault(lab, ids[i - n_new] if i - n_new < len(ids) else "?")
        for i in range(n_new):
            lab = int(labels[i])
            path, line = where[i]
            if lab in corpus_of:
                findings.append(Finding(path, line, "notice", "known",
                                        f"already in {against} as {corpus_of[lab]}"))
            elif lab in first_of:
                f, ln = where[first_of[lab]]
                findings.append(Finding(path, line, "notice", "duplicate", f"same paper as {f}:{ln}"))
            else:
                first_of[lab] = i
            if truncated[i]:
                findings.append(Finding(path, line, "notice", "truncated", "abstract cut by the listing page"))
        for (a, b), rule in zip(clusters.uncertain.tolist(), clusters.uncertain_rule, strict=True):
            if a >= n_new and b >= n_new:
                continue  # both in the corpus: not this dump's business
            if a >= n_new:
                a, b = b, a
            other = (f"{against} as {corpus_of.get(int(labels[b]), '?')}" if b >= n_new
                     else f"{where[b][0]}:{where[b][1]}")
            path, line = where[a]
            findings.append(Finding(path, line, "warning", "uncertain",
                                    f"may be the same paper as {other} ({rule}): not merged, a person should decide"))
        for p in parts[: len(files)]:
            for r in p.rejects:
                findings.append(Finding(r.file, r.line, "error", "reject", r.reason))
            _uncertain(p, findings)
    findings.sort()
    summary = {
        "files": len(files),
        "records": n_new,
        "papers": len(first_of),
        "known": sum(1 for f in findings if f.code == "known"),
        "by_level": {lvl: sum(1 for f in findings if f.level == lvl) for lvl in LEVELS},
    }
    return findings, summary


def _uncertain(p: Any, findings: list[Finding]) -> None:
    from .merge import read_rows

    if p.layout != "oneline":
        return
    handles: dict[str, Any] = {}
    try:
        for off in p.offsets.tolist():
            (row,) = read_rows([(p.spill, off)], handles)
            if "uncertain-split" in row["quality"]:
                findings.append(Finding(row["file"], row["line"], "warning", "uncertain-split",
                                        f"title/abstract boundary is a guess: title read as {row['title']!r}"))
    finally:
        for fh in handles.values():
            fh.close()


def fails(findings: Sequence[Finding], fail_on: str) -> bool:
    """Whether any finding is at or above ``fail_on``.

    >>> fails([Finding("a", 1, "notice", "truncated", "")], "warning")
    False
    """
    bar = LEVELS.index(fail_on)
    return any(LEVELS.index(f.level) >= bar for f in findings)


def format_findings(findings: Sequence[Finding], summary: dict[str, Any], fmt: str) -> str:
    """Findings as ``text`` (``path:line: level: message``), ``json`` or ``github`` workflow commands.

    >>> print(format_findings([Finding("a.txt", 3, "error", "reject", "title with no abstract")], {}, "github"))
    ::error file=a.txt,line=3,title=dedup reject::title with no abstract
    """
    if fmt == "json":
        return json.dumps({"summary": summary, "findings": [f.to_dict() for f in findings]}, indent=1,
                          ensure_ascii=False)
    if fmt == "github":
        return "\n".join(f"::{f.level} file={f.file},line={f.line},title=dedup {f.code}::{f.message}"
                         for f in findings)
    lines = [f"{f.file}:{f.line}: {f.level}: {f.message} [{f.code}]" for f in findings]
    if summary:
        lv = summary["by_level"]
        lines.append(f"{summary['records']} records in {summary['files']} files: {lv['error']} errors, "
                     f"{lv['warning']} warnings, {lv['notice']} notices")
    return "\n".join(lines)
