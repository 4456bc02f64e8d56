"""``report.html`` in a real headless Chromium: it renders without scripts, does not
overflow sideways at 1280 and 800 px, and its first screen holds the summary.

Needs Chromium (Debian package ``chromium``) and Playwright for Python; Playwright drives
the system browser through its executable path (its own browser download is not used).
Skips with the reason when either is missing, so the suite passes on a fresh machine;
CI (``.ci/run``) installs both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    env = os.environ.get("SOCDATA_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing(reason: str) -> None:
    if os.environ.get("SOCDATA_REQUIRE_BROWSER"):  # set by .ci/run
        pytest.fail(f"{reason}, but SOCDATA_REQUIRE_BROWSER is set")
    pytest.skip(f"{reason}; CI installs it")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    exe = _chromium()
    if exe is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(browser, tmp_path_factory) -> Path:
    from tests.report.report_fixture import build_realistic_report  # only with a browser

    return build_realistic_report(tmp_path_factory.mktemp("report-browser"))


def _open(browser, path: Path, width: int, height: int = 800, *, scripts: bool = False):
    page = browser.new_page(
        viewport={"width": width, "height": height}, java_script_enabled=scripts
    )
    page.goto(path.as_uri())
    return page


@pytest.mark.parametrize("width", [1280, 800])
def test_no_horizontal_overflow(browser, report, width):
    page = _open(browser, report, width, scripts=True)  # scripts only to measure
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll} px wide in a {width} px window"
    page.close()


def test_first_screen_holds_the_summary(browser, report, tmp_path):
    page = _open(browser, report, 1280, 800)  # no scripts: the page must work without
    boxes = {
        sel: page.locator(sel).first.bounding_box()
        for sel in ("header .badge", "#s-run", "#s-rep", "#s-aud", "#s-est", "#summary")
    }
    for sel, box in boxes.items():
        assert box is not None, f"{sel} is not rendered"
        assert box["y"] + min(box["height"], 40) <= 800, f"{sel} starts below the first screen"
    summary = boxes["#summary"]
    assert summary["y"] + summary["height"] <= 800 * 1.05, "summary does not fit the first screen"
    text = page.locator("#summary").inner_text()
    assert "printed figures regenerated exactly" in text and "Headline estimates" in text
    assert "(−0.177 to −0.053)" in text  # the estimate's interval, three decimals
    page.screenshot(path=str(tmp_path / "first_screen.png"))
    page.close()


def test_tables_folded_and_figures_described(browser, report):
    page = _open(browser, report, 1280)
    assert page.locator("details[open]").count() == 0  # long tables folded by default
    first_table = page.locator("#t-table1 table")
    assert not first_table.is_visible()
    for img in page.locator("img").all():
        assert (img.get_attribute("alt") or "").strip(), "a figure has no alt text"
        assert img.evaluate("i => i.naturalWidth") > 0, "a figure did not load"
    page.close()


def test_print_layout_shows_folded_tables(browser, report, tmp_path):
    page = _open(browser, report, 1280)
    page.emulate_media(media="print")
    assert page.locator("#t-table1 table").is_visible(), "print must show folded tables"
    assert not page.locator("nav.toc").is_visible()
    page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
    page.close()
