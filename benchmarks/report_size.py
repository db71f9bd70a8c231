"""How long the HTML report takes to build, and how big it is, for a large run.

Writes a run of 256 probe images (28 x 28, 10 classes) x 50 steps with three
methods, quality figures and weight pictures through ``summary.SummaryWriter``,
then builds the HTML report from the logdir and prints the seconds and the
size. Targets: <= 10 s and <= 5 MB.

Usage:
    python benchmarks/report_size.py [--probes 256] [--steps 50] [--lang en]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from tb_explain import report, summary

METHODS = ("integrated_gradients", "smoothgrad", "grad_cam")
SHAPE = (28, 28)
CLASSES = 10


def write_run(run_dir: str, probes: int, steps: int, seed: int = 0) -> None:
    """Writes every tag the callback writes for ``steps`` steps."""
    rng = np.random.default_rng(seed)
    writer = summary.SummaryWriter(os.path.join(run_dir, "explain"))
    labels = rng.integers(0, CLASSES, size=probes).astype(np.int32)
    images = rng.integers(0, 256, size=(probes, *SHAPE, 1)).astype(np.uint8)
    writer.write_array(summary.probe_inputs_tag(0), images, 0)
    writer.write_array(summary.PROBE_LABELS, labels, 0)
    writer.write_json(summary.RUN_MODEL, _model(), 0)
    writer.write_json(summary.RUN_CONFIG, _config(probes), 0)
    for index in range(steps):
        step = index * 100
        scales = _write_step(writer, rng, labels, step, index / max(steps - 1, 1))
        writer.write_json(
            summary.STEP_INFO,
            {
                "step": step,
                "epoch": index,
                "weights_sha256": f"{index:064x}",
                "methods": list(METHODS),
                "scales": scales,
            },
            step,
        )
    writer.close()


def _write_step(writer, rng, labels, step: int, progress: float) -> dict:
    probes = len(labels)
    logits = rng.normal(size=(probes, CLASSES)) + 4 * progress * np.eye(CLASSES)[labels]
    predictions = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    writer.write_array(summary.PREDICTIONS, predictions.astype(np.float32), step)
    writer.write_array(summary.TARGETS, predictions.argmax(1).astype(np.int32), step)
    scales = {}
    for method in METHODS:
        maps = rng.normal(scale=1e-3, size=(probes, *SHAPE)).astype(np.float32)
        tag = summary.attributions_tag(method)
        scales[tag] = writer.write_map(tag, maps, step)
        rows = [np.abs(maps).mean(0)] + [
            np.abs(maps[labels == c]).mean(0) for c in range(CLASSES)
        ]
        tag = summary.importance_tag(method)
        scales[tag] = writer.write_map(tag, np.stack(rows), step)
    writer.write_array(
        summary.quality_tag("completeness", "integrated_gradients"),
        rng.uniform(0, 0.1, probes).astype(np.float32),
        step,
    )
    writer.write_json(summary.QUALITY_SUMMARY, [_quality_row(probes)], step)
    writer.write_array(summary.log_tag("loss"), np.float32(2 - progress), step)
    writer.write_array(summary.log_tag("val_loss"), np.float32(2.1 - progress), step)
    pictures = rng.normal(size=(16, 3, 3, 1)).astype(np.float32)
    scales[summary.WEIGHT_PICTURES] = writer.write_map(
        summary.WEIGHT_PICTURES, pictures, step
    )
    return scales


def _quality_row(probes: int) -> dict:
    return {
        "metric": "completeness",
        "method": "integrated_gradients",
        "value": 0.04,
        "interval": [0.03, 0.05],
        "n": probes,
        "threshold": 0.05,
        "fail_threshold": 0.1,
        "status": "pass",
    }


def _model() -> dict:
    layer = {
        "name": "conv",
        "class": "Conv2D",
        "output_shape": [None, 26, 26, 16],
        "params": 160,
        "activation": "relu",
        "regularizers": [],
    }
    return {
        "name": "cnn",
        "class": "Sequential",
        "layers": [layer],
        "total_params": 160,
        "trainable_params": 160,
        "optimizer": {"name": "Adam", "config": {"learning_rate": 0.001}},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    }


def _config(probes: int) -> dict:
    return {
        "task": "multiclass",
        "modality": "image",
        "n_outputs": CLASSES,
        "n_classes": CLASSES,
        "class_names": [f"class {i}" for i in range(CLASSES)],
        "inputs": [{"name": "image", "shape": [*SHAPE, 1], "modality": "image"}],
        "methods": [{"key": m, "name": m} for m in METHODS],
        "probe": {"count": probes, "ids": [str(i) for i in range(probes)]},
        "baselines": {"kind": "zeros"},
        "target": "predicted",
        "quality": True,
        "versions": {"tb_explain": "benchmark"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=256)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logdir:
        started = time.perf_counter()
        write_run(os.path.join(logdir, "big"), args.probes, args.steps)
        written = time.perf_counter() - started
        started = time.perf_counter()
        page = report.build(logdir, "big", "html", args.lang)
        seconds = time.perf_counter() - started
    size = len(page.encode("utf-8")) / 1e6
    print(f"probes={args.probes} steps={args.steps} written in {written:.1f} s")
    print(f"HTML report: {seconds:.2f} s, {size:.2f} MB (targets <= 10 s, <= 5 MB)")


if __name__ == "__main__":
    main()
