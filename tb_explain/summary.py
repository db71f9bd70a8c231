"""The summary schema: what the callback writes and how it is read back.

This module is the one place that knows tag names, dtypes, the JSON in
``SummaryMetadata.plugin_data.content`` and the schema version. The callback
writes through :class:`SummaryWriter`; the plugin and the report read through
:class:`RunReader`, which goes through TensorBoard's data provider so that both
see exactly what TensorBoard sees.

Every summary belongs to the plugin ``explain`` and has data class
``DATA_CLASS_TENSOR``. A tag holds one of three encodings, named in its
metadata content ``{"version": 1, "encoding": ...}``:

- ``json``: a scalar string tensor holding UTF-8 JSON;
- ``array``: a numeric tensor stored as written;
- ``map``: a float16 tensor of ``values / scale``; the float32 ``scale`` of
  each step is kept in that step's ``step/info`` JSON, so small attributions
  (gradients of probabilities are often near 1e-6) keep their precision.

Tags (``<m>`` a method key, ``<k>`` an input index, ``<q>`` a quality metric):

==========================  ========  ======================================
tag                         encoding  content
==========================  ========  ======================================
``run/config``              json      written once: versions, modality,
                                      class and feature names, methods,
                                      probe description, callback config
``run/model``               json      written once: layers, parameters,
                                      optimizer, loss, metrics
``probe/inputs/<k>``        array     written once: images as uint8
                                      ``(batch, height, width, channels)``,
                                      others as float32 or int32
``probe/labels``            array     written once: ``(batch,)`` or
                                      ``(batch, n_outputs)``
``step/info``               json      every step: epoch, kind, weights
                                      fingerprint, map scales
``predictions``             array     every step: float32 ``(batch, n_out)``
``targets``                 array     every step: int32 ``(batch,)``
``attributions/<m>/<k>``    map       every step: signed map, channels
                                      summed: ``(batch, height, width)``,
                                      ``(batch, features)`` or
                                      ``(batch, tokens)``
``abs_attributions/<m>/<k>``  map     images with several channels only:
                                      sum of ``|a|`` over channels
``importance/<m>/<k>``      map       every step: mean ``|a|``, row 0 the
                                      whole probe, row ``1 + c`` class ``c``
``logs/<name>``             array     every epoch: float32 scalar from Keras
``weights/stats``           json      every step: per-layer statistics
``weights/pictures``        map       every step: first-layer weights as
                                      pictures ``(units, h, w, channels)``
``quality/<q>/<m>``         array     quality steps: float32 ``(batch,)``
``quality/summary``         json      quality steps: probe-level figures
``quality/info``            json      quality steps: fill, fractions, the
                                      explained output on inputs and
                                      baselines per sample
``quality_curves/<t>/<m>``  array     quality steps: deletion or insertion
                                      curves ``(batch, K + 1)``; ``<m>`` may
                                      be ``random``
==========================  ========  ======================================
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

PLUGIN_NAME = "explain"
SCHEMA_VERSION = 1

JSON = "json"
ARRAY = "array"
MAP = "map"

RUN_CONFIG = "run/config"
RUN_MODEL = "run/model"
PROBE_LABELS = "probe/labels"
STEP_INFO = "step/info"
PREDICTIONS = "predictions"
TARGETS = "targets"
WEIGHT_STATS = "weights/stats"
WEIGHT_PICTURES = "weights/pictures"
QUALITY_SUMMARY = "quality/summary"
QUALITY_INFO = "quality/info"

MODALITIES = ("image", "tabular", "sequence", "text")


def probe_inputs_tag(index: int = 0) -> str:
    """Tag of the probe inputs for input ``index``."""
    return f"probe/inputs/{index}"


def attributions_tag(method: str, index: int = 0) -> str:
    """Tag of the signed, channel-summed attributions of ``method``."""
    return f"attributions/{method}/{index}"


def abs_attributions_tag(method: str, index: int = 0) -> str:
    """Tag of the channel-summed absolute attributions of ``method``."""
    return f"abs_attributions/{method}/{index}"


def importance_tag(method: str, index: int = 0) -> str:
    """Tag of the global importance (mean absolute attribution) of ``method``."""
    return f"importance/{method}/{index}"


def log_tag(name: str) -> str:
    """Tag of one Keras epoch log (``loss``, ``val_accuracy``, ...)."""
    return f"logs/{name}"


def quality_tag(metric: str, method: str) -> str:
    """Tag of one per-sample quality metric of ``method``."""
    return f"quality/{metric}/{method}"


# Entries of ``quality/summary`` written before they carried a ``direction``.
LOWER_IS_BETTER = ("completeness", "randomisation")


def direction(entry: dict) -> str:
    """The ``direction`` of a ``quality/summary`` entry's rule (older entries
    lack it: completeness and randomisation are lower-is-better)."""
    if entry.get("direction"):
        return str(entry["direction"])
    lower = entry.get("metric") in LOWER_IS_BETTER
    return "lower_is_better" if lower else "higher_is_better"


def judge(entry: dict, values) -> np.ndarray:
    """Pass / warn / fail of values by the rule of a ``quality/summary`` entry.

    The entry's ``threshold`` is where a pass ends and its ``fail_threshold``
    (None: never fails) where a fail begins, in its ``direction``
    (``"lower_is_better"``, ``"higher_is_better"`` or ``"informative"``). The
    same rule judges a probe mean and one sample's value.

    Args:
        entry: One ``quality/summary`` entry.
        values: Values of its metric, any shape.

    Returns:
        ``(n,)`` object array: ``"pass"``, ``"warn"`` (also for NaN) or
        ``"fail"``; ``"info"`` everywhere for a metric without a rule.
    """
    values = np.asarray(values, np.float64).reshape(-1)
    threshold, direction_ = entry.get("threshold"), direction(entry)
    if threshold is None or direction_ == "informative":
        return np.full(values.shape, "info", dtype=object)
    sign = 1.0 if direction_ == "lower_is_better" else -1.0
    result = np.full(values.shape, "warn", dtype=object)
    with np.errstate(invalid="ignore"):
        result[sign * values <= sign * float(threshold)] = "pass"
        fail = entry.get("fail_threshold")
        if fail is not None:
            result[sign * values > sign * float(fail)] = "fail"
    result[np.isnan(values)] = "warn"
    return result


def quality_curves_tag(test: str, method: str) -> str:
    """Tag of the ``deletion`` or ``insertion`` curves of ``method``."""
    return f"quality_curves/{test}/{method}"


_JSON_TAGS = (
    RUN_CONFIG,
    RUN_MODEL,
    STEP_INFO,
    WEIGHT_STATS,
    QUALITY_SUMMARY,
    QUALITY_INFO,
)


def encoding_of(tag: str) -> str:
    """The encoding a tag is written with, from its name alone."""
    if tag in _JSON_TAGS:
        return JSON
    if tag.split("/", 1)[0] in ("attributions", "abs_attributions", "importance"):
        return MAP
    if tag == WEIGHT_PICTURES:
        return MAP
    return ARRAY


# --------------------------------------------------------------------------
# Encoding helpers shared by the writer and the reader.


def to_jsonable(value: Any) -> Any:
    """Converts numpy scalars and arrays (nested) to plain JSON values.

    Non-finite floats become the strings ``"NaN"``, ``"Infinity"`` and
    ``"-Infinity"``, as TensorBoard's own JSON helpers do.
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def encode_map(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Scales ``values`` into float16 with one float32 scale.

    Args:
        values: Any float array.

    Returns:
        ``(scaled, scale)`` with ``scaled = values / scale`` as float16 in
        ``[-1, 1]`` and ``scale`` the largest finite absolute value (1.0 when
        all values are zero). Non-finite values are stored as NaN.
    """
    # float64 here: a float32 cast would turn huge values into Inf and tiny
    # ones into 0 before the scaling brings them into float16's range.
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    scale = float(np.max(np.abs(values[finite]))) if finite.any() else 0.0
    if scale == 0.0:
        scale = 1.0
    scaled = np.where(finite, values / scale, np.nan).astype(np.float16)
    return scaled, scale


def decode_map(scaled: np.ndarray, scale: float) -> np.ndarray:
    """Inverse of :func:`encode_map`: float32 values."""
    return np.asarray(scaled, dtype=np.float32) * np.float32(scale)


def metadata_content(encoding: str) -> bytes:
    """The JSON bytes stored in ``SummaryMetadata.plugin_data.content``."""
    return json.dumps({"version": SCHEMA_VERSION, "encoding": encoding}).encode()


def parse_metadata_content(content: bytes) -> dict:
    """Parses the plugin content of a tag; raises ValueError if unreadable."""
    try:
        parsed = json.loads(content.decode("utf-8")) if content else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Unreadable explain metadata: {error}") from error
    if not isinstance(parsed, dict):
        raise ValueError(f"Unreadable explain metadata: {content!r}")
    return parsed


# --------------------------------------------------------------------------
# Writing.


class SummaryWriter:
    """Writes the explain schema through one ``tf.summary`` file writer.

    The writer is created lazily in a folder of its own (TensorBoard's Python
    loader follows only the newest event file of a folder), through
    ``tf.io.gfile`` so that any file system TensorFlow supports works.

    Args:
        log_dir: Folder for the event files, e.g. ``logs/run1/explain``.
    """

    def __init__(self, log_dir: str):
        import tensorflow as tf

        self.log_dir = log_dir
        tf.io.gfile.makedirs(log_dir)
        self._writer = tf.summary.create_file_writer(log_dir)
        self._metadata = {}

    def _summary_metadata(self, encoding: str):
        from tensorboard.compat.proto import summary_pb2

        if encoding not in self._metadata:
            metadata = summary_pb2.SummaryMetadata()
            metadata.plugin_data.plugin_name = PLUGIN_NAME
            metadata.plugin_data.content = metadata_content(encoding)
            metadata.data_class = summary_pb2.DATA_CLASS_TENSOR
            self._metadata[encoding] = metadata
        return self._metadata[encoding]

    def _write(self, tag: str, tensor, step: int, encoding: str) -> None:
        import tensorflow as tf

        with self._writer.as_default():
            tf.summary.write(
                tag, tensor, step=step, metadata=self._summary_metadata(encoding)
            )

    def write_json(self, tag: str, value: Any, step: int) -> None:
        """Writes ``value`` as a JSON string tensor."""
        text = json.dumps(to_jsonable(value), ensure_ascii=False, allow_nan=False)
        self._write(tag, text, step, JSON)

    def write_array(self, tag: str, value: np.ndarray, step: int) -> None:
        """Writes a numeric array as it is."""
        self._write(tag, np.asarray(value), step, ARRAY)

    def write_map(self, tag: str, value: np.ndarray, step: int) -> float:
        """Writes a float map as float16 and returns its scale.

        The caller records the scale in the step's ``step/info`` JSON under
        ``scales[tag]``.
        """
        scaled, scale = encode_map(value)
        self._write(tag, scaled, step, MAP)
        return scale

    def flush(self) -> None:
        """Flushes pending events to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file."""
        self._writer.close()


# --------------------------------------------------------------------------
# Reading.


@dataclasses.dataclass(frozen=True)
class Datum:
    """One value of a tag at one step."""

    step: int
    wall_time: float
    value: Any


class SchemaError(ValueError):
    """A run's summaries cannot be read with this version of the schema."""


def _decode(value: np.ndarray, encoding: str) -> Any:
    if encoding == JSON:
        raw = value.item() if isinstance(value, np.ndarray) else value
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw)
    return value


class RunReader:
    """Reads one run of explain summaries through a TensorBoard data provider.

    Args:
        data_provider: A ``tensorboard.data.provider.DataProvider``.
        run: The run name, as the provider lists it.
        ctx: The request context (``plugin_util.context(environ)``) or None.
        experiment_id: The experiment id (``""`` for a plain logdir).

    Raises:
        SchemaError: When the run was written by a newer schema version.

    Example:
        >>> reader = open_logdir("logs").reader("run1/explain")
        >>> reader.steps("predictions")
        [0, 10, 20]
    """

    def __init__(self, data_provider, run: str, ctx=None, experiment_id: str = ""):
        self._provider = data_provider
        self._ctx = ctx if ctx is not None else _default_context()
        self._experiment_id = experiment_id
        self.run = run
        self._series = self._list_series()
        self._cache = {}
        self._check_versions()

    def _check_versions(self) -> None:
        """Refuses a run that any tag says was written by a newer schema."""
        newer = {}
        for tag in self._series:
            version = self.version(tag)
            if version > SCHEMA_VERSION:
                newer[tag] = version
        if newer:
            raise SchemaError(
                f"Run {self.run!r} uses explain schema version "
                f"{max(newer.values())} in {len(newer)} tags (e.g. "
                f"{min(newer)!r}); this tb_explain reads versions up to "
                f"{SCHEMA_VERSION}. Upgrade tb_explain to read it."
            )

    def _list_series(self) -> dict:
        listing = self._provider.list_tensors(
            self._ctx, experiment_id=self._experiment_id, plugin_name=PLUGIN_NAME
        )
        return dict(listing.get(self.run, {}))

    def tags(self) -> list[str]:
        """Every tag of this run, sorted."""
        return sorted(self._series)

    def has(self, tag: str) -> bool:
        """Whether the run holds ``tag``."""
        return tag in self._series

    def version(self, tag: str) -> int:
        """The schema version ``tag`` was written with.

        Raises:
            SchemaError: When the tag's metadata cannot be parsed.
        """
        series = self._series[tag]
        try:
            content = parse_metadata_content(series.plugin_content)
            return int(content.get("version", 0))
        except (TypeError, ValueError) as error:
            raise SchemaError(
                f"Tag {tag!r} of run {self.run!r} has unreadable explain "
                f"metadata: {error}"
            ) from error

    def max_step(self, tag: str) -> int | None:
        """The last step written for ``tag`` (None when absent)."""
        series = self._series.get(tag)
        return None if series is None else int(series.max_step)

    def read_encoded(self, tag: str) -> list[Datum]:
        """All values of ``tag`` as stored, in step order.

        ``json`` tags come back parsed; ``map`` tags come back as the stored
        float16 ``values / scale`` (see :meth:`scale`), so that a reader that
        keeps them pays 2 bytes per value.

        Raises:
            KeyError: When the run has no such tag.
            SchemaError: When the tag was written by a newer schema.
        """
        if tag not in self._series:
            raise KeyError(tag)
        version = self.version(tag)
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"Tag {tag!r} of run {self.run!r} uses explain schema version "
                f"{version}; this tb_explain reads versions up to "
                f"{SCHEMA_VERSION}. Upgrade tb_explain to read it."
            )
        series = self._series[tag]
        key = (tag, series.max_step, series.max_wall_time)
        if encoding_of(tag) == MAP and STEP_INFO in self._series:
            # Which steps keep their maps depends on step/info (written last).
            info = self._series[STEP_INFO]
            key += (info.max_step, info.max_wall_time)
        if key not in self._cache:
            data = self._read_uncached(tag)
            if encoding_of(tag) == MAP:
                data = self._with_scales(tag, data)
            self._cache[key] = data
        return self._cache[key]

    def _with_scales(self, tag: str, data: list[Datum]) -> list[Datum]:
        """Drops the steps of a ``map`` tag whose scale was never recorded.

        The scale is in the step's ``step/info``, written after the maps: a
        run cut short in between (a crash, a truncated event file) holds maps
        that cannot be decoded, and decoding them with a guessed scale would
        show wrong values.
        """
        infos = self.read_encoded(STEP_INFO) if STEP_INFO in self._series else []
        scaled = {
            d.step
            for d in infos
            if isinstance(d.value, dict) and tag in (d.value.get("scales") or {})
        }
        kept = [d for d in data if d.step in scaled]
        if len(kept) < len(data):
            lost = sorted({d.step for d in data} - {d.step for d in kept})
            logger.warning(
                "Run %r: tag %r has no recorded scale at steps %s (the step was "
                "cut short); those steps are left out.",
                self.run,
                tag,
                lost,
            )
        return kept

    def read(self, tag: str) -> list[Datum]:
        """All values of ``tag``, in step order, decoded.

        ``map`` tags come back as float32 with their scales applied.

        Raises:
            KeyError: When the run has no such tag.
            SchemaError: When the tag was written by a newer schema.
        """
        data = self.read_encoded(tag)
        if encoding_of(tag) != MAP:
            return data
        return [self._decoded(tag, d) for d in data]

    def _decoded(self, tag: str, datum: Datum) -> Datum:
        if encoding_of(tag) != MAP:
            return datum
        value = decode_map(datum.value, self.scale(tag, datum.step))
        return Datum(datum.step, datum.wall_time, value)

    def _read_uncached(self, tag: str) -> list[Datum]:
        from tensorboard.data import provider

        result = self._provider.read_tensors(
            self._ctx,
            experiment_id=self._experiment_id,
            plugin_name=PLUGIN_NAME,
            downsample=10**9,
            run_tag_filter=provider.RunTagFilter(runs=[self.run], tags=[tag]),
        )
        encoding = encoding_of(tag)
        data = [
            Datum(int(d.step), float(d.wall_time), _decode(d.numpy, encoding))
            for d in result.get(self.run, {}).get(tag, [])
        ]
        data.sort(key=lambda d: d.step)
        return data

    def scale(self, tag: str, step: int) -> float:
        """The scale of the ``map`` tag ``tag`` at ``step`` (1.0 if unknown).

        :meth:`read_encoded` already leaves out the steps of a ``map`` tag
        whose scale is unknown.
        """
        info = self.step_info(step)
        scales = info.get("scales", {}) if info else {}
        return float(scales.get(tag, 1.0))

    def steps(self, tag: str) -> list[int]:
        """The steps at which ``tag`` was written (empty when absent)."""
        if tag not in self._series:
            return []
        return [d.step for d in self.read_encoded(tag)]

    def explained_steps(self) -> list[int]:
        """Steps explained completely: ``predictions`` with their ``step/info``.

        ``step/info`` is written last at each step, so a step cut short (a
        crash, a truncated event file) is left out.
        """
        info = self.steps(STEP_INFO) if STEP_INFO in self._series else None
        return complete_steps(self.steps(PREDICTIONS), info)

    def at(self, tag: str, step: int | None = None) -> Datum:
        """The value of ``tag`` at ``step`` (the last step when None).

        Raises:
            KeyError: When the tag or the step does not exist.
        """
        data = self.read_encoded(tag)
        if not data:
            raise KeyError(tag)
        if step is None:
            return self._decoded(tag, data[-1])
        for datum in data:
            if datum.step == step:
                return self._decoded(tag, datum)
        raise KeyError(f"{tag} at step {step}")

    def first(self, tag: str) -> Any:
        """The first value written for ``tag`` (for write-once tags)."""
        data = self.read_encoded(tag)
        if not data:
            raise KeyError(tag)
        return self._decoded(tag, data[0]).value

    def step_info(self, step: int) -> dict:
        """The ``step/info`` JSON of ``step`` ({} when missing)."""
        if STEP_INFO not in self._series:
            return {}
        for datum in self.read_encoded(STEP_INFO):
            if datum.step == step:
                return datum.value
        return {}

    def config(self) -> dict:
        """The ``run/config`` JSON written once at the start of training."""
        return self.first(RUN_CONFIG)

    def model(self) -> dict:
        """The ``run/model`` JSON written once at the start of training."""
        return self.first(RUN_MODEL)

    def methods(self) -> list[str]:
        """Method keys that have attributions in this run, in config order."""
        keys = [m.get("key") for m in self.config().get("methods") or []]
        present = {t.split("/")[1] for t in self._series if t.startswith("attr")}
        return [k for k in keys if k in present]


def complete_steps(prediction_steps: list[int], info_steps: list[int] | None) -> list:
    """The prediction steps whose ``step/info`` (written last) exists.

    Args:
        prediction_steps: Steps of ``predictions``.
        info_steps: Steps of ``step/info``, or None for a run without it.
    """
    if info_steps is None:
        return list(prediction_steps)
    complete = set(info_steps)
    return [step for step in prediction_steps if step in complete]


def _default_context():
    from tensorboard import context

    return context.RequestContext()


def find_runs(data_provider, ctx=None, experiment_id: str = "") -> list[str]:
    """Runs that hold explain summaries (a ``run/config`` tag), sorted."""
    ctx = ctx if ctx is not None else _default_context()
    listing = data_provider.list_tensors(
        ctx, experiment_id=experiment_id, plugin_name=PLUGIN_NAME
    )
    return sorted(run for run, tags in listing.items() if RUN_CONFIG in tags)


class LogdirReader:
    """A logdir loaded into memory with every step of the explain plugin kept.

    Used by the command line and the tests; the plugin gets its data provider
    from TensorBoard instead.

    Args:
        logdir: A folder (local or any ``tf.io.gfile`` scheme) holding runs.
    """

    def __init__(self, logdir: str):
        from tensorboard.backend.event_processing import (
            data_provider,
            plugin_event_multiplexer,
        )

        multiplexer = plugin_event_multiplexer.EventMultiplexer(
            tensor_size_guidance={PLUGIN_NAME: 0}
        )
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        self.logdir = logdir
        self.data_provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)

    def runs(self) -> list[str]:
        """Runs that hold explain summaries."""
        return find_runs(self.data_provider)

    def reader(self, run: str) -> RunReader:
        """A :class:`RunReader` for ``run``."""
        return RunReader(self.data_provider, run)


def open_logdir(logdir: str) -> LogdirReader:
    """Loads ``logdir`` for reading; see :class:`LogdirReader`."""
    return LogdirReader(logdir)
