"""Performance on the probe: accuracy with its interval, confusion, per class.

Computed from the written predictions and labels, never from the Keras logs,
so the figure printed is the one a reader can recompute from the logdir.
"""

from __future__ import annotations

import numpy as np

from tb_explain import summary
from tb_explain.report import stats
from tb_explain.report.rundata import RunData

MIN_INTERVAL_COUNT = 10


def performance(data: RunData) -> dict:
    """Performance facts of ``data`` at its step.

    Returns:
        ``{"kind": "none"}`` without labels; ``{"kind": "regression", "n",
        "mae", "rmse", "r2"}`` for regression; otherwise ``{"kind":
        "classification", "n", "correct", "accuracy", "interval" (None when
        fewer than 10 samples), "majority", "confusion", "per_class",
        "top_confusion", "first"}``.
    """
    if data.labels is None:
        return {"kind": "none"}
    if data.task == "regression":
        result = stats.regression_metrics(data.labels, data.predictions)
        return {"kind": "regression", **result}
    return _classification(data)


def _classification(data: RunData) -> dict:
    labels = data.labels
    predicted = data.predicted_classes()
    n_classes = max(len(data.class_names), int(labels.max()) + 1, 2)
    correct = int((predicted == labels).sum())
    n = int(len(labels))
    counts = np.bincount(labels, minlength=n_classes)
    return {
        "kind": "classification",
        "n": n,
        "correct": correct,
        "accuracy": correct / n,
        "interval": (
            list(stats.wilson_interval(correct, n)) if n >= MIN_INTERVAL_COUNT else None
        ),
        "majority": {"class": int(counts.argmax()), "share": float(counts.max() / n)},
        "confusion": stats.confusion_matrix(labels, predicted, n_classes).tolist(),
        "per_class": _per_class(labels, predicted, n_classes),
        "top_confusion": _top_confusion(labels, predicted, n_classes),
        "first": _first_step_accuracy(data, labels),
    }


def _per_class(labels, predicted, n_classes: int) -> list[dict]:
    rows = []
    for c in range(n_classes):
        support = int((labels == c).sum())
        chosen = int((predicted == c).sum())
        hits = int(((labels == c) & (predicted == c)).sum())
        rows.append(
            {
                "class": c,
                "support": support,
                "predicted": chosen,
                "hits": hits,
                "precision": hits / chosen if chosen else None,
                "recall": hits / support if support else None,
            }
        )
    return rows


def _top_confusion(labels, predicted, n_classes: int) -> dict | None:
    matrix = stats.confusion_matrix(labels, predicted, n_classes)
    np.fill_diagonal(matrix, 0)
    if matrix.max() == 0:
        return None
    true, pred = np.unravel_index(matrix.argmax(), matrix.shape)
    return {"true": int(true), "predicted": int(pred), "count": int(matrix.max())}


def _first_step_accuracy(data: RunData, labels) -> dict | None:
    first = data.steps[0]
    if first == data.step:
        return None
    predictions = np.asarray(data.reader.at(summary.PREDICTIONS, first).value)
    predicted = data.predicted_classes(predictions.reshape(len(predictions), -1))
    correct = int((predicted == labels).sum())
    return {"step": first, "correct": correct, "accuracy": correct / len(labels)}
