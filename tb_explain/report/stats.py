"""Small statistics the report computes from the written arrays.

Pure numpy, no TensorFlow: the report must load fast inside TensorBoard and on
the command line.
"""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054


def wilson_interval(successes: int, count: int, z: float = Z_95) -> tuple:
    """The Wilson score interval of a proportion.

    Args:
        successes: Number of successes, ``0 <= successes <= count``.
        count: Number of trials, ``count >= 1``.
        z: Normal quantile (1.96 for 95%).

    Returns:
        ``(low, high)`` in [0, 1].
    """
    if count <= 0:
        raise ValueError(f"`count` must be >= 1. Received: count={count!r}")
    p = successes / count
    denominator = 1.0 + z * z / count
    centre = (p + z * z / (2 * count)) / denominator
    half = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    half /= denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    """``(n, n)`` counts: row the true class, column the predicted class."""
    matrix = np.zeros((n, n), dtype=np.int64)
    valid = (labels >= 0) & (labels < n) & (predicted >= 0) & (predicted < n)
    np.add.at(matrix, (labels[valid], predicted[valid]), 1)
    return matrix


def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> dict:
    """MAE, RMSE and R² over every output, with the sample count."""
    y = np.asarray(labels, np.float64).reshape(len(labels), -1)
    f = np.asarray(predictions, np.float64).reshape(len(predictions), -1)
    error = f - y
    total = float(((y - y.mean(axis=0)) ** 2).sum())
    r2 = 1.0 - float((error**2).sum()) / total if total > 0 else None
    return {
        "n": int(len(y)),
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt((error**2).mean())),
        "r2": r2,
    }


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, ties given their average rank (from 1)."""
    values = np.asarray(values, np.float64)
    flat = values.reshape(-1, values.shape[-1])
    order = np.argsort(flat, axis=1, kind="stable")
    ranked = np.take_along_axis(flat, order, axis=1)
    ranks = np.empty_like(flat)
    columns = flat.shape[1]
    for row in range(flat.shape[0]):
        starts = np.flatnonzero(np.r_[True, ranked[row, 1:] != ranked[row, :-1]])
        ends = np.r_[starts[1:], columns]
        mean_rank = (starts + ends + 1) / 2.0
        ranks[row, order[row]] = np.repeat(mean_rank, ends - starts)
    return ranks.reshape(values.shape)


def spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation row by row (NaN for a constant row).

    Args:
        a: ``(batch, units)`` scores.
        b: ``(batch, units)`` scores.

    Returns:
        ``(batch,)`` correlations in [-1, 1].
    """
    ra = average_ranks(np.nan_to_num(a))
    rb = average_ranks(np.nan_to_num(b))
    ra -= ra.mean(axis=-1, keepdims=True)
    rb -= rb.mean(axis=-1, keepdims=True)
    norm = np.sqrt((ra**2).sum(axis=-1) * (rb**2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (ra * rb).sum(axis=-1) / norm, np.nan)


def finite_mean(values) -> float | None:
    """Mean of the finite values, or None when there are none."""
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def shares(magnitudes: np.ndarray) -> np.ndarray:
    """Each unit's share of the total of ``magnitudes`` (zeros when empty)."""
    magnitudes = np.nan_to_num(np.asarray(magnitudes, np.float64))
    total = magnitudes.sum()
    return magnitudes / total if total > 0 else np.zeros_like(magnitudes)
