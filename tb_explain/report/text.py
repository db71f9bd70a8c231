"""The words of the report: one JSON catalogue per language, and number formats.

Every word the report prints comes from ``i18n/<lang>.json``; adding a
language is adding one file with the same keys. Numbers are formatted here so
that every section prints them alike ("58 of 64 (91%)").
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os

logger = logging.getLogger(__name__)

I18N_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "i18n")


def languages() -> tuple[str, ...]:
    """The languages with a catalogue, sorted (``("en", "zh")``)."""
    names = [f[:-5] for f in os.listdir(I18N_DIR) if f.endswith(".json")]
    return tuple(sorted(names))


@functools.lru_cache(maxsize=8)
def _load(lang: str) -> dict:
    path = os.path.join(I18N_DIR, f"{lang}.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Text:
    """Sentences and numbers of one language.

    Args:
        lang: A language with a catalogue (see :func:`languages`).

    Raises:
        ValueError: When ``lang`` has no catalogue.

    Example:
        >>> Text("en").count(58, 64)
        '58 of 64 (91%)'
    """

    def __init__(self, lang: str):
        if lang not in languages():
            raise ValueError(
                f"`lang` must be one of {list(languages())}. Received: lang={lang!r}"
            )
        self.lang = lang
        self._words = _load(lang)

    def has(self, key: str) -> bool:
        """Whether the catalogue holds ``key``."""
        return key in self._words

    def __call__(self, key: str, **params) -> str:
        """The catalogue entry ``key`` with ``params`` filled in.

        When ``count`` is 1 and the catalogue holds ``key + "_one"``, that
        singular form is used ("1 mistake", not "1 mistakes").

        Raises:
            KeyError: When the catalogue lacks ``key`` (a programming error:
                every language holds every key, which a test checks).
        """
        if params.get("count") == 1 and f"{key}_one" in self._words:
            key = f"{key}_one"
        template = self._words[key]
        if isinstance(template, list):
            template = "".join(template)
        return template.format(**params) if params else template

    def items(self, key: str) -> list[str]:
        """A catalogue entry that is a list of sentences."""
        value = self._words[key]
        return list(value) if isinstance(value, list) else [value]

    def get(self, key: str, default: str, **params) -> str:
        """Like calling, with ``default`` when the key is absent."""
        return self(key, **params) if key in self._words else default

    # ------------------------------------------------------------------
    # Numbers.

    def num(self, value, digits: int = 3) -> str:
        """A number with ``digits`` significant digits ("n/a" when missing)."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return self("na")
        if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e6:
            return f"{int(value):,}".replace(",", self("thousands_sep"))
        return f"{float(value):.{digits}g}"

    def fixed(self, value, decimals: int = 3) -> str:
        """A number with a fixed count of decimals ("n/a" when missing)."""
        if value is None or not math.isfinite(float(value)):
            return self("na")
        return f"{float(value):.{decimals}f}"

    def pct(self, fraction) -> str:
        """A fraction as a whole percentage ("91%")."""
        if fraction is None or not math.isfinite(float(fraction)):
            return self("na")
        return self("percent", value=f"{100 * float(fraction):.0f}")

    def count(self, part: int, whole: int) -> str:
        """``part`` of ``whole`` with the percentage: "58 of 64 (91%)"."""
        share = self.pct(part / whole) if whole else self("na")
        return self("count_of", part=part, whole=whole, pct=share)

    def interval(self, low, high) -> str:
        """A 95% interval as percentages: "84%–96%"."""
        return self("range", low=self.pct(low), high=self.pct(high))

    def join(self, words: list[str]) -> str:
        """Joins words as a list in a sentence ("a, b and c")."""
        words = [w for w in words if w]
        if len(words) <= 1:
            return "".join(words)
        return self("join_sep").join(words[:-1]) + self("join_last") + words[-1]

    def truncated(self, words: list[str], limit: int) -> str:
        """Joins at most ``limit`` words, then "and N more"."""
        if len(words) <= limit:
            return self.join(words)
        rest = self("and_more", count=len(words) - limit)
        return self("join_sep").join(words[:limit]) + rest
