"""How concentrated an attribution map is: entropy and Gini index of ``|a|``.

Informative figures for readability: a map spread evenly over every unit is
hard to read, one concentrated on a few units is easy (which says nothing about
whether it is right).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from tb_explain.quality import _arrays


def _shares(attributions: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``p = |a| / sum|a|`` per sample, and a mask of samples with sum > 0."""
    magnitudes = np.abs(_arrays.flatten(_arrays.as_batch_array(attributions, "a")))
    if magnitudes.shape[1] < 2:
        raise ValueError(
            "`attributions` need at least 2 features per sample. "
            f"Received: shape {magnitudes.shape}."
        )
    totals = magnitudes.sum(axis=1, keepdims=True)
    valid = totals[:, 0] > 0
    return magnitudes / np.where(totals > 0, totals, 1.0), valid


def entropy(attributions: ArrayLike) -> np.ndarray:
    """Normalised entropy of the attribution mass, per sample.

    H = -sum_i p_i log(p_i) / log(n), with p = |a| / sum|a| over the n
    flattened features and 0 log 0 = 0: 1 for a uniform map, 0 for a map on a
    single feature.

    Args:
        attributions: ``(batch, ...)``, at least 2 features per sample.

    Returns:
        ``(batch,)`` float64 in [0, 1]; NaN for an all-zero map.
    """
    shares, valid = _shares(attributions)
    logs = np.log(np.where(shares > 0, shares, 1.0))
    value = -(shares * logs).sum(axis=1) / np.log(shares.shape[1])
    return np.where(valid, np.clip(value, 0.0, 1.0), np.nan)


def gini(attributions: ArrayLike) -> np.ndarray:
    """Gini index of ``|a|`` per sample (Hurley and Rickard's sparsity form).

    With c the n magnitudes sorted ascending, G = 1 - 2 sum_k (c_k / sum c)
    (n - k + 1/2) / n for k = 1..n: 0 for a uniform map, 1 - 1/n for a map on
    a single feature.

    Args:
        attributions: ``(batch, ...)``, at least 2 features per sample.

    Returns:
        ``(batch,)`` float64 in [0, 1); NaN for an all-zero map.
    """
    shares, valid = _shares(attributions)
    n = shares.shape[1]
    ordered = np.sort(shares, axis=1)
    weights = (n - np.arange(1, n + 1) + 0.5) / n
    value = 1.0 - 2.0 * (ordered * weights).sum(axis=1)
    return np.where(valid, value, np.nan)
