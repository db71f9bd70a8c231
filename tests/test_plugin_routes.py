"""Routes of the Explain plugin through TensorBoard's WSGI app.

Real event files from ``schema_logdir`` (known values), a multiplexer data
provider that keeps every step of the plugin, the plugin inside
``TensorBoardWSGIApp`` and ``werkzeug.test.Client``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse

import numpy as np
import pytest
from fixtures_server import make_app
from werkzeug import test as werkzeug_test

from tb_explain.plugin import assets, params
from tb_explain.plugin import data as plugin_data

PREFIX = "/data/plugin/explain/"
IMAGES = "images/explain"
TABULAR = "tabular/explain"
METHOD = "smoothgrad"


@pytest.fixture(scope="module")
def client(schema_logdir):
    """A client of a TensorBoard app serving ``schema_logdir``."""
    logdir, _ = schema_logdir
    app, _ = make_app(logdir)
    return werkzeug_test.Client(app)


@pytest.fixture(scope="module")
def written(schema_logdir):
    return schema_logdir[1]


def get(client, route, **query):
    return client.get(PREFIX + route, query_string=query)


def get_json(client, route, **query):
    response = get(client, route, **query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.get_data())


def decode(response) -> np.ndarray:
    shape = tuple(int(n) for n in response.headers["X-Shape"].split(","))
    dtype = np.dtype(response.headers["X-Dtype"]).newbyteorder("<")
    return np.frombuffer(response.get_data(), dtype=dtype).reshape(shape)


def softmax_argmax(predictions):
    return predictions.argmax(axis=1)


# --------------------------------------------------------------------------
# Listing and metadata.


def test_plugins_listing_shows_the_enabled_iframe_tab(client):
    listing = json.loads(client.get("/data/plugins_listing").get_data())
    explain = listing["explain"]
    assert explain["enabled"] is True
    assert explain["tab_name"] == "Explain"
    assert explain["loading_mechanism"] == {
        "type": "IFRAME",
        "module_path": PREFIX + "index.js",
    }


def test_runs_lists_both_runs_with_their_schema(client, written):
    runs = {r["run"]: r for r in get_json(client, "runs")["runs"]}
    assert sorted(runs) == [IMAGES, TABULAR]
    images = runs[IMAGES]
    assert images["modality"] == "image"
    assert images["task"] == "multiclass"
    assert images["probe_count"] == len(written["images"]["labels"])
    assert [m["key"] for m in images["methods"]] == [
        "integrated_gradients",
        "smoothgrad",
    ]
    assert images["methods"][0]["label"] == "integrated gradients"
    assert images["steps"] == [0, 5, 10]
    assert images["class_names"][3] == "digit 3"
    assert images["inputs"][0]["shape"] == [8, 8, 1]
    assert images["has_quality"] is True
    assert images["errors"] == []
    assert runs[TABULAR]["feature_names"] == [f"feature {i}" for i in range(5)]


def test_run_returns_config_model_logs_and_step_info(client):
    body = get_json(client, "run", run=IMAGES)
    assert body["config"]["modality"] == "image"
    assert body["model"]["class"] == "Sequential"
    assert body["steps"] == [0, 5, 10]
    np.testing.assert_allclose(
        [v for _, v in body["logs"]["loss"]], [2.0, 1.0, 2.0 / 3], rtol=1e-6
    )
    assert [s for s, _ in body["logs"]["accuracy"]] == [0, 5, 10]
    assert body["step_info"]["5"]["epoch"] == 1


# --------------------------------------------------------------------------
# Samples and one sample.


@pytest.mark.parametrize("step", [None, 0, 5])
def test_samples_match_the_predictions_written(client, written, step):
    query = {"run": IMAGES} if step is None else {"run": IMAGES, "step": step}
    body = get_json(client, "samples", **query)
    expected_step = 10 if step is None else step
    predictions = written["images"]["predictions"][expected_step]
    labels = written["images"]["labels"]
    assert body["step"] == expected_step
    assert body["steps"] == [0, 5, 10]
    assert [s["index"] for s in body["samples"]] == list(range(len(labels)))
    for i, row in enumerate(body["samples"]):
        predicted = int(predictions[i].argmax())
        assert row["id"] == str(i)
        assert row["label"] == int(labels[i])
        assert row["label_name"] == f"digit {labels[i]}"
        assert row["predicted"] == predicted
        assert row["predicted_name"] == f"digit {predicted}"
        assert row["confidence"] == pytest.approx(float(predictions[i].max()))
        assert row["correct"] is (predicted == int(labels[i]))
        assert row["target"] == predicted


def test_sample_holds_prediction_maps_and_quality(client, written):
    body = get_json(client, "sample", run=IMAGES, sample=4, step=5)
    predictions = written["images"]["predictions"][5]
    assert body["index"] == 4 and body["step"] == 5 and body["id"] == "4"
    np.testing.assert_allclose(body["probabilities"], predictions[4], rtol=1e-6)
    assert body["label"] == int(written["images"]["labels"][4])
    assert body["target"] == int(predictions[4].argmax())
    assert body["target_name"] == f"digit {body['target']}"
    assert body["feature_values"] is None
    assert body["baseline"] == {"kind": "zeros", "description": "all-zero input"}
    assert [m["key"] for m in body["methods"]] == ["integrated_gradients", METHOD]
    entry = body["methods"][1]
    expected = written["images"]["attributions"][(METHOD, 5)][4]
    assert entry["views"] == ["signed"]
    assert entry["shape"] == [8, 8]
    # float16 of values / scale: each value is within scale * 2**-11.
    scale = float(np.abs(written["images"]["attributions"][(METHOD, 5)]).max())
    assert entry["min"] == pytest.approx(float(expected.min()), abs=1e-3 * scale)
    assert entry["max"] == pytest.approx(float(expected.max()), abs=1e-3 * scale)
    assert entry["sum"] == pytest.approx(float(expected.sum()), abs=64e-3 * scale)
    figure = entry["quality"]["completeness"]
    assert figure["probe_status"] == "pass"
    assert 0 <= figure["value"] <= 0.1


def test_sample_quality_judges_each_sample_by_the_rule(client, written):
    """Completeness <= 0.05 passes, above warns; the probe verdict stays."""
    statuses = set()
    for index in range(len(written["images"]["labels"])):
        body = get_json(client, "sample", run=IMAGES, sample=index, step=5)
        figure = body["methods"][1]["quality"]["completeness"]
        expected = "pass" if figure["value"] <= 0.05 else "warn"
        assert figure["status"] == expected, (index, figure)
        assert figure["probe_status"] == "pass"
        statuses.add(figure["status"])
    assert statuses == {"pass", "warn"}


def test_tabular_sample_has_feature_values(client, written):
    body = get_json(client, "sample", run=TABULAR, sample=2)
    np.testing.assert_allclose(
        body["feature_values"], written["tabular"]["inputs"][2], rtol=1e-6
    )
    assert body["label_name"] in ("benign", "malignant")
    assert body["methods"][0]["shape"] == [5]


# --------------------------------------------------------------------------
# Binary routes.


@pytest.mark.parametrize("step", [0, 10])
def test_map_is_the_float32_map_written(client, written, step):
    response = get(client, "map", run=IMAGES, method=METHOD, sample=7, step=step)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Dtype"] == "float32"
    assert response.headers["X-Shape"] == "8,8"
    assert response.headers["X-Step"] == str(step)
    expected = written["images"]["attributions"][(METHOD, step)][7]
    # float16 keeps ~3 significant digits of values scaled to [-1, 1].
    np.testing.assert_allclose(
        decode(response), expected, atol=1e-3 * np.abs(expected).max()
    )


def test_map_abs_view_and_default_step(client, written):
    response = get(client, "map", run=IMAGES, method=METHOD, sample=1, view="abs")
    assert response.headers["X-Step"] == "10"
    expected = np.abs(written["images"]["attributions"][(METHOD, 10)][1])
    np.testing.assert_allclose(decode(response), expected, atol=1e-3 * expected.max())


def test_input_is_the_probe_input_as_written(client, written):
    response = get(client, "input", run=IMAGES, sample=3)
    assert response.status_code == 200
    assert response.headers["X-Dtype"] == "uint8"
    assert response.headers["X-Shape"] == "8,8,1"
    inputs = written["images"]["inputs"]
    low, high = inputs.min(), inputs.max()
    expected = np.round((inputs[3] - low) / (high - low) * 255).astype(np.uint8)
    np.testing.assert_array_equal(decode(response), expected)
    tabular = decode(get(client, "input", run=TABULAR, sample=0, input=0))
    np.testing.assert_allclose(tabular, written["tabular"]["inputs"][0])


# --------------------------------------------------------------------------
# History, global view, quality.


def test_history_follows_the_sample_over_steps(client, written):
    body = get_json(client, "history", run=IMAGES, sample=2)
    label = int(written["images"]["labels"][2])
    assert body["steps"] == [0, 5, 10]
    for k, step in enumerate(body["steps"]):
        predictions = written["images"]["predictions"][step][2]
        assert body["predicted"][k] == int(predictions.argmax())
        assert body["target_probability"][k] == pytest.approx(predictions.max())
        assert body["label_probability"][k] == pytest.approx(predictions[label])
        maps = written["images"]["attributions"][(METHOD, step)]
        expected, scale = maps[2], float(np.abs(maps).max())
        assert body["methods"][METHOD]["sum"][k] == pytest.approx(
            float(expected.sum()), abs=64e-3 * scale
        )
        assert body["methods"][METHOD]["max_abs"][k] == pytest.approx(
            float(np.abs(expected).max()), abs=1e-3 * scale
        )


def test_global_rows_are_mean_absolute_maps_per_class(client, written):
    body = get_json(client, "global", run=IMAGES, method=METHOD, step=5)
    maps = written["images"]["attributions"][(METHOD, 5)]
    labels = written["images"]["labels"]
    assert body["step"] == 5 and body["shape"] == [8, 8]
    assert len(body["rows"]) == 11
    rows = [np.abs(maps).mean(axis=0)] + [
        np.abs(maps[labels == c]).mean(axis=0) if (labels == c).any() else None
        for c in range(10)
    ]
    atol = 1e-3 * max(row.max() for row in rows if row is not None)
    for got, expected in zip(body["rows"], rows):
        if expected is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, expected.reshape(-1), atol=atol)
    assert body["weights"][0]["weight_norm"] == 2.0
    assert body["pictures"] is None


def test_quality_lists_the_summary_of_every_step(client):
    body = get_json(client, "quality", run=IMAGES)
    assert body["steps"] == [0, 5, 10]
    entries = body["summary"]["5"]
    assert {(e["metric"], e["method"]) for e in entries} == {
        ("completeness", "integrated_gradients"),
        ("completeness", METHOD),
    }


# --------------------------------------------------------------------------
# Report.


def _report_ready() -> bool:
    from tb_explain import report

    return hasattr(report, "build_for_reader") and hasattr(report, "filename")


@pytest.mark.parametrize(
    "report_format, content_type",
    [("html", "text/html"), ("json", "application/json"), ("markdown", None)],
)
def test_report_is_an_attachment_or_a_clear_404(client, report_format, content_type):
    response = get(client, "report", run=IMAGES, format=report_format, lang="en")
    text = response.get_data()
    if not _report_ready():
        assert response.status_code == 404
        assert b"report builder" in text
        return
    from tb_explain import report

    assert response.status_code == 200, text[:300]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    mimetype = response.headers["Content-Type"].split(";")[0]
    expected = report.filename(IMAGES, 10, report_format)
    if mimetype != "application/zip":
        assert urllib.parse.quote(expected, safe="") in disposition
    if content_type is not None:
        assert mimetype == content_type
    else:
        assert mimetype in ("text/markdown", "application/zip")
    assert len(text) > 100


def test_report_rejects_unknown_format_and_language(client):
    response = get(client, "report", run=IMAGES, format="pdf")
    assert response.status_code == 400
    assert "'format'" in response.get_data(as_text=True)
    assert "'pdf'" in response.get_data(as_text=True)
    response = get(client, "report", run=IMAGES, lang="xx")
    assert response.status_code == 400
    response = get(client, "report", run=IMAGES, step=7)
    assert response.status_code == 404


# --------------------------------------------------------------------------
# Caching.


def test_etag_answers_304_when_the_data_is_unchanged(client):
    first = get(client, "samples", run=IMAGES)
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(
        PREFIX + "samples",
        query_string={"run": IMAGES},
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get(
        PREFIX + "samples",
        query_string={"run": IMAGES, "step": 0},
        headers={"If-None-Match": etag},
    )
    assert other.status_code == 200
    assert other.headers["ETag"] != etag


def test_etag_changes_when_a_step_is_added(tmp_path):
    from fixtures_logdirs import write_schema_run

    logdir = str(tmp_path)
    write_schema_run(os.path.join(logdir, "grow"), n=2, steps=(0,))
    app, multiplexer = make_app(logdir)
    client = werkzeug_test.Client(app)
    before = get(client, "samples", run="grow/explain")
    assert json.loads(before.get_data())["step"] == 0
    # A new event file written in the same second may sort before the first
    # (their counters "9" < "10" as text) and TensorBoard's loader follows the
    # last by name: a second later its time stamp orders it.
    time.sleep(1.1)
    write_schema_run(os.path.join(logdir, "grow"), n=2, steps=(3,))
    multiplexer.Reload()
    # The plugin reuses its listing of runs and tags for ListingCache.ttl.
    time.sleep(plugin_data.ListingCache().ttl + 0.1)
    after = client.get(
        PREFIX + "samples",
        query_string={"run": "grow/explain"},
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert json.loads(after.get_data())["step"] == 3


# --------------------------------------------------------------------------
# Hostile inputs.

ROUTES = {
    "run": {"run": IMAGES},
    "samples": {"run": IMAGES},
    "sample": {"run": IMAGES, "sample": "1"},
    "map": {"run": IMAGES, "sample": "1", "method": METHOD},
    "input": {"run": IMAGES, "sample": "1"},
    "history": {"run": IMAGES, "sample": "1"},
    "global": {"run": IMAGES, "method": METHOD},
    "quality": {"run": IMAGES},
}
INT_PARAMS = [(route, "sample") for route in ("sample", "map", "input", "history")]
INT_PARAMS += [(route, "step") for route in ("samples", "sample", "map", "global")]
BAD_INTS = ["", "-1", "NaN", "nan", "1.5", "1e3", "abc", "+1", " 1", "0x10"]
BAD_INTS += ["99999999999", str(2**31), "9" * 400, "١"]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_answers_good_requests(client, route):
    response = get(client, route, **ROUTES[route])
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_missing_run_is_400_and_unknown_run_is_404(client, route):
    query = {k: v for k, v in ROUTES[route].items() if k != "run"}
    response = get(client, route, **query)
    assert response.status_code == 400
    assert response.get_data(as_text=True) == (
        "Invalid argument: Missing parameter 'run'."
    )
    for run in ("nope", "images", "../images/explain", "<script>", "x" * 1024):
        response = get(client, route, **{**query, "run": run})
        assert response.status_code == 404, run
        assert f"No explain data for run {run!r}." in response.get_data(as_text=True)
    response = get(client, route, **{**query, "run": "x" * 5000})
    assert response.status_code == 400


@pytest.mark.parametrize("route, name", INT_PARAMS)
@pytest.mark.parametrize("value", BAD_INTS)
def test_bad_integers_are_400_naming_the_parameter(client, route, name, value):
    response = get(client, route, **{**ROUTES[route], name: value})
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert response.headers["Content-Type"].startswith("text/plain")
    assert f"Parameter {name!r}" in text
    assert repr(value[:80]) in text


@pytest.mark.parametrize("route, name", INT_PARAMS)
def test_repeated_parameters_are_400(client, route, name):
    query = [(k, v) for k, v in ROUTES[route].items() if k != name]
    query += [(name, "1"), (name, "2")]
    response = client.get(PREFIX + route, query_string=query)
    assert response.status_code == 400
    assert f"Parameter {name!r} given 2 times" in response.get_data(as_text=True)


@pytest.mark.parametrize("route", ["sample", "map", "input", "history"])
def test_unknown_sample_is_404(client, route):
    response = get(client, route, **{**ROUTES[route], "sample": "12"})
    assert response.status_code == 404
    assert "no sample 12; the probe has 12 samples" in response.get_data(as_text=True)


@pytest.mark.parametrize("route", ["samples", "sample", "map", "global"])
def test_unknown_step_is_404(client, route):
    response = get(client, route, **{**ROUTES[route], "step": "4"})
    assert response.status_code == 404
    assert "has no step 4" in response.get_data(as_text=True)


@pytest.mark.parametrize("route", ["map", "global"])
@pytest.mark.parametrize("method", ["grad_cam", "attributions", "../smoothgrad"])
def test_unknown_method_is_404(client, route, method):
    response = get(client, route, **{**ROUTES[route], "method": method})
    assert response.status_code == 404
    assert f"has no method {method!r}" in response.get_data(as_text=True)


def test_unknown_input_and_view(client):
    response = get(client, "map", **ROUTES["map"], input="1")
    assert response.status_code == 404
    assert "'attributions/smoothgrad/1'" in response.get_data(as_text=True)
    response = get(client, "input", **ROUTES["input"], input="3")
    assert response.status_code == 404
    response = get(client, "map", **ROUTES["map"], view="log")
    assert response.status_code == 400
    assert "Parameter 'view'" in response.get_data(as_text=True)


# --------------------------------------------------------------------------
# Frontend files.


@pytest.fixture
def frontend(tmp_path, monkeypatch):
    """A frontend folder with known files, and a secret file beside it."""
    root = tmp_path / "frontend"
    (root / "views").mkdir(parents=True)
    (root / "index.js").write_text("export function render() {}\n")
    (root / "style.css").write_text("body { margin: 0; }\n")
    (root / "views" / "gallery.js").write_text("export const x = 1;\n")
    (root / "notes.txt").write_text("not served\n")
    (tmp_path / "secret.js").write_text("SECRET_CONTENT\n")
    monkeypatch.setattr(assets, "frontend_dir", lambda: str(root))
    return root


def test_index_and_static_files_are_served(client, frontend):
    response = client.get(PREFIX + "index.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.get_data() == b"export function render() {}\n"
    again = client.get(
        PREFIX + "index.js", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    css = client.get(PREFIX + "static/style.css")
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    view = client.get(PREFIX + "static/views/gallery.js")
    assert view.get_data() == b"export const x = 1;\n"


TRAVERSALS = [
    "static/../secret.js",
    "static/%2e%2e/secret.js",
    "static/%2E%2E%2Fsecret.js",
    "static/..%2fsecret.js",
    "static/....//secret.js",
    "static/..%252fsecret.js",
    "static/%252e%252e%252fsecret.js",
    "static//etc/passwd",
    "static/%2fetc%2fpasswd",
    "static/..\\secret.js",
    "static/..%5csecret.js",
    "static/C:\\secret.js",
    "static/views/../../secret.js",
    "static/notes.txt",
    "static/missing.js",
    "static/",
    "static/index.js%00.css",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_paths_outside_the_whitelist_are_404(client, frontend, path):
    response = client.get(PREFIX + path)
    assert response.status_code == 404, path
    assert b"SECRET_CONTENT" not in response.get_data()
    assert b"root:" not in response.get_data()


def test_missing_frontend_is_404_not_500(client, monkeypatch):
    monkeypatch.setattr(assets, "frontend_dir", lambda: None)
    response = client.get(PREFIX + "index.js")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == (
        "Not found: No frontend file 'index.js'."
    )


def test_frontend_dir_prefers_the_installed_package(tmp_path):
    files = assets.list_files(None)
    assert files == {}
    found = assets.frontend_dir()
    assert found is None or os.path.basename(found) == "frontend"


# --------------------------------------------------------------------------
# The parameter helper on its own.


def test_params_helper_reads_plain_decimal_integers():
    from werkzeug.datastructures import MultiDict

    assert params.get_int(MultiDict({"step": "0"}), "step") == 0
    assert params.get_int(MultiDict({"step": str(2**31 - 1)}), "step") == 2**31 - 1
    assert params.get_int(MultiDict(), "step", required=False) is None
    assert params.get_choice(MultiDict(), "view", ("signed", "abs"), "signed") == (
        "signed"
    )
