"""Throughput of dedup.canonical against plain ftfy.fix_text, on clean and on mojibake-heavy text.

Run it by hand: ``python benchmarks/bench_canonicalize.py [--repeat 3]``. It prints one table (MB/s of
UTF-8 input, best of the repeats) and the ratio to ftfy measured in the same run. Goals: at least 5x
ftfy on clean text, never slower on dirty text, dedup_key at 20 MB/s or more on clean ASCII. Nothing
here asserts; the machine is noisy, so quote ratios from one run.
"""

from __future__ import annotations

import argparse
import html
import random
import time
from collections.abc import Callable
from pathlib import Path

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

from dedup.canonical import canonicalize, dedup_key

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TYPOGRAPHY = {"'": "’", '"': "“", " - ": " – ", "...": "…", " -- ": " — "}


def seed_records() -> list[str]:
    """Every non-blank line of the seed dumps: titles, abstracts, whole records (seed text as scraped)."""
    return [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def clean_records(records: list[str]) -> list[str]:
    """The seed lines already in canonical form: what most of a real corpus looks like."""
    return [canonicalize(record) for record in records]


def dirty_records(records: list[str], seed: int = 0) -> list[str]:
    """Mojibake-heavy copies: typographic characters added, UTF-8 read as cp1252, some HTML-escaped."""
    rng = random.Random(seed)
    out = []
    for record in records:
        for plain, fancy in TYPOGRAPHY.items():
            record = record.replace(plain, fancy)
        record = record.replace(" x ", " × ").replace("e", "é", 3)
        mangled = record.encode("utf-8").decode("sloppy-windows-1252")
        if rng.random() < 0.3:
            mangled = html.escape(mangled, quote=False).replace("é", "&eacute;")
        out.append(mangled)
    return out


def throughput(function: Callable[[str], str], records: list[str], repeat: int) -> float:
    """Best MB/s of UTF-8 input over `repeat` runs."""
    size = sum(len(record.encode("utf-8")) for record in records) / 1e6
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for record in records:
            function(record)
        best = min(best, time.perf_counter() - start)
    return size / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    args = parser.parse_args()

    raw = seed_records()
    samples = {"seed text (as scraped)": raw, "clean text": clean_records(raw), "mojibake-heavy": dirty_records(raw)}
    print(f"{len(raw)} records, {sum(len(r) for r in raw) / 1e3:.0f} K chars per sample; best of {args.repeat}")
    print(f"{'sample':<24} {'ftfy MB/s':>10} {'canon MB/s':>11} {'ratio':>7} {'key MB/s':>9}")
    for name, records in samples.items():
        ftfy_rate = throughput(ftfy.fix_text, records, args.repeat)
        ours = throughput(canonicalize, records, args.repeat)
        key = throughput(dedup_key, records, args.repeat)
        print(f"{name:<24} {ftfy_rate:>10.2f} {ours:>11.2f} {ours / ftfy_rate:>6.1f}x {key:>9.2f}")


if __name__ == "__main__":
    main()
