"""Renders a :class:`~tb_explain.report.document.Document` as one HTML file.

Self-contained: the style sheet is inlined, figures are base64 PNG data URIs
and a Content-Security-Policy allows nothing else, so the file opens offline
and runs no script. Every string goes through :func:`html.escape`, and
direction-override characters are shown as their code points, so names from
the data stay inert text.
"""

from __future__ import annotations

import base64
import html
import os

from tb_explain.report.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)

CSS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.css")
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def escape(value) -> str:
    """HTML-escapes ``value`` (quotes too) and makes bidi controls visible."""
    text = html.escape(str(value), quote=True)
    for char in BIDI_CONTROLS:
        if char in text:
            text = text.replace(char, f"[U+{ord(char):04X}]")
    return text


def render(document: Document, contents: str) -> str:
    """The whole HTML document.

    Args:
        document: The report's document model.
        contents: The word for the table of contents, in its language.

    Returns:
        The HTML text.
    """
    with open(CSS_PATH, encoding="utf-8") as f:
        css = f.read()
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(document.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(document.title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{escape(document.title)}</h1>",
        f'<p class="subtitle">{escape(document.subtitle)}</p></header>',
        _contents(document, contents),
        "<main>",
    ]
    for section in document.sections:
        parts.append(f'<section id="s-{escape(section.key)}">')
        parts.append(f"<h2>{section.number}. {escape(section.title)}</h2>")
        parts.extend(_block(block) for block in section.blocks)
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts)


def _contents(document: Document, word: str) -> str:
    items = "".join(
        f'<li><a href="#s-{escape(s.key)}">{escape(s.title)}</a></li>'
        for s in document.sections
    )
    return f'<nav class="toc"><h2>{escape(word)}</h2><ol start="0">{items}</ol></nav>'


def _block(block) -> str:
    if isinstance(block, Paragraph):
        style = f' class="{escape(block.style)}"' if block.style else ""
        return f"<p{style}>{escape(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h3>{escape(block.text)}</h3>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block)
    raise TypeError(f"Unknown block type {type(block).__name__}")


def _table(table: Table) -> str:
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.header)
    rows = []
    for index, row in enumerate(table.rows):
        status = table.statuses[index] if index < len(table.statuses) else None
        css = f' class="status-{escape(status)}"' if status else ""
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        rows.append(f"<tr{css}>{cells}</tr>")
    return (
        f"<table>{caption}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    caption = escape(figure.caption)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )
