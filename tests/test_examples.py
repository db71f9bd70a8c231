"""Every example script runs, in its fast mode, so that none of them rots."""

from __future__ import annotations

import importlib
import os
import sys

import pytest

from tb_explain import summary

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")


@pytest.fixture(scope="module")
def examples_on_path():
    sys.path.insert(0, EXAMPLES)
    yield
    sys.path.remove(EXAMPLES)


def _run(name: str, argv: list[str]):
    module = importlib.import_module(name)
    return module.main(argv)


def test_engine_only(tmp_path, examples_on_path):
    paths = _run("engine_only", ["--fast", "--out", str(tmp_path)])
    assert len(paths) == 7
    for path in paths:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_demo_trains_every_example(tmp_path, examples_on_path):
    """The demo runs the digits, tabular and two-input examples in one logdir."""
    assert _run("demo", ["--fast", "--logdir", str(tmp_path)]) == 0
    logdir = summary.open_logdir(str(tmp_path))
    assert logdir.runs() == [
        "breast_cancer/explain",
        "cnn/explain",
        "dense/explain",
        "prices/explain",
    ]
    cancer = logdir.reader("breast_cancer/explain")
    assert cancer.config()["feature_names"][0] == "mean radius"
    assert cancer.methods() == [
        "integrated_gradients",
        "gradient_x_input",
        "kernel_shap",
    ]
    prices = logdir.reader("prices/explain").config()
    assert prices["task"] == "regression"
    assert [i["name"] for i in prices["inputs"]] == ["house", "market"]
    reports = sorted(os.listdir(tmp_path / "reports"))
    assert len(reports) == 8 and "prices-explain-report-en.html" in reports
    for name in reports:
        text = (tmp_path / "reports" / name).read_text(encoding="utf-8")
        assert "<html" in text[:2000].lower()
