"""The demo behind ``make demo``: train the examples, write reports, serve.

    python examples/demo.py --logdir demo_logs --serve

Trains the digits (dense and CNN), breast cancer and two-input regression
examples with ``ExplainCallback`` into one logdir, writes each report in
English and Chinese under ``<logdir>/reports``, then starts TensorBoard on
127.0.0.1 with the Explain tab ready and prints its address.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time

import digits_workflow
import multi_input_regression
import tabular_breast_cancer


def serve(logdir: str, port: int) -> int:
    """Runs TensorBoard on 127.0.0.1 until interrupted; returns its exit code."""
    command = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        logdir,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command)
    time.sleep(3)
    print(f"\nTensorBoard: http://127.0.0.1:{port}/#explain  (Ctrl+C to stop)")
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return 0


def main(argv=None) -> int:
    """Trains every example into one logdir and optionally serves it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="demo_logs")
    parser.add_argument("--port", type=int, default=6006)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args(argv)
    common = ["--logdir", args.logdir] + (["--fast"] if args.fast else [])

    started = time.perf_counter()
    reports = digits_workflow.main(common)
    reports += tabular_breast_cancer.main(common)
    reports += multi_input_regression.main(common)
    print(f"Trained and explained in {time.perf_counter() - started:.0f} s.")
    for path in reports:
        print("report:", os.path.abspath(path))
    return serve(args.logdir, args.port) if args.serve else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
