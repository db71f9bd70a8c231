"""The ``tb-explain`` command line.

``tb-explain report --logdir logs --run run1 --format html --lang zh -o
report.html`` writes the business report of one run. Progress goes to stderr;
the exit status tells a CI job how the quality checks went:

- 0: the report was written and no check reached ``--fail-on``;
- 1: the report was written, and a quality check reached ``--fail-on``
  (``warn``: any warning or failure, or no checks recorded; ``fail``: any
  failure);
- 2: the command could not run (bad arguments, unknown run or step, a logdir
  without explain data).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

EXIT_OK = 0
EXIT_QUALITY = 1
EXIT_USAGE = 2
SEVERITY = {"pass": 0, "warn": 1, "fail": 2}


def _parser() -> argparse.ArgumentParser:
    from tb_explain.report import FORMATS, languages

    parser = argparse.ArgumentParser(
        prog="tb-explain",
        description="Explanation reports from logdirs written by ExplainCallback.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="write the business report of one run",
        description="Write the business report (HTML, JSON or a Markdown zip).",
    )
    report.add_argument("--logdir", required=True, help="folder of runs, or one run")
    report.add_argument("--run", default=None, help="run name (default: the first)")
    report.add_argument("--step", type=int, default=None, help="step to explain")
    report.add_argument("--format", choices=FORMATS, default="html")
    report.add_argument("--lang", choices=languages(), default="en")
    report.add_argument(
        "-o",
        "--output",
        default=None,
        help="file to write ('-' for stdout; default: <run>-<step>-report.<ext>)",
    )
    report.add_argument(
        "--fail-on",
        choices=("warn", "fail", "never"),
        default="fail",
        help="exit with status 1 when a quality check reaches this status",
    )
    report.add_argument("-q", "--quiet", action="store_true", help="no progress")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _report(args)
    except ValueError as error:
        print(f"tb-explain: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _report(args: argparse.Namespace) -> int:
    from tb_explain import report, summary

    say = _progress(args.quiet)
    if not os.path.isdir(args.logdir) and "://" not in args.logdir:
        raise ValueError(f"`--logdir {args.logdir}` is not a folder.")
    say(f"reading {args.logdir}")
    loaded = summary.open_logdir(args.logdir)
    reader = loaded.reader(report.resolve_run(loaded.runs(), args.run, args.logdir))
    status = report.quality_status(reader, args.step)
    content = report.build_for_reader(
        reader,
        args.format,
        args.lang,
        args.step,
        logdir=args.logdir,
        progress=say,
    )
    step = args.step if args.step is not None else reader.steps("predictions")[-1]
    path = args.output or report.filename(reader.run, step, args.format)
    _write(content, path)
    say(
        f"wrote {path if path != '-' else 'stdout'} ({_size(content)}); "
        f"quality: {status}"
    )
    return _exit_status(status, args.fail_on)


def _progress(quiet: bool):
    started = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            elapsed = time.perf_counter() - started
            print(f"[{elapsed:5.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def _write(content: str | bytes, path: str) -> None:
    if path == "-":
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        sys.stdout.flush()
        return
    mode, encoding = ("wb", None) if isinstance(content, bytes) else ("w", "utf-8")
    with open(path, mode, encoding=encoding) as f:
        f.write(content)


def _size(content: str | bytes) -> str:
    size = len(content.encode("utf-8") if isinstance(content, str) else content)
    return f"{size / 1e6:.2f} MB"


def _exit_status(status: str, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    return EXIT_QUALITY if SEVERITY[status] >= SEVERITY[fail_on] else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
