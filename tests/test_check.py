"""``dedup check`` as a CI gate: exit codes and machine-readable findings, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ABSTRACT = ("We study how pretraining shapes what a model learns. Our experiments on four benchmarks show "
            "consistent gains, and we release code and data so that others can reproduce every number here.")


def dedup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_clean_dump_passes(tmp_path):
    p = tmp_path / "clean.jsonl"
    p.write_text(json.dumps({"title": "A Clean Paper", "abstract": ABSTRACT}) + "\n", encoding="utf-8")
    proc = dedup("check", str(p), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["findings"] == [] and out["summary"]["records"] == 1


def test_rejected_record_fails_with_file_and_line(tmp_path):
    p = tmp_path / "cards.txt"
    p.write_text(f"First Paper Title\n\n{ABSTRACT}\n\nOrphan Title\n\nSecond Paper Title\n\n{ABSTRACT} More.\n",
                 encoding="utf-8")
    proc = dedup("check", str(p), "--format", "json")
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)["findings"]
    assert {"file": str(p), "line": 5, "level": "error", "code": "reject",
            "message": "title with no abstract"} in findings
    gh = dedup("check", str(p), "--format", "github")
    assert gh.returncode == 1
    assert f"::error file={p},line=5,title=dedup reject::title with no abstract" in gh.stdout.splitlines()


def test_known_papers_are_notices_with_their_id(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    run = dedup("run", "seeds", "-o", str(corpus), "--quiet")
    assert run.returncode == 0, run.stderr
    ids = {json.loads(x)["id"] for x in corpus.read_text(encoding="utf-8").splitlines()}
    proc = dedup("check", "seeds/004_a58be9933faaf893.txt", "--against", str(corpus), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    found = json.loads(proc.stdout)["findings"]
    known = [f for f in found if f["code"] == "known"]
    assert len(known) == 45
    assert all(f["message"].rsplit(" as ", 1)[1] in ids for f in known)


def test_unreadable_input_is_exit_2(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"\x00\x01")
    proc = dedup("check", str(p))
    assert proc.returncode == 2
    assert f"{p}:1: binary file" in proc.stderr
