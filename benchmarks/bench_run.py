"""End-to-end benchmark of ``dedup run`` on generated re-scrapes, against plain datasketch loops.

    python benchmarks/bench_run.py                      # 100,000 records, with both baselines
    python benchmarks/bench_run.py --records 1000000 --no-baselines
    python benchmarks/bench_run.py --records 20000      # a quick look

For each size it generates a corpus (benchmarks/generate.py, seeded; cached under benchmarks/data/), runs
``dedup run`` in a fresh process, and prints records/s, wall time, peak RSS and the accuracy against the
generator's truth. On the same corpus, in the same run, two baselines do the core of the job the way a
datasketch user usually writes it — read the records (dedup's own reader, so reading costs the same),
lowercase, word 5-gram shingles as strings, MinHash, ``MinHashLSH`` insert and query, union-find:

* ``datasketch update``: ``MinHash.update`` per shingle (the usual user loop);
* ``datasketch bulk``: ``MinHash.bulk`` over all records' shingle lists.

The baselines do no Unicode/LaTeX repair and write no corpus, so they do less work than ``dedup run``.
Peak RSS of ``dedup run`` is the largest sum, sampled every 0.1 s, of the resident sets of the main process
and all its workers (pages shared between processes count once per process, so it is an upper bound); the
baselines are one process each (``getrusage``). Each contender runs in its own fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

BASELINE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from dedup.read import find_files, read_file
from datasketch import MinHash, MinHashLSH

mode, folder = sys.argv[1], sys.argv[2]
t = time.perf_counter()
texts = []
for f in find_files([folder]):
    for r in read_file(f).records:
        texts.append(r.abstract.lower().split())
def shingles(words):
    return [" ".join(words[i:i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))]
if mode == "update":
    sigs = []
    for words in texts:
        m = MinHash(num_perm=128, seed=1)
        for s in shingles(words):
            m.update(s)
        sigs.append(m)
else:
    sigs = MinHash.bulk([shingles(w) for w in texts], num_perm=128, seed=1)
lsh = MinHashLSH(threshold=0.8, num_perm=128, params=(16, 8))
for i, m in enumerate(sigs):
    lsh.insert(i, m)
parent = list(range(len(sigs)))
def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
for i, m in enumerate(sigs):
    for j in lsh.query(m):
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
papers = sum(1 for i in range(len(sigs)) if find(i) == i)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"records": len(texts), "papers": papers, "seconds": elapsed, "peak_kb": peak}}))
"""

RUN = r"""
import json, os, resource, sys, threading, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + "/benchmarks")
from procs import tree_rss_kb
from dedup.config import Config
from dedup.pipeline import run

peak = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], tree_rss_kb(os.getpid()))
        done.wait(0.1)
threading.Thread(target=sample, daemon=True).start()
folder, out, workers, engine = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
res = run([folder], out, config=Config(workers=workers, engine=engine), quiet=True)
elapsed = time.perf_counter() - t
done.set()
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"records": res.records_in, "papers": res.papers, "seconds": elapsed,
                  "peak_kb": max(peak[0], me), "main_kb": me, "stages": res.timings}}))
"""


def _python(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code.format(root=str(HERE.parent)), *args], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def corpus(records: int, seed: int, files: int | None = None) -> Path:
    out = HERE / "data" / (f"gen-{records}-{seed}" + ("" if files is None else f"-{files}files"))
    if not (out / "truth.jsonl").exists():
        t = time.perf_counter()
        generate.generate(out, records=records, seed=seed, files=files)
        print(f"generated {records:,} records in {time.perf_counter() - t:.1f}s -> {out}", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-baselines", action="store_true", help="only dedup run")
    ap.add_argument("--one-file", action="store_true",
                    help="also the same records (same seed) written as ONE dump file")
    ap.add_argument("--ray", action="store_true", help="also dedup run --engine ray (an embedded local Ray)")
    ap.add_argument("--real", type=Path, default=None, help="also a folder of real dumps (no truth: no accuracy)")
    args = ap.parse_args()
    rows = []

    def dedup(name: str, n: int, data: Path, engine: str = "local", truth: bool = True) -> None:
        out = data / "corpus.jsonl"
        got = _python(RUN, str(data / "dumps" if truth else data), str(out), str(args.workers), engine)
        m = generate.evaluate(out, data / "truth.jsonl") if truth else None
        rows.append((name, n, got, m))
        print(f"  {name}: stages (s): {json.dumps({k: round(v, 2) for k, v in got['stages'].items()})}; peak RSS: "
              f"main process {got['main_kb'] / 1024:,.0f} MB, whole process tree {got['peak_kb'] / 1024:,.0f} MB",
              file=sys.stderr)
        if truth:
            out.unlink()

    for n in args.records:
        data = corpus(n, args.seed)
        dedup(f"dedup run ({args.workers} workers)", n, data)
        if args.one_file:
            dedup(f"dedup run, one file ({args.workers} workers)", n, corpus(n, args.seed, files=1))
        if args.ray:
            dedup(f"dedup run --engine ray ({args.workers} CPUs)", n, data, engine="ray")
        if not args.no_baselines:
            for mode in ("update", "bulk"):
                rows.append((f"datasketch {mode} (1 process)", n, _python(BASELINE, mode, str(data / "dumps")),
                             None))
    if args.real:
        n = 0  # the real listings: their count comes from the run
        out_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "dedup-bench-real"
        out_dir.mkdir(exist_ok=True)
        got = _python(RUN, str(args.real), str(out_dir / "corpus.jsonl"), str(args.workers), "local")
        rows.append((f"dedup run, real listings ({args.workers} workers)", n, got, None))
    print()
    print("| contender | records | papers | seconds | records/s | peak RSS MB | vs dedup (many files, local) "
          "| precision | recall |")
    print("|---|---|---|---|---|---|---|---|---|")
    first_rate: dict[int, float] = {}  # the first dedup row of each size: what the others compare with
    for name, n, got, m in rows:
        rate = got["records"] / got["seconds"]
        if name.startswith("dedup"):
            first_rate.setdefault(n, rate)
            vs = "1.0" if first_rate[n] == rate else f"{rate / first_rate[n]:.2f}x of row 1"
        else:
            vs = f"dedup {first_rate[n] / rate:.1f}x faster"
        acc = f"{m.precision:.4f} | {m.recall:.4f}" if m else "— | —"
        print(f"| {name} | {got['records']:,} | {got['papers']:,} | {got['seconds']:.1f} | {rate:,.0f} | "
              f"{got['peak_kb'] / 1024:,.0f} | {vs} "
              f"| {acc} |")
    print()
    print(f"machine: {os.cpu_count()} cores; peak RSS = sum over dedup's process tree (sampled) or the baseline's one "
          "process; "
          f"ratios are dedup's records/s over the contender's, same corpus, same run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
