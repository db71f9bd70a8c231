"""The business report: a logdir turned into a document for people.

For managers, auditors and domain experts who never open TensorBoard. Every
sentence is written from the numbers the callback recorded, in English or
Chinese, with the wording rules of the project (no causal or fairness claims,
counts with percentages, the baseline named, the step on every figure).

- :func:`build`: a logdir (and run) to HTML, JSON or Markdown;
- :func:`build_for_reader`: the same from a :class:`~tb_explain.summary.RunReader`
  (the plugin's report route uses TensorBoard's data provider);
- :func:`filename`: a safe file name for a downloaded report;
- :func:`quality_status`: the worst quality status, for CI jobs.

Example:
    >>> from tb_explain import report
    >>> html = report.build("logs", run="run1", lang="zh")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from tb_explain import summary
from tb_explain.report import trust
from tb_explain.report.facts import REPORT_SCHEMA_VERSION
from tb_explain.report.text import languages

logger = logging.getLogger(__name__)

FORMATS = ("html", "json", "markdown")
EXTENSIONS = {"html": "html", "json": "json", "markdown": "zip"}

__all__ = [
    "FORMATS",
    "REPORT_SCHEMA_VERSION",
    "build",
    "build_for_reader",
    "filename",
    "languages",
    "quality_status",
]


def _check_options(format: str, lang: str) -> None:
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {list(FORMATS)}. Received: format={format!r}"
        )
    if lang not in languages():
        raise ValueError(
            f"`lang` must be one of {list(languages())}. Received: lang={lang!r}"
        )


def build(
    logdir: str,
    run: str | None = None,
    format: str = "html",
    lang: str = "en",
    step: int | None = None,
) -> str | bytes:
    """Builds the report of one run of a logdir.

    Args:
        logdir: A folder of runs (``logs``), or one run's folder.
        run: The run: ``"run1"`` or ``"run1/explain"``; None: the only run,
            or the first in sorted order.
        format: ``"html"`` (one self-contained file, str), ``"json"`` (the
            facts, versioned, str) or ``"markdown"`` (bytes: a zip holding
            ``report.md`` and its PNG figures).
        lang: ``"en"`` or ``"zh"`` (any language with a catalogue).
        step: The step to explain; None: the last step written.

    Returns:
        The report: str for HTML and JSON, bytes (a zip) for Markdown.

    Raises:
        ValueError: When ``format``, ``lang``, ``run`` or ``step`` is not
            accepted, or the logdir holds no explain run.
    """
    _check_options(format, lang)
    loaded = summary.open_logdir(logdir)
    reader = loaded.reader(resolve_run(loaded.runs(), run, logdir))
    return build_for_reader(reader, format, lang, step, logdir=logdir)


def resolve_run(runs: list[str], run: str | None, logdir: str = "") -> str:
    """The provider's run name for ``run`` (``"run1"`` or ``"run1/explain"``).

    Raises:
        ValueError: When there is no run, or ``run`` is not one of them.
    """
    if not runs:
        raise ValueError(
            f"`logdir={logdir!r}` holds no run written by ExplainCallback. "
            "Pass the folder given to the callback's log_dir, or its parent."
        )
    if run is None:
        return runs[0]
    wanted = str(run).replace("\\", "/").strip("/")
    for name in runs:
        if wanted in (name, name.rsplit("/" + summary.PLUGIN_NAME, 1)[0]):
            return name
    shown = [n.rsplit("/" + summary.PLUGIN_NAME, 1)[0] for n in runs]
    raise ValueError(f"`run` must be one of {shown}. Received: run={run!r}")


def build_for_reader(
    reader,
    format: str = "html",
    lang: str = "en",
    step: int | None = None,
    *,
    logdir: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> str | bytes:
    """Builds the report from a :class:`~tb_explain.summary.RunReader`.

    Args:
        reader: The run's reader (from TensorBoard's data provider in the
            plugin, from :func:`tb_explain.summary.open_logdir` elsewhere).
        format: See :func:`build`.
        lang: See :func:`build`.
        step: See :func:`build`.
        logdir: The logdir, only to name a run read from its own folder.
        progress: Optional callable receiving short progress messages.

    Returns:
        See :func:`build`.

    Raises:
        ValueError: When an argument is not accepted.
    """
    from tb_explain.report import (
        document,
        facts,
        render_html,
        render_json,
        render_markdown,
    )

    _check_options(format, lang)
    _say(progress, "reading the run")
    gathered = facts.gather(reader, step, logdir)
    if format == "json":
        return render_json.render(gathered.data)
    _say(progress, "writing the document")
    built = document.build_document(gathered, lang, progress)
    _say(progress, "rendering")
    if format == "markdown":
        return render_markdown.render(built)
    from tb_explain.report.text import Text

    return render_html.render(built, Text(lang)("contents"))


def _say(progress, message: str) -> None:
    logger.debug("Report: %s", message)
    if progress is not None:
        progress(message)


def filename(run: str, step: int, format: str = "html") -> str:
    """A safe file name for a report: ``"<run>-<step>-report.html"``.

    The run's ``/explain`` folder is dropped; anything but letters, digits,
    ``.``, ``_`` and ``-`` becomes ``_``. Markdown reports are zips
    (``.zip``).

    Raises:
        ValueError: When ``format`` is not accepted.
    """
    _check_options(format, "en")
    from tb_explain.report.rundata import display_name

    name = re.sub(r"[^A-Za-z0-9._-]+", "_", display_name(str(run)))
    name = name.strip("._-")[:80] or "run"
    return f"{name}-{int(step)}-report.{EXTENSIONS[format]}"


def quality_status(reader, step: int | None = None) -> str:
    """The worst quality status of a run at ``step`` (None: the last step).

    Returns:
        ``"pass"``, ``"warn"`` or ``"fail"``. A run with no quality checks
        recorded at or before the step is ``"warn"``: the check could not
        be made.

    Raises:
        ValueError: When the run has no predictions or ``step`` is unknown.
    """
    from tb_explain.report.rundata import resolve_step

    step = resolve_step(reader, step)
    at = trust.quality_step(reader, step)
    if at is None:
        return "warn"
    entries = reader.at(summary.QUALITY_SUMMARY, at).value or []
    return trust.worst(str(e.get("status")) for e in entries) or "warn"
