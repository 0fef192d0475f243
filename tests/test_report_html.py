"""The report's contract (schema + accounting), its HTML page (self-contained, escaped, deterministic, and
working in a real headless Chromium) and ``dedup explain``."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixture import CARDS, ONELINE, PAIRS, SINGLES, paper_id, sample_report

from dedup.explain import UnknownPaperError, explain
from dedup.report_html import CSS, JS, render_html
from dedup.schema import ReportSchemaError, check_accounting, load_schema, validate_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'


@pytest.fixture
def report() -> dict[str, Any]:
    return sample_report()


def cluster_by_title(report: dict[str, Any], start: str) -> dict[str, Any]:
    return next(c for c in report["clusters"] if c["title"].startswith(start))


def hostile_report() -> dict[str, Any]:
    """The sample with scraped-looking attacks in every kind of text field (still consistent)."""
    r = sample_report()
    c = cluster_by_title(r, "Scaling Laws")
    c["title"] = f"Scaling Laws {HOSTILE}"
    c["members"][1]["title"] = f"Scaling {HOSTILE_ATTR} Laws"
    c["members"][1]["abstract"] += f" {HOSTILE} </details></div><!-- "
    c["chosen"]["reason"] = f"longest {HOSTILE}"
    r["rejects"][0]["excerpt"] = f"{HOSTILE} {HOSTILE_ATTR}"
    r["repairs"]["latex.times"]["examples"][0]["before"] = f"6.1times {HOSTILE}"
    r["config"]["note"] = HOSTILE
    return r


# ---------------------------------------------------------------------------------------------- schema


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_sample_report_is_valid_and_balanced(report: dict[str, Any]) -> None:
    validate_report(report)
    assert check_accounting(report) == []
    # what the pipeline writes is JSON: no NaN, and a round trip changes nothing
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def _del(path: tuple[Any, ...]) -> Any:
    def breaker(r: dict[str, Any]) -> None:
        target = r
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return breaker


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def breaker(r: dict[str, Any]) -> None:
        target = r
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return breaker


BROKEN = {
    "missing top-level key": (_del(("totals",)), "report: 'totals' is a required property"),
    "missing member key": (_del(("clusters", 0, "members", 0, "truncated")), "report.clusters[0].members[0]"),
    "bad signal": (_set(("clusters", 0, "edges", 0, "signal"), "fuzzy match!"),
                   "report.clusters[0].edges[0].signal"),
    "bad near-miss signal": (_set(("near_misses", 0, "signal"), "min hash"), "report.near_misses[0].signal"),
    "edge without its rule": (_del(("clusters", 0, "edges", 0, "rule")), "report.clusters[0].edges[0]"),
    "evidence as text": (_set(("uncertain", 0, "evidence", "opening"), "high"), "report.uncertain[0].evidence"),
    "short sha256": (_set(("corpus", "sha256"), "abc123"), "report.corpus.sha256"),
    "upper-case sha256": (_set(("corpus", "sha256"), "A" * 64), "report.corpus.sha256"),
    "location without line": (_set(("clusters", 0, "edges", 0, "a"), CARDS), "report.clusters[0].edges[0].a"),
    "location line 0": (_set(("near_misses", 0, "b"), f"{PAIRS}:0"), "report.near_misses[0].b"),
    "score above 1": (_set(("clusters", 0, "edges", 0, "score"), 1.5), "report.clusters[0].edges[0].score"),
    "negative count": (_set(("totals", "rejected"), -1), "report.totals.rejected"),
    "count as string": (_set(("files", 0, "read"), "6"), "report.files[0].read"),
    "wrong schema version": (_set(("schema",), "dedup-report/2"), "report.schema"),
    "unknown top-level key": (_set(("timings",), {"read": 1.0}), "report: Additional properties"),
    "cluster of one": (_set(("clusters", 0, "size"), 1), "report.clusters[0].size"),
    "four repair examples": (lambda r: r["repairs"]["latex.times"]["examples"].extend(
        r["repairs"]["latex.times"]["examples"]), "report.repairs.latex.times.examples"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_schema_rejects_broken_reports(report: dict[str, Any], name: str) -> None:
    breaker, where = BROKEN[name]
    breaker(report)
    with pytest.raises(ReportSchemaError) as info:
        validate_report(report)
    assert where in str(info.value)
    assert info.value.problems and all(p.startswith("report") for p in info.value.problems)


def test_schema_allows_new_config_keys_and_null_bands(report: dict[str, Any]) -> None:
    report["config"]["workers"] = None
    report["config"]["bands"] = None
    report["config"]["future_knob"] = {"any": "thing"}
    validate_report(report)


def test_schema_error_message_is_readable_and_capped(report: dict[str, Any]) -> None:
    for e in report["near_misses"]:
        e["signal"] = "fuzzy match!"
    for c in report["clusters"]:
        for e in c["edges"]:
            e["signal"] = "fuzzy match!"
    for f in report["files"]:
        f["read"] = -1
    with pytest.raises(ReportSchemaError) as info:
        validate_report(report)
    message = str(info.value)
    assert message.startswith("report does not match the dedup-report/1 schema (")
    assert "'fuzzy match!' does not match" in message
    assert "… and " in message and len(message.splitlines()) == 12


def test_runtime_needs_no_jsonschema() -> None:
    """jsonschema is a test dependency: rendering and accounting work without it."""
    code = ("import sys; sys.modules['jsonschema'] = None\n"
            f"sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
            "from report_fixture import sample_report\n"
            "from dedup.report_html import render_html; from dedup.schema import check_accounting\n"
            "from dedup.explain import explain\n"
            "r = sample_report(); assert check_accounting(r) == []; assert render_html(r)\n"
            "from dedup.schema import validate_report\n"
            "try:\n    validate_report(r)\nexcept ImportError as e:\n    print('ImportError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ImportError: validate_report needs the 'jsonschema' package" in out.stdout


# ---------------------------------------------------------------------------------------------- accounting


def test_accounting_catches_a_broken_file_sum(report: dict[str, Any]) -> None:
    report["files"][0]["kept"] += 1
    problems = check_accounting(report)
    assert f"files[{CARDS}]: read 6 != kept 6 + merged_away 1 + rejected 0 (= 7)" in problems
    assert "totals.kept is 11 but the files add up to 12" in problems


def test_accounting_catches_totals_that_are_not_the_sums(report: dict[str, Any]) -> None:
    report["totals"]["read"] += 1
    report["totals"]["clusters"] = 2
    problems = check_accounting(report)
    assert "totals.read is 18 but the files add up to 17" in problems
    assert "totals: read 18 != kept + merged_away + rejected (= 17)" in problems
    assert "totals.clusters is 2 but 3 clusters are listed" in problems


def test_accounting_catches_cluster_size_and_membership(report: dict[str, Any]) -> None:
    c = cluster_by_title(report, "Scaling Laws")
    c["size"] = 4
    c["edges"] = c["edges"][:1]  # the truncated copy is no longer joined to the others
    problems = check_accounting(report)
    assert f"clusters[{c['id']}]: size is 4 but it has 3 members" in problems
    assert f"clusters[{c['id']}]: its edges do not connect all its members" in problems
    c["chosen"]["line"] = 999
    assert f"clusters[{c['id']}]: the chosen copy {CARDS}:999 is not a member" in check_accounting(report)


def test_accounting_catches_a_bad_overlap(report: dict[str, Any]) -> None:
    pairs = report["overlap"]["pairs"]
    at = {(i, j): k for k, (i, j, _) in enumerate(pairs)}
    pairs[at[(0, 1)]][2] += 1
    pairs[at[(2, 2)]][2] = 9
    problems = check_accounting(report)
    assert f"overlap {ONELINE}: 9 papers but 4 corpus papers have a source in that file" in problems
    assert f"overlap {CARDS} / {PAIRS}: 3 shared but 2 clusters have members in both" in problems
    pairs.append(pairs[0])
    assert any(p.startswith("overlap.pairs: not sorted, a pair listed twice") for p in check_accounting(report))


def test_accounting_catches_rejects_and_order(report: dict[str, Any]) -> None:
    report["rejects"].pop()
    report["near_misses"].reverse()
    problems = check_accounting(report)
    assert "rejects lists 1 records but totals.rejected is 2" in problems
    assert "near_misses: not sorted by score, highest first" in problems


# ---------------------------------------------------------------------------------------------- HTML


def test_html_is_self_contained(report: dict[str, Any]) -> None:
    page = render_html(report)
    lowered = page.lower()
    assert "<script src" not in lowered and "<link" not in lowered and "@import" not in lowered
    assert "url(" not in lowered and "<iframe" not in lowered and "<img" not in lowered
    assert lowered.count("<script") == 1  # the page's own, inline
    # every href is an in-page anchor; nothing has a src
    assert re.findall(r"\bsrc\s*=", page) == []
    assert {h[0] for h in re.findall(r'\bhref="([^"]*)"', page)} == {"#"}
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    # the Content-Security-Policy allows exactly the page's own style and script
    for text in (CSS, JS):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"&#x27;sha256-{digest}&#x27;" in page
    assert "default-src &#x27;none&#x27;" in page


def test_html_shows_what_a_person_needs(report: dict[str, Any]) -> None:
    page = render_html(report)
    assert report["corpus"]["sha256"] in page
    assert "Accounting checks pass" in page
    for c in report["clusters"]:
        assert f'id="{c["id"]}"' in page
    assert page.count('<details class="cluster"') == 3
    assert 'id="overlap-heatmap"' in page and page.count('<g class="cell">') == 9
    assert 'id="score-histogram"' in page and "threshold 0.8" in page
    assert page.count('class="bar merged"') == 3 and page.count('class="bar not-merged"') == 4
    # the word diff against the chosen copy, and the chosen copy itself
    assert "<del>study </del><ins>investigate </ins>" in page
    assert "longest complete abstract; fewest repairs" in page
    assert "identical to chosen" in page
    for rule in report["repairs"]:
        assert f"<code>{rule}</code>" in page
    assert "<del>6.1times </del>" in page and "<ins>6.1× </ins>" in page
    assert "title with no abstract" in page and "uncertain-split" in page
    assert "0.810" in page  # a near miss
    assert 'id="uncertain"' in page and "title, abstracts diverge" in page and "opening 0.19" in page


def test_html_flags_broken_accounting(report: dict[str, Any]) -> None:
    report["files"][1]["kept"] -= 1
    page = render_html(report)
    assert "Accounting checks: " in page and "do not trust it" in page
    assert f"files[{PAIRS}]: read 6 != kept 3" in page


def test_html_escapes_hostile_text() -> None:
    page = render_html(hostile_report())
    assert HOSTILE not in page and "<img" not in page and "onerror=alert(2)>" not in page
    assert page.lower().count("<script") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "</details></div><!--" not in page


def test_html_is_deterministic(report: dict[str, Any]) -> None:
    first = render_html(report)
    assert render_html(copy.deepcopy(report)) == first
    assert render_html(json.loads(json.dumps(report))) == first
    assert render_html(report).encode("utf-8") == first.encode("utf-8")


def test_html_caps_clusters_and_says_so(report: dict[str, Any]) -> None:
    page = render_html(report, max_diff_clusters=1, max_cluster_rows=2)
    assert page.count('<div class="copies">') == 1
    assert page.count('<details class="cluster"') == 2
    assert "Copies and diffs are rendered for the first 1 clusters" in page
    assert "Showing the first 2 of 3 clusters" in page
    assert "dedup explain CORPUS" in page


def big_report(n_clusters: int) -> dict[str, Any]:
    """The sample's clusters repeated ``n_clusters`` times under new ids (accounting not rebalanced)."""
    r = sample_report()
    base = r["clusters"]
    clusters = []
    for i in range(n_clusters):
        c = copy.deepcopy(base[i % len(base)])
        c["id"] = f"p{i:015x}"
        c["edges"][0]["score"] = round(0.5 + (i % 500) / 1000, 3)
        clusters.append(c)
    r["clusters"] = clusters
    r["near_misses"] = [{"a": f"{CARDS}:{i + 1}", "b": f"{PAIRS}:{i + 1}", "signal": "abstract_jaccard",
                         "rule": "no-evidence", "score": round(0.79 - i / 10**6, 6)} for i in range(20_000)]
    return r


def test_html_stays_fast_and_bounded_on_a_large_report() -> None:
    r = big_report(30_000)
    start = time.perf_counter()
    page = render_html(r)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, f"render took {elapsed:.1f}s"
    assert page.count('<div class="copies">') == 500
    assert page.count('<details class="cluster"') == 5000
    assert "Showing the first 5,000 of 30,000 clusters" in page
    assert "Showing the first 1,000 of 20,000 near misses" in page
    assert len(page) < 30_000_000


# ---------------------------------------------------------------------------------------------- explain


def test_explain_a_cluster(report: dict[str, Any]) -> None:
    c = cluster_by_title(report, "Scaling Laws")
    text = explain(report, c["id"])
    assert text.startswith(f"{c['id']}  Scaling Laws for Fine-Grained Mixture of Experts\n")
    assert "3 copies merged into this paper:" in text
    assert f"  * {CARDS}:57 [cards]  Scaling Laws" in text
    assert "      chosen: longest complete abstract\n" in text
    assert f"    {ONELINE}:3 [oneline]  Scaling Laws" in text
    assert "      repairs: oneline.split\n      truncated\n" in text
    assert f"  {CARDS}:57  <->  {PAIRS}:7   abstract: abstract_jaccard 0.871 (cut-off threshold 0.8)" in text
    assert (f"  {CARDS}:57  <->  {ONELINE}:3   title+containment: containment 0.962 (cut-off containment 0.9)"
            in text)
    assert "Repairs: mojibake.utf8, oneline.split" in text
    assert "Quality flags: uncertain-split" in text
    exact = explain(report, paper_id("Rethinking Pretraining as a Bridge from ANNs to SNNs"))
    assert "abstract: abstract_jaccard 1.000" in exact


def test_explain_a_paper_with_one_source(report: dict[str, Any]) -> None:
    title = SINGLES[0][0]
    record: dict[str, Any] = {
        "id": paper_id(title), "title": title, "abstract": "…", "text": "…", "authors": None, "date": None,
        "upvotes": None, "organization": None, "sources": [{"file": CARDS, "line": 150, "layout": "cards"}],
        "repairs": ["latex.times"], "quality": []}
    text = explain(report, record["id"], record)
    assert text == (f"{record['id']}  {title}\n"
                    f"1 source, no duplicates: {CARDS}:150 [cards]\n"
                    "Repairs: latex.times\n"
                    "Quality flags: none\n"
                    "Not merged, for a person to decide (uncertain):\n"
                    f"  {CARDS}:150  <->  {ONELINE}:12   title, abstracts diverge: exact_title 1.000\n"
                    "      evidence: exact_title 1, abstract_jaccard 0.04, opening 0.19\n"
                    "Checked and not merged (near misses):\n"
                    f"  {CARDS}:150  <->  {PAIRS}:60   no-evidence: abstract_jaccard 0.740 (cut-off threshold 0.8)\n")


def test_explain_unknown_id_raises_key_error(report: dict[str, Any]) -> None:
    with pytest.raises(KeyError) as info:
        explain(report, "p-nope")
    assert isinstance(info.value, UnknownPaperError)
    assert str(info.value).startswith("no paper 'p-nope' in this report: it is not one of its 3 clusters")
    prefix = report["clusters"][0]["id"][:5]
    with pytest.raises(KeyError, match="Did you mean " + report["clusters"][0]["id"]):
        explain(report, prefix)
    with pytest.raises(KeyError):  # a record with another id does not count
        explain(report, "p-nope", {"id": "p-other", "sources": []})


def test_explain_keeps_the_terminal_safe(report: dict[str, Any]) -> None:
    c = report["clusters"][0]
    c["members"][0]["title"] = "Evil\x1b[2J\x1b]0;pwned\x07 title\u202e"
    text = explain(report, c["id"])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Evil\\x1b[2J\\x1b]0;pwned\\x07 title\\u202e" in text


# ---------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's headless Chromium through its chromedriver: no driver or browser download is attempted."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip)")
    if missing:
        reason = "browser test needs " + ", ".join(missing) + " (apt-get install chromium chromium-driver)"
        if os.environ.get("DEDUP_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def severe(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def test_browser_renders_the_report(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "corpus.report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title == "dedup report — corpus.jsonl"

    heatmap = browser.find_element(By.ID, "overlap-heatmap")
    assert heatmap.is_displayed() and heatmap.size["width"] > 200
    assert len(heatmap.find_elements(By.CSS_SELECTOR, "rect")) == 9
    histogram = browser.find_element(By.ID, "score-histogram")
    assert histogram.is_displayed() and histogram.size["height"] > 150
    bars = histogram.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 7 and all(float(b.get_attribute("height")) > 0 for b in bars)
    assert histogram.find_elements(By.CSS_SELECTOR, "line.threshold")

    # the page's script ran under its own Content-Security-Policy
    assert browser.find_element(By.ID, "cluster-count").text == "3 of 3 shown"

    cluster = browser.find_elements(By.CSS_SELECTOR, "details.cluster")[0]
    copies = cluster.find_elements(By.CSS_SELECTOR, "article.copy")
    assert len(copies) == 2 and not any(c.is_displayed() for c in copies)
    cluster.find_element(By.TAG_NAME, "summary").click()
    assert cluster.get_attribute("open") is not None
    assert all(c.is_displayed() for c in copies)
    assert cluster.find_element(By.CSS_SELECTOR, "article.copy.chosen").is_displayed()
    assert cluster.find_elements(By.CSS_SELECTOR, "article.copy ins, article.copy del")
    assert cluster.find_element(By.CSS_SELECTOR, "table.edges").is_displayed()

    # sorting and filtering work and throw nothing
    browser.find_element(By.CSS_SELECTOR, "button[data-sort='size']").click()
    first = browser.find_elements(By.CSS_SELECTOR, "details.cluster")[0]
    assert first.get_attribute("data-size") == "3"
    browser.find_element(By.ID, "cluster-filter").send_keys("rethinking")
    assert browser.find_element(By.ID, "cluster-count").text == "1 of 3 shown"
    browser.find_element(By.ID, "expand-all").click()
    # a link to a cluster (#id, as the quality flags use) opens it
    target = paper_id("Rethinking Pretraining as a Bridge from ANNs to SNNs")
    browser.find_element(By.ID, "collapse-all").click()
    browser.get(page.as_uri() + "#" + target)
    assert browser.find_element(By.ID, target).get_attribute("open") is not None

    assert severe(browser) == []


def test_browser_shows_hostile_text_as_text(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    page = tmp_path / "hostile.html"
    page.write_text(render_html(hostile_report()), encoding="utf-8")
    browser.get(page.as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 1
    titles = [e.get_attribute("textContent") for e in browser.find_elements(By.CSS_SELECTOR, ".c-title")]
    assert f"Scaling Laws {HOSTILE}" in titles
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.cluster")) == 3
    assert severe(browser) == []
