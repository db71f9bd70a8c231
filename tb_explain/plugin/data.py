"""Request-scoped reading of one run, with a bounded cache across requests.

Every read goes through :class:`tb_explain.summary.RunReader` on TensorBoard's
data provider. Data grows while training runs, so each cached value is keyed
on the tag's ``(max_step, max_wall_time)``: a new step makes a new key and the
old value ages out of a least-recently-used cache bounded in bytes.

Maps are kept in the cache as they were written (float16 values with one
float32 scale per step), stacked over steps, so that one 256-probe, 50-step,
28x28 method costs 20 MB rather than the 40 MB of decoded float32.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import logging
import threading
import time
import warnings
from typing import Any

import numpy as np
from tensorboard import errors

from tb_explain import summary

logger = logging.getLogger(__name__)

DEFAULT_CACHE_BYTES = 96 * 2**20
_SMALL_BYTES = 4096


class BoundedCache:
    """A thread-safe least-recently-used cache bounded by an estimate of bytes.

    Args:
        max_bytes: The budget; a value larger than it is returned but not kept.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self.max_bytes = max_bytes
        self._entries = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key) -> Any:
        """The value stored under ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key, value, nbytes: int) -> None:
        """Stores ``value``, evicting the least recently used entries."""
        if nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    @property
    def nbytes(self) -> int:
        """The estimated bytes held now."""
        return self._bytes


@dataclasses.dataclass(frozen=True)
class MapStack:
    """Every step of one ``map`` tag, stacked and kept as written.

    Attributes:
        steps: ``(n_steps,)`` int64 steps, ascending.
        scaled: ``(n_steps, batch, ...)`` float16 values divided by the scale.
        scales: ``(n_steps,)`` float32 scales.
        stats: ``{"min", "max", "sum", "max_abs"}`` of each sample at each
            step, ``(n_steps, batch)`` float32 (NaN ignored).
    """

    steps: np.ndarray
    scaled: np.ndarray
    scales: np.ndarray
    stats: dict

    def index(self, step: int) -> int:
        """The position of ``step``; KeyError when it was not written."""
        position = int(np.searchsorted(self.steps, step))
        if position >= len(self.steps) or self.steps[position] != step:
            raise KeyError(step)
        return position

    def values(self, position: int, sample: int | None = None) -> np.ndarray:
        """Decoded float32 values at one step (of one sample when given)."""
        scaled = self.scaled[position]
        if sample is not None:
            scaled = scaled[sample]
        return scaled.astype(np.float32) * self.scales[position]


def _map_stack(data: list[summary.Datum], scales: list[float]) -> MapStack:
    """Stacks stored float16 maps (``values / scale``) without decoding them."""
    steps = np.array([d.step for d in data], dtype=np.int64)
    safe = np.array([s if s > 0 else 1.0 for s in scales], dtype=np.float32)
    scaled = np.stack([np.asarray(d.value, np.float16) for d in data])
    stats = {"min": [], "max": [], "sum": [], "max_abs": []}
    with warnings.catch_warnings():
        # A sample whose map is all NaN gets NaN figures, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        for position in range(len(steps)):
            flat = scaled[position].reshape(scaled.shape[1], -1).astype(np.float32)
            flat *= safe[position]
            stats["min"].append(np.nanmin(flat, axis=1))
            stats["max"].append(np.nanmax(flat, axis=1))
            stats["sum"].append(np.nansum(flat, axis=1))
            stats["max_abs"].append(np.nanmax(np.abs(flat), axis=1))
    return MapStack(steps, scaled, safe, {k: np.stack(v) for k, v in stats.items()})


def _nbytes(value: Any) -> int:
    if isinstance(value, MapStack):
        return value.scaled.nbytes + 16 * value.scaled.shape[0] * value.scaled.shape[1]
    if isinstance(value, list) and all(isinstance(d, summary.Datum) for d in value):
        return sum(_nbytes(d.value) for d in value) + _SMALL_BYTES
    if isinstance(value, np.ndarray):
        return value.nbytes + 128
    return _SMALL_BYTES


class _ListedOnce:
    """A data provider whose explain listing was fetched once for a request."""

    def __init__(self, provider, listing: dict):
        self._provider = provider
        self._listing = listing

    def list_tensors(self, ctx, *, experiment_id, plugin_name, run_tag_filter=None):
        return self._listing

    def read_tensors(self, ctx, **kwargs):
        return self._provider.read_tensors(ctx, **kwargs)


class ListingCache:
    """The plugin's listing of every run and tag, reused for ``ttl`` seconds.

    Each call to TensorBoard's Rust data server costs about 45 ms on loopback
    (measured with ``benchmarks/plugin_latency.py``), and every route needs
    the listing first; reusing it for a second makes most requests need no
    call at all. New steps show up at most ``ttl`` seconds late.

    Args:
        ttl: Seconds a listing is reused.
    """

    def __init__(self, ttl: float = 1.0):
        self.ttl = ttl
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, provider, ctx, experiment_id: str) -> dict:
        """``{run: {tag: TensorTimeSeries}}`` of the explain plugin."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(experiment_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        listing = provider.list_tensors(
            ctx, experiment_id=experiment_id, plugin_name=summary.PLUGIN_NAME
        )
        with self._lock:
            self._entries[experiment_id] = (now, listing)
        return listing


class Source:
    """What one request may read: the provider, its context and the cache.

    Args:
        provider: TensorBoard's data provider.
        ctx: The request context (``plugin_util.context(environ)``).
        experiment_id: The experiment (``plugin_util.experiment_id(environ)``).
        cache: The plugin's :class:`BoundedCache`.
        listings: The plugin's :class:`ListingCache` (None: list every time).
    """

    def __init__(
        self,
        provider,
        ctx,
        experiment_id: str,
        cache: BoundedCache,
        listings: ListingCache | None = None,
    ):
        self.provider = provider
        self.ctx = ctx
        self.experiment_id = experiment_id
        self.cache = cache
        self._listings = listings or ListingCache(ttl=0.0)
        self._listing = None

    def listing(self) -> dict:
        """``{run: {tag: TensorTimeSeries}}`` of the explain plugin."""
        if self._listing is None:
            self._listing = self._listings.get(
                self.provider, self.ctx, self.experiment_id
            )
        return self._listing

    def runs(self) -> list[str]:
        """Every run with explain summaries, sorted."""
        return sorted(self.listing())

    def fingerprint(self) -> str:
        """Changes whenever any run gains a tag or a step."""
        return _fingerprint(
            (run, _series_key(tags)) for run, tags in sorted(self.listing().items())
        )

    def run(self, run: str) -> RunData:
        """The data of ``run``.

        Raises:
            errors.NotFoundError: When no run of that name has explain data,
                or the run was written by a newer schema.
        """
        if run not in self.listing():
            raise errors.NotFoundError(f"No explain data for run {run!r}.")
        try:
            return RunData(self, run)
        except summary.SchemaError as error:
            raise errors.NotFoundError(str(error)) from error


def _series_key(tags: dict) -> tuple:
    return (
        len(tags),
        max((int(s.max_step) for s in tags.values()), default=-1),
        max((float(s.max_wall_time) for s in tags.values()), default=0.0),
    )


def _fingerprint(parts) -> str:
    digest = hashlib.sha256(repr(list(parts)).encode("utf-8"))
    return digest.hexdigest()[:32]


class RunData:
    """The explain data of one run for one request, read through the cache.

    Every accessor raises ``errors.NotFoundError`` (HTTP 404) for what the run
    does not hold, so that routes need no error handling of their own.
    """

    def __init__(self, source: Source, run: str):
        self.source = source
        self.run = run
        self.series = source.listing()[run]
        provider = _ListedOnce(source.provider, source.listing())
        self.reader = summary.RunReader(provider, run, source.ctx, source.experiment_id)

    def fingerprint(self) -> str:
        """Changes whenever the run gains a tag or a step."""
        return _fingerprint([self.run, _series_key(self.series)])

    def has(self, tag: str) -> bool:
        """Whether the run holds ``tag``."""
        return tag in self.series

    def tags(self, prefix: str) -> list[str]:
        """The run's tags that start with ``prefix``, sorted."""
        return sorted(tag for tag in self.series if tag.startswith(prefix))

    def _cached(self, kind: str, tag: str, build):
        series = self.series.get(tag)
        if series is None:
            raise errors.NotFoundError(f"Run {self.run!r} has no tag {tag!r}.")
        key = (
            self.source.experiment_id,
            self.run,
            kind,
            tag,
            int(series.max_step),
            float(series.max_wall_time),
        ) + self._scales_key(tag)
        value = self.source.cache.get(key)
        if value is None:
            try:
                value = build(tag)
            except summary.SchemaError as error:
                raise errors.NotFoundError(str(error)) from error
            self.source.cache.put(key, value, _nbytes(value))
        return value

    def _scales_key(self, tag: str) -> tuple:
        """For a ``map`` tag, the state of ``step/info``: the maps of a step
        are served only once its scale (written last) is there."""
        info = self.series.get(summary.STEP_INFO)
        if summary.encoding_of(tag) != summary.MAP or info is None:
            return ()
        return (int(info.max_step), float(info.max_wall_time))

    def read(self, tag: str) -> list[summary.Datum]:
        """Every value of ``tag`` in step order, decoded."""
        return self._cached("read", tag, self.reader.read)

    def maps(self, tag: str) -> MapStack:
        """Every step of the ``map`` tag ``tag``, compact."""
        return self._cached("maps", tag, self._build_maps)

    def _build_maps(self, tag: str) -> MapStack:
        data = self.reader.read_encoded(tag)
        if not data:
            raise errors.NotFoundError(f"Run {self.run!r} has no data in {tag!r}.")
        scales = [self.reader.scale(tag, d.step) for d in data]
        return _map_stack(data, scales)

    def first(self, tag: str) -> Any:
        """The first value of a write-once tag."""
        data = self.read(tag)
        if not data:
            raise errors.NotFoundError(f"Run {self.run!r} has no data in {tag!r}.")
        return data[0].value

    def at(self, tag: str, step: int) -> Any:
        """The value of ``tag`` at ``step``."""
        for datum in self.read(tag):
            if datum.step == step:
                return datum.value
        raise errors.NotFoundError(f"Run {self.run!r} has no step {step!r} in {tag!r}.")

    def config(self) -> dict:
        """The run's ``run/config`` JSON."""
        return self.first(summary.RUN_CONFIG)

    def steps(self, tag: str = summary.PREDICTIONS) -> list[int]:
        """The steps written for ``tag`` ([] when the run lacks it).

        The steps of ``predictions`` count only once the step's ``step/info``
        (written last) is there: a step cut short is left out.
        """
        if not self.has(tag):
            return []
        steps = [d.step for d in self.read(tag)]
        if tag != summary.PREDICTIONS:
            return steps
        info = self.steps(summary.STEP_INFO) if self.has(summary.STEP_INFO) else None
        return summary.complete_steps(steps, info)

    def step(self, step: int | None) -> int:
        """``step``, checked to exist, or the last step when None."""
        steps = self.steps()
        if not steps:
            raise errors.NotFoundError(f"Run {self.run!r} has no explained step yet.")
        if step is None:
            return steps[-1]
        if step not in steps:
            raise errors.NotFoundError(
                f"Run {self.run!r} has no step {step!r}; it has {len(steps)} "
                f"steps from {steps[0]!r} to {steps[-1]!r}."
            )
        return step
