"""The feedback page and the class page, rendered by a real browser (headless Chromium, driven by
Playwright, offline) at 1024 px and at phone width: no sideways overflow, no empty boxes, readable code
blocks, every failing check visible, the chart visible. CI installs Debian's chromium (.ci/run); elsewhere
these tests skip when no browser is installed.

With GRADEKIT_SCREENSHOT_DIR set, the screenshots are kept there: README's docs/feedback-page.png is made
this way (`GRADEKIT_SCREENSHOT_DIR=docs python -m pytest tests/test_pages_browser.py`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from graders.cli import main
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO = REPO / "examples" / "demo_class"
VIEWPORTS = {"laptop": {"width": 1024, "height": 800}, "phone": {"width": 375, "height": 740}}
LONG_OUTPUT = '''\
import numpy as np
print("x" * 3000)  # one very long line, no spaces
def residual_block(x, w1, w2):
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x)) + x
'''

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

if os.environ.get("CI") and (CHROMIUM is None or sync_playwright is None):
    raise RuntimeError("CI must run the browser tests: install chromium (apt) and the test extra (playwright)")
pytestmark = pytest.mark.skipif(CHROMIUM is None or sync_playwright is None,
                                reason="no chromium or playwright: the browser tests need both")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A small class graded by `batch`: two learners with named mistakes, one whose output is one long
    line, one who times out, and a full-marks one."""
    root = tmp_path_factory.mktemp("pages")
    klass = root / "class"
    klass.mkdir()
    for name in ("alice.py", "frank.py", "carol.py", "grace.py", "heidi.py"):
        (klass / name).write_bytes((DEMO / name).read_bytes())
    (klass / "longline.py").write_text(LONG_OUTPUT)
    out = root / "out"
    assert main(["batch", str(klass), "--exercise", "residual_unit", "--out", str(out), "--jobs", "2",
                 "--time-limit", "3"]) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def open_page(browser, path: Path, viewport: str):
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


def layout_problems(page) -> list[str]:
    """What a reader would see wrong: the page wider than the window, empty boxes, unreadable code."""
    return page.evaluate("""() => {
        const problems = [];
        const width = window.innerWidth;
        if (document.documentElement.scrollWidth > width)
            problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
        for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.width > 0 && box.right > width + 1)
                problems.push(`${el.tagName}.${el.className} ends at ${Math.round(box.right)}px`);
        }
        for (const el of document.querySelectorAll('pre, .mistake, li.check, td, dd')) {
            if (el.tagName !== 'TD' && !el.textContent.trim()) problems.push(`empty ${el.tagName}.${el.className}`);
        }
        for (const el of document.querySelectorAll('pre')) {
            const style = getComputedStyle(el);
            if (parseFloat(style.fontSize) < 12) problems.push(`code at ${style.fontSize}`);
            if (!style.whiteSpace.startsWith('pre-wrap')) problems.push(`code does not wrap (${style.whiteSpace})`);
        }
        return problems;
    }""")


def visible(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(selector, """els => els.map(el => {
        const box = el.getBoundingClientRect();
        return {text: el.textContent.trim(), width: box.width, height: box.height, left: box.left, right: box.right,
                shown: getComputedStyle(el).visibility !== 'hidden' && getComputedStyle(el).display !== 'none'};
    })""")


def keep_screenshot(page, name: str, tmp_path: Path) -> Path:
    target_dir = Path(os.environ.get("GRADEKIT_SCREENSHOT_DIR") or tmp_path)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / name
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("learner", ["frank", "carol", "grace", "heidi", "longline", "alice"])
def test_feedback_page_reads_well(pages, browser, learner, viewport):
    page = open_page(browser, pages / "feedback" / f"{learner}.html", viewport)
    try:
        assert layout_problems(page) == []
        width = VIEWPORTS[viewport]["width"]
        failing = visible(page, "li.check.failed")
        expected_failing = 0 if learner == "alice" else 1
        assert len(failing) >= expected_failing
        for check in failing:
            assert check["shown"] and check["width"] > 0 and check["height"] > 0 and check["right"] <= width
        assert page.locator("h1").inner_text().strip() == "residual_unit"
    finally:
        page.close()


def test_each_named_mistake_shows_its_evidence_with_the_changed_step_marked(pages, browser, tmp_path):
    page = open_page(browser, pages / "feedback" / "frank.html", "laptop")
    try:
        mistakes = visible(page, "article.mistake h3")
        assert [m["text"] for m in mistakes] == ["extra_relu_before_skip", "transposed_weights"]
        changed = visible(page, "table.trace tr.changed")
        assert len(changed) == 2 and all(c["shown"] and c["height"] > 0 for c in changed)
        keep_screenshot(page, "feedback-page.png", tmp_path)
    finally:
        page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_class_page_reads_well_and_shows_the_chart(pages, browser, viewport, tmp_path):
    page = open_page(browser, pages / "index.html", viewport)
    try:
        assert layout_problems(page) == []
        chart = page.eval_on_selector("img.chart", """img => ({natural: img.naturalWidth, width:
            img.getBoundingClientRect().width, right: img.getBoundingClientRect().right})""")
        width = VIEWPORTS[viewport]["width"]
        assert chart["natural"] > 0, "the chart did not load"
        assert min(300, width * 0.8) <= chart["width"] and chart["right"] <= width
        learners = visible(page, "table a")
        assert {row["text"] for row in learners} >= {"alice", "frank", "carol", "grace", "heidi", "longline"}
        if viewport == "laptop":
            keep_screenshot(page, "class-page.png", tmp_path)
    finally:
        page.close()
