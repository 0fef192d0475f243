"""``dedup run`` end to end through the real CLI: the seed corpus, determinism, atomicity."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def dedup(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, **(env or {})})


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seedrun") / "corpus.jsonl"
    proc = dedup("run", "seeds", "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    report = json.loads(out.with_name("corpus.report.json").read_text(encoding="utf-8"))
    return out, rows, report


def test_seeds_give_320_papers_from_368_records(seed_run):
    _, rows, report = seed_run
    assert len(rows) == 320
    sources = [(s["file"], s["line"]) for r in rows for s in r["sources"]]
    assert len(sources) == 368 == len(set(sources))
    assert report["totals"]["read"] == 368 and report["totals"]["kept"] == 320


def test_corpus_schema_and_order(seed_run):
    _, rows, _ = seed_run
    keys = ["id", "title", "abstract", "text", "authors", "date", "upvotes", "organization", "sources", "repairs",
            "quality"]
    assert all(list(r) == keys for r in rows)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert len({r["id"] for r in rows}) == 320
    for r in rows:
        assert r["text"] == f"{r['title']}\n\n{r['abstract']}"
        assert r["sources"] == sorted(r["sources"], key=lambda s: (s["file"], s["line"]))
        assert r["repairs"] == sorted(set(r["repairs"]))
        assert r["date"] is None or len(r["date"]) in (5, 10)


def test_seed_hard_negatives_stay_apart(seed_run):
    _, rows, _ = seed_run
    titles = {r["title"] for r in rows}
    for t in [
        "On the Complementarity between Pre-Training and Random-Initialization for Resource-Rich Machine Translation",
        "On the Complementarity between Pre-Training and Back-Translation for Neural Machine Translation",
        "Universal Image Restoration Pre-training via Degradation Classification",
        "Universal Image Restoration Pre-training via Masked Degradation Classification",
    ]:
        assert t in titles
    lower = {t.casefold() for t in titles}
    assert any(t.startswith("prop:") for t in lower) and any(t.startswith("b-prop") for t in lower)


def test_metadata_merge_prefers_dated_and_keeps_every_source(seed_run):
    _, rows, _ = seed_run
    merged = [r for r in rows if len(r["sources"]) > 1]
    assert merged
    for r in merged:
        layouts = {s["layout"] for s in r["sources"]}
        if "meta" in layouts or "oneline" in layouts:
            # the metadata-bearing copy's fields survive the merge
            assert r["date"] is not None or r["authors"] is not None or r["organization"] is not None \
                or all(s["layout"] != "oneline" for s in r["sources"])


def test_determinism_across_workers_input_order_and_hashseed(tmp_path):
    """Same inputs -> byte-identical corpus and report, whatever the workers, input order or hash seed."""
    out = tmp_path / "corpus.jsonl"
    files = sorted(str(p.relative_to(ROOT)) for p in SEEDS.iterdir())
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != files
    runs = [
        (files, "1", "1"),
        (files, "2", "2"),
        (shuffled, "2", "3"),
        (list(reversed(files)), "1", "random"),
    ]
    seen = set()
    for inputs, workers, seed in runs:
        proc = dedup("run", *inputs, "-o", str(out), "--quiet", "--workers", workers,
                     env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        seen.add((sha(out), sha(out.with_name("corpus.report.json")), sha(out.with_name("corpus.report.html"))))
    assert len(seen) == 1


def test_failed_run_leaves_old_corpus_untouched(tmp_path):
    out = tmp_path / "corpus.jsonl"
    out.write_text("old corpus\n", encoding="utf-8")
    bad = tmp_path / "in"
    shutil.copytree(SEEDS, bad)
    (bad / "zz_broken.txt").write_bytes(b"\xff\xfe binary\x00junk")
    proc = dedup("run", str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert f"{bad / 'zz_broken.txt'}:1: binary file" in proc.stderr
    assert out.read_text(encoding="utf-8") == "old corpus\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl", "in"]


def test_error_mid_merge_leaves_old_corpus_untouched(tmp_path, monkeypatch):
    from dedup import pipeline
    from dedup.config import Config

    out = tmp_path / "corpus.jsonl"
    out.write_text("old corpus\n", encoding="utf-8")
    real = pipeline._merge_task

    def failing(task):
        real(task)
        raise OSError("disk full (injected)")

    monkeypatch.setattr(pipeline, "_merge_task", failing)
    with pytest.raises(OSError, match="injected"):
        pipeline.run([str(SEEDS)], str(out), config=Config(workers=1), quiet=True)
    assert out.read_text(encoding="utf-8") == "old corpus\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]


def test_sigterm_during_the_commit_comes_after_it(tmp_path, monkeypatch):
    """SIGTERM while the outputs are put in place, with a thread in the process that takes it (as Ray's do): the
    commit finishes, every output is the new one, and the run then stops with the signal, saying so."""
    import signal
    import threading

    from dedup import pipeline
    from dedup.config import Config
    from dedup.errors import Interrupted

    out = tmp_path / "corpus.jsonl"
    out.write_text("old corpus\n", encoding="utf-8")
    idle = threading.Event()
    threading.Thread(target=idle.wait, daemon=True).start()
    real_replace, sent = os.replace, []

    def replace(src, dst):
        real_replace(src, dst)
        if not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)

    monkeypatch.setattr(os, "replace", replace)
    try:
        with pytest.raises(Interrupted) as stopped:
            pipeline.run([str(SEEDS)], str(out), config=Config(workers=1), quiet=True)
    finally:
        idle.set()
    assert stopped.value.signum == signal.SIGTERM and stopped.value.committed
    report = json.loads(out.with_name("corpus.report.json").read_text(encoding="utf-8"))
    corpus = out.read_bytes()
    assert report["corpus"]["sha256"] == hashlib.sha256(corpus).hexdigest()
    assert len(corpus.splitlines()) == report["corpus"]["records"] > 0
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _forty_seed_copies_and_an_old_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """An input of 40 copies of the seeds (enough records that a run takes a moment) and an old corpus."""
    data = tmp_path / "in"
    data.mkdir()
    for i in range(40):
        for f in SEEDS.iterdir():
            (data / f"{i:02d}_{f.name}").write_bytes(f.read_bytes())
    out = tmp_path / "out" / "corpus.jsonl"
    out.parent.mkdir()
    out.write_text("old corpus\n", encoding="utf-8")
    return data, out


def test_killed_run_leaves_old_corpus_untouched(tmp_path):
    """SIGKILL while the new corpus is being written: the old one stays byte for byte."""
    data, out = _forty_seed_copies_and_an_old_corpus(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "--quiet",
                             "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if any(p.name.startswith(".corpus.jsonl.") for p in out.parent.iterdir()):
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.fail("the run finished before it could be killed mid-write; make the input larger")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert out.read_text(encoding="utf-8") == "old corpus\n"


def _double_or_die(n: int) -> int:
    if n == 3:
        os._exit(9)  # as a worker killed by the out-of-memory killer: no result, no exception
    return 2 * n


def _die_holding_the_queue_locks(n: int) -> int:
    """As a worker killed in the middle of taking a task or putting a result: it holds its queues' locks."""
    if n == 3:
        import gc
        from multiprocessing.queues import SimpleQueue

        for q in [o for o in gc.get_objects() if isinstance(o, SimpleQueue)]:
            for lock in (q._rlock, q._wlock):
                if lock is not None:
                    lock.acquire(timeout=1)
        os._exit(9)
    return 2 * n


def test_engine_ends_even_when_a_dead_worker_held_the_pool_locks():
    """``Pool.terminate`` waits forever on a lock a dead worker held (seen once in CI): the engine must end."""
    import threading

    from dedup.errors import WorkerLost
    from dedup.pipeline import Engine

    outcome: list[str] = []

    def go() -> None:
        try:
            with Engine("local", 2) as engine:
                list(engine.map(_die_holding_the_queue_locks, range(8)))
        except WorkerLost:
            outcome.append("lost")

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the engine hung ending a pool whose dead worker held its locks"
    assert outcome == ["lost"]


def test_engine_stops_waiting_when_a_worker_dies():
    """A process pool replaces a dead worker but never reruns its task: the engine must notice, not hang."""
    from dedup.errors import WorkerLost
    from dedup.pipeline import Engine

    got: list[int] = []
    with Engine("local", 2) as engine, pytest.raises(WorkerLost, match="ended in the middle of the run"):
        for r in engine.map(_double_or_die, range(8)):
            got.append(r)
    assert got == [0, 2, 4]


def test_killed_worker_fails_the_run_and_changes_nothing(tmp_path):
    """SIGKILL to one worker of ``dedup run`` (what the OOM killer does): exit 2 with a message, no hang,
    the old corpus byte for byte, no temp file left."""
    data, out = _forty_seed_copies_and_an_old_corpus(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "--quiet",
                             "--workers", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.time() + 120
    pids: list[int] = []
    while time.time() < deadline and proc.poll() is None and len(pids) < 2:
        try:
            pids = [int(x) for x in children.read_text().split()]
        except OSError:
            pids = []
        time.sleep(0.01)
    time.sleep(0.5)  # inside the first stage
    if proc.poll() is not None or len(pids) < 2:
        pytest.fail("the run ended before a worker could be killed; make the input larger")
    os.kill(pids[0], signal.SIGKILL)
    try:
        _, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("dedup run hung after one of its workers was killed")
    assert proc.returncode == 2, stderr
    assert f"worker process {pids[0]} ended in the middle of the run" in stderr
    assert out.read_text(encoding="utf-8") == "old corpus\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["corpus.jsonl"]


def test_usage_errors(tmp_path):
    proc = dedup("run", "seeds", "-o", str(tmp_path / "c.jsonl"), "--threshold", "1.5")
    assert proc.returncode == 2 and "--threshold" in proc.stderr
    proc = dedup("run", "seeds")
    assert proc.returncode == 2 and "--output" in proc.stderr
    proc = dedup("run", "seeds", "-o", "seeds/000_ae81a9df4d767699.txt")
    assert proc.returncode == 2 and "also an input" in proc.stderr


def test_progress_on_stderr_and_quiet(tmp_path):
    proc = dedup("run", "seeds", "-o", str(tmp_path / "c.jsonl"))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert "368 records -> 320 papers" in proc.stderr
    proc = dedup("run", "seeds", "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


def test_explain_prints_a_cluster(seed_run):
    out, rows, _ = seed_run
    merged = next(r for r in rows if len(r["sources"]) > 2)
    proc = dedup("explain", str(out), merged["id"])
    assert proc.returncode == 0, proc.stderr
    for s in merged["sources"]:
        assert f"{s['file']}:{s['line']}" in proc.stdout
    single = next(r for r in rows if len(r["sources"]) == 1)
    proc = dedup("explain", str(out), single["id"])
    assert proc.returncode == 0 and single["sources"][0]["file"] in proc.stdout
    proc = dedup("explain", str(out), "pnot-an-id")
    assert proc.returncode == 2 and "pnot-an-id" in proc.stderr


def test_report_validates_and_adds_up(seed_run):
    from dedup.schema import check_accounting, validate_report

    out, rows, report = seed_run
    validate_report(report)
    assert check_accounting(report) == []
    assert report["corpus"]["sha256"] == sha(out)
    assert report["corpus"]["records"] == len(rows)


def test_output_files_get_normal_permissions(tmp_path):
    out = tmp_path / "corpus.jsonl"
    old = os.umask(0o022)
    try:
        proc = dedup("run", "seeds", "-o", str(out), "--quiet")
    finally:
        os.umask(old)
    assert proc.returncode == 0
    for p in (out, out.with_name("corpus.report.json"), out.with_name("corpus.report.html")):
        assert p.stat().st_mode & 0o777 == 0o644, p


def test_large_report_lists_weakest_clusters_and_keeps_all_in_json(tmp_path, monkeypatch):
    """Past MAX_CLUSTER_ROWS the page lists the weakest clusters only; the JSON still has every cluster."""
    from dedup import pipeline
    from dedup.config import Config
    from dedup.schema import check_accounting, validate_report

    monkeypatch.setattr(pipeline, "MAX_CLUSTER_ROWS", 3)
    out = tmp_path / "corpus.jsonl"
    pipeline.run([str(SEEDS)], str(out), config=Config(workers=1), quiet=True)
    report = json.loads(out.with_name("corpus.report.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert check_accounting(report) == []
    assert len(report["clusters"]) == report["totals"]["clusters"] > 3
    page = out.with_name("corpus.report.html").read_text(encoding="utf-8")
    assert page.count('<details class="cluster"') == 3
    assert f"Showing the first 3 of {report['totals']['clusters']} clusters" in page
