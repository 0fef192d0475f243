"""Property tests (hypothesis) over the readers, canonicalize and the command line: whatever the bytes, the
reader returns records or says why it cannot (exit code 2), never crashes (exit code 3); the CLI keeps its
exit-code contract. About 2,400 examples in all, in under a minute or two on CI's two cores.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.cli import main
from dedup.errors import InputError
from dedup.read import decode, detect, read_file


def fuzz(examples: int) -> settings:
    """Settings of one property: ``examples`` examples (the suite's total is about 2,400), no deadline (CI's
    two cores are shared)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


ABSTRACT = ("We study how pretraining shapes what a model learns. Our experiments on four benchmarks show "
            "consistent gains, and we release code and data so that others can reproduce every number here.")

#: Text a scraped dump could hold: any character, weighted towards the ones readers trip over.
tricky = st.sampled_from(["{", "}", "\\", "\"", "·", "•", "\r", "\u2028", "\ufeff", "\x00", "\t", " ", "…",
                          "Subscribe", "authors", "Sep 7, 2022", "- ", "1 ", "NaN", "\ud800"])
texts = st.lists(st.one_of(st.text(max_size=12), tricky), max_size=12).map("".join)
#: Files: raw bytes, or text in a dump-like shape (blocks of lines, JSON objects), in several encodings.
line = st.one_of(texts, st.builds(lambda t: json.dumps({"title": t, "abstract": ABSTRACT}), texts),
                 st.builds(lambda t: f"{t}\n\n{ABSTRACT}\n", texts), st.just(""))
dump_text = st.lists(line, max_size=10).map("\n".join)
dump_bytes = st.one_of(
    st.binary(max_size=400),
    dump_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    dump_text.map(lambda s: s.encode("utf-16", "surrogatepass")),
    dump_text.map(lambda s: "\ufeff".encode() + s.encode("utf-8", "surrogatepass")),
)


#: One scratch folder for the whole module (hypothesis runs examples one after another), removed at exit.
_SCRATCH = tempfile.TemporaryDirectory(prefix="dedup-fuzz-")


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch():
    yield
    _SCRATCH.cleanup()


def _file(data: bytes, name: str = "dump.txt") -> str:
    folder = tempfile.mkdtemp(dir=_SCRATCH.name)
    path = os.path.join(folder, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


@fuzz(500)
@given(dump_bytes)
def test_decode_gives_lines_or_an_input_error(data):
    try:
        lines = decode("f.txt", data)
    except InputError as err:
        assert err.exit_code == 2 and err.path == "f.txt"
        return
    assert all("\n" not in ln for ln in lines)
    detect(lines)  # never raises


@fuzz(600)
@given(dump_bytes)
def test_read_file_gives_records_with_provenance_or_an_input_error(data):
    path = _file(data)
    try:
        res = read_file(path)
    except InputError as err:
        assert err.exit_code == 2 and err.reason
        return
    n_lines = data.count(b"\n") + 1
    assert res.records, "a file read without error has records"
    for rec in res.records:
        assert rec.source.file == path and 1 <= rec.source.line <= n_lines
        assert rec.title.strip() and rec.abstract.strip()
    for rej in res.rejects:
        assert 1 <= rej.line <= n_lines and rej.reason


runner = CliRunner()


@fuzz(300)
@given(dump_bytes)
def test_cli_read_keeps_its_exit_codes(data):
    path = _file(data)
    result = runner.invoke(main, ["read", path])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        for out in result.stdout.splitlines():  # splitlines: U+2028, NEL... must not break a record
            assert json.loads(out)["source"]["file"].endswith("dump.txt")
    else:
        assert result.stdout == "" and "dedup: " in result.stderr


no_breaks = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=60)


@fuzz(300)
@given(st.lists(st.one_of(no_breaks, st.builds(lambda t: json.dumps({"title": t}), no_breaks),
                          st.builds(lambda t: "{" + t, no_breaks)), min_size=1, max_size=6))
def test_cli_canonicalize_line_for_line_and_idempotent(lines):
    text = "\n".join(lines) + "\n"
    first = runner.invoke(main, ["canonicalize"], input=text.encode())
    assert first.exit_code == 0, first.output
    if not text.strip():
        return
    out = first.stdout.split("\n")[:-1]
    assert len(out) == len(lines)
    again = runner.invoke(main, ["canonicalize"], input=first.stdout.encode())
    assert again.exit_code == 0 and again.stdout == first.stdout


@fuzz(500)
@given(st.sampled_from(["--threshold", "--ngram", "--num-perm", "--workers"]),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers(-10**9, 10**9).map(str),
                 st.text(max_size=5)))
def test_cli_options_are_checked_before_any_input(option, value):
    result = runner.invoke(main, ["run", "/nonexistent/dumps", "-o", "/nonexistent/c.jsonl", option, value])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert (f"dedup: {option}: must be " in err or "Invalid value" in err
            or "no such file or folder" in err), err


@fuzz(200)
@given(st.lists(st.one_of(
    st.builds(lambda t: json.dumps({"title": t, "abstract": ABSTRACT}), texts),
    st.builds(lambda t: json.dumps({"title": "A Fixed Title", "abstract": t}), texts),
    texts), min_size=1, max_size=6))
def test_cli_run_accounts_for_every_record_or_refuses(lines):
    folder = Path(tempfile.mkdtemp(dir=_SCRATCH.name))
    src = folder / "d.jsonl"
    src.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    out = folder / "c.jsonl"
    result = runner.invoke(main, ["run", str(src), "-o", str(out), "-q", "--workers", "1"])
    assert result.exit_code in (0, 2), (result.output, result.exception)
    if result.exit_code == 2:
        assert not out.exists() and "dedup: " in result.stderr
        return
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    report = json.loads((folder / "c.report.json").read_text(encoding="utf-8"))
    sources = [(s["file"], s["line"]) for r in rows for s in r["sources"]]
    assert len(sources) == len(set(sources)) == report["totals"]["read"] - report["totals"]["rejected"]
    assert report["corpus"]["records"] == len(rows)
