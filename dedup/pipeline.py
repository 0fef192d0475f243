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
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import numpy as np

from .config import Config, default_workers
from .errors import InputError, Interrupted, UsageError, WorkerLost
from .features import Features
from .io import RUN_SIGNALS, OutputLock, Staging, check_output, remove_stale_temps, signals_held, write_error
from .layouts import KnownTitles
from .prepare import PREFIX_PERM, Assembler, Chunk, Prepared, prepare_records
from .read import (
    LINE_LAYOUTS,
    FileResult,
    check_records,
    display_path,
    parse_segment,
    print_skipped,
    read_lines,
    scan_inputs,
    sniff_layout,
)
from .records import Reject

if TYPE_CHECKING:
    from .index import Index

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

#: Clusters per merge task.
MERGE_CHUNK = 4000
#: Clusters whose copies' full texts go into the report, weakest-linked first (the rest list members
#: without texts).
REPORT_TEXT_CLUSTERS = 1000
#: Clusters the HTML report lists (weakest-linked first); the JSON lists them all.
MAX_CLUSTER_ROWS = 5000
#: Example ids listed per quality flag in the report.
QUALITY_IDS = 50
#: Seconds between checks that the local pool's workers are alive while a task is awaited.
POLL_SECONDS = 0.5


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
    #: inputs left out: not dumps (FIFOs, devices, earlier outputs), and files that could not be read
    skipped: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- engines
_KNOWN: dict[str, KnownTitles] = {}  # per worker process: known titles by the file they were saved to


def _known_titles(path: Any) -> KnownTitles | None:
    """Titles from the other dumps, loaded once per worker process: from the file the main process wrote
    (local engine), or from Ray's object store (``path`` is then an object ref)."""
    if path is None:
        return None
    key = path if isinstance(path, str) else f"ray:{path.hex()}"
    if key not in _KNOWN:
        _KNOWN.clear()
        if isinstance(path, str):
            with open(path, "rb") as fh:
                _KNOWN[key] = pickle.load(fh)
        else:
            import ray

            _KNOWN[key] = ray.get(path)
    return _KNOWN[key]


def _trim_memory() -> None:
    """Hand freed heap back to the OS (glibc keeps it otherwise): a worker that has just read a big dump
    would go on holding its peak through every later stage of the run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


#: Records (or, for one-record-per-line layouts, lines) per prepare task: small enough that one big dump
#: keeps every worker busy, big enough that a task's overhead (pickling, a process hop) stays below 1%.
CHUNK_RECORDS = 2000


def _chunk_task(task: tuple[str, str, list[Any], int | None, Config, Any]) -> Chunk:
    """Prepare one chunk of a file: lines of a one-record-per-line layout (parsed here, ``start`` is the
    file's index of the first) or records the main process parsed (``start`` is None)."""
    path, layout, payload, start, config, known = task
    if start is None:
        chunk = prepare_records(path, layout, payload, config)
    else:
        records, rejects = parse_segment(path, layout, payload, start, _known_titles(known) or ())
        chunk = prepare_records(path, layout, records, config)
        chunk.rejects = rejects
        del records
    del payload, task
    _trim_memory()  # a worker idles through the cluster stage: it should not sit on its reading peak
    return chunk


def unreadable_part(path: str, err: InputError, config: Config) -> Prepared:
    """A file that could not be read (``--skip-unreadable``): no records, one reject that says why."""
    from .features import ARRAYS, STRINGS

    return Prepared(path=path, layout="unreadable", rejects=[Reject(path, err.line or 1, f"unreadable file: "
                                                                    f"{err.reason}")],
                    spill="", arrays={k: np.zeros(0, dtype) for k, dtype in ARRAYS.items()},
                    strings={k: [] for k in STRINGS}, empty_matrices=(config.num_perm, PREFIX_PERM))


# ---------------------------------------------------------------------------------------------- signals
class _SignalState:
    def __init__(self) -> None:
        self.committed = False
        self.pending: int | None = None
        self.raised = False


@contextlib.contextmanager
def interrupts() -> Iterator[_SignalState]:
    """SIGTERM and SIGHUP (a timeout, systemd, ``docker stop``, a closed terminal) end a run the way Ctrl-C
    does: :class:`~dedup.errors.Interrupted` is raised in the main thread, so every temp file, spill folder
    and worker pool is cleaned up on the way out. A second signal during that cleanup is ignored. Once the
    outputs are committed (``state.committed``), a signal is held until the run returns.
    """
    state = _SignalState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, frame: object) -> None:
        if state.committed:
            state.pending = signum
            return
        if state.raised:  # already on the way out: let the cleanup finish
            return
        state.raised = True
        raise Interrupted(signum)

    old = {s: signal.getsignal(s) for s in RUN_SIGNALS}
    for s in RUN_SIGNALS:
        if old[s] is not signal.SIG_IGN:  # nohup'd runs keep ignoring SIGHUP
            signal.signal(s, handler)
    try:
        yield state
    finally:
        for s in RUN_SIGNALS:
            signal.signal(s, old[s])
    if state.pending is not None:
        raise Interrupted(state.pending, committed=True)


def _worker_init() -> None:
    """Pool workers leave Ctrl-C to the main process (which terminates them): a worker interrupted in the
    middle of a task is how a pool deadlocks. SIGTERM (what ``terminate`` sends) ends them at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, RUN_SIGNALS)  # blocked by the parent while it forked us


#: A merge task's corpus share: a file the worker wrote (local engine) or the bytes themselves (Ray: they
#: travel through the object store), with its size and SHA-256.
Part = tuple[str | bytes, int, str]
MergeOut = tuple[Part, list[dict[str, Any]], dict[str, list[str]], list[tuple[int, int]]]
MergeTask = tuple[list[tuple[str, list[Any], list[int], int, bool, int]], str | None]


def _merge_task(task: MergeTask) -> MergeOut:
    """Merge a chunk of clusters: their corpus lines (written to ``part`` as UTF-8 bytes, or returned as
    bytes when ``part`` is None), report entries, the ids behind each quality flag, and (cluster position,
    record index) of each cluster whose chosen copy the merge changed. A cluster's rows are spill refs
    (path, offset) or, on Ray, the rows' bytes."""
    from .merge import dumps_record, merge_cluster, read_rows

    clusters, part = task
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
    data = "".join(out).encode("utf-8")
    share: Part = (data if part is None else part, len(data), hashlib.sha256(data).hexdigest())
    if part is not None:
        with open(part, "wb") as fh:
            fh.write(data)
    return share, entries, flags, chosen


def _copy_part(part: Part, out: Any, digest: Any) -> int:
    """Append one merge task's share of the corpus to ``out`` and to ``digest``; check its size and hash;
    remove its file. Returns the bytes copied."""
    where, size, sha = part
    if isinstance(where, bytes):
        data = where
    else:
        with open(where, "rb") as fh:
            data = fh.read()
        os.unlink(where)
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
        raise RuntimeError(f"a merge task's share of the corpus changed on its way ({len(data)} bytes, {size} sent)")
    digest.update(data)
    out.write(data)
    return size


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
        self._pids: frozenset[int] = frozenset()
        self._lost = False
        self._remotes: dict[Any, Any] = {}

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self._pool is not None:
            if self._lost or exc_type is not None:
                self._abandon_pool()
            else:
                self._pool.terminate()
                self._pool.join()
            self._pool = None

    def _abandon_pool(self) -> None:
        """End a pool without its own ``terminate``, which hands sentinels through queues whose locks a worker
        may hold: one that died in the middle of a task holds them for good, and ``terminate`` (also run at
        interpreter exit, as a finalizer) would wait forever. A run that stops early (Ctrl-C, SIGTERM, an error)
        has no use for the tasks in flight either, and a pool's shutdown that raced the signal is no place to
        wait. Stop the pool from replacing workers, kill them, and drop that finalizer."""
        from multiprocessing import pool as mp_pool

        pool = self._pool
        pool._state = mp_pool.TERMINATE
        pool._worker_handler._state = mp_pool.TERMINATE
        for proc in pool._pool:  # their exits wake the worker handler, which then sees TERMINATE and ends
            proc.kill()
        pool._worker_handler.join(5)
        for proc in pool._pool:  # a replacement started before it saw the state
            proc.kill()
            proc.join(5)
        pool._terminate.cancel()

    def start(self) -> None:
        """Start the workers now (before any input is read), not at the first task."""
        if self.kind == "ray":
            self._ray()
        elif self.workers > 1 and self._pool is None:
            import multiprocessing as mp

            # Signals wait until the pool is ours: Ctrl-C or SIGTERM raised inside Pool() (between two forks)
            # would leave its workers running with no owner to end them (seen in CI: the run exited, its
            # orphaned workers held stderr open). The workers unblock them in _worker_init.
            with signals_held():
                self._pool = mp.get_context("fork").Pool(self.workers, initializer=_worker_init)
                self._pids = frozenset(p.pid for p in self._pool._pool)

    def check_workers(self) -> None:
        """Raise :class:`WorkerLost` when a pool worker has ended: the pool replaces a dead worker but
        never runs its task again, so waiting for that task's result would wait forever. The pool's
        workers never retire on their own (no ``maxtasksperchild``), so any change of pids is a death."""
        procs = list(self._pool._pool)
        lost = sorted(self._pids - {p.pid for p in procs if p.exitcode is None})
        if lost:
            self._lost = True
            raise WorkerLost(
                f"worker process {lost[0]} ended in the middle of the run (killed; by the kernel's "
                "out-of-memory killer?); no output was changed",
                hint="see `dmesg` or the system log; run again with fewer --workers or on a machine with more memory")

    def submit(self, fn: Callable[[T], R], task: T) -> Handle[R]:
        """Run ``fn(task)`` on a worker; the handle's ``get`` waits for the result."""
        if self.kind == "ray":
            ray = self._ray()
            remote = self._remotes.get(fn)
            if remote is None:
                remote = self._remotes[fn] = ray.remote(fn)
            return _RayHandle(remote.remote(task))
        if self.workers == 1:
            return _Done(fn, task)
        self.start()
        return _PoolHandle(self, self._pool.apply_async(fn, (task,)))

    def _ray(self) -> Any:
        try:
            import ray
        except ImportError:
            raise UsageError("the ray engine needs Ray", hint="pip install 'dedup[ray]'") from None
        if not ray.is_initialized():
            if os.environ.get("RAY_ADDRESS"):  # an existing cluster: its size is its own
                ray.init(log_to_driver=False)
            else:  # an embedded single-machine Ray, sized like the local pool; "local": a new one even when
                # /tmp/ray/ray_current_cluster names a `ray start` of this machine (ray.init() would join it)
                # worker_niceness 0: Ray's default (15) starves its workers behind any busy process of the
                # machine, where the local engine's workers get their share
                ray.init(address="local", num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                         _system_config={"worker_niceness": 0})
        return ray

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``tasks`` (consumed lazily, a few ahead of the results), results in task order."""
        if self.kind == "local" and self.workers == 1:
            yield from map(fn, tasks)
            return
        pending: deque[Handle[R]] = deque()
        for t in tasks:
            pending.append(self.submit(fn, t))
            while len(pending) > 2 * self.workers or (len(pending) > 1 and pending[0].ready()):
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


class Handle(Protocol[R_co]):
    """A submitted task (:meth:`Engine.submit`)."""

    def get(self) -> R_co: ...

    def ready(self) -> bool: ...


class _Done(Generic[T, R]):
    """A task run in-process when its result is asked for."""

    def __init__(self, fn: Callable[[T], R], task: T) -> None:
        self.fn, self.task = fn, task

    def get(self) -> R:
        return self.fn(self.task)

    def ready(self) -> bool:
        return True


class _PoolHandle(Generic[R]):
    """A task on the local pool; waiting for it also watches that no worker has died."""

    def __init__(self, engine: Engine, result: Any) -> None:
        self.engine, self.result = engine, result

    def get(self) -> R:
        while not self.result.ready():
            self.result.wait(POLL_SECONDS)
            if not self.result.ready():
                self.engine.check_workers()
        return cast(R, self.result.get())

    def ready(self) -> bool:
        return bool(self.result.ready())


class _RayHandle(Generic[R]):
    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def get(self) -> R:
        import ray

        return ray.get(self.ref)

    def ready(self) -> bool:
        import ray

        done, _ = ray.wait([self.ref], timeout=0)
        return bool(done)


def _progress(it: Iterable[T], total: int, desc: str, quiet: bool) -> Iterable[T]:
    """A progress bar on stderr, only when stderr is a terminal (no ``\\r`` junk in logs) and not quiet."""
    if quiet:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="file" if desc.startswith("read") else "chunk",
                leave=False, dynamic_ncols=True, disable=None)


@contextlib.contextmanager
def _stage(desc: str, quiet: bool) -> Iterator[None]:
    """A status line on stderr (terminal only) for a stage that has no steps to count, such as clustering:
    the user sees what runs instead of a silent pause; cleared when the stage ends."""
    if quiet:
        yield
        return
    from tqdm import tqdm

    with tqdm(total=1, desc=desc, bar_format="{desc}…", leave=False, dynamic_ncols=True, disable=None) as bar:
        yield
        bar.update(1)


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class _FileWork:
    """One file in the prepare stage: its chunks as they come back, in order."""

    path: str
    layout: str
    rejects: list[Reject]
    weight: float  # bytes of the file per chunk (the progress bar's unit)
    asm: Assembler
    got: int = 0  # chunks back
    expected: int | None = None  # chunks submitted, once all are


class _ReadBar:
    """The read stage's bar: bytes of input (a big dump weighs what it holds), moved chunk by chunk, with
    the records read so far. Terminal only, like :func:`_progress`."""

    def __init__(self, files: Sequence[str], desc: str, quiet: bool) -> None:
        self.bar: Any = None
        self.records = 0
        if quiet:
            return
        from tqdm import tqdm

        total = 0
        for f in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(f)
        self.bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False,
                        dynamic_ncols=True, disable=None)

    def update(self, nbytes: float, records: int) -> None:
        self.records += records
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.records:,} records", refresh=False)
            self.bar.update(nbytes)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def prepare_all(files: Sequence[str], config: Config, engine: Engine, spill_dir: str,
                quiet: bool = False, skip_unreadable: bool = False, index: Index | None = None) -> list[Prepared]:
    """The per-file stage over all files, in file order; one-line dumps last, with the others' titles as
    evidence for their title/abstract split. Dumps that ``index`` holds unchanged are not read again.

    The work is cut into chunks of :data:`CHUNK_RECORDS` records, so one big dump keeps every worker busy:
    the main process reads and decodes each file; a one-record-per-line file (JSON Lines, one-line) goes to
    the workers as runs of lines that they parse, any other layout is parsed here and goes as runs of
    records. Workers canonicalize, key and sign their chunk and send back its spill rows, arrays and
    signatures; the main process puts each file's chunks together in order (:func:`dedup.prepare.assemble`),
    so a file's :class:`Prepared` is the same whatever the chunking.
    """
    engine.start()
    oneline = [f for f in files if (index.layout(f) if index else sniff_layout(f)) == "oneline"]
    is_oneline = set(oneline)
    first = [f for f in files if f not in is_oneline]
    spill = {f: os.path.join(spill_dir, f"spill-{i:05d}.jsonl") for i, f in enumerate(files)}
    prepared: dict[str, Prepared] = {}
    window = max(4, 3 * engine.workers)
    bar = _ReadBar(files, "read+sign", quiet)
    pending: deque[tuple[_FileWork, Handle[Chunk]]] = deque()
    work: dict[str, _FileWork] = {}

    def finish(w: _FileWork) -> None:
        part = w.asm.finish(w.rejects)
        try:
            check_records(FileResult(w.path, w.layout, [], part.rejects), len(part))
        except InputError as err:
            if not skip_unreadable:
                raise
            part = unreadable_part(w.path, err, config)
        prepared[w.path] = part

    def collect(block: bool) -> None:
        while pending and (block or len(pending) >= window or pending[0][1].ready()):
            w, h = pending.popleft()
            chunk = h.get()
            w.asm.add(chunk)
            w.got += 1
            bar.update(w.weight, len(chunk))
            if w.got == w.expected:
                finish(w)

    def submit(paths: Sequence[str], known: Any) -> None:
        for path in paths:
            try:
                layout, lines = read_lines(path)
                if layout in LINE_LAYOUTS:
                    payloads: list[Any] = [lines[i:i + CHUNK_RECORDS] for i in range(0, len(lines), CHUNK_RECORDS)]
                    starts: list[int | None] = list(range(0, len(lines), CHUNK_RECORDS))
                    rejects: list[Reject] = []
                else:
                    records, rejects = parse_segment(path, layout, lines)
                    check_records(FileResult(path, layout, records, rejects))
                    payloads = [records[i:i + CHUNK_RECORDS] for i in range(0, len(records), CHUNK_RECORDS)]
                    starts = [None] * len(payloads)
                del lines
            except InputError as err:
                if not skip_unreadable:
                    raise
                prepared[path] = unreadable_part(path, err, config)
                continue
            try:
                size = os.path.getsize(path)
            except OSError:
                size = 0
            w = work[path] = _FileWork(path, layout, rejects, size / max(1, len(payloads)),
                                       Assembler(path, layout, spill[path], config))
            for payload, start in zip(payloads, starts, strict=True):
                pending.append((w, engine.submit(_chunk_task, (path, layout, payload, start, config, known))))
                collect(block=False)
            w.expected = len(payloads)
            if w.got == w.expected:
                finish(w)

    try:
        submit(_restore(index, first, spill, None, prepared), None)
        collect(block=True)
        oneline = _restore(index, oneline, spill, [t for f in first if f in prepared for t in prepared[f].titles],
                           prepared)
        if oneline:
            titles = KnownTitles(title for f in first if f in prepared for title in prepared[f].titles)
            if engine.kind == "ray":
                import ray

                known: Any = ray.put(titles)
            else:
                known = os.path.join(spill_dir, "known-titles.pickle")
                with open(known, "wb") as fh:
                    pickle.dump(titles, fh, protocol=pickle.HIGHEST_PROTOCOL)
            submit(oneline, known)
            collect(block=True)
            _KNOWN.clear()  # in-process runs (workers=1) loaded them here
    finally:
        bar.close()
        for w in work.values():
            w.asm.close()
    _trim_memory()
    return [prepared[f] for f in files]


def _restore(index: Index | None, files: list[str], spill: dict[str, str], known: list[str] | None,
             prepared: dict[str, Prepared]) -> list[str]:
    """Take from ``index`` the files it holds unchanged; the files left to read."""
    if index is None:
        return files
    for f in files:
        if (p := index.restore(f, spill[f], known)) is not None:
            prepared[f] = p
    return [f for f in files if f not in prepared]


def run(inputs: Sequence[str], output: str, *, report: str | None = None, config: Config | None = None,
        quiet: bool = False, skip_unreadable: bool = False, index: str | None = None) -> RunResult:
    """Run the whole job. Nothing is written unless everything succeeds.

    Before any work: the inputs are scanned (:func:`dedup.read.scan_inputs`) and every output is checked
    (:func:`dedup.io.check_output`: not an input by device and inode, not a symlink, folder or device, in
    a folder that can be written) and locked. The corpus, the JSON and HTML reports and the timings sidecar
    are written to temp files beside their targets and put in place together at the end (one commit point).
    ``skip_unreadable``: files that cannot be read become rejected files in the report instead of stopping
    the run. With ``index``, the run covers every dump the index has seen plus ``inputs`` and reads only
    the dumps the index does not hold (:mod:`dedup.index`); the index commits after the outputs.
    """
    config = config or Config()
    from .cluster import find_clusters
    from .index import open_for_run
    from .merge import choose_representatives, cluster_ids
    from .report import build_report, report_paths, timings_path, write_report

    timings: dict[str, float] = {}
    workers = config.workers or default_workers()
    t = time.perf_counter()
    json_path, html_path = report_paths(output, report)
    targets = [(output, "corpus"), (json_path, "JSON report"), (html_path, "HTML report"),
               (timings_path(json_path), "timings sidecar")]
    seen: dict[str, str] = {}
    for path, what in targets:
        key = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
        if key in seen:
            raise UsageError(f"the {what} and the {seen[key]} would be the same file", path=display_path(path),
                             hint="give --report a path of its own (REPORT.json and REPORT.html are written)")
        seen[key] = what
    with interrupts() as signals, contextlib.ExitStack() as stack:
        scan = scan_inputs(inputs, skip_unreadable=skip_unreadable)
        print_skipped(scan)
        files = scan.files
        for path, what in targets:
            check_output(path, scan.ids.values(), what)
        for path in dict.fromkeys([output, json_path]):
            stack.enter_context(OutputLock(path))
        for path, _ in targets:  # ours now: what a killed run left behind goes
            remove_stale_temps(path)
        idx = stack.enter_context(open_for_run(index, config)) if index else None
        if idx:
            inputs, files = idx.plan([display_path(i) for i in inputs], files)
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="dedup-"))
        engine = stack.enter_context(Engine(config.engine, workers))
        staging = stack.enter_context(Staging())
        parts = prepare_all(files, config, engine, tmp, quiet, skip_unreadable, idx)
        parts += [unreadable_part(err.path or "?", err, config) for err in scan.unreadable]
        parts.sort(key=lambda p: p.path)
        if idx:
            idx.stage(inputs, parts)
        if not any(len(p) for p in parts):
            raise InputError("no records could be read", path=display_path(inputs[0]),
                             hint="every input file was unreadable (see the warnings above)")
        timings["read+canonicalize+signatures"] = time.perf_counter() - t

        # -- cluster
        t = time.perf_counter()
        with _stage(f"cluster ({sum(len(p) for p in parts):,} records)", quiet):
            feats = concat_parts(parts)
            clusters = find_clusters(feats, config, release_signatures=True)
        cat = feats.arrays
        cat["file"] = feats.file
        timings["cluster"] = time.perf_counter() - t

        # -- merge + write
        t = time.perf_counter()
        labels = clusters.labels
        cl_labels, reps = choose_representatives(labels, cat["kind"], cat["truncated"], cat["alen"], cat["nrep"])
        ids = cluster_ids(labels, cat["tkey"], cl_labels, reps, cat["akey"])
        if idx:
            idx.stage_ids(parts, labels, cl_labels, ids, output)
        ranked = _weakest(clusters, cl_labels, ids)
        tasks = _merge_tasks(labels, cl_labels, reps, ids, cat, parts, set(ranked[:REPORT_TEXT_CLUSTERS]),
                             None if config.engine == "ray" else tmp)
        n_tasks = -(-len(ids) // MERGE_CHUNK)
        listed = set(ranked[:MAX_CLUSTER_ROWS])
        edge_index = EdgeIndex(clusters, [p.path for p in parts], cat["file"], cat["lines"])
        html_clusters: list[dict[str, Any]] = []
        quality: dict[str, dict[str, Any]] = {}
        digest = hashlib.sha256()
        size = n_clusters = 0
        fragment = os.path.join(tmp, "clusters.json")
        out = staging.open(output, "wb")
        with open(fragment, "w", encoding="utf-8") as frag:
            for share, got, flags, chosen in _progress(engine.map(_merge_task, tasks), n_tasks, "merge+write",
                                                       quiet):
                for pos, chosen_rec in chosen:  # the merge may prefer another copy among near-equal ones
                    reps[pos] = chosen_rec
                try:
                    size += _copy_part(share, out, digest)
                except OSError as exc:
                    raise write_error(exc, output) from None
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
        staging.close(out)
        sha = digest.hexdigest()
        timings["merge+write"] = time.perf_counter() - t

        # -- report, then every output put in place at once
        t = time.perf_counter()
        with _stage(f"report ({n_clusters:,} clusters)", quiet):
            rep = build_report(inputs=sorted({display_path(i) for i in inputs}), output=display_path(output),
                               sha256=sha, corpus_bytes=size, papers=len(ids),
                               config=replace(config, workers=None), parts=parts, cat=cat, clusters=clusters,
                               n_clusters=n_clusters, reps=reps, cl_labels=cl_labels, quality=quality)
            write_report(rep, fragment, html_clusters, json_path, html_path, clusters, staging)
        timings["report"] = time.perf_counter() - t
        timings["total"] = sum(timings.values())
        _write_timings(staging, timings_path(json_path), timings, workers, config.engine)
        staging.commit(last=output, on_committed=lambda: setattr(signals, "committed", True))
        if idx:  # after the outputs are in place (dedup.index.Index.commit says why)
            idx.commit()
    return RunResult(corpus=output, report_json=json_path, report_html=html_path,
                     records_in=int(sum(len(p) for p in parts)), papers=len(ids),
                     rejected=sum(len(p.rejects) for p in parts), sha256=sha, timings=timings, report=rep,
                     skipped=[path for path, _ in scan.skipped],
                     unreadable=[p.path for p in parts if p.layout == "unreadable"])


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
    pos = 0
    for p in parts:  # each file's arrays become views of the concatenated ones: not held twice
        k = len(p)
        p.arrays = {name: feats.arrays[name][pos:pos + k]
                    if name in feats.arrays and feats.arrays[name].dtype == a.dtype else a
                    for name, a in p.arrays.items()}
        p.strings, p.titles = {}, []
        pos += k
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
        self.order = order  # evidence rows are read (made dicts) cluster by cluster, as the report is written
        self.evidence = clusters.edge_evidence
        self.score = clusters.edge_score[order]

    def edges(self, label: int) -> list[dict[str, Any]]:
        lo, hi = np.searchsorted(self.lab, [label, label + 1])
        from .decide import signal_of

        ends = self.pairs[lo:hi].ravel()  # a, b, a, b, ...: one gather for the cluster, not one per end
        locs = [f"{self.files[f]}:{line}" for f, line in zip(self.file_idx[ends].tolist(), self.lines[ends].tolist(),
                                                               strict=True)]
        return [{"a": locs[2 * k], "b": locs[2 * k + 1], "signal": signal_of(rule), "rule": rule, "score": float(sc),
                 "evidence": ev}
                for k, (rule, sc, ev) in enumerate(zip(self.rule[lo:hi], self.score[lo:hi].tolist(),
                                                       map(self.evidence.__getitem__, self.order[lo:hi].tolist()),
                                                       strict=True))]


def _merge_tasks(labels: np.ndarray, cl_labels: np.ndarray, reps: np.ndarray, ids: list[str],
                 cat: dict[str, np.ndarray], parts: Sequence[Prepared], with_text: set[int],
                 tmp: str | None) -> Iterator[MergeTask]:
    """Clusters in id order, cut into chunks; each cluster as (id, rows, chosen position, with text). A
    cluster's rows are spill refs (path, offset) and its chunk's corpus share goes to a file in ``tmp``; with
    ``tmp`` None (Ray: a worker on another node sees none of this machine's files) the rows are their bytes,
    read here, and the share comes back as bytes through the object store."""
    order = np.argsort(labels, kind="stable")
    sl = labels[order]
    starts = np.searchsorted(sl, cl_labels, side="left")
    ends = np.searchsorted(sl, cl_labels, side="right")
    spills = [p.spill for p in parts]
    file_idx, offsets = cat["file"], cat["offsets"]
    by_id = sorted(range(len(ids)), key=ids.__getitem__)
    handles: dict[str, Any] = {}

    def row(path: str, offset: int) -> bytes:
        fh = handles.get(path)
        if fh is None:
            fh = handles[path] = open(path, "rb")  # noqa: SIM115 - closed below
        fh.seek(offset)
        return fh.readline()

    chunk: list[Any] = []
    n = 0
    try:
        for c in by_id:
            members = order[starts[c]:ends[c]]
            if tmp is None:
                refs: list[Any] = [row(spills[file_idx[m]], int(offsets[m])) for m in members.tolist()]
            else:
                refs = [(spills[file_idx[m]], int(offsets[m])) for m in members.tolist()]
            rep_pos = int(np.flatnonzero(members == reps[c])[0])
            chunk.append((ids[c], refs, members.tolist(), rep_pos, c in with_text, c))
            if len(chunk) >= MERGE_CHUNK:
                yield chunk, None if tmp is None else os.path.join(tmp, f"corpus-{n:06d}.part")
                chunk, n = [], n + 1
        if chunk:
            yield chunk, None if tmp is None else os.path.join(tmp, f"corpus-{n:06d}.part")
    finally:
        for fh in handles.values():
            fh.close()


def _write_timings(staging: Staging, path: str, timings: dict[str, float], workers: int, engine: str) -> None:
    fh = staging.open(path)
    json.dump({"engine": engine, "workers": workers,
               "seconds": {k: round(v, 3) for k, v in timings.items()}}, fh, indent=1, sort_keys=True)
    fh.write("\n")
