"""A small, realistic, internally consistent ``dedup-report/1`` dict for the report tests.

The counts are not typed in: they are derived from the records and clusters below, so the fixture cannot
drift out of balance when an example is edited. ``sample_report()`` returns a fresh dict each call; tests
break copies of it on purpose.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import combinations
from typing import Any

CARDS = "seeds/000_ae81a9df4d767699.txt"
PAIRS = "seeds/002_310c181a504869ef.txt"
ONELINE = "seeds/003_5b84a3ccc467a2d7.txt"
LAYOUT = {CARDS: "cards", PAIRS: "pairs", ONELINE: "oneline"}

SNN = ("Spiking neural networks (SNNs) are known as a typical kind of brain-inspired models with their "
       "unique features of rich neuronal dynamics, diverse coding schemes and low power consumption "
       "properties. In this work, a new SNN training paradigm is proposed by combining the concepts of the "
       "two different training methods with the help of the pretrain technique and BP-based deep SNN "
       "training mechanism. We achieve the same best accuracy using 1/10 training time on ImageNet-1K, "
       "6.1× fewer steps.")
MOE = ("Mixture-of-Experts (MoE) layers let a model grow its parameter count without growing its compute per "
       "token. We study how sparse MoE language models scale with the number of experts, the granularity of "
       "experts and the amount of training data, and fit a joint scaling law that predicts the loss of a "
       "sparse model from these three quantities. Fine-grained experts are consistently more efficient than "
       "the coarse experts used so far, and the optimal number of experts grows with the compute budget. "
       "At 10³ times the compute of our smallest run, a well-tuned MoE matches a dense model 4× its size.")
MOE_EDITED = MOE.replace("We study how", "We investigate how").replace("so far", "in prior work")
MOE_TRUNCATED = MOE[:310].rsplit(" ", 1)[0]
RAG = ("Retrieval-augmented generation (RAG) grounds a language model in documents fetched at inference "
       "time. We show that the retriever's recall, not the generator's size, bounds answer accuracy on "
       "multi-hop questions, and that a simple re-ranking step closes most of the gap when p < 0.05 & "
       "n > 1000.")
RAG_TYPO = RAG.replace("grounds a language model", "grounds a languge model").replace(
    "closes most of the gap", "closes much of the gap").replace(", not the generator's size,", "")
SINGLES = [
    ("Tokenizer-Free Language Modeling with Byte Patches",
     "We train byte-level transformers that group bytes into dynamic patches by entropy."),
    ("A Benchmark for Long-Context Code Reasoning",
     "We introduce a benchmark of repository-scale questions whose answers need cross-file reasoning."),
    ("Diffusion Policies for Dexterous Manipulation",
     "Diffusion models generate multimodal action sequences for a robot hand from three camera views."),
    ("Quantized Low-Rank Adapters at Scale",
     "We fine-tune 65B-parameter models on a single GPU with 4-bit quantized weights and low-rank adapters."),
    ("Self-Consistency Improves Chain of Thought Reasoning",
     "Sampling diverse reasoning paths and taking a majority vote improves arithmetic reasoning."),
    ("Vision Transformers Need Registers",
     "Adding register tokens removes high-norm artifact tokens from the attention maps of ViTs."),
    ("Direct Preference Optimization",
     "A classification loss on preference pairs replaces reinforcement learning from human feedback."),
    ("Grokking Beyond Algorithmic Data",
     "Delayed generalization appears on image and text tasks when weight norm is controlled."),
]


def paper_id(title: str) -> str:
    """A stable id like the pipeline's: derived from the paper, not from run order."""
    return "p" + hashlib.sha256(title.lower().encode()).hexdigest()[:15]


def _member(file: str, line: int, title: str, abstract: str, *, truncated: bool = False,
            repairs: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"file": file, "line": line, "layout": LAYOUT[file], "title": title, "abstract": abstract,
            "truncated": truncated, "repairs": list(repairs)}


def _clusters() -> list[dict[str, Any]]:
    snn_title = "Rethinking Pretraining as a Bridge from ANNs to SNNs"
    moe_title = "Scaling Laws for Fine-Grained Mixture of Experts"
    rag_title = "When Does Retrieval Help? Recall Bounds for Retrieval-Augmented Generation"
    return [
        {"title": snn_title,
         "members": [_member(CARDS, 13, snn_title, SNN, repairs=("latex.times",)),
                     _member(PAIRS, 40, snn_title, SNN)],
         "chosen": {"file": PAIRS, "line": 40, "reason": "longest complete abstract; fewest repairs"},
         "edges": [{"a": f"{CARDS}:13", "b": f"{PAIRS}:40", "signal": "abstract_jaccard", "rule": "abstract",
                    "score": 1.0}]},
        {"title": moe_title,
         "members": [_member(CARDS, 57, moe_title, MOE, repairs=("mojibake.utf8",)),
                     _member(PAIRS, 7, moe_title, MOE_EDITED),
                     _member(ONELINE, 3, moe_title, MOE_TRUNCATED, truncated=True,
                             repairs=("oneline.split",))],
         "chosen": {"file": CARDS, "line": 57, "reason": "longest complete abstract"},
         "edges": [{"a": f"{CARDS}:57", "b": f"{PAIRS}:7", "signal": "abstract_jaccard", "rule": "abstract",
                    "score": 0.871},
                   {"a": f"{CARDS}:57", "b": f"{ONELINE}:3", "signal": "containment", "rule": "title+containment",
                    "score": 0.962}]},
        {"title": rag_title,
         "members": [_member(CARDS, 101, rag_title, RAG),
                     _member(ONELINE, 9, rag_title.replace("Retrieval-Augmented", "Retrieval Augmented"),
                             RAG_TYPO, repairs=("furniture.glued",))],
         "chosen": {"file": CARDS, "line": 101, "reason": "longest complete abstract; fewest repairs"},
         "edges": [{"a": f"{CARDS}:101", "b": f"{ONELINE}:9", "signal": "exact_title", "rule": "title+abstract",
                    "score": 0.62}]},
    ]


#: (file, line, title, abstract) of the papers with a single source
_SINGLE_AT = [(CARDS, 150), (CARDS, 171), (CARDS, 190), (PAIRS, 60), (PAIRS, 66), (PAIRS, 72),
              (ONELINE, 12), (ONELINE, 15)]
_REJECTS = [{"file": ONELINE, "line": 7, "reason": "title with no abstract",
             "excerpt": "- Attention Is Not All You Need (Anymore)"},
            {"file": PAIRS, "line": 90, "reason": "abstract with no title",
             "excerpt": "We propose a method that <b>improves</b> results by 3% over the baseline…"}]


def sample_report() -> dict[str, Any]:
    """A consistent report over three dumps: 3 clusters (exact; jaccard + containment; title), 8 papers
    with one source, 2 rejects, near misses, repairs with examples and quality flags."""
    clusters = []
    for c in _clusters():
        c = {"id": paper_id(c["title"]), "title": c["title"], "size": len(c["members"]), **c}
        clusters.append(c)
    clusters.sort(key=lambda c: c["id"])
    singles = [(f, line, t, a) for (f, line), (t, a) in zip(_SINGLE_AT, SINGLES, strict=True)]
    files = sorted(LAYOUT)

    kept: Counter[str] = Counter(f for f, *_ in singles)
    merged: Counter[str] = Counter()
    for c in clusters:
        kept[c["chosen"]["file"]] += 1
        for m in c["members"]:
            if (m["file"], m["line"]) != (c["chosen"]["file"], c["chosen"]["line"]):
                merged[m["file"]] += 1
    rejected = Counter(r["file"] for r in _REJECTS)
    file_rows = [{"file": f, "layout": LAYOUT[f], "read": kept[f] + merged[f] + rejected[f], "kept": kept[f],
                  "merged_away": merged[f], "rejected": rejected[f]} for f in files]

    index = {f: i for i, f in enumerate(files)}
    shared = [[0] * len(files) for _ in files]
    for f, *_ in singles:
        shared[index[f]][index[f]] += 1
    for c in clusters:
        in_files = sorted({m["file"] for m in c["members"]})
        for f in in_files:
            shared[index[f]][index[f]] += 1
        for f, g in combinations(in_files, 2):
            shared[index[f]][index[g]] += 1
            shared[index[g]][index[f]] += 1

    records = sum(kept.values())
    corpus_bytes = 4096 + 1000 * records
    moe_id = paper_id("Scaling Laws for Fine-Grained Mixture of Experts")
    grok_id = paper_id(SINGLES[7][0])
    return {
        "schema": "dedup-report/1",
        "tool": {"name": "dedup", "version": "0.1.0"},
        "versions": {"python": "3.11.7", "click": "8.1.7", "datasketch": "1.6.5", "ftfy": "6.2.0",
                     "numpy": "1.26.4", "tqdm": "4.66.4", "xxhash": "3.4.1"},
        "config": {"threshold": 0.8, "num_perm": 128, "ngram": 5, "seed": 1, "bands": 16, "rows": 8,
                   "containment": 0.9, "title_jaccard": 0.5, "engine": "local"},
        "inputs": ["seeds"],
        "corpus": {"path": "corpus.jsonl", "sha256": hashlib.sha256(b"sample corpus").hexdigest(),
                   "records": records, "bytes": corpus_bytes},
        "totals": {"files": len(files), "read": sum(r["read"] for r in file_rows), "kept": records,
                   "merged_away": sum(merged.values()), "rejected": len(_REJECTS), "clusters": len(clusters)},
        "files": file_rows,
        "overlap": {"files": files, "pairs": [[i, j, shared[i][j]] for i in range(len(files))
                                              for j in range(i, len(files)) if shared[i][j]]},
        "clusters": clusters,
        "uncertain": [
            {"a": f"{CARDS}:150", "b": f"{ONELINE}:12", "signal": "exact_title", "rule": "title, abstracts diverge",
             "score": 1.0, "evidence": {"exact_title": 1.0, "abstract_jaccard": 0.04, "opening": 0.19}},
        ],
        "near_misses": [
            {"a": f"{CARDS}:171", "b": f"{ONELINE}:12", "signal": "containment", "rule": "no-evidence", "score": 0.81},
            {"a": f"{CARDS}:150", "b": f"{PAIRS}:60", "signal": "abstract_jaccard", "rule": "no-evidence",
             "score": 0.74},
            {"a": f"{PAIRS}:66", "b": f"{ONELINE}:15", "signal": "exact_title", "rule": "no-evidence", "score": 0.44},
            {"a": f"{CARDS}:190", "b": f"{PAIRS}:72", "signal": "abstract_jaccard", "rule": "no-evidence",
             "score": 0.31},
        ],
        "repairs": {
            "furniture.glued": {"count": 1, "examples": [
                {"file": ONELINE, "line": 9, "field": "title",
                 "before": "Retrieval Augmented GenerationUpvote 12",
                 "after": "Retrieval Augmented Generation"}]},
            "latex.times": {"count": 2, "examples": [
                {"file": CARDS, "line": 13, "field": "abstract",
                 "before": "using 1/10 training time, 6.1times fewer steps.",
                 "after": "using 1/10 training time, 6.1× fewer steps."},
                {"file": CARDS, "line": 150, "field": "abstract",
                 "before": "a 4times smaller model", "after": "a 4× smaller model"}]},
            "mojibake.utf8": {"count": 1, "examples": [
                {"file": CARDS, "line": 57, "field": "abstract",
                 "before": "At 10Â³ times the compute", "after": "At 10³ times the compute"}]},
            "oneline.split": {"count": 1, "examples": [
                {"file": ONELINE, "line": 3, "field": "title",
                 "before": "Scaling Laws for Fine-Grained Mixture of Experts Mixture-of-Experts (MoE) layers",
                 "after": "Scaling Laws for Fine-Grained Mixture of Experts"}]},
        },
        "quality": {"truncated": {"count": 1, "ids": [grok_id]},
                    "uncertain-split": {"count": 1, "ids": [moe_id]}},
        "rejects": sorted(_REJECTS, key=lambda r: (r["file"], r["line"])),
    }
