"""Match quality of ``dedup run`` against three baselines, on every labelled data set the project has.

Contenders, each given the same records of the same dumps:

* ``dedup``       ``dedup run DUMPS -o corpus.jsonl --quiet`` through the real CLI (``--dedup CMD``), timed.
                  A non-zero exit is shown in the table (``exit 2``), not raised.
* ``exact``       exact title: records grouped by ``title.strip().lower()``.
* ``minhash``     plain datasketch: word 5-gram shingles of the lower-cased ``title abstract``, MinHash with
                  128 permutations, ``MinHashLSH(threshold=0.8)``; every LSH candidate pair is merged
                  (union-find, no verification step).
* ``bibdedupe``   bib-dedupe, when importable: its documented pipeline ``prep -> block -> match`` and
                  ``cluster`` of the ``duplicate`` pairs; its ``maybe`` pairs stay unmerged (a person would
                  decide them). The copy kept is the first ID of each cluster, as its ``merge()`` keeps.

Data sets (rows):

* ``seeds``       ``seeds/`` (368 records). There is no truth file: the table shows papers out (expected 320).
* ``generator``   ``benchmarks/generate.py`` at ``--records`` (default 6,000) and ``--seed``; pairwise score
                  of ``generate.evaluate``.
* ``real``        ``../shared/real`` (real listings, arXiv id as truth); pairwise score of its ``score.py``.
* ``bib``         ``../shared/bib``, ``full`` variant, one row per data set plus ``bib overall``; bib-dedupe's
                  own benchmark score (record removals) from its ``score.py``. Overall sums TP/FP/FN/TN over the
                  data sets and computes P/R/F1 from the sums, as bib-dedupe's benchmark aggregates.

The baselines read the dumps the way dedup does: text layouts with dedup's own reader
(``dedup.read.read_paths``), JSON Lines files line by line with every field as the file has it (so a
field type the dedup under test refuses does not take records away from the baselines). Each baseline writes
a ``corpus.jsonl`` (one line per predicted paper with ``sources``) and a minimal report (``clusters[].id``,
``clusters[].chosen``, ``rejects``) and is scored by the SAME scorer as dedup's own output.

Data is built on first use into ``--data`` (default ``benchmarks/data/``, git-ignored) with the build scripts
of ``--shared`` (default ``../shared`` beside the repository): ``DATA/real/`` and ``DATA/bib/full/<name>/``.
The bib build downloads bib-dedupe's benchmark data with pip (about 245 MB, into ``/tmp/bib-benchmark-data``
or ``$BIB_DATA``); nothing else touches the network. Corpora, reports and the generated dumps go to ``--out``
(default ``benchmarks/data/out/``).

Run::

    python benchmarks/bench_match.py [--only seeds,generator,real,bib|<bib name>,...] [--records 6000]
        [--seed 0] [--data DIR] [--out DIR] [--shared DIR] [--dedup CMD] [--contenders dedup,exact,...]
        [--cpu 1] [--json OUT]

The table (Markdown) goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_DATA = HERE / "data"
BIB_DATASETS = ("cardiac", "cytology_screening", "diabetes", "digital_work", "haematology",
                "neuroimaging", "special_cases", "stroke")
DATASETS = ("seeds", "generator", "real", "bib")
CONTENDERS = ("dedup", "exact", "minhash", "bibdedupe")
LABELS = {"dedup": "dedup", "exact": "exact title", "minhash": "MinHashLSH", "bibdedupe": "bib-dedupe"}

# ---------------------------------------------------------------------------------------------------------
# reading


def _read_jsonl_raw(path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every line of a JSON Lines dump as a record (fields as the file has them), or a reject."""
    records: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    with open(path, encoding="utf-8-sig", newline=None) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                rejects.append({"file": path, "line": n, "reason": "not JSON"})
                continue
            if not isinstance(obj, dict):
                rejects.append({"file": path, "line": n, "reason": "not a JSON object"})
                continue
            rec = dict(obj)  # a record with an empty title is still a record (the truth counts it)
            rec["title"] = obj.get("title") if isinstance(obj.get("title"), str) else ""
            rec["abstract"] = obj.get("abstract") if isinstance(obj.get("abstract"), str) else ""
            rec.update(file=path, line=n, layout="jsonl")
            records.append(rec)
    return records, rejects


def read_records(dumps: Path | str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records, rejects) of every dump under ``dumps``, in dedup's file order.

    A record is a dict with ``title``, ``abstract`` (``""`` when absent), the other fields of its source and
    its provenance ``file``, ``line``, ``layout``. Text layouts go through dedup's reader (which needs every
    dump's titles to split one-line records); JSON Lines files are read line by line.
    """
    from dedup.errors import DedupError
    from dedup.read import find_files, read_paths, sniff_layout

    files = find_files([str(dumps)])
    jsonl = {f for f in files if sniff_layout(f) == "jsonl"}
    text = [f for f in files if f not in jsonl]
    by_file: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    if text:
        try:
            results = read_paths(files)  # all files: JSON Lines titles help split one-line dumps
        except DedupError:  # the dedup under test refuses a JSON Lines file: read the text dumps alone
            results = read_paths(text)
        for res in results:
            if res.path in jsonl:
                continue
            recs = []
            for r in res.records:
                d = r.to_dict()
                src = d.pop("source")
                d.update(file=src["file"], line=src["line"], layout=src["layout"])
                recs.append(d)
            rej = [{"file": j.file, "line": j.line, "reason": j.reason} for j in res.rejects]
            by_file[res.path] = (recs, rej)
    for f in jsonl:
        by_file[f] = _read_jsonl_raw(f)
    records: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for f in files:
        recs, rej = by_file[f]
        records.extend(recs)
        rejects.extend(rej)
    return records, rejects


# ---------------------------------------------------------------------------------------------------------
# baselines: each returns clusters as sorted lists of record indices, sorted by first member


def _groups(parent: list[int]) -> list[list[int]]:
    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    out: dict[int, list[int]] = {}
    for i in range(len(parent)):
        out.setdefault(find(i), []).append(i)
    return sorted(out.values())


def exact_title_clusters(records: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Records with the same ``title.strip().lower()`` are one paper (an empty title stays alone).

    >>> exact_title_clusters([{"title": "A b"}, {"title": "C"}, {"title": " a B "}, {"title": ""}])
    [[0, 2], [1], [3]]
    """
    groups: dict[str, list[int]] = {}
    out: list[list[int]] = []
    for i, r in enumerate(records):
        key = (r.get("title") or "").strip().lower()
        if not key:
            out.append([i])
        elif key in groups:
            groups[key].append(i)
        else:
            groups[key] = [i]
            out.append(groups[key])
    return sorted(out)


def shingles(text: str, ngram: int = 5) -> set[str]:
    """Word n-grams of the lower-cased text; a text shorter than ``ngram`` words is one shingle.

    >>> sorted(shingles("A b C", 2))
    ['a b', 'b c']
    >>> shingles("Short", 5)
    {'short'}
    """
    words = text.lower().split()
    if len(words) <= ngram:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + ngram]) for i in range(len(words) - ngram + 1)}


def minhash_clusters(records: Sequence[dict[str, Any]], threshold: float = 0.8, num_perm: int = 128,
                     ngram: int = 5) -> list[list[int]]:
    """Plain datasketch: MinHash of ``title abstract`` shingles, MinHashLSH candidates merged by union-find."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes: list[Any] = []
    for i, r in enumerate(records):
        sh = shingles(f"{r.get('title') or ''} {r.get('abstract') or ''}", ngram)
        if not sh:
            hashes.append(None)
            continue
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch([s.encode("utf-8") for s in sorted(sh)])
        lsh.insert(str(i), m)
        hashes.append(m)
    parent = list(range(len(records)))
    for i, m in enumerate(hashes):
        if m is None:
            continue
        for key in sorted(int(k) for k in lsh.query(m)):
            a, b = i, key
            while parent[a] != a:
                a = parent[a]
            while parent[b] != b:
                b = parent[b]
            if a != b:
                parent[max(a, b)] = min(a, b)
    return _groups(parent)


def bibdedupe_version() -> str | None:
    """bib-dedupe's version when importable, else None."""
    try:
        import bib_dedupe.bib_dedupe  # noqa: F401
    except Exception:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bib-dedupe")
    except PackageNotFoundError:
        return "unknown"


def _text(v: Any) -> str:
    if v is None or isinstance(v, bool):
        return ""
    if isinstance(v, list):
        return " and ".join(str(x) for x in v)
    return str(v)


def to_bibdedupe_row(i: int, r: dict[str, Any]) -> dict[str, str]:
    """A record in bib-dedupe's columns. An author COUNT (listing dumps) carries no names: left empty.

    >>> row = to_bibdedupe_row(3, {"title": "T", "authors": ["A, B.", "C, D."], "date": "2024-01-02"})
    >>> row["ID"], row["author"], row["year"], row["ENTRYTYPE"]
    ('r0000003', 'A, B. and C, D.', '2024', 'article')
    >>> to_bibdedupe_row(0, {"title": "T", "authors": 7, "date": "06-12"})["author"]
    ''
    """
    authors = r.get("authors")
    year = _text(r.get("year"))
    if not year:
        date = _text(r.get("date"))
        year = date[:4] if len(date) >= 4 and date[:4].isdigit() else ""
    return {
        "ID": f"r{i:07d}",
        "ENTRYTYPE": _text(r.get("entry_type")) or "article",
        "title": _text(r.get("title")),
        "author": "" if isinstance(authors, int) else _text(authors),
        "year": year,
        "journal": _text(r.get("venue") or r.get("journal")),
        "volume": _text(r.get("volume")),
        "number": _text(r.get("number")),
        "pages": _text(r.get("pages")),
        "abstract": _text(r.get("abstract")),
        "doi": _text(r.get("doi")),
    }


def bibdedupe_clusters(records: Sequence[dict[str, Any]], cpu: int = 1) -> tuple[list[list[int]], int]:
    """bib-dedupe's ``duplicate`` clusters (its ``maybe`` pairs left apart) and the count of maybe pairs."""
    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    df = pd.DataFrame([to_bibdedupe_row(i, r) for i, r in enumerate(records)])
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():  # stdout is the table
        warnings.simplefilter("ignore")  # pandas deprecation warnings from inside the library
        matched = match(block(prep(df, verbosity_level=0, cpu=cpu), verbosity_level=0, cpu=cpu),
                        verbosity_level=0, cpu=cpu)
        sets = cluster(matched, verbosity_level=0) if len(matched) else []
    maybe = int((matched["duplicate_label"] == "maybe").sum()) if len(matched) else 0
    parent = list(range(len(records)))
    for ids in sets:
        idx = sorted(int(x[1:]) for x in ids)
        for j in idx[1:]:
            parent[j] = idx[0]
    return _groups(parent), maybe


# ---------------------------------------------------------------------------------------------------------
# corpus and report of a baseline, in the shape the scorers read


def write_corpus(path: Path, records: Sequence[dict[str, Any]], clusters: Sequence[Sequence[int]]) -> None:
    """One line per predicted paper: ``id``, ``title`` of its first record and every record in ``sources``."""
    with open(path, "w", encoding="utf-8") as fh:
        for n, members in enumerate(clusters):
            fh.write(json.dumps({
                "id": f"p{n:07d}",
                "title": records[members[0]]["title"],
                "sources": [{"file": records[i]["file"], "line": records[i]["line"], "layout": records[i]["layout"]}
                            for i in members],
            }, ensure_ascii=False) + "\n")


def write_report(path: Path, records: Sequence[dict[str, Any]], clusters: Sequence[Sequence[int]],
                 rejects: Iterable[dict[str, Any]] = ()) -> None:
    """What ``shared/bib/score.py`` reads: ``clusters[].id`` and ``.chosen`` (the copy kept: the first
    record, as bib-dedupe's merge keeps the first ID) for clusters of 2+, and ``rejects``."""
    rep = {
        "clusters": [{"id": f"p{n:07d}",
                      "chosen": {"file": records[m[0]]["file"], "line": records[m[0]]["line"]},
                      "size": len(m)}
                     for n, m in enumerate(clusters) if len(m) > 1],
        "rejects": [{"file": r["file"], "line": r["line"], "reason": r.get("reason", "")} for r in rejects],
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(rep, fh)


# ---------------------------------------------------------------------------------------------------------
# scoring


def _run_json(cmd: list[str]) -> dict[str, Any]:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.splitlines()[0])


def score_real(shared: Path, truth: Path, corpus: Path) -> dict[str, Any]:
    """``shared/real/score.py``: pairwise precision/recall/F1."""
    return _run_json([sys.executable, str(shared / "real" / "score.py"), str(truth), str(corpus)])


def score_bib(shared: Path, truth: Path, corpus: Path, report: Path) -> dict[str, Any]:
    """``shared/bib/score.py``: bib-dedupe's benchmark score (``bibdedupe``) and pairwise."""
    out = corpus.with_suffix(".score.json")
    cmd = [sys.executable, str(shared / "bib" / "score.py"), str(truth), str(corpus), str(report), "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)


def score_generator(corpus: Path, truth: Path) -> dict[str, Any]:
    """``generate.evaluate``: pairwise precision/recall over the generator's truth."""
    from generate import evaluate

    m = evaluate(corpus, truth)
    return {"precision": m.precision, "recall": m.recall, "f1": m.f1, "true_pairs": m.true_pairs,
            "predicted_pairs": m.predicted_pairs, "tp": m.true_positive_pairs, "papers": m.papers,
            "clusters": m.clusters, "missing": m.missing}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall, F1 from counts (1.0 for an empty denominator of P or R).

    >>> prf(8, 0, 2)["recall"]
    0.8
    """
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def aggregate_bib(scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """bib-dedupe's overall: TP/FP/FN/TN summed over the data sets, P/R/F1 from the sums (not a mean).

    >>> a = aggregate_bib([{"bibdedupe": {"TP": 9, "FP": 1, "FN": 0, "TN": 5}},
    ...                    {"bibdedupe": {"TP": 1, "FP": 0, "FN": 4, "TN": 5}}])
    >>> a["TP"], a["precision"], round(a["recall"], 3)
    (10, 0.9090909090909091, 0.714)
    """
    tot = {k: sum(s["bibdedupe"][k] for s in scores) for k in ("TP", "FP", "FN", "TN")}
    return {**tot, **prf(tot["TP"], tot["FP"], tot["FN"])}


def summary(kind: str, score: dict[str, Any]) -> dict[str, Any]:
    """The P/R/F1 shown in the table for one scorer's output."""
    if kind == "bib":
        b = score["bibdedupe"]
        return {"precision": b["precision"], "recall": b["sensitivity"], "f1": b["f1"]}
    if kind == "seeds":
        return {"papers": score["papers"]}
    return {"precision": score["precision"], "recall": score["recall"], "f1": score["f1"]}


# ---------------------------------------------------------------------------------------------------------
# data


def ensure_real(data: Path, shared: Path) -> Path:
    d = data / "real"
    if not (d / "truth.json").exists():
        print(f"bench_match: building {d} with {shared / 'real' / 'build.py'}", file=sys.stderr)
        subprocess.run([sys.executable, str(shared / "real" / "build.py"), str(d)], check=True,
                       stdout=sys.stderr)
    return d


def ensure_bib(data: Path, shared: Path, names: Sequence[str]) -> Path:
    d = data / "bib"
    missing = [n for n in names if not (d / "full" / n / "truth.json").exists()]
    if missing:
        print(f"bench_match: building {d}/full/{{{','.join(missing)}}} with {shared / 'bib' / 'build.py'} "
              "(downloads bib-dedupe's benchmark data with pip on first use)", file=sys.stderr)
        subprocess.run([sys.executable, str(shared / "bib" / "build.py"), str(d), "--dataset", ",".join(missing),
                        "--variant", "full"], check=True, stdout=sys.stderr)
    return d / "full"


def ensure_generator(out: Path, records: int, seed: int) -> Path:
    d = out / f"generator-{records}-s{seed}"
    if not (d / "truth.jsonl").exists():
        from generate import generate

        print(f"bench_match: generating {records} records (seed {seed}) into {d}", file=sys.stderr)
        generate(d, records, seed=seed)
    return d


# ---------------------------------------------------------------------------------------------------------
# one data set


def run_dedup(cmd: Sequence[str], dumps: Path, out: Path) -> dict[str, Any]:
    """``CMD run DUMPS -o out/corpus.jsonl --quiet``, timed; old outputs are removed first."""
    corpus = out / "corpus.jsonl"
    for p in out.glob("corpus*"):
        p.unlink()
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "run", str(dumps), "-o", str(corpus), "--quiet"], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return {"exit": proc.returncode, "seconds": dt, "corpus": corpus, "report": out / "corpus.report.json",
            "stderr": err[:3] + (["…"] if len(err) > 3 else [])}


def _dedup_rejects(report: Path) -> int | None:
    """How many input records dedup's report lists as rejected (None without a readable report)."""
    try:
        with open(report, encoding="utf-8") as fh:
            return len(json.load(fh).get("rejects", []))
    except (OSError, ValueError, AttributeError):
        return None


def bench_one(name: str, kind: str, dumps: Path, truth: Path | None, out: Path, contenders: Sequence[str],
              dedup_cmd: Sequence[str], shared: Path, cpu: int) -> dict[str, Any]:
    """Every contender on one data set: {"records", "contenders": {name: {...}}}."""
    out.mkdir(parents=True, exist_ok=True)
    records, rejects = read_records(dumps)
    n_in = len(records) + len(rejects)
    print(f"bench_match: {name}: {n_in} records ({len(rejects)} the reader rejects)", file=sys.stderr)
    row: dict[str, Any] = {"dataset": name, "kind": kind, "records": n_in, "reader_rejects": len(rejects),
                           "contenders": {}}

    def score(corpus: Path, report: Path) -> dict[str, Any]:
        if kind == "real":
            return score_real(shared, truth, corpus)  # type: ignore[arg-type]
        if kind == "bib":
            return score_bib(shared, truth, corpus, report)  # type: ignore[arg-type]
        if kind == "generator":
            return score_generator(corpus, truth)  # type: ignore[arg-type]
        with open(corpus, encoding="utf-8") as fh:
            return {"papers": sum(1 for line in fh if line.strip())}

    for c in contenders:
        d = out / c
        d.mkdir(parents=True, exist_ok=True)
        res: dict[str, Any] = {}
        if c == "dedup":
            run = run_dedup(dedup_cmd, dumps, d)
            res = {"exit": run["exit"], "seconds": run["seconds"],
                   "records_per_second": n_in / run["seconds"] if run["seconds"] else None}
            if run["exit"] != 0:
                res["error"] = run["stderr"]
                print(f"bench_match: {name}: dedup exited {run['exit']}: {' | '.join(run['stderr'])}",
                      file=sys.stderr)
            else:
                res["score"] = score(run["corpus"], run["report"])
                res["rejected"] = _dedup_rejects(run["report"])
        else:
            t0 = time.perf_counter()
            if c == "exact":
                clusters = exact_title_clusters(records)
            elif c == "minhash":
                clusters = minhash_clusters(records)
            elif c == "bibdedupe":
                if bibdedupe_version() is None:
                    row["contenders"][c] = {"not_installed": True}
                    continue
                try:
                    clusters, res["maybe_pairs"] = bibdedupe_clusters(records, cpu=cpu)
                except Exception as e:  # a bug of the library on this data: shown, not raised
                    msg = f"{type(e).__name__}: {e}"
                    print(f"bench_match: {name}: bib-dedupe failed: {msg}", file=sys.stderr)
                    row["contenders"][c] = {"error": msg}
                    continue
            else:
                raise ValueError(c)
            res["seconds"] = time.perf_counter() - t0
            corpus, report = d / "corpus.jsonl", d / "corpus.report.json"
            write_corpus(corpus, records, clusters)
            write_report(report, records, clusters, rejects)
            res["score"] = score(corpus, report)
        if "score" in res:
            res["summary"] = summary(kind, res["score"])
        row["contenders"][c] = res
        shown = res.get("summary") or {"exit": res.get("exit")}
        print(f"bench_match: {name}: {c}: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                                                        for k, v in shown.items()), file=sys.stderr)
    return row


def bib_overall(rows: Sequence[dict[str, Any]], contenders: Sequence[str]) -> dict[str, Any]:
    """The ``bib overall`` row from the bib data set rows."""
    overall: dict[str, Any] = {"dataset": "bib overall", "kind": "bib-overall",
                               "records": sum(r["records"] for r in rows), "contenders": {}}
    for c in contenders:
        parts = [r["contenders"].get(c, {}) for r in rows]
        if any(p.get("not_installed") for p in parts):
            overall["contenders"][c] = {"not_installed": True}
            continue
        if any("error" in p and "exit" not in p for p in parts):
            overall["contenders"][c] = {"error": [r["dataset"] for r, p in zip(rows, parts, strict=True)
                                                  if "error" in p]}
            continue
        failed = [r["dataset"] for r, p in zip(rows, parts, strict=True) if "score" not in p]
        res: dict[str, Any] = {}
        if c == "dedup":
            secs = sum(p.get("seconds", 0.0) for p in parts)
            res.update(seconds=secs, records_per_second=overall["records"] / secs if secs else None)
            if all(p.get("rejected") is not None for p in parts):
                res["rejected"] = sum(p["rejected"] for p in parts)
        if failed:
            res["failed"] = failed
            res["exits"] = sorted({p.get("exit") for p in parts if "score" not in p}, key=str)
        else:
            agg = aggregate_bib([p["score"] for p in parts])
            pw = {k: sum(p["score"]["pairwise"][k] for p in parts) for k in ("tp", "fp", "fn")}
            res["score"] = {"bibdedupe": agg, "pairwise": {**pw, **prf(pw["tp"], pw["fp"], pw["fn"])}}
            res["summary"] = {"precision": agg["precision"], "recall": agg["recall"], "f1": agg["f1"]}
        overall["contenders"][c] = res
    return overall


# ---------------------------------------------------------------------------------------------------------
# table


def _cells(kind: str, res: dict[str, Any] | None, n_datasets: int) -> list[str]:
    if res is None:
        return ["", "", ""]
    if res.get("not_installed"):
        return ["not installed", "", ""]
    if "error" in res and "exit" not in res:
        return ["error", "", ""]
    if "failed" in res:
        ex = "/".join(f"exit {e}" for e in res["exits"])
        return [f"{ex} ({len(res['failed'])}/{n_datasets})", "", ""]
    if "summary" not in res:
        return [f"exit {res.get('exit')}", "", ""]
    s = res["summary"]
    if "papers" in s:
        return [f"{s['papers']} papers", "", ""]
    return [f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}"]


def format_table(rows: Sequence[dict[str, Any]], contenders: Sequence[str]) -> str:
    """The Markdown table (and its footnotes) of all rows."""
    head = ["data set", "records", "score"]
    for c in contenders:
        head += [f"{LABELS[c]} P", "R", "F1"]
    if "dedup" in contenders:
        head += ["dedup rejected", "dedup s", "dedup rec/s"]
    score_name = {"seeds": "papers out", "generator": "pairwise", "real": "pairwise", "bib": "bib-dedupe",
                  "bib-overall": "bib-dedupe, summed"}
    n_bib = sum(1 for r in rows if r["kind"] == "bib")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in rows:
        cells = [r["dataset"], f"{r['records']:,}", score_name[r["kind"]]]
        for c in contenders:
            cells += _cells(r["kind"], r["contenders"].get(c), n_bib)
        if "dedup" in contenders:
            d = r["contenders"].get("dedup", {})
            secs, rate, rej = d.get("seconds"), d.get("records_per_second"), d.get("rejected")
            cells += [f"{rej:,}" if rej is not None else "", f"{secs:.1f}" if secs is not None else "",
                      f"{rate:,.0f}" if rate else ""]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        "P/R/F1: precision, recall, F1. *pairwise*: over record pairs (a pair is predicted when both records "
        "are in one output paper). *bib-dedupe*: bib-dedupe's own benchmark score over record removals "
        "(`../shared/bib/score.py`); *bib overall* sums TP/FP/FN/TN over the bib data sets and computes P/R/F1 "
        "from the sums, as bib-dedupe's benchmark aggregates. Seeds have no truth file: the cells give the "
        "papers out (expected 320).",
        "Baselines: exact title = same `title.strip().lower()`; MinHashLSH = datasketch, word 5-gram shingles "
        "of lower-cased title + abstract, 128 permutations, threshold 0.8, every LSH candidate merged; "
        "bib-dedupe = prep/block/match/cluster, its *maybe* pairs left unmerged (its rules need author names: "
        "on listing dumps, which carry an author count at most, it finds only *maybe* pairs). "
        "`exit N`: `dedup run` failed on that data set (N of M data sets in the overall row). "
        "dedup rejected: records in the rejects of "
        "dedup's report (scored as unmerged singletons). dedup s: wall time of `dedup run` through the CLI, "
        "process start included; rec/s = input records / that time.",
    ]
    return "\n".join(lines + notes)


# ---------------------------------------------------------------------------------------------------------
# command line


def _dedup_cmd(arg: str | None) -> list[str]:
    """``--dedup`` split like a shell would; else the ``dedup`` script of this Python's environment (a venv
    run without activating it), else ``dedup`` on PATH, else ``python -m dedup``."""
    if arg:
        return shlex.split(arg)
    beside = Path(sys.executable).parent / "dedup"
    if beside.exists():
        return [str(beside)]
    exe = shutil.which("dedup")
    if exe is None:
        print("bench_match: no `dedup` on PATH; using `python -m dedup`", file=sys.stderr)
        return [sys.executable, "-m", "dedup"]
    return [exe]


def _selection(only: str | None) -> tuple[list[str], list[str]]:
    if not only:
        return list(DATASETS), list(BIB_DATASETS)
    sets, bib = [], []
    for part in (p.strip() for p in only.split(",")):
        if not part:
            continue
        if part in DATASETS:
            sets.append(part)
            if part == "bib":
                bib = list(BIB_DATASETS)
        elif part in BIB_DATASETS:
            bib.append(part)
        else:
            raise SystemExit(f"bench_match: --only: unknown data set {part!r} "
                             f"(one of {', '.join(DATASETS + BIB_DATASETS)})")
    if bib and "bib" not in sets:
        sets.append("bib")
    return [d for d in DATASETS if d in sets], [b for b in BIB_DATASETS if b in bib]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated: seeds, generator, real, bib, or bib data set names")
    ap.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset of "
                    + ", ".join(CONTENDERS))
    ap.add_argument("--records", type=int, default=6000, help="generator records (default 6000)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real/bib data cache (built when missing)")
    ap.add_argument("--out", type=Path, default=None, help="corpora, reports, generated dumps "
                    "(default: benchmarks/data/out)")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the ../shared folder (build/score scripts)")
    ap.add_argument("--dedup", help="command that runs dedup (default: the `dedup` beside this Python, "
                    "else `dedup` on PATH)")
    ap.add_argument("--cpu", type=int, default=1, help="processes for bib-dedupe (default 1)")
    ap.add_argument("--json", type=Path, help="write every number here")
    a = ap.parse_args(argv)
    contenders = [c.strip() for c in a.contenders.split(",") if c.strip()]
    bad = [c for c in contenders if c not in CONTENDERS]
    if bad:
        raise SystemExit(f"bench_match: --contenders: unknown {bad} (one of {', '.join(CONTENDERS)})")
    sets, bib_names = _selection(a.only)
    out: Path = a.out or DEFAULT_DATA / "out"
    dedup_cmd = _dedup_cmd(a.dedup)
    shared: Path = a.shared.resolve()
    version = bibdedupe_version()
    print(f"bench_match: dedup = {' '.join(dedup_cmd)}; bib-dedupe "
          f"{version or 'not installed'}", file=sys.stderr)

    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    common = {"contenders": contenders, "dedup_cmd": dedup_cmd, "shared": shared, "cpu": a.cpu}
    for s in sets:
        if s == "seeds":
            rows.append(bench_one("seeds", "seeds", ROOT / "seeds", None, out / "seeds", **common))
        elif s == "generator":
            g = ensure_generator(out, a.records, a.seed)
            rows.append(bench_one(f"generator ({a.records:,}, seed {a.seed})", "generator", g / "dumps",
                                  g / "truth.jsonl", g / "runs", **common))
        elif s == "real":
            d = ensure_real(a.data, shared)
            rows.append(bench_one("real listings", "real", d / "dumps", d / "truth.json", out / "real", **common))
        elif s == "bib":
            full = ensure_bib(a.data, shared, bib_names)
            bib_rows = [bench_one(f"bib: {n}", "bib", full / n / "dumps", full / n / "truth.json",
                                  out / "bib" / n, **common) for n in bib_names]
            rows.extend(bib_rows)
            if len(bib_rows) > 1:
                rows.append(bib_overall(bib_rows, contenders))
    elapsed = time.perf_counter() - t0
    print(format_table(rows, contenders))
    print(f"bench_match: {elapsed:.0f}s in all", file=sys.stderr)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump({"rows": rows, "contenders": contenders, "dedup_cmd": dedup_cmd,
                       "bibdedupe_version": version, "seconds": elapsed,
                       "python": sys.version.split()[0], "records": a.records, "seed": a.seed},
                      fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
