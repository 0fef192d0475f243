"""The persistent index (``--index``): incremental runs equal a full run byte for byte, ``check --index``
answers from the index, and an index that does not fit is refused. Through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").iterdir())
ABSTRACT = ("We study how pretraining shapes what a model learns. Our experiments on four benchmarks show "
            "consistent gains, and we release code and data so that others can reproduce every number here.")
OTHER = ("A survey of graph neural networks for molecules: message passing, equivariance and pretraining "
         "objectives, with a benchmark of thirty models on eleven property prediction tasks and open code.")


def dedup(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    full_env = {**os.environ, "PYTHONPATH": path, **(env or {})}
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env=full_env)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outputs(cwd: Path) -> dict[str, str]:
    return {name: sha(cwd / name) for name in ("corpus.jsonl", "corpus.report.json", "corpus.report.html")}


def full_run(cwd: Path, files: list[str]) -> dict[str, str]:
    """The sha256 of a full run's corpus and reports (written to corpus.*, then moved aside)."""
    proc = dedup(cwd, "run", *files, "-o", "corpus.jsonl", "-q", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    got = outputs(cwd)
    for name in ("corpus.jsonl", "corpus.report.json", "corpus.report.html", "corpus.report.timings.json"):
        (cwd / name).unlink()
    return got


def batches(cwd: Path, groups: list[list[str]], index: str = "ix.db") -> dict[str, str]:
    for group in groups:
        proc = dedup(cwd, "run", *group, "--index", index, "-o", "corpus.jsonl", "-q", "--workers", "2")
        assert proc.returncode == 0, proc.stderr
    return outputs(cwd)


@pytest.fixture
def seeds(tmp_path: Path) -> list[str]:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return [f"seeds/{p.name}" for p in SEEDS]


def test_seeds_in_two_batches_equal_one_full_run(tmp_path, seeds):
    want = full_run(tmp_path, seeds)
    # the one-line dump (003) comes in the second batch: it is split with the first batch's titles
    got = batches(tmp_path, [seeds[:3], seeds[3:]])
    assert got == want
    # a third run naming nothing new reads nothing and writes the same bytes
    got = batches(tmp_path, [seeds[:1]])
    assert got == want


def test_one_line_dump_first_is_split_again_when_titles_arrive(tmp_path, seeds):
    want = full_run(tmp_path, seeds)
    got = batches(tmp_path, [[seeds[3]], seeds[:3], seeds[4:]])
    assert got == want


def test_generator_in_five_batches_equals_one_full_run(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    generate.generate(tmp_path / "gen", records=3000, seed=7, files=10)
    files = sorted(f"gen/dumps/{p.name}" for p in (tmp_path / "gen" / "dumps").iterdir())
    want = full_run(tmp_path, files)
    got = batches(tmp_path, [files[k::5] for k in range(5)])
    assert got == want, (got, want)


def test_changed_dump_replaces_its_records(tmp_path, seeds):
    batches(tmp_path, [seeds])
    # cut the last dump to its first half: its old records must leave the corpus
    path = tmp_path / seeds[4]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    got = batches(tmp_path, [[seeds[4]]])
    for name in ("corpus.jsonl", "corpus.report.json", "corpus.report.html"):
        (tmp_path / name).rename(tmp_path / f"inc.{name}")
    want = full_run(tmp_path, seeds)
    assert got == want


def test_dumps_not_named_stay_and_need_not_exist(tmp_path, seeds):
    want = full_run(tmp_path, seeds)
    batches(tmp_path, [seeds[:2]])
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for s in seeds[:2]:  # the index holds them: they are not read again
        (tmp_path / s).rename(moved / Path(s).name)
    assert batches(tmp_path, [seeds[2:]]) == want


def test_only_new_or_changed_dumps_are_read(tmp_path, seeds, monkeypatch):
    import dedup.pipeline
    from dedup.config import Config

    read: list[str] = []
    real = dedup.pipeline.read_lines  # every dump the run reads goes through it

    def counting(path, *args, **kwargs):
        read.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(dedup.pipeline, "read_lines", counting)
    monkeypatch.chdir(tmp_path)
    config = Config(workers=1)
    dedup.pipeline.run(seeds, "corpus.jsonl", config=config, quiet=True, index="ix.db")
    assert sorted(read) == seeds
    read.clear()
    dedup.pipeline.run(seeds, "corpus.jsonl", config=config, quiet=True, index="ix.db")
    assert read == []  # same paths, same bytes: nothing is read again
    with open(seeds[0], "a", encoding="utf-8") as fh:  # a new card in a cards dump
        fh.write("\n\nA Newly Added Paper About Indexes\n\n" + ABSTRACT + "\n")
    dedup.pipeline.run(seeds[:1], "corpus.jsonl", config=config, quiet=True, index="ix.db")
    # the changed dump, and the one-line dump (its known titles changed: one more title)
    assert read == [seeds[0], seeds[3]]


# ------------------------------------------------------------------------------------------------ check
def _jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def indexed(tmp_path) -> Path:
    """An index over two small dumps."""
    _jsonl(tmp_path / "a.jsonl", [
        {"title": "Pretraining Shapes What Models Learn", "abstract": ABSTRACT, "doi": "10.1000/abc"},
        {"title": "Graph Networks for Molecules: A Survey", "abstract": OTHER},
    ])
    proc = dedup(tmp_path, "run", "a.jsonl", "--index", "ix.db", "-o", "corpus.jsonl", "-q")
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def check(cwd: Path, *args: str) -> tuple[int, dict[str, object]]:
    proc = dedup(cwd, "check", *args, "--index", "ix.db", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_check_every_finding_kind(indexed):
    lines = (indexed / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ids = {json.loads(line)["title"]: json.loads(line)["id"] for line in lines}
    _jsonl(indexed / "new.jsonl", [
        # known: the same paper as in the corpus (a re-scrape with another case)
        {"title": "Pretraining shapes what models learn", "abstract": ABSTRACT},
        # new, then a duplicate of it within the dump
        {"title": "A Brand New Paper On Sparse Attention", "abstract": ABSTRACT.replace("pretraining", "sparsity")
         .replace("four", "nine") + " We also study long contexts in depth."},
        {"title": "A Brand New Paper On Sparse Attention", "abstract": ABSTRACT.replace("pretraining", "sparsity")
         .replace("four", "nine") + " We also study long contexts in depth."},
        # truncated
        {"title": "Another Fresh Paper About Tokenizers", "abstract": "We revisit tokenizers and show that…"},
        # reject: malformed JSON is added below
    ])
    with (indexed / "new.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"title": "broken\n')
    code, out = check(indexed, "new.jsonl")
    assert code == 1  # the reject is an error
    kinds = {(f["line"], f["code"]) for f in out["findings"]}
    assert {(1, "known"), (3, "duplicate"), (4, "truncated"), (5, "reject")} <= kinds, kinds
    known = next(f for f in out["findings"] if f["code"] == "known")
    assert ids["Pretraining Shapes What Models Learn"] in known["message"]
    assert "a.jsonl:1" in known["message"]
    per = {r["line"]: r for r in out["summary"]["index"]["per_record"]}
    assert per[1]["status"] == "known" and per[1]["id"] == ids["Pretraining Shapes What Models Learn"]
    assert per[1]["evidence"]["exact_title"] == 1.0
    assert per[2]["status"] == "new" and per[3]["status"] == "duplicate"
    assert out["summary"]["known"] == 1
    # --fail-on error still fails (a reject); github format names file and line
    proc = dedup(indexed, "check", "new.jsonl", "--index", "ix.db", "--format", "github")
    assert proc.returncode == 1
    assert any(line.startswith("::notice file=new.jsonl,line=1,title=dedup known::") for line in
               proc.stdout.splitlines())


def test_check_uncertain_and_exit_codes(indexed):
    # a title equal but for a typo, and nothing else for or against (no abstract): a person should decide
    _jsonl(indexed / "maybe.jsonl", [{"title": "Graph Networks for Molecules: A Survy"}])
    code, out = check(indexed, "maybe.jsonl")
    assert code == 1
    (unc,) = [f for f in out["findings"] if f["code"] == "uncertain"]
    assert unc["level"] == "warning" and "a.jsonl:2" in unc["message"]
    assert out["summary"]["index"]["per_record"][0]["status"] == "uncertain"
    _jsonl(indexed / "clean.jsonl", [{"title": "Completely Unrelated Work On Databases",
                                      "abstract": "We build a database engine for time series that compresses "
                                                  "columns with learned codecs and answers range queries fast."}])
    code_clean, clean = check(indexed, "clean.jsonl")
    assert code_clean == 0 and clean["findings"] == []
    assert clean["summary"]["index"]["statuses"]["new"] == 1
    # a known record is a notice: exit 0 by default, 1 with --fail-on notice
    _jsonl(indexed / "again.jsonl", [{"title": "Graph Networks for Molecules: A Survey", "abstract": OTHER}])
    assert check(indexed, "again.jsonl")[0] == 0
    proc = dedup(indexed, "check", "again.jsonl", "--index", "ix.db", "--fail-on", "notice")
    assert proc.returncode == 1 and "[known]" in proc.stdout


def test_check_uncertain_split_from_the_index(tmp_path, seeds):
    batches(tmp_path, [[s for s in seeds if "003_" not in s]])
    code, out = check(tmp_path, seeds[3])
    codes = [f["code"] for f in out["findings"]]
    assert codes.count("uncertain-split") == 3 and code == 1
    # the same four records a full run merges with the other dumps are known
    assert out["summary"]["known"] == 4


def test_check_a_dump_the_index_holds_is_checked_as_its_replacement(tmp_path, seeds):
    batches(tmp_path, [seeds])
    code, out = check(tmp_path, seeds[3])
    assert out["summary"]["known"] == 4  # not 24: its own old records are left out


def test_check_and_against_exclusive(indexed):
    proc = dedup(indexed, "check", "a.jsonl", "--index", "ix.db", "--against", "corpus.jsonl")
    assert proc.returncode == 2


# ------------------------------------------------------------------------------------------------ safety
def _refused(cwd: Path, *needles: str) -> None:
    for args in (("check", "a.jsonl", "--index", "ix.db"),
                 ("run", "a.jsonl", "--index", "ix.db", "-o", "corpus.jsonl", "-q")):
        proc = dedup(cwd, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "ix.db" in proc.stderr and all(n in proc.stderr for n in needles), proc.stderr


def test_other_parameters_refused(indexed):
    proc = dedup(indexed, "run", "a.jsonl", "--index", "ix.db", "-o", "corpus.jsonl", "--threshold", "0.9")
    assert proc.returncode == 2 and "threshold" in proc.stderr and "other parameters" in proc.stderr
    db = sqlite3.connect(indexed / "ix.db")
    params = json.loads(db.execute("SELECT value FROM meta WHERE key='parameters'").fetchone()[0])
    params["versions"]["ftfy"] = "0.0.1"
    db.execute("UPDATE meta SET value=? WHERE key='parameters'", (json.dumps(params),))
    db.commit()
    db.close()
    _refused(indexed, "versions.ftfy", "other parameters")
    db = sqlite3.connect(indexed / "ix.db")  # and nothing rebuilt it
    assert "0.0.1" in db.execute("SELECT value FROM meta WHERE key='parameters'").fetchone()[0]
    db.close()


def test_other_schema_refused(indexed):
    db = sqlite3.connect(indexed / "ix.db")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    _refused(indexed, "schema version 99")


def test_truncated_refused(indexed):
    data = (indexed / "ix.db").read_bytes()
    (indexed / "ix.db").write_bytes(data[: len(data) // 2])
    _refused(indexed)
    (indexed / "ix.db").write_bytes(b"")
    _refused(indexed, "empty")


def test_corrupt_refused(indexed):
    data = bytearray((indexed / "ix.db").read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for p in range(1, len(data) // page):  # every page after the first: garbage
        data[p * page: p * page + 64] = b"\xa5" * 64
    (indexed / "ix.db").write_bytes(bytes(data))
    _refused(indexed)
    (indexed / "ix.db").write_text("not an index\n" * 100, encoding="utf-8")
    _refused(indexed, "not an SQLite file")


def test_missing_table_refused(indexed):
    db = sqlite3.connect(indexed / "ix.db")
    db.execute("DROP TABLE keys")
    db.commit()
    db.close()
    _refused(indexed, "missing tables keys")


def test_missing_index_for_check(indexed):
    proc = dedup(indexed, "check", "a.jsonl", "--index", "nope.db")
    assert proc.returncode == 2 and "no such index" in proc.stderr


def _content(db_path: Path) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


@pytest.mark.parametrize("first", [False, True])
def test_killed_during_index_write_leaves_index_and_corpus(tmp_path, seeds, first):
    if not first:
        batches(tmp_path, [seeds[:2]])
        before = {"corpus": outputs(tmp_path), "index": _content(tmp_path / "ix.db")}
    proc = dedup(tmp_path, "run", *seeds[2:], "--index", "ix.db", "-o", "corpus.jsonl", "-q",
                 env={"DEDUP_TEST_KILL_AT": "index-write"})
    assert proc.returncode == -9, proc.stderr
    if first:  # no index, no corpus: as before
        assert not (tmp_path / "ix.db").exists() and not (tmp_path / "corpus.jsonl").exists()
    else:
        assert outputs(tmp_path) == before["corpus"]
        assert _content(tmp_path / "ix.db") == before["index"]
    # and the index still works: the next run gives the full run's bytes
    got = batches(tmp_path, [seeds[2:], seeds[:2]] if first else [seeds[2:]])
    for name in ("corpus.jsonl", "corpus.report.json", "corpus.report.html"):
        (tmp_path / name).unlink()
    assert got == full_run(tmp_path, seeds)


def test_killed_before_index_commit_heals_on_the_next_run(tmp_path, seeds):
    batches(tmp_path, [seeds[:2]])
    before = _content(tmp_path / "ix.db")
    proc = dedup(tmp_path, "run", *seeds[2:], "--index", "ix.db", "-o", "corpus.jsonl", "-q",
                 env={"DEDUP_TEST_KILL_AT": "index-commit"})
    assert proc.returncode == -9
    assert _content(tmp_path / "ix.db") == before  # the index is one run behind the corpus
    new_corpus = outputs(tmp_path)
    assert batches(tmp_path, [seeds[2:]]) == new_corpus
