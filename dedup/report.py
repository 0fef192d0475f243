"""Report stage: the provenance report of a run, as a plain dict (schema ``dedup-report/1``, in
``dedup/report.schema.json``), written as JSON for machines and HTML for people.

The report is byte-deterministic: same inputs, same bytes, whatever the worker count or input order.
Run timings therefore live in a sidecar (``corpus.report.timings.json``), not in the report.
"""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np

from . import __version__
from .config import Config
from .errors import printable
from .io import Staging

SCHEMA = "dedup-report/1"
LIBRARIES = ("click", "datasketch", "ftfy", "numpy", "tqdm", "xxhash")


def report_paths(output: str, report: str | None) -> tuple[str, str]:
    """The JSON and HTML report paths for a corpus path and an optional ``--report`` path.

    >>> report_paths("out/corpus.jsonl", None)
    ('out/corpus.report.json', 'out/corpus.report.html')
    >>> report_paths("corpus.jsonl", "r/run.json")
    ('r/run.json', 'r/run.html')
    >>> report_paths("corpus.jsonl", "r.html")
    ('r.json', 'r.html')
    >>> report_paths("corpus.jsonl", "r")
    ('r.json', 'r.html')

    ``--report`` names the report with or without ``.json``/``.html``; both files are written.
    """
    if report is None:
        stem = output[: -len(".jsonl")] if output.endswith(".jsonl") else output
        base = stem + ".report"
    else:
        base = report
        for ext in (".json", ".html"):
            if report.endswith(ext):
                base = report[: -len(ext)]
    return base + ".json", base + ".html"


def timings_path(json_path: str) -> str:
    """Where the run's timings go, beside the JSON report.

    >>> timings_path("out/corpus.report.json")
    'out/corpus.report.timings.json'
    """
    stem = json_path[: -len(".json")] if json_path.endswith(".json") else json_path
    return stem + ".timings.json"


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the output."""
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[lib] = "absent"
    return out


def overlap_pairs(cluster_of: np.ndarray, file_of: np.ndarray, n_files: int) -> list[list[int]]:
    """Papers shared by each pair of files, sparse: ``[i, j, n]`` (``i <= j``, ``n > 0``, sorted) where
    ``n`` counts the corpus papers with a source in file ``i`` and in file ``j`` (``i == j``: in file ``i``).
    Time and size grow with the pairs that share a paper, not with the square of the file count.

    >>> overlap_pairs(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 2]), 3)
    [[0, 0, 1], [0, 1, 1], [1, 1, 2], [2, 2, 1]]
    """
    if len(cluster_of) == 0:
        return []
    key = np.unique(cluster_of.astype(np.int64) * max(n_files, 1) + file_of.astype(np.int64))
    cl, fi = np.divmod(key, max(n_files, 1))
    counts: Counter[tuple[int, int]] = Counter()
    for f, n in enumerate(np.bincount(fi, minlength=n_files).tolist()):
        if n:
            counts[(f, f)] = n
    starts = np.flatnonzero(np.r_[True, cl[1:] != cl[:-1]])
    ends = np.r_[starts[1:], len(cl)]
    for a, b in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=True):
        in_files = fi[a:b].tolist()  # sorted, distinct
        for x in range(len(in_files)):
            for y in range(x + 1, len(in_files)):
                counts[(in_files[x], in_files[y])] += 1
    return [[i, j, counts[(i, j)]] for i, j in sorted(counts)]


#: Stands in the report dict for the cluster list, which is streamed to the JSON file from a fragment.
CLUSTERS_PLACEHOLDER = "\x00clusters\x00"


def build_report(*, inputs: list[str], output: str, sha256: str, corpus_bytes: int, papers: int, config: Config,
                 parts: Sequence[Any], cat: dict[str, np.ndarray], clusters: Any, n_clusters: int,
                 reps: np.ndarray, cl_labels: np.ndarray, quality: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Assemble the report dict from the stages' results. Its ``clusters`` is :data:`CLUSTERS_PLACEHOLDER`:
    the clusters (there may be millions) are streamed to the JSON by :func:`write_report`."""
    files = [p.path for p in parts]
    file_idx = cat["file"]
    lines = cat["lines"]
    labels = clusters.labels

    def where(i: int) -> str:
        return f"{files[file_idx[i]]}:{lines[i]}"

    is_rep = np.zeros(len(labels), dtype=bool)
    is_rep[reps] = True
    per_file = []
    for i, p in enumerate(parts):
        mine = file_idx == i
        kept = int((is_rep & mine).sum())
        merged = int(mine.sum()) - kept
        per_file.append({"file": p.path, "layout": p.layout, "read": kept + merged + len(p.rejects),
                         "kept": kept, "merged_away": merged, "rejected": len(p.rejects)})

    shared = overlap_pairs(np.searchsorted(cl_labels, labels), file_idx, len(files))

    from .decide import signal_of

    near = [{"a": where(a), "b": where(b), "signal": "abstract_jaccard", "rule": "no-evidence", "score": float(s)}
            for (a, b), s in zip(clusters.near.tolist(), clusters.near_score.tolist(), strict=True)]
    uncertain = [{"a": where(a), "b": where(b), "signal": signal_of(rule), "rule": rule, "score": float(s),
                  "evidence": ev}
                 for (a, b), rule, s, ev in zip(clusters.uncertain.tolist(), clusters.uncertain_rule,
                                                clusters.uncertain_score.tolist(), clusters.uncertain_evidence,
                                                strict=True)]

    repair_counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    for p in parts:
        repair_counts.update(p.repair_counts)
        for name, ex in p.repair_examples.items():
            examples.setdefault(name, []).extend(ex)
    repairs = {name: {"count": repair_counts[name], "examples": examples.get(name, [])[:3]}
               for name in sorted(repair_counts)}

    bands, rows = config.band_split()
    cfg = config.to_dict()
    cfg.pop("workers", None)
    cfg.pop("extra", None)
    cfg.update({"bands": bands, "rows": rows})
    rejects = sorted((r for p in parts for r in p.rejects), key=lambda r: (r.file, r.line))
    return {
        "schema": SCHEMA,
        "tool": {"name": "dedup", "version": __version__},
        "versions": versions(),
        "config": cfg,
        "inputs": sorted(inputs),
        "corpus": {"path": output, "sha256": sha256, "records": papers, "bytes": corpus_bytes},
        "totals": {
            "files": len(files),
            "read": sum(f["read"] for f in per_file),
            "kept": sum(f["kept"] for f in per_file),
            "merged_away": sum(f["merged_away"] for f in per_file),
            "rejected": sum(f["rejected"] for f in per_file),
            "clusters": n_clusters,
            "candidates": int(clusters.candidates),
            "uncertain": int(clusters.uncertain_total),
        },
        "files": per_file,
        "overlap": {"files": files, "pairs": shared},
        "clusters": CLUSTERS_PLACEHOLDER,
        "near_misses": near,
        "uncertain": uncertain,
        "repairs": repairs,
        "quality": {k: quality[k] for k in sorted(quality)},
        "rejects": [{k: printable(v) if isinstance(v, str) else v for k, v in r.to_dict().items()}
                    for r in rejects],
    }


def write_report(report: dict[str, Any], clusters_fragment: str, listed: list[dict[str, Any]], json_path: str,
                 html_path: str, clusters: Any, staging: Staging) -> None:
    """Stage the JSON report (its clusters streamed from ``clusters_fragment``, the comma-separated JSON of
    every cluster in id order) and the HTML report (``listed``: the clusters it shows; ``clusters``: the
    cluster stage's result, for the scores of every merge) in ``staging``; its commit puts them in place."""
    from .report_html import LargeReport, render_html
    from .schema import check_accounting

    head, tail = json.dumps(report, ensure_ascii=False).split(json.dumps(CLUSTERS_PLACEHOLDER), 1)
    fh = staging.open(json_path)
    with open(clusters_fragment, encoding="utf-8") as frag:
        fh.write(head + "[")
        for chunk in iter(lambda: frag.read(1 << 20), ""):
            fh.write(chunk)
        fh.write("]" + tail + "\n")
    staging.close(fh)
    view = dict(report, clusters=sorted(listed, key=lambda c: c["id"]))
    large = None
    total = report["totals"]["clusters"]
    if total > len(listed):
        # too many clusters to hold: the page lists the weakest ones and checks what it holds
        rest = {k: v for k, v in view.items() if k != "clusters"}
        large = LargeReport(clusters_total=total, merged_scores=clusters.edge_score.tolist(),
                            merged_signals=list(clusters.edge_rule),
                            accounting=check_accounting(rest))
    fh = staging.open(html_path)
    fh.write(render_html(view, large=large))
    staging.close(fh)
