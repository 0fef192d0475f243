"""Benchmark of the persistent index: ``dedup check`` of a 1,000-record dump against an index of N records,
next to ``check --against corpus.jsonl`` and a full re-run.

    python benchmarks/bench_index.py                     # N = 1,000,000 (a full run of ~6 min to build)
    python benchmarks/bench_index.py --records 100000    # a quicker look

The corpus is the project's generator (benchmarks/generate.py, seeded, cached under benchmarks/data/). The
checked dump is one JSON Lines file of 1,000 records: 500 copied from the corpus's own JSON Lines dumps
(already in the corpus) and 500 from the generator with another seed (new papers). Every command runs
through the CLI in a fresh process; seconds are wall time, peak RSS is the largest sum, sampled every
20 ms, of the resident sets of the command and its workers. Steps:

1. ``dedup run DUMPS --index ix.db -o corpus.jsonl`` (builds the index; also the time of a full run that
   writes one);
2. ``dedup check NEW --index ix.db`` (the goal: under 5 s and 1 GB at 1,000,000 records);
3. ``dedup check NEW --against corpus.jsonl`` (re-signs the whole corpus);
4. ``dedup run DUMPS NEW -o corpus2.jsonl`` (a full re-run with the new dump);
5. ``dedup run NEW --index ix.db -o corpus3.jsonl`` (the incremental run; its corpus must equal step 4's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from procs import tree_rss_kb  # noqa: E402


def measure(args: list[str], cwd: Path) -> dict[str, float | int | str]:
    """Run ``dedup ARGS`` in a fresh process: wall seconds, peak RSS (MB), exit code."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dedup", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"dedup {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "peak_mb": peak[0] / 1024, "code": proc.returncode, "stdout": out}


def corpus(records: int, seed: int) -> Path:
    out = HERE / "data" / f"gen-{records}-{seed}"
    if not (out / "truth.jsonl").exists():
        t = time.perf_counter()
        generate.generate(out, records=records, seed=seed)
        print(f"generated {records:,} records in {time.perf_counter() - t:.1f}s -> {out}", file=sys.stderr)
    return out


def new_dump(data: Path, seed: int, size: int) -> Path:
    """``size`` records: half copied from the corpus's JSON Lines dumps, half new papers."""
    path = data / f"new-{size}.jsonl"
    if path.exists():
        return path
    fresh = data / f"fresh-{seed}"
    generate.generate(fresh, records=size - size // 2, seed=seed + 1000, layouts=("jsonl",), files=1)
    lines = (next((fresh / "dumps").iterdir())).read_text(encoding="utf-8").splitlines(keepends=True)
    old: list[str] = []
    for f in sorted((data / "dumps").iterdir()):
        if len(old) >= size // 2:
            break
        head = f.read_text(encoding="utf-8").splitlines(keepends=True)
        if head and head[0].startswith("{"):
            old.extend(head[: size // 2 - len(old)])
    path.write_text("".join(old + lines[: size - len(old)]), encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000, help="records in the indexed corpus")
    ap.add_argument("--new", type=int, default=1000, help="records in the checked dump")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-slow", action="store_true", help="skip check --against and the full re-run")
    args = ap.parse_args()
    data = corpus(args.records, args.seed)
    new = new_dump(data, args.seed, args.new)
    work = data / "index-bench"
    work.mkdir(exist_ok=True)
    for name in os.listdir(work):
        os.unlink(work / name)
    dumps, newp = str(data / "dumps"), str(new)
    rows: list[tuple[str, dict[str, float | int | str]]] = []

    def step(name: str, argv: list[str]) -> dict[str, float | int | str]:
        got = measure(argv, work)
        rows.append((name, got))
        print(f"{name}: {got['seconds']:.2f} s, {got['peak_mb']:,.0f} MB (exit {got['code']})", file=sys.stderr)
        return got

    step("run DUMPS --index (build the index)", ["run", dumps, "--index", "ix.db", "-o", "corpus.jsonl", "-q"])
    size_mb = os.path.getsize(work / "ix.db") / 1e6
    got = step("check NEW --index", ["check", newp, "--index", "ix.db", "--format", "json", "--fail-on", "error"])
    summary = json.loads(str(got["stdout"]))["summary"]
    if not args.skip_slow:
        step("check NEW --against corpus.jsonl", ["check", newp, "--against", "corpus.jsonl", "--format", "json",
                                                  "--fail-on", "error"])
        step("run DUMPS NEW (full re-run)", ["run", dumps, newp, "-o", "full.jsonl", "-q"])
    step("run NEW --index (incremental)", ["run", newp, "--index", "ix.db", "-o", "corpus.jsonl", "-q"])
    print()
    print(f"index of {args.records:,} records: {size_mb:,.0f} MB on disk; checked dump: {args.new:,} records "
          f"({summary['index']['statuses']}, {summary['index']['candidates']} index records fetched)")
    print()
    print("| command | seconds | peak RSS MB |")
    print("|---|---:|---:|")
    for name, got in rows:
        print(f"| `dedup {name}` | {got['seconds']:.2f} | {got['peak_mb']:,.0f} |")
    if not args.skip_slow:
        same = sha(work / "corpus.jsonl") == sha(work / "full.jsonl")
        print(f"\nincremental corpus == full re-run corpus: {same}")
    print(f"machine: {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
