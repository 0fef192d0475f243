"""The helpers of benchmarks/bench_match.py on a five-record example whose answer is known by construction.

Records (one JSON Lines dump, authors as name lists, which the baselines must read whatever dedup accepts):

    line 1  "Deep Nets"           paper X
    line 2  "deep nets "          paper X   same title, other case and spacing -> exact title merges 1+2
    line 3  "Deep Networks"       paper X   other title                        -> exact title misses it
    line 4  "Shallow Nets"        paper Y
    line 5  "Shallow Nets"        paper Z   same title, another paper          -> exact title merges 4+5 wrongly

Exact title: clusters [1,2] [3] [4,5]. Pairwise: 3 true pairs (X), 2 predicted, 1 right -> P 1/2, R 1/3.
bib-dedupe's score: set X keeps 2 of 3 records (TN 1, FN 1, TP 1); Y is kept (TN); Z is merged away though it
has no duplicate (FP) -> TP 1, FP 1, FN 1, TN 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import bench_match  # benchmarks/, put on sys.path by conftest.py
import pytest

TITLES = ["Deep Nets", "deep nets ", "Deep Networks", "Shallow Nets", "Shallow Nets"]
PAPERS = ["X", "X", "X", "Y", "Z"]
ABSTRACT = "We train {} networks on many tasks and report what happens to the accuracy of every model we try."
SHARED = bench_match.DEFAULT_SHARED
needs_shared = pytest.mark.skipif(not (SHARED / "real" / "score.py").exists()
                                  or not (SHARED / "bib" / "score.py").exists(),
                                  reason=f"no shared scorers at {SHARED}")


@pytest.fixture()
def tiny(tmp_path: Path) -> dict:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    with open(dumps / "tiny.jsonl", "w", encoding="utf-8") as fh:
        for i, t in enumerate(TITLES):
            fh.write(json.dumps({"title": t, "abstract": ABSTRACT.format(PAPERS[i]),
                                 "authors": ["Doe, J.", "Roe, R."], "year": 2020}) + "\n")
    keys = [f"tiny.jsonl:{n}" for n in range(1, 6)]
    ids = [f"id_{n}" for n in range(1, 6)]
    first = {p: ids[PAPERS.index(p)] for p in PAPERS}
    real_truth = tmp_path / "real_truth.json"
    real_truth.write_text(json.dumps(dict(zip(keys, PAPERS, strict=True))))
    bib_truth = tmp_path / "bib_truth.json"
    bib_truth.write_text(json.dumps({"stats": {"dataset": "tiny", "variant": "full"},
                                     "group": {k: first[p] for k, p in zip(keys, PAPERS, strict=True)},
                                     "id": dict(zip(keys, ids, strict=True))}))
    gen_truth = tmp_path / "truth.jsonl"
    gen_truth.write_text("".join(json.dumps({"file": "tiny.jsonl", "line": n, "paper": p, "variants": []}) + "\n"
                                 for n, p in enumerate(PAPERS, start=1)))
    return {"dumps": dumps, "real_truth": real_truth, "bib_truth": bib_truth, "gen_truth": gen_truth,
            "tmp": tmp_path}


def test_reader_keeps_every_jsonl_record_and_field(tiny):
    records, rejects = bench_match.read_records(tiny["dumps"])
    assert rejects == []
    assert [r["title"] for r in records] == TITLES
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["authors"] == ["Doe, J.", "Roe, R."] and records[0]["layout"] == "jsonl"


def test_reader_reads_the_seeds():
    records, rejects = bench_match.read_records(bench_match.ROOT / "seeds")
    assert len(records) + len(rejects) == 368


def test_exact_title_clusters(tiny):
    records, _ = bench_match.read_records(tiny["dumps"])
    assert bench_match.exact_title_clusters(records) == [[0, 1], [2], [3, 4]]


def test_minhash_merges_identical_text_only():
    long = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    recs = [{"title": "A", "abstract": long}, {"title": "B", "abstract": "something else entirely, " * 3},
            {"title": "a", "abstract": long}]
    assert bench_match.minhash_clusters(recs) == [[0, 2], [1]]


def test_generator_score(tiny):
    records, rejects = bench_match.read_records(tiny["dumps"])
    corpus = tiny["tmp"] / "corpus.jsonl"
    bench_match.write_corpus(corpus, records, bench_match.exact_title_clusters(records))
    s = bench_match.score_generator(corpus, tiny["gen_truth"])
    assert (s["tp"], s["predicted_pairs"], s["true_pairs"]) == (1, 2, 3)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(1 / 3)


@needs_shared
def test_shared_scorers_score_the_baseline_corpus(tiny):
    records, rejects = bench_match.read_records(tiny["dumps"])
    clusters = bench_match.exact_title_clusters(records)
    corpus, report = tiny["tmp"] / "corpus.jsonl", tiny["tmp"] / "corpus.report.json"
    bench_match.write_corpus(corpus, records, clusters)
    bench_match.write_report(report, records, clusters, rejects)
    real = bench_match.score_real(SHARED, tiny["real_truth"], corpus)
    assert (real["true_pairs"], real["pred_pairs"], real["false_merges"]) == (3, 2, 1)
    bib = bench_match.score_bib(SHARED, tiny["bib_truth"], corpus, report)
    b = bib["bibdedupe"]
    assert (b["TP"], b["FP"], b["FN"], b["TN"]) == (1, 1, 1, 2)
    assert bench_match.summary("bib", bib) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


@needs_shared
def test_bench_one_row_and_overall(tiny):
    row = bench_match.bench_one("bib: tiny", "bib", tiny["dumps"], tiny["bib_truth"], tiny["tmp"] / "out",
                                ["exact"], [], SHARED, 1)
    assert row["records"] == 5
    assert row["contenders"]["exact"]["summary"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    overall = bench_match.bib_overall([row, row], ["exact"])
    agg = overall["contenders"]["exact"]["score"]["bibdedupe"]
    assert (agg["TP"], agg["FP"], agg["FN"], agg["TN"]) == (2, 2, 2, 4)
    table = bench_match.format_table([row, overall], ["exact"])
    assert "| bib: tiny | 5 | bib-dedupe | 0.500 | 0.500 | 0.500 |" in table
    assert "| bib overall | 10 | bib-dedupe, summed | 0.500 | 0.500 | 0.500 |" in table


def test_aggregate_sums_counts_before_dividing():
    a = bench_match.aggregate_bib([{"bibdedupe": {"TP": 9, "FP": 1, "FN": 0, "TN": 5}},
                                   {"bibdedupe": {"TP": 1, "FP": 0, "FN": 4, "TN": 5}}])
    assert (a["TP"], a["FP"], a["FN"], a["TN"]) == (10, 1, 4, 10)
    assert a["precision"] == pytest.approx(10 / 11) and a["recall"] == pytest.approx(10 / 14)


def test_dedup_failure_is_a_cell_not_a_crash():
    row = {"dataset": "bib: x", "kind": "bib", "records": 3,
           "contenders": {"dedup": {"exit": 2, "seconds": 0.1, "records_per_second": 30.0, "error": ["boom"]}}}
    overall = bench_match.bib_overall([row], ["dedup"])
    assert overall["contenders"]["dedup"]["failed"] == ["bib: x"]
    table = bench_match.format_table([row, overall], ["dedup"])
    assert "| bib: x | 3 | bib-dedupe | exit 2 |" in table and "exit 2 (1/1)" in table


def test_bibdedupe_columns():
    row = bench_match.to_bibdedupe_row(0, {"title": "T", "authors": "Doe, J. and Roe, R.", "year": 2019,
                                           "venue": "J", "doi": "10.1/x", "pages": "1-2"})
    assert row == {"ID": "r0000000", "ENTRYTYPE": "article", "title": "T", "author": "Doe, J. and Roe, R.",
                   "year": "2019", "journal": "J", "volume": "", "number": "", "pages": "1-2", "abstract": "",
                   "doi": "10.1/x"}
