"""The pure functions behind the routes: data in, JSON-ready values out.

Each ``*_impl`` takes a :class:`~tb_explain.plugin.data.Source` or
:class:`~tb_explain.plugin.data.RunData` and parsed arguments, and raises
``errors.NotFoundError`` for what the run does not hold. Nothing here knows
HTTP; :mod:`tb_explain.plugin.plugin` turns the results into responses.
"""

from __future__ import annotations

import logging

import numpy as np
from tensorboard import errors

from tb_explain import summary
from tb_explain.plugin.data import RunData, Source

logger = logging.getLogger(__name__)

REGRESSION = "regression"


def runs_impl(source: Source) -> dict:
    """Every run with explain data, with what the tab needs to list it.

    A run that cannot be read is listed with its ``errors``, never dropped.
    """
    return {"runs": [_run_entry(source, run) for run in source.runs()]}


def _run_entry(source: Source, run: str) -> dict:
    entry = {
        "run": run,
        "modality": None,
        "task": None,
        "probe_count": 0,
        "methods": [],
        "steps": [],
        "class_names": [],
        "feature_names": None,
        "inputs": [],
        "has_quality": False,
        "errors": [],
    }
    try:
        data = source.run(run)
        entry["errors"] = _schema_errors(data)
        entry.update(_run_overview(data))
    except Exception as error:
        # One unreadable run must not hide the others: say why and go on.
        logger.warning("Run %r cannot be listed: %s", run, error, exc_info=True)
        entry["errors"].append(f"{type(error).__name__}: {error}")
    return entry


def _schema_errors(data: RunData) -> list[str]:
    found = []
    for tag in sorted(data.series):
        try:
            version = data.reader.version(tag)
        except ValueError as error:
            found.append(f"Tag {tag!r}: {error}")
            continue
        if version > summary.SCHEMA_VERSION:
            found.append(
                f"Tag {tag!r} uses explain schema version {version}; this "
                f"tb_explain reads up to {summary.SCHEMA_VERSION}: upgrade it."
            )
    return found


def _run_overview(data: RunData) -> dict:
    config = data.config()
    return {
        "modality": config.get("modality"),
        "task": config.get("task"),
        "probe_count": int((config.get("probe") or {}).get("count", 0)),
        "methods": [
            {key: m.get(key) for key in ("key", "name", "label")}
            for m in _methods(data, config)
        ],
        "steps": data.steps(),
        "class_names": config.get("class_names") or [],
        "feature_names": config.get("feature_names"),
        "inputs": [
            {key: spec.get(key) for key in ("name", "shape", "modality", "range")}
            for spec in config.get("inputs", [])
        ],
        "has_quality": bool(data.tags("quality/")),
    }


def _methods(data: RunData, config: dict) -> list[dict]:
    """The configured methods that have attributions, in config order."""
    return [
        m
        for m in config.get("methods", [])
        if data.has(summary.attributions_tag(m.get("key", ""), 0))
    ]


def run_impl(data: RunData) -> dict:
    """The run's config, model, steps, Keras logs and per-step info."""
    logs = {}
    for tag in data.tags("logs/"):
        logs[tag[len("logs/") :]] = [
            [d.step, float(np.asarray(d.value).reshape(-1)[0])]
            for d in data.read(tag)
            if np.asarray(d.value).size
        ]
    info = data.read(summary.STEP_INFO) if data.has(summary.STEP_INFO) else []
    return {
        "config": data.config(),
        "model": data.first(summary.RUN_MODEL) if data.has(summary.RUN_MODEL) else None,
        "steps": data.steps(),
        "logs": logs,
        "step_info": {str(d.step): d.value for d in info},
    }


class _Outcomes:
    """Labels and predictions of the probe at one step, per sample.

    Classification: ``probabilities`` is ``(batch, n_classes)`` (a single
    sigmoid output becomes two columns), ``predicted`` the arg-max class.
    Regression: ``predicted`` holds the raw outputs and ``correct`` is None.
    """

    def __init__(self, data: RunData, step: int):
        config = data.config()
        self.task = config.get("task")
        self.class_names = config.get("class_names") or []
        self.ids = (config.get("probe") or {}).get("ids") or []
        outputs = np.asarray(data.at(summary.PREDICTIONS, step), np.float32)
        self.outputs = outputs.reshape(len(outputs), -1)
        self.count = len(self.outputs)
        labels = (
            data.first(summary.PROBE_LABELS) if data.has(summary.PROBE_LABELS) else None
        )
        self.labels = None if labels is None else np.asarray(labels)
        targets = _at_or_none(data, summary.TARGETS, step)
        self.targets = None if targets is None else np.asarray(targets).reshape(-1)
        if self.targets is not None and self.task != REGRESSION:
            if self.outputs.shape[1] == 1:
                # One sigmoid output is P(class 1), whatever index was written.
                self.targets = np.ones_like(self.targets)
        if self.task == REGRESSION:
            self.probabilities = self.outputs
            self.predicted = None
        else:
            if self.outputs.shape[1] == 1:
                self.probabilities = np.hstack([1 - self.outputs, self.outputs])
            else:
                self.probabilities = self.outputs
            self.predicted = self.probabilities.argmax(axis=1)

    def label(self, i: int):
        if self.labels is None or i >= len(self.labels):
            return None
        row = self.labels[i]
        if self.task == REGRESSION:
            return _scalar_or_list(row)
        row = np.asarray(row, np.float64).reshape(-1)
        if not np.isfinite(row).all():
            return None
        return int(row.argmax()) if row.size > 1 else int(np.round(row[0]))

    def predicted_value(self, i: int):
        if self.predicted is None:
            return _scalar_or_list(self.outputs[i])
        return int(self.predicted[i])

    def name(self, index) -> str | None:
        if isinstance(index, int) and 0 <= index < len(self.class_names):
            return self.class_names[index]
        return None

    def sample_id(self, i: int) -> str:
        return str(self.ids[i]) if i < len(self.ids) else str(i)

    def target(self, i: int) -> int | None:
        if self.targets is None or i >= len(self.targets):
            return None
        return int(self.targets[i])

    def row(self, i: int) -> dict:
        label, predicted = self.label(i), self.predicted_value(i)
        classified = self.predicted is not None
        return {
            "index": i,
            "id": self.sample_id(i),
            "label": label,
            "label_name": self.name(label),
            "predicted": predicted,
            "predicted_name": self.name(predicted),
            "confidence": float(self.probabilities[i].max()) if classified else None,
            "correct": (label == predicted)
            if classified and label is not None
            else None,
            "target": self.target(i),
        }


def _scalar_or_list(row):
    row = np.asarray(row, np.float64).reshape(-1)
    return float(row[0]) if row.size == 1 else row.tolist()


def _check_sample(sample: int, count: int, run: str) -> None:
    if sample >= count:
        raise errors.NotFoundError(
            f"Run {run!r} has no sample {sample!r}; the probe has {count} samples."
        )


def samples_impl(data: RunData, step: int | None) -> dict:
    """Every probe sample's label and prediction at ``step`` (default last)."""
    step = data.step(step)
    outcomes = _Outcomes(data, step)
    return {
        "step": step,
        "steps": data.steps(),
        "samples": [outcomes.row(i) for i in range(outcomes.count)],
    }


def sample_impl(data: RunData, sample: int, step: int | None) -> dict:
    """One sample's explanation at ``step``: prediction and each method's map."""
    step = data.step(step)
    outcomes = _Outcomes(data, step)
    _check_sample(sample, outcomes.count, data.run)
    config = data.config()
    result = outcomes.row(sample)
    del result["confidence"], result["correct"]
    result.update(
        step=step,
        probabilities=[float(p) for p in outcomes.probabilities[sample]],
        target_name=outcomes.name(result["target"]),
        feature_values=_feature_values(data, config, sample),
        baseline=config.get("baselines"),
        methods=[
            _method_entry(data, m, sample, step)
            for m in _methods(data, config)
            if _written_at(data, m["key"], step, sample)
        ],
    )
    return result


def _written_at(data: RunData, key: str, step: int, sample: int) -> bool:
    """Whether ``key`` has attributions of ``sample`` at ``step`` (a method
    may fail once)."""
    maps = data.maps(summary.attributions_tag(key, 0))
    return step in {int(s) for s in maps.steps} and sample < maps.scaled.shape[1]


def _feature_values(data: RunData, config: dict, sample: int) -> list | None:
    if config.get("modality") != "tabular":
        return None
    inputs = data.first(summary.probe_inputs_tag(0))
    if sample >= len(inputs):
        return None
    return [float(v) for v in np.asarray(inputs[sample]).reshape(-1)]


def _method_entry(data: RunData, method: dict, sample: int, step: int) -> dict:
    key = method["key"]
    maps = data.maps(summary.attributions_tag(key, 0))
    position = _position(maps, step, data.run, key)
    has_abs = data.has(summary.abs_attributions_tag(key, 0))
    return {
        "key": key,
        "label": method.get("label", key),
        "views": ["signed", "abs"] if has_abs else ["signed"],
        "shape": list(maps.scaled.shape[2:]),
        "min": float(maps.stats["min"][position, sample]),
        "max": float(maps.stats["max"][position, sample]),
        "sum": float(maps.stats["sum"][position, sample]),
        "quality": _sample_quality(data, key, sample, step),
    }


def _position(maps, step: int, run: str, key: str) -> int:
    try:
        return maps.index(step)
    except KeyError:
        raise errors.NotFoundError(
            f"Run {run!r} has no attributions of {key!r} at step {step!r}."
        ) from None


def _sample_quality(data: RunData, key: str, sample: int, step: int) -> dict:
    """Per-sample quality values, each judged by its rule (``status``), beside
    the verdict on the whole probe at that step (``probe_status``)."""
    entries = {}
    if data.has(summary.QUALITY_SUMMARY):
        for datum in data.read(summary.QUALITY_SUMMARY):
            if datum.step == step:
                entries = {
                    e.get("metric"): e
                    for e in datum.value
                    if isinstance(e, dict) and e.get("method") == key
                }
    quality = {}
    for tag in data.tags("quality/"):
        parts = tag.split("/")
        if len(parts) != 3 or parts[2] != key:
            continue
        values = {d.step: d.value for d in data.read(tag)}
        if step in values and sample < np.asarray(values[step]).size:
            value = float(np.asarray(values[step]).reshape(-1)[sample])
            entry = entries.get(parts[1])
            # NaN: not compared (the explained class changed since the step
            # compared with, or a map is constant); no verdict to give.
            judged = entry is not None and np.isfinite(value)
            quality[parts[1]] = {
                "value": value,
                "status": summary.judge(entry, value)[0] if judged else None,
                "probe_status": None if entry is None else entry.get("status"),
            }
    return quality


def _method_key(data: RunData, method: str) -> str:
    keys = [m.get("key") for m in _methods(data, data.config())]
    if method not in keys:
        raise errors.NotFoundError(
            f"Run {data.run!r} has no method {method!r}; methods are {keys!r}."
        )
    return method


def _input_tag(data: RunData, tag: str) -> str:
    if not data.has(tag):
        raise errors.NotFoundError(f"Run {data.run!r} has no tag {tag!r}.")
    return tag


def map_impl(
    data: RunData,
    method: str,
    sample: int,
    step: int | None,
    input_index: int = 0,
    view: str = "signed",
) -> tuple[np.ndarray, int]:
    """One sample's attributions of ``method`` at ``step`` (default last).

    The ``abs`` view reads the absolute map written for images with several
    channels; where none was written the channels were one, and ``|signed|``
    is that map exactly.

    Returns:
        ``(values, step)``: float32 values shaped like one sample's map.
    """
    key = _method_key(data, method)
    step = data.step(step)
    tag = _input_tag(data, summary.attributions_tag(key, input_index))
    absolute = summary.abs_attributions_tag(key, input_index)
    if view == "abs" and data.has(absolute):
        tag = absolute
    maps = data.maps(tag)
    _check_sample(sample, maps.scaled.shape[1], data.run)
    values = maps.values(_position(maps, step, data.run, key), sample)
    if view == "abs" and tag != absolute:
        values = np.abs(values)
    return values, step


def input_impl(data: RunData, sample: int, input_index: int = 0) -> np.ndarray:
    """One probe sample's input as written (uint8 images, float32, int32)."""
    tag = _input_tag(data, summary.probe_inputs_tag(input_index))
    inputs = np.asarray(data.first(tag))
    _check_sample(sample, len(inputs), data.run)
    return inputs[sample]


def history_impl(data: RunData, sample: int) -> dict:
    """How one sample's prediction and attributions changed over every step."""
    steps = data.steps()
    rows = [_Outcomes(data, step) for step in steps]
    if rows:
        _check_sample(sample, rows[0].count, data.run)
    classified = bool(rows) and rows[0].predicted is not None
    label = rows[0].label(sample) if rows else None
    methods = {}
    for method in _methods(data, data.config()):
        maps = data.maps(summary.attributions_tag(method["key"], 0))
        where = {int(s): p for p, s in enumerate(maps.steps)}
        methods[method["key"]] = {
            name: [_stat(maps, where.get(s), name, sample) for s in steps]
            for name in ("sum", "max_abs")
        }
    return {
        "steps": steps,
        "target_probability": [_target_probability(r, sample) for r in rows],
        "label_probability": (
            [float(r.probabilities[sample, label]) for r in rows]
            if classified
            and isinstance(label, int)
            and 0 <= label < rows[0].probabilities.shape[1]
            else None
        ),
        "predicted": [r.predicted_value(sample) for r in rows],
        "methods": methods,
    }


def _stat(maps, position, name: str, sample: int) -> float | None:
    if position is None or sample >= maps.scaled.shape[1]:
        return None
    return float(maps.stats[name][position, sample])


def _target_probability(outcomes: _Outcomes, sample: int) -> float | None:
    target = outcomes.target(sample)
    row = outcomes.probabilities[sample]
    if target is None or not 0 <= target < len(row):
        return None
    return float(row[target])


def global_impl(
    data: RunData, method: str, step: int | None, input_index: int = 0
) -> dict:
    """Importance per class of ``method`` at ``step``, with weight figures.

    Rows: row 0 the whole probe, row ``1 + c`` class ``c``; a class with no
    probe sample is a NaN row and comes back as None.
    """
    key = _method_key(data, method)
    step = data.step(step)
    maps = data.maps(_input_tag(data, summary.importance_tag(key, input_index)))
    values = maps.values(_position(maps, step, data.run, key))
    rows = [None if np.isnan(row).all() else row.reshape(-1).tolist() for row in values]
    return {
        "step": step,
        "class_names": data.config().get("class_names") or [],
        "shape": list(values.shape[1:]),
        "rows": rows,
        "weights": _at_or_none(data, summary.WEIGHT_STATS, step),
        "pictures": _pictures(data, step),
    }


def _at_or_none(data: RunData, tag: str, step: int):
    if not data.has(tag):
        return None
    return {d.step: d.value for d in data.read(tag)}.get(step)


def _pictures(data: RunData, step: int) -> dict | None:
    if not data.has(summary.WEIGHT_PICTURES):
        return None
    maps = data.maps(summary.WEIGHT_PICTURES)
    try:
        values = maps.values(maps.index(step))
    except KeyError:
        return None
    return {"shape": list(values.shape), "data": values.reshape(-1).tolist()}


def quality_impl(data: RunData) -> dict:
    """The probe-level quality figures of every quality step.

    A run without quality gives ``{"steps": [], "summary": {}}``.
    """
    if not data.has(summary.QUALITY_SUMMARY):
        return {"steps": [], "summary": {}}
    entries = data.read(summary.QUALITY_SUMMARY)
    return {
        "steps": [d.step for d in entries],
        "summary": {str(d.step): d.value for d in entries},
    }


REPORT_FORMATS = ("html", "json", "markdown")
REPORT_LANGUAGES = ("en", "zh")
REPORT_TYPES = {
    "html": "text/html",
    "json": "application/json",
    "markdown": "text/markdown",
}


class UnreportableRunError(errors.PublicError):
    """The run's data cannot be turned into a report (HTTP 422)."""

    http_code = 422


def report_impl(
    data: RunData, report_format: str, lang: str, step: int | None
) -> tuple[bytes, str, str]:
    """The report of the run, built by :mod:`tb_explain.report`.

    Returns:
        ``(body, filename, content_type)``; a Markdown report with pictures
        comes back from the builder as a zip archive and is sent as one.

    Raises:
        errors.NotFoundError: When the run or step does not exist.
        UnreportableRunError: When the run's tags disagree (HTTP 422).
    """
    from tb_explain import report as builder

    # The step the tab would show (the last complete one), so that the report
    # and its file name cover the same step.
    covered = data.step(step)
    try:
        body = builder.build_for_reader(
            data.reader, format=report_format, lang=lang, step=covered
        )
    except (ArithmeticError, LookupError, TypeError, ValueError) as error:
        # Tags that disagree (hand-made or damaged runs): say so, never a 500.
        logger.exception("Report of run %r at step %s failed.", data.run, covered)
        raise UnreportableRunError(
            f"Run {data.run!r} cannot be reported at step {covered!r}: its data "
            f"is inconsistent ({type(error).__name__}: {error}). The Samples and "
            "Global views show what is readable."
        ) from error
    filename = builder.filename(data.run, covered, report_format)
    content_type = REPORT_TYPES[report_format]
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif body[:4] == b"PK\x03\x04":
        content_type = "application/zip"
        if not filename.endswith(".zip"):
            filename = filename.rsplit(".", 1)[0] + ".zip"
    return body, filename, content_type
