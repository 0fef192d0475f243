"""Memory of a process tree, as the benchmarks measure it (``/proc``; Linux)."""

from __future__ import annotations

import os


def tree_rss_kb(root: int) -> int:
    """RSS of a process and all its descendants, summed (shared pages count once per process: an upper bound)."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as fh:
                st = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        kids.setdefault(int(st["PPid"]), []).append(int(pid))
        rss[int(pid)] = int(st.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(kids.get(p, []))
    return total
