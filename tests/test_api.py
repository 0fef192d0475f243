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
