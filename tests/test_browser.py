"""The Explain tab in headless Chromium against a real ``tensorboard``.

One logdir for the module: the runs ``digits`` (CNN) and ``cancer`` (MLP)
written by the real callback (``callback_logdir``), plus runs written through
``tb_explain.summary`` with known values (a 256-probe image run, a tabular
run, and a run whose names are hostile). One ``tensorboard`` process, one
browser page. The page opens TensorBoard's own shell at ``/#explain``; our
tab is the iframe ``data/plugin_entry.html?name=explain``. Screenshots of the
main views are saved to ``$TBE_SCREENSHOT_DIR`` (a temporary folder by default).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest
from fixtures_logdirs import write_schema_run
from fixtures_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Screenshots go to a temporary folder unless TBE_SCREENSHOT_DIR names one:
# `TBE_SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser.py` refreshes
# the README's pictures.
SCREENSHOTS = os.environ.get("TBE_SCREENSHOT_DIR") or tempfile.mkdtemp(
    prefix="tbe-screenshots-"
)

IMAGES = "images/explain"
TABULAR = "tabular/explain"
DIGITS = "digits/explain"
CANCER = "cancer/explain"
EVIL = "<script>alert(1)</script> \"q\" 'a' </textarea> & \u05e9\u05dc\u05d5\u05dd"
EVIL_RUN = 'evil<img src=x onerror=alert(2)>&"/explain'
IMAGE_PROBES = 256
TIMEOUT_MS = 20_000

# Reads a canvas back: how many distinct colours it holds and a checksum.
CANVAS_PIXELS = """(canvas) => {
  const data = canvas.getContext('2d')
    .getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let checksum = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    checksum = (checksum * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2])
      % 2147483647;
  }
  return {colours: colours.size, checksum, width: canvas.width};
}"""


@pytest.fixture(scope="module")
def browser_logdir(tmp_path_factory, callback_logdir):
    """The callback's runs plus image (256 probes), tabular and hostile runs."""
    logdir = str(tmp_path_factory.mktemp("browser_logdir"))
    for run in ("digits", "cancer"):
        shutil.copytree(
            os.path.join(callback_logdir[0], run), os.path.join(logdir, run)
        )
    write_schema_run(os.path.join(logdir, "images"), n=IMAGE_PROBES)
    write_schema_run(os.path.join(logdir, "tabular"), modality="tabular", seed=1)
    write_schema_run(
        os.path.join(logdir, EVIL_RUN.split("/")[0]),
        modality="tabular",
        seed=2,
        class_names=[EVIL, f"B {EVIL}"],
        feature_names=[f"{EVIL} {i}" for i in range(5)],
    )
    return logdir


@pytest.fixture(scope="module")
def server(browser_logdir):
    """A real tensorboard serving the browser logdir."""
    with running_server(browser_logdir) as running:
        yield running


class Tab:
    """The page, our frame, and what went wrong in it."""

    def __init__(self, page):
        self.page = page
        self.frame_locator = page.frame_locator('iframe[src*="name=explain"]')
        self.console_errors = []
        self.dialogs = []
        self.downloads = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("dialog", self._on_dialog)

    def _on_console(self, message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        ours = (
            "/data/plugin/explain/" in url
            or "plugin_entry.html" in url
            or "about:srcdoc" in url
            or "explain" in message.text
        )
        if ours:
            self.console_errors.append(f"{message.text} ({url})")

    def _on_dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def frame(self):
        """Our iframe as a playwright Frame."""
        for frame in self.page.frames:
            if "plugin_entry.html" in frame.url and "name=explain" in frame.url:
                return frame
        raise AssertionError("The Explain iframe is not on the page")

    def locator(self, selector: str):
        return self.frame_locator.locator(selector)

    def pick_run(self, run: str) -> None:
        self.locator("#run-select").select_option(value=run)
        self.locator(".run-facts").wait_for()
        self.frame.wait_for_function(
            "(run) => document.querySelector('#run-select').value === run", arg=run
        )

    def view(self, name: str) -> None:
        self.locator(f'.tab[data-view="{name}"]').click()

    def assert_clean(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.console_errors == [], self.console_errors


@pytest.fixture(scope="module")
def tab(server):
    """The Explain tab open in headless Chromium (one page for the module)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        tab = Tab(page)
        tab.browser = browser
        tab.url = f"{server.url}/#explain"
        page.goto(tab.url)
        tab.locator(".explain-app .toolbar").wait_for()
        yield tab
        context.close()
        browser.close()


def pixels(locator) -> dict:
    return locator.evaluate(CANVAS_PIXELS)


def screenshot(tab: Tab, name: str, height: int = 900) -> None:
    os.makedirs(SCREENSHOTS, exist_ok=True)
    tab.page.set_viewport_size({"width": 1400, "height": height})
    tab.page.wait_for_timeout(300)
    tab.page.screenshot(path=os.path.join(SCREENSHOTS, name))
    tab.page.set_viewport_size({"width": 1400, "height": 900})


def test_a_256_sample_gallery_renders_fast_and_filters(tab):
    tab.pick_run(IMAGES)
    tab.view("samples")
    tab.locator(".gallery-count").filter(
        has_text=f"{IMAGE_PROBES} of {IMAGE_PROBES}"
    ).wait_for()
    assert tab.locator(".card").count() == IMAGE_PROBES
    # How fast is measured by benchmarks/plugin_latency.py, not here.
    tab.locator('canvas.heatmap[data-method="smoothgrad"]').wait_for()
    # Thumbnails are drawn lazily: the first ones are, the last are not yet.
    tab.frame.wait_for_function(
        "() => [...document.querySelectorAll('canvas.thumb')].slice(0, 4)"
        ".every((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height)"
        ".data.some((v, i) => i % 4 === 3 && v > 0))"
    )
    last = tab.locator("canvas.thumb").last
    assert pixels(last)["colours"] == 0

    filters = tab.locator(".filters select")
    filters.nth(1).select_option("mistaken")
    cards = tab.locator(".card")
    assert 0 < cards.count() < IMAGE_PROBES
    assert cards.count() == tab.locator(".card-mistaken").count()
    filters.nth(0).select_option("3")
    assert set(cards.locator(".card-label").all_text_contents()) <= {"true: digit 3"}
    filters.nth(1).select_option("all")
    filters.nth(0).select_option("")
    minimum = tab.locator(".confidence-input").first
    minimum.fill("0.5")
    minimum.dispatch_event("change")
    confidences = cards.locator(".card-conf").all_text_contents()
    assert confidences and all(float(c.rstrip("%")) >= 49.95 for c in confidences)
    filters.nth(2).select_option("confidence-desc")
    ordered = [
        float(c.rstrip("%")) for c in cards.locator(".card-conf").all_text_contents()
    ]
    assert ordered == sorted(ordered, reverse=True)
    tab.locator(".confidence-input").first.fill("0")
    tab.locator(".confidence-input").first.dispatch_event("change")
    tab.locator(".filters select").nth(2).select_option("index")
    tab.assert_clean()


def test_sample_view_of_a_callback_run(tab):
    tab.pick_run(DIGITS)
    tab.view("samples")
    tab.locator(".gallery-count").filter(has_text="32 of 32").wait_for()
    tab.locator('.card[data-index="3"]').click()
    tab.locator(".sample-head h2").filter(has_text="Sample #3").wait_for()
    for method in ("gradients", "integrated_gradients", "grad_cam"):
        canvas = tab.locator(f'canvas.heatmap[data-method="{method}"]')
        assert pixels(canvas)["colours"] > 8, method
    assert pixels(tab.locator("canvas.input-canvas"))["colours"] > 2
    assert tab.locator(".colour-bar .colour-bar-ticks span").count() == 3
    assert tab.locator(".probabilities .prob-row").count() == 10
    assert tab.locator(".prob-marks .mark-predicted").count() == 1
    tab.locator(".history svg.chart").first.wait_for()
    assert tab.locator(".history svg.chart").count() == 2
    quality = tab.locator(".sample-view .quality")
    assert quality.locator(".badge-pass, .badge-warn, .badge-fail").count() >= 3

    before = pixels(tab.locator('canvas.heatmap[data-method="gradients"]'))
    tab.locator(".opacity input").fill("1")
    after = pixels(tab.locator('canvas.heatmap[data-method="gradients"]'))
    assert after["checksum"] != before["checksum"]
    tab.locator(".opacity input").fill("0.6")
    screenshot(tab, "sample-view.png")
    tab.locator(".gallery").evaluate("(g) => g.scrollTo(0, 0)")
    screenshot(tab, "gallery.png", height=700)
    tab.assert_clean()


def test_step_slider_and_method_switch_change_the_maps(tab):
    tab.pick_run(DIGITS)
    tab.view("samples")
    tab.locator('.card[data-index="5"]').click()
    tab.locator(".sample-head h2").filter(has_text="Sample #5").wait_for()
    tab.locator(".sample-head").filter(has_text="step 45").wait_for()
    heatmap = tab.locator('canvas.heatmap[data-method="integrated_gradients"]')
    before = pixels(heatmap)

    tab.locator(".step-slider input").fill("0")
    tab.locator(".sample-head").filter(has_text="step 0").wait_for()
    after = pixels(heatmap)
    assert after["colours"] > 8
    assert after["checksum"] != before["checksum"]
    # The marker of the step shown sits on the first step: the left axis.
    marker = tab.locator(".history .chart-marker").first
    axis = tab.locator(".history .chart .chart-axis").nth(1)
    assert marker.get_attribute("x1") == axis.get_attribute("x1")

    tab.locator('input[data-method="gradients"]').uncheck()
    tab.locator('canvas.heatmap[data-method="gradients"]').wait_for(state="detached")
    assert tab.locator("canvas.heatmap").count() == 2
    tab.locator('input[data-method="gradients"]').check()
    tab.locator('canvas.heatmap[data-method="gradients"]').wait_for()

    tab.locator('input[name="mode"][value="abs"]').check()
    tab.locator(".colour-bar figcaption").filter(has_text="viridis").wait_for()
    assert tab.locator(".colour-bar-ticks span").first.inner_text() == "0"
    assert pixels(tab.locator("canvas.heatmap").first)["colours"] > 8
    tab.locator('input[name="mode"][value="signed"]').check()
    tab.locator(".colour-bar figcaption").filter(has_text="RdBu_r").wait_for()
    tab.locator(".step-slider input").fill("3")
    tab.locator(".sample-head").filter(has_text="step 45").wait_for()
    tab.assert_clean()


def test_scale_per_method_gives_each_map_its_own_bar(tab):
    tab.pick_run(DIGITS)
    tab.view("samples")
    tab.locator('.card[data-index="5"]').click()
    tab.locator(".sample-head h2").filter(has_text="Sample #5").wait_for()
    gradients = tab.locator('canvas.heatmap[data-method="gradients"]')
    gradients.wait_for()
    shared = pixels(gradients)
    assert tab.locator(".explanation .colour-bar").count() == 0

    tab.locator('input[name="scale"][value="each"]').check()
    bars = tab.locator(".explanation .colour-bar")
    bars.nth(2).wait_for()
    assert bars.count() == tab.locator("canvas.heatmap").count() == 3
    maxima = [
        float(bar.locator(".colour-bar-ticks span").last.inner_text())
        for bar in bars.all()
    ]
    # Gradients, IG and Grad-CAM differ in size by orders of magnitude.
    assert len(set(maxima)) == 3 and min(maxima) > 0
    own = pixels(gradients)
    assert own["checksum"] != shared["checksum"] and own["colours"] > 8
    tab.locator(".sample-view .note").filter(has_text="its own scale").wait_for()
    screenshot(tab, "sample-view-own-scales.png")

    tab.locator('input[name="scale"][value="shared"]').check()
    bars.first.wait_for(state="detached")
    assert pixels(gradients)["checksum"] == shared["checksum"]
    tab.assert_clean()


def test_tabular_feature_bars(tab):
    tab.pick_run(CANCER)
    tab.view("samples")
    panel = tab.locator('.explanation.features[data-method="integrated_gradients"]')
    panel.wait_for()
    assert panel.locator(".feature-row").count() == 12
    tab.locator(".feature-view .link-button").click()
    panel.locator(".feature-row").nth(29).wait_for()
    names = panel.locator(".feature-name").all_text_contents()
    assert len(names) == 30 and "mean radius" in names
    values = [abs(float(t)) for t in panel.locator(".feature-attr").all_text_contents()]
    assert values == sorted(values, reverse=True)
    assert tab.locator(".gallery-rows .card").count() == 32
    tab.locator(".feature-view .link-button").click()
    tab.assert_clean()


def test_global_view(tab):
    tab.pick_run(DIGITS)
    tab.view("global")
    maps = tab.locator(".class-maps canvas.class-canvas")
    maps.first.wait_for()
    assert maps.count() == 11
    assert pixels(maps.first)["colours"] > 4
    weights = tab.locator(".weights canvas.weight-canvas")
    assert weights.count() == 8
    assert pixels(weights.first)["colours"] > 2
    table = tab.locator(".weight-stats table").inner_text()
    assert "conv" in table and "Dense" in table
    quality = tab.locator(".quality-over-time")
    assert quality.locator(".badge-pass").count() >= 1
    assert quality.locator("svg.chart").count() >= 1
    tab.locator(".logs svg.chart").first.wait_for()
    screenshot(tab, "global-view.png", height=1400)

    tab.locator(".view-controls select").select_option("grad_cam")
    tab.locator(".class-maps canvas.class-canvas").first.wait_for()
    tab.pick_run(CANCER)
    tab.locator(".importance-block").first.wait_for()
    assert tab.locator(".importance-block").count() >= 2
    assert tab.locator(".importance-block .feature-row").count() >= 15
    tab.assert_clean()


def test_report_view_previews_and_downloads(tab):
    tab.pick_run(DIGITS)
    tab.view("report")
    frame = tab.locator("iframe.report-frame")
    frame.wait_for()
    assert frame.get_attribute("sandbox") == ""
    tab.frame.wait_for_function(
        "() => document.querySelector('iframe.report-frame').srcdoc.length > 500"
        " || document.querySelector('.report-status .error')",
        timeout=60_000,
    )
    status = tab.locator(".report-status")
    assert status.locator(".error").count() == 0, status.inner_text()
    preview = tab.frame_locator.frame_locator("iframe.report-frame")
    assert "digits" in preview.locator("h1").first.inner_text()
    with tab.page.expect_download(timeout=60_000) as info:
        tab.locator("a.download").click()
    download = info.value
    assert download.suggested_filename == "digits-45-report.html"
    with open(download.path(), encoding="utf-8") as handle:
        assert "<html" in handle.read(4000).lower()
    screenshot(tab, "report-view.png")

    # Other formats download from the route itself, with the server's name.
    tab.locator(".view-controls select").nth(1).select_option("json")
    href = tab.locator("a.download").get_attribute("href")
    assert href.startswith("report?") and "format=json" in href
    with tab.page.expect_download(timeout=60_000) as info:
        tab.locator("a.download").click()
    assert info.value.suggested_filename == "digits-45-report.json"
    with open(info.value.path(), encoding="utf-8") as handle:
        assert json.load(handle)
    tab.locator(".view-controls select").nth(1).select_option("html")
    tab.assert_clean()


def test_hostile_names_render_as_text(tab):
    tab.pick_run(EVIL_RUN)
    tab.view("samples")
    shown = tab.frame.evaluate(
        "() => document.querySelector('#run-select').selectedOptions[0].textContent"
    )
    assert shown == EVIL_RUN
    panel = tab.locator(".explanation.features").first
    panel.wait_for()
    names = panel.locator(".feature-name").all_text_contents()
    assert sorted(names) == [f"{EVIL} {i}" for i in range(5)]
    labels = tab.locator(".prob-name").all_text_contents()
    assert labels == [EVIL, f"B {EVIL}"]
    tab.view("global")
    tab.locator(".importance-block h4").first.wait_for()
    assert EVIL in tab.locator(".importance-block h4").all_text_contents()
    injected = tab.frame.evaluate(
        "() => document.querySelectorAll('img, textarea, b, .explain-app script')"
        ".length"
    )
    assert injected == 0
    tab.assert_clean()


def test_errors_and_empty_state_show_in_the_page(tab):
    page = tab.page

    def fail(route):
        route.fulfill(status=404, content_type="text/plain", body=f"No run {EVIL}")

    page.route("**/data/plugin/explain/samples?*", fail)
    try:
        tab.pick_run(TABULAR)
        tab.view("samples")
        tab.locator(".filter-slot .error").filter(has_text=f"No run {EVIL}").wait_for()
    finally:
        page.unroute("**/data/plugin/explain/samples?*", fail)
    # The 404 above is expected; only other errors count.
    tab.console_errors[:] = [e for e in tab.console_errors if "404" not in e]

    page.route(
        "**/data/plugin/explain/runs",
        lambda route: route.fulfill(
            content_type="application/json", body='{"runs": []}'
        ),
    )
    try:
        tab.locator(".refresh").click()
        empty = tab.locator(".empty-state")
        empty.wait_for()
        code = empty.locator("code").inner_text()
        assert "import tb_explain as tbe" in code
        assert "tbe.ExplainCallback(log_dir=" in code
        assert "model.fit(x, y, epochs=5, callbacks=[callback])" in code
    finally:
        page.unroute("**/data/plugin/explain/runs")
    tab.locator(".refresh").click()
    tab.locator(".run-facts").wait_for()
    tab.assert_clean()


def test_dark_theme_follows_the_system(tab):
    context = tab.browser.new_context(
        viewport={"width": 1400, "height": 900}, color_scheme="dark"
    )
    try:
        page = context.new_page()
        dark = Tab(page)
        page.goto(tab.url)
        dark.locator("#run-select").wait_for()
        dark.pick_run(DIGITS)
        dark.locator('canvas.heatmap[data-method="grad_cam"]').wait_for()
        background = dark.locator("body").evaluate(
            "(b) => getComputedStyle(b).backgroundColor"
        )
        assert background == "rgb(23, 25, 28)"
        page.screenshot(path=os.path.join(SCREENSHOTS, "sample-view-dark.png"))
        dark.assert_clean()
    finally:
        context.close()
