"""The Explain plugin: GET-only routes under ``/data/plugin/explain/``.

Routes (all GET, no side effects; errors are ``InvalidArgumentError`` 400 or
``NotFoundError`` 404 with the received values quoted):

- ``index.js``: the frontend's ES module; ``static/<file>``: other frontend
  files from a whitelist of the files found in the frontend folder.
- ``runs``: ``{"runs": [{"run", "modality", "task", "probe_count",
  "methods", "steps", "class_names", "feature_names", "inputs",
  "has_quality", "errors"}]}``; an unreadable run is listed with errors.
- ``run?run=R``: config, model, steps, Keras logs, step info.
- ``samples?run=R[&step=S]``: every sample's label and prediction.
- ``sample?run=R&sample=I[&step=S]``: one sample's explanation. The
  ``status`` in each method's ``quality`` is that of the probe-level figure
  in ``quality/summary`` (None when absent); a method with no attributions
  at that step (it failed there) is left out.
- ``map?run=R&method=M&sample=I[&step=S][&input=K][&view=signed|abs]``:
  float32 little-endian bytes, headers ``X-Shape``, ``X-Dtype``, ``X-Step``.
  ``abs`` is served for every method: where no absolute map was written
  (one channel) it is ``|signed|``.
- ``input?run=R&sample=I[&input=K]``: the probe input as written, bytes with
  ``X-Shape`` and ``X-Dtype``.
- ``history?run=R&sample=I``: prediction and attribution figures per step.
- ``global?run=R&method=M[&step=S][&input=K]``: importance per class, weight
  statistics and weight pictures.
- ``quality?run=R``: ``{"steps", "summary"}``, empty for a run without
  quality.
- ``report?run=R[&format=html|json|markdown][&lang=en|zh][&step=S]``: the
  report as an attachment.

``step`` defaults to the last complete step (one with its ``step/info``). A
run written by a newer schema is 404 on every route. Every data response
carries an ``ETag`` made of the request and the run's ``(tags, max step, max
wall time)``, with
``Cache-Control: no-cache``: the browser revalidates, and an unchanged run
answers 304 without reading anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.parse

import numpy as np
from tensorboard import context as tb_context
from tensorboard import errors, plugin_util
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_explain import _version, summary
from tb_explain.plugin import assets, data, params, views

logger = logging.getLogger(__name__)

JSON = "application/json"
BINARY = "application/octet-stream"


class ExplainPlugin(base_plugin.TBPlugin):
    """The Explain tab's backend.

    Args:
        context: TensorBoard's ``TBContext``; its ``data_provider`` is the only
            source of data.
    """

    plugin_name = summary.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        self._provider = context.data_provider
        megabytes = getattr(context.flags, "explain_cache_mb", None)
        if not isinstance(megabytes, int):
            megabytes = data.DEFAULT_CACHE_BYTES // 2**20
        self._cache = data.BoundedCache(megabytes * 2**20)
        self._listings = data.ListingCache()

    def get_plugin_apps(self) -> dict:
        """The WSGI apps of the routes, by path under the plugin's prefix."""
        return {
            "/index.js": self._index_route,
            "/static/*": self._static_route,
            "/runs": self._runs_route,
            "/run": self._run_route,
            "/samples": self._samples_route,
            "/sample": self._sample_route,
            "/map": self._map_route,
            "/input": self._input_route,
            "/history": self._history_route,
            "/global": self._global_route,
            "/quality": self._quality_route,
            "/report": self._report_route,
        }

    def is_active(self) -> bool:
        """Whether any run holds explain summaries."""
        if self._provider is None:
            return False
        ctx = tb_context.RequestContext()
        return bool(data.Source(self._provider, ctx, "", self._cache).listing())

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        """An iframed ES module; TensorBoard's reload does not reach it.

        The tab has a refresh control of its own, so TensorBoard's reload
        button is disabled for it.
        """
        return base_plugin.FrontendMetadata(
            es_module_path="/index.js", tab_name="Explain", disable_reload=True
        )

    def _source(self, request) -> data.Source:
        return data.Source(
            self._provider,
            plugin_util.context(request.environ),
            plugin_util.experiment_id(request.environ),
            self._cache,
            self._listings,
        )

    def _run_data(self, request) -> data.RunData:
        run = params.get_text(request.args, "run")
        return self._source(request).run(run)

    @wrappers.Request.application
    def _index_route(self, request):
        return _serve_file(request, "index.js")

    @wrappers.Request.application
    def _static_route(self, request):
        return _serve_file(request, request.path.partition("/static/")[2])

    @wrappers.Request.application
    def _runs_route(self, request):
        source = self._source(request)
        return _respond(
            request, source.fingerprint(), lambda: (views.runs_impl(source), JSON)
        )

    @wrappers.Request.application
    def _run_route(self, request):
        run_data = self._run_data(request)
        return _respond(
            request, run_data.fingerprint(), lambda: (views.run_impl(run_data), JSON)
        )

    @wrappers.Request.application
    def _samples_route(self, request):
        step = params.get_int(request.args, "step", required=False)
        run_data = self._run_data(request)
        return _respond(
            request,
            run_data.fingerprint(),
            lambda: (views.samples_impl(run_data, step), JSON),
        )

    @wrappers.Request.application
    def _sample_route(self, request):
        sample = params.get_int(request.args, "sample")
        step = params.get_int(request.args, "step", required=False)
        run_data = self._run_data(request)
        return _respond(
            request,
            run_data.fingerprint(),
            lambda: (views.sample_impl(run_data, sample, step), JSON),
        )

    @wrappers.Request.application
    def _map_route(self, request):
        args = request.args
        method = params.get_text(args, "method")
        sample = params.get_int(args, "sample")
        step = params.get_int(args, "step", required=False)
        index = params.get_int(args, "input", required=False) or 0
        view = params.get_choice(args, "view", ("signed", "abs"), "signed")
        run_data = self._run_data(request)

        def build():
            values, found = views.map_impl(run_data, method, sample, step, index, view)
            content, headers = _binary(values.astype(np.float32))
            return content, BINARY, headers + [("X-Step", str(found))]

        return _respond(request, run_data.fingerprint(), build)

    @wrappers.Request.application
    def _input_route(self, request):
        sample = params.get_int(request.args, "sample")
        index = params.get_int(request.args, "input", required=False) or 0
        run_data = self._run_data(request)

        def build():
            content, headers = _binary(views.input_impl(run_data, sample, index))
            return content, BINARY, headers

        return _respond(request, run_data.fingerprint(), build)

    @wrappers.Request.application
    def _history_route(self, request):
        sample = params.get_int(request.args, "sample")
        run_data = self._run_data(request)
        return _respond(
            request,
            run_data.fingerprint(),
            lambda: (views.history_impl(run_data, sample), JSON),
        )

    @wrappers.Request.application
    def _global_route(self, request):
        args = request.args
        method = params.get_text(args, "method")
        step = params.get_int(args, "step", required=False)
        index = params.get_int(args, "input", required=False) or 0
        run_data = self._run_data(request)
        return _respond(
            request,
            run_data.fingerprint(),
            lambda: (views.global_impl(run_data, method, step, index), JSON),
        )

    @wrappers.Request.application
    def _quality_route(self, request):
        run_data = self._run_data(request)
        return _respond(
            request,
            run_data.fingerprint(),
            lambda: (views.quality_impl(run_data), JSON),
        )

    @wrappers.Request.application
    def _report_route(self, request):
        args = request.args
        report_format = params.get_choice(args, "format", views.REPORT_FORMATS, "html")
        lang = params.get_choice(args, "lang", views.REPORT_LANGUAGES, "en")
        step = params.get_int(args, "step", required=False)
        run_data = self._run_data(request)

        def build():
            body, filename, content_type = views.report_impl(
                run_data, report_format, lang, step
            )
            return body, content_type, [_attachment(filename)]

        return _respond(request, run_data.fingerprint(), build)


def _etag(request, fingerprint: str) -> str:
    """An entity tag of the request and the data it reads."""
    digest = hashlib.sha256()
    for part in (_version.__version__, request.path, request.query_string, fingerprint):
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _respond(request, fingerprint: str, build):
    """Answers 304 when the client holds this version, else builds the body.

    Args:
        request: The werkzeug request.
        fingerprint: Changes whenever the data the route reads changes.
        build: Returns ``(content, content_type)`` or ``(content,
            content_type, headers)``.
    """
    etag = _etag(request, fingerprint)
    headers = [("ETag", f'"{etag}"')]
    if request.if_none_match.contains_weak(etag):
        return http_util.Respond(request, b"", "text/plain", code=304, headers=headers)
    content, content_type, *extra = build()
    headers += extra[0] if extra else []
    return http_util.Respond(request, content, content_type, headers=headers)


def _binary_headers(values: np.ndarray) -> list[tuple[str, str]]:
    return [
        ("X-Shape", ",".join(str(n) for n in values.shape)),
        ("X-Dtype", values.dtype.name),
    ]


def _binary(values: np.ndarray) -> tuple[bytes, list[tuple[str, str]]]:
    """Little-endian bytes of ``values`` with their shape and dtype headers."""
    values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
    return values.tobytes(), _binary_headers(values)


def _attachment(filename: str) -> tuple[str, str]:
    """A Content-Disposition header safe for any file name."""
    fallback = "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename
    )
    quoted = urllib.parse.quote(filename, safe="")
    return (
        "Content-Disposition",
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}",
    )


def _serve_file(request, name: str):
    """Serves one whitelisted frontend file; 404 for anything else."""
    files = assets.list_files(assets.frontend_dir())
    path = files.get(name)
    if path is None:
        raise errors.NotFoundError(f"No frontend file {name[:200]!r}.")
    stat = os.stat(path)
    fingerprint = f"{name}:{stat.st_size}:{stat.st_mtime_ns}"

    def build():
        with open(path, "rb") as handle:
            return handle.read(), assets.content_type(name)

    return _respond(request, fingerprint, build)
