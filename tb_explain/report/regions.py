"""Where on an image: a 3 x 3 grid of named regions and their shares.

Image explanations in plain words say "upper left" or "centre" and how much of
the total absolute attribution falls there; the names are catalogue keys.
"""

from __future__ import annotations

import numpy as np

REGION_KEYS = (
    "upper_left",
    "upper_centre",
    "upper_right",
    "middle_left",
    "centre",
    "middle_right",
    "lower_left",
    "lower_centre",
    "lower_right",
)


def _edges(size: int) -> list[int]:
    return [round(size * i / 3) for i in range(4)]


def region_sums(values: np.ndarray) -> np.ndarray:
    """Sums of a ``(height, width)`` map over the nine regions, row-major."""
    values = np.nan_to_num(np.asarray(values, np.float64))
    rows, cols = _edges(values.shape[0]), _edges(values.shape[1])
    sums = [
        values[rows[r] : rows[r + 1], cols[c] : cols[c + 1]].sum()
        for r in range(3)
        for c in range(3)
    ]
    return np.asarray(sums)


def ranked_regions(magnitude: np.ndarray, signed: np.ndarray | None = None) -> list:
    """Regions by their share of the total ``|attribution|``, largest first.

    Args:
        magnitude: ``(height, width)`` absolute attributions.
        signed: ``(height, width)`` signed attributions, for the direction.

    Returns:
        ``[{"region": key, "share": float, "sign": -1|0|1}, ...]`` for the
        nine regions.
    """
    sums = region_sums(magnitude)
    total = sums.sum()
    shares = sums / total if total > 0 else np.zeros_like(sums)
    signs = np.sign(region_sums(signed)) if signed is not None else np.zeros(9)
    order = np.argsort(-shares, kind="stable")
    return [
        {
            "region": REGION_KEYS[i],
            "share": float(shares[i]),
            "sign": int(signs[i]),
        }
        for i in order
    ]
