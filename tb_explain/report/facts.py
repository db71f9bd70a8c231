"""Facts: everything the report states, gathered from one run at one step.

:func:`gather` reads a run through :mod:`tb_explain.report.rundata` and
computes every number the document prints. The facts are JSON-able (the JSON
format is these facts) and language-free; the arrays that figures need travel
beside them in :attr:`Facts.arrays`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging

import numpy as np

from tb_explain import summary
from tb_explain._version import __version__
from tb_explain.report import (
    cases,
    drivers,
    findings,
    performance,
    rundata,
    trust,
)

logger = logging.getLogger(__name__)

REPORT_SCHEMA_VERSION = 1


@dataclasses.dataclass
class Facts:
    """The facts of one report.

    Attributes:
        data: JSON-able facts (what the JSON format holds).
        arrays: Arrays for the figures: ``inputs``, ``maps``, ``magnitudes``,
            ``importance``, ``quality`` (per-sample values), ``pictures``.
    """

    data: dict
    arrays: dict


def gather(reader, step: int | None = None, logdir: str | None = None) -> Facts:
    """Gathers the facts of the run ``reader`` reads, at ``step``.

    Args:
        reader: A :class:`tb_explain.summary.RunReader`.
        step: The step to explain (None: the last step with predictions).
        logdir: The logdir, used only to name a run read from its own folder.

    Returns:
        :class:`Facts`.

    Raises:
        ValueError: When the run holds no explain data or ``step`` is unknown.
    """
    data = rundata.load(reader, step, logdir)
    quality, quality_values = trust.quality(data)
    facts = _run_facts(data)
    facts["performance"] = performance.performance(data)
    facts["importance"] = drivers.global_importance(data)
    facts["drift"] = drivers.drift(data)
    facts["agreement"] = drivers.agreement(data)
    recorded = trust.baseline_outputs(data, quality)
    facts["cases"] = [
        cases.describe(data, kind, index, recorded)
        for kind, index in cases.choose(data)
    ]
    facts["quality"] = quality
    facts["findings"] = findings.findings(facts)
    facts = summary.to_jsonable(facts)
    facts["data_sha256"] = fingerprint(facts)
    facts["generated"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"
    )
    return Facts(facts, _arrays(data, quality_values))


def fingerprint(facts: dict) -> str:
    """SHA-256 of the facts' canonical JSON, without the date and itself."""
    kept = {k: v for k, v in facts.items() if k not in ("generated", "data_sha256")}
    text = json.dumps(kept, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run_facts(data: rundata.RunData) -> dict:
    config = data.config
    return {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "run": data.run,
        "step": data.step,
        "epoch": data.info.get("epoch"),
        "step_kind": data.info.get("kind"),
        "steps": data.steps,
        "versions": {"report": __version__, **(config.get("versions") or {})},
        "weights_sha256": data.info.get("weights_sha256"),
        "config": config,
        "methods": data.methods,
        "configured_methods": [m.get("key") for m in config.get("methods", [])],
        "method_labels": {
            m.get("key"): m.get("label") or m.get("name") or m.get("key")
            for m in config.get("methods", [])
        },
        "task": _task(data),
        "model": data.model,
        "training": _training(data),
        "probe": _probe(data),
        "weights": _weights(data),
    }


def _task(data: rundata.RunData) -> dict:
    config = data.config
    return {
        "task": data.task,
        "modality": data.modality,
        "n_outputs": int(data.predictions.shape[1]),
        "n_classes": len(data.class_names),
        "class_names": data.class_names,
        "feature_names": data.unit_names(),
        "n_inputs": len(config.get("inputs") or [None]),
        "input_shape": (config.get("inputs") or [{}])[0].get("shape"),
        "target": config.get("target"),
    }


def _training(data: rundata.RunData) -> dict:
    logs = {
        name: [
            (step, float(np.asarray(value).reshape(-1)[0]))
            for step, value in rundata.series(data.reader, summary.log_tag(name))
            if np.asarray(value).size
        ]
        for name in rundata.log_names(data.reader)
    }
    epochs = [
        info.get("epoch")
        for _, info in rundata.series(data.reader, summary.STEP_INFO)
        if isinstance(info, dict)
    ]
    epochs = [e for e in epochs if isinstance(e, int)]
    return {"logs": logs, "epochs": max(epochs) if epochs else None}


def _probe(data: rundata.RunData) -> dict:
    probe = data.config.get("probe") or {}
    result = {
        "count": data.count,
        "ids": data.ids,
        "has_labels": data.labels is not None,
        "declared_count": probe.get("count"),
        "class_counts": None,
        "label_range": None,
    }
    if data.labels is None:
        return result
    if data.task == "regression":
        values = data.labels.reshape(-1)
        result["label_range"] = [
            float(values.min()),
            float(np.median(values)),
            float(values.max()),
        ]
    else:
        width = max(len(data.class_names), int(data.labels.max()) + 1)
        result["class_counts"] = np.bincount(data.labels, minlength=width).tolist()
    return result


def _weights(data: rundata.RunData) -> dict:
    reader = data.reader
    stats = [(s, v) for s, v in rundata.series(reader, summary.WEIGHT_STATS)]
    stats = [(s, v) for s, v in stats if s <= data.step]
    pictures = data.step in reader.steps(summary.WEIGHT_PICTURES)
    return {
        "step": stats[-1][0] if stats else None,
        "stats": stats[-1][1] if stats else [],
        "pictures": pictures,
    }


def _arrays(data: rundata.RunData, quality_values: dict) -> dict:
    reader = data.reader
    pictures = None
    if data.step in reader.steps(summary.WEIGHT_PICTURES):
        pictures = np.asarray(reader.at(summary.WEIGHT_PICTURES, data.step).value)
    return {
        "inputs": data.inputs,
        "maps": data.maps,
        "magnitudes": data.magnitudes,
        "importance": data.importance,
        "quality": quality_values,
        "pictures": pictures,
    }
