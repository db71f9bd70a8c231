"""Case studies: which probe samples to show, and their reasons in plain words.

Chooses typical cases, the most confident mistakes and borderline cases from
the predictions and labels at the explained step, and turns each case's
attributions into at most four reasons with their share of the total
``|attribution|``.
"""

from __future__ import annotations

import numpy as np

from tb_explain.report import drivers, regions
from tb_explain.report.rundata import RunData

PER_KIND = 2
MAX_REASONS = 4
MIN_REGION_SHARE = 0.15
MIN_UNIT_SHARE = 0.02
BORDERLINE_MARGIN = 0.2
"""Largest gap between the two most likely classes that counts as borderline."""


def choose(data: RunData) -> list[tuple[str, int]]:
    """``[(kind, index), ...]`` with kind ``typical``, ``mistake`` or
    ``borderline``; each sample appears once."""
    if data.task == "regression":
        return _choose_regression(data)
    probs = data.class_probabilities()
    predicted = data.predicted_classes()
    confidence = probs[np.arange(data.count), predicted]
    top_two = np.sort(probs, axis=1)[:, -2:]
    margin = top_two[:, 1] - top_two[:, 0]
    correct = (
        predicted == data.labels
        if data.labels is not None
        else np.ones(data.count, bool)
    )
    chosen: list[tuple[str, int]] = []
    wrong = np.flatnonzero(~correct)
    _add(chosen, "mistake", wrong[np.argsort(-confidence[wrong], kind="stable")])
    right = np.flatnonzero(correct)
    median = np.median(confidence[right]) if right.size else 0.0
    _add(chosen, "typical", right[np.argsort(np.abs(confidence[right] - median))])
    _add(chosen, "borderline", np.argsort(margin, kind="stable"))
    return _ordered(chosen)


def _choose_regression(data: RunData) -> list[tuple[str, int]]:
    chosen: list[tuple[str, int]] = []
    if data.labels is None:
        values = data.predictions[:, 0]
        _add(chosen, "typical", np.argsort(np.abs(values - np.median(values))))
        return chosen
    error = np.abs(data.predictions - data.labels).mean(axis=1)
    _add(chosen, "mistake", np.argsort(-error, kind="stable"))
    _add(chosen, "typical", np.argsort(np.abs(error - np.median(error))))
    return _ordered(chosen)


def _add(chosen: list, kind: str, candidates) -> None:
    taken = {index for _, index in chosen}
    added = 0
    for index in candidates:
        if added == PER_KIND:
            break
        if int(index) not in taken:
            chosen.append((kind, int(index)))
            added += 1


def _ordered(chosen: list) -> list:
    rank = {"typical": 0, "mistake": 1, "borderline": 2}
    return sorted(chosen, key=lambda item: rank[item[0]])


def describe(data: RunData, kind: str, index: int, baseline_outputs=None) -> dict:
    """The facts of one case.

    Args:
        data: The run at its step.
        kind: ``typical``, ``mistake`` or ``borderline``.
        index: The probe sample.
        baseline_outputs: ``(batch,)`` the output on the baseline ``f(x')[t]``
            recorded with integrated gradients at this step, or None.

    Returns:
        A JSON-able dict: ids, true and predicted values, the explained
        output, the model's output on the baseline (when known) and reasons.
    """
    target = _target(data, index)
    output = float(data.predictions[index, min(target, data.predictions.shape[1] - 1)])
    case = {
        "kind": kind,
        "index": index,
        "id": data.ids[index],
        "true": _true(data, index),
        "predicted": _predicted(data, index),
        "target": target,
        "output": output,
        "baseline_output": None,
        "baseline_source": None,
        "reasons": [],
    }
    if data.methods:
        case.update(_baseline(data, index, output, baseline_outputs))
        case["reasons"] = reasons(data, data.methods[0], index)
    return case


def _target(data: RunData, index: int) -> int:
    if data.targets is not None and index < len(data.targets):
        return int(data.targets[index])
    if data.predictions.shape[1] == 1:
        return 0
    return int(data.predicted_classes()[index])


def _true(data: RunData, index: int):
    if data.labels is None:
        return None
    value = data.labels[index]
    return [float(v) for v in value] if data.task == "regression" else int(value)


def _predicted(data: RunData, index: int) -> dict:
    if data.task == "regression":
        return {"value": [float(v) for v in data.predictions[index]]}
    predicted = int(data.predicted_classes()[index])
    probs = data.class_probabilities()[index]
    second = np.sort(probs)[-2] if probs.size > 1 else 0.0
    return {
        "class": predicted,
        "probability": float(probs[predicted]),
        "margin": float(probs[predicted] - second),
    }


def _baseline(data: RunData, index: int, output: float, recorded) -> dict:
    method = data.methods[0]
    if method != "integrated_gradients":
        return {}
    if recorded is not None and np.isfinite(recorded[index]):
        return {"baseline_output": float(recorded[index]), "baseline_source": "quality"}
    if len(data.config.get("inputs") or [None]) > 1:
        # The maps cover the first input only: their sum is not f(x) - f(x').
        return {}
    total = float(np.nansum(data.maps[method][index]))
    return {"baseline_output": output - total, "baseline_source": "completeness"}


def reasons(data: RunData, method: str, index: int) -> list[dict]:
    """At most four reasons for one sample from ``method``'s attributions."""
    signed = data.maps[method][index]
    magnitude = data.magnitudes[method][index]
    if drivers.unit_kind(data) == "regions":
        ranked = regions.ranked_regions(magnitude, signed)
        kept = [r for r in ranked if r["share"] >= MIN_REGION_SHARE] or ranked[:1]
        return [{"kind": "region", **r} for r in kept[:MAX_REASONS]]
    names = data.unit_names()
    flat_signed = np.asarray(signed, np.float64).reshape(-1)
    ranked = drivers.ranked_units(magnitude, names)
    kept = [u for u in ranked if u["share"] >= MIN_UNIT_SHARE] or ranked[:1]
    values = _input_values(data, index)
    return [
        {
            "kind": "feature" if names or data.modality == "tabular" else "position",
            "unit": u["unit"],
            "name": u["name"],
            "share": u["share"],
            "attribution": float(flat_signed[u["unit"]]),
            "sign": int(np.sign(flat_signed[u["unit"]])),
            "value": None if values is None else float(values[u["unit"]]),
        }
        for u in kept[:MAX_REASONS]
    ]


def _input_values(data: RunData, index: int):
    if data.inputs is None or data.modality != "tabular" or index >= len(data.inputs):
        return None
    values = np.asarray(data.inputs[index], np.float64).reshape(-1)
    return values if values.size else None
