"""``dedup run``: read -> canonicalize -> signatures -> cluster -> merge -> write (atomic) -> report.

Each stage is a plain function over plain data (:mod:`dedup.prepare`, :mod:`dedup.cluster`,
:mod:`dedup.merge`, :mod:`dedup.report`), so the same functions run in-process (``workers=1``), in a
``multiprocessing`` pool, or on Ray (``engine="ray"``). Results are gathered in sorted input-file order
and every tie is broken by input position, so the output is byte-identical for any worker count.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from .config import Config, default_workers
from .errors import UsageError
from .features import Features
from .io import atomic_writer
from .layouts import KnownTitles
from .prepare import Prepared, prepare_file
from .read import find_files, sniff_layout

T = TypeVar("T")
R = TypeVar("R")

#: Clusters per merge task.
MERGE_CHUNK = 4000
#: Clusters whose copies' full texts go into the report, weakest-linked first (the rest list members
#: without texts).
REPORT_TEXT_CLUSTERS = 1000
#: Clusters the HTML report lists (weakest-linked first); the JSON lists them all.
MAX_CLUSTER_ROWS = 5000
#: Example ids listed per quality flag in the report.
QUALITY_IDS = 50


@dataclass
class RunResult:
    """What a run wrote and measured."""

    corpus: str
    report_json: str
    report_html: str
    records_in: int
    papers: int
    rejected: int
    sha256: str
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- engines
_KNOWN: dict[str, KnownTitles] = {}  # per worker process: known titles by the file they were saved to


def _known_titles(path: str | None) -> KnownTitles | None:
    """Titles from the other dumps, loaded once per worker process from the file the main process wrote."""
    if path is None:
        return None
    if path not in _KNOWN:
        with open(path, "rb") as fh:
            _KNOWN.clear()
            _KNOWN[path] = pickle.load(fh)
    return _KNOWN[path]


def _trim_memory() -> None:
    """Hand freed heap back to the OS (glibc keeps it otherwise): a worker that has just read a big dump
    would go on holding its peak through every later stage of the run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _prepare_task(task: tuple[str, Config, str, str | None]) -> Prepared:
    path, config, spill, known = task
    try:
        return prepare_file(path, config, spill, _known_titles(known))
    finally:
        _trim_memory()


MergeOut = tuple[str, list[dict[str, Any]], dict[str, list[str]], list[tuple[int, int]]]


def _merge_task(task: tuple[list[tuple[str, list[tuple[str, int]], list[int], int, bool, int]]]) -> MergeOut:
    """Merge a chunk of clusters: their corpus lines, report entries, the ids behind each quality flag, and
    (cluster position, record index) of each cluster whose chosen copy the merge changed."""
    from .merge import dumps_record, merge_cluster, read_rows

    (clusters,) = task
    out: list[str] = []
    entries: list[dict[str, Any]] = []
    flags: dict[str, list[str]] = {}
    chosen: list[tuple[int, int]] = []
    handles: dict[str, Any] = {}
    try:
        for paper_id, refs, members, rep, with_text, pos in clusters:
            rows = read_rows(refs, handles)
            record, reason, best = merge_cluster(paper_id, rows, rep)
            if best != rep:
                chosen.append((pos, members[best]))
            out.append(dumps_record(record) + "\n")
            for flag in record["quality"]:
                flags.setdefault(flag, []).append(paper_id)
            if len(rows) > 1:
                ms = []
                for r in sorted(rows, key=lambda r: (r["file"], r["line"])):
                    m: dict[str, Any] = {"file": r["file"], "line": r["line"], "layout": r["layout"]}
                    if with_text:
                        m["title"], m["abstract"] = r["title"], r["abstract"]
                    m["truncated"] = "truncated" in r["quality"]
                    m["repairs"] = r["repairs"]
                    ms.append(m)
                entries.append({"pos": pos, "id": paper_id, "title": record["title"], "size": len(rows),
                                "members": ms,
                                "chosen": {"file": rows[best]["file"], "line": rows[best]["line"], "reason": reason}})
    finally:
        for fh in handles.values():
            fh.close()
    return "".join(out), entries, flags, chosen


class Engine:
    """Maps a function over tasks, results in task order: in-process, a process pool, or Ray.

    Use it as a context manager. The local pool is created on the first ``map``, at the start of a run
    while the main process is still small, and reused by every stage: its workers are forked (so a
    library caller needs no ``__main__`` guard) but never inherit the big arrays of later stages.
    """

    def __init__(self, kind: str, workers: int) -> None:
        if kind not in ("local", "ray"):
            raise UsageError(f"unknown engine {kind!r} (local or ray)", hint="use --engine local or --engine ray")
        self.kind = kind
        self.workers = max(1, workers)
        self._pool: Any = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if self.kind == "ray":
            yield from self._ray_map(fn, tasks)
        elif self.workers == 1 or len(tasks) <= 1:
            yield from map(fn, tasks)
        else:
            if self._pool is None:
                import multiprocessing as mp

                self._pool = mp.get_context("fork").Pool(self.workers)
            yield from self._pool.imap(fn, tasks)

    def _ray_map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        try:
            import ray
        except ImportError:
            raise UsageError("the ray engine needs Ray", hint="pip install 'dedup[ray]'") from None
        if not ray.is_initialized():
            if os.environ.get("RAY_ADDRESS"):  # an existing cluster: its size is its own
                ray.init(log_to_driver=False)
            else:  # an embedded single-machine Ray, sized like the local pool
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(fn)
        refs = [remote.remote(t) for t in tasks]
        for ref in refs:
            yield ray.get(ref)


def _progress(it: Iterable[T], total: int, desc: str, quiet: bool) -> Iterable[T]:
    if quiet:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="file" if desc.startswith("read") else "chunk",
                leave=False, dynamic_ncols=True)


# ---------------------------------------------------------------------------------------------- the run
def prepare_all(files: Sequence[str], config: Config, engine: Engine, spill_dir: str,
                quiet: bool = False) -> list[Prepared]:
    """The per-file stage over all files, in file order; one-line dumps last, with the others' titles as
    evidence for their title/abstract split."""
    oneline = [f for f in files if sniff_layout(f) == "oneline"]
    first = [f for f in files if f not in set(oneline)]
    spill = {f: os.path.join(spill_dir, f"spill-{i:05d}.jsonl") for i, f in enumerate(files)}
    prepared: dict[str, Prepared] = {}
    for p in _progress(engine.map(_prepare_task, [(f, config, spill[f], None) for f in first]), len(first),
                       "read+sign", quiet):
        prepared[p.path] = p
    if oneline:
        known = os.path.join(spill_dir, "known-titles.pickle")
        with open(known, "wb") as fh:
            pickle.dump(KnownTitles(title for p in prepared.values() for title in p.titles), fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        for p in _progress(engine.map(_prepare_task, [(f, config, spill[f], known) for f in oneline]),
                           len(oneline), "read+sign (one-line)", quiet):
            prepared[p.path] = p
        _KNOWN.clear()  # in-process runs (workers=1) loaded them here
    _trim_memory()
    return [prepared[f] for f in files]


def run(inputs: Sequence[str], output: str, *, report: str | None = None, config: Config | None = None,
        quiet: bool = False) -> RunResult:
    """Run the whole job. Nothing is written unless everything succeeds."""
    config = config or Config()
    from .cluster import find_clusters
    from .merge import choose_representatives, cluster_ids
    from .report import build_report, report_paths, write_report

    timings: dict[str, float] = {}
    workers = config.workers or default_workers()
    t = time.perf_counter()
    files = find_files(inputs)
    json_path, html_path = report_paths(output, report)
    for p in (output, json_path, html_path):
        if os.path.abspath(p) in {os.path.abspath(f) for f in files}:
            raise UsageError(f"output {p} is also an input", hint="write the corpus outside the input folders")
    with tempfile.TemporaryDirectory(prefix="dedup-") as tmp, Engine(config.engine, workers) as engine:
        parts = prepare_all(files, config, engine, tmp, quiet)
        timings["read+canonicalize+signatures"] = time.perf_counter() - t

        # -- cluster
        t = time.perf_counter()
        feats = concat_parts(parts)
        clusters = find_clusters(feats, config)
        feats.sig = feats.pre = np.zeros((0, 0), np.uint32)
        cat = feats.arrays
        cat["file"] = feats.file
        timings["cluster"] = time.perf_counter() - t

        # -- merge + write
        t = time.perf_counter()
        labels = clusters.labels
        cl_labels, reps = choose_representatives(labels, cat["kind"], cat["truncated"], cat["alen"], cat["nrep"])
        ids = cluster_ids(labels, cat["tkey"], cl_labels, reps, cat["akey"])
        ranked = _weakest(clusters, cl_labels, ids)
        tasks = _merge_tasks(labels, cl_labels, reps, ids, cat, parts, set(ranked[:REPORT_TEXT_CLUSTERS]))
        listed = set(ranked[:MAX_CLUSTER_ROWS])
        edge_index = EdgeIndex(clusters, [p.path for p in parts], cat["file"], cat["lines"])
        html_clusters: list[dict[str, Any]] = []
        quality: dict[str, dict[str, Any]] = {}
        digest = hashlib.sha256()
        size = n_clusters = 0
        fragment = os.path.join(tmp, "clusters.json")
        with atomic_writer(output) as out, open(fragment, "w", encoding="utf-8") as frag:
            for text, got, flags, chosen in _progress(engine.map(_merge_task, tasks), len(tasks), "merge+write",
                                                      quiet):
                for pos, index in chosen:  # the merge may prefer another copy among near-equal ones
                    reps[pos] = index
                data = text.encode("utf-8")
                digest.update(data)
                size += len(data)
                out.write(text)
                for e in got:  # clusters stream to the report in id order; only the listed ones stay
                    pos = e.pop("pos")
                    e["edges"] = edge_index.edges(int(cl_labels[pos]))
                    frag.write(("," if n_clusters else "") + json.dumps(e, ensure_ascii=False))
                    n_clusters += 1
                    if pos in listed:
                        html_clusters.append(e)
                for flag, flagged in flags.items():
                    q = quality.setdefault(flag, {"count": 0, "ids": []})
                    q["count"] += len(flagged)
                    q["ids"].extend(flagged[: QUALITY_IDS - len(q["ids"])])
            frag.close()
            sha = digest.hexdigest()
            timings["merge+write"] = time.perf_counter() - t

            # -- report (written before the corpus is moved into place: both or neither)
            t = time.perf_counter()
            rep = build_report(inputs=list(inputs), output=output, sha256=sha, corpus_bytes=size,
                               papers=len(ids), config=replace(config, workers=None), parts=parts, cat=cat,
                               clusters=clusters, n_clusters=n_clusters, reps=reps, cl_labels=cl_labels,
                               quality=quality)
            write_report(rep, fragment, html_clusters, json_path, html_path, clusters)
            timings["report"] = time.perf_counter() - t
    timings["total"] = sum(timings.values())
    _write_timings(json_path, timings, workers, config.engine)
    return RunResult(corpus=output, report_json=json_path, report_html=html_path,
                     records_in=int(sum(len(p) for p in parts)), papers=len(ids),
                     rejected=sum(len(p.rejects) for p in parts), sha256=sha, timings=timings, report=rep)


def concat_parts(parts: Sequence[Prepared]) -> Features:
    """The per-file features as one set, in file order. The signature matrices are copied straight from the
    workers' files into one matrix each, so they are never held twice."""
    n = sum(len(p) for p in parts)
    mats: dict[str, np.ndarray] = {}
    for name in ("sig", "pre"):
        first = parts[0].matrix(name) if parts else np.zeros((0, 0), np.uint32)
        mats[name] = np.empty((n, *first.shape[1:]), dtype=np.uint32)
        pos = 0
        for p in parts:
            mats[name][pos:pos + len(p)] = p.matrix(name)
            pos += len(p)
    feats = Features.concat([(p.arrays, p.strings) for p in parts], mats["sig"], mats["pre"])
    for p in parts:
        p.strings, p.titles = {}, []
    return feats


def _weakest(clusters: Any, cl_labels: np.ndarray, ids: list[str]) -> list[int]:
    """Clusters (positions in ``cl_labels``) weakest-linked first: lowest edge score, then id, as the HTML
    report lists them. The report carries the copies' texts of the first ``REPORT_TEXT_CLUSTERS``."""
    if len(clusters.edges) == 0:
        return []
    lab = clusters.labels[clusters.edges[:, 0]]
    weakest: dict[int, float] = {}
    for la, sc in zip(lab.tolist(), clusters.edge_score.tolist(), strict=True):
        if sc < weakest.get(la, 2.0):
            weakest[la] = sc
    pos = {int(la): i for i, la in enumerate(cl_labels.tolist())}
    ranked = sorted(weakest, key=lambda la: (weakest[la], ids[pos[la]]))
    return [pos[la] for la in ranked]


class EdgeIndex:
    """The merged pairs of each cluster, as report edges (``file:line`` ends), looked up by cluster label."""

    def __init__(self, clusters: Any, files: Sequence[str], file_idx: np.ndarray, lines: np.ndarray) -> None:
        self.files, self.file_idx, self.lines = files, file_idx, lines
        edges = clusters.edges
        lab = clusters.labels[edges[:, 0]] if len(edges) else np.zeros(0, np.int64)
        order = np.lexsort((edges[:, 1], edges[:, 0], lab)) if len(edges) else np.zeros(0, np.int64)
        self.lab = lab[order]
        self.pairs = edges[order]
        self.rule = [clusters.edge_rule[k] for k in order.tolist()]
        self.evidence = [clusters.edge_evidence[k] for k in order.tolist()]
        self.score = clusters.edge_score[order]

    def loc(self, i: int) -> str:
        return f"{self.files[self.file_idx[i]]}:{self.lines[i]}"

    def edges(self, label: int) -> list[dict[str, Any]]:
        lo, hi = np.searchsorted(self.lab, [label, label + 1])
        from .decide import signal_of

        return [{"a": self.loc(a), "b": self.loc(b), "signal": signal_of(rule), "rule": rule, "score": float(sc),
                 "evidence": ev}
                for (a, b), rule, sc, ev in zip(self.pairs[lo:hi].tolist(), self.rule[lo:hi],
                                                self.score[lo:hi].tolist(), self.evidence[lo:hi], strict=True)]


def _merge_tasks(labels: np.ndarray, cl_labels: np.ndarray, reps: np.ndarray, ids: list[str],
                 cat: dict[str, np.ndarray], parts: Sequence[Prepared], with_text: set[int]) -> list[Any]:
    """Clusters in id order, cut into chunks; each cluster as (id, spill refs, chosen position, with text)."""
    order = np.argsort(labels, kind="stable")
    sl = labels[order]
    starts = np.searchsorted(sl, cl_labels, side="left")
    ends = np.searchsorted(sl, cl_labels, side="right")
    spills = [p.spill for p in parts]
    file_idx, offsets = cat["file"], cat["offsets"]
    by_id = sorted(range(len(ids)), key=ids.__getitem__)
    tasks: list[Any] = []
    chunk: list[Any] = []
    for c in by_id:
        members = order[starts[c]:ends[c]]
        refs = [(spills[file_idx[m]], int(offsets[m])) for m in members.tolist()]
        rep_pos = int(np.flatnonzero(members == reps[c])[0])
        chunk.append((ids[c], refs, members.tolist(), rep_pos, c in with_text, c))
        if len(chunk) >= MERGE_CHUNK:
            tasks.append((chunk,))
            chunk = []
    if chunk:
        tasks.append((chunk,))
    return tasks


def _write_timings(json_path: str, timings: dict[str, float], workers: int, engine: str) -> None:
    path = json_path[: -len(".json")] + ".timings.json" if json_path.endswith(".json") else json_path + ".timings"
    with contextlib.suppress(OSError), atomic_writer(path) as fh:
        json.dump({"engine": engine, "workers": workers,
                   "seconds": {k: round(v, 3) for k, v in timings.items()}}, fh, indent=1, sort_keys=True)
        fh.write("\n")
