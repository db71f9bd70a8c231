"""Renders a :class:`~tb_explain.report.document.Document` as Markdown in a zip.

The zip holds ``report.md`` and its figures under ``figures/``. Every string
from the document is escaped: ``&``, ``<`` and ``>`` become entities (so no
HTML tag can form), Markdown punctuation gets a backslash, line breaks in
names become spaces and direction-override characters are shown as their code
points.
"""

from __future__ import annotations

import io
import re
import zipfile

from tb_explain.report.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)
from tb_explain.report.render_html import BIDI_CONTROLS

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
PUNCTUATION = re.compile(r"([\\`*_\[\]{}()#+!|~])")
# A line that starts like a list item or a setext underline: "- ", "+ ", "= "
# take a backslash before the mark, "1." one before its dot (a backslash
# before a digit is no escape in CommonMark and would show).
LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)\.)")


def escape(value) -> str:
    """Escapes ``value`` for use as inline Markdown text."""
    text = " ".join(str(value).splitlines())
    text = PUNCTUATION.sub(r"\\\1", text)
    text = "".join(ENTITIES.get(char, char) for char in text)
    for char in BIDI_CONTROLS:
        text = text.replace(char, f"[U+{ord(char):04X}]")
    return LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    indent, mark, digits = match.groups()
    return indent + ("\\" + mark if mark else digits + "\\.")


def render(document: Document) -> bytes:
    """The zip archive (bytes) holding ``report.md`` and ``figures/*.png``."""
    lines = [f"# {escape(document.title)}", "", f"*{escape(document.subtitle)}*", ""]
    figures = {}
    for section in document.sections:
        lines += [f"## {section.number}\\. {escape(section.title)}", ""]
        for block in section.blocks:
            lines += _block(block, figures)
            lines.append("")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.md", "\n".join(lines))
        for path, png in figures.items():
            archive.writestr(path, png)
    return buffer.getvalue()


def _block(block, figures: dict) -> list[str]:
    if isinstance(block, Paragraph):
        text = escape(block.text)
        return [f"*{text}*" if block.style == "note" else text]
    if isinstance(block, Heading):
        return [f"### {escape(block.text)}"]
    if isinstance(block, Bullets):
        return [f"- {escape(item)}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        path = f"figures/{len(figures):02d}-{_safe(block.name)}.png"
        figures[path] = block.png
        return [f"![{escape(block.caption)}]({path})", "", escape(block.caption)]
    raise TypeError(f"Unknown block type {type(block).__name__}")


def _table(table: Table) -> list[str]:
    lines = [escape(table.caption), ""] if table.caption else []
    lines.append("| " + " | ".join(escape(h) for h in table.header) + " |")
    lines.append("|" + "---|" * len(table.header))
    for row in table.rows:
        lines.append("| " + " | ".join(escape(c) or " " for c in row) + " |")
    return lines


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:40] or "figure"
