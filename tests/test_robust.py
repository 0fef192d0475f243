"""Promises kept under faults, mistakes and hostile input (issue 10), each through the real CLI.

Faults that cannot be made for real in a test (a full disk, a read-only mount, a folder root can still read)
are injected into a real ``dedup`` process: :func:`dedup_with` runs the CLI after a few lines that patch
the one system call concerned.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CARDS = "000_ae81a9df4d767699.txt"
ABSTRACT = ("We study how pretraining shapes what a model learns. Our experiments on four benchmarks show "
            "consistent gains, and we release code and data so that others can reproduce every number here.")


def dedup(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300,
          stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, **(env or {})}, input=stdin)


def dedup_with(patch: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process where ``patch`` (Python source) ran first: a fault injected."""
    code = textwrap.dedent(patch) + "\nimport sys\nfrom dedup.cli import main\nmain(sys.argv[1:], prog_name='dedup')\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its sha256."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def seeds(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    shutil.copytree(SEEDS, d)
    return d


@pytest.fixture()
def old_run(tmp_path: Path, seeds: Path) -> Path:
    """A corpus and report from an earlier run of the two cards dumps, to be kept when a run fails."""
    out = tmp_path / "out" / "corpus.jsonl"
    proc = dedup("run", str(seeds / CARDS), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    return out


# ------------------------------------------------------------------------------ data loss, mismatched output
def test_symlinked_input_is_not_overwritten(tmp_path, seeds):
    link = tmp_path / "link.txt"
    link.symlink_to(seeds / CARDS)
    before = sha(seeds / CARDS)
    proc = dedup("run", str(link), str(seeds / "001_2344f7528fdb0b4f.txt"), "-o", str(seeds / CARDS), "-q")
    assert proc.returncode == 2
    assert "the corpus is also an input" in proc.stderr
    assert sha(seeds / CARDS) == before


def test_timings_sidecar_path_as_input_is_not_overwritten(tmp_path, seeds):
    sidecar = tmp_path / "c.report.timings.json"
    shutil.copy(seeds / CARDS, sidecar)
    before = sha(sidecar)
    proc = dedup("run", str(sidecar), "-o", str(tmp_path / "c.jsonl"), "-q")
    assert proc.returncode == 2 and "timings sidecar is also an input" in proc.stderr
    assert sha(sidecar) == before and not (tmp_path / "c.jsonl").exists()


def test_device_and_symlink_outputs_are_refused(tmp_path, seeds):
    # never the real /dev/null: a dedup with this bug, run as root, replaces it for the whole machine
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    proc = dedup("run", str(seeds), "-o", str(fifo), "-q")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
    assert fifo.is_fifo()
    if os.geteuid() == 0:  # a character device of our own (the same as /dev/null)
        null = tmp_path / "null"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        proc = dedup("run", str(seeds), "-o", str(null), "-q")
        assert proc.returncode == 2 and "not a regular file" in proc.stderr
        assert null.is_char_device()
    target = tmp_path / "real.jsonl"
    target.write_text("keep\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    proc = dedup("run", str(seeds), "-o", str(link), "-q")
    assert proc.returncode == 2 and "is a symlink" in proc.stderr
    assert link.is_symlink() and target.read_text() == "keep\n"


def test_html_report_path_that_is_a_folder_fails_before_any_work(tmp_path, seeds, old_run):
    (old_run.parent / "new.report.html").mkdir()
    new = old_run.parent / "new.jsonl"
    before = snapshot(old_run.parent)
    t = time.perf_counter()
    proc = dedup("run", str(seeds), "-o", str(new), "-q")
    assert proc.returncode == 2 and "the HTML report is a folder" in proc.stderr
    assert snapshot(old_run.parent) == before
    assert time.perf_counter() - t < 30


def test_failed_html_write_changes_nothing_and_says_so(tmp_path, seeds, old_run):
    """The disk fills while the HTML report is written: corpus, JSON report, HTML and timings all stay the
    old ones (before: the new JSON report was in place beside the old corpus), and the message is true."""
    before = snapshot(old_run.parent)
    patch = """
        import errno, dedup.report_html as h
        def full(*a, **k):
            raise OSError(errno.ENOSPC, "No space left on device")
        h.render_html = full
    """
    proc = dedup_with(patch, "run", str(seeds), "-o", str(old_run), "-q")
    assert proc.returncode == 2, proc.stderr
    assert "No space left on device" in proc.stderr and "no output was changed" in proc.stderr
    assert snapshot(old_run.parent) == before


def test_full_disk_while_writing_leaves_old_outputs_and_no_temp_files(tmp_path, seeds, old_run):
    before = snapshot(old_run.parent)
    patch = """
        import errno, os
        real = os.fsync
        def fsync(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        os.fsync = fsync
    """
    proc = dedup_with(patch, "run", str(seeds), "-o", str(old_run), "-q")
    assert proc.returncode == 2, proc.stderr
    assert f"{old_run}: cannot write: No space left on device; no output was changed" in proc.stderr
    assert "hint: free some space" in proc.stderr
    assert snapshot(old_run.parent) == before


def test_two_runs_on_one_output_cannot_interleave(tmp_path, seeds):
    from dedup.io import OutputLock

    out = tmp_path / "c.jsonl"
    with OutputLock(str(out)):  # another run holds the output
        proc = dedup("run", str(seeds), "-o", str(out), "-q")
    assert proc.returncode == 2 and "another dedup run is writing this output" in proc.stderr
    assert not out.exists()
    proc = dedup("run", str(seeds), "-o", str(out), "-q")
    assert proc.returncode == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # lock file removed


def test_temp_files_of_a_killed_run_are_removed_by_the_next(tmp_path):
    data = big_input(tmp_path, copies=20)
    out = tmp_path / "out" / "c.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "-q",
                             "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if out.parent.is_dir() and any(p.name.endswith(".tmp") for p in out.parent.iterdir()):
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed mid-write")
    proc.kill()
    proc.wait()
    assert any(p.name.endswith(".tmp") for p in out.parent.iterdir())  # SIGKILL cannot clean up
    assert dedup("run", str(SEEDS), "-o", str(out), "-q").returncode == 0
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "c.jsonl", "c.report.html", "c.report.json", "c.report.timings.json"]


def test_a_second_run_on_a_busy_output_stops_and_the_first_writes_a_matching_set(tmp_path):
    data = big_input(tmp_path, copies=20)
    out = tmp_path / "out" / "c.jsonl"
    first = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "-q"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = out.parent / ".c.jsonl.lock"
    deadline = time.time() + 60
    while time.time() < deadline and first.poll() is None and not (
            out.parent.is_dir() and any(p.name.startswith(".c.jsonl") for p in out.parent.iterdir())):
        time.sleep(0.005)  # until the first run holds the lock (or, without one, writes its temp file)
    if first.poll() is not None:
        pytest.skip("the first run finished before the second started")
    second = dedup("run", str(SEEDS), "-o", str(out), "-q")
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 2 and "another dedup run is writing this output" in second.stderr
    report = json.loads(out.with_name("c.report.json").read_text())
    assert report["corpus"]["sha256"] == sha(out) and report["totals"]["files"] == 100
    assert not lock.exists()


UNREADABLE_SUB = """
    import errno, os
    real = os.scandir
    def scandir(path="."):
        if str(path).endswith("sub"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)
    os.scandir = scandir
"""


def test_unreadable_subfolder_stops_run_and_check_unless_skipped(tmp_path, seeds):
    sub = seeds / "sub"
    sub.mkdir()
    shutil.move(str(seeds / "004_a58be9933faaf893.txt"), sub)
    out = tmp_path / "c.jsonl"
    proc = dedup_with(UNREADABLE_SUB, "run", str(seeds), "-o", str(out), "-q")
    assert proc.returncode == 2 and f"{sub}: cannot read folder: Permission denied" in proc.stderr
    assert "--skip-unreadable" in proc.stderr and not out.exists()
    proc = dedup_with(UNREADABLE_SUB, "check", str(seeds))
    assert proc.returncode == 2 and "cannot read folder" in proc.stderr
    proc = dedup_with(UNREADABLE_SUB, "run", str(seeds), "-o", str(out), "-q", "--skip-unreadable")
    assert proc.returncode == 0, proc.stderr
    rejects = json.loads(out.with_name("c.report.json").read_text())["rejects"]
    assert [r["file"] for r in rejects] == [str(sub)]
    assert "unreadable file: cannot read folder: Permission denied" in rejects[0]["reason"]


def test_check_against_matches_ids_by_record_not_position(tmp_path):
    papers = [{"title": "Attention Is Mostly What You Need", "abstract": ABSTRACT},
              {"title": "A Different Paper About Graphs",
               "abstract": "Graph neural networks propagate messages along edges; we bound their depth and show "
                           "that a shallow variant matches deep ones on every molecular benchmark we tried."}]
    dump = tmp_path / "d.jsonl"
    dump.write_text("".join(json.dumps(p) + "\n" for p in papers))
    out = tmp_path / "c.jsonl"
    assert dedup("run", str(dump), "-o", str(out), "-q").returncode == 0
    lines = out.read_text().splitlines()
    last = json.loads(lines[-1])  # the corpus's last record
    # a line the reader rejects (no abstract) ahead of the records: positions and records part ways
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "pbroken", "title": "Broken", "sources": []}) + "\n"
                      + "\n".join(lines) + "\n")
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"title": last["title"], "abstract": last["abstract"]}) + "\n")
    proc = dedup("check", str(new), "--against", str(broken), "--format", "json")
    known = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "known"]
    assert [f["message"].rsplit(" as ", 1)[1] for f in known] == [last["id"]], proc.stdout


def test_check_against_a_file_that_is_not_a_corpus_is_a_usage_error(tmp_path, seeds):
    proc = dedup("check", str(seeds / CARDS), "--against", str(seeds / CARDS))
    assert proc.returncode == 2
    assert f"{seeds / CARDS}:1: not a dedup corpus" in proc.stderr and "hint:" in proc.stderr
    proc = dedup("check", str(seeds / CARDS), "--against", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 2 and "no such corpus" in proc.stderr


# --------------------------------------------------------------------------------------------- injection
def test_github_format_escapes_data_and_properties(tmp_path):
    name = "evil\n::add-mask::secret,x::y%.jsonl"
    p = tmp_path / name
    p.write_text('{"title": "T", "abstract": NaN}\n' + json.dumps({"title": "T", "abstract": ABSTRACT}) + "\n")
    proc = dedup("check", str(p), "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, lines  # one finding, one line: no injected command
    assert not any(line.startswith("::add-mask::") for line in lines)
    expected = (str(tmp_path).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
                + "/evil%0A%3A%3Aadd-mask%3A%3Asecret%2Cx%3A%3Ay%25.jsonl")
    assert lines[0] == f"::error file={expected},line=1,title=dedup reject::malformed JSON: NaN is not valid JSON"


def test_github_data_escaping():
    from dedup.check import Finding, format_findings

    out = format_findings([Finding("a.txt", 2, "warning", "x", "100% sure\r\n::stop-commands::t")], {}, "github")
    assert out == "::warning file=a.txt,line=2,title=dedup x::100%25 sure%0D%0A::stop-commands::t"


# --------------------------------------------------------------------------------------------- wrong answers
def cards(*titles: str) -> str:
    return "".join(f"{t}\n\n{ABSTRACT} This is case {i}.\n\n" for i, t in enumerate(titles))


def test_cards_dump_whose_first_title_starts_with_a_brace(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(cards("{GPT} Models Are Few-Shot Learners", "Second Paper Title"))
    proc = dedup("read", str(p))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(r["title"], r["source"]["layout"]) for r in rows] == [
        ("{GPT} Models Are Few-Shot Learners", "cards"), ("Second Paper Title", "cards")]


def test_canonicalize_treats_a_brace_line_that_is_not_json_as_text():
    proc = dedup("canonicalize", stdin='{x} is 6.1times smaller\n{"title": "118\\\\times"}\n[1, 2]\n')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "6.1× smaller" in lines[0]
    assert json.loads(lines[1]) == {"title": "118×"}
    assert len(lines) == 3


def test_old_corpus_and_report_in_an_input_folder_are_skipped_with_a_notice(tmp_path, seeds):
    out = seeds / "corpus.jsonl"
    first = dedup("run", str(seeds), "-o", str(out), "-q")
    assert first.returncode == 0 and first.stderr == ""
    corpus = out.read_bytes()
    again = dedup("run", str(seeds), "-o", str(out), "-q")
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() == corpus
    for name in ("corpus.jsonl", "corpus.report.json", "corpus.report.html", "corpus.report.timings.json"):
        assert f"{seeds / name}: skipped: a dedup " in again.stderr
    copy = tmp_path / "second.jsonl"
    shutil.copy(out, seeds / "zz_renamed.txt")  # recognised by content, not name
    assert dedup("run", str(seeds), "-o", str(copy), "-q").returncode == 0
    assert json.loads(copy.with_name("second.report.json").read_text())["totals"]["read"] == 368
    proc = dedup("run", str(out), "-o", str(tmp_path / "x.jsonl"))
    assert proc.returncode == 2 and "is a dedup corpus" in proc.stderr


def test_same_folder_named_two_ways_is_read_once(tmp_path, seeds):
    out = tmp_path / "c.jsonl"
    link = tmp_path / "alias"
    link.symlink_to(seeds)
    proc = dedup("run", str(seeds), str(seeds) + "/", str(link), str(seeds / CARDS), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.with_name("c.report.json").read_text())
    assert report["totals"]["read"] == 368 and report["totals"]["files"] == 5


def test_corpus_bytes_do_not_depend_on_how_the_input_is_spelled(tmp_path):
    got = set()
    for i, spelling in enumerate(["seeds", "./seeds/", str(SEEDS), "seeds//", "tests/../seeds"]):
        out = tmp_path / f"c{i}.jsonl"
        assert dedup("run", spelling, "-o", str(out), "-q").returncode == 0
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        report = json.loads(out.with_name(f"c{i}.report.json").read_text())
        report["corpus"].pop("path")
        got.add((sha(out), json.dumps(report, sort_keys=True)))
    assert len(got) == 1
    assert rows[0]["sources"][0]["file"].startswith("seeds/")


# ------------------------------------------------------------------------------------------ hangs, resources
def test_provenance_is_the_same_for_the_current_folder_named_any_way(tmp_path, seeds):
    got = set()
    for i, spelling in enumerate([".", "./", str(seeds), CARDS]):
        out = tmp_path / f"c{i}.jsonl"
        assert dedup("run", spelling, "-o", str(out), "-q", cwd=seeds).returncode == 0
        files = {s["file"] for r in map(json.loads, out.read_text().splitlines()) for s in r["sources"]}
        got.add(CARDS in files)
        assert not any(f.startswith(("./", "/")) for f in files), files
    assert got == {True}


def test_fifo_and_devices_in_an_input_folder_are_skipped_never_read(tmp_path, seeds):
    os.mkfifo(seeds / "pipe.txt")
    (seeds / "zero.txt").symlink_to("/dev/zero")
    out = tmp_path / "c.jsonl"
    proc = dedup("run", str(seeds), "-o", str(out), "-q", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{seeds / 'pipe.txt'}: skipped: not a regular file" in proc.stderr
    assert f"{seeds / 'zero.txt'}: skipped: not a regular file" in proc.stderr
    proc = dedup("check", str(seeds), "-q", timeout=120)
    assert proc.returncode in (0, 1) and "pipe.txt: skipped" in proc.stderr
    proc = dedup("read", str(seeds / "pipe.txt"), timeout=60)
    assert proc.returncode == 2 and "not a regular file or folder" in proc.stderr


def big_input(tmp_path: Path, copies: int = 30) -> Path:
    data = tmp_path / "big"
    data.mkdir()
    for i in range(copies):
        for f in SEEDS.iterdir():
            (data / f"{i:02d}_{f.name}").write_bytes(f.read_bytes())
    return data


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_cleans_up_temp_files_and_spill_folder(tmp_path, sig):
    data = big_input(tmp_path)
    spill = tmp_path / "tmp"
    spill.mkdir()
    out = tmp_path / "out" / "c.jsonl"
    out.parent.mkdir()
    out.write_text("old corpus\n")
    proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "--workers", "2"],
                            cwd=ROOT, env={**os.environ, "TMPDIR": str(spill)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith("dedup-") for p in spill.iterdir()):
        time.sleep(0.01)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 128 + sig, err
    assert "no output was changed" in err
    assert out.read_text() == "old corpus\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["c.jsonl"]
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_commit_is_not_cut_by_a_signal_another_thread_takes(tmp_path, monkeypatch, sig):
    """A signal during the commit arrives after it, with every output in place, also when another thread (Ray's,
    tqdm's monitor) takes it: Python runs the handler in the main thread whichever thread the kernel chose."""
    import threading

    from dedup.io import Staging

    caught: list[int] = []

    def handler(signum, frame):  # what the run's handler does before the commit: stop at once
        caught.append(signum)
        raise KeyboardInterrupt

    old = signal.signal(sig, handler)
    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()  # started before the commit, so it does not block the signal
    real_replace = os.replace

    def replace(src, dst):
        real_replace(src, dst)
        if not caught and dst.endswith("a.txt"):
            os.kill(os.getpid(), sig)  # to the process: the other thread is the one that does not block it
            for _ in range(200):  # bytecodes for the handler to run at, were it let through
                time.sleep(0.001)

    monkeypatch.setattr(os, "replace", replace)
    try:
        with pytest.raises(KeyboardInterrupt), Staging() as staging:
            for name in ("a.txt", "b.txt"):
                with open(tmp_path / name, "w") as fh:
                    fh.write("old\n")
                staging.open(str(tmp_path / name)).write("new\n")
            committed: list[bool] = []
            staging.commit(on_committed=lambda: committed.append(True))
        assert committed == [True] and caught == [sig]
        assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["new\n", "new\n"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    finally:
        idle.set()
        signal.signal(sig, old)


def test_ctrl_c_to_the_process_group_never_deadlocks_the_pool(tmp_path):
    data = big_input(tmp_path, copies=20)
    out = tmp_path / "c.jsonl"
    for delay in (0.6, 1.2, 1.8, 2.4):
        proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(data), "-o", str(out), "-q",
                                 "--workers", "2"], cwd=ROOT, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: every process of the group
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"deadlocked after Ctrl-C at {delay}s")
        assert proc.returncode in (0, 130)


def test_many_small_files_finish(tmp_path):
    """3,000 files: the report's file overlap was cubic in files (about 10 minutes here); now sparse."""
    import random

    data = tmp_path / "many"
    data.mkdir()
    words = [f"w{k}" for k in range(5000)]
    for i in range(3000):
        r = random.Random(i % 2000)
        (data / f"{i:05d}.jsonl").write_text(json.dumps(
            {"title": f"Paper number {i % 2000} on sparse overlaps",
             "abstract": " ".join(r.choice(words) for _ in range(60)) + "."}) + "\n")
    out = tmp_path / "c.jsonl"
    t = time.perf_counter()
    proc = dedup("run", str(data), "-o", str(out), "-q", timeout=240)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.with_name("c.report.json").read_text())
    assert report["totals"]["files"] == 3000 and len(out.read_text().splitlines()) == 2000
    assert len(report["overlap"]["pairs"]) == 3000 + 1000  # each file's own papers + 1,000 shared pairs
    assert time.perf_counter() - t < 180


def test_a_50_mb_record_is_rejected_without_gigabytes(tmp_path):
    p = tmp_path / "huge.jsonl"
    with p.open("w") as fh:
        fh.write(json.dumps({"title": "A Huge Record", "abstract": "word " * 10_000_000}) + "\n")
        fh.write(json.dumps({"title": "A Small Record", "abstract": ABSTRACT}) + "\n")
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run([sys.executable, '-m', 'dedup', *sys.argv[1:]], capture_output=True, text=True)\n"
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.stderr.write(r.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, "run", str(p), "-o", str(tmp_path / "c.jsonl"), "-q",
                           "--workers", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    rc, peak_kb = map(int, proc.stdout.split())
    assert rc == 0, proc.stderr
    assert f"{p}:1: record too long" in proc.stderr
    assert peak_kb < 600_000, f"peak RSS {peak_kb // 1024} MB"
    assert len((tmp_path / "c.jsonl").read_text().splitlines()) == 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 10**8  # (the test itself stays small)


# ---------------------------------------------------------------------- user mistakes: exit 2, not 3
def test_output_whose_parent_is_a_file_fails_before_any_work(tmp_path, seeds):
    (tmp_path / "afile").write_text("x")
    t = time.perf_counter()
    proc = dedup("run", str(seeds), "-o", str(tmp_path / "afile" / "c.jsonl"), "-q")
    assert proc.returncode == 2
    assert f"{tmp_path / 'afile' / 'c.jsonl'}: cannot write the corpus: a parent of it is a file" in proc.stderr
    assert time.perf_counter() - t < 20


def test_read_only_output_folder_is_a_usage_error(tmp_path, seeds):
    ro = tmp_path / "ro"
    ro.mkdir()
    patch = f"""
        import errno, tempfile
        real = tempfile.mkstemp
        def mkstemp(*a, dir=None, **k):
            if dir == {str(ro)!r}:
                raise OSError(errno.EROFS, "Read-only file system")
            return real(*a, dir=dir, **k)
        tempfile.mkstemp = mkstemp
    """
    proc = dedup_with(patch, "run", str(seeds), "-o", str(ro / "c.jsonl"), "-q")
    assert proc.returncode == 2, proc.stderr
    assert f"{ro / 'c.jsonl'}: cannot write the corpus: Read-only file system" in proc.stderr
    if os.geteuid() != 0:  # for real where permissions bind
        ro.chmod(0o555)
        proc = dedup("run", str(seeds), "-o", str(ro / "c.jsonl"), "-q")
        assert proc.returncode == 2 and "cannot write the corpus" in proc.stderr


def test_read_into_head_exits_quietly():
    proc = subprocess.run(f"{sys.executable} -m dedup read seeds | head -n 1 >/dev/null; "
                          "echo ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.stdout.strip() == "141"
    assert proc.stderr == ""


@pytest.mark.parametrize(("option", "value"), [("--threshold", "1.0"), ("--threshold", "0"),
                                                ("--threshold", "nan"), ("--ngram", "65"), ("--ngram", "0"),
                                                ("--num-perm", "800000"), ("--num-perm", "12"),
                                                ("--workers", "0")])
def test_out_of_range_options_are_usage_errors_before_any_work(tmp_path, option, value):
    proc = dedup("run", "seeds", "-o", str(tmp_path / "c.jsonl"), option, value)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"dedup: {option}: must be ")
    assert "hint:" in proc.stderr or option == "--workers"
    assert list(tmp_path.iterdir()) == []


def test_file_name_that_is_not_utf8(tmp_path, seeds):
    bad = os.fsencode(seeds) + b"/bad\xffname.txt"
    with open(bad, "wb") as fh:
        fh.write((seeds / CARDS).read_bytes())
    out = tmp_path / "c.jsonl"
    proc = dedup("run", str(seeds), "-o", str(out), "-q")
    assert proc.returncode == 2
    assert f"{seeds}/bad\\xffname.txt: file name is not valid UTF-8" in proc.stderr
    proc = dedup("run", str(seeds), "-o", str(out), "-q", "--skip-unreadable")
    assert proc.returncode == 0, proc.stderr
    rejects = json.loads(out.with_name("c.report.json").read_text())["rejects"]
    assert [r["file"] for r in rejects] == [f"{seeds}/bad\\xffname.txt"]


def test_folders_nested_very_deep(tmp_path):
    top = tmp_path / "deep"
    os.makedirs(top)
    depth = 2200  # deeper than PATH_MAX allows to name
    fds = [os.open(top, os.O_RDONLY)]
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        proc = dedup("run", str(top), "-o", str(tmp_path / "c.jsonl"), "-q")
    finally:  # pytest's own cleanup recurses and cannot remove it
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())
    assert proc.returncode == 2, proc.stderr
    assert "File name too long" in proc.stderr and "characters)" in proc.stderr
    assert len(proc.stderr) < 1000


def test_rejected_lone_surrogate_line_beside_a_good_one(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps({"title": "A Good Paper", "abstract": ABSTRACT}) + "\n"
                 + '{"title": "Bad \\udc80 title", "abstract": "x \\ud800 y"}\n')
    out = tmp_path / "c.jsonl"
    proc = dedup("run", str(p), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    assert f"{p}:2: lone surrogate in a string" in proc.stderr
    report = json.loads(out.with_name("c.report.json").read_text())
    assert [r["line"] for r in report["rejects"]] == [2]


def test_utf16_file_is_called_utf16_with_a_hint(tmp_path):
    p = tmp_path / "u.txt"
    p.write_bytes(cards("First Title", "Second Title").encode("utf-16"))
    proc = dedup("read", str(p))
    assert proc.returncode == 2
    assert f"{p}:1: UTF-16 text; dumps are UTF-8" in proc.stderr and "iconv -f UTF-16" in proc.stderr
    p.write_bytes(cards("First Title").encode("utf-16-le"))
    assert "UTF-16" in dedup("read", str(p)).stderr


# ------------------------------------------------------------------------------------------------ friction
def test_skip_unreadable_lists_bad_files_and_goes_on(tmp_path, seeds):
    (seeds / "README").write_text("Scraped on Monday. Do not edit.\n")
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "dump.txt.gz").write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03junk")
    out = tmp_path / "c.jsonl"
    proc = dedup("run", str(seeds), "-o", str(out), "-q")
    assert proc.returncode == 2 and not out.exists()
    proc = dedup("run", str(seeds), "-o", str(out), "-q", "--skip-unreadable")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.with_name("c.report.json").read_text())
    files = {r["file"]: r["reason"] for r in report["rejects"]}
    assert sorted(files) == sorted(str(seeds / n) for n in ("README", "empty.txt", "dump.txt.gz"))
    assert files[str(seeds / "empty.txt")] == "unreadable file: empty file"
    for name in files:
        assert name in proc.stderr
    assert "3 unreadable input(s) skipped" in proc.stderr
    assert report["totals"]["kept"] == 320
    from dedup.schema import check_accounting, validate_report

    validate_report(report)
    assert check_accounting(report) == []
    proc = dedup("check", str(seeds), "-q", "--format", "json")
    assert proc.returncode == 2
    proc = dedup("check", str(seeds), "-q", "--format", "json", "--skip-unreadable", "--fail-on", "error")
    assert proc.returncode == 1, proc.stderr
    found = {f["file"]: f["message"] for f in json.loads(proc.stdout)["findings"] if f["level"] == "error"}
    assert found == files


def test_a_run_that_rejects_most_records_says_so_loudly(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"title": "Kept", "abstract": ABSTRACT}) + "\n"
                 + "".join(json.dumps({"abstract": f"No title {i}"}) + "\n" for i in range(5)))
    proc = dedup("run", str(p), "-o", str(tmp_path / "c.jsonl"), "-q")
    assert proc.returncode == 0
    assert "WARNING: 5 of 6 input records (83%) were REJECTED" in proc.stderr


def run_in_pty(*args: str) -> str:
    """stderr of the CLI when it is a terminal."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 0-column terminal draws no bar
    proc = subprocess.Popen([sys.executable, "-m", "dedup", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_check_shows_progress_on_a_terminal_and_honours_quiet():
    assert "read+sign" in run_in_pty("check", "seeds", "--format", "json")
    assert "read+sign" not in run_in_pty("check", "seeds", "--format", "json", "-q")


def test_run_progress_counts_bytes_and_records_and_names_every_stage(tmp_path):
    out = run_in_pty("run", "seeds", "-o", str(tmp_path / "c.jsonl"))
    assert "read+sign" in out and "records]" in out and "B/s" in out  # bytes of input, records so far
    for stage in ("cluster (368 records)", "merge+write", "report ("):
        assert stage in out, stage
    assert "read+sign" not in run_in_pty("run", "seeds", "-o", str(tmp_path / "d.jsonl"), "-q")


def test_no_progress_junk_when_stderr_is_not_a_terminal(tmp_path):
    proc = dedup("run", "seeds", "-o", str(tmp_path / "c.jsonl"))
    assert proc.returncode == 0
    assert "\r" not in proc.stderr and "read+sign" not in proc.stderr
    assert "368 records -> 320 papers" in proc.stderr


def test_report_option_with_html_extension(tmp_path):
    out = tmp_path / "c.jsonl"
    proc = dedup("run", "seeds", "-o", str(out), "--report", str(tmp_path / "r.html"), "-q")
    assert proc.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "r.html", "r.json", "r.timings.json"]


def test_help_texts_have_no_rst_markup():
    for cmd in ("run", "check", "read", "canonicalize", "explain"):
        out = dedup(cmd, "--help").stdout
        assert "``" not in out and ":func:" not in out, cmd


def test_line_separators_never_split_a_corpus_title(tmp_path):
    """U+2028, U+2029 and a lone CR inside a title line are not line breaks of the title."""
    abstract = ABSTRACT
    p = tmp_path / "cards.txt"
    p.write_text(f"First Paper\u2028About Graphs And Things\n\n{abstract}\n\n"
                 f"Second Paper About\u2029Spectral Things\rHere\n\n{abstract.replace('a', 'e')}\n", encoding="utf-8")
    j = tmp_path / "t.jsonl"
    j.write_text(json.dumps({"title": "Line\u2028Separated\u2029Title\rWith Breaks", "abstract": abstract}) + "\n")
    out = tmp_path / "c.jsonl"
    proc = dedup("run", str(p), str(j), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    titles = [json.loads(x)["title"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert titles and all("\n" not in t and "\r" not in t and "\u2028" not in t and "\u2029" not in t for t in titles)
    assert "Line Separated Title With Breaks" in titles
