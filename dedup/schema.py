"""The report's contract: its JSON Schema (``report.schema.json``) and the accounting identities a schema
cannot express.

``validate_report`` needs ``jsonschema``, a *test* dependency: it is imported inside the function, so a
``dedup run`` never needs it. ``check_accounting`` is plain Python and runs anywhere.

>>> from dedup.schema import check_accounting
>>> check_accounting({"files": [{"file": "a.txt", "read": 3, "kept": 1, "merged_away": 1, "rejected": 0}]})
['files[a.txt]: read 3 != kept 1 + merged_away 1 + rejected 0 (= 2)']
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from importlib import resources
from itertools import combinations
from typing import Any

__all__ = ["ReportSchemaError", "check_accounting", "load_schema", "parse_location", "validate_report"]

SCHEMA_FILE = "report.schema.json"
#: The problems a ``ReportSchemaError`` message lists before it says "and N more".
MAX_LISTED = 10


class ReportSchemaError(ValueError):
    """A report does not match ``report.schema.json``; ``problems`` lists every violation found,
    each as ``path.in.report: what is wrong``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_LISTED]
        more = len(problems) - len(shown)
        lines = [f"report does not match the dedup-report/1 schema ({len(problems)} problem(s)):"]
        lines += [f"  {p}" for p in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))


@cache
def _schema_text() -> str:
    return resources.files("dedup").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), a fresh copy each call.

    >>> load_schema()["properties"]["schema"]
    {'const': 'dedup-report/1'}
    """
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def _json_path(path: Any) -> str:
    """``deque(['clusters', 0, 'edges'])`` -> ``report.clusters[0].edges``."""
    out = "report"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_report(report: dict[str, Any]) -> None:
    """Raise ``ReportSchemaError`` listing every way ``report`` breaks ``report.schema.json``.

    Needs ``jsonschema`` (a test dependency: ``pip install 'dedup[test]'``); raises ``ImportError``
    saying so when it is missing. It checks shapes, types, enums and patterns; the sums are
    ``check_accounting``'s job.

    >>> validate_report({"schema": "dedup-report/0"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dedup.schema.ReportSchemaError: report does not match the dedup-report/1 schema (...
      report: 'clusters' is a required property
    ...
    """
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - jsonschema is installed with the test extra
        raise ImportError(
            "validate_report needs the 'jsonschema' package (a test dependency): pip install 'dedup[test]'"
        ) from exc
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise ReportSchemaError([f"{_json_path(e.absolute_path)}: {e.message}" for e in errors])


def parse_location(loc: str) -> tuple[str, int]:
    """Split a ``file:line`` location (the file may itself contain colons).

    >>> parse_location("seeds/a:b.txt:13")
    ('seeds/a:b.txt', 13)
    """
    file, _, line = loc.rpartition(":")
    return file, int(line)


def _connected(nodes: set[tuple[str, int]], pairs: list[tuple[tuple[str, int], tuple[str, int]]]) -> bool:
    """Whether ``pairs`` (edges) join all ``nodes`` into one component (a tiny union-find)."""
    parent = {n: n for n in nodes}

    def find(n: tuple[str, int]) -> tuple[str, int]:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in pairs:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    return len({find(n) for n in nodes}) <= 1


def check_accounting(report: dict[str, Any]) -> list[str]:
    """Every accounting identity of the report that does not hold, as readable sentences (``[]``: all hold).

    Checks, on a report that already passes the schema:

    * per file and in total: ``read == kept + merged_away + rejected``; ``totals`` are the sums over
      ``files``; ``totals.files``/``totals.clusters`` count the lists; ``corpus.records == totals.kept``
      (one kept record per corpus paper);
    * ``rejects`` lists every rejected record (per file and in total);
    * each cluster: ``size == len(members)``, members sorted and distinct, the chosen copy and every edge
      end is a member, the edges connect all members; per file, the members not chosen add up to
      ``merged_away``;
    * ``overlap``: files in the same order as ``files``; sparse ``pairs`` ``[i, j, n]`` (sorted, ``i <= j``)
      whose ``i == j`` entries count the corpus papers with a source in that file and whose others count
      the clusters with members in both files (both recomputed from ``files`` and ``clusters``);
    * orders the contract promises: files by name, clusters by id, near misses highest score first.
    """
    problems: list[str] = []
    files: list[dict[str, Any]] = report.get("files", [])
    clusters: list[dict[str, Any]] = report.get("clusters", [])
    totals: dict[str, Any] = report.get("totals", {})
    parts = ("kept", "merged_away", "rejected")

    # -- per file and totals
    names = [f["file"] for f in files]
    if names != sorted(set(names)):
        problems.append("files: not sorted by file, or a file is listed twice")
    for f in files:
        total = sum(f[p] for p in parts)
        if f["read"] != total:
            problems.append(
                f"files[{f['file']}]: read {f['read']} != kept {f['kept']} + merged_away {f['merged_away']}"
                f" + rejected {f['rejected']} (= {total})")
    if totals:
        for key in ("read", *parts):
            s = sum(f[key] for f in files)
            if totals.get(key) != s:
                problems.append(f"totals.{key} is {totals.get(key)} but the files add up to {s}")
        t_sum = sum(totals.get(p, 0) for p in parts)
        if totals.get("read") != t_sum:
            problems.append(f"totals: read {totals.get('read')} != kept + merged_away + rejected (= {t_sum})")
        if totals.get("files") != len(files):
            problems.append(f"totals.files is {totals.get('files')} but {len(files)} files are listed")
        if "clusters" in report and totals.get("clusters") != len(clusters):
            problems.append(f"totals.clusters is {totals.get('clusters')} but {len(clusters)} clusters "
                            "are listed")
        corpus = report.get("corpus", {})
        if "records" in corpus and corpus["records"] != totals.get("kept"):
            problems.append(f"corpus.records is {corpus['records']} but totals.kept is {totals.get('kept')}"
                            " (each corpus paper keeps exactly one record)")

    by_name = {f["file"]: f for f in files}

    # -- rejects
    if "rejects" in report:
        rejected = Counter(r["file"] for r in report["rejects"])
        if totals and len(report["rejects"]) != totals.get("rejected"):
            problems.append(f"rejects lists {len(report['rejects'])} records but totals.rejected is "
                            f"{totals.get('rejected')}")
        for name in sorted(set(rejected) | {n for n, f in by_name.items() if f["rejected"]}):
            if name not in by_name:
                problems.append(f"rejects: {name} is not among the files")
            elif rejected[name] != by_name[name]["rejected"]:
                problems.append(f"files[{name}]: rejected is {by_name[name]['rejected']} but rejects lists "
                                f"{rejected[name]}")

    # -- clusters
    ids = [c["id"] for c in clusters]
    if ids != sorted(set(ids)):
        problems.append("clusters: not sorted by id, or an id is listed twice")
    merged_away: Counter[str] = Counter()
    chosen_in: Counter[str] = Counter()
    touching: Counter[str] = Counter()
    pair_counts: Counter[tuple[str, str]] = Counter()
    for c in clusters:
        where = f"clusters[{c['id']}]"
        members = [(m["file"], m["line"]) for m in c["members"]]
        if c["size"] != len(members):
            problems.append(f"{where}: size is {c['size']} but it has {len(members)} members")
        if members != sorted(set(members)):
            problems.append(f"{where}: members not sorted by (file, line), or a member is listed twice")
        nodes = set(members)
        chosen = (c["chosen"]["file"], c["chosen"]["line"])
        if chosen not in nodes:
            problems.append(f"{where}: the chosen copy {chosen[0]}:{chosen[1]} is not a member")
        pairs = []
        for e in c["edges"]:
            a, b = parse_location(e["a"]), parse_location(e["b"])
            for end in (a, b):
                if end not in nodes:
                    problems.append(f"{where}: edge end {end[0]}:{end[1]} is not a member")
            pairs.append((a, b))
        if not _connected(nodes, pairs):
            problems.append(f"{where}: its edges do not connect all its members")
        for file, _line in members:
            if file not in by_name:
                problems.append(f"{where}: member file {file} is not among the files")
        for m in members:
            if m != chosen:
                merged_away[m[0]] += 1
        chosen_in[chosen[0]] += 1
        in_files = sorted({file for file, _ in members})
        touching.update(in_files)
        pair_counts.update(combinations(in_files, 2))
    if "clusters" in report:
        for name, f in by_name.items():
            if merged_away[name] != f["merged_away"]:
                problems.append(f"files[{name}]: merged_away is {f['merged_away']} but its cluster members "
                                f"that were not chosen number {merged_away[name]}")

    # -- overlap (sparse: [i, j, n] for the pairs of files that share papers)
    overlap = report.get("overlap")
    if overlap is not None:
        o_files, pairs = overlap["files"], overlap["pairs"]
        n = len(o_files)
        if o_files != names:
            problems.append("overlap.files differs from the files list (same files, same order expected)")
        keys = [(p[0], p[1]) for p in pairs]
        if keys != sorted(set(keys)) or any(not 0 <= i <= j < n or c <= 0 for i, j, c in pairs):
            problems.append("overlap.pairs: not sorted, a pair listed twice, i > j, an index out of range or "
                            "a count of 0")
        elif o_files == names and "clusters" in report:
            got = {(i, j): c for i, j, c in pairs}
            want: dict[tuple[int, int], int] = {}
            index = {name: i for i, name in enumerate(o_files)}
            for i, name in enumerate(o_files):
                papers = by_name[name]["kept"] - chosen_in[name] + touching[name]
                if papers:
                    want[(i, i)] = papers
            for (fa, fb), both in pair_counts.items():
                i, j = sorted((index[fa], index[fb]))
                want[(i, j)] = both
            for i, j in sorted(set(got) | set(want)):
                if got.get((i, j), 0) == want.get((i, j), 0):
                    continue
                if i == j:
                    problems.append(f"overlap {o_files[i]}: {got.get((i, j), 0)} papers but {want.get((i, j), 0)} "
                                    "corpus papers have a source in that file")
                else:
                    problems.append(f"overlap {o_files[i]} / {o_files[j]}: {got.get((i, j), 0)} shared but "
                                    f"{want.get((i, j), 0)} clusters have members in both")

    # -- order of near misses, capped lists
    scores = [e["score"] for e in report.get("near_misses", [])]
    if any(x < y for x, y in zip(scores, scores[1:], strict=False)):
        problems.append("near_misses: not sorted by score, highest first")
    for rule, r in report.get("repairs", {}).items():
        if len(r["examples"]) > r["count"]:
            problems.append(f"repairs[{rule}]: {len(r['examples'])} examples but count is {r['count']}")
    for flag, q in report.get("quality", {}).items():
        if len(q["ids"]) > q["count"]:
            problems.append(f"quality[{flag}]: {len(q['ids'])} ids but count is {q['count']}")
    return problems
