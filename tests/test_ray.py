"""``--engine ray`` writes the same bytes as ``--engine local``: on a one-node Ray the test starts (seeds,
20,000 generated records) and once on a two-node local cluster (two ``ray start`` with their own temp
folders, so a worker on the second node sees none of the first node's files).

Ray is in the ``test`` extra, so CI runs these; without Ray installed they skip (``DEDUP_REQUIRE_RAY=1``,
set by ``.ci/run``, makes that a failure instead). Each Ray node is a ``ray start --block`` child of the
test with its temp dir under a fresh ``/tmp/dedup-ray-*``; teardown stops it by its own process id, kills
by pid whatever of its process tree outlives that, and removes the temp dirs, also when a test failed
(never ``ray stop``, which would stop every Ray of the machine).

They once failed in CI only: CI installs the minimal Ray (``pip install '.[test]'``), whose ``ray start``
refuses ``--ray-client-server-port`` (it needs ``ray[client]``), so the head never started and the test
waited on it; a developer venv with ``ray[default]`` passed. The port is now passed only when the client
is installed, and a node whose ``ray start`` exits fails the test at once with its log."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import generate
import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

if importlib.util.find_spec("ray") is None:
    if os.environ.get("DEDUP_REQUIRE_RAY"):
        raise RuntimeError("DEDUP_REQUIRE_RAY is set but Ray is not installed (pip install '.[test]')")
    pytest.skip("Ray is not installed (pip install 'dedup[ray]')", allow_module_level=True)

# `ray start` as this interpreter's module, so what it can import is what the checks here see
RAY_START = [sys.executable, "-m", "ray.scripts.scripts", "start"]
# A minimal Ray (`pip install ray`, what the `test` and `ray` extras install) refuses
# --ray-client-server-port ("Ray Client requires pip package `ray[client]`") and starts no client server;
# with the client installed a head starts one on port 10001 unless told another: a free port then, so two
# heads (here, or another Ray of the machine) do not clash.
RAY_CLIENT = importlib.util.find_spec("grpc") is not None
# Sized for a loaded 2-core machine: a node takes ~10 s idle, ~40 s at load 12.
START_TIMEOUT = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(address: str | None = None) -> dict[str, str]:
    # token auth off: the token file in ~/.ray is shared by every Ray of the machine user
    # worker niceness 0 (Ray's default is 15): on a loaded machine niced workers get ~3% of a core beside
    # any busy process, and a run crawls toward its timeout
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0",
           "PYTHONWARNINGS": "ignore", "RAY_worker_niceness": "0"}
    env.pop("RAY_ADDRESS", None)
    if address:
        env["RAY_ADDRESS"] = address
    return env


class _Node:
    """One ``ray start --block`` (its own temp dir and session): stopped by its pid and its process tree."""

    def __init__(self, root: Path, name: str, head_port: int, *, head: bool) -> None:
        self.name, self.temp_dir, self.log = name, root / name, root / f"{name}.log"
        self.temp_dir.mkdir()
        cmd = [*RAY_START, "--block", "--num-cpus", "1", "--temp-dir", str(self.temp_dir),
               "--disable-usage-stats", "--dashboard-agent-listen-port", str(_free_port()),
               "--runtime-env-agent-port", str(_free_port()), "--metrics-export-port", str(_free_port()),
               "--node-ip-address", "127.0.0.1"]
        if head:
            cmd += ["--head", "--port", str(head_port), "--include-dashboard", "false"]
            if RAY_CLIENT:
                cmd += ["--ray-client-server-port", str(_free_port())]
        else:
            cmd += ["--address", f"127.0.0.1:{head_port}"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=_env(), start_new_session=True)

    def started(self) -> bool:
        """`ray start` writes ``ray_current_cluster`` into the node's temp dir once the node is up."""
        return (self.temp_dir / "ray_current_cluster").exists()

    def tree(self) -> dict[int, str]:
        """The node's live processes, by pid, with their start times (so a reused pid is never killed)."""
        stats: dict[int, tuple[int, str]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                stats[int(entry)] = (int(fields[1]), fields[19])  # ppid, starttime
        found = {self.proc.pid: stats[self.proc.pid][1]} if self.proc.pid in stats else {}
        todo = [self.proc.pid]
        while todo:
            parent = todo.pop()
            for pid, (ppid, start) in stats.items():
                if ppid == parent and pid not in found:
                    found[pid] = start
                    todo.append(pid)
        return found

    def stop(self) -> None:
        """SIGTERM makes `ray start --block` stop what it started; whatever of its tree outlives that (or a
        `ray start` stuck for 60 s) is killed by pid."""
        tree = self.tree()
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(1)  # let the raylet's workers see their raylet gone
        for pid, start in tree.items():
            with contextlib.suppress(OSError, IndexError):
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19] == start:
                    os.kill(pid, signal.SIGKILL)


def _poll_nodes(address: str, nodes: int, seconds: float) -> tuple[int, str]:
    """Alive nodes of the cluster as its GCS sees them, waiting up to ``seconds`` for ``nodes`` (one
    driver, not one per poll: importing Ray takes seconds on a loaded machine)."""
    code = ("import sys, time, ray\n"
            "ray.init(log_to_driver=False)\n"
            "end = time.monotonic() + float(sys.argv[2])\n"
            "while True:\n"
            "    alive = sum(n['Alive'] for n in ray.nodes())\n"
            "    if alive >= int(sys.argv[1]) or time.monotonic() > end:\n"
            "        break\n"
            "    time.sleep(0.5)\n"
            "print(alive)\n")
    try:
        got = subprocess.run([sys.executable, "-c", code, str(nodes), str(seconds)], env=_env(address),
                             capture_output=True, text=True, timeout=seconds + 120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return 0, f"the driver counting the nodes did not finish in {seconds + 120:.0f} s"
    alive = int(got.stdout.split()[-1]) if got.returncode == 0 and got.stdout.split() else 0
    return alive, got.stderr[-2000:]


@contextlib.contextmanager
def ray_cluster(tmp: Path, nodes: int) -> Iterator[str]:
    """A local Ray cluster of ``nodes`` nodes (1 CPU each); yields its address; stops its processes and
    removes its temp dirs (after copying their logs into ``tmp``), also when starting it failed."""
    # A short root (not pytest's tmp): Ray's Unix sockets live under it, and a socket path has 107 bytes
    root = Path(tempfile.mkdtemp(prefix="dedup-ray-", dir="/tmp" if os.path.isdir("/tmp") else None))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    started: list[_Node] = []

    def fail(why: str) -> NoReturn:
        logs = "\n".join(f"--- {n.name} (`ray start`, exit code {n.proc.poll()}):\n"
                         + n.log.read_text(errors="replace")[-3000:] for n in started)
        pytest.fail(f"the local Ray cluster ({nodes} nodes) {why}; Ray's logs are in {tmp}\n{logs}")

    try:
        deadline = time.monotonic() + START_TIMEOUT
        for i in range(nodes):
            node = _Node(root, "head" if i == 0 else f"node{i}", port, head=i == 0)
            started.append(node)
            while not node.started():  # nodes one by one: a node joins a head that is up
                if node.proc.poll() is not None:
                    fail(f"did not start: `ray start` of {node.name} exited")
                if time.monotonic() > deadline:
                    fail(f"did not start within {START_TIMEOUT} s: {node.name} is not up")
                time.sleep(0.5)
        alive, err = _poll_nodes(address, nodes, max(30.0, deadline - time.monotonic()))
        if alive < nodes:
            fail(f"has {alive} of {nodes} nodes alive after {START_TIMEOUT} s:\n{err}")
        yield address
    finally:
        for node in reversed(started):
            node.stop()
        for node in started:
            with contextlib.suppress(OSError):
                shutil.copy(node.log, tmp / node.log.name)
                shutil.copytree(node.temp_dir / "session_latest" / "logs", tmp / f"{node.name}-logs",
                                dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def _run(inputs: Path, out: Path, engine: str, address: str | None = None) -> tuple[str, dict[str, object]]:
    out.parent.mkdir(parents=True, exist_ok=True)
    got = subprocess.run([sys.executable, "-m", "dedup", "run", str(inputs), "-o", str(out), "--quiet",
                          "--engine", engine, "--workers", "2"], env=_env(address), capture_output=True, text=True,
                         timeout=900, cwd=out.parent)
    assert got.returncode == 0, got.stderr[-3000:]
    report = json.loads(out.with_suffix(".report.json").read_text(encoding="utf-8"))
    assert report["config"]["engine"] == engine
    report["config"]["engine"] = "*"  # the one thing that differs: which engine the report says ran
    return hashlib.sha256(out.read_bytes()).hexdigest(), report


def _same_bytes(local: tuple[str, dict[str, object]], inputs: Path, tmp: Path, address: str) -> None:
    ray = _run(inputs, tmp / "ray" / "corpus.jsonl", "ray", address)
    assert ray[0] == local[0]
    assert ray[1] == local[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen20k")
    generate.generate(out, records=20_000, seed=7)
    return out / "dumps"


@pytest.fixture(scope="module")
def local_seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    return _run(SEEDS, tmp_path_factory.mktemp("local-seeds") / "corpus.jsonl", "local")


@pytest.fixture(scope="module")
def local_20k(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    return _run(generated, tmp_path_factory.mktemp("local-20k") / "corpus.jsonl", "local")


@pytest.fixture(scope="class")
def one_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ray_cluster(tmp_path_factory.mktemp("ray1"), nodes=1) as address:
        yield address


class TestOneNode:
    """On a one-node cluster, stopped (class scope) before the two-node one starts."""

    def test_ray_writes_local_bytes_on_seeds(self, one_node: str, local_seeds: tuple[str, dict[str, object]],
                                             tmp_path: Path) -> None:
        _same_bytes(local_seeds, SEEDS, tmp_path, one_node)

    def test_ray_writes_local_bytes_on_20k_generated(self, one_node: str, generated: Path,
                                                     local_20k: tuple[str, dict[str, object]],
                                                     tmp_path: Path) -> None:
        _same_bytes(local_20k, generated, tmp_path, one_node)


def test_ray_two_node_cluster_writes_local_bytes(generated: Path, local_20k: tuple[str, dict[str, object]],
                                                  tmp_path_factory: pytest.TempPathFactory,
                                                  tmp_path: Path) -> None:
    with ray_cluster(tmp_path_factory.mktemp("ray2"), nodes=2) as address:
        _same_bytes(local_20k, generated, tmp_path, address)
