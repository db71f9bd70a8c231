"""What drives decisions: global importance, its change, method agreement.

All figures are aggregates over the probe with their counts: the mean
``|attribution|`` per unit (the callback's ``importance`` rows), the rank
correlation of that ranking between the first and the explained step, and the
per-sample rank correlation between methods.
"""

from __future__ import annotations

import itertools

import numpy as np

from tb_explain import summary
from tb_explain.report import regions, stats
from tb_explain.report.rundata import RunData

TOP_UNITS = 10
AGREEMENT_OK = 0.5


def unit_kind(data: RunData) -> str:
    """``"features"``, ``"regions"`` (images) or ``"positions"``."""
    if data.modality == "image":
        return "regions"
    if data.modality == "tabular":
        return "features"
    return "positions"


def ranked_units(magnitude: np.ndarray, names: list[str] | None) -> list[dict]:
    """Units of a 1-D ``magnitude`` by share of the total, largest first."""
    magnitude = np.nan_to_num(np.asarray(magnitude, np.float64).reshape(-1))
    share = stats.shares(magnitude)
    order = np.argsort(-magnitude, kind="stable")
    return [
        {
            "unit": int(i),
            "name": names[i] if names else None,
            "value": float(magnitude[i]),
            "share": float(share[i]),
        }
        for i in order
    ]


def _ranking(data: RunData, row: np.ndarray) -> list[dict]:
    kind = unit_kind(data)
    if kind == "regions":
        return regions.ranked_regions(row)
    ranked = ranked_units(row, data.unit_names())[:TOP_UNITS]
    if kind == "positions":
        # Time steps and tokens: "position 3", as in the case reasons.
        ranked = [{**unit, "kind": "position"} for unit in ranked]
    return ranked


def global_importance(data: RunData) -> dict | None:
    """Global importance of the primary method (None without methods)."""
    if not data.methods:
        return None
    method = data.methods[0]
    rows = data.importance[method]
    per_class = [
        {"class": c, "n": _class_count(data, c), "top": _ranking(data, rows[1 + c])[:3]}
        for c in range(min(len(data.class_names), rows.shape[0] - 1))
        if np.isfinite(rows[1 + c]).any()
    ]
    return {
        "method": method,
        "n": data.count,
        "kind": unit_kind(data),
        "units": int(rows[0].size),
        "top": _ranking(data, rows[0]),
        "per_class": per_class,
        "per_class_by": "label" if data.labels is not None else "prediction",
        "top_counts": _top_counts(data, method),
    }


def _class_count(data: RunData, c: int) -> int:
    classes = data.labels if data.labels is not None else data.predicted_classes()
    if classes is None or classes.ndim != 1:
        return 0
    return int((classes == c).sum())


def _top_counts(data: RunData, method: str) -> dict | None:
    """How often the overall top unit is among a sample's three largest."""
    if unit_kind(data) == "regions":
        return None
    magnitude = data.magnitudes[method].reshape(data.count, -1)
    top = int(np.nanargmax(data.importance[method][0].reshape(-1)))
    order = np.argsort(-np.nan_to_num(magnitude), axis=1)[:, :3]
    hits = int((order == top).any(axis=1).sum())
    return {"unit": top, "count": hits, "n": data.count}


def drift(data: RunData) -> list[dict]:
    """Rank correlation of each method's importance, first step to ``step``."""
    result = []
    for method in data.methods:
        tag = summary.importance_tag(method)
        history = [d for d in data.reader.read(tag) if d.step <= data.step]
        if len(history) < 2:
            continue
        first, last = history[0], history[-1]
        rho = stats.spearman(
            np.asarray(first.value[0]).reshape(1, -1),
            np.asarray(last.value[0]).reshape(1, -1),
        )[0]
        result.append(
            {
                "method": method,
                "first_step": first.step,
                "step": last.step,
                "rho": None if not np.isfinite(rho) else float(rho),
                "top_first": _ranking(data, np.asarray(first.value[0]))[:3],
                "n_steps": len(history),
            }
        )
    return result


def agreement(data: RunData) -> list[dict]:
    """Per-sample rank correlation of ``|a|`` between every pair of methods."""
    result = []
    for first, second in itertools.combinations(data.methods, 2):
        a = data.magnitudes[first].reshape(data.count, -1)
        b = data.magnitudes[second].reshape(data.count, -1)
        if a.shape != b.shape or a.shape[1] < 2:
            continue
        rho = stats.spearman(a, b)
        finite = rho[np.isfinite(rho)]
        result.append(
            {
                "methods": [first, second],
                "mean": float(finite.mean()) if finite.size else None,
                "n": int(finite.size),
                "n_agree": int((finite >= AGREEMENT_OK).sum()),
                "threshold": AGREEMENT_OK,
            }
        )
    return result
