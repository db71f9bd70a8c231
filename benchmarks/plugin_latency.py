"""Latency and memory of the Explain plugin on a large logdir (not a test).

Builds a logdir of 256 probes x 50 steps x 4 methods at 28x28 with
``tb_explain.summary.SummaryWriter``, starts a real ``tensorboard`` on
127.0.0.1, times each route over a bounded number of requests and prints
p50/p95, then the server's resident memory (its process and the data server
it starts) against the float16 payload of the maps.

Targets: p95 <= 50 ms for one sample's explanation (``sample`` and ``map``);
memory growth <= 1.5x the float16 payload.

Usage:
    python benchmarks/plugin_latency.py [--requests 100] [--logdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np

N_PROBE, N_STEPS, SIDE, N_CLASSES = 256, 50, 28, 10
METHODS = ("integrated_gradients", "smoothgrad", "gradients", "gradient_x_input")
RUN = "bench/explain"


def build_logdir(logdir: str, seed: int = 0) -> int:
    """Writes the benchmark run; returns the float16 bytes of its maps."""
    from tb_explain import summary

    rng = np.random.default_rng(seed)
    writer = summary.SummaryWriter(os.path.join(logdir, "bench", "explain"))
    images = rng.integers(0, 256, size=(N_PROBE, SIDE, SIDE, 1), dtype=np.uint8)
    labels = rng.integers(0, N_CLASSES, size=N_PROBE).astype(np.int32)
    writer.write_array(summary.probe_inputs_tag(0), images, 0)
    writer.write_array(summary.PROBE_LABELS, labels, 0)
    writer.write_json(summary.RUN_MODEL, {"name": "bench", "layers": []}, 0)
    writer.write_json(summary.RUN_CONFIG, _config(), 0)
    payload = 0
    for step in range(N_STEPS):
        logits = rng.normal(size=(N_PROBE, N_CLASSES)).astype(np.float32)
        predictions = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        writer.write_array(summary.PREDICTIONS, predictions, step)
        writer.write_array(
            summary.TARGETS, predictions.argmax(1).astype(np.int32), step
        )
        scales = {}
        for method in METHODS:
            maps = rng.normal(size=(N_PROBE, SIDE, SIDE)).astype(np.float32)
            tag = summary.attributions_tag(method, 0)
            scales[tag] = writer.write_map(tag, maps, step)
            payload += maps.size * 2
            importance = np.abs(rng.normal(size=(1 + N_CLASSES, SIDE, SIDE)))
            tag = summary.importance_tag(method, 0)
            scales[tag] = writer.write_map(tag, importance, step)
        writer.write_array(summary.log_tag("loss"), np.float32(1.0 / (step + 1)), step)
        writer.write_json(summary.STEP_INFO, {"step": step, "scales": scales}, step)
    writer.close()
    return payload


def _config() -> dict:
    return {
        "schema_version": 1,
        "modality": "image",
        "task": "multiclass",
        "n_outputs": N_CLASSES,
        "class_names": [f"class {i}" for i in range(N_CLASSES)],
        "feature_names": None,
        "inputs": [
            {
                "name": "image",
                "shape": [SIDE, SIDE, 1],
                "modality": "image",
                "range": [0, 255],
            }
        ],
        "methods": [{"key": m, "name": m, "label": m} for m in METHODS],
        "probe": {"count": N_PROBE, "ids": [str(i) for i in range(N_PROBE)]},
        "baselines": {"kind": "zeros"},
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextlib.contextmanager
def tensorboard(logdir: str, *flags: str):
    """A tensorboard process on 127.0.0.1; yields ``(url, pid)``."""
    port = _free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir]
    command += ["--host", "127.0.0.1", "--port", str(port), *flags]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if _get(url + "/data/plugins_listing")[0] == 200:
                    break
            time.sleep(0.25)
        yield url, process.pid
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def resident_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(c) for c in handle.read().split()]
    return total


def wait_loaded(url: str, seconds: float = 300) -> float:
    """Seconds until every step of the run is listed."""
    started = time.monotonic()
    query = f"/data/plugin/explain/samples?run={RUN}"
    while time.monotonic() - started < seconds:
        status, body = _get(url + query)
        if (
            status == 200
            and f'"steps": [{", ".join(map(str, range(N_STEPS)))}]'.encode() in body
        ):
            return time.monotonic() - started
        time.sleep(1.0)
    raise TimeoutError("the run did not load every step")


def requests_for(route: str, count: int, rng) -> list[str]:
    """``count`` query strings of ``route`` with random samples and steps."""
    queries = []
    for _ in range(count):
        sample, step = rng.integers(N_PROBE), rng.integers(N_STEPS)
        method = METHODS[rng.integers(len(METHODS))]
        queries.append(
            {
                "runs": "",
                "samples": f"run={RUN}&step={step}",
                "sample": f"run={RUN}&sample={sample}&step={step}",
                "map": f"run={RUN}&method={method}&sample={sample}&step={step}",
                "input": f"run={RUN}&sample={sample}",
                "history": f"run={RUN}&sample={sample}",
                "global": f"run={RUN}&method={method}&step={step}",
                "quality": f"run={RUN}",
            }[route]
        )
    return queries


def time_route(url: str, route: str, count: int, rng) -> list[float]:
    """Milliseconds of each request; raises on any non-200 answer."""
    times = []
    for query in requests_for(route, count, rng):
        started = time.perf_counter()
        status, body = _get(f"{url}/data/plugin/explain/{route}?{query}")
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{route}?{query}: {status} {body[:200]!r}")
    return times


FIRST_DRAWN = """(canvas) => new Promise((resolve) => {
  const drawn = () => canvas.getContext('2d')
    .getImageData(0, 0, canvas.width, canvas.height).data
    .some((v, i) => i % 4 === 3 && v > 0);
  const poll = () => (drawn() ? resolve() : setTimeout(poll, 10));
  poll();
})"""


def first_heatmap_seconds(url: str) -> tuple[float, float]:
    """Seconds from opening the page to the first heatmap with drawn pixels.

    Uses Debian's chromium through playwright. Measured twice, each in a new
    page: TensorBoard's whole page (its own shell loads first, then our tab
    in an iframe), and the tab's own page alone.

    Returns:
        ``(whole_page, tab_alone)`` in seconds.
    """
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic",
            "--disable-background-networking", "--no-first-run"]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=args
        )
        times = []
        for address, framed in (
            (f"{url}/#explain", True),
            (f"{url}/data/plugin_entry.html?name=explain", False),
        ):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            started = time.monotonic()
            page.goto(address)
            root = page.frame_locator('iframe[src*="name=explain"]') if framed else page
            heatmap = root.locator("canvas.heatmap").first
            heatmap.wait_for(timeout=60_000)
            heatmap.evaluate(FIRST_DRAWN)
            times.append(time.monotonic() - started)
            page.close()
        browser.close()
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--logdir", default=None)
    parser.add_argument(
        "--cache-mb", type=int, default=None, help="passed as --explain_cache_mb"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch:
        logdir = args.logdir or os.path.join(scratch, "logs")
        started = time.monotonic()
        payload = build_logdir(logdir)
        write_s = time.monotonic() - started
        empty = os.path.join(scratch, "empty")
        os.makedirs(empty)
        with tensorboard(empty) as (_, pid):
            time.sleep(3)
            baseline = resident_bytes(pid)
        flags = [] if args.cache_mb is None else [f"--explain_cache_mb={args.cache_mb}"]
        with tensorboard(logdir, *flags) as (url, pid):
            load_s = wait_loaded(url)
            loaded = resident_bytes(pid)
            cold = {
                m: time_route(url, "map", 1, np.random.default_rng(i))[0]
                for i, m in enumerate(METHODS)
            }
            rows = []
            for route in ("runs", "samples", "sample", "map", "input", "history",
                          "global", "quality"):  # fmt: skip
                count = args.requests * (2 if route == "map" else 1)
                times = time_route(url, route, count, rng)
                rows.append((route, count, *np.percentile(times, [50, 95])))
            after = resident_bytes(pid)
            first = first_heatmap_seconds(url)
    report(write_s, load_s, payload, baseline, loaded, after, cold, rows)
    sys.stdout.write(
        f"headless Chromium, opened to first heatmap drawn: whole TensorBoard "
        f"page {first[0]:.2f} s, the Explain tab's own page {first[1]:.2f} s "
        "(target <= 2 s)\n"
    )


def report(write_s, load_s, payload, baseline, loaded, after, cold, rows) -> None:
    """Writes the results as a Markdown table on standard output."""
    mib = 2**20
    out = sys.stdout.write
    size = f"{N_PROBE} probes x {N_STEPS} steps x {len(METHODS)} methods"
    out(f"logdir: {size} at {SIDE}x{SIDE}; written in {write_s:.1f} s, ")
    out(f"every step listed {load_s:.1f} s after startup\n\n")
    out("| route | requests | p50 ms | p95 ms |\n|---|---:|---:|---:|\n")
    for route, count, p50, p95 in rows:
        out(f"| {route} | {count} | {p50:.1f} | {p95:.1f} |\n")
    out("\nfirst map request per method (cold cache): ")
    out(", ".join(f"{m} {ms:.0f} ms" for m, ms in cold.items()) + "\n\n")
    growth = after - baseline
    out(f"float16 map payload: {payload / mib:.1f} MiB\n")
    out(f"resident memory, tensorboard + data server: empty logdir "
        f"{baseline / mib:.0f} MiB, loaded {loaded / mib:.0f} MiB, after the "
        f"requests {after / mib:.0f} MiB\n")  # fmt: skip
    out(f"growth over the empty logdir: {growth / mib:.0f} MiB = "
        f"{growth / payload:.2f}x the payload (target <= 1.5x)\n")  # fmt: skip


if __name__ == "__main__":
    main()
