"""The business report: facts against the written values, formats, safety.

Reports are built once per session from ``schema_logdir`` (known values) and
from small runs written here for the cases the fixture lacks (regression, a
sigmoid head, no quality, a failed check, hostile names).
"""

from __future__ import annotations

import html.parser
import io
import json
import os
import re
import zipfile

import numpy as np
import pytest

from tb_explain import report, summary
from tb_explain.report import facts as facts_lib
from tb_explain.report import text as text_lib

HOSTILE = [
    "<script>alert('class')</script>",
    'a "quoted" & </textarea> name',
    "\u202eevil\u202c right-to-left",
]
HOSTILE_FEATURES = [
    "<img src=x onerror=alert(1)>",
    "f&g",
    "</textarea><script>alert(2)</script>",
    "'single' \"double\"",
    "\u202bRTL\u202c",
]


def write_small_run(
    run_dir: str,
    *,
    task: str,
    predictions: np.ndarray,
    labels: np.ndarray | None,
    class_names: list[str] | None = None,
    feature_names: list[str] | None = None,
    quality_status: str | None = "pass",
    seed: int = 0,
) -> None:
    """Writes one tabular step of a run with the given predictions and labels."""
    rng = np.random.default_rng(seed)
    n = len(predictions)
    width = len(feature_names) if feature_names else 4
    writer = summary.SummaryWriter(os.path.join(run_dir, "explain"))
    inputs = rng.normal(size=(n, width)).astype(np.float32)
    maps = rng.normal(scale=0.1, size=(n, width)).astype(np.float32)
    writer.write_array(summary.probe_inputs_tag(0), inputs, 3)
    if labels is not None:
        writer.write_array(summary.PROBE_LABELS, labels, 3)
    config = {
        "task": task,
        "modality": "tabular",
        "n_outputs": predictions.shape[1],
        "n_classes": 0 if task == "regression" else max(2, predictions.shape[1]),
        "class_names": class_names,
        "feature_names": feature_names,
        "inputs": [{"name": "x", "shape": [width], "modality": "tabular"}],
        "methods": [{"key": "integrated_gradients", "name": "integrated_gradients"}],
        "probe": {"count": n, "ids": [f"s{i}" for i in range(n)]},
        "baselines": {"kind": "constant", "value": 0.5},
        "target": "predicted",
        "versions": {"tb_explain": "test"},
    }
    writer.write_json(summary.RUN_CONFIG, config, 3)
    writer.write_array(summary.PREDICTIONS, predictions.astype(np.float32), 3)
    writer.write_array(summary.TARGETS, np.zeros(n, np.int32), 3)
    scales = {}
    tag = summary.attributions_tag("integrated_gradients")
    scales[tag] = writer.write_map(tag, maps, 3)
    tag = summary.importance_tag("integrated_gradients")
    scales[tag] = writer.write_map(tag, np.abs(maps).mean(0, keepdims=True), 3)
    if quality_status is not None:
        row = {"metric": "completeness", "method": "integrated_gradients"}
        row.update(value=0.2, n=n, threshold=0.05, status=quality_status)
        writer.write_json(summary.QUALITY_SUMMARY, [row], 3)
    writer.write_json(summary.STEP_INFO, {"epoch": 1, "scales": scales}, 3)
    writer.close()


def _binary_predictions(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n).astype(np.int32)
    noise = rng.uniform(0.0, 0.45, size=n)
    noise[:3] = (0.02, 0.04, 0.2)
    p = np.where(labels == 1, 1 - noise, noise)
    p[:3] = 1 - p[:3]  # three confident mistakes
    return p.reshape(-1, 1), labels


def write_extra_logdir(logdir: str) -> dict:
    """Writes the runs the schema fixture lacks into ``logdir``.

    Runs: ``sigmoid`` (one sigmoid output, a failed check), ``regression`` (no
    quality), ``<script>alert('run')`` (hostile names, a warning) and
    ``unlabelled``.

    Returns:
        ``{"sigmoid": (probabilities, labels), "regression": targets}``.
    """
    sigmoid, labels = _binary_predictions(40, seed=1)
    write_small_run(
        os.path.join(logdir, "sigmoid"),
        task="binary",
        predictions=sigmoid,
        labels=labels,
        class_names=["no", "yes"],
        quality_status="fail",
    )
    rng = np.random.default_rng(2)
    targets = rng.normal(size=(20, 1))
    write_small_run(
        os.path.join(logdir, "regression"),
        task="regression",
        predictions=targets + rng.normal(scale=0.3, size=(20, 1)),
        labels=targets.astype(np.float32),
        quality_status=None,
    )
    hostile = np.eye(3)[np.arange(12) % 3] * 0.8 + 0.05
    write_small_run(
        os.path.join(logdir, "<script>alert('run')"),
        task="multiclass",
        predictions=np.roll(hostile, 1, axis=0),
        labels=(np.arange(12) % 3).astype(np.int32),
        class_names=HOSTILE,
        feature_names=HOSTILE_FEATURES,
        quality_status="warn",
    )
    write_small_run(
        os.path.join(logdir, "unlabelled"),
        task="multiclass",
        predictions=hostile,
        labels=None,
        class_names=["a", "b", "c"],
        quality_status=None,
    )
    return {"sigmoid": (sigmoid, labels), "regression": targets}


@pytest.fixture(scope="session")
def extra_logdir(tmp_path_factory):
    """``(logdir, values)`` of :func:`write_extra_logdir`."""
    logdir = str(tmp_path_factory.mktemp("report_extra"))
    return logdir, write_extra_logdir(logdir)


@pytest.fixture(scope="session")
def built(schema_logdir, extra_logdir):
    """Every report the tests read, built once: (run, format, lang) -> output."""
    logdir, _ = schema_logdir
    extra, _ = extra_logdir
    result = {}
    for run in ("images", "tabular"):
        for lang in ("en", "zh"):
            result[(run, "html", lang)] = report.build(logdir, run, "html", lang)
        result[(run, "json", "en")] = report.build(logdir, run, "json")
    result[("tabular", "markdown", "en")] = report.build(logdir, "tabular", "markdown")
    hostile = "<script>alert('run')"
    for fmt in ("html", "markdown"):
        result[("hostile", fmt, "en")] = report.build(extra, hostile, fmt)
    for run in ("sigmoid", "regression", "unlabelled"):
        result[(run, "json", "en")] = report.build(extra, run, "json")
        result[(run, "html", "zh")] = report.build(extra, run, "html", "zh")
    return result


class _Parsed(html.parser.HTMLParser):
    """Start tags, their attributes, and the visible text of an HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self._skip = [], [], 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _facts(built, run: str) -> dict:
    return json.loads(built[(run, "json", "en")])


# --------------------------------------------------------------------------
# Facts match the written values.


@pytest.mark.parametrize("run", ["images", "tabular"])
def test_accuracy_equals_written_predictions_and_labels(built, schema_logdir, run):
    written = schema_logdir[1][run]
    last = max(written["predictions"])
    predicted = written["predictions"][last].argmax(axis=1)
    correct = int((predicted == written["labels"]).sum())
    n = len(written["labels"])

    perf = _facts(built, run)["performance"]
    assert (perf["correct"], perf["n"]) == (correct, n)
    page = " ".join(_Parsed(built[(run, "html", "en")]).text)
    assert f"classified {correct} of {n} ({100 * correct / n:.0f}%)" in page


def test_sigmoid_head_accuracy_uses_threshold(built, extra_logdir):
    probabilities, labels = extra_logdir[1]["sigmoid"]
    correct = int(((probabilities[:, 0] > 0.5) == labels).sum())
    perf = _facts(built, "sigmoid")["performance"]
    assert perf["correct"] == correct
    low, high = perf["interval"]
    assert low < correct / len(labels) < high


def test_regression_metrics_match(built, extra_logdir, schema_logdir):
    perf = _facts(built, "regression")["performance"]
    assert perf["kind"] == "regression"
    assert perf["n"] == 20
    assert 0 < perf["mae"] <= perf["rmse"]


def test_top_features_are_the_written_top_features(built, schema_logdir):
    written = schema_logdir[1]["tabular"]
    last = max(written["predictions"])
    maps = written["attributions"][("integrated_gradients", last)]
    expected = [f"feature {i}" for i in np.argsort(-np.abs(maps).mean(axis=0))[:3]]

    top = _facts(built, "tabular")["importance"]["top"]
    assert [u["name"] for u in top[:3]] == expected
    page = " ".join(_Parsed(built[("tabular", "html", "en")]).text)
    sentence = re.search(r"most sensitive to (.*?) \(shares", page).group(1)
    positions = [sentence.index(name) for name in expected]
    assert positions == sorted(positions)


def test_most_confident_mistake_is_a_case(built, schema_logdir):
    written = schema_logdir[1]["tabular"]
    last = max(written["predictions"])
    p = written["predictions"][last]
    wrong = np.flatnonzero(p.argmax(axis=1) != written["labels"])
    assert wrong.size  # the fixture has a mistake at the last step
    most_confident = int(wrong[np.argmax(p[wrong].max(axis=1))])

    cases = _facts(built, "tabular")["cases"]
    mistakes = [c["index"] for c in cases if c["kind"] == "mistake"]
    assert mistakes[0] == most_confident
    page = " ".join(_Parsed(built[("tabular", "html", "en")]).text)
    confident = p[most_confident].max() >= 0.9
    heading = "Confident mistake" if confident else "Mistake"
    assert f"{heading}: sample {most_confident}" in page


def test_case_headings_follow_the_numbers(built):
    """Confident only at p >= 0.9, borderline only within a 0.2 margin."""
    for run in ("images", "tabular"):
        page = " ".join(_Parsed(built[(run, "html", "en")]).text)
        for case in _facts(built, run)["cases"]:
            predicted, kind = case["predicted"], case["kind"]
            if kind == "mistake":
                confident = predicted["probability"] >= 0.9
                heading = "Confident mistake" if confident else "Mistake"
            elif kind == "borderline":
                close = predicted["margin"] <= 0.2
                heading = "Borderline case" if close else "Least certain case"
            else:
                heading = "Typical case"
            assert f"{heading}: sample {case['id']}" in page, (run, case)
    page = " ".join(_Parsed(built[("regression", "html", "zh")]).text)
    for case in _facts(built, "regression")["cases"]:
        heading = "误差最大" if case["kind"] == "mistake" else "典型案例"
        assert f"{heading}：样本 {case['id']}" in page, case


def test_sigmoid_confident_mistakes_are_flagged(built):
    data = _facts(built, "sigmoid")
    assert sum(c["kind"] == "mistake" for c in data["cases"]) == 2
    assert any(f["key"] == "confident_mistakes" for f in data["findings"])


def test_case_reasons_are_at_most_four_and_shares_sum_below_one(built):
    for run in ("images", "tabular", "sigmoid"):
        for case in _facts(built, run)["cases"]:
            assert 1 <= len(case["reasons"]) <= 4
            assert sum(r["share"] for r in case["reasons"]) <= 1 + 1e-6


def test_baseline_output_follows_completeness(built, schema_logdir):
    written = schema_logdir[1]["tabular"]
    last = max(written["predictions"])
    maps = written["attributions"][("integrated_gradients", last)]
    for case in _facts(built, "tabular")["cases"]:
        assert case["baseline_source"] == "completeness"
        expected = case["output"] - maps[case["index"]].sum()
        assert case["baseline_output"] == pytest.approx(expected, abs=1e-5)
    page = " ".join(_Parsed(built[("tabular", "html", "en")]).text)
    assert "relative to an all-zero input" in page
    assert "the model's output on the baseline was about" in page


def test_quality_findings_count_per_sample_values(built, schema_logdir):
    data = _facts(built, "tabular")
    check = data["quality"]["checks"][0]
    assert check["n"] == 12
    finding = next(f for f in data["findings"] if f["key"] == "check_outside")
    assert finding["count"] == check["n_warn"] + check["n_fail"]


def test_unlabelled_run_says_so(built):
    data = _facts(built, "unlabelled")
    assert data["performance"] == {"kind": "none"}
    assert {f["key"] for f in data["findings"]} >= {"no_labels", "no_quality"}


def test_step_argument_explains_that_step(schema_logdir):
    logdir, written = schema_logdir
    data = json.loads(report.build(logdir, "tabular", "json", step=0))
    predicted = written["tabular"]["predictions"][0].argmax(axis=1)
    assert data["step"] == 0
    assert data["performance"]["correct"] == int(
        (predicted == written["tabular"]["labels"]).sum()
    )


# --------------------------------------------------------------------------
# Formats.


def test_json_round_trips_with_version_and_fingerprint(built):
    data = _facts(built, "images")
    assert data["report_schema_version"] == report.REPORT_SCHEMA_VERSION
    assert data["data_sha256"] == facts_lib.fingerprint(data)
    assert json.loads(json.dumps(data)) == data


def test_build_for_reader_gives_the_same_facts(schema_logdir, built):
    logdir, _ = schema_logdir
    reader = summary.open_logdir(logdir).reader("tabular/explain")
    data = json.loads(report.build_for_reader(reader, "json"))
    assert data["data_sha256"] == _facts(built, "tabular")["data_sha256"]


def test_html_is_self_contained(built):
    page = built[("images", "html", "en")]
    parsed = _Parsed(page)
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert images and all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "Content-Security-Policy" in page and "@media print" in page


@pytest.mark.parametrize("run", ["images", "tabular"])
def test_every_figure_names_its_step(built, run):
    page = built[(run, "html", "en")]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    assert len(captions) >= 4
    assert all("Computed at step" in caption for caption in captions)


def test_markdown_is_a_zip_with_its_figures(built):
    archive = zipfile.ZipFile(io.BytesIO(built[("tabular", "markdown", "en")]))
    names = archive.namelist()
    text = archive.read("report.md").decode("utf-8")
    linked = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
    assert linked and set(linked) <= set(names)
    assert archive.read(linked[0]).startswith(b"\x89PNG")
    assert "## 6\\. Case studies" in text
    # A backslash before a digit is no escape in CommonMark: it would show.
    assert not re.search(r"\\\d", text)
    assert re.search(r"\| 0\\?\.\d+ \|", text)  # numbers in table cells


def test_markdown_escapes_marks_at_a_line_start_and_tildes():
    from tb_explain.report.render_markdown import escape

    assert escape("1. list") == "1\\. list"
    assert escape("- item") == "\\- item"
    assert escape("x~~struck~~") == "x\\~\\~struck\\~\\~"
    assert escape("0.75") == "0\\.75"


def test_a_sigmoid_run_names_the_class_its_output_explains(built):
    page = " ".join(_Parsed(built[("sigmoid", "html", "zh")]).text)
    assert "唯一的 sigmoid 输出" in page


# --------------------------------------------------------------------------
# Hostile names are inert.


def test_hostile_names_are_inert_in_html(built):
    page = built[("hostile", "html", "en")]
    parsed = _Parsed(page)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags and "textarea" not in tags
    assert all(tag != "img" or a["src"].startswith("data:") for tag, a in parsed.tags)
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    visible = " ".join(parsed.text)
    assert "<script>alert('class')</script>" in visible  # shown as text
    assert "\u202e" not in page and "[U+202E]evil" in visible


def test_hostile_names_are_inert_in_markdown(built):
    import markdown

    archive = zipfile.ZipFile(io.BytesIO(built[("hostile", "markdown", "en")]))
    text = archive.read("report.md").decode("utf-8")
    assert "<" not in text and "\u202e" not in text
    rendered = _Parsed(markdown.markdown(text, extensions=["tables"]))
    tags = {tag for tag, _ in rendered.tags}
    assert not tags & {"script", "textarea"}
    assert all(
        tag != "img" or a["src"].startswith("figures/") for tag, a in rendered.tags
    )
    assert "<script>alert('class')</script>" in " ".join(rendered.text)


# --------------------------------------------------------------------------
# Languages.


def _names(data: dict) -> set[str]:
    """Every string of the facts but sentences written by the callback."""
    found = set()

    def walk(value, key=""):
        if key in ("description", "rule"):
            return
        if isinstance(value, dict):
            for k, v in value.items():
                found.add(str(k))
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            found.add(value)

    walk(data)
    return {name for name in found if name}


@pytest.mark.parametrize("run", ["images", "tabular", "sigmoid", "regression"])
def test_chinese_report_has_no_english_sentence(built, run):
    page = built[(run, "html", "zh")]
    text = " ".join(_Parsed(page).text)
    for name in sorted(_names(_facts(built, run)), key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", text)
    text = re.sub(r"[0-9a-f]{64}|[-+]?\d[\d.,:eE+\-T]*", " ", text)
    english = re.findall(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,})+", text)
    assert not english, english[:10]
    assert "探针样本" in text


def test_catalogues_hold_the_same_keys_and_placeholders():
    catalogues = {
        lang: json.load(open(os.path.join(text_lib.I18N_DIR, f"{lang}.json")))
        for lang in text_lib.languages()
    }
    english = catalogues.pop("en")
    for lang, words in catalogues.items():
        assert set(words) == set(english), lang
        for key, value in english.items():
            fields = set(re.findall(r"\{(\w+)\}", json.dumps(value)))
            assert fields == set(re.findall(r"\{(\w+)\}", json.dumps(words[key]))), key


# --------------------------------------------------------------------------
# Errors, names, status.


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"format": "pdf"}, "format='pdf'"),
        ({"lang": "fr"}, "lang='fr'"),
        ({"run": "nope"}, "run='nope'"),
        ({"step": 7}, "step=7"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(schema_logdir, kwargs, argument):
    logdir, _ = schema_logdir
    with pytest.raises(ValueError, match=re.escape(argument)):
        report.build(logdir, **{"run": "tabular", **kwargs})


def test_empty_logdir_raises(tmp_path):
    with pytest.raises(ValueError, match="holds no run"):
        report.build(str(tmp_path))


def test_run_may_name_the_explain_folder(schema_logdir):
    logdir, _ = schema_logdir
    data = json.loads(report.build(logdir, "tabular/explain", "json"))
    assert data["run"] == "tabular"
    assert json.loads(report.build(logdir, format="json"))["run"] == "images"


@pytest.mark.parametrize(
    "run, step, fmt, expected",
    [
        ("run1/explain", 10, "html", "run1-10-report.html"),
        ("../etc/<script>", 3, "json", "etc_script-3-report.json"),
        ("a b/c", 0, "markdown", "a_b_c-0-report.zip"),
        ("///", 5, "html", "run-5-report.html"),
    ],
)
def test_filename_is_safe(run, step, fmt, expected):
    assert report.filename(run, step, fmt) == expected


def test_quality_status_is_the_worst_status(schema_logdir, extra_logdir):
    logdir, _ = schema_logdir
    extra, _ = extra_logdir
    schema, other = summary.open_logdir(logdir), summary.open_logdir(extra)
    assert report.quality_status(schema.reader("tabular/explain")) == "pass"
    assert report.quality_status(other.reader("sigmoid/explain")) == "fail"
    assert report.quality_status(other.reader("regression/explain")) == "warn"


# --------------------------------------------------------------------------
# Printing.


@pytest.mark.browser
def test_html_prints_to_pdf_with_pages_and_text(built):
    import zlib

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
            ],
        )
        page = browser.new_page()
        page.set_content(built[("tabular", "html", "en")])
        pdf = page.pdf(format="A4")
        browser.close()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 5
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    contents = []
    for stream in streams:
        try:
            contents.append(zlib.decompress(stream))
        except zlib.error:
            continue
    assert any(b"Tj" in c or b"TJ" in c for c in contents)
    assert b"/Font" in pdf


# --------------------------------------------------------------------------
# Runs written by the real callback.


@pytest.mark.parametrize("run", ["digits", "cancer"])
def test_callback_runs_report_the_models_own_accuracy(callback_logdir, run):
    logdir, trained = callback_logdir
    model, (x, y) = trained[run]
    outputs = np.asarray(model(x, training=False))
    predicted = outputs.argmax(axis=1) if outputs.shape[1] > 1 else outputs[:, 0] > 0.5
    correct = int((predicted == np.asarray(y).reshape(-1)).sum())

    data = json.loads(report.build(logdir, run, "json"))
    assert data["performance"]["correct"] == correct
    assert len(data["methods"]) >= 2 and data["quality"]["checks"]
    page = report.build(logdir, run, "html", "zh")
    assert "<script" not in page.lower()
    if run == "cancer":
        top = data["importance"]["top"][0]["name"]
        assert top in page


def test_report_covers_the_last_complete_step_of_a_cut_run(tmp_path):
    """A run cut after a step's predictions but before its step/info."""
    import glob

    from fixtures_logdirs import write_schema_run

    write_schema_run(str(tmp_path / "cut"), n=4, steps=(0, 5, 10))
    (events,) = glob.glob(str(tmp_path / "cut" / "explain" / "events*"))
    with open(events, "rb") as f:
        data = f.read()
    with open(events, "wb") as f:
        f.write(data[:-37])
    built = json.loads(report.build(str(tmp_path), format="json"))
    assert built["step"] == 5
    assert built["methods"] == ["integrated_gradients", "smoothgrad"]
