"""Renders the facts as JSON: the same facts as the document, for machines.

The JSON object carries ``report_schema_version`` (see
:data:`tb_explain.report.facts.REPORT_SCHEMA_VERSION`); it is independent of
the language, as it holds numbers and names, not sentences.
"""

from __future__ import annotations

import json

from tb_explain import summary


def render(data: dict) -> str:
    """The facts as indented, key-sorted JSON text (no NaN: they are strings)."""
    return json.dumps(
        summary.to_jsonable(data),
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
        allow_nan=False,
    )
