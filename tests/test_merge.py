"""Which copy a paper keeps, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from cli_run import run_dedup

CLEAN = ("We study the spectral gap of random regular graphs and show that the second eigenvalue of the adjacency "
         "matrix is at most two times the square root of the degree minus one plus a small error. The proof "
         "combines the trace method with a counting argument for tangle-free walks and gives explicit constants.")
TYPOS = CLEAN.replace("spectral", "spectrall").replace("adjacency", "adjacencyy").replace("proof", "prooof")


def run(tmp_path: Path, rows: list[dict]) -> list[dict]:
    return run_dedup(tmp_path, rows)[0]


def test_a_lowercased_copy_with_typos_loses_to_a_clean_one_although_longer(tmp_path: Path) -> None:
    title = "Spectral Gaps of Random Regular Graphs"
    (paper,) = run(tmp_path, [{"title": title.lower(), "abstract": TYPOS}, {"title": title, "abstract": CLEAN}])
    assert len(TYPOS) > len(CLEAN)
    assert (paper["title"], paper["abstract"]) == (title, CLEAN)


def test_the_copy_the_others_confirm_wins(tmp_path: Path) -> None:
    title = "Spectral Gaps of Random Regular Graphs"
    rows = [{"title": title, "abstract": TYPOS}, {"title": title, "abstract": CLEAN},
            {"title": title, "abstract": CLEAN.replace("explicit", "explicit, sharp")}]
    (paper,) = run(tmp_path, rows)
    assert paper["abstract"] != TYPOS


def test_a_teaser_is_never_chosen_over_a_real_abstract(tmp_path: Path) -> None:
    title = "Spectral Gaps of Random Regular Graphs and Their Walks"
    rows = [{"title": title, "abstract": "TL;DR: random graphs have big spectral gaps, and we prove it with walks! "
             "Code and a long thread on how we got there: https://github.com/example/spectral-gaps " * 3},
            {"title": title, "abstract": CLEAN}]
    (paper,) = run(tmp_path, rows)
    assert paper["abstract"] == CLEAN and "not-abstract" not in paper["quality"]
