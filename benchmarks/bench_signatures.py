"""Benchmark: MinHash signatures and LSH banding of dedup.signatures / dedup.lsh against datasketch.

Synthetic ~1 KB abstracts (150 words from a seeded Zipf-like random vocabulary). Everything runs in this
one process on one core; each row is timed without tracemalloc, then re-run under tracemalloc for its peak
of traced allocations (numpy included). datasketch's per-shingle loops are slow, so they run on the first
``--baseline-docs`` docs; docs/s make the rows comparable.

Run::

    python benchmarks/bench_signatures.py [N=20000] [--baseline-docs 2000] [--banding-n 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from dedup.lsh import candidate_pairs_with_stats, choose_bands, datasketch_candidate_pairs
from dedup.signatures import prefix_signatures, signatures


def make_docs(n: int, seed: int = 0, words: int = 150, vocab: int = 30_000, dups: float = 0.3) -> list[str]:
    """``n`` synthetic abstracts of ``words`` tokens (~1 KB), Zipf-like word frequencies, seeded.

    A fraction ``dups`` of the docs are copies of an earlier doc with 0-12 words replaced (5-gram Jaccard
    ~1.0-0.4), so banding has real buckets to find.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 11, vocab)
    letters = rng.integers(97, 123, int(lengths.sum())).astype(np.uint8).tobytes().decode()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    vocabulary = [letters[offsets[i] : offsets[i + 1]] for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1) ** 1.05
    ids = rng.choice(vocab, size=(n, words), p=p / p.sum())
    copy = np.flatnonzero(rng.random(n) < dups)
    copy = copy[copy > 0]
    for i in copy.tolist():
        ids[i] = ids[int(rng.integers(0, i))]
        edits = int(rng.integers(0, 13))
        ids[i, rng.choice(words, edits, replace=False)] = rng.integers(0, vocab, edits)
    return [" ".join([vocabulary[j] for j in row]) for row in ids]


def shingle_strings(doc: str, ngram: int = 5) -> list[str]:
    tokens = doc.split()
    return [" ".join(tokens[i : i + ngram]) for i in range(max(len(tokens) - ngram + 1, 1))]


def measure(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(wall seconds, CPU seconds, peak traced MB, result): a timed run, then a tracemalloc run for memory.

    CPU time of this process is reported beside wall time: on a shared machine it is the fairer measure
    of one core's work (ratios use it).
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del result
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return wall, cpu, peak, result


def datasketch_update(docs: list[str], num_perm: int) -> list[Any]:
    from datasketch import MinHash

    out = []
    for doc in docs:
        m = MinHash(num_perm=num_perm)
        for shingle in shingle_strings(doc):
            m.update(shingle.encode("utf-8"))
        out.append(m)
    return out


def datasketch_bulk(docs: list[str], num_perm: int) -> list[Any]:
    from datasketch import MinHash

    return MinHash.bulk([[s.encode("utf-8") for s in shingle_strings(d)] for d in docs], num_perm=num_perm)


def datasketch_lsh(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    return datasketch_candidate_pairs(sigs, bands, rows)


def planted_signatures(n: int, num_perm: int, seed: int = 0) -> np.ndarray:
    """Random signatures with ~5% near-duplicate rows (15% of slots changed) and one 3,000-row bucket."""
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, (n, num_perm), dtype=np.uint32)
    k = n // 20
    src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
    copies = sigs[src]
    change = rng.random(copies.shape) < 0.15
    copies[change] = rng.integers(0, 2**32, int(change.sum()), dtype=np.uint32)
    sigs[dst] = copies
    sigs[: min(3000, n)] = sigs[min(3000, n - 1)]
    return sigs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000, help="documents (default 20000)")
    parser.add_argument("--baseline-docs", type=int, default=2000, help="docs for datasketch's update loop")
    parser.add_argument("--bulk-docs", type=int, default=5000, help="docs for datasketch's MinHash.bulk")
    parser.add_argument("--banding-n", type=int, default=0, help="also band this many planted signatures")
    parser.add_argument("--num-perm", type=int, default=128)
    args = parser.parse_args(argv)
    num_perm = args.num_perm
    bands, rows = choose_bands(0.8, num_perm)

    docs = make_docs(args.n)
    import datasketch  # noqa: F401  (imported before any timing: it pulls in scipy)

    kb = sum(len(d) for d in docs) / len(docs) / 1000
    print(f"{args.n} synthetic docs, {kb:.2f} KB each on average; num_perm={num_perm}, 5-grams, one core\n")

    update_docs = docs[: min(args.baseline_docs, args.n)]
    bulk_docs = docs[: min(args.bulk_docs, args.n)]
    table: list[tuple[str, int, float, float, float]] = []
    wall, cpu, mb, _ = measure(lambda: datasketch_update(update_docs, num_perm))
    table.append(("datasketch `MinHash.update` per shingle string", len(update_docs), wall, cpu, mb))
    wall, cpu, mb, _ = measure(lambda: datasketch_bulk(bulk_docs, num_perm))
    table.append(("datasketch `MinHash.bulk`", len(bulk_docs), wall, cpu, mb))
    wall, cpu, mb, (sigs, _) = measure(lambda: signatures(docs, num_perm=num_perm))
    table.append(("`dedup.signatures.signatures`", len(docs), wall, cpu, mb))
    wall, cpu, mb, _ = measure(lambda: prefix_signatures(docs, 60, num_perm=num_perm))
    table.append(("`dedup.signatures.prefix_signatures` (60 words)", len(docs), wall, cpu, mb))

    update_rate = table[0][1] / table[0][3]
    bulk_rate = table[1][1] / table[1][3]
    print("| signatures | docs | wall s | CPU s | docs/s (CPU) | x update | x bulk | peak traced MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, wall, cpu, mb in table:
        rate = n / cpu
        ratios = f"{rate / update_rate:.1f} | {rate / bulk_rate:.1f}"
        print(f"| {name} | {n} | {wall:.2f} | {cpu:.2f} | {rate:,.0f} | {ratios} | {mb:.0f} |")

    print(
        f"\n| banding ({bands} x {rows}) | docs | wall s | CPU s | pairs | capped buckets | peak traced MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    wall_ds, cpu_ds, mb_ds, ref = measure(lambda: datasketch_lsh(sigs, bands, rows))
    print(
        f"| datasketch `MinHashLSH` insert + query | {len(sigs)} | {wall_ds:.2f} | {cpu_ds:.2f} "
        f"| {len(ref)} | - | {mb_ds:.0f} |"
    )
    wall, cpu, mb, res = measure(lambda: candidate_pairs_with_stats(sigs, bands, rows))
    print(
        f"| `dedup.lsh.candidate_pairs` | {len(sigs)} | {wall:.3f} | {cpu:.3f} | {len(res.pairs)} "
        f"| {res.capped_buckets} | {mb:.0f} |"
    )
    speedup = cpu_ds / max(cpu, 1e-9)
    same = np.array_equal(res.pairs, ref)
    if args.banding_n:
        big = planted_signatures(args.banding_n, num_perm)
        wall, cpu, mb, res = measure(lambda: candidate_pairs_with_stats(big, bands, rows))
        print(
            f"| `dedup.lsh.candidate_pairs`, planted random signatures | {len(big)} | {wall:.2f} | {cpu:.2f} "
            f"| {len(res.pairs)} | {res.capped_buckets} | {mb:.0f} |"
        )
        print(f"\n(the planted run's {big.nbytes / 2**20:.0f} MB signature matrix is not in its peak)")
    print(
        f"\nbanding, CPU time vs datasketch: x{speedup:.0f}; identical pair sets: {'yes' if same else 'NO'}"
    )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
