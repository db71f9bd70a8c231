"""Warnings found in the data: the report's data-driven limitations.

Each finding is ``{"key", "severity", ...numbers and names}``; the document
turns it into a sentence from the catalogue. Severity orders them: 3 a failed
check, 2 evidence too weak to rely on, 1 something a reader should know.
"""

from __future__ import annotations

import math

FEW_SAMPLES = 30
CONFIDENT = 0.9


def number(value) -> float:
    """A fact as a float: NaN for None and for JSON's "NaN" / "Infinity"."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


IMBALANCE_RATIO = 3.0
CHANGED_RHO = 0.5
RISE = 1.1


def findings(facts: dict) -> list[dict]:
    """Every finding in ``facts``, most severe first."""
    found = (
        _quality(facts)
        + _evidence(facts)
        + _performance(facts)
        + _explanations(facts)
        + _training(facts)
    )
    return sorted(found, key=lambda f: -f["severity"])


def _quality(facts: dict) -> list[dict]:
    quality = facts["quality"]
    if quality["step"] is None:
        return [{"key": "no_quality", "severity": 2}]
    result = []
    for row in quality["checks"]:
        outside = (row.get("n_warn") or 0) + (row.get("n_fail") or 0)
        if row["status"] == "pass" and not outside:
            continue
        result.append(
            {
                "key": "check_outside" if outside else "check_status",
                # A failed check first, then a warned one, then a passed
                # check with samples outside its rule.
                "severity": {"fail": 3, "warn": 2}.get(row["status"], 1),
                "metric": row["metric"],
                "method": row["method"],
                "status": row["status"],
                "count": outside,
                "n": row.get("n") or 0,
                "threshold": row.get("threshold"),
            }
        )
    return result


def _evidence(facts: dict) -> list[dict]:
    result = []
    count = facts["probe"]["count"]
    if count < FEW_SAMPLES:
        result.append({"key": "few_samples", "severity": 2, "n": count})
    if not facts["probe"]["has_labels"]:
        result.append({"key": "no_labels", "severity": 2})
    missing = [m for m in facts["configured_methods"] if m not in facts["methods"]]
    if missing:
        result.append({"key": "methods_missing", "severity": 1, "methods": missing})
    if facts["task"]["n_inputs"] > 1:
        result.append({"key": "first_input_only", "severity": 1})
    return result


def _performance(facts: dict) -> list[dict]:
    perf = facts["performance"]
    if perf["kind"] != "classification":
        return []
    result = []
    interval, majority = perf["interval"], perf["majority"]
    if interval and interval[0] <= majority["share"]:
        result.append({"key": "near_majority", "severity": 2, **majority})
    confident = [
        c
        for c in facts["cases"]
        if c["kind"] == "mistake" and number(c["predicted"]["probability"]) >= CONFIDENT
    ]
    mistakes = perf["n"] - perf["correct"]
    if confident:
        result.append({"key": "confident_mistakes", "severity": 1, "count": mistakes})
    counts = [row["support"] for row in perf["per_class"]]
    if counts and (min(counts) == 0 or max(counts) >= IMBALANCE_RATIO * min(counts)):
        result.append(
            {"key": "imbalance", "severity": 1, "low": min(counts), "high": max(counts)}
        )
    return result


def _explanations(facts: dict) -> list[dict]:
    result = []
    for row in facts["agreement"]:
        if row["mean"] is not None and row["mean"] < row["threshold"]:
            result.append({"key": "low_agreement", "severity": 1, **row})
    for row in facts["drift"]:
        if row["rho"] is not None and row["rho"] < CHANGED_RHO:
            result.append({"key": "importance_changed", "severity": 1, **row})
    return result


def _training(facts: dict) -> list[dict]:
    values = facts["training"]["logs"].get("val_loss") or []
    finite = [(s, v) for s, v in values if isinstance(v, float) and math.isfinite(v)]
    if len(finite) < 3:
        return []
    low_step, low = min(finite, key=lambda item: item[1])
    last_step, last = finite[-1]
    if last > RISE * low and last_step > low_step:
        return [
            {
                "key": "val_loss_rising",
                "severity": 1,
                "low": low,
                "low_step": low_step,
                "last": last,
                "last_step": last_step,
            }
        ]
    return []
