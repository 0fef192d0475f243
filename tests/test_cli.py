"""The command line as a user meets it: canonicalize through stdin and files, help, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dedup(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_canonicalize_stdin_to_stdout():
    proc = dedup("canonicalize", stdin="118\\times lower cost\nm gg n and textbf{F}inetuning\nClean text.\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["118× lower cost", "m ≫ n and Finetuning", "Clean text."]


def test_canonicalize_is_line_for_line_even_for_blank_lines():
    # a filter: blank lines (and input with nothing but blanks) come out as lines, so its output is its own
    # fixpoint (a word joiner alone canonicalizes to an empty line, which must stay one line)
    for stdin, lines in (("\n", [""]), ("\u205f\n \n", ["\u205f", " "]), ("\u2060\nx\n", ["", "x"]), ("", [])):
        proc = dedup("canonicalize", stdin=stdin)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split("\n")[:-1] == lines
        again = dedup("canonicalize", stdin=proc.stdout)
        assert again.returncode == 0 and again.stdout == proc.stdout


def test_canonicalize_file_jsonl_and_key(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"title": "SubscribeX", "abstract": "A 6.1times smaller model.", "n": 1}) + "\n",
                 encoding="utf-8")
    proc = dedup("canonicalize", str(p))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"title": "SubscribeX", "abstract": "A 6.1× smaller model.", "n": 1}
    keyed = dedup("canonicalize", "--key", stdin="Pre-Training: 118\\times Lower\n")
    assert keyed.stdout == "pretraining 118 × lower\n"


def test_canonicalize_reports_bad_input(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"fine\n\xff\n")
    proc = dedup("canonicalize", str(p))
    assert proc.returncode == 2
    assert f"{p}:2: not valid UTF-8" in proc.stderr
    proc = dedup("canonicalize", str(tmp_path / "missing.txt"))
    assert proc.returncode == 2


def test_help_and_version():
    proc = dedup("--help")
    assert proc.returncode == 0
    for cmd in ("run", "check", "read", "canonicalize", "explain"):
        assert cmd in proc.stdout
    assert dedup("--version").stdout.strip().endswith("0.1.0")
    assert dedup("frobnicate").returncode == 2


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from dedup.cli import main\n"
            "import contextlib, io\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
            "print(sorted(m for m in ('numpy', 'ftfy', 'datasketch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
