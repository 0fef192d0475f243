"""The match decision on golden pairs (tests/cases/pairs.json): real pairs from ../shared/real and
../shared/bib with the decision their labels call for, and hand-written ones for each rule of dedup.decide.

Each case goes through the real stages: the two records are written as a JSON Lines dump, read, canonicalized
and signed by :func:`dedup.prepare.prepare_file`, every signal reads the pair, and :func:`dedup.decide.decide`
names the outcome and the rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dedup.config import Config
from dedup.decide import OUTCOMES, RULE_NAMES, RULES, decide
from dedup.pipeline import concat_parts
from dedup.prepare import prepare_file
from dedup.signals import SIGNALS, candidates, evidence

CASES = json.loads((Path(__file__).parent / "cases" / "pairs.json").read_text(encoding="utf-8"))


def decide_pair(tmp_path: Path, a: dict, b: dict, config: Config | None = None) -> tuple[str, str, dict]:
    config = config or Config()
    dump = tmp_path / "pair.jsonl"
    dump.write_text(json.dumps(a, ensure_ascii=False) + "\n" + json.dumps(b, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    part = prepare_file(str(dump), config, str(tmp_path / "spill.jsonl"))
    assert len(part) == 2, part.rejects
    f = concat_parts([part])
    pairs = np.array([[0, 1]], dtype=np.int64)
    ev = evidence(f, pairs, config)
    outcome, rule = decide(ev, f, pairs, config)
    return OUTCOMES[int(outcome[0])], RULE_NAMES[int(rule[0])], {k: float(v[0]) for k, v in ev.items()}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_pair(tmp_path: Path, case: dict) -> None:
    outcome, rule, ev = decide_pair(tmp_path, case["a"], case["b"])
    assert (outcome, rule) == (case["expect"], case["rule"]), f"{case['why']}\nevidence: {ev}"


def test_every_rule_has_a_golden_case() -> None:
    covered = {c["rule"] for c in CASES}
    # title+abstract needs a partly edited abstract: the generated corpus covers it (tests/test_accuracy.py)
    assert {r.name for r in RULES} - covered <= {"title+abstract"}
    assert {c["expect"] for c in CASES} == {"same", "uncertain", "different"}


def test_decision_is_symmetric(tmp_path: Path) -> None:
    """The order in which two copies arrive never changes their decision."""
    for case in CASES[::3]:
        assert decide_pair(tmp_path, case["a"], case["b"])[:2] == decide_pair(tmp_path, case["b"], case["a"])[:2]


def test_candidates_find_every_golden_pair_worth_finding(tmp_path: Path) -> None:
    """Pairs decided same or uncertain are also proposed by some signal: nothing relies on a pair that
    blocking would never produce."""
    for case in CASES:
        if case["expect"] == "different":
            continue
        dump = tmp_path / "c.jsonl"
        dump.write_text(json.dumps(case["a"]) + "\n" + json.dumps(case["b"]) + "\n", encoding="utf-8")
        f = concat_parts([prepare_file(str(dump), Config(), str(tmp_path / "s.jsonl"))])
        assert candidates(f, Config()).tolist() == [[0, 1]], case["name"]


def test_signals_are_registered_once_with_docs() -> None:
    assert len(SIGNALS) == len(set(SIGNALS)) >= 8
    assert all(s.doc and s.name == name for name, s in SIGNALS.items())


def test_readme_lists_every_rule_in_order() -> None:
    """The README's table is the decision a person reads: it must be the code's, rule for rule."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| ") and "` | " in line and
            line.split("|")[1].strip().isdigit()]
    assert [row.split("`")[1] for row in rows] == [r.name for r in RULES]
    assert all(OUTCOMES[r.outcome] in row and r.text in row for r, row in zip(RULES, rows, strict=True))
