"""A real ``tensorboard`` process on 127.0.0.1, shared by the server tests.

Registered in ``pytest_plugins`` of ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

STARTUP_SECONDS = 120


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(logdir: str):
    """TensorBoard's WSGI app with the plugin, on a multiplexer keeping every step.

    The multiplexer keeps all of the plugin's steps, as the loader asks the
    real server to.

    Returns:
        ``(app, multiplexer)``; call ``multiplexer.Reload()`` to pick up new
        event files.
    """
    from tensorboard import program
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import (
        data_provider,
        plugin_event_multiplexer,
    )
    from tensorboard.plugins.core import core_plugin

    from tb_explain.plugin.loader import ExplainLoader

    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={"explain": 0}
    )
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    board = program.TensorBoard(plugins=[core_plugin.CorePluginLoader(), ExplainLoader])
    board.configure(["tensorboard", "--logdir", logdir])
    app = application.TensorBoardWSGIApp(
        board.flags, [ExplainLoader], data_provider=provider
    )
    return app, multiplexer


def http_get(url: str, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """``(status, headers, body)`` of a GET, including 4xx and 5xx answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Server:
    """A running tensorboard: its ``url``, ``pid`` and ``get``."""

    def __init__(self, logdir: str, extra_args=()):
        self.logdir = logdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(logdir, os.pardir, f"tb-{self.port}.log"), "wb")
        command = [
            sys.executable, "-m", "tensorboard.main", "--logdir", logdir,
            "--host", "127.0.0.1", "--port", str(self.port), *extra_args,
        ]  # fmt: skip
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        self.pid = self.process.pid

    def get(self, path: str) -> tuple[int, dict, bytes]:
        """GET ``path`` (starting with ``/``) on the server."""
        return http_get(self.url + path)

    def wait_until(self, ready, seconds: float = STARTUP_SECONDS) -> None:
        """Polls ``/data/plugins_listing`` until ``ready(listing)`` is true."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tensorboard exited: {self.process.returncode}")
            with contextlib.suppress(OSError):
                status, _, body = self.get("/data/plugins_listing")
                if status == 200 and ready(json.loads(body)):
                    return
            time.sleep(0.25)
        raise TimeoutError(f"tensorboard at {self.url} not ready in {seconds} s")

    def stop(self) -> None:
        """Stops the process by its pid and waits for it."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self.log.close()


def explain_enabled(listing: dict) -> bool:
    """Whether the listing shows the Explain tab enabled."""
    return bool(listing.get("explain", {}).get("enabled"))


@contextlib.contextmanager
def running_server(logdir: str, extra_args=()):
    """A tensorboard serving ``logdir`` until the block ends."""
    server = Server(logdir, extra_args)
    try:
        server.wait_until(explain_enabled)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tensorboard_server():
    """Starts tensorboard on a logdir: ``tensorboard_server(logdir, *args)``.

    One process per ``(logdir, args)`` for the whole session, stopped by its
    pid at the end.

    Returns:
        A function returning a :class:`Server` (``url``, ``pid``,
        ``get(path)``) whose Explain tab is enabled.
    """
    with contextlib.ExitStack() as stack:
        servers = {}

        def start(logdir: str, *extra_args: str) -> Server:
            key = (os.path.abspath(logdir), extra_args)
            if key not in servers:
                servers[key] = stack.enter_context(running_server(logdir, extra_args))
            return servers[key]

        yield start
