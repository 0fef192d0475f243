"""The library API: ``from dedup import canonicalize`` is the function, whatever was imported before."""

from __future__ import annotations

import subprocess
import sys


def test_public_names_are_the_functions_even_after_every_submodule_is_imported():
    code = ("import dedup.canonical, dedup.check, dedup.pipeline, dedup.read, dedup.config, dedup.errors\n"
            "import dedup\n"
            "from dedup import canonicalize, canonicalize_with_repairs, dedup_key, run, read_paths, Config\n"
            "assert callable(canonicalize) and canonicalize('m gg n') == 'm ≫ n'\n"
            "assert canonicalize_with_repairs('6.1times') == ('6.1×', ('latex.times',))\n"
            "assert dedup_key('A-B') == 'ab' and callable(run) and callable(read_paths)\n"
            "assert Config().threshold == 0.8\n"
            "assert sorted(dedup.__all__) == dedup.__all__\n"
            "assert all(callable(getattr(dedup, n)) for n in dedup.__all__ if n != '__version__')\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_library_run_with_workers_from_a_script_without_main_guard(tmp_path):
    """Worker processes must not need to re-import the caller's script (stdin here, no __main__ guard)."""
    out = tmp_path / "corpus.jsonl"
    script = ("from dedup import run, Config\n"
              f"r = run(['seeds'], {str(out)!r}, config=Config(workers=2), quiet=True)\n"
              "print(r.papers)\n")
    proc = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120,
                          cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "320"
