"""Accuracy on generated re-scrapes with known clusters, through the real CLI.

The generator (benchmarks/generate.py) writes every layout with every variant kind: LaTeX rendered three
ways, mojibake, HTML entities, whitespace, typos, title case, a dropped sentence, truncation by a listing
page, plus sibling papers that must never merge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import generate  # benchmarks/, put on sys.path by conftest.py
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("accuracy")
    stats = generate.generate(out, records=6000, seed=11)
    corpus = out / "corpus.jsonl"
    proc = subprocess.run([sys.executable, "-m", "dedup", "run", str(out / "dumps"), "-o", str(corpus), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return out, stats, corpus


def test_pairwise_precision_and_recall(generated_run):
    out, _, corpus = generated_run
    m = generate.evaluate(corpus, out / "truth.jsonl")
    print("\n" + m.format())  # shown with -s and in the CI log on failure
    assert m.records >= 5000
    assert m.complete, m.format()
    assert m.precision == 1.0, m.format()
    assert m.recall >= 0.995, m.format()


def test_every_variant_kind_was_exercised(generated_run):
    out, _, _ = generated_run
    kinds = set()
    with open(out / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            kinds.update(json.loads(line)["variants"])
    assert {"latex_raw", "latex_dollar", "latex_stripped", "mojibake", "html_entities", "whitespace", "typos",
            "title_case", "drop_sentence", "truncate"} <= kinds


def test_truncated_copy_never_wins(generated_run):
    """Where a paper has a complete copy, the corpus abstract is a complete one."""
    out, _, corpus = generated_run
    truth = {}
    with open(out / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)
            truth[(t["file"], t["line"])] = t["variants"]
    checked = 0
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            variants = [truth[(Path(s["file"]).name, s["line"])] for s in r["sources"]]
            if any("truncate" in v for v in variants) and any("truncate" not in v for v in variants):
                checked += 1
                assert "truncated" not in r["quality"], r["id"]
                assert not r["abstract"].endswith(("…", "...")), r["id"]
    assert checked > 100


def test_report_on_generated_corpus_validates_and_adds_up(generated_run):
    from dedup.schema import check_accounting, validate_report

    _, stats, corpus = generated_run
    report = json.loads(corpus.with_name("corpus.report.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert check_accounting(report) == []
    t = report["totals"]
    assert t["read"] == t["kept"] + t["merged_away"] + t["rejected"] >= 5000
    from dedup.decide import RULE_NAMES
    from dedup.signals import SIGNALS

    edges = [e for c in report["clusters"] for e in c["edges"]]
    rules = {e["rule"] for e in edges}
    # the generator's variants exercise every way copies meet: equal text, edits, cuts, a changed title
    assert {"abstract", "title+containment", "title+abstract"} <= rules <= set(RULE_NAMES)
    assert all(e["signal"] in SIGNALS and set(e["evidence"]) <= set(SIGNALS) for e in edges)
    # same-title siblings are different papers: each is listed as uncertain, never merged
    assert report["totals"]["uncertain"] >= 1
    assert {u["rule"] for u in report["uncertain"]} <= set(RULE_NAMES) | {"chain-conflict"}
