"""ExplainCallback: explain a fixed probe set while ``model.fit`` runs.

The callback computes attributions with :mod:`tb_explain.methods`, quality
figures with :mod:`tb_explain.quality` and model statistics with
:mod:`tb_explain.model_facts`, and writes them all through
:mod:`tb_explain.summary` into ``<log_dir>/explain``. It knows nothing of the
plugin or the report: they read only what the summaries hold.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import platform
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import keras
import numpy as np

from tb_explain import methods as engine
from tb_explain import model_facts, quality, summary
from tb_explain import probe as probe_lib
from tb_explain._version import __version__
from tb_explain.distribute import is_chief
from tb_explain.methods._job import auto_rows

logger = logging.getLogger(__name__)

DEFAULT_METHODS = ("integrated_gradients", "smoothgrad", "grad_cam")
TargetPolicy = Literal["predicted", "true"]


class ExplainCallback(keras.callbacks.Callback):
    """Explains a fixed probe set during training and writes summaries.

    At the start of training (step 0 of a fresh model) and every
    ``every_n_epochs`` epochs (and every ``every_n_batches`` batches when
    set), the callback explains the probe with each method and writes, under
    ``<log_dir>/explain``: predictions, attributions (float16 maps with a
    float32 scale), global importance per class, weight and gradient
    statistics, first-layer weight pictures, the Keras epoch logs and,
    every ``quality_every_n_epochs`` epochs, quality figures. Steps are the
    optimizer's iteration count, as TensorBoard counts them. Everything is
    validated in ``on_train_begin``, before the first batch.

    Args:
        log_dir: Folder of the run, e.g. ``"logs/run1"``; the callback writes
            in ``<log_dir>/explain`` (any ``tf.io.gfile`` scheme).
        probe: The samples to explain: ``(x, y)``, ``x`` alone, or a
            ``tf.data.Dataset`` whose first batches are taken up to
            ``max_probe`` samples.
        methods: Method names or configured ``tb_explain.Method`` objects.
            None means ``("integrated_gradients", "smoothgrad", "grad_cam")``
            with Grad-CAM left out for models without a spatial layer.
        every_n_epochs: Explain after every n-th epoch (int >= 1).
        every_n_batches: Also explain every n-th training batch (None: off).
        class_names: One name per class (multi-class: per output unit;
            binary: two names).
        feature_names: One name per feature of a tabular input.
        target: Which output to explain: ``"predicted"`` (the predicted
            class), ``"true"`` (the label; needs labels) or a class index.
        modality: ``"image"``, ``"tabular"``, ``"sequence"`` or ``"text"``;
            detected from the first input's shape when None.
        task: ``"multiclass"``, ``"binary"`` or ``"regression"``; detected
            from the model's head when None.
        max_probe: Most probe samples kept.
        probe_ids: One id per probe sample (default its index).
        baselines: Baselines for the methods that use them, broadcastable to
            the inputs (zeros when None).
        quality: Whether to compute quality figures.
        quality_every_n_epochs: Quality figures at the explained epochs
            whose number is a multiple of n (they cost a few model calls per
            sample and method), and at the end of training.
        weights: Whether to write weight statistics and pictures.
        output: Index or name of the explained output of a multi-output
            model.

    Example:
        >>> callback = ExplainCallback("logs/run1", probe=(x_val[:32], y_val[:32]))
        >>> model.fit(x, y, epochs=5, callbacks=[callback])
    """

    def __init__(
        self,
        log_dir: str,
        probe: Any = None,
        methods: Sequence[str | engine.Method] | None = None,
        every_n_epochs: int = 1,
        every_n_batches: int | None = None,
        class_names: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
        target: TargetPolicy | int = "predicted",
        modality: str | None = None,
        task: str | None = None,
        max_probe: int = 256,
        probe_ids: Sequence | None = None,
        baselines: Any = None,
        quality: bool = True,
        quality_every_n_epochs: int = 1,
        weights: bool = True,
        output: int | str | None = None,
    ):
        super().__init__()
        _check_positive("every_n_epochs", every_n_epochs)
        _check_positive("quality_every_n_epochs", quality_every_n_epochs)
        _check_positive("max_probe", max_probe)
        if every_n_batches is not None:
            _check_positive("every_n_batches", every_n_batches)
        _check_choice("modality", modality, summary.MODALITIES + (None,))
        _check_choice("task", task, probe_lib.TASKS + (None,))
        _check_target(target)
        if not isinstance(log_dir, (str, os.PathLike)) or not str(log_dir):
            raise TypeError(
                "`log_dir` must be a non-empty path string. "
                f"Received: log_dir={log_dir!r}"
            )
        self.log_dir = str(log_dir)
        self.explain_dir = os.path.join(self.log_dir, "explain")
        self.probe = probe_lib.make_probe(probe, max_probe, probe_ids, output)
        self.methods = _normalise_methods(methods)
        self._default_methods = methods is None
        self.every_n_epochs = every_n_epochs
        self.every_n_batches = every_n_batches
        self.class_names = (
            None if class_names is None else [str(c) for c in class_names]
        )
        self.feature_names = (
            None if feature_names is None else [str(f) for f in feature_names]
        )
        self.target = target
        self.modality = modality
        self.task = task
        self.baselines = baselines
        self.compute_quality = bool(quality)
        self.quality_every_n_epochs = quality_every_n_epochs
        self.write_weights = bool(weights)
        self.output = output
        self._writer = None
        self._grad_cam_layer = None
        self._wrote_once = False
        self._step_offset = 0
        self._active = False
        self._last_step = None
        self._epoch = 0
        self._first = self._previous = self._current = None
        self._quality_step = None

    # ------------------------------------------------------------------
    # Keras hooks.

    def on_train_begin(self, logs=None):
        self._active = is_chief(self.model)
        self._setup()
        if not self._active:
            logger.info("Not the chief worker: ExplainCallback writes nothing here.")
            return
        self._validate_log_dir()
        self._open_writer()
        self._continue_steps()
        with self._guard("the start of training"):
            if not self._wrote_once:
                self._write_once()
                self._wrote_once = True
            self._explain(self._current_step(), "initial")
            self._writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        if not self._active or self.every_n_batches is None:
            return
        # Counted over the whole training, as TensorBoard counts steps (the
        # batch index starts again at every epoch).
        step = self._current_step()
        if step % self.every_n_batches == 0:
            with self._guard(f"batch {batch}"):
                self._explain(step, "batch")

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        if not self._active:
            return
        step = self._current_step()
        with self._guard(f"epoch {epoch}"):
            self._write_logs(logs, step)
            if (epoch + 1) % self.every_n_epochs == 0:
                # The batch hook may have explained this very step already.
                explained = self._explain(step, "epoch") or step == self._last_step
                if explained and (epoch + 1) % self.quality_every_n_epochs == 0:
                    self._write_quality(step)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if not self._active or self._writer is None:
            return
        step = self._current_step()
        with self._guard("the end of training"):
            if self._last_step != step:
                self._explain(step, "final")
            if self._last_step == step:
                self._write_quality(step)
        self._close_writer()

    @contextlib.contextmanager
    def _guard(self, when: str):
        """Stops writing, never training, when the log folder fails."""
        import tensorflow as tf

        try:
            yield
        except (OSError, tf.errors.OpError) as error:
            logger.error(
                "Writing explanations to %s failed at %s (%s). ExplainCallback "
                "stops writing; training goes on, and the steps written before "
                "stay readable.",
                self.explain_dir,
                when,
                error,
            )
            self._active = False
            self._close_writer()

    def _close_writer(self) -> None:
        import tensorflow as tf

        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except (OSError, tf.errors.OpError) as error:
            logger.error(
                "Closing the event file in %s failed: %s", self.explain_dir, error
            )

    # ------------------------------------------------------------------
    # Validation, before any batch runs.

    def _setup(self) -> None:
        model = self.model
        self._inputs = self.probe.model_inputs()
        self._n_outputs = _validate_model_inputs(model, self._inputs, self.output)
        self._input_modalities = self._detect_modalities()
        self._task = self.task or probe_lib.detect_task(
            model, self._n_outputs, self.probe.labels, self.output
        )
        self._labels = probe_lib.class_indices(self.probe.labels, self._task)
        self._n_classes = _n_classes(self._task, self._n_outputs)
        self._validate_task()
        self._validate_labels()
        self._validate_names()
        self._validate_target()
        self._drop_unusable_defaults()
        self._validate_methods()
        self._activations = model_facts.ActivationProbe(model)
        self._quality_model = (
            model if self.probe.structure == "single" else _OneInput(model, self.probe)
        )
        self._gradients = model_facts.GradientProbe(model, self.probe.labels)

    def _detect_modalities(self) -> list[str]:
        token = bool(engine.is_token_input(self.model))
        detected = [
            probe_lib.detect_modality(x, token and i == 0)
            for i, x in enumerate(self.probe.inputs)
        ]
        if self.modality is not None:
            detected[0] = self.modality
        return detected

    def _validate_names(self) -> None:
        if self.class_names is not None and self._n_classes:
            if len(self.class_names) != self._n_classes:
                raise ValueError(
                    f"`class_names` has {len(self.class_names)} names but the "
                    f"model has {self._n_classes} classes ({self._task} head). "
                    f"Pass {self._n_classes} names. Received: "
                    f"class_names={self.class_names!r}"
                )
        if self.feature_names is not None:
            index = _first_index(self._input_modalities, "tabular")
            if index is None:
                raise ValueError(
                    "`feature_names` applies to a tabular input (batch, features), "
                    f"but the inputs are {self._input_modalities}."
                )
            count = int(np.prod(self.probe.inputs[index].shape[1:]))
            if len(self.feature_names) != count:
                raise ValueError(
                    f"`feature_names` has {len(self.feature_names)} names but the "
                    f"tabular input has {count} features. Pass {count} names."
                )

    def _validate_task(self) -> None:
        if self._task == "binary" and self._n_outputs != 1:
            raise ValueError(
                f"`task='binary'` needs a head with one (sigmoid) output; the "
                f"explained output has {self._n_outputs} units. Pass "
                "task='multiclass' for a softmax over the two classes."
            )
        if self.class_names is not None and self._task == "regression":
            raise ValueError(
                "`class_names` applies to classification, but the head is a "
                "regression (one output without a sigmoid). A classifier's head "
                "must end in a sigmoid or softmax; else leave class_names out."
            )

    def _validate_labels(self) -> None:
        """Labels must name classes of the head (before the first batch)."""
        labels = self.probe.labels
        if labels is None or self._task == "regression":
            return
        if labels.ndim == 2 and labels.shape[1] > 1:
            if labels.shape[1] != self._n_classes:
                raise ValueError(
                    f"The probe's one-hot labels have {labels.shape[1]} columns "
                    f"but the head has {self._n_classes} classes. Pass labels "
                    f"with {self._n_classes} columns, or class indices."
                )
            return
        found = self._labels
        outside = found[(found < 0) | (found >= self._n_classes)]
        if outside.size:
            raise ValueError(
                f"The probe's labels hold class {int(outside[0])}, outside the "
                f"head's {self._n_classes} classes [0, {self._n_classes - 1}]. "
                "Pass the labels the model was trained on."
            )

    def _validate_target(self) -> None:
        if self.target == "true" and self.probe.labels is None:
            raise ValueError(
                "`target='true'` explains the labelled class, but the probe has "
                "no labels. Pass probe=(x, y) or use target='predicted'."
            )
        if isinstance(self.target, (int, np.integer)) and not isinstance(
            self.target, bool
        ):
            limit = max(self._n_outputs, 1)
            if not 0 <= int(self.target) < limit:
                raise ValueError(
                    f"`target={self.target}` is out of range: the explained output "
                    f"has {limit} units. Expected an int in [0, {limit - 1}]."
                )

    def _drop_unusable_defaults(self) -> None:
        if not self._default_methods:
            return
        if engine.find_grad_cam_layer(self.model) is None:
            logger.info("No spatial layer: Grad-CAM left out of the default methods.")
            self.methods = [m for m in self.methods if m.name != "grad_cam"]

    def _validate_methods(self) -> None:
        rows = slice(0, 2)
        sample = self.probe.model_inputs(rows)
        self._grad_cam_layer = None
        for method in self.methods:
            options = _sliced_baselines(self._method_options(method), rows, self.probe)
            engine.validate(self.model, sample, method.name, target=None, **options)
        if any(m.name == "grad_cam" for m in self.methods):
            # Found once here, not at every step (a forward pass on some models).
            self._grad_cam_layer = engine.find_grad_cam_layer(self.model, sample)

    def _method_options(self, method: engine.Method) -> dict:
        options = dict(method.options)
        if self.output is not None:
            options.setdefault("output", self.output)
        uses_baselines = method.name in (
            "integrated_gradients",
            "occlusion",
            "kernel_shap",
        )
        uses_baselines = (
            uses_baselines or options.get("base_method") == "integrated_gradients"
        )
        if self.baselines is not None and uses_baselines:
            options.setdefault("baselines", self.baselines)
        if method.name == "grad_cam" and options.get("layer") is None:
            options["layer"] = self._grad_cam_layer
        return options

    def _validate_log_dir(self) -> None:
        import tensorflow as tf

        probe_file = os.path.join(self.explain_dir, f".write-test-{uuid.uuid4().hex}")
        try:
            tf.io.gfile.makedirs(self.explain_dir)
            with tf.io.gfile.GFile(probe_file, "w") as f:
                f.write("ok")
            tf.io.gfile.remove(probe_file)
        except (OSError, tf.errors.OpError) as error:
            raise ValueError(
                f"`log_dir={self.log_dir!r}` is not writable ({error}). Pass a "
                "folder this process can create and write."
            ) from error

    # ------------------------------------------------------------------
    # Writing.

    def _open_writer(self) -> None:
        self._writer = summary.SummaryWriter(self.explain_dir)

    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        return 0 if iterations is None else int(np.asarray(iterations))

    def _current_step(self) -> int:
        """The optimizer's iterations, continued across fits."""
        return self._iterations() + self._step_offset

    def _continue_steps(self) -> None:
        """A recompiled model counts its iterations from 0 again: keep the
        steps written by this callback increasing."""
        if self._last_step is not None and self._current_step() < self._last_step:
            self._step_offset = self._last_step + 1 - self._iterations()
            logger.info(
                "The optimizer's iterations restarted; steps continue from %d.",
                self._current_step(),
            )

    def _write_once(self) -> None:
        step = self._current_step()
        for index, x in enumerate(self.probe.inputs):
            array, _ = probe_lib.display_inputs(x, self._input_modalities[index])
            self._writer.write_array(summary.probe_inputs_tag(index), array, step)
        if self.probe.labels is not None:
            labels = self._labels if self._labels is not None else self.probe.labels
            self._writer.write_array(summary.PROBE_LABELS, labels, step)
        self._writer.write_json(
            summary.RUN_MODEL, model_facts.overview(self.model), step
        )
        self._writer.write_json(summary.RUN_CONFIG, self._config(), step)

    def _config(self) -> dict:
        import tensorflow as tf

        inputs = []
        for index, x in enumerate(self.probe.inputs):
            _, value_range = probe_lib.display_inputs(x, self._input_modalities[index])
            inputs.append(
                {
                    "name": self.probe.input_names[index],
                    "shape": list(x.shape[1:]),
                    "dtype": str(x.dtype),
                    "modality": self._input_modalities[index],
                    "range": value_range,
                }
            )
        return {
            "schema_version": summary.SCHEMA_VERSION,
            "versions": {
                "tb_explain": __version__,
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
                "python": platform.python_version(),
            },
            "created": time.time(),
            "modality": self._input_modalities[0],
            "task": self._task,
            "n_outputs": self._n_outputs,
            "n_classes": self._n_classes,
            "class_names": self.class_names or _default_class_names(self._n_classes),
            "feature_names": self.feature_names,
            "inputs": inputs,
            "methods": [
                {"key": key, "name": m.name, "label": m.label, "options": m.to_config()}
                for key, m in self._keyed_methods()
            ],
            "probe": {
                "count": self.probe.size,
                "ids": self.probe.ids,
                "has_labels": self.probe.labels is not None,
            },
            # The baselines of integrated gradients (its own option first):
            # the ones the report names beside its maps and checks.
            "baselines": _describe_baselines(self._quality_baselines()),
            "target": self.target,
            "output": self.output,
            "every_n_epochs": self.every_n_epochs,
            "every_n_batches": self.every_n_batches,
            "quality": self.compute_quality,
            "quality_every_n_epochs": self.quality_every_n_epochs,
        }

    def _keyed_methods(self) -> list[tuple[str, engine.Method]]:
        keys, seen = [], {}
        for method in self.methods:
            seen[method.name] = seen.get(method.name, 0) + 1
            count = seen[method.name]
            keys.append(
                (method.name if count == 1 else f"{method.name}_{count}", method)
            )
        return keys

    def _targets(self, predictions: np.ndarray) -> np.ndarray:
        count = self.probe.size
        if self.target == "true":
            if self._labels is None:
                return np.zeros(count, np.int32)
            labels = self._labels
            return labels if self._task != "binary" else np.zeros(count, np.int32)
        if self.target == "predicted":
            if self._n_outputs <= 1:
                return np.zeros(count, np.int32)
            return predictions.argmax(axis=1).astype(np.int32)
        return np.full(count, int(self.target), np.int32)

    def _explain(self, step: int, kind: str) -> bool:
        if step == self._last_step:
            return False
        started = time.perf_counter()
        predictions = engine.model_outputs(self.model, self._inputs, output=self.output)
        targets = self._targets(predictions)
        scales, attributions = {}, {}
        for key, method in self._keyed_methods():
            result = self._attribute(key, method, targets, step)
            if result is not None:
                attributions[key] = result
                scales.update(self._write_maps(key, result, predictions, step))
        self._writer.write_array(
            summary.PREDICTIONS, predictions.astype(np.float32), step
        )
        self._writer.write_array(summary.TARGETS, targets, step)
        if self.write_weights:
            scales.update(self._write_weights(step))
        self._writer.write_json(
            summary.STEP_INFO,
            {
                "step": step,
                "epoch": self._epoch,
                "kind": kind,
                "wall_time": time.time(),
                "weights_sha256": model_facts.fingerprint(self.model),
                "methods": sorted(attributions),
                "scales": scales,
                "seconds": time.perf_counter() - started,
            },
            step,
        )
        self._store_for_quality(attributions, targets, step)
        self._last_step = step
        logger.info(
            "Explained the probe at step %d in %.2f s.",
            step,
            time.perf_counter() - started,
        )
        return True

    def _attribute(self, key: str, method: engine.Method, targets, step: int):
        try:
            result = engine.attribute(
                self.model,
                self._inputs,
                method.name,
                target=targets,
                **self._method_options(method),
            )
        except Exception:  # training goes on; the failure is logged in full
            logger.exception(
                "Method %r failed at step %d; skipped for this step.", key, step
            )
            return None
        arrays = (
            result
            if isinstance(result, (list, tuple))
            else (list(result.values()) if isinstance(result, dict) else [result])
        )
        for array in arrays:
            bad = ~np.isfinite(np.asarray(array).reshape(len(array), -1)).all(axis=1)
            if bad.any():
                ids = [self.probe.ids[i] for i in np.flatnonzero(bad)[:10]]
                logger.warning(
                    "Method %r gave NaN or Inf attributions at step %d for probe "
                    "samples %s; the method is skipped for this step.",
                    key,
                    step,
                    ids,
                )
                return None
        return [np.asarray(a) for a in arrays]

    def _write_maps(self, key, arrays, predictions, step) -> dict:
        scales = {}
        classes = self._importance_classes(predictions)
        for index, array in enumerate(arrays):
            modality = (
                "image"
                if array.ndim == 3 and key.startswith("grad_cam")
                else (
                    self._input_modalities[min(index, len(self._input_modalities) - 1)]
                )
            )
            signed, absolute = probe_lib.reduce_map(array, modality)
            tag = summary.attributions_tag(key, index)
            scales[tag] = self._writer.write_map(tag, signed, step)
            if absolute is not None:
                tag = summary.abs_attributions_tag(key, index)
                scales[tag] = self._writer.write_map(tag, absolute, step)
            magnitude = absolute if absolute is not None else np.abs(signed)
            tag = summary.importance_tag(key, index)
            scales[tag] = self._writer.write_map(
                tag, _importance(magnitude, classes, self._n_classes), step
            )
        return scales

    def _importance_classes(self, predictions) -> np.ndarray | None:
        if self._labels is not None:
            return self._labels
        return probe_lib.predicted_classes(predictions, self._task)

    def _write_weights(self, step: int) -> dict:
        single = self.probe.inputs[0] if len(self.probe.inputs) == 1 else None
        norms = _statistic(
            "Gradient norms", step, lambda: self._gradients.norms(self._inputs)
        )
        dead = _statistic(
            "Dead-unit shares",
            step,
            lambda: self._activations.dead_fractions(
                self._inputs if single is None else single
            ),
        )
        stats = model_facts.weight_stats(self.model, norms, dead)
        self._writer.write_json(summary.WEIGHT_STATS, stats, step)
        if self._input_modalities[0] != "image":
            return {}
        pictures = model_facts.first_layer_pictures(
            self.model, tuple(self.probe.inputs[0].shape[1:])
        )
        if pictures is None:
            return {}
        return {
            summary.WEIGHT_PICTURES: self._writer.write_map(
                summary.WEIGHT_PICTURES, pictures, step
            )
        }

    def _write_logs(self, logs, step: int) -> None:
        for name, value in (logs or {}).items():
            try:
                number = float(np.asarray(value))
            except (TypeError, ValueError):
                continue
            self._writer.write_array(summary.log_tag(name), np.float32(number), step)

    # ------------------------------------------------------------------
    # Quality.

    def _store_for_quality(
        self, attributions: dict, targets: np.ndarray, step: int
    ) -> None:
        current = _Explained(
            step, {k: v[0] for k, v in attributions.items()}, np.asarray(targets)
        )
        self._previous, self._current = self._current, current
        if self._first is None:
            self._first = current

    def _write_quality(self, step: int) -> None:
        if not self.compute_quality or len(self.probe.inputs) != 1:
            return
        current = self._current
        if current is None or current.step != step or not current.maps:
            return
        if step == self._quality_step:
            return
        self._quality_step = step
        try:
            result = quality.evaluate(
                self._quality_model,
                self.probe.inputs[0],
                current.maps,
                current.targets,
                baselines=self._quality_baselines(),
                previous=_same_targets(self._previous, current.targets),
                # The first written step is the reference of the randomisation
                # check; compared with itself it would say nothing.
                reference=None
                if step == self._first.step
                else _same_targets(self._first, current.targets),
                output=self.output,
                batch_size=auto_rows(self.probe.inputs),
            )
        except Exception:  # quality figures must never stop training
            logger.exception("Quality figures failed at step %d; skipped.", step)
            return
        self._write_quality_result(result, step)

    def _quality_baselines(self) -> Any:
        """The baselines integrated gradients used (its own option first):
        completeness is measured against them, and deletion fills with them."""
        for _, method in self._keyed_methods():
            if method.name == "integrated_gradients":
                return self._method_options(method).get("baselines")
        return self.baselines

    def _write_quality_result(self, result, step: int) -> None:
        for name, values in result.per_sample.items():
            metric, _, method = name.partition("/")
            self._writer.write_array(
                summary.quality_tag(metric, method),
                np.asarray(values, np.float32),
                step,
            )
        for name, curves in result.curves.items():
            test, _, method = name.partition("/")
            self._writer.write_array(
                summary.quality_curves_tag(test, method),
                np.asarray(curves, np.float32),
                step,
            )
        self._writer.write_json(summary.QUALITY_INFO, _quality_info(result), step)
        self._writer.write_json(summary.QUALITY_SUMMARY, result.summary, step)


# ----------------------------------------------------------------------
# Helpers.


def _sliced_baselines(options: dict, rows: slice, probe: probe_lib.Probe) -> dict:
    """``options`` with per-sample baselines cut to ``rows`` of the probe, so
    that a check on a few rows accepts baselines shaped like the probe."""
    baselines = options.get("baselines")
    if baselines is None:
        return options

    def cut(value, x):
        value = np.asarray(value)
        per_sample = value.ndim == x.ndim and value.shape[0] == len(x) > 1
        return value[rows] if per_sample else value

    if isinstance(baselines, Mapping):
        named = dict(zip(probe.input_names, probe.inputs))
        cut_baselines = {
            k: cut(v, named[k]) if k in named else v for k, v in baselines.items()
        }
    elif isinstance(baselines, (list, tuple)) and len(baselines) == len(probe.inputs):
        cut_baselines = [cut(v, x) for v, x in zip(baselines, probe.inputs)]
    else:
        cut_baselines = cut(baselines, probe.inputs[0])
    return {**options, "baselines": cut_baselines}


def _statistic(what: str, step: int, compute) -> dict:
    """``compute()``, or {} with the error logged: statistics never stop
    training."""
    try:
        return compute()
    except Exception:
        logger.exception("%s failed at step %d; left out.", what, step)
        return {}


@dataclasses.dataclass(frozen=True)
class _Explained:
    """The maps of one written step (first input) and the targets explained."""

    step: int
    maps: dict
    targets: np.ndarray


def _same_targets(stored: _Explained | None, targets: np.ndarray) -> dict | None:
    """``stored``'s maps, NaN for the samples explained for another target.

    A map of another class says nothing about the stability or randomisation
    of this one: those samples are left out, and the figures' ``n`` counts the
    samples compared.
    """
    if stored is None:
        return None
    differ = stored.targets != targets
    if not differ.any():
        return stored.maps
    return {
        key: np.where(differ.reshape((-1,) + (1,) * (maps.ndim - 1)), np.nan, maps)
        for key, maps in stored.maps.items()
    }


class _OneInput:
    """A one-input model whose probe is a list or dict, called on one array.

    The quality figures perturb one array; this packs it the way the model
    takes it, in one compiled call, and keeps the model's output names.
    """

    def __init__(self, model: keras.Model, probe: probe_lib.Probe):
        import tensorflow as tf

        self.output_names = getattr(model, "output_names", None)
        self._call = tf.function(
            lambda tensor: model(probe.pack([tensor]), training=False),
            reduce_retracing=True,
        )

    def __call__(self, tensor):
        return self._call(tensor)


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1. Received: {name}={value!r}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {[c for c in choices if c is not None]} or None. "
            f"Received: {name}={value!r}"
        )


def _check_target(target: Any) -> None:
    if target in ("predicted", "true"):
        return
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if target >= 0:
            return
    raise ValueError(
        "`target` must be 'predicted', 'true' or a class index >= 0. "
        f"Received: target={target!r}"
    )


def _normalise_methods(methods) -> list[engine.Method]:
    if methods is None:
        methods = DEFAULT_METHODS
    if isinstance(methods, (str, engine.Method)):
        methods = [methods]
    result = []
    for method in methods:
        if isinstance(method, engine.Method):
            result.append(method)
        elif isinstance(method, str):
            if method not in engine.METHOD_NAMES:
                raise ValueError(
                    f"Unknown method {method!r} in `methods`. Expected names from "
                    f"{list(engine.METHOD_NAMES)} or tb_explain.Method objects."
                )
            result.append(engine.Method(method))
        else:
            raise TypeError(
                "`methods` must hold method names or tb_explain.Method objects. "
                f"Received: {method!r}"
            )
    if not result:
        raise ValueError("`methods` is empty. Pass at least one method.")
    return result


def _validate_model_inputs(model, inputs, output) -> int:
    sample = _slice(inputs, 2)
    try:
        predictions = engine.model_outputs(model, sample, output=output)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"The probe does not fit the model {model.name!r}: {error}. Pass probe "
            "inputs with the shape and structure the model takes."
        ) from error
    return int(predictions.shape[-1]) if predictions.ndim > 1 else 1


def _slice(inputs, count: int):
    if isinstance(inputs, dict):
        return {k: v[:count] for k, v in inputs.items()}
    if isinstance(inputs, list):
        return [v[:count] for v in inputs]
    return inputs[:count]


def _n_classes(task: str, n_outputs: int) -> int:
    if task == "regression":
        return 0
    return 2 if task == "binary" else n_outputs


def _default_class_names(n_classes: int) -> list[str]:
    return [str(i) for i in range(n_classes)]


def _first_index(modalities: list[str], wanted: str) -> int | None:
    return next((i for i, m in enumerate(modalities) if m == wanted), None)


def _describe_baselines(baselines) -> dict:
    if baselines is None:
        return {"kind": "zeros", "description": "all-zero input"}
    values = (
        np.asarray(baselines, dtype=np.float64)
        if not isinstance(baselines, (list, dict))
        else None
    )
    if values is not None and values.size and np.all(values == values.flat[0]):
        return {
            "kind": "constant",
            "value": float(values.flat[0]),
            "description": f"constant input of {float(values.flat[0]):g}",
        }
    return {"kind": "array", "description": "user-supplied baseline array"}


def _quality_info(result) -> dict:
    """The per-step context of the quality figures, as JSON."""
    return {
        "fill": result.fill,
        "fractions": result.fractions,
        "targets": result.targets,
        "output_inputs": result.output_inputs,
        "output_baselines": result.output_baselines,
        "output_fill": result.output_fill,
    }


def _importance(
    magnitude: np.ndarray, classes: np.ndarray | None, n_classes: int
) -> np.ndarray:
    """Mean ``|a|`` over the probe (row 0) and per class (rows ``1 + c``)."""
    rows = [magnitude.mean(axis=0)]
    for c in range(n_classes if classes is not None else 0):
        mask = classes == c
        rows.append(
            magnitude[mask].mean(axis=0)
            if mask.any()
            else np.full(magnitude.shape[1:], np.nan)
        )
    return np.stack(rows).astype(np.float32)
