"""Run ``dedup run`` through the real CLI on records written as a JSON Lines export (a helper of the tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_dedup(tmp_path: Path, rows: list[dict]) -> tuple[list[dict], dict]:
    """`rows` as a JSON Lines export through ``dedup run`` (the real CLI): the corpus and the report."""
    dump = tmp_path / "export.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "corpus.jsonl"
    proc = subprocess.run([sys.executable, "-m", "dedup", "run", str(dump), "-o", str(out), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    corpus = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    return corpus, json.loads(out.with_name("corpus.report.json").read_text(encoding="utf-8"))
