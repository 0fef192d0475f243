"""Render a report JSON to HTML and screenshot it in headless Chromium, with one cluster opened.

    python benchmarks/screenshot_report.py out/corpus.report.json docs/report-seeds.png

Uses Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``) through
selenium, so nothing is downloaded. Writes the HTML next to the PNG's temp folder, never beside the report.
Without a report argument (``-``) it screenshots ``tests/report_fixture.sample_report()``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def make_driver(profile: Path, width: int, height: int) -> Any:
    """Headless Chromium via Debian's chromedriver, with a fresh profile and no network chatter."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def load_report(arg: str) -> dict[str, Any]:
    if arg == "-":
        sys.path.insert(0, str(ROOT / "tests"))
        from report_fixture import sample_report

        return sample_report()
    report: dict[str, Any] = json.loads(Path(arg).read_text(encoding="utf-8"))
    return report


def screenshot(report: dict[str, Any], out_png: Path, width: int = 1280, height: int = 1600,
               open_cluster: str | None = None) -> None:
    """Render ``report`` and save a ``width`` x ``height`` screenshot of the page, from the per-file counts
    down, with one cluster opened (``open_cluster``, or among the eight weakest links the largest one
    whose copies differ)."""
    from selenium.webdriver.common.by import By

    from dedup.report_html import render_html

    with tempfile.TemporaryDirectory(prefix="dedup-shot-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render_html(report), encoding="utf-8")
        driver = make_driver(Path(tmp) / "profile", width, height)
        try:
            # the exact viewport, whatever the window decorations of this Chromium build
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            driver.get(page.as_uri())
            clusters = driver.find_elements(By.CSS_SELECTOR, "details.cluster")
            target = None
            if open_cluster:
                target = next((c for c in clusters if c.get_attribute("id") == open_cluster), None)
                if target is None:
                    raise SystemExit(f"no cluster {open_cluster!r} in the report")
            elif clusters:
                # weakest links come first; among the first few, one whose copies differ shows the diffs
                def interest(c: Any) -> tuple[bool, int]:
                    differs = bool(c.find_elements(By.CSS_SELECTOR, ".copy ins, .copy del"))
                    return differs, int(c.get_attribute("data-size") or 0)

                target = max(clusters[:8], key=interest)
            if target is not None:
                target.find_element(By.TAG_NAME, "summary").click()
                # from the per-file counts down, so the charts and the opened cluster are in view
                driver.execute_script(
                    "var s = document.getElementById('files'), n = document.querySelector('nav');"
                    "window.scrollTo(0, s ? s.getBoundingClientRect().top + window.scrollY"
                    " - (n ? n.offsetHeight : 0) - 12 : 0);")
            out_png.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out_png))
        finally:
            driver.quit()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report_json", help="corpus.report.json, or - for the test fixture's sample report")
    ap.add_argument("out_png", type=Path)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=1600)
    ap.add_argument("--cluster", help="id of the cluster to open (default: see screenshot())")
    args = ap.parse_args(argv)
    screenshot(load_report(args.report_json), args.out_png, args.width, args.height, args.cluster)
    print(args.out_png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
