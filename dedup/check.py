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
from .errors import UsageError

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


def corpus_ids(against: str) -> dict[int, str]:
    """The ``id`` of every record of a corpus written by ``dedup run``, by line number. Anything else
    (a dump, a report, a corpus with a line that is not a record) is a :class:`~dedup.errors.UsageError`
    naming the line, raised before any work."""
    from .read import display_path

    shown = display_path(against)
    hint = "--against takes a corpus.jsonl written by 'dedup run'"
    ids: dict[int, str] = {}
    try:
        with open(against, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except (ValueError, RecursionError):
                    raise UsageError("not a dedup corpus: this line is not JSON", path=shown, line=n,
                                     hint=hint) from None
                if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "sources" not in obj:
                    raise UsageError("not a dedup corpus: this line is not a corpus record (no id and sources)",
                                     path=shown, line=n, hint=hint)
                ids[n] = obj["id"]
    except FileNotFoundError:
        raise UsageError("no such corpus", path=shown, hint=hint) from None
    except IsADirectoryError:
        raise UsageError("a folder, not a corpus", path=shown, hint=hint) from None
    except OSError as exc:
        raise UsageError(f"cannot read the corpus: {exc.strerror}", path=shown, hint=hint) from None
    if not ids:
        raise UsageError("not a dedup corpus: it holds no records", path=shown, hint=hint)
    return ids


def check(inputs: Sequence[str], against: str | None = None, config: Config | None = None,
          quiet: bool = True, skip_unreadable: bool = False,
          index: str | None = None) -> tuple[list[Finding], dict[str, Any]]:
    """Findings over ``inputs`` (sorted by file and line) and a summary. Progress bars on stderr unless
    ``quiet`` (and only when stderr is a terminal). ``skip_unreadable``: a file or folder that cannot be
    read is an ``error`` finding (``unreadable file: …``) instead of stopping the check. With ``index``,
    records already in the index's corpus are found from the index (:func:`dedup.index.check_index`), with
    the parameters it was built with."""
    if index is not None:
        from .index import check_index

        return check_index(inputs, index, skip_unreadable=skip_unreadable)
    config = config or Config()
    from .cluster import find_clusters
    from .pipeline import Engine, concat_parts, interrupts, prepare_all, unreadable_part
    from .read import print_skipped, scan_inputs

    ids = corpus_ids(against) if against else {}
    with interrupts():
        scan = scan_inputs(inputs, skip_unreadable=skip_unreadable)
        print_skipped(scan)
        files = scan.files
        known = [against] if against else []
        findings: list[Finding] = []
        with tempfile.TemporaryDirectory(prefix="dedup-check-") as tmp, \
                Engine(config.engine, config.workers or 1) as engine:
            parts = prepare_all([*files, *known], config, engine, tmp, quiet, skip_unreadable)
            parts[len(files):len(files)] = [unreadable_part(err.path or "?", err, config) for err in scan.unreadable]
            files = files + [err.path or "?" for err in scan.unreadable]
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
            for i in range(n_new, len(labels)):  # the corpus's records, by the line they were read from
                corpus_of.setdefault(int(labels[i]), ids.get(where[i][1], "?"))
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
                                        f"may be the same paper as {other} ({rule}): not merged, a person should "
                                        "decide"))
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


def gh_data(text: str) -> str:
    """The message of a GitHub workflow command, escaped as GitHub's runner unescapes it: ``%``, CR and LF
    (a newline in a scraped title must not start a command of its own).

    >>> gh_data("50% done\\n::add-mask::x")
    '50%25 done%0A::add-mask::x'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """A property value (``file=``, ``title=``) of a GitHub workflow command: as :func:`gh_data`, plus ``:``
    and ``,``, which would end the value.

    >>> gh_property("a,b::c.txt")
    'a%2Cb%3A%3Ac.txt'
    """
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def format_findings(findings: Sequence[Finding], summary: dict[str, Any], fmt: str) -> str:
    """Findings as ``text`` (``path:line: level: message``), ``json`` or ``github`` workflow commands.

    >>> print(format_findings([Finding("a.txt", 3, "error", "reject", "title with no abstract")], {}, "github"))
    ::error file=a.txt,line=3,title=dedup reject::title with no abstract
    """
    if fmt == "json":
        return json.dumps({"summary": summary, "findings": [f.to_dict() for f in findings]}, indent=1,
                          ensure_ascii=False)
    if fmt == "github":
        return "\n".join(f"::{f.level} file={gh_property(f.file)},line={f.line},title={gh_property('dedup ' + f.code)}"
                         f"::{gh_data(f.message)}" for f in findings)
    lines = [f"{f.file}:{f.line}: {f.level}: {f.message} [{f.code}]" for f in findings]
    if summary:
        lv = summary["by_level"]
        lines.append(f"{summary['records']} records in {summary['files']} files: {lv['error']} errors, "
                     f"{lv['warning']} warnings, {lv['notice']} notices")
    return "\n".join(lines)
