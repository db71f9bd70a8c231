"""One run's summaries at one step, read once through a :class:`RunReader`.

The report reads the logdir only here, and only through
:mod:`tb_explain.summary`, so the plugin's report route (TensorBoard's data
provider) and the command line (:func:`summary.open_logdir`) see the same data.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import numpy as np

from tb_explain import summary

logger = logging.getLogger(__name__)

PREFERRED_METHOD = "integrated_gradients"


@dataclasses.dataclass
class RunData:
    """What the report needs from one run, decoded.

    Attributes:
        run: The run's display name (without the ``/explain`` folder).
        step: The step explained.
        steps: Every step with predictions, sorted.
        config: The ``run/config`` JSON.
        model: The ``run/model`` JSON ({} when absent).
        info: The ``step/info`` JSON of ``step``.
        labels: ``(batch,)`` class indices, ``(batch, n)`` regression values,
            or None.
        predictions: ``(batch, n_outputs)`` at ``step``.
        targets: ``(batch,)`` explained output index per sample.
        methods: Method keys with attributions at ``step``, primary first.
        maps: Method -> signed ``(batch, ...)`` map of input 0 at ``step``.
        magnitudes: Method -> ``(batch, ...)`` absolute map at ``step``.
        importance: Method -> ``(1 + n_classes, ...)`` rows at ``step``.
        inputs: Display copy of input 0 (uint8 images, float tabular).
    """

    run: str
    step: int
    steps: list[int]
    config: dict
    model: dict
    info: dict
    labels: np.ndarray | None
    predictions: np.ndarray
    targets: np.ndarray
    methods: list[str]
    maps: dict[str, np.ndarray]
    magnitudes: dict[str, np.ndarray]
    importance: dict[str, np.ndarray]
    inputs: np.ndarray | None
    reader: Any = dataclasses.field(repr=False, default=None)

    @property
    def task(self) -> str:
        """``"multiclass"``, ``"binary"`` or ``"regression"``."""
        return str(self.config.get("task") or "multiclass")

    @property
    def modality(self) -> str:
        """The modality of input 0."""
        return str(self.config.get("modality") or "tabular")

    @property
    def count(self) -> int:
        """Number of probe samples."""
        return int(self.predictions.shape[0])

    @property
    def class_names(self) -> list[str]:
        """One name per class ([] for regression)."""
        if self.task == "regression":
            return []
        names = self.config.get("class_names") or []
        n = int(self.config.get("n_classes") or len(names) or 0)
        if len(names) < n:
            names = list(names) + [str(i) for i in range(len(names), n)]
        return [str(name) for name in names]

    @property
    def ids(self) -> list[str]:
        """One id per probe sample."""
        ids = (self.config.get("probe") or {}).get("ids") or []
        if len(ids) < self.count:
            ids = [str(i) for i in range(self.count)]
        return [str(i) for i in ids[: self.count]]

    def predicted_classes(self, predictions: np.ndarray | None = None) -> np.ndarray:
        """Predicted class per sample (a sigmoid head: output > 0.5)."""
        p = self.predictions if predictions is None else predictions
        if p.shape[1] == 1:
            return (p[:, 0] > 0.5).astype(np.int64)
        return p.argmax(axis=1).astype(np.int64)

    def class_probabilities(self) -> np.ndarray:
        """``(batch, n_classes)`` probabilities (a sigmoid head: ``1-p, p``)."""
        p = self.predictions.astype(np.float64)
        if p.shape[1] == 1:
            return np.concatenate([1.0 - p, p], axis=1)
        return p

    def unit_names(self) -> list[str] | None:
        """Feature names of a tabular input 0 (None for other modalities)."""
        names = self.config.get("feature_names")
        if self.modality != "tabular" or not self.maps:
            return None
        width = next(iter(self.maps.values())).shape[-1]
        if not names or len(names) != width:
            return None
        return [str(n) for n in names]


def display_name(run: str, logdir: str | None = None) -> str:
    """The run's name without the ``explain`` folder the callback writes in."""
    name = run.replace("\\", "/").rstrip("/")
    if name.endswith("/" + summary.PLUGIN_NAME):
        name = name[: -len(summary.PLUGIN_NAME) - 1]
    if name in ("", ".", summary.PLUGIN_NAME) and logdir:
        base = os.path.basename(os.path.normpath(logdir))
        parent = os.path.basename(os.path.dirname(os.path.normpath(logdir)))
        name = parent if base == summary.PLUGIN_NAME else base
    return name or "run"


def resolve_step(reader, step: int | None) -> int:
    """The step to explain: ``step`` when written, else the last one.

    Raises:
        ValueError: When the run has no predictions or ``step`` was not
            written.
    """
    steps = reader.explained_steps()
    if not steps:
        raise ValueError(
            f"Run {reader.run!r} has no predictions yet, so there is nothing to "
            "report. Train with ExplainCallback for at least one step."
        )
    if step is None:
        return steps[-1]
    if isinstance(step, bool) or int(step) not in steps:
        raise ValueError(
            f"`step` must be a step the run explained, one of {steps}. "
            f"Received: step={step!r}"
        )
    return int(step)


def load(reader, step: int | None = None, logdir: str | None = None) -> RunData:
    """Reads what the report needs from ``reader`` at ``step``.

    Args:
        reader: A :class:`tb_explain.summary.RunReader`.
        step: The step to explain (None: the last step with predictions).
        logdir: The logdir, used only to name a run read from its own folder.

    Returns:
        A :class:`RunData`.

    Raises:
        ValueError: When the run has no ``run/config`` or ``step`` is unknown.
    """
    if not reader.has(summary.RUN_CONFIG):
        raise ValueError(
            f"Run {reader.run!r} holds no explain configuration (run/config): "
            "it was not written by ExplainCallback."
        )
    step = resolve_step(reader, step)
    config = reader.config()
    methods = _methods_at(reader, step)
    return RunData(
        run=display_name(reader.run, logdir),
        step=step,
        steps=reader.explained_steps(),
        config=config,
        model=_optional_first(reader, summary.RUN_MODEL) or {},
        info=reader.step_info(step),
        labels=_labels(reader, config),
        predictions=_as_2d(reader.at(summary.PREDICTIONS, step).value),
        targets=_targets(reader, step),
        methods=methods,
        maps={m: _at(reader, summary.attributions_tag(m), step) for m in methods},
        magnitudes=_magnitudes(reader, methods, step),
        importance={m: _at(reader, summary.importance_tag(m), step) for m in methods},
        inputs=_optional_first(reader, summary.probe_inputs_tag(0)),
        reader=reader,
    )


def _methods_at(reader, step: int) -> list[str]:
    methods = [
        m for m in reader.methods() if step in reader.steps(summary.attributions_tag(m))
    ]
    if PREFERRED_METHOD in methods:
        methods.remove(PREFERRED_METHOD)
        methods.insert(0, PREFERRED_METHOD)
    return methods


def _at(reader, tag: str, step: int) -> np.ndarray:
    return np.asarray(reader.at(tag, step).value, np.float32)


def _magnitudes(reader, methods: list[str], step: int) -> dict:
    result = {}
    for method in methods:
        tag = summary.abs_attributions_tag(method)
        if step in reader.steps(tag):
            result[method] = _at(reader, tag, step)
        else:
            result[method] = np.abs(_at(reader, summary.attributions_tag(method), step))
    return result


def _optional_first(reader, tag: str):
    if not reader.has(tag):
        return None
    try:
        return reader.first(tag)
    except KeyError:
        return None


def _as_2d(values) -> np.ndarray:
    values = np.asarray(values, np.float64)
    return values.reshape(len(values), -1)


def _targets(reader, step: int) -> np.ndarray | None:
    if step not in reader.steps(summary.TARGETS):
        return None
    return np.asarray(reader.at(summary.TARGETS, step).value, np.int64).reshape(-1)


def _labels(reader, config: dict) -> np.ndarray | None:
    labels = _optional_first(reader, summary.PROBE_LABELS)
    if labels is None:
        return None
    labels = np.asarray(labels)
    if config.get("task") == "regression":
        return labels.astype(np.float64).reshape(len(labels), -1)
    if labels.ndim == 2 and labels.shape[1] > 1:
        return labels.argmax(axis=1).astype(np.int64)
    return np.round(labels.reshape(-1)).astype(np.int64)


def series(reader, tag: str) -> list[tuple[int, Any]]:
    """Every ``(step, value)`` of ``tag`` ([] when absent)."""
    if not reader.has(tag):
        return []
    return [(d.step, d.value) for d in reader.read(tag)]


def log_names(reader) -> list[str]:
    """Names of the Keras epoch logs written for this run, sorted."""
    prefix = summary.log_tag("")
    return sorted(t[len(prefix) :] for t in reader.tags() if t.startswith(prefix))
