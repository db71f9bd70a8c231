"""Helpers shared by the hardening tests (``tests/test_hardening_*.py``).

Imported as a plain module (``tests/`` is on ``sys.path``). Holds the hostile
strings, a raw HTTP client that sends a request path byte for byte, the
builders of the hardening logdir (good, hostile and broken runs) and an
in-process TensorBoard WSGI client for logdirs written during a test.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import time
import urllib.parse

import numpy as np
from fixtures_logdirs import write_schema_run
from fixtures_server import make_app

from tb_explain import summary

PREFIX = "/data/plugin/explain/"

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = "\"'><img src=x onerror=alert(1)>"
TEXTAREA = "</textarea>"
AMPERSAND = "&amp;"
RTL = "\u202e"
HOSTILE_TEXTS = (SCRIPT, ATTRIBUTE, TEXTAREA, AMPERSAND, RTL)

# A run whose folder names carry every hostile text; the "/" of the closing
# tags splits it into nested folders, as a run name may be.
HOSTILE_RUN_DIR = os.path.join(
    "x<script>alert(1)<",
    "script>\"'><img src=x onerror=alert(1)><",
    f"textarea>&amp;{RTL}evil",
)
HOSTILE_RUN = HOSTILE_RUN_DIR.replace(os.sep, "/") + "/explain"
HOSTILE_METHOD = "ig" + SCRIPT.replace("/", "_")

GOOD_RUNS = ("images/explain", "tabular/explain")
BROKEN_RUNS = {
    "truncated": "truncated/explain",
    "newer": "newer/explain",
    "garbled": "garbled/explain",
    "config_only": "config_only/explain",
}
OLDER_RUN = "older/explain"
SCHEMA_STEPS = (0, 5, 10)


def raw_get(base_url: str, path: str, timeout: float = 30.0):
    """GETs ``path`` exactly as given: no normalisation, no re-encoding.

    ``urllib`` would be fine for most paths; a raw request also lets a test
    send ``..`` segments and percent escapes that a client library might
    rewrite.

    Args:
        base_url: ``http://127.0.0.1:PORT``.
        path: The request target, starting with ``/``.
        timeout: Seconds before the connection gives up.

    Returns:
        ``(status, headers, body)`` with lower-case header names.
    """
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parsed.hostname, parsed.port, timeout=timeout
    )
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def route_path(route: str, **query) -> str:
    """``/data/plugin/explain/<route>?<query>`` with the query URL-encoded.

    A list value repeats its parameter; a None value leaves it out.
    """
    pairs = []
    for name, value in query.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        pairs += [(name, str(v)) for v in values]
    encoded = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
    return PREFIX + route + ("?" + encoded if encoded else "")


def write_newer_schema_run(run_dir: str, version: int = 99) -> None:
    """A schema run written as a future tb_explain with ``version`` would."""
    saved = summary.SCHEMA_VERSION
    summary.SCHEMA_VERSION = version
    try:
        write_schema_run(run_dir, n=4, steps=(0, 5))
    finally:
        summary.SCHEMA_VERSION = saved


def write_metadata_run(run_dir: str, content) -> None:
    """A schema run whose tags carry ``content(encoding)`` as plugin content."""
    with patched(summary, "metadata_content", content):
        write_schema_run(run_dir, n=4, steps=(0, 5))


def write_config_only_run(run_dir: str) -> None:
    """Only ``run/config``: a callback stopped right after it started."""
    source = os.path.join(run_dir, "_full")
    write_schema_run(source, n=4, steps=(0,))
    config = summary.open_logdir(source).reader("explain").config()
    shutil.rmtree(source)
    writer = summary.SummaryWriter(os.path.join(run_dir, "explain"))
    writer.write_json(summary.RUN_CONFIG, config, 0)
    writer.close()


def event_file(folder: str) -> str:
    """The one event file in ``folder``."""
    names = [n for n in os.listdir(folder) if "tfevents" in n]
    if len(names) != 1:
        raise ValueError(f"Expected one event file in {folder}, found {names}")
    return os.path.join(folder, names[0])


def truncate(path: str, cut: int) -> int:
    """Cuts the last ``cut`` bytes of ``path``; returns the new size."""
    size = os.path.getsize(path) - cut
    with open(path, "r+b") as handle:
        handle.truncate(size)
    return size


def write_hardening_logdir(logdir: str) -> dict:
    """Writes the good, hostile and broken runs the server tests share.

    Runs: ``images`` and ``tabular`` (good), :data:`HOSTILE_RUN` (hostile
    names everywhere), ``truncated`` (its event file cut mid-record),
    ``newer`` (schema version 99), ``garbled`` (unreadable metadata),
    ``older`` (metadata without a version, read as version 0),
    ``config_only`` (only ``run/config``), ``empty`` (an empty folder) and
    ``notes`` (a text file, no events).

    Args:
        logdir: An empty folder.

    Returns:
        ``{"written": {run: values}, "truncated_cut": bytes cut}``.
    """
    written = {
        "images/explain": write_schema_run(os.path.join(logdir, "images")),
        "tabular/explain": write_schema_run(
            os.path.join(logdir, "tabular"), modality="tabular", seed=1
        ),
    }
    written[HOSTILE_RUN] = write_hostile_run(os.path.join(logdir, HOSTILE_RUN_DIR))
    truncated = os.path.join(logdir, "truncated")
    written["truncated/explain"] = write_schema_run(truncated, n=4, steps=SCHEMA_STEPS)
    cut = 37
    truncate(event_file(os.path.join(truncated, "explain")), cut)
    write_newer_schema_run(os.path.join(logdir, "newer"))
    write_metadata_run(os.path.join(logdir, "garbled"), lambda _: b"\xff{not json")
    write_metadata_run(
        os.path.join(logdir, "older"),
        lambda encoding: json.dumps({"encoding": encoding}).encode(),
    )
    write_config_only_run(os.path.join(logdir, "config_only"))
    os.makedirs(os.path.join(logdir, "empty", "explain"))
    os.makedirs(os.path.join(logdir, "notes", "explain"))
    with open(os.path.join(logdir, "notes", "explain", "README.txt"), "w") as f:
        f.write("not an event file\n")
    return {"written": written, "truncated_cut": cut}


def write_hostile_run(run_dir: str) -> dict:
    """A tabular run whose names, labels and method options are hostile."""
    import fixtures_logdirs

    plain_config = fixtures_logdirs._config

    def hostile_config(*args):
        config = plain_config(*args)
        for method in config["methods"]:
            method["label"] = f"IG {SCRIPT}{TEXTAREA}"
            method["options"] = {"note": " ".join(HOSTILE_TEXTS), SCRIPT: ATTRIBUTE}
        return config

    with patched(fixtures_logdirs, "_config", hostile_config):
        return write_schema_run(
            run_dir,
            modality="tabular",
            n=6,
            methods=(HOSTILE_METHOD,),
            class_names=[SCRIPT, ATTRIBUTE],
            feature_names=[SCRIPT, ATTRIBUTE, TEXTAREA, AMPERSAND, f"{RTL}evil"],
            seed=3,
        )


def no_foreign_file(body: bytes, *contents: bytes) -> bool:
    """Whether ``body`` holds none of the distinctive lines of ``contents``."""
    for content in contents:
        for line in content.splitlines():
            if len(line.strip()) >= 12 and line.strip() in body:
                return False
    return True


def percentile(values, q: float) -> float:
    """The ``q``-th percentile of ``values`` (numpy's linear method)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def wsgi_client(logdir: str):
    """A werkzeug client of TensorBoard's WSGI app with the plugin on ``logdir``."""
    from werkzeug import test as werkzeug_test

    app, _ = make_app(logdir)
    return werkzeug_test.Client(app)


def wsgi_json(client, route: str, **query):
    """``(status, parsed JSON or text)`` of a route through the WSGI client."""
    response = client.get(route_path(route, **query))
    body = response.get_data()
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.status_code, json.loads(body)
    return response.status_code, body.decode("utf-8", "replace")


@contextlib.contextmanager
def patched(target, name: str, value):
    """Sets ``target.name = value`` for the block, then restores it."""
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


SECRET = b"HARDENING-SECRET-7f3c9e-outside-the-logdir"
_BUILT: dict[str, dict] = {}


def hardening_server(tmp_path_factory, start_server):
    """The session's server on the hardening logdir, built once.

    Every hardening test module asks for it through its own module fixture;
    the path is the same for the whole session, so ``tensorboard_server``
    starts one process for all of them. A secret file is written beside the
    logdir (outside it) for the traversal tests to look for.

    Args:
        tmp_path_factory: pytest's session ``tmp_path_factory``.
        start_server: The ``tensorboard_server`` fixture's function.

    Returns:
        ``(server, info)``: the running :class:`fixtures_server.Server` and
        what :func:`write_hardening_logdir` returned, plus ``"logdir"`` and
        ``"secret_path"``.
    """
    root = tmp_path_factory.getbasetemp() / "hardening"
    logdir = str(root / "logs")
    if logdir not in _BUILT:
        os.makedirs(logdir, exist_ok=True)
        info = write_hardening_logdir(logdir)
        secret_path = str(root / "secret.txt")
        with open(secret_path, "wb") as handle:
            handle.write(SECRET + b"\n")
        _BUILT[logdir] = {**info, "logdir": logdir, "secret_path": secret_path}
    server = start_server(logdir)
    expected = GOOD_RUNS + (HOSTILE_RUN, OLDER_RUN, *BROKEN_RUNS.values())
    wait_for_runs(server, expected)
    return server, _BUILT[logdir]


def wait_for_runs(server, runs, seconds: float = 90.0) -> list[dict]:
    """The ``runs`` listing once every run in ``runs`` is there with its steps.

    The server loads event files in the background; a run may be listed
    before all of its steps are.

    Raises:
        TimeoutError: When the runs are not all there in ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while True:
        status, _, body = server.get(PREFIX + "runs")
        listed = json.loads(body)["runs"] if status == 200 else []
        names = {r["run"]: r for r in listed}
        ready = all(name in names for name in runs) and all(
            len(names[name]["steps"]) == len(SCHEMA_STEPS)
            for name in GOOD_RUNS
            if name in runs
        )
        if ready:
            return listed
        if time.monotonic() > deadline:
            raise TimeoutError(f"Runs {runs} not all listed: {sorted(names)}")
        time.sleep(0.5)
