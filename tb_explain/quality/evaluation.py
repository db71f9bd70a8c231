"""The one entry point the callback uses: every quality metric on a probe."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from tb_explain.quality import _arrays, _model, compare, complexity, faithfulness
from tb_explain.quality import rules as _rules
from tb_explain.quality.stats import bootstrap_interval

logger = logging.getLogger(__name__)

COMPLETENESS_METHOD = "integrated_gradients"


@dataclasses.dataclass
class QualityResult:
    """Quality of a probe's explanations at one step.

    Attributes:
        per_sample: ``(batch,)`` arrays keyed ``"<metric>/<method>"``
            (``"agreement/<m1>~<m2>"`` for pairs); metrics as in ``RULES``.
        summary: one JSON-able dict per key: ``metric``, ``method``, ``value``
            (probe mean of finite values, None if none), ``interval`` [lo, hi]
            (bootstrap), ``n`` (finite values), ``n_warn`` and ``n_fail``
            (samples judged alone), ``rule``, ``threshold`` (pass),
            ``fail_threshold`` and ``status``.
        curves: ``(batch, K + 1)`` curves keyed ``"deletion/<method>"``,
            ``"insertion/<method>"``, ``"deletion/random"``,
            ``"insertion/random"``.
        fractions: ``(K + 1,)`` fraction of units moved at each step.
        fill: what removed units were replaced by (``"baselines"``,
            ``"zeros"``, ``"mean"``, ``"blur"``).
        targets: ``(batch,)`` the target index explained per sample.
        output_inputs: ``(batch,)`` the target's output on the inputs.
        output_baselines: ``(batch,)`` the target's output on the baselines,
            or None when integrated gradients were not checked.
        output_fill: ``(batch,)`` the target's output on the fill, or None.

    Example:
        >>> result = evaluate(model, x, {"integrated_gradients": a}, y)
        >>> result["completeness/integrated_gradients"].max()  # doctest: +SKIP
    """

    per_sample: dict[str, np.ndarray]
    summary: list[dict[str, Any]]
    curves: dict[str, np.ndarray]
    fractions: np.ndarray
    fill: str
    targets: np.ndarray
    output_inputs: np.ndarray
    output_baselines: np.ndarray | None = None
    output_fill: np.ndarray | None = None

    def __getitem__(self, key: str) -> np.ndarray:
        return self.per_sample[key]


def evaluate(
    model: _model.ModelLike,
    inputs: ArrayLike,
    attributions: Mapping[str, ArrayLike],
    targets: ArrayLike | int | None,
    *,
    baselines: ArrayLike | None = None,
    previous: Mapping[str, ArrayLike] | None = None,
    reference: Mapping[str, ArrayLike] | None = None,
    output: int | str | None = None,
    n_steps: int = 16,
    seed: int = 0,
    fill: ArrayLike | faithfulness.FillName | None = None,
    modes: Sequence[faithfulness.Mode] = ("deletion", "insertion"),
    top_k: int | None = None,
    batch_size: int = 512,
    n_boot: int = 1000,
) -> QualityResult:
    """Computes every quality metric of the probe's explanations at one step.

    Completeness and the baseline gap (integrated gradients only), deletion and
    insertion against a random order (all methods share one random order and
    one chunked stream of model calls), randomisation against ``reference``,
    stability against ``previous``, agreement between every pair of methods,
    and complexity. Formulas and rules: :data:`RULES`.

    Args:
        model: a Keras model, or a callable from a float32 tensor to outputs.
        inputs: ``(batch, ...)`` the probe.
        attributions: method -> ``(batch, ...)`` like ``inputs`` (or
            ``(batch, height, width)`` for image inputs, as Grad-CAM's).
        targets: None (the predicted class), an int, or ints ``(batch,)``.
        baselines: broadcastable to ``inputs``; zeros when None.
        previous: method -> attributions at the previous written step.
        reference: method -> attributions at the first written step, or of a
            re-initialised copy of the model.
        output: which output of a model with several (index or name).
        n_steps: K, steps of the deletion and insertion curves.
        seed: seed of the random order and of the bootstrap.
        fill: what replaces removed units; None: the baselines.
        modes: the perturbation tests to run; ``()`` skips them.
        top_k: units in the agreement's top-k overlap; None: 10%.
        batch_size: rows per model call.
        n_boot: bootstrap resamples per probe-level interval.

    Returns:
        A :class:`QualityResult`.

    Raises:
        ValueError: if an argument's shape or value is not accepted (checked
            before any model call but the first).
        TypeError: if ``attributions`` is not a non-empty mapping.

    Note:
        The probe-level completeness figure leaves out samples whose baseline
        gap is under 0.05: their relative delta has no meaning, and the
        baseline check reports them. Integer (token) inputs get no
        completeness figures: integrated gradients start from the zero
        embedding there, which no token id gives. Randomisation against the
        first written step is 1 at that step itself; pass ``reference`` only
        afterwards.
    """
    tokens = np.issubdtype(np.asarray(inputs).dtype, np.integer)
    x, maps = _check_arguments(inputs, attributions, modes)
    _check_optional_mapping("previous", previous)
    _check_optional_mapping("reference", reference)
    _model.check_batch_size(batch_size)
    counts = faithfulness.step_counts(n_steps, _n_units(maps, x))
    f_all = _model.outputs(model, x.astype(np.float32), output, batch_size)
    targets = _model.resolve_targets(targets, f_all)
    result = QualityResult(
        {}, [], {}, counts / counts[-1], "zeros", targets, _model.pick(f_all, targets)
    )

    base = _broadcast_baselines(baselines, x)
    if COMPLETENESS_METHOD in maps and tokens:
        logger.info(
            "Integer (token) inputs: integrated gradients start from the zero "
            "embedding, which no token id gives; completeness is not computed."
        )
    elif COMPLETENESS_METHOD in maps:
        _add_completeness(
            result, model, base, maps[COMPLETENESS_METHOD], output, batch_size
        )
    if modes:
        _add_perturbation(
            result,
            model,
            x,
            maps,
            baselines if fill is None else fill,
            counts,
            tuple(modes),
            output,
            batch_size,
            seed,
        )
    _add_comparisons(result, maps, previous, reference, top_k)
    result.summary = summarise(result.per_sample, n_boot=n_boot, seed=seed)
    return result


def _check_arguments(inputs, attributions, modes) -> tuple[np.ndarray, dict]:
    x = _arrays.as_batch_array(inputs, "inputs", min_rank=2)
    if not isinstance(attributions, Mapping) or not attributions:
        raise TypeError(
            "`attributions` must be a non-empty dict of method name -> array. "
            f"Received: attributions of type {type(attributions).__name__}."
        )
    maps = {str(m): _arrays.as_batch_array(a, m) for m, a in attributions.items()}
    for method, values in maps.items():
        _arrays.unit_scores(values, x, f"attributions[{method!r}]")
        if method == COMPLETENESS_METHOD and values.shape != x.shape:
            raise ValueError(
                "`attributions['integrated_gradients']` must have the inputs' "
                f"shape {x.shape}. Received: shape {values.shape}."
            )
    unknown = [mode for mode in modes if mode not in ("deletion", "insertion")]
    if unknown:
        raise ValueError(
            "`modes` must hold 'deletion' and/or 'insertion'. "
            f"Received: modes={tuple(modes)!r}."
        )
    return x, maps


def _check_optional_mapping(name: str, value: object) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(
            f"`{name}` must be None or a dict of method name -> array. "
            f"Received: {name} of type {type(value).__name__}."
        )


def _n_units(maps: Mapping[str, np.ndarray], x: np.ndarray) -> int:
    return _arrays.unit_scores(next(iter(maps.values())), x).shape[1]


def _broadcast_baselines(baselines: ArrayLike | None, x: np.ndarray) -> np.ndarray:
    if baselines is None:
        return np.zeros_like(x)
    return faithfulness.resolve_fill(baselines, x)[0]


def _add_completeness(result, model, base, integrated, output, batch_size) -> None:
    f_base = _model.outputs(model, base.astype(np.float32), output, batch_size)
    result.output_baselines = _model.pick(f_base, result.targets)
    key = f"/{COMPLETENESS_METHOD}"
    result.per_sample["completeness" + key] = faithfulness.completeness(
        integrated, result.output_inputs, result.output_baselines
    )
    result.per_sample["baseline_gap" + key] = faithfulness.baseline_gap(
        result.output_inputs, result.output_baselines
    )


def _add_perturbation(
    result, model, x, maps, fill, counts, modes, output, batch_size, seed
) -> None:
    fill_values, result.fill = faithfulness.resolve_fill(fill, x)
    scores = [_arrays.unit_scores(a, x) for a in maps.values()]
    ranks = np.stack(
        [faithfulness.attribution_ranks(s) for s in scores]
        + [faithfulness.random_ranks(scores[0].shape, seed)]
    )
    curves, result.output_fill = faithfulness.perturbation_curves(
        model,
        x,
        fill_values,
        ranks,
        counts,
        modes,
        result.targets,
        result.output_inputs,
        output,
        batch_size,
    )
    for m, mode in enumerate(modes):
        result.curves[f"{mode}/random"] = curves[-1, m]
        for index, method in enumerate(maps):
            test = faithfulness.summarise_curves(
                mode, result.fill, counts, curves[index, m], curves[-1, m]
            )
            result.curves[f"{mode}/{method}"] = test.curves
            result.per_sample[f"{mode}_auc/{method}"] = test.auc
            result.per_sample[f"random_{mode}_auc/{method}"] = test.random_auc
            result.per_sample[f"{mode}_gain/{method}"] = test.gain


def _add_comparisons(result, maps, previous, reference, top_k) -> None:
    for others, metric in ((previous, "stability"), (reference, "randomisation")):
        if others is None:
            continue
        for method in [m for m in maps if m in others]:
            result.per_sample[f"{metric}/{method}"] = compare.randomisation(
                maps[method], others[method]
            )
    result.per_sample.update(compare.agreement(maps, k=top_k))
    for method, values in maps.items():
        magnitudes = _arrays.magnitude_map(values)
        result.per_sample[f"complexity_entropy/{method}"] = complexity.entropy(
            magnitudes
        )
        result.per_sample[f"complexity_gini/{method}"] = complexity.gini(magnitudes)


def summarise(
    values: Mapping[str, np.ndarray], n_boot: int = 1000, seed: int = 0
) -> list[dict[str, Any]]:
    """Probe-level figures of per-sample metrics, as JSON-able dicts.

    Args:
        values: ``"<metric>/<method>"`` -> ``(batch,)`` per-sample values.
        n_boot: bootstrap resamples per interval.
        seed: seed of the bootstrap.

    Returns:
        One dict per key, in the order given; see :class:`QualityResult`.
    """
    rows = []
    for key, per_sample in values.items():
        metric, method = key.split("/", 1)
        rule = _rules.RULES[metric]
        kept = _kept_for_summary(metric, method, per_sample, values)
        finite = kept[np.isfinite(kept)]
        mean = float(finite.mean()) if finite.size else float("nan")
        verdicts = _rules.status_array(metric, finite)
        low, high = bootstrap_interval(finite, n_boot=n_boot, seed=seed)
        rows.append(
            {
                "metric": metric,
                "method": method,
                "value": _json_float(mean),
                "interval": [_json_float(low), _json_float(high)],
                "n": int(finite.size),
                "n_warn": int((verdicts == "warn").sum()),
                "n_fail": int((verdicts == "fail").sum()),
                "rule": rule.text,
                "threshold": rule.pass_at,
                "fail_threshold": rule.fail_beyond,
                "direction": rule.direction,
                # No sample to judge (all left out): no verdict, not a warning.
                "status": _rules.status(metric, mean) if finite.size else "info",
            }
        )
    return rows


def _kept_for_summary(metric, method, per_sample, values) -> np.ndarray:
    """Completeness keeps only samples whose baseline leaves output to explain."""
    gap = values.get(f"baseline_gap/{method}")
    if metric != "completeness" or gap is None:
        return np.asarray(per_sample, dtype=np.float64)
    informative = gap >= _rules.RULES["baseline_gap"].pass_at
    return np.where(informative, per_sample, np.nan)


def _json_float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
