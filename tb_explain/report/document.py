"""The document model: sections of paragraphs, lists, tables and figures.

:func:`build_document` turns :class:`~tb_explain.report.facts.Facts` into a
:class:`Document` in one language. Every string in it is plain text, written
from the numbers with the catalogue of that language; the renderers escape it
for their format, so nothing a run, class or feature name holds can become
markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from tb_explain.report.text import Text


@dataclasses.dataclass
class Paragraph:
    """One paragraph; ``style`` is ``""``, ``"lead"`` or ``"note"``."""

    text: str
    style: str = ""


@dataclasses.dataclass
class Heading:
    """A heading inside a section."""

    text: str


@dataclasses.dataclass
class Bullets:
    """A list of sentences."""

    items: list[str]


@dataclasses.dataclass
class Table:
    """A table of plain-text cells.

    Attributes:
        header: Column titles.
        rows: Rows of cells.
        statuses: Per row, ``"pass"``, ``"warn"``, ``"fail"`` or None, for the
            renderers to mark the row.
        caption: Text shown above the table.
    """

    header: list[str]
    rows: list[list[str]]
    statuses: list[str | None] = dataclasses.field(default_factory=list)
    caption: str = ""


@dataclasses.dataclass
class Figure:
    """A PNG figure with its caption (which names the step)."""

    name: str
    png: bytes
    caption: str


Block = Paragraph | Heading | Bullets | Table | Figure


@dataclasses.dataclass
class Section:
    """A numbered section of the report."""

    key: str
    number: int
    title: str
    blocks: list[Block]


@dataclasses.dataclass
class Document:
    """A whole report in one language."""

    lang: str
    title: str
    subtitle: str
    sections: list[Section]

    def figures(self) -> list[Figure]:
        """Every figure, in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def plain_text(self) -> str:
        """All text of the document, one block a line (for tests and search)."""
        lines = [self.title, self.subtitle]
        for section in self.sections:
            lines.append(section.title)
            for block in section.blocks:
                lines.extend(_block_text(block))
        return "\n".join(lines)


def _block_text(block: Block) -> list[str]:
    if isinstance(block, (Paragraph, Heading)):
        return [block.text]
    if isinstance(block, Bullets):
        return list(block.items)
    if isinstance(block, Table):
        return [block.caption, " | ".join(block.header)] + [
            " | ".join(row) for row in block.rows
        ]
    return [block.caption]


SectionWriter = Callable[[dict, dict, Text], list[Block]]


def build_document(facts, lang: str = "en", progress=None) -> Document:
    """Writes the report for ``facts`` in ``lang``.

    Args:
        facts: :class:`~tb_explain.report.facts.Facts`.
        lang: A language with a catalogue.
        progress: Optional callable taking a short message, called per
            section.

    Returns:
        A :class:`Document`.

    Raises:
        ValueError: When ``lang`` has no catalogue.
    """
    from tb_explain.report import sections

    text = Text(lang)
    data = facts.data
    built = []
    for number, (key, writer) in enumerate(sections.WRITERS):
        if progress is not None:
            progress(f"section {number} ({key})")
        blocks = writer(data, facts.arrays, text)
        built.append(Section(key, number, text(f"section.{key}"), blocks))
    title = text("title", run=data["run"])
    subtitle = text("subtitle", step=data["step"], date=data["generated"][:10])
    return Document(lang, title, subtitle, built)
