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
from .io import atomic_writer

SCHEMA = "dedup-report/1"
LIBRARIES = ("click", "datasketch", "ftfy", "numpy", "tqdm", "xxhash")


def report_paths(output: str, report: str | None) -> tuple[str, str]:
    """The JSON and HTML report paths for a corpus path and an optional ``--report`` path.

    >>> report_paths("out/corpus.jsonl", None)
    ('out/corpus.report.json', 'out/corpus.report.html')
    >>> report_paths("corpus.jsonl", "r/run.json")
    ('r/run.json', 'r/run.html')
    """
    if report is None:
        stem = output[: -len(".jsonl")] if output.endswith(".jsonl") else output
        base = stem + ".report"
    else:
        base = report[: -len(".json")] if report.endswith(".json") else report
    return base + ".json", base + ".html"


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the output."""
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[lib] = "absent"
    return out


def build_report(*, inputs: list[str], output: str, sha256: str, corpus_bytes: int, papers: int, config: Config,
                 parts: Sequence[Any], cat: dict[str, np.ndarray], clusters: Any, entries: list[dict[str, Any]],
                 reps: np.ndarray, cl_labels: np.ndarray, ids: list[str],
                 quality: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Assemble the report dict from the stages' results."""
    from .cluster import SIGNALS
    from .lsh import choose_bands

    files = [p.path for p in parts]
    file_idx = cat["file"]
    lines = cat["lines"]
    labels = clusters.labels
    where = [f"{files[f]}:{ln}" for f, ln in zip(file_idx.tolist(), lines.tolist(), strict=True)]

    is_rep = np.zeros(len(labels), dtype=bool)
    is_rep[reps] = True
    per_file = []
    for i, p in enumerate(parts):
        mine = file_idx == i
        kept = int((is_rep & mine).sum())
        merged = int(mine.sum()) - kept
        per_file.append({"file": p.path, "layout": p.layout, "read": kept + merged + len(p.rejects),
                         "kept": kept, "merged_away": merged, "rejected": len(p.rejects)})

    # papers shared by each pair of dumps
    cl_index = np.searchsorted(cl_labels, labels)
    inc = np.zeros((len(cl_labels), len(files)), dtype=np.int64)
    inc[cl_index, file_idx] = 1
    shared = (inc.T @ inc).tolist()

    # edges and near misses, grouped per cluster id
    id_of_label = dict(zip(cl_labels.tolist(), ids, strict=True))
    edges_by_id: dict[str, list[dict[str, Any]]] = {}
    for (a, b), s, score in zip(clusters.edges.tolist(), clusters.edge_signal.tolist(),
                                clusters.edge_score.tolist(), strict=True):
        edges_by_id.setdefault(id_of_label[int(labels[a])], []).append(
            {"a": where[a], "b": where[b], "signal": SIGNALS[s], "score": float(score)})
    cluster_list = []
    for e in sorted(entries, key=lambda e: e["id"]):
        entry = {k: e[k] for k in ("id", "title", "size", "members", "chosen")}
        entry["edges"] = edges_by_id.get(e["id"], [])
        cluster_list.append(entry)
    near = [{"a": where[a], "b": where[b], "signal": "jaccard", "score": float(s)}
            for (a, b), s in zip(clusters.near.tolist(), clusters.near_score.tolist(), strict=True)]

    repair_counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    for p in parts:
        repair_counts.update(p.repair_counts)
        for name, ex in p.repair_examples.items():
            examples.setdefault(name, []).extend(ex)
    repairs = {name: {"count": repair_counts[name], "examples": examples.get(name, [])[:3]}
               for name in sorted(repair_counts)}

    bands, rows = choose_bands(config.threshold, config.num_perm) if config.bands is None else (
        config.bands, config.num_perm // config.bands)
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
            "clusters": len(cluster_list),
            "candidates": int(clusters.candidates),
        },
        "files": per_file,
        "overlap": {"files": files, "shared": shared},
        "clusters": cluster_list,
        "near_misses": near,
        "repairs": repairs,
        "quality": {k: quality[k] for k in sorted(quality)},
        "rejects": [r.to_dict() for r in rejects],
    }


def write_report(report: dict[str, Any], json_path: str, html_path: str) -> None:
    """Write the JSON and the HTML report atomically."""
    from .report_html import render_html

    with atomic_writer(json_path) as fh:
        # one object per line for the big lists would be nicer to read, but json's indenting encoder is
        # pure Python and ~10x slower; ``python -m json.tool`` pretty-prints it
        fh.write(json.dumps(report, ensure_ascii=False))
        fh.write("\n")
    with atomic_writer(html_path) as fh:
        fh.write(render_html(report))
