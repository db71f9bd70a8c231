"""How far to trust the explanations: the quality figures the callback wrote.

Reads ``quality/summary`` (probe-level value, interval, rule and status per
metric and method) and the per-sample ``quality/<metric>/<method>`` arrays at
the last quality step at or before the explained step.
"""

from __future__ import annotations

import numpy as np

from tb_explain import summary
from tb_explain.report.rundata import RunData

CHECKED = ("pass", "warn", "fail")
SEVERITY = {"pass": 0, "warn": 1, "fail": 2}


def quality_step(reader, step: int) -> int | None:
    """The last step with a quality summary at or before ``step``."""
    steps = [s for s in reader.steps(summary.QUALITY_SUMMARY) if s <= step]
    return steps[-1] if steps else None


def worst(statuses) -> str | None:
    """The worst of pass / warn / fail (None when there is none)."""
    found = [s for s in statuses if s in SEVERITY]
    return max(found, key=SEVERITY.get) if found else None


def quality(data: RunData) -> tuple[dict, dict]:
    """Quality facts and the per-sample arrays behind them.

    Returns:
        ``(facts, values)``: facts ``{"step", "checks", "info", "status",
        "fill"}`` (``step`` None when nothing was recorded) and values
        ``"<metric>/<method>" -> (batch,)`` for the checked metrics.
    """
    reader = data.reader
    step = quality_step(reader, data.step)
    facts = {"step": step, "checks": [], "info": [], "status": None}
    facts["fill"] = _fill(data.config)
    if step is None:
        return facts, {}
    if step in reader.steps(summary.QUALITY_INFO):
        facts["fill"]["recorded"] = reader.at(summary.QUALITY_INFO, step).value["fill"]
    values = {}
    for entry in reader.at(summary.QUALITY_SUMMARY, step).value or []:
        row = _row(entry)
        per_sample = _per_sample(reader, row, step)
        if row["status"] in CHECKED:
            if per_sample is not None:
                values[f"{row['metric']}/{row['method']}"] = per_sample
            _fill_counts(row, per_sample)
            facts["checks"].append(row)
        else:
            facts["info"].append(row)
    facts["status"] = worst(row["status"] for row in facts["checks"])
    return facts, values


def _row(entry: dict) -> dict:
    keys = ("metric", "method", "value", "interval", "n", "rule", "threshold")
    row = {key: entry.get(key) for key in keys}
    row["fail_threshold"] = entry.get("fail_threshold")
    row["direction"] = entry.get("direction")
    row["status"] = str(entry.get("status") or "info")
    row["n_warn"] = entry.get("n_warn")
    row["n_fail"] = entry.get("n_fail")
    row["value"] = _number(row["value"])
    return row


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _per_sample(reader, row: dict, step: int) -> np.ndarray | None:
    tag = summary.quality_tag(str(row["metric"]), str(row["method"]))
    if step not in reader.steps(tag):
        return None
    return np.asarray(reader.at(tag, step).value, np.float64).reshape(-1)


def _fill_counts(row: dict, per_sample: np.ndarray | None) -> None:
    """Counts samples outside the pass rule when the writer did not."""
    if row["n_warn"] is not None or per_sample is None:
        return
    finite = per_sample[np.isfinite(per_sample)]
    if row["threshold"] is None or not finite.size:
        return
    verdicts = summary.judge(row, finite)
    row["n_warn"] = int((verdicts == "warn").sum())
    row["n_fail"] = int((verdicts == "fail").sum())
    row["n"] = row["n"] if row["n"] is not None else int(finite.size)


def _fill(config: dict) -> dict:
    """The fill of the deletion test: the callback's baselines."""
    baselines = config.get("baselines") or {}
    return {"kind": baselines.get("kind", "zeros"), "value": baselines.get("value")}


def baseline_outputs(data: RunData, facts: dict) -> np.ndarray | None:
    """Per-sample output on the baseline ``f(x')[t]`` recorded at the step.

    The callback records it in ``quality/info`` when integrated gradients
    were checked; None when nothing was recorded at the explained step.
    """
    if facts.get("step") != data.step:
        return None
    reader = data.reader
    if data.step not in reader.steps(summary.QUALITY_INFO):
        return None
    recorded = reader.at(summary.QUALITY_INFO, data.step).value.get("output_baselines")
    if recorded is None:
        return None
    return np.asarray(
        [np.nan if isinstance(v, str) or v is None else v for v in recorded],
        np.float64,
    )
