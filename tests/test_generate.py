"""Tests of benchmarks/generate.py: the synthetic re-scrape generator, its truth, and evaluate()."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import generate as gen
import pytest

RECORDS = 2000

DATE_RE = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}"
ONELINE_RE = re.compile(rf"^(-|\d+) .+ \d+ authors · {DATE_RE}, \d{{4}}$")
META_DATE_RE = re.compile(rf"^{DATE_RE}(, \d{{4}})?( \d+)?$")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, gen.GenerateStats]:
    out = tmp_path_factory.mktemp("gen")
    return out, gen.generate(out, RECORDS, seed=7, write_papers=True)


def _lines(path: Path) -> list[str]:
    """Lines of a dump as a reader sees them: BOM dropped, CRLF or LF, no other line breaks."""
    text = path.read_bytes().decode("utf-8-sig")
    return text.replace("\r\n", "\n").split("\n")


def _truth(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


def _papers(out: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (out / "papers.jsonl").read_text(encoding="utf-8").splitlines()]
    return {p["paper"]: p for p in rows}


_UNSLOPPY = {bytes([b]).decode("cp1252", "dedup-generate-sloppy"): b for b in range(256)}


def _undo(text: str, variants: list[str]) -> str:
    """Undo the cosmetic variants of a title (mojibake, entities, case) for comparison."""
    if "mojibake" in variants:
        # (characters no cp1252 byte decodes to come from a later whitespace variant, in the abstract)
        text = bytes(_UNSLOPPY.get(c, 63) for c in text).decode("utf-8", "replace")
    if "html_entities" in variants:
        text = html.unescape(text)
    return text.casefold() if "title_case" in variants else text


def _long_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{gen.MONTHS[m - 1]} {d}, {y}"


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    w = re.findall(r"\w+", text.lower())
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def _jaccard(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


# ---------------------------------------------------------------------------------------------- generate


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    def snapshot(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    gen.generate(tmp_path / "a", 400, seed=3)
    gen.generate(tmp_path / "b", 400, seed=3)
    gen.generate(tmp_path / "c", 400, seed=4)
    a, b, c = (snapshot(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a)


def test_counts(run: tuple[Path, gen.GenerateStats]) -> None:
    out, stats = run
    truth = _truth(out)
    assert stats.records == RECORDS == len(truth) == sum(stats.layout_counts.values())
    assert sorted(stats.layout_counts) == sorted(gen.LAYOUTS)
    assert len({(t["file"], t["line"]) for t in truth}) == RECORDS
    assert stats.papers == len({t["paper"] for t in truth}) == len(_papers(out))
    per_file = Counter(t["file"] for t in truth)
    dumps = out / "dumps"
    assert sorted(p.name for p in dumps.iterdir()) == sorted(stats.files) == sorted(per_file)
    for name in stats.files:
        lines = _lines(dumps / name)
        if name.endswith("_oneline.txt") or name.endswith(".jsonl"):
            n = sum(1 for line in lines if line)
        elif name.endswith("_pairs.txt"):
            n = (sum(1 for line in lines if line) - 2) // 2
        else:
            body = [line for line in lines[lines.index("byAK and the research community") + 3:] if line]
            n = (len(body) - 3 * body.count("·")) // 2
        assert n == per_file[name], name
    # copies: mean ~2, some papers 5+, copies of one paper in different files
    copies = Counter(t["paper"] for t in truth)
    assert 1.6 < RECORDS / len(copies) < 2.4
    assert max(copies.values()) >= 5
    by_paper: dict[str, list[str]] = {}
    for t in truth:
        by_paper.setdefault(t["paper"], []).append(t["file"])
    assert all(len(set(f)) == len(f) for f in by_paper.values())


def test_truth_points_at_titles(run: tuple[Path, gen.GenerateStats]) -> None:
    out, _ = run
    papers = _papers(out)
    cache: dict[str, list[str]] = {}
    for t in _truth(out):
        lines = cache.setdefault(t["file"], _lines(out / "dumps" / t["file"]))
        p, v = papers[t["paper"]], t["variants"]
        line = lines[t["line"] - 1]
        title = p["title"].casefold() if "title_case" in v else p["title"]
        if t["file"].endswith(".jsonl"):
            rec = json.loads(line)
            assert _undo(rec["title"], v) == title
            if not v:
                assert rec["abstract"] == p["abstract"]
        elif t["file"].endswith("_oneline.txt"):
            assert "title_case" not in v
            up = p["upvotes"] or "-"
            assert line.endswith(f" {p['authors']} authors · {_long_date(p['date'])}")
            text = line[:line.rindex(" authors · ")].rsplit(" ", 1)[0]  # the furniture is never mangled
            assert _undo(text, v).startswith(f"{up} {title} "), (t, line[:120])
        else:
            if t["file"].endswith("_pairs.txt") and t["line"] == 3:
                assert line.startswith("Subscribe")
                line = line[len("Subscribe"):]
            assert _undo(line, v) == title, t
            abstract = lines[t["line"]] if t["file"].endswith("_pairs.txt") else lines[t["line"] + 1]
            if not v:
                assert abstract == p["abstract"]
            if v == ["truncate"]:
                assert abstract.endswith(("…", "...")) and len(abstract) < len(p["abstract"])
                assert p["abstract"].startswith(abstract.rstrip(".…"))


def test_layouts_look_like_the_seeds(run: tuple[Path, gen.GenerateStats]) -> None:
    out, stats = run
    dumps = out / "dumps"
    assert stats.files[:5] == ["gen_000_cards.txt", "gen_001_pairs.txt", "gen_002_oneline.txt",
                               "gen_003_meta.txt", "gen_004.jsonl"]
    for name in stats.files:
        raw = (dumps / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (name in stats.bom_files)
        assert (b"\r\n" in raw) == (name in stats.crlf_files)
        if name in stats.crlf_files:
            assert raw.count(b"\n") == raw.count(b"\r\n")
        lines = _lines(dumps / name)
        if name.endswith("_cards.txt") or name.endswith("_meta.txt"):
            assert lines[:6] == ["new", "", "Get trending papers in your email inbox!", "", "Subscribe", ""]
            k = 8 if lines[6] == "Daily Papers" else 6
            assert lines[k:k + 2] == ["byAK and the research community", ""]
            assert re.fullmatch(DATE_RE, lines[k + 2]) and lines[k + 3] == ""
        if name.endswith("_meta.txt"):
            dots = [i for i, line in enumerate(lines) if line == "·"]
            assert dots
            for i in dots:
                who = lines[i - 1]
                assert re.fullmatch(r"  • \d+ authors", who) or re.fullmatch(r"(\w+)(-\w+)? \1", who), who
                assert META_DATE_RE.match(lines[i + 1]), lines[i + 1]
            assert any(re.fullmatch(DATE_RE + r"( \d+)?", lines[i + 1]) for i in dots)  # no year
        if name.endswith("_pairs.txt"):
            assert lines[:2] == ["Get trending papers in your email inbox once a day!",
                                 "Get trending papers in your email inbox!"]
            assert lines[2].startswith("Subscribe") and len(lines[2]) > len("Subscribe")
            assert "" not in lines[:-1]
        if name.endswith("_oneline.txt"):
            assert all(ONELINE_RE.match(line) for line in lines if line)
        if name.endswith(".jsonl"):
            for line in filter(None, lines):
                rec = json.loads(line)
                assert {"title", "abstract"} <= rec.keys() <= {"title", "abstract", "authors", "date",
                                                               "upvotes", "organization"}
                assert re.fullmatch(r"(\d{4}-)?\d\d-\d\d", rec.get("date", "2020-01-01"))
        # no record text contains a line break of any kind a reader might split on
        assert len(raw.decode("utf-8-sig").splitlines()) == len(lines) - (lines[-1] == "")
    assert stats.crlf_files and stats.bom_files


def test_variant_mix(run: tuple[Path, gen.GenerateStats]) -> None:
    out, stats = run
    assert set(stats.variant_counts) == set(gen.VARIANT_KINDS)
    truth = _truth(out)
    content = {"drop_sentence", "truncate", "typos"}
    cosmetic = {"mojibake", "html_entities", "whitespace", "title_case"}
    for t in truth:
        assert len(content & set(t["variants"])) <= 1
        assert len(cosmetic & set(t["variants"])) <= 2
    clean = sum(1 for t in truth if not t["variants"])
    assert 0.15 * RECORDS < clean < 0.5 * RECORDS


def test_texts_and_hard_negatives(run: tuple[Path, gen.GenerateStats]) -> None:
    out, stats = run
    papers = _papers(out)
    plist = list(papers.values())
    assert 800 < sum(len(p["abstract"]) for p in plist) / len(plist) < 1300
    assert sum(any(ord(c) > 127 for c in p["abstract"]) for p in plist) > 0.5 * len(plist)
    # unrelated papers share words but (almost) no 5-grams
    assert max(_jaccard(plist[i]["abstract"], plist[i + 2]["abstract"]) for i in range(200)) < 0.05
    siblings = [p for p in plist if p["sibling_of"]]
    assert len(siblings) == stats.sibling_pairs > 0
    same_title = 0
    for s in siblings:
        base = papers[s["sibling_of"]]
        same_title += s["title"] == base["title"]
        assert s["abstract"].split(". ")[0] == base["abstract"].split(". ")[0]
        assert _jaccard(s["abstract"], base["abstract"]) < 0.3
    assert 0 < same_title < len(siblings)  # some siblings share the very title, most differ in a word or two


def test_stale_files_removed_and_layout_subset(tmp_path: Path) -> None:
    gen.generate(tmp_path, 300, files=15)
    stats = gen.generate(tmp_path, 40, layouts=["oneline", "jsonl"], files=4)
    assert sorted(p.name for p in (tmp_path / "dumps").iterdir()) == sorted(stats.files)
    assert stats.files == ["gen_000_oneline.txt", "gen_001.jsonl", "gen_002_oneline.txt", "gen_003.jsonl"]
    assert len(_truth(tmp_path)) == 40
    with pytest.raises(ValueError, match="unknown layouts"):
        gen.generate(tmp_path, 10, layouts=["html"])


# ---------------------------------------------------------------------------------------------- evaluate


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def tiny_truth(tmp_path: Path) -> Path:
    recs = [("gen_000_cards.txt", 13, "A"), ("gen_001_pairs.txt", 3, "A"), ("gen_000_cards.txt", 17, "B"),
            ("gen_004.jsonl", 1, "B"), ("gen_004.jsonl", 2, "C")]
    return _write(tmp_path / "truth.jsonl",
                  [{"file": f, "line": n, "paper": p, "variants": []} for f, n, p in recs])


def _corpus(tmp_path: Path, clusters: list[list[tuple[str, int]]]) -> Path:
    rows = [{"id": str(i), "sources": [{"file": f, "line": n, "layout": "x"} for f, n in c]}
            for i, c in enumerate(clusters)]
    return _write(tmp_path / "corpus.jsonl", rows)


A1, A2 = ("/abs/run/dumps/gen_000_cards.txt", 13), ("dumps/gen_001_pairs.txt", 3)
B1, B2 = ("dumps\\gen_000_cards.txt", 17), ("./gen_004.jsonl", 1)
C1 = ("x/dumps/gen_004.jsonl", 2)


def test_evaluate_perfect(tmp_path: Path, tiny_truth: Path) -> None:
    m = gen.evaluate(_corpus(tmp_path, [[A1, A2], [B2, B1], [C1]]), tiny_truth)
    assert (m.precision, m.recall, m.predicted_pairs, m.true_pairs) == (1.0, 1.0, 2, 2)
    assert (m.missing, m.duplicated, m.unknown, m.clusters, m.papers) == (0, 0, 0, 3, 3)
    assert m.complete and not m.false_merges and not m.missed_pairs


def test_evaluate_false_merge(tmp_path: Path, tiny_truth: Path) -> None:
    m = gen.evaluate(_corpus(tmp_path, [[A1, A2, C1], [B1, B2]]), tiny_truth)
    assert (m.predicted_pairs, m.true_positive_pairs, m.precision, m.recall) == (4, 2, 0.5, 1.0)
    assert m.complete
    [e] = m.false_merges
    assert e.pairs == 2 and "gen_000_cards.txt:13 A" in e.a and "gen_004.jsonl:2 C" in e.b
    assert "worst false merges" in m.format()


def test_evaluate_missed_pair(tmp_path: Path, tiny_truth: Path) -> None:
    m = gen.evaluate(_corpus(tmp_path, [[A1], [A2], [B1, B2], [C1]]), tiny_truth)
    assert (m.predicted_pairs, m.true_positive_pairs, m.precision, m.recall) == (1, 1, 1.0, 0.5)
    [e] = m.missed_pairs
    assert e.pairs == 1 and {e.a.split()[0], e.b.split()[0]} == {"gen_000_cards.txt:13", "gen_001_pairs.txt:3"}


def test_evaluate_missing_duplicated_unknown(tmp_path: Path, tiny_truth: Path) -> None:
    m = gen.evaluate(_corpus(tmp_path, [[A1, A2], [B1, B2, B1], [A2, ("gen_009.jsonl", 1)]]), tiny_truth)
    assert (m.missing, m.duplicated, m.unknown) == (1, 2, 1)
    assert m.missing_examples == ["gen_004.jsonl:2 C [clean]"]
    assert (m.precision, m.recall) == (1.0, 1.0) and not m.complete
    empty = gen.evaluate(_write(tmp_path / "empty.jsonl", []), tiny_truth)
    assert (empty.precision, empty.recall, empty.missing) == (1.0, 0.0, 5)


def test_evaluate_generated(run: tuple[Path, gen.GenerateStats], tmp_path: Path) -> None:
    out, _ = run
    truth = _truth(out)
    papers = _papers(out)
    groups: dict[str, list[tuple[str, int]]] = {}
    for t in truth:
        groups.setdefault(t["paper"], []).append((str(out / "dumps" / t["file"]), t["line"]))
    m = gen.evaluate(_corpus(tmp_path, list(groups.values())), out / "truth.jsonl")
    assert (m.precision, m.recall, m.records) == (1.0, 1.0, RECORDS) and m.complete
    # merging every sibling with its base paper is caught as false merges
    merged: dict[str, list[tuple[str, int]]] = {}
    for pid, srcs in groups.items():
        merged.setdefault(papers[pid]["sibling_of"] or pid, []).extend(srcs)
    m = gen.evaluate(_corpus(tmp_path, list(merged.values())), out / "truth.jsonl")
    assert m.precision < 1.0 and m.recall == 1.0 and m.false_merges


def test_cli(tmp_path: Path, tiny_truth: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main([str(tmp_path / "g"), "--records", "30", "--seed", "2"]) == 0
    assert "wrote 30 records" in capsys.readouterr().err
    assert len(_truth(tmp_path / "g")) == 30
    corpus = _corpus(tmp_path, [[A1], [A2], [B1, B2], [C1]])
    assert gen.main(["evaluate", str(corpus), str(tiny_truth)]) == 0
    assert "recall 0.5000" in capsys.readouterr().out
    assert gen.main(["evaluate", str(corpus), str(tiny_truth), "--min-recall", "0.995"]) == 1
    capsys.readouterr()
    assert gen.main(["evaluate", str(corpus), str(tiny_truth), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["true_pairs"] == 2
