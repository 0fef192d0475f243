"""The reader: every seed layout, provenance, and the bad-input matrix through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.layouts import FURNITURE, split_title_abstract
from dedup.read import read_file, read_paths

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CASES = ROOT / "tests" / "cases"

EXPECTED_COUNTS = {
    "000_ae81a9df4d767699.txt": ("cards", 84),
    "001_2344f7528fdb0b4f.txt": ("cards", 96),
    "002_310c181a504869ef.txt": ("pairs", 119),
    "003_5b84a3ccc467a2d7.txt": ("oneline", 24),
    "004_a58be9933faaf893.txt": ("meta", 45),
}


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], input=stdin, capture_output=True,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def seed_results():
    return read_paths(["seeds"]) if Path.cwd() == ROOT else _read_from_root()


def _read_from_root():
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        return read_paths(["seeds"])
    finally:
        os.chdir(old)


def test_seed_counts_and_layouts(seed_results):
    got = {Path(r.path).name: (r.layout, len(r.records)) for r in seed_results}
    assert got == EXPECTED_COUNTS
    assert sum(n for _, n in got.values()) == 368
    assert all(not r.rejects for r in seed_results)


def test_seed_records_have_text_and_no_furniture(seed_results):
    for res in seed_results:
        for rec in res.records:
            assert rec.title.strip() and rec.abstract.strip(), rec.source
            for field in (rec.title, rec.abstract, rec.organization or ""):
                assert field not in FURNITURE
                assert not field.startswith(("Subscribe", "Get trending", "byAK", "Daily Papers")), rec.source
                assert "·" not in field and "•" not in field, rec.source


def test_seed_provenance_points_at_title_line(seed_results):
    for res in seed_results:
        lines = (ROOT / res.path).read_text(encoding="utf-8").split("\n")
        for rec in res.records:
            assert rec.source.file == res.path
            line = lines[rec.source.line - 1]
            if res.layout == "oneline":
                assert rec.title in line
            else:
                assert line.strip().endswith(rec.title), (rec.source, line[:80])


def test_oneline_titles_match_hand_read_golden(seed_results):
    golden = json.loads((CASES / "oneline_titles.json").read_text(encoding="utf-8"))
    res = next(r for r in seed_results if r.layout == "oneline")
    got = {str(rec.source.line): rec.title for rec in res.records}
    assert got == golden["titles"]
    for rec in res.records:
        assert rec.split in {"known-title", "heuristic"}
        assert 0.5 <= rec.split_confidence <= 1.0


def test_oneline_titles_without_other_dumps_as_evidence():
    """The heuristic alone (no titles from other dumps) still splits every seed line right."""
    golden = json.loads((CASES / "oneline_titles.json").read_text(encoding="utf-8"))
    res = read_file(str(SEEDS / "003_5b84a3ccc467a2d7.txt"))
    assert {str(r.source.line): r.title for r in res.records} == golden["titles"]
    assert all(r.split == "heuristic" for r in res.records)


def test_metadata_fields(seed_results):
    meta = next(r for r in seed_results if r.layout == "meta")
    by_title = {r.title: r for r in meta.records}
    noloco = by_title["NoLoCo: No-all-reduce Low Communication Training Method for Large Models"]
    assert (noloco.organization, noloco.date, noloco.upvotes, noloco.authors) == ("Gensyn", "06-12", 2, None)
    lowp = by_title["Low-Precision Training of Large Language Models: Methods, Challenges, and Opportunities"]
    assert (lowp.authors, lowp.date, lowp.upvotes) == (9, "05-02", 3)
    ssl = by_title["Self-Supervised Pre-Training with Contrastive and Masked Autoencoder Methods for Dealing "
                   "with Small Datasets in Deep Learning for Medical Imaging"]
    assert (ssl.authors, ssl.date, ssl.upvotes) == (7, "2023-08-12", None)
    one = next(r for r in seed_results if r.layout == "oneline").records
    assert (one[0].authors, one[0].date, one[0].upvotes) == (6, "2022-09-07", None)
    assert one[13].upvotes == 13


def test_glued_subscribe_is_removed(seed_results):
    pairs = next(r for r in seed_results if r.layout == "pairs")
    first = pairs.records[0]
    assert first.title == "On the Provable Advantage of Unsupervised Pretraining"
    assert first.source.line == 3
    assert first.repairs == ("furniture.glued",)


def test_crlf_and_bom_read_the_same(tmp_path):
    src = (SEEDS / "004_a58be9933faaf893.txt").read_bytes()
    (tmp_path / "crlf.txt").write_bytes(b"\xef\xbb\xbf" + src.replace(b"\n", b"\r\n"))
    a = read_file(str(SEEDS / "004_a58be9933faaf893.txt"))
    b = read_file(str(tmp_path / "crlf.txt"))
    strip = [(r.title, r.abstract, r.source.line, r.date, r.authors) for r in a.records]
    assert strip == [(r.title, r.abstract, r.source.line, r.date, r.authors) for r in b.records]


def test_jsonl_layout(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"title": "A Title", "abstract": "An abstract.", "authors": 3, "date": "2024-01-02"}\n'
                 '{"title": "B", "abstract": "Other.", "organization": "Org", "upvotes": 4}\n', encoding="utf-8")
    res = read_file(str(p))
    assert res.layout == "jsonl"
    assert [(r.title, r.authors, r.date, r.upvotes, r.organization, r.source.line) for r in res.records] == [
        ("A Title", 3, "2024-01-02", None, None, 1), ("B", None, None, 4, "Org", 2)]


def test_split_confidence_is_lower_for_ambiguous_lines():
    clear = split_title_abstract("Test-Time Training on Video Streams We present a method that works.")
    assert clear.title == "Test-Time Training on Video Streams"
    vague = split_title_abstract("Deep Nets Deep Models Deep Things")
    assert vague.confidence < clear.confidence


# ----------------------------------------------------------------------------- bad input, via the CLI
GOOD_ABSTRACT = ("We study a problem that matters. Our method improves results on three benchmarks, and we "
                 "release the code so that others can build on it without starting from scratch again.")


@pytest.mark.parametrize(
    ("name", "content", "reason", "line"),
    [
        ("binary.txt", b"Title\n\nAbs\x00tract\n", "binary file (NUL byte)", 3),
        ("latin1.txt", "Title\n\nCaf\u00e9 abstract.\n".encode("latin-1"), "not valid UTF-8 (byte 0xe9", 3),
        ("empty.txt", b"", "empty file", None),
        ("blank.txt", b"\n  \n\n", "empty file", None),
        ("notes.txt", b"hello, world\nthis is not a dump\n", "not a known dump layout", 1),
        ("csv.txt", b"id,title,abstract\n1,foo,bar\n", "not a known dump layout", 1),
    ],
)
def test_bad_file_is_an_error_with_path_and_line(tmp_path, name, content, reason, line):
    (tmp_path / name).write_bytes(content)
    proc = run_cli("read", str(tmp_path / name))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    where = f"{tmp_path / name}:{line}: " if line else f"{tmp_path / name}: "
    assert where + reason in err, err
    assert "hint:" in err
    assert proc.stdout == b""


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "d").mkdir()
    proc = run_cli("read", str(tmp_path / "d"))
    assert proc.returncode == 2
    assert f"{tmp_path / 'd'}: folder holds no files" in proc.stderr.decode()


def test_missing_path_is_an_error(tmp_path):
    proc = run_cli("read", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr.decode()


def test_malformed_json_line_is_reported_and_counted(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"title": "Good", "abstract": "Fine."}\n{"title": "Bad", "abstract": \n'
                 '{"title": "Dup", "title": "Dup2", "abstract": "x"}\n{"title": "N", "abstract": NaN}\n',
                 encoding="utf-8")
    proc = run_cli("read", str(p))
    assert proc.returncode == 0
    out = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [r["title"] for r in out] == ["Good"]
    err = proc.stderr.decode()
    assert f"{p}:2: malformed JSON" in err
    assert f"{p}:3: malformed JSON: duplicate key 'title'" in err
    assert f"{p}:4: malformed JSON: NaN is not valid JSON" in err


def test_all_lines_malformed_json_is_a_file_error(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"title": \n{oops\n', encoding="utf-8")
    proc = run_cli("read", str(p))
    assert proc.returncode == 2
    assert f"{p}:1: no records in this jsonl file" in proc.stderr.decode()


def test_title_without_abstract_is_reported(tmp_path):
    p = tmp_path / "cards.txt"
    p.write_text(f"Subscribe\n\nFirst Paper Title\n\n{GOOD_ABSTRACT}\n\nOrphan Title Without Abstract\n\n"
                 f"Third Paper Title\n\n{GOOD_ABSTRACT}\n\nLast Title\n", encoding="utf-8")
    proc = run_cli("read", str(p))
    assert proc.returncode == 0
    titles = [json.loads(x)["title"] for x in proc.stdout.decode().splitlines()]
    assert titles == ["First Paper Title", "Third Paper Title"]
    err = proc.stderr.decode()
    assert f"{p}:7: title with no abstract" in err
    assert f"{p}:13: title with no abstract" in err
    # in JSON Lines a title-only record is a paper (bibliographic exports often have no abstract)
    j = tmp_path / "t.jsonl"
    j.write_text('{"title": "Only a title"}\n{"title": "T", "abstract": "A."}\n', encoding="utf-8")
    proc = run_cli("read", str(j))
    assert proc.returncode == 0
    rows = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [(r["title"], r["abstract"]) for r in rows] == [("Only a title", ""), ("T", "A.")]
    assert "title with no abstract" not in proc.stderr.decode()


def test_read_cli_on_seeds_gives_368_records():
    proc = run_cli("read", "seeds")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert len(rows) == 368
    assert {r["source"]["layout"] for r in rows} == {"cards", "pairs", "oneline", "meta"}
    assert rows[0]["source"] == {"file": "seeds/000_ae81a9df4d767699.txt", "line": 13, "layout": "cards"}
